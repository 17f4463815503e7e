"""The in-process store seen from threads: the store's commands run inline, under its lock."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .._url import Config
from ..commands.pubsub import GAP, Message, to_message
from .batch import WatchSession, run_pipeline, run_transaction
from .pubsub import Mailbox
from .store import Store, get_store

__all__ = ["MemoryBackend", "MemorySubscriber"]


class MemoryBackend:
    """The blocking driver of the in-process store."""

    def __init__(self, config: Config) -> None:
        self.store: Store = get_store(config.name)
        self._execute = self.store.execute
        self._decode = config.decode

    def open(self) -> None:
        pass

    def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
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
