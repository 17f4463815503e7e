"""WATCH blocks in a cluster (trio): one slot, on a connection of its owner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import trio

from ..redis.driver import DedicatedRedis
from .routing import (
    one_slot,
    slot_moved,
    watch_redirect,
)
from .slots import redirection

__all__ = ["DedicatedCluster"]

if TYPE_CHECKING:
    from .driver import ClusterBackend


class DedicatedCluster:
    """A WATCH block in a cluster: every key it watches, reads or writes in one slot
    (CROSSSLOT otherwise, before any I/O), on a connection of that slot's owner.

    A redirection (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) of the block's first command (its
    WATCH, usually): nothing ran, so the block starts again on the slot's owner (after a
    MOVED, the new one), within ``timeout``.  A redirection of a later command means the slot
    moved under the block: `kvs.WatchError` (`routing.slot_moved`), the map patched, so that
    running the block again (`Client.run_watched`) goes to the new owner.
    """

    def __init__(self, backend: ClusterBackend) -> None:
        self._backend = backend
        self._slot: int | None = None
        self._conn: DedicatedRedis | None = None
        self._ran = False  # a command of the block ran (or was answered, not redirected)

    @property
    def lost(self) -> bool:
        return self._conn is not None and self._conn.lost

    async def _bind(self, argvs: Sequence[Sequence[bytes]]) -> DedicatedRedis:
        self._slot = one_slot(argvs, "watch", self._slot)
        if self._conn is None:
            backend = self._backend
            if self._slot is None:
                addr = backend._any_primary()
            else:
                owner = backend._owner(self._slot, False)[0]
                if owner is None:
                    await backend._refresh(backend._epoch)
                    owner = backend._owner(self._slot, False)[0]
                addr = owner or backend._any_primary()
            self._conn = await backend._node(addr).dedicated()
        return self._conn

    async def _send(self, argvs: Sequence[Sequence[bytes]], transaction: bool,
                    send: Callable[[DedicatedRedis], Awaitable[Any]]) -> Any:
        backend = self._backend
        give_up = None if backend._timeout is None else trio.current_time() + backend._timeout
        attempt = 0
        while True:
            result = await send(await self._bind(argvs))
            redirect = watch_redirect(result, transaction)
            if redirect is None:
                self._ran = True
                return result
            target = redirection(redirect.message, "")
            if redirect.code == "MOVED" and target is not None:
                backend._map.moved(target[0], target[1])
                backend._refresh_soon()
            if self._ran:
                raise slot_moved(self._slot, redirect)
            # Nothing ran: start again on the slot's owner (a MOVED: at once, the first time).
            if (attempt or redirect.code != "MOVED") \
                    and not await backend._pause(attempt, give_up):
                return result
            attempt += 1
            conn, self._conn = self._conn, None
            if conn is not None:
                await conn.release(clean=True)  # refused: nothing is watched there

    async def execute(self, argv: tuple[bytes, ...]) -> Any:
        return await self._send([argv], False, lambda conn: conn.execute(argv))

    async def watch(self, keys: Sequence[bytes]) -> Any:
        return await self._send([(b"WATCH", *keys)], False, lambda conn: conn.watch(keys))

    async def unwatch(self) -> Any:
        return await (await self._bind([])).unwatch()

    async def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        result: list[Any] = await self._send(argvs, True,
                                             lambda conn: conn.transaction(argvs))
        return result

    async def release(self, *, clean: bool = False) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.release(clean=clean)
