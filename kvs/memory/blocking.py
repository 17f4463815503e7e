"""The in-process store seen from threads: the store's commands run inline, under its lock.

A blocking command (BLPOP ...) with nothing to serve queues a `ThreadWaiter` in the store
(`kvs.memory.blocked`) and the thread waits on its event, with the command's timeout.  Any
client or thread of the store that serves it deposits the reply and sets the event.  A
thread that stops waiting (timeout, or an exception such as KeyboardInterrupt) asks the
store to forget the waiter; if it was served meanwhile, the reply is taken (on a timeout)
or, for an exception, the element is lost with the call, as on a lost connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from .._url import Config
from ..commands.pubsub import GAP, Message, to_message
from ..commands.traits import BLOCKING
from .batch import WatchSession, run_pipeline, run_transaction
from .blocked import Waiter
from .pubsub import Mailbox
from .store import Store, get_store

__all__ = ["MemoryBackend", "MemorySubscriber", "ThreadWaiter"]

_MAY_BLOCK = frozenset(BLOCKING | {b"XREAD", b"XREADGROUP"})
_MAY_BLOCK_ANY_CASE = _MAY_BLOCK | {name.lower() for name in _MAY_BLOCK}


class ThreadWaiter(Waiter):
    """A waiter that is a thread waiting on an event."""

    __slots__ = ("event",)

    def __init__(self) -> None:
        super().__init__()
        self.event = threading.Event()

    def wake(self) -> None:
        self.event.set()


def execute_blocking(store: Store, argv: tuple[bytes, ...]) -> Any:
    """Run a command that may block: at once when it can be served, else wait for it."""
    waiter = ThreadWaiter()
    reply = store.execute_or_wait(argv, waiter)
    if reply is not waiter:
        return reply
    try:
        waiter.event.wait(waiter.timeout)
    finally:
        served = not store.forget(waiter)
    return waiter.reply if served else waiter.timeout_reply


class MemoryBackend:
    """The blocking driver of the in-process store."""

    def __init__(self, config: Config) -> None:
        self.store: Store = get_store(config.name)
        self._execute = self.store.execute
        self._table = self.store._table
        self._decode = config.decode

    def open(self) -> None:
        pass

    def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        name = argv[0]
        if name in _MAY_BLOCK_ANY_CASE or (
                name not in self._table and name.upper() in _MAY_BLOCK):
            return execute_blocking(self.store, argv)
        return self._execute(argv)

    def close(self) -> None:
        pass

    # -- pipelines, transactions and WATCH (kvs.memory.batch) ------------------------------

    transactions = True

    def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                     idempotent: bool) -> list[Any]:
        return run_pipeline(self.store, argvs)

    def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        return run_transaction(self.store, argvs)

    def dedicated(self) -> WatchSession:
        return WatchSession(self.store)

    def subscriber(self) -> MemorySubscriber:
        """A subscription to this store's broker (`kvs.memory.pubsub`)."""
        return MemorySubscriber(self.store, self._decode)


class MemorySubscriber:
    """A blocking subscription to a store's broker: the reading thread waits on its
    mailbox's condition, which any publishing thread notifies."""

    def __init__(self, store: Store, decode: bool) -> None:
        self._broker = store.broker
        self._decode = decode
        self._mailbox = Mailbox()

    def open(self) -> None:
        pass

    def close(self) -> None:
        self._broker.remove(self._mailbox)
        self._mailbox.close()

    def command(self, verb: bytes, names: tuple[bytes, ...]) -> None:
        if not self._mailbox.closed:
            self._broker.command(self._mailbox, verb, names)

    def receive(self, timeout: float | None) -> Message | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        mailbox = self._mailbox
        while True:
            item = mailbox.take()
            if item is None:
                if mailbox.closed:
                    return None
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                mailbox.wait(left)
            elif item is True:
                return GAP
            elif (message := to_message(item, self._decode)) is not None:
                return message
