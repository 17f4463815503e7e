"""The node set and the slot map of the trio cluster backend: one `kvs.redis.driver.RedisBackend`
per node (replicas with ``READONLY``), made on first use, and the map loaded, patched and
refreshed one refresh at a time; `kvs.cluster.driver` routes commands over it."""

from __future__ import annotations

import contextlib
import math

import trio

from resp import Parser, ReplyError, encode_command

from .._errors import ConnectionError, ResponseError, TimeoutError, response_error
from .._url import Config
from ..net.transport import Transport
from ..redis.driver import RedisBackend, _roundtrip
from ..redis.handshake import nothing_more
from .routing import (
    REFRESH_INTERVAL,
    Topology,
    node_config,
)
from .slots import Addr, SlotMap

__all__ = ["Nodes"]

_READONLY = encode_command(b"READONLY")


class _Replica(RedisBackend):
    """A replica's connection: ``READONLY`` after the handshake, so it answers reads."""

    async def _handshake(self, transport: Transport, config: Config) -> Parser:
        parser = await super()._handshake(transport, config)
        reply = await _roundtrip(transport, parser, _READONLY, self.name)
        if type(reply) is ReplyError:
            raise response_error(reply)
        nothing_more(parser.buffered, b"READONLY", self.name)
        return parser


class Nodes(Topology):
    """The nodes of a cluster and its slot map (see the module comment)."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._nodes: dict[Addr, RedisBackend] = {}
        self._replicas: dict[Addr, RedisBackend] = {}
        self._refreshing = trio.Lock()
        self._next_refresh = -math.inf

    # -- life cycle --------------------------------------------------------------------------

    async def open(self) -> None:
        if not self._map.shards:
            await self._refresh(self._epoch, wait=False)

    async def aclose(self) -> None:
        self._closed = True
        self._map.routes = [None] * len(self._map.routes)
        nodes = [*self._nodes.values(), *self._replicas.values()]
        self._nodes.clear()
        self._replicas.clear()
        for node in nodes:
            await node.aclose()

    def _node(self, addr: Addr) -> RedisBackend:
        node = self._nodes.get(addr)
        if node is None:
            if self._closed:
                raise ConnectionError(f"connection to {self.name} is closed")
            node = self._nodes[addr] = RedisBackend(node_config(self._config, addr))
        return node

    def _replica(self, addr: Addr) -> RedisBackend:
        node = self._replicas.get(addr)
        if node is None:
            if self._closed:
                raise ConnectionError(f"connection to {self.name} is closed")
            node = self._replicas[addr] = _Replica(node_config(self._config, addr))
        return node

    # -- the slot map ------------------------------------------------------------------------

    async def _refresh(self, epoch: int, *, wait: bool = True) -> None:
        """Load the slot map again, unless a refresh finished since `epoch` was read."""
        async with self._refreshing:
            if self._epoch != epoch:
                return
            if wait:
                pause = self._next_refresh - trio.current_time()
                if pause > 0:
                    await trio.sleep(pause)
            try:
                self._map = await self._load_map()
            finally:
                self._epoch += 1
                self._next_refresh = trio.current_time() + REFRESH_INTERVAL

    async def _try_refresh(self, epoch: int) -> None:
        """Refresh, if any node answers (the caller's next attempt says what is wrong)."""
        with contextlib.suppress(ConnectionError):
            await self._refresh(epoch)

    def _refresh_soon(self) -> None:
        """Start a refresh in the background (a MOVED: the map is already patched)."""
        if self._refreshing.locked() or self._closed:
            return
        epoch = self._epoch

        async def refresh() -> None:
            with contextlib.suppress(Exception):  # the next command needing the map retries
                await self._refresh(epoch)

        trio.lowlevel.spawn_system_task(refresh, name=f"kvs cluster refresh {self.name}")

    async def _load_map(self) -> SlotMap:
        """The map from the first node that answers: known primaries, then the other known
        nodes, then the seeds of the URL."""
        errors: list[str] = []
        for addr in self._candidates():
            node = self._node(addr)
            try:
                self.refreshes += 1
                reply = await node.execute((b"CLUSTER", b"SHARDS"), idempotent=True)
                parse = SlotMap.from_shards
                if type(reply) is ReplyError and reply.code == "ERR":  # before Redis 7
                    reply = await node.execute((b"CLUSTER", b"SLOTS"), idempotent=True)
                    parse = SlotMap.from_slots
                if type(reply) is ReplyError:
                    raise response_error(reply)
                found = parse(reply, addr[0])
            except (ConnectionError, TimeoutError, ResponseError) as exc:
                errors.append(f"{addr[0]}:{addr[1]}: {exc}")
                continue
            if found.shards:
                return found
            errors.append(f"{addr[0]}:{addr[1]}: no slot is assigned")
        raise self._no_slots(errors)

    def _lost(self, addr: Addr, exc: ConnectionError) -> None:
        """A connection to `addr` failed.  When the node could not even be reached, drop it
        from the map until a refresh names it again, and forget its connection, so that the
        next use opens a fresh one at once rather than after the backoff of its failures; a
        connection that broke after a request only starts a refresh in the background."""
        if exc.sent:  # it may be alive (one connection broke): ask the others, meanwhile
            self._refresh_soon()
            return
        self._map.drop(addr)
        for table in (self._nodes, self._replicas):
            node = table.pop(addr, None)
            if node is not None:
                trio.lowlevel.spawn_system_task(node.aclose, name=f"kvs close {node.name}")
