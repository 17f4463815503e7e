"""WATCH blocks in a cluster (blocking): one slot, on a connection of its owner."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..redis.blocking import DedicatedRedis
from .routing import (
    one_slot,
    slot_moved,
    watch_redirect,
)
from .slots import redirection

__all__ = ["DedicatedCluster"]

if TYPE_CHECKING:
    from .blocking import ClusterBackend


class DedicatedCluster:
    """A WATCH block in a cluster: all its keys in one slot (CROSSSLOT otherwise, before any
    I/O), on a pooled connection of that slot's owner; a redirection of its first command
    starts it again on the owner, one of a later command raises `kvs.WatchError` (as the
    trio driver's `kvs.cluster.driver.DedicatedCluster`)."""

    def __init__(self, backend: ClusterBackend) -> None:
        self._backend = backend
        self._slot: int | None = None
        self._conn: DedicatedRedis | None = None
        self._ran = False

    @property
    def lost(self) -> bool:
        return self._conn is not None and self._conn.lost

    def _bind(self, argvs: Sequence[Sequence[bytes]]) -> DedicatedRedis:
        self._slot = one_slot(argvs, "watch", self._slot)
        if self._conn is None:
            backend = self._backend
            addr = None
            if self._slot is not None:
                addr = backend._owner(self._slot, False)[0]
                if addr is None:
                    backend._try_refresh(backend._epoch)
                    addr = backend._owner(self._slot, False)[0]
            self._conn = backend._node(addr or backend._any_primary()).dedicated()
        return self._conn

    def _send(self, argvs: Sequence[Sequence[bytes]], transaction: bool,
              send: Callable[[DedicatedRedis], Any]) -> Any:
        backend = self._backend
        give_up = None if backend._timeout is None else time.monotonic() + backend._timeout
        attempt = 0
        while True:
            result = send(self._bind(argvs))
            redirect = watch_redirect(result, transaction)
            if redirect is None:
                self._ran = True
                return result
            target = redirection(redirect.message, "")
            if redirect.code == "MOVED" and target is not None:
                backend._moved(target)
            if self._ran:
                raise slot_moved(self._slot, redirect)
            if (attempt or redirect.code != "MOVED") and not backend._pause(attempt, give_up):
                return result
            attempt += 1
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.release(clean=True)  # refused: nothing is watched there

    def execute(self, argv: tuple[bytes, ...]) -> Any:
        return self._send([argv], False, lambda conn: conn.execute(argv))

    def watch(self, keys: Sequence[bytes]) -> Any:
        return self._send([(b"WATCH", *keys)], False, lambda conn: conn.watch(keys))

    def unwatch(self) -> Any:
        return self._bind([]).unwatch()

    def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        result: list[Any] = self._send(argvs, True, lambda conn: conn.transaction(argvs))
        return result

    def release(self, *, clean: bool = False) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.release(clean=clean)
