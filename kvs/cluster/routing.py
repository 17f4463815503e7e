"""Where a command goes in a cluster, and how the replies of its parts come back together:
the decisions both cluster drivers (trio and blocking) share, with no I/O.

`plan(argv)` answers one of:

- `ToSlot(slot)`: the command's keys all hash to one slot: it goes to that slot's owner
  (a shard channel of SPUBLISH counts as a key);
- `Split(parts, combine)`: a multi-key command whose keys span slots (MGET, MSET, DEL,
  EXISTS, UNLINK, TOUCH): one command per slot, keys kept in argument order inside each, and
  `combine` rebuilds the one reply (MGET's values in argument order, the counts summed);
- `Fanout(combine)`: a command about the whole keyspace (KEYS, DBSIZE, FLUSHDB, SCRIPT LOAD,
  FUNCTION LOAD, ...): sent to every primary, the replies combined;
- `SCAN`: the keyspace scan, primary after primary (`scan_cursor` / `scan_reply`);
- `ANY`: no key: any primary answers.

Any other command whose keys span slots raises `kvs.ResponseError` with code ``CROSSSLOT``
before any I/O, as do transactions, WATCH blocks and scripts that do (`one_slot`).

`is_redirect` tells the replies that mean "not here, and nothing ran": MOVED, ASK, TRYAGAIN
and CLUSTERDOWN.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Container, Iterable, Sequence
from typing import Any, NamedTuple

from resp import ProtocolError as RespProtocolError
from resp import ReplyError

from .._errors import ConnectionError, ResponseError, WatchError
from .._url import Config
from ..commands.traits import IDEMPOTENT, SHARD_CHANNELS, argv_keys
from .slots import Addr, SlotMap, key_slot

__all__ = ["ANY", "ASKING", "NOT_SENT", "READS", "REDIRECTS", "REFRESH_INTERVAL", "SCAN", "Fanout",
           "Segment", "ShardReader", "Split", "ToSlot", "crossslot", "is_redirect",
           "node_config", "one_key_slot", "one_slot", "pipeline_segments", "plan", "scan_cursor",
           "scan_reply", "slot_moved", "Topology", "watch_redirect"]

# Seconds between two refreshes of the slot map, at least.
REFRESH_INTERVAL = 0.25
ASKING = (b"ASKING",)
NOT_SENT: Any = object()  # "no reply yet" (None is a reply: a missing key's)
REDIRECTS = frozenset({"MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN"})
# Commands a replica may answer (read_from="replica"): the idempotent ones that only read.
READS = IDEMPOTENT - {b"SET", b"MSET", b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT",
                      b"PING", b"ECHO", b"TIME", b"INFO", b"LASTSAVE", b"KEYS", b"SCAN",
                      b"DBSIZE", b"MEMORY", b"OBJECT"}

Combine = Callable[[list[Any]], Any]


class ToSlot(NamedTuple):
    slot: int


class Split(NamedTuple):
    parts: list[tuple[int, tuple[bytes, ...]]]  # (slot, argv), in slot order of first use
    combine: Combine


class Fanout(NamedTuple):
    combine: Combine


class _Kind(NamedTuple):
    name: str


ANY = _Kind("any")
SCAN = _Kind("scan")

Plan = ToSlot | Split | Fanout | _Kind


def node_config(config: Config, addr: Addr) -> Config:
    """The configuration of one node of the cluster of `config`.

    A node's connection does not retry by itself (``retries=0``): the cluster does, after a
    look at the map, so a dead node costs one refused connection rather than a backoff.
    """
    host, port = addr
    return config._replace(display=f"{host}:{port} of {config.display}", backend="redis",
                           host=host, port=port, servers=(), retries=0)


def crossslot(what: str) -> ResponseError:
    return ResponseError(f"CROSSSLOT Keys in request don't hash to the same slot ({what})",
                         "CROSSSLOT")


def _first_error(replies: Iterable[Any]) -> ReplyError | None:
    for reply in replies:
        if type(reply) is ReplyError:
            return reply
    return None


def _sum(replies: list[Any]) -> Any:
    return _first_error(replies) or sum(replies)


def _first(replies: list[Any]) -> Any:
    return _first_error(replies) or replies[0]


def _concat(replies: list[Any]) -> Any:
    error = _first_error(replies)
    if error is not None:
        return error
    return [item for reply in replies for item in reply]


def _all_of(replies: list[Any]) -> Any:
    """SCRIPT EXISTS: a script exists when every primary has it."""
    error = _first_error(replies)
    if error is not None:
        return error
    return [int(all(flags)) for flags in zip(*replies, strict=True)]


# Multi-key commands split by slot: name -> (step between keys, combine).
_SPLIT: dict[bytes, int] = {b"MGET": 1, b"DEL": 1, b"EXISTS": 1, b"UNLINK": 1, b"TOUCH": 1,
                            b"MSET": 2}

_FANOUT: dict[bytes, Combine] = {
    b"KEYS": _concat, b"DBSIZE": _sum, b"FLUSHDB": _first, b"FLUSHALL": _first,
    b"SCRIPT|LOAD": _first, b"SCRIPT|FLUSH": _first, b"SCRIPT|EXISTS": _all_of,
    b"FUNCTION|LOAD": _first, b"FUNCTION|FLUSH": _first, b"FUNCTION|DELETE": _first,
    b"FUNCTION|RESTORE": _first,
}

# Commands with one key in position 1: the hot path skips the general key finder.
_ONE_KEY = frozenset({
    b"GET", b"SET", b"INCR", b"INCRBY", b"DECR", b"DECRBY", b"HGET", b"HSET", b"LPUSH",
    b"RPUSH", b"LPOP", b"RPOP", b"EXPIRE", b"TTL", b"SADD", b"ZADD", b"HGETALL", b"LRANGE",
    b"SMEMBERS",
})


def one_key_slot(argv: tuple[bytes, ...]) -> int:
    """The slot of a command with its one key in position 1 (GET, SET, INCR, ...: no need
    for the key finder), or -1 for any other command."""
    if len(argv) > 1 and argv[0].upper() in _ONE_KEY:
        return key_slot(argv[1])
    return -1


def keys_of(argv: Sequence[bytes]) -> list[bytes]:
    """The keys of a command line, shard channels included (they route like keys)."""
    keys = argv_keys(argv)
    if not keys:
        spec = SHARD_CHANNELS.get(argv[0].upper())
        if spec is not None:
            first, last, step = spec
            stop = len(argv) + last if last < 0 else last
            keys = list(argv[first : stop + 1 : step])
    return keys


def plan(argv: tuple[bytes, ...]) -> Plan:
    """Where `argv` goes (see the module comment).

    Raises:
        kvs.ResponseError: ``CROSSSLOT``, its keys span slots and it cannot be split.
    """
    slot = one_key_slot(argv)
    if slot >= 0:
        return ToSlot(slot)
    name = argv[0].upper()
    keys = keys_of(argv)
    if not keys:
        if name == b"SCAN":
            return SCAN
        combine = _FANOUT.get(name)
        if combine is None and len(argv) > 1:
            combine = _FANOUT.get(name + b"|" + argv[1].upper())
        return ANY if combine is None else Fanout(combine)
    slot = key_slot(keys[0])
    for key in keys[1:]:
        if key_slot(key) != slot:
            break
    else:
        return ToSlot(slot)
    step = _SPLIT.get(name)
    if step is None:
        raise crossslot(argv[0].decode(errors="replace"))
    return _split(argv, step)


def _split(argv: tuple[bytes, ...], step: int) -> Split:
    name = argv[0]
    groups: dict[int, list[int]] = {}  # slot -> the positions of its keys in argv
    for position in range(1, len(argv), step):
        groups.setdefault(key_slot(argv[position]), []).append(position)
    parts = [(slot, (name, *[argv[p + i] for p in positions for i in range(step)]))
             for slot, positions in groups.items()]
    if name.upper() == b"MGET":
        order = list(groups.values())
        count = len(argv) - 1

        def values(replies: list[Any]) -> Any:
            error = _first_error(replies)
            if error is not None:
                return error
            result: list[Any] = [None] * count
            for positions, reply in zip(order, replies, strict=True):
                for position, value in zip(positions, reply, strict=True):
                    result[position - 1] = value
            return result

        return Split(parts, values)
    if step == 2:
        return Split(parts, _first)
    return Split(parts, _sum)


def one_slot(argvs: Iterable[Sequence[bytes]], what: str, slot: int | None = None) -> int | None:
    """The one slot of every key in `argvs` (None: no key at all), for a transaction, a
    WATCH block or a script; `slot` is one already fixed.

    Raises:
        kvs.ResponseError: ``CROSSSLOT``, before any I/O.
    """
    for argv in argvs:
        for key in keys_of(argv):
            found = key_slot(key)
            if slot is None:
                slot = found
            elif found != slot:
                raise crossslot(what)
    return slot


class Segment:
    """A run of a pipeline: commands of one slot each (`items`, split commands expanded
    into their parts), or one command that runs `alone` (a fan-out, a scan, no key)."""

    def __init__(self) -> None:
        self.items: list[tuple[int, tuple[bytes, ...]]] = []
        self.alone: tuple[int, tuple[bytes, ...]] | None = None
        # (position in the pipeline, first item, item count, combine or None)
        self._places: list[tuple[int, int, int, Combine | None]] = []

    def add(self, position: int, route: ToSlot | Split, argv: tuple[bytes, ...]) -> None:
        if type(route) is ToSlot:
            self._places.append((position, len(self.items), 1, None))
            self.items.append((route.slot, argv))
        else:
            assert type(route) is Split
            self._places.append((position, len(self.items), len(route.parts), route.combine))
            self.items.extend(route.parts)

    def put(self, replies: list[Any], results: list[Any]) -> None:
        """Write each command's reply (split ones combined) at its place in `results`."""
        for position, first, count, combine in self._places:
            if combine is None:
                results[position] = replies[first]
            else:
                results[position] = combine(replies[first : first + count])


