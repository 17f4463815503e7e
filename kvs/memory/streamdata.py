"""The stream value of the in-process store: entries, radix-tree nodes, consumer groups.

Theory of operation: a `Stream` keeps its live entries twice, ``entries`` (id -> the flat
field/value tuple) and ``order`` (the live ids, sorted), so an append is O(1) and a range a
bisection.  Ids are ``(ms, seq)`` tuples of two unsigned 64-bit integers, whose tuple order is
Redis's order.

Redis stores a stream as a radix tree of listpacks ("nodes"), and approximate trimming
(``MAXLEN ~``, ``MINID ~``) only ever removes whole nodes, so the length after it depends on
where the node boundaries are.  `Node` models one listpack with Redis 7.0's default
configuration: a node takes a new entry while it holds fewer than 100 entries (deleted ones
included) and while its size in bytes, computed with the listpack encoding
(`_element_size`), plus the new entry's fields and values stays under 4096
(``stream-node-max-entries``, ``stream-node-max-bytes``).  XDEL and exact trimming mark
entries deleted in their node, which is freed when its last live entry goes, as in Redis.

A consumer group (`Group`) has its last delivered id, its read counter (``entries_read``,
None when Redis calls it invalid), its consumers and its pending entries list: id -> `Nack`
(owner, last delivery time in Unix milliseconds, delivery count); each consumer keeps the
same `Nack` objects in its own ``pel``.  Groups and consumers are listed by name in byte
order and pending entries by id, as Redis's radix trees list them.
"""

from __future__ import annotations

import copy
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

from kvs.memory.numbers import parse_int

__all__ = [
    "MAX_ID", "U64", "Consumer", "Group", "Nack", "Node", "Stream", "StreamID",
    "format_id", "next_id", "prev_id", "rax_node_count",
]

StreamID = tuple[int, int]
U64 = 2**64 - 1
MAX_ID: StreamID = (U64, U64)

NODE_MAX_ENTRIES = 100  # stream-node-max-entries
NODE_MAX_BYTES = 4096  # stream-node-max-bytes


def format_id(sid: StreamID) -> bytes:
    return b"%d-%d" % sid


def next_id(sid: StreamID) -> StreamID | None:
    """The id right after `sid`, or None after the last possible one."""
    ms, seq = sid
    if seq < U64:
        return ms, seq + 1
    if ms < U64:
        return ms + 1, 0
    return None


def prev_id(sid: StreamID) -> StreamID | None:
    """The id right before `sid`, or None before 0-0."""
    ms, seq = sid
    if seq > 0:
        return ms, seq - 1
    if ms > 0:
        return ms - 1, U64
    return None


# -- the listpack size of a node ------------------------------------------------------------


def _int_size(value: int) -> int:
    if 0 <= value <= 127:
        return 1
    if -4096 <= value <= 4095:
        return 2
    if -32768 <= value <= 32767:
        return 3
    if -8388608 <= value <= 8388607:
        return 4
    if -(2**31) <= value < 2**31:
        return 5
    return 9


def _element_size(data: bytes) -> int:
    """The bytes one listpack element takes (encoding, data and back-length)."""
    value = parse_int(data) if len(data) < 21 else None
    if value is not None:
        return _int_size(value) + 1
    n = len(data)
    size = 1 + n if n < 64 else (2 + n if n < 4096 else 5 + n)
    for limit, backlen in ((127, 1), (16382, 2), (2097150, 3), (268435454, 4)):
        if size <= limit:
            return size + backlen
    return size + 5


def _delta(value: int) -> int:
    """An unsigned difference as the signed 64-bit integer Redis stores."""
    return ((value + 2**63) % 2**64) - 2**63


class Node:
    """One listpack of the radix tree: its master id and fields, every id it holds
    (deleted ones too), its live count and its size in bytes."""

    __slots__ = ("fields", "ids", "live", "master", "size")

    def __init__(self, sid: StreamID, flat: Sequence[bytes]) -> None:
        self.master = sid
        self.fields = tuple(flat[::2])
        self.ids: list[StreamID] = []
        self.live = 0
        # header and end byte; count, deleted, number of fields, the fields, terminator
        # (each small integer is one byte and a one-byte back-length)
        self.size = 7 + 2 + 2 + _int_size(len(self.fields)) + 1 + 2 + sum(
            _element_size(f) for f in self.fields)

    def add(self, sid: StreamID, flat: Sequence[bytes]) -> None:
        fields = flat[::2]
        same = len(fields) == len(self.fields) and all(
            a == b for a, b in zip(fields, self.fields, strict=True))
        size = 2 + _int_size(_delta(sid[0] - self.master[0])) + 1 + _int_size(
            _delta(sid[1] - self.master[1])) + 1  # flags, ms and seq differences
        pieces = len(fields) + 3
        if same:
            size += sum(_element_size(v) for v in flat[1::2])
        else:
            size += _int_size(len(fields)) + 1 + sum(_element_size(x) for x in flat)
            pieces += len(fields) + 1
        self.size += size + _int_size(pieces) + 1
        self.ids.append(sid)
        self.live += 1

    def full_for(self, flat: Sequence[bytes]) -> bool:
        return (self.size + sum(len(x) for x in flat) >= NODE_MAX_BYTES
                or len(self.ids) >= NODE_MAX_ENTRIES)


