"""Redis Cluster's slot maths and slot map, with no I/O.

- `key_slot`: CRC16-XMODEM of the key (or of its hash tag) modulo 16384.  A hash tag is the
  part between the first ``{`` and the first ``}`` after it, when that part is not empty:
  ``{user:1}:name`` and ``{user:1}:mail`` share a slot; ``{}x`` and ``x{`` hash whole.
- `SlotMap`: which shard (a primary and its replicas) owns each slot, built from the reply
  of ``CLUSTER SHARDS`` (Redis 7.0) or ``CLUSTER SLOTS`` (older servers) in RESP3 or RESP2
  shape, and patched in place by a ``MOVED`` redirection until the next refresh.
- `redirection`: the slot and address of a ``MOVED`` or ``ASK`` error reply.

Addresses are ``(host, port)`` tuples.  A node that announces no endpoint (``?`` or an empty
string, as a node does before it learns its own address) is taken to be at the host that
answered.
"""

from __future__ import annotations

import binascii
from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

__all__ = ["SLOTS", "Addr", "Shard", "SlotMap", "crc16", "key_slot", "redirection"]

SLOTS = 16384

Addr = tuple[str, int]


def crc16(data: bytes) -> int:
    """CRC16-XMODEM (polynomial 0x1021, initial value 0), as Redis Cluster uses it: the
    standard library's ``binascii.crc_hqx`` with 0 to start from."""
    return binascii.crc_hqx(data, 0)


def key_slot(key: bytes) -> int:
    """The cluster slot of `key` (0 to 16383), honouring ``{hash tags}``."""
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1 : end]
    return binascii.crc_hqx(key, 0) & (SLOTS - 1)


class Shard(NamedTuple):
    """One primary and its replicas (those the map reports as not failed)."""

    primary: Addr
    replicas: tuple[Addr, ...] = ()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)


def _pairs(value: Any) -> dict[str, Any]:
    """A RESP3 map or its RESP2 flat list, with text keys."""
    if isinstance(value, Mapping):
        return {_text(k): v for k, v in value.items()}
    items = list(value)
    return {_text(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}


def _endpoint(node: Mapping[str, Any], default_host: str) -> str:
    for field in ("endpoint", "ip"):
        raw = node.get(field)
        if raw is not None:
            host = _text(raw)
            if host and host != "?":
                return host
    return default_host


class SlotMap:
    """The owner of every slot.  ``shards[i]`` is a `Shard`; ``slots[s]`` the index of the
    shard owning slot ``s``, or -1 while no known shard owns it.

    ``routes[s]`` is the driver's to fill (None until it does: what it sends slot ``s``'s
    commands to, looked up once); `moved` and `drop` clear what they change, and a refreshed
    map starts empty, so a route never outlives the owner it was made for.
    """

    def __init__(self, shards: Sequence[Shard] = (),
                 ranges: Iterable[tuple[int, int, int]] = ()) -> None:
        self.shards: list[Shard] = list(shards)
        self.slots = array("h", [-1]) * SLOTS
        self.routes: list[Any] = [None] * SLOTS
        for index, first, last in ranges:
            for slot in range(first, last + 1):
                self.slots[slot] = index

    @classmethod
    def from_shards(cls, reply: Any, host: str) -> SlotMap:
        """The map from a ``CLUSTER SHARDS`` reply; `host` answered it."""
        shards: list[Shard] = []
        ranges: list[tuple[int, int, int]] = []
        for raw in reply:
            shard = _pairs(raw)
            primary: Addr | None = None
            replicas: list[Addr] = []
            for raw_node in shard.get("nodes") or ():
                node = _pairs(raw_node)
                health = _text(node.get("health", "online"))
                port = node.get("port") or node.get("tls-port")
                if port is None:
                    continue
                addr = (_endpoint(node, host), int(port))
                if _text(node.get("role", "")) == "master":
                    if health != "failed":
                        primary = addr
                elif health == "online":
                    replicas.append(addr)
            bounds = [int(b) for b in shard.get("slots") or ()]
            if primary is None or not bounds:
                continue
            index = len(shards)
            shards.append(Shard(primary, tuple(replicas)))
            ranges.extend((index, bounds[i], bounds[i + 1]) for i in range(0, len(bounds) - 1, 2))
        return cls(shards, ranges)

    @classmethod
    def from_slots(cls, reply: Any, host: str) -> SlotMap:
        """The map from a ``CLUSTER SLOTS`` reply; `host` answered it."""
        shards: list[Shard] = []
        index_of: dict[Addr, int] = {}
        ranges: list[tuple[int, int, int]] = []
        for entry in reply:
            first, last, *nodes = entry
            addrs = []
            for node in nodes:
                name = _text(node[0])
                addrs.append((name if name and name != "?" else host, int(node[1])))
            if not addrs:
                continue
            primary = addrs[0]
            index = index_of.get(primary)
            if index is None:
                index = index_of[primary] = len(shards)
                shards.append(Shard(primary, tuple(addrs[1:])))
            ranges.append((index, int(first), int(last)))
        return cls(shards, ranges)

    def owner(self, slot: int) -> Addr | None:
        index = self.slots[slot]
        return None if index < 0 else self.shards[index].primary

    def shard(self, slot: int) -> Shard | None:
        index = self.slots[slot]
        return None if index < 0 else self.shards[index]

    def primaries(self) -> list[Addr]:
        """Every primary that owns a slot, in the order of the slots they own."""
        seen: dict[Addr, None] = {}
        owning = set(self.slots)
        for index, shard in enumerate(self.shards):
            if index in owning:
                seen.setdefault(shard.primary, None)
        return list(seen)

    def nodes(self) -> list[Addr]:
        """Every node the map knows, primaries first."""
        found: dict[Addr, None] = dict.fromkeys(self.primaries())
        for shard in self.shards:
            found.setdefault(shard.primary, None)
            for replica in shard.replicas:
                found.setdefault(replica, None)
        return list(found)

    def covered(self) -> bool:
        """Whether every slot has an owner."""
        return -1 not in self.slots

    def moved(self, slot: int, addr: Addr) -> None:
        """Record a ``MOVED``: `addr` is now the primary of `slot`."""
        self.routes[slot] = None
        for index, shard in enumerate(self.shards):
            if shard.primary == addr:
                self.slots[slot] = index
                return
        self.shards.append(Shard(addr))
        self.slots[slot] = len(self.shards) - 1

    def drop(self, addr: Addr) -> None:
        """Forget a node that stopped answering: the slots it owned have no owner (until a
        refresh names one), and it serves no reads as a replica."""
        self.routes = [None] * SLOTS
        for index, shard in enumerate(self.shards):
            if shard.primary == addr:
                for slot in range(SLOTS):
                    if self.slots[slot] == index:
                        self.slots[slot] = -1
            elif addr in shard.replicas:
                self.shards[index] = Shard(shard.primary,
                                           tuple(r for r in shard.replicas if r != addr))


def redirection(message: str, host: str) -> tuple[int, Addr] | None:
    """The slot and address of a ``MOVED slot host:port`` or ``ASK slot host:port`` error
    message (its code word first), or None when it is not one.  An empty host means the node
    that answered, `host`."""
    parts = message.split()
    if len(parts) < 3 or not parts[1].isdigit():
        return None
    target, _, port = parts[2].rpartition(":")
    if not port.isdigit():
        return None
    if target.startswith("[") and target.endswith("]"):
        target = target[1:-1]
    return int(parts[1]), (target or host, int(port))
