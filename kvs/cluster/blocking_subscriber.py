"""A subscription in a cluster over a blocking socket: `kvs.redis.blocking_subscriber`'s
subscriber whose connection goes to the right node, by the rules of the trio one
(`kvs.cluster.subscriber`): channels and patterns on a primary, shard channels (all in one
slot) on the owner of their slot, reopened where the map says when that node fails.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..redis.blocking_subscriber import RedisSubscriber
from ..sync.transport import BlockingConnection
from .routing import ShardReader, one_slot
from .slots import Addr

if TYPE_CHECKING:
    from .blocking import ClusterBackend

__all__ = ["ClusterSubscriber"]


class ClusterSubscriber(RedisSubscriber):
    def __init__(self, backend: ClusterBackend) -> None:
        super().__init__(backend._config, self._open_node)
        self._backend = backend
        self._addr: Addr | None = None

    def command(self, verb: bytes, names: tuple[bytes, ...]) -> None:
        if verb == b"SSUBSCRIBE" and names:
            slot = one_slot([(verb, *self.holdings.shards, *names)], "ssubscribe")
            conn = self._conn
            if slot is not None and conn is not None and \
                    self._backend._owner(slot, False)[0] != self._addr:
                with self._lock:
                    self.holdings.apply(verb, names)
                self._drop(conn)  # reopened on the owner by the reader
                return
        super().command(verb, names)

    # The base class sets ``reader`` for each connection: watch it for moved shards.
    @property
    def reader(self) -> Any:
        return self._shard_reader

    @reader.setter
    def reader(self, reader: Any) -> None:
        self._shard_reader = ShardReader(reader, self.holdings.shards)

    def _open_node(self) -> BlockingConnection:
        backend = self._backend
        shards = self.holdings.shards
        slot = one_slot([(b"SSUBSCRIBE", *shards)], "ssubscribe") if shards else None
        addr = backend._owner(slot, False)[0] if slot is not None else None
        if addr is None and slot is not None:
            backend._try_refresh(backend._epoch)
            addr = backend._owner(slot, False)[0]
        addr = addr or backend._any_primary()
        try:
            conn = backend._node(addr)._open()
        except Exception:
            backend._drop(addr)
            backend._refresh_soon()
            raise
        self._addr = addr
        return conn
