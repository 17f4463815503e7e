"""The blocking side of iterating over SCAN pages: what `kvs.sync`'s `scan_iter` and its
siblings run (``kvs/_scan.py`` is the trio one).

A plain generator: it fetches a page (``run(call)``, an ordinary call of the client), hands
out its items, and builds the next page's call from the cursor, until the cursor is 0.  A
thread has no cancellation to check between items, so nothing else happens per item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

__all__ = ["items"]

C = TypeVar("C")
T = TypeVar("T")


def items(run: Callable[[C], tuple[int, Sequence[T]]], page: Callable[[int], C],
          call: C) -> Iterator[T]:
    """Every item of the pages that `run` answers for `call`, then for ``page(cursor)`` of
    each cursor it returns, until the cursor is 0."""
    while True:
        cursor, batch = run(call)
        yield from batch
        if not cursor:
            return
        call = page(cursor)
