"""The in-process store seen from trio: the store's commands run inline.

A store command never waits for I/O, so it runs in the calling task.  To stay a good trio
citizen at a fraction of the cost of a full checkpoint, every call checks for cancellation and
every 16th call also yields to the scheduler, so a loop of store calls can be cancelled and
never starves other tasks.

A blocking command (BLPOP ...) that has nothing to serve queues a `TrioWaiter` in the store
(`kvs.memory.blocked`) and the task sleeps in ``wait_task_rescheduled``.  Whoever serves it
(a task of this run, a thread, another trio run) deposits the reply under the store's lock
and reschedules the task: directly from this run's thread, through the run's token
(``run_sync_soon``) from any other.  Cancellation (or the timeout) asks the store, under
its lock, to forget the waiter: that succeeds when it was not served yet, and nothing
happened; once served, the abort is refused and the task gets its element, so a cancelled
call never loses one.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Sequence
from typing import Any

import trio

from .._url import Config
from ..commands.pubsub import GAP, Message, to_message
from ..commands.traits import BLOCKING
from .batch import WatchSession, run_pipeline, run_transaction
from .blocked import Waiter
from .pubsub import Mailbox
from .store import Store, get_store

__all__ = ["MemoryBackend", "MemorySubscriber", "TrioWaiter", "wait"]

_YIELD_EVERY = 16

# Names that may block, as callers spell them (any other spelling is looked up upper-cased).
_MAY_BLOCK = frozenset(BLOCKING | {b"XREAD", b"XREADGROUP"})
_MAY_BLOCK_ANY_CASE = _MAY_BLOCK | {name.lower() for name in _MAY_BLOCK}


class TrioWaiter(Waiter):
    """A waiter that is a trio task: `task`, or the one that makes it.

    The task need not be asleep in `wait` when the store serves the waiter: it may still be
    on its way there (writing earlier replies, or handed the blocked client by ``kvs
    serve``'s dispatcher).  So `wake` reschedules the task only while it sleeps in `wait`
    for this waiter, and `wait` returns at once for a waiter already served.  Both run in
    the trio thread (a wake from another thread is sent there), so the two cannot cross.
    """

    __slots__ = ("_sleeping", "_task", "_thread", "_token")

    def __init__(self, task: trio.lowlevel.Task | None = None) -> None:
        super().__init__()
        self._task = trio.lowlevel.current_task() if task is None else task
        self._token = trio.lowlevel.current_trio_token()
        self._thread = threading.get_ident()
        self._sleeping = False  # the task sleeps in `wait` for this waiter

    def wake(self) -> None:
        if threading.get_ident() == self._thread:
            self._wake_here()
        else:
            with contextlib.suppress(trio.RunFinishedError):
                self._token.run_sync_soon(self._wake_here)

    def _wake_here(self) -> None:
        if self._sleeping:
            self._sleeping = False
            trio.lowlevel.reschedule(self._task)


async def wait(store: Store, waiter: TrioWaiter) -> Any:
    """Sleep until `waiter` (queued by `Store.execute_or_wait`) is served or times out.

    Returns:
        The reply deposited by whoever served it, or its ``timeout_reply``.
    """
    def abort(raise_cancel: Any) -> trio.lowlevel.Abort:
        if store.forget(waiter):
            waiter._sleeping = False
            return trio.lowlevel.Abort.SUCCEEDED
        return trio.lowlevel.Abort.FAILED  # served: the wake-up is on its way

    if waiter.served:  # served before its task came to wait: still a checkpoint
        await trio.lowlevel.cancel_shielded_checkpoint()
        return waiter.reply
    timeout = waiter.timeout
    with trio.move_on_after(math.inf if timeout is None else timeout):
        waiter._sleeping = True
        await trio.lowlevel.wait_task_rescheduled(abort)
        return waiter.reply
    return waiter.timeout_reply


async def execute_blocking(store: Store, argv: tuple[bytes, ...]) -> Any:
    """Run a command that may block: at once when it can be served, else wait for it."""
    await trio.lowlevel.checkpoint_if_cancelled()
    waiter = TrioWaiter()
    reply = store.execute_or_wait(argv, waiter)
    if reply is not waiter:
        await trio.lowlevel.cancel_shielded_checkpoint()
        return reply
    return await wait(store, waiter)


class MemoryBackend:
    """The trio driver of the in-process store."""

    def __init__(self, config: Config) -> None:
        self.store: Store = get_store(config.name)
        self._execute = self.store.execute
        self._table = self.store._table
        self._calls = 0
        self._decode = config.decode

    async def open(self) -> None:
        await trio.lowlevel.checkpoint()

    async def aclose(self) -> None:
        await trio.lowlevel.checkpoint()

    async def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        name = argv[0]
        if name in _MAY_BLOCK_ANY_CASE or (
                name not in self._table and name.upper() in _MAY_BLOCK):
            return await execute_blocking(self.store, argv)
        self._calls += 1
        if self._calls % _YIELD_EVERY:
            await trio.lowlevel.checkpoint_if_cancelled()
        else:
            await trio.lowlevel.checkpoint()
        return self._execute(argv)

    # -- pipelines, transactions and WATCH (kvs.memory.batch) ------------------------------

    transactions = True

    async def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                           idempotent: bool) -> list[Any]:
        await trio.lowlevel.checkpoint()
        return run_pipeline(self.store, argvs)

    async def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        await trio.lowlevel.checkpoint()
        return run_transaction(self.store, argvs)

    async def dedicated(self) -> _TrioWatchSession:
        await trio.lowlevel.checkpoint()
        return _TrioWatchSession(self.store)

    def subscriber(self) -> MemorySubscriber:
        """A subscription to this store's broker (`kvs.memory.pubsub`)."""
        return MemorySubscriber(self.store, self._decode)


class _TrioWatchSession:
    """`WatchSession` with the trio driver's calling convention: every call a checkpoint."""

    lost = False

    def __init__(self, store: Store) -> None:
        self._session = WatchSession(store)

    async def execute(self, argv: tuple[bytes, ...]) -> Any:
        await trio.lowlevel.checkpoint()
        return self._session.execute(argv)

    async def watch(self, keys: Sequence[bytes]) -> Any:
        await trio.lowlevel.checkpoint()
        return self._session.watch(keys)

    async def unwatch(self) -> Any:
        await trio.lowlevel.checkpoint()
        return self._session.unwatch()

    async def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        await trio.lowlevel.checkpoint()
        return self._session.transaction(argvs)

    async def release(self, *, clean: bool = False) -> None:
        self._session.release()

class MemorySubscriber:
    """A trio subscription to a store's broker.

    The broker delivers from any thread; the waiting task is woken through this run's trio
    token (``run_sync_soon``), the one way into a trio run that is safe from every thread.
    """

    def __init__(self, store: Store, decode: bool) -> None:
        self._broker = store.broker
        self._decode = decode
        self._mailbox = Mailbox(self._wake)
        self._event = trio.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._calls = 0

    def _wake(self) -> None:
        token = self._token
        if token is not None:
            with contextlib.suppress(trio.RunFinishedError):  # the run ended: nobody waits
                token.run_sync_soon(self._set)

    def _set(self) -> None:
        self._event.set()

    async def open(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        await trio.lowlevel.checkpoint()

    async def aclose(self) -> None:
        self._broker.remove(self._mailbox)
        self._mailbox.close()
        await trio.lowlevel.checkpoint()

    async def command(self, verb: bytes, names: tuple[bytes, ...]) -> None:
        await trio.lowlevel.checkpoint()
        if not self._mailbox.closed:
            self._broker.command(self._mailbox, verb, names)

    async def receive(self, timeout: float | None) -> Message | None:
        self._calls += 1
        if self._calls % _YIELD_EVERY:
            await trio.lowlevel.checkpoint_if_cancelled()
        else:
            await trio.lowlevel.checkpoint()
        with trio.move_on_after(math.inf if timeout is None else timeout):
            mailbox = self._mailbox
            while True:
                item = mailbox.take()
                if item is None:
                    if mailbox.closed:
                        return None
                    await self._event.wait()
                    self._event = trio.Event()
                elif item is True:
                    return GAP
                elif (message := to_message(item, self._decode)) is not None:
                    return message
        return None
