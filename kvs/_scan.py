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
it reads the flag that function reads (the current task's
``_cancel_status.effectively_cancelled``, the task taken from trio's per-thread run context as
``current_task`` takes it) and only when it is set awaits a checkpoint, which then raises: some
0.1 µs an item, against some 0.5 µs for awaiting the coroutine.  Those names are trio's
private ones, so they are probed once (they must give the task ``current_task`` gives); a trio
without them gets ``await trio.lowlevel.checkpoint_if_cancelled()`` per item, the same
contract at its full price.  The one thing the inline check leaves to the next full
checkpoint is a pending KeyboardInterrupt, which ``checkpoint_if_cancelled`` also looks at.

Nothing here imports trio at module level (`import kvs` stays light); ``kvs/sync/_scan.py`` is
the blocking counterpart, a plain generator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

__all__ = ["YIELD_EVERY", "items"]

C = TypeVar("C")
T = TypeVar("T")

YIELD_EVERY = 1024  # items between two full checkpoints

_context: Any = None  # trio's run context, when the cancel flag can be read inline (probed)
_probed = False


def inline_context() -> Any:
    """trio's per-thread run context (``GLOBAL_RUN_CONTEXT``) when this trio lets the cancel
    flag be read through it as the module's notes say, else None; call it from a task."""
    global _context, _probed
    if not _probed:
        import trio

        try:
            from trio._core._run import GLOBAL_RUN_CONTEXT as context

            task = context.task
            ok = (task is trio.lowlevel.current_task()
                  and type(task._cancel_status.effectively_cancelled) is bool)
        except (ImportError, AttributeError):
            ok = False
        _context, _probed = (context if ok else None), True
    return _context


async def items(run: Callable[[C], Awaitable[tuple[int, Sequence[T]]]],
                page: Callable[[int], C], call: C) -> AsyncIterator[T]:
    """Every item of the pages that `run` answers for `call`, then for ``page(cursor)`` of
    each cursor it returns, until the cursor is 0.  Each ``__anext__`` is a cancellation
    point and every `YIELD_EVERY`-th a full checkpoint."""
    from trio.lowlevel import checkpoint, checkpoint_if_cancelled

    context = inline_context()
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
            if context is not None:
                for item in run_of:
                    if context.task._cancel_status.effectively_cancelled:
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
