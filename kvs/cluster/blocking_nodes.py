"""The node set and the slot map of the blocking cluster backend: one
`kvs.redis.blocking.RedisBackend` per node (replicas with ``READONLY``), made on first use,
and the map loaded, patched and refreshed one refresh at a time; `kvs.cluster.blocking`
routes commands over it."""

from __future__ import annotations

import contextlib
import threading
import time

from resp import NEED_DATA, ReplyError, encode_command

from .._errors import ConnectionError, ResponseError, TimeoutError, response_error
from .._url import Config
from ..redis.blocking import RedisBackend
from ..redis.handshake import nothing_more
from ..sync.transport import BlockingConnection
from .routing import (
    REFRESH_INTERVAL,
    Topology,
    node_config,
)
from .slots import Addr, SlotMap

__all__ = ["Nodes"]

_READONLY = encode_command(b"READONLY")


class _Replica(RedisBackend):
    """A replica's connections: ``READONLY`` after the handshake, so they answer reads."""

    def _open(self, config: Config | None = None) -> BlockingConnection:
        conn = super()._open(config)
        try:
            reply = conn.request(_READONLY, 1, NEED_DATA)[0]
            if type(reply) is ReplyError:
                raise response_error(reply)
            nothing_more(conn.out_of_step, b"READONLY", self.name)
        except BaseException:
            conn.close()
            raise
        return conn


class Nodes(Topology):
    """The nodes of a cluster and its slot map (see the module comment)."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._nodes: dict[Addr, RedisBackend] = {}
        self._replicas: dict[Addr, RedisBackend] = {}
        self._lock = threading.Lock()  # the node tables and patches to the map
        self._refreshing = threading.Lock()
        self._next_refresh = 0.0

    def open(self) -> None:
        if not self._map.shards:
            self._refresh(self._epoch, wait=False)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            nodes = [*self._nodes.values(), *self._replicas.values()]
            self._nodes.clear()
            self._replicas.clear()
        for node in nodes:
            node.close()

    def _node(self, addr: Addr, replica: bool = False) -> RedisBackend:
        table = self._replicas if replica else self._nodes
        node = table.get(addr)
        if node is None:
            with self._lock:
                if self._closed:
                    raise ConnectionError(f"connection to {self.name} is closed")
                node = table.get(addr)
                if node is None:
                    kind = _Replica if replica else RedisBackend
                    node = table[addr] = kind(node_config(self._config, addr))
        return node

    # -- the slot map ------------------------------------------------------------------------

    def _refresh(self, epoch: int, *, wait: bool = True) -> None:
        with self._refreshing:
            if self._epoch != epoch:
                return
            if wait:
                pause = self._next_refresh - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            try:
                self._map = self._load_map()
            finally:
                self._epoch += 1
                self._next_refresh = time.monotonic() + REFRESH_INTERVAL

    def _try_refresh(self, epoch: int) -> None:
        with contextlib.suppress(ConnectionError):
            self._refresh(epoch)

    def _refresh_soon(self) -> None:
        """Refresh now in this thread, unless another one is or one ran just now."""
        if self._closed or time.monotonic() < self._next_refresh:
            return
        epoch = self._epoch
        if self._refreshing.acquire(blocking=False):
            self._refreshing.release()
            with contextlib.suppress(ConnectionError):
                self._refresh(epoch, wait=False)

    def _load_map(self) -> SlotMap:
        errors: list[str] = []
        for addr in self._candidates():
            node = self._node(addr)
            try:
                self.refreshes += 1
                reply = node.execute((b"CLUSTER", b"SHARDS"), idempotent=True)
                parse = SlotMap.from_shards
                if type(reply) is ReplyError and reply.code == "ERR":  # before Redis 7
                    reply = node.execute((b"CLUSTER", b"SLOTS"), idempotent=True)
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

    def _moved(self, target: tuple[int, Addr]) -> None:
        with self._lock:
            self._map.moved(target[0], target[1])
        self._refresh_soon()

    def _drop(self, addr: Addr) -> None:
        with self._lock:
            self._map.drop(addr)

    def _lost(self, addr: Addr, exc: ConnectionError) -> None:
        """As the trio driver's: drop `addr` from the map, and forget its pool when it could
        not be reached at all."""
        if exc.sent:
            self._refresh_soon()
            return
        self._drop(addr)
        with self._lock:
            nodes = [table.pop(addr, None) for table in (self._nodes, self._replicas)]
        for node in nodes:
            if node is not None:
                node.close()