def pipeline_segments(argvs: Sequence[tuple[bytes, ...]]) -> list[Segment]:
    """A pipeline cut into segments run one after the other (see `Segment`).

    Raises:
        kvs.ResponseError: ``CROSSSLOT``, a command spans slots and cannot be split.
    """
    segments: list[Segment] = []
    current = Segment()
    for position, argv in enumerate(argvs):
        route = plan(argv)
        if type(route) is ToSlot or type(route) is Split:
            current.add(position, route, argv)
            continue
        if current.items:
            segments.append(current)
            current = Segment()
        alone = Segment()
        alone.alone = (position, argv)
        segments.append(alone)
    if current.items:
        segments.append(current)
    return segments


class ShardReader:
    """A subscription's reader (`kvs.redis.frames.SubscriptionReader`) that notices a shard
    channel's slot moving: the server then ends the subscription itself (a SUNSUBSCRIBE
    nobody asked for, the channel still held), and this raises `resp.ProtocolError`, so the
    subscriber drops the connection and reopens it on the slot's new owner, with the gap."""

    def __init__(self, reader: Any, shards: dict[bytes, None]) -> None:
        self._reader = reader
        self._shards = shards

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        self._reader.feed(data)

    def next(self) -> Any:
        reply = self._reader.next()
        if isinstance(reply, list) and len(reply) == 3 and reply[0] == b"sunsubscribe" \
                and reply[1] in self._shards:
            raise RespProtocolError(f"the slot of shard channel {reply[1]!r} moved")
        return reply


