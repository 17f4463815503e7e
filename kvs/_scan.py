"""The trio side of iterating over SCAN pages: what `scan_iter` and its siblings run.

Theory of operation.  `items` is an async generator over the items of a sequence of pages:
it fetches a page (``await run(call)``, an ordinary call of the client, so a cancel point that
obeys the timeout), then hands out its items one ``__anext__`` at a time, then builds the next
page's call from the cursor, until the cursor is 0.  A page can hold thousands of items that
are already here, so handing them out must keep trio's rule that every async call is a
checkpoint without paying a whole checkpoint per item (a pass through the scheduler costs
some 50 times what resuming the generator does):

- every ``__anext__`` is a cancellation point: when the calling task's cancel scope is
  cancelled, the next ``__anext__`` raises `trio.Cancelled` and no item comes after it;
- every `YIELD_EVERY`-th item is a full checkpoint (``trio.lowlevel.checkpoint``), so a long
  loop over the items lets other tasks run, and a deadline that passed, or a pending
  KeyboardInterrupt, is delivered within that many items.

The cancellation check per item is ``trio.lowlevel.checkpoint_if_cancelled`` made inline:
it reads the flag that function reads (the task's ``_cancel_status.effectively_cancelled``)
and only when it is set awaits a checkpoint, which then raises.  Finding the current task is
most of the cost (``current_task`` reads a thread-local), so the generator keeps the task that
stepped it last and asks again only when that task's coroutine is not the one running
(``task.coro.cr_running``: in a thread, only the task being stepped is running, so a generator
passed to another task notices at its first step there).  That makes the check some 50 ns an
item, against some 500 ns for awaiting the coroutine.  ``_cancel_status`` is trio's private
name, so the inline reading is probed once (and must see the running task as running); a trio
or Python without it gets ``await trio.lowlevel.checkpoint_if_cancelled()`` per item, the same
contract at its full price.  The one thing the inline check leaves to the next full checkpoint
is a pending KeyboardInterrupt, which ``checkpoint_if_cancelled`` also looks at.

Nothing here imports trio at module level (`import kvs` stays light); ``kvs/sync/_scan.py`` is
the blocking counterpart, a plain generator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

__all__ = ["YIELD_EVERY", "items"]

C = TypeVar("C")
T = TypeVar("T")

YIELD_EVERY = 1024  # items between two full checkpoints

_inline: bool | None = None  # whether the cancel flag can be read inline (probed once)


def inline_check() -> bool:
    """Whether this trio and this Python let the cancel flag be read inline as the module's
    notes say (probed once); call it from inside a task."""
    global _inline
    if _inline is None:
        import trio

        task = trio.lowlevel.current_task()
        try:
            _inline = (getattr(task.coro, "cr_running", None) is True  # running: it is us
                       and type(task._cancel_status.effectively_cancelled) is bool)
        except AttributeError:
            _inline = False
    return _inline


async def items(run: Callable[[C], Awaitable[tuple[int, Sequence[T]]]],
                page: Callable[[int], C], call: C) -> AsyncIterator[T]:
    """Every item of the pages that `run` answers for `call`, then for ``page(cursor)`` of
    each cursor it returns, until the cursor is 0.  Each ``__anext__`` is a cancellation
    point and every `YIELD_EVERY`-th a full checkpoint."""
    from trio.lowlevel import checkpoint, checkpoint_if_cancelled, current_task

    inline = inline_check()
    task = current_task()  # the task stepping the iterator, as last seen
    coro = task.coro  # and its coroutine
    budget = YIELD_EVERY  # items left before the next full checkpoint
    while True:
        cursor, batch = await run(call)
        start, size = 0, len(batch)
        while start < size:  # the page in runs of at most `budget` items
            if not budget:
                budget = YIELD_EVERY
                await checkpoint()
            stop = min(start + budget, size)
            budget -= stop - start
            run_of = batch if not start and stop == size else batch[start:stop]
            if inline:
                for item in run_of:
                    if not coro.cr_running:  # another task steps the iterator now
                        task = current_task()
                        coro = task.coro
                    if task._cancel_status.effectively_cancelled:
                        await checkpoint()  # raises Cancelled
                    yield item
            else:
                for item in run_of:
                    await checkpoint_if_cancelled()
                    yield item
            start = stop
        if not cursor:
            return
        call = page(cursor)