# -- consumer groups ------------------------------------------------------------------------


class Nack:
    """A pending entry: who has it, when it was last delivered, how many times."""

    __slots__ = ("consumer", "count", "time")

    def __init__(self, consumer: Consumer | None, time: int) -> None:
        self.consumer = consumer
        self.time = time
        self.count = 1


class Consumer:
    __slots__ = ("name", "pel", "seen")

    def __init__(self, name: bytes, seen: int) -> None:
        self.name = name
        self.pel: dict[StreamID, Nack] = {}
        self.seen = seen


class Group:
    __slots__ = ("consumers", "entries_read", "last_id", "pel")

    def __init__(self, last_id: StreamID, entries_read: int | None) -> None:
        self.last_id = last_id
        self.entries_read = entries_read
        self.consumers: dict[bytes, Consumer] = {}
        self.pel: dict[StreamID, Nack] = {}

    def consumer(self, name: bytes, now: int, *, refresh: bool = True) -> Consumer:
        """The consumer `name`, created if missing; its seen time refreshed."""
        found = self.consumers.get(name)
        if found is None:
            found = self.consumers[name] = Consumer(name, now)
        elif refresh:
            found.seen = now
        return found

    def remove_nack(self, sid: StreamID) -> Nack | None:
        nack = self.pel.pop(sid, None)
        if nack is not None and nack.consumer is not None:
            nack.consumer.pel.pop(sid, None)
        return nack

    def sorted_pel(self, pel: dict[StreamID, Nack] | None = None) -> list[StreamID]:
        return sorted(self.pel if pel is None else pel)


# -- the stream -----------------------------------------------------------------------------