def watch_redirect(result: Any, transaction: bool) -> ReplyError | None:
    """The redirection that refused a WATCH block's command (`result`, its reply) or
    transaction (`result`, the raw MULTI ... EXEC replies, refused as a whole), if any."""
    if not transaction:
        return result if is_redirect(result) else None
    if not isinstance(result[-1], ReplyError):
        return None
    return next((r for r in result[1:-1] if is_redirect(r)), None)


def slot_moved(slot: int | None, redirect: ReplyError) -> WatchError:
    """The error of a WATCH block whose slot moved (or is moving) after it had run something:
    the block's WATCH and reads were on the old owner, so it must run again."""
    return WatchError(f"the slot {slot} of this WATCH block moved while the block ran "
                      f"({redirect.message}); the command was not run: run the block again "
                      "(it then goes to the slot's new owner)")


def is_redirect(reply: object) -> bool:
    """Whether `reply` refuses the command without running it (MOVED, ASK, TRYAGAIN,
    CLUSTERDOWN)."""
    return type(reply) is ReplyError and reply.code in REDIRECTS


# SCAN over every primary: the client's cursor carries the index of the primary being scanned
# in its low bits and that primary's own cursor above them.
_SCAN_BITS = 10


def scan_cursor(argv: tuple[bytes, ...]) -> tuple[int, tuple[bytes, ...]]:
    """The primary to scan (its index in the sorted primaries) and the argv to send it."""
    try:
        cursor = int(argv[1])
    except (IndexError, ValueError):
        return 0, argv  # the server says what is wrong with it
    index = cursor & ((1 << _SCAN_BITS) - 1)
    return index, (argv[0], b"%d" % (cursor >> _SCAN_BITS), *argv[2:])


