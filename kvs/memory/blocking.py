"""The in-process store seen from threads: the store's commands run inline, under its lock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._url import Config
from .batch import WatchSession, run_pipeline, run_transaction
from .store import Store, get_store

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """The blocking driver of the in-process store."""

    def __init__(self, config: Config) -> None:
        self.store: Store = get_store(config.name)
        self._execute = self.store.execute

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
