# Generated from kvs/client/scan.py by scripts/unasync.py: do not edit; edit the source
# and run `python scripts/unasync.py`.
"""Iteration over SCAN cursors: `Scan`, what `scan_iter`, `hscan_iter`, `sscan_iter` and
`zscan_iter` return.

Theory of operation.  A scan is a sequence of ordinary calls: each page is one SCAN (HSCAN,
SSCAN, ZSCAN) command sent through the client's `_run`, exactly as any operation, so every
page is a cancel point, obeys the timeout and is retried like any read; the server is never
held between pages.  The first page's `Call` is built when the iterator is made, so a wrong
argument raises there, before any I/O.  Redis's guarantee carries over unchanged: every key
present for the whole scan is yielded at least once (a key may come twice, and a key added
or removed meanwhile may or may not come).  The scan ends when the server returns cursor 0.

This module is trio source: ``scripts/unasync.py`` turns it into the blocking iterator of
`kvs.sync` (``__next__`` -> ``__next__``, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

from ...commands import Call
from ._operations import Operations

__all__ = ["Scan"]

T = TypeVar("T")

Page = tuple[int, list[T]]


class Scan(Generic[T]):
    """An iterator over a SCAN-family command's pages; use it with ``for``.

    Example::

        for key in db.scan_iter(match="user:*"):
            ...
    """

    __slots__ = ("_buffer", "_call", "_client", "_page")

    def __init__(self, client: Operations[Any], page: Callable[[int], Call[Page[T]]]) -> None:
        self._client = client
        self._page = page
        self._call: Call[Page[T]] | None = page(0)  # checks the arguments now
        self._buffer: list[T] = []

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> T:
        while not self._buffer:
            call = self._call
            if call is None:
                raise StopIteration
            cursor, items = self._client._run(call)
            self._call = self._page(cursor) if cursor else None
            items.reverse()
            self._buffer = items  # pop() from the end yields them in server order
        return self._buffer.pop()


def pairs(call: Call[tuple[int, dict[Any, Any]]]) -> Call[Page[tuple[Any, Any]]]:
    """HSCAN's page as ``(field, value)`` tuples, so the iterator yields pairs."""
    decode = call.decode

    def as_pairs(reply: Any, flag: bool) -> Page[tuple[Any, Any]]:
        cursor, fields = decode(reply, flag)
        return cursor, list(fields.items())

    return Call(call.argv, as_pairs, call.idempotent, call.keys)