def scan_reply(reply: Any, index: int, primaries: int) -> Any:
    """A primary's SCAN page, its cursor turned into the client's cursor."""
    if type(reply) is not list or len(reply) != 2:
        return reply
    cursor = int(reply[0])
    if cursor:
        combined = (cursor << _SCAN_BITS) | index
    elif index + 1 < primaries:
        combined = index + 1
    else:
        combined = 0
    return [b"%d" % combined, reply[1]]


class Topology:
    """What both cluster drivers keep and decide with no I/O: the slot map and which node
    serves a slot, a keyless command, a fan-out, or a refresh.  ``_epoch`` counts the
    refreshes, so that a caller that waited for someone else's refresh can tell."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self.name = config.display
        self._timeout = config.timeout
        self._read_from = config.read_from
        self._map = SlotMap()
        self._epoch = 0
        self._closed = False
        self.refreshes = 0  # CLUSTER SHARDS (or SLOTS) asked

    def _owner(self, slot: int, read: bool,
               tried: Container[Addr] = ()) -> tuple[Addr | None, bool]:
        """The node for `slot` (None: no known owner), and whether it is a replica: for a
        read with ``read_from`` other than primary, one of the slot's replicas not in
        `tried`, at random, and the primary once there is none."""
        shard = self._map.shard(slot)
        if shard is None:
            return None, False
        if read and shard.replicas and self._read_from != "primary":
            replicas = [r for r in shard.replicas if r not in tried] if tried else shard.replicas
            if replicas:
                return random.choice(replicas), True
        return shard.primary, False

    def _any_primary(self) -> Addr:
        primaries = self._map.primaries()
        return primaries[0] if primaries else self._config.servers[0]

    def _every_primary(self) -> list[Addr]:
        """The primaries in a stable order (a SCAN cursor names one by its index)."""
        return sorted(self._map.primaries() or self._config.servers)

    def _candidates(self) -> list[Addr]:
        """Where to ask for the map: the known primaries, the other known nodes, the seeds."""
        return list(dict.fromkeys([*self._map.nodes(), *self._config.servers]))

    def _no_slots(self, errors: list[str]) -> ConnectionError:
        return ConnectionError(f"no node of {self.name} gave the cluster's slots: "
                               + "; ".join(errors), sent=False)
