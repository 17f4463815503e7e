"""A subscription in a cluster, on trio: `kvs.redis.subscriber.RedisSubscriber` whose
connection goes to the right node.

Channels and patterns (SUBSCRIBE, PSUBSCRIBE) may use any node: a cluster forwards every
PUBLISH to all of them, so the subscription uses a primary.  Shard channels (SSUBSCRIBE) live
on the owner of their slot, so they must all hash to one slot (CROSSSLOT otherwise, before
any I/O) and the connection goes to that slot's owner.  When that node fails, or the slot
moves (the server then ends the shard subscription itself), the connection is dropped and
reopened where the map now says, which resubscribes and yields the gap marker, as any
reconnection does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..redis.subscriber import RedisSubscriber
from .routing import ShardReader, one_slot
from .slots import Addr

if TYPE_CHECKING:
    from .driver import ClusterBackend

__all__ = ["ClusterSubscriber"]


class ClusterSubscriber(RedisSubscriber):
    def __init__(self, backend: ClusterBackend) -> None:
        super().__init__(backend._config, self._open_node)
        self._backend = backend
        self._addr: Addr | None = None
        self._slot: int | None = None

    async def command(self, verb: bytes, names: tuple[bytes, ...]) -> None:
        if verb == b"SSUBSCRIBE" and names:
            slot = one_slot([(verb, *self.holdings.shards, *names)], "ssubscribe")
            if slot is not None and self._transport is not None and \
                    self._backend._owner(slot, False)[0] != self._addr:
                self.holdings.apply(verb, names)
                await self._drop(self._transport)  # reopened on the owner by the reader
                return
        await super().command(verb, names)

    # The base class sets ``reader`` for each connection: watch it for moved shards.
    @property
    def reader(self) -> Any:
        return self._shard_reader

    @reader.setter
    def reader(self, reader: Any) -> None:
        self._shard_reader = ShardReader(reader, self.holdings.shards)

    async def _open_node(self) -> Any:
        backend = self._backend
        shards = self.holdings.shards
        slot = one_slot([(b"SSUBSCRIBE", *shards)], "ssubscribe") if shards else None
        epoch = backend._epoch
        addr = backend._owner(slot, False)[0] if slot is not None else None
        if addr is None:
            if slot is not None:
                await backend._refresh(epoch)
                addr = backend._owner(slot, False)[0]
            addr = addr or backend._any_primary()
        try:
            opened = await backend._node(addr)._open_transport()
        except Exception:
            backend._map.drop(addr)
            backend._refresh_soon()
            raise
        self._addr, self._slot = addr, slot
        return opened