class Stream:
    """A stream value (see the module's theory of operation)."""

    def __init__(self) -> None:
        self.entries: dict[StreamID, tuple[bytes, ...]] = {}
        self.order: list[StreamID] = []
        self.nodes: list[Node] = []
        self.masters: list[StreamID] = []  # the master id of each node, for bisection
        self.last_id: StreamID = (0, 0)
        self.first_id: StreamID = (0, 0)
        self.max_deleted: StreamID = (0, 0)
        self.entries_added = 0
        self.groups: dict[bytes, Group] = {}

    # WATCH compares values: only the entries count, as only XADD, XDEL and XTRIM signal
    # a modified key in Redis 7.0.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Stream):
            return NotImplemented
        return self.order == other.order and self.entries == other.entries

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> Stream:
        return copy.deepcopy(self)

    def __len__(self) -> int:
        return len(self.order)

    def __bool__(self) -> bool:  # an empty stream is still a value
        return True

    def append(self, sid: StreamID, flat: Sequence[bytes]) -> None:
        nodes = self.nodes
        node = nodes[-1] if nodes else None
        if node is None or node.full_for(flat):
            node = Node(sid, flat)
            nodes.append(node)
            self.masters.append(sid)
        node.add(sid, flat)
        self.entries[sid] = tuple(flat)
        self.order.append(sid)
        self.entries_added += 1
        self.last_id = sid
        if len(self.order) == 1:
            self.first_id = sid

    def _node_index(self, sid: StreamID) -> int:
        return bisect_right(self.masters, sid) - 1

    def delete(self, sid: StreamID) -> bool:
        """Delete the live entry `sid` (XDEL); whether it was there."""
        if self.entries.pop(sid, None) is None:
            return False
        order = self.order
        del order[bisect_left(order, sid)]
        index = self._node_index(sid)
        node = self.nodes[index]
        node.live -= 1
        if node.live == 0:
            del self.nodes[index], self.masters[index]
        return True

    def range(self, start: StreamID, end: StreamID, count: int = 0,
              rev: bool = False) -> list[StreamID]:
        """The live ids from `start` to `end` inclusive, at most `count` (0: all)."""
        order = self.order
        lo = bisect_left(order, start)
        hi = bisect_right(order, end)
        if lo >= hi:
            return []
        if rev:
            first = lo if not count else max(lo, hi - count)
            picked = order[first:hi]
            picked.reverse()
            return picked
        return order[lo:hi] if not count else order[lo:min(hi, lo + count)]

    def reply_entries(self, ids: Iterable[StreamID]) -> list[Any]:
        entries = self.entries
        return [[format_id(sid), list(entries[sid])] for sid in ids]

    def last_valid_id(self) -> StreamID:
        return self.order[-1] if self.order else (0, 0)

    # -- trimming -------------------------------------------------------------------------

    def trim(self, maxlen: int | None, minid: StreamID | None, approx: bool,
             limit: int) -> int:
        """Redis's ``streamTrim``: remove entries from the head; the number removed."""
        deleted = 0
        nodes, entries = self.nodes, self.entries
        dropped_nodes = 0
        while dropped_nodes < len(nodes):
            node = nodes[dropped_nodes]
            if maxlen is not None and len(self.order) - deleted <= maxlen:
                break
            if limit and deleted + node.live > limit:
                break
            if maxlen is not None:
                whole = len(self.order) - deleted - node.live >= maxlen
            else:
                assert minid is not None
                whole = node.ids[-1] < minid
            if whole:
                for sid in node.ids:
                    entries.pop(sid, None)
                deleted += node.live
                dropped_nodes += 1
                continue
            if approx:
                break
            length = len(self.order) - deleted
            for sid in node.ids:
                if (length <= maxlen) if maxlen is not None else (sid >= minid):  # type: ignore[operator]
                    break
                if sid in entries:
                    del entries[sid]
                    node.live -= 1
                    length -= 1
                    deleted += 1
            break
        if dropped_nodes:
            del nodes[:dropped_nodes], self.masters[:dropped_nodes]
        if deleted:
            del self.order[:deleted]
        if not self.order:
            self.first_id = (0, 0)
        elif deleted:
            self.first_id = self.order[0]
        return deleted

    # -- the read counter and lag of groups ------------------------------------------------

    def has_tombstones(self, start: StreamID | None) -> bool:
        """``streamRangeHasTombstones(start, +)``."""
        if not self.order or self.max_deleted == (0, 0):
            return False
        if self.first_id > self.max_deleted:
            return False
        return (start or (0, 0)) <= self.max_deleted

    def estimate_read(self, sid: StreamID) -> int | None:
        """``streamEstimateDistanceFromFirstEverEntry``; None when it cannot be known."""
        if not self.entries_added:
            return 0
        if not self.order and sid <= self.last_id:
            return self.entries_added
        if sid == self.last_id:
            return self.entries_added
        if sid > self.last_id:
            return None
        if self.max_deleted == (0, 0) or self.max_deleted < self.first_id:
            if sid < self.first_id:
                return self.entries_added - len(self.order)
            if sid == self.first_id:
                return self.entries_added - len(self.order) + 1
        return None

    def lag(self, group: Group) -> int | None:
        if not self.entries_added:
            return 0
        if group.entries_read is not None and not self.has_tombstones(group.last_id):
            return self.entries_added - group.entries_read
        read = self.estimate_read(group.last_id)
        return None if read is None else self.entries_added - read

    def advance(self, group: Group, sid: StreamID) -> None:
        """A group delivers `sid`, past its last id: move its last id and read counter."""
        if group.entries_read is not None and not self.has_tombstones(sid):
            group.entries_read += 1
        elif self.entries_added:
            group.entries_read = self.estimate_read(sid)
        group.last_id = sid


def rax_node_count(keys: Sequence[bytes]) -> int:
    """The nodes of a compressed radix tree holding `keys` (sorted, of one length), as
    XINFO STREAM's ``radix-tree-nodes`` counts them."""
    if not keys:
        return 1
    width = len(keys[0])

    def count(lo: int, hi: int, depth: int) -> int:
        # keys[lo:hi] share their first `depth` bytes
        if hi - lo == 1:
            return 1 if depth == width else 2
        first, last = keys[lo], keys[hi - 1]
        common = depth
        while first[common] == last[common]:
            common += 1
        total = 1 if common > depth else 0  # a compressed node for the shared run
        total += 1  # the branching node
        i = lo
        while i < hi:
            byte = keys[i][common]
            j = i + 1
            while j < hi and keys[j][common] == byte:
                j += 1
            total += count(i, j, common + 1)
            i = j
        return total

    return count(0, len(keys), 0)
