"""Iteration over SCAN cursors: what `scan_iter`, `hscan_iter`, `sscan_iter` and `zscan_iter`
return.

Theory of operation.  A scan is a sequence of ordinary calls: each page is one SCAN (HSCAN,
SSCAN, ZSCAN) command sent through the client's `_run`, exactly as any operation, so every
page is a cancel point, obeys the timeout and is retried like any read; the server is never
held between pages.  The first page's `Call` is built when the iterator is made, so a wrong
argument raises there, before any I/O.  Redis's guarantee carries over unchanged: every key
present for the whole scan is yielded at least once (a key may come twice, and a key added
or removed meanwhile may or may not come).  The scan ends when the server returns cursor 0.

Handing out a page's items is the transport's part (``.._scan``): under trio each item's
step is a cancellation point and every few hundred items a full checkpoint, so a long
loop over a page that is already here can still be cancelled and lets other tasks run; the
blocking iterator of `kvs.sync` is a plain generator.  This module is trio source for
``scripts/unasync.py``, which keeps ``.._scan`` pointing at the transport's own module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from .._scan import items
from ..commands import Call
from ._operations import Operations

__all__ = ["iterate", "pairs"]

T = TypeVar("T")

Page = tuple[int, list[T]]


def iterate(client: Operations[Any], page: Callable[[int], Call[Page[T]]]) -> AsyncIterator[T]:
    """An async iterator over every item of a SCAN-family command's pages (`page(cursor)`
    builds the call for a cursor).  The first call is built here, so a wrong argument raises
    before any I/O; nothing is sent until the first item is asked for."""
    # The transport's own generator (``.._scan``): between pages it holds nothing (no
    # connection, no lock), so one left unfinished is harmless.
    return items(client._run, page, page(0))


def pairs(call: Call[tuple[int, dict[Any, Any]]]) -> Call[Page[tuple[Any, Any]]]:
    """HSCAN's page as ``(field, value)`` tuples, so the iterator yields pairs."""
    decode = call.decode

    def as_pairs(reply: Any, flag: bool) -> Page[tuple[Any, Any]]:
        cursor, fields = decode(reply, flag)
        return cursor, list(fields.items())

    return Call(call.argv, as_pairs, call.idempotent, call.keys)
