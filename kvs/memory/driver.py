"""The in-process store seen from trio: the store's commands run inline.

A store command never waits for I/O, so it runs in the calling task.  To stay a good trio
citizen at a fraction of the cost of a full checkpoint, every call checks for cancellation and
every 16th call also yields to the scheduler, so a loop of store calls can be cancelled and
never starves other tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import trio

from .._url import Config
from .batch import WatchSession, run_pipeline, run_transaction
from .store import Store, get_store

__all__ = ["MemoryBackend"]

_YIELD_EVERY = 16


class MemoryBackend:
    """The trio driver of the in-process store."""

    def __init__(self, config: Config) -> None:
        self.store: Store = get_store(config.name)
        self._execute = self.store.execute
        self._calls = 0

    async def open(self) -> None:
        await trio.lowlevel.checkpoint()

    async def aclose(self) -> None:
        await trio.lowlevel.checkpoint()

    async def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
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
