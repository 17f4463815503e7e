"""What the rest of kvs needs to know about a command it did not build: whether a retry is
safe, whether it blocks, whether it changes its connection's state, and where its keys are.

`argv_keys` finds the keys of any Redis 7.0 command from `KEY_POSITIONS` (first key, last key,
step, as Redis's command table states them; a negative last counts from the end) and, for the
commands whose keys move with their arguments (EVAL's numkeys, XREAD's STREAMS, ...), from a
rule per command, with the semantics of ``COMMAND GETKEYS``.  Cluster routing and the
memcached planner read it; nothing here does I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .._errors import UnsupportedOperation
from ._call import at_positions

__all__ = [
    "BLOCKING", "CONNECTION_STATE", "IDEMPOTENT", "KEY_POSITIONS", "SHARD_CHANNELS", "SPECIAL",
    "argv_keys",
    "blocking_seconds", "is_blocking", "refuse_blocking", "refuse_connection_state",
]

# Commands that `execute` may retry after a broken connection: they read, or set a state and
# answer the same the second time.
IDEMPOTENT = frozenset({
    b"GET", b"MGET", b"EXISTS", b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME", b"TYPE",
    b"STRLEN", b"GETRANGE", b"KEYS", b"SCAN", b"DBSIZE", b"LRANGE", b"LLEN", b"LINDEX", b"LPOS",
    b"HGET", b"HMGET", b"HGETALL", b"HKEYS", b"HVALS", b"HLEN", b"HEXISTS", b"HSTRLEN", b"HSCAN",
    b"SMEMBERS", b"SISMEMBER", b"SMISMEMBER", b"SCARD", b"SSCAN", b"SINTER", b"SUNION", b"SDIFF",
    b"SRANDMEMBER", b"ZRANGE", b"ZREVRANGE", b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE", b"ZSCORE",
    b"ZMSCORE", b"ZCARD", b"ZCOUNT", b"ZRANK", b"ZREVRANK", b"ZSCAN", b"XRANGE", b"XREVRANGE",
    b"XLEN", b"PING", b"ECHO", b"TIME", b"INFO", b"LASTSAVE", b"MEMORY", b"OBJECT", b"PFCOUNT",
    b"GETBIT", b"BITCOUNT", b"BITPOS", b"GEOPOS", b"GEODIST", b"GEOHASH", b"SET", b"MSET",
    b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT", b"XREAD", b"XPENDING", b"XINFO",
    b"EVAL_RO", b"EVALSHA_RO", b"FCALL_RO",  # read-only scripts: the server refuses writes
})


# Commands that may wait on the server for as long as they like: never on a shared connection.
BLOCKING = frozenset({
    b"BLPOP", b"BRPOP", b"BRPOPLPUSH", b"BLMOVE", b"BLMPOP", b"BZPOPMIN", b"BZPOPMAX", b"BZMPOP",
    b"WAIT", b"WAITAOF",
})

# Commands that change the state of the connection itself, which every user of a shared or
# pooled connection would then inherit.
CONNECTION_STATE = frozenset({
    b"MULTI", b"EXEC", b"DISCARD", b"WATCH", b"UNWATCH", b"SUBSCRIBE", b"PSUBSCRIBE",
    b"SSUBSCRIBE", b"UNSUBSCRIBE", b"PUNSUBSCRIBE", b"SUNSUBSCRIBE", b"MONITOR", b"SELECT",
    b"HELLO", b"AUTH", b"RESET", b"QUIT", b"SYNC", b"PSYNC",
})

# The names a backend must look at before sending (a cheap first test on the hot path).
SPECIAL = BLOCKING | CONNECTION_STATE | {b"XREAD", b"XREADGROUP", b"CLIENT"}


def _xread_block(argv: tuple[bytes, ...]) -> bytes | None:
    """The BLOCK argument of XREAD/XREADGROUP, read among the options before STREAMS (a key
    or an id spelled "block" is no option), or None."""
    i, n = 1, len(argv)
    while i < n:
        word = argv[i].upper()
        if word == b"STREAMS":
            return None
        if word in (b"BLOCK", b"COUNT") and i + 1 < n:
            if word == b"BLOCK":
                return argv[i + 1]
            i += 2
        elif word == b"GROUP":
            i += 3
        else:
            i += 1
    return None


def is_blocking(argv: tuple[bytes, ...]) -> bool:
    """Whether the command may block its connection (BLPOP, XREAD ... BLOCK, ...)."""
    name = argv[0].upper()
    if name in (b"XREAD", b"XREADGROUP"):
        return _xread_block(argv) is not None
    return name in BLOCKING



def blocking_seconds(argv: tuple[bytes, ...]) -> float | None:
    """How long a blocking command may wait on the server, in seconds; None: for ever.

    BLPOP, BRPOP, BZPOPMIN, BZPOPMAX, BRPOPLPUSH and BLMOVE end with their timeout in
    seconds, BLMPOP and BZMPOP start with it, XREAD and XREADGROUP take ``BLOCK``
    milliseconds and WAIT and WAITAOF end with milliseconds; 0 means for ever.  A timeout
    that does not parse (or is negative) adds nothing: the server refuses the command at once.
    """
    name = argv[0].upper()
    raw: bytes | None = None
    scale = 1.0
    if name in (b"BLMPOP", b"BZMPOP"):
        raw = argv[1] if len(argv) > 1 else None
    elif name in (b"XREAD", b"XREADGROUP"):
        raw, scale = _xread_block(argv), 0.001
    elif name in (b"WAIT", b"WAITAOF"):
        raw, scale = argv[-1], 0.001
    elif len(argv) > 1:
        raw = argv[-1]
    try:
        seconds = float(raw) * scale if raw is not None else -1.0
    except ValueError:
        return 0.0
    if seconds == 0:
        return None
    return seconds if 0 < seconds < math.inf else 0.0


def refuse_blocking(argv: tuple[bytes, ...]) -> None:
    """Raise `UnsupportedOperation` for a blocking command queued in a plain pipeline."""
    if is_blocking(argv):
        raise UnsupportedOperation(
            f"pipeline: {argv[0].decode(errors='replace')} blocks its connection; run it "
            "alone (it then gets a connection of its own) or in a transaction (where it "
            "answers at once)")


def refuse_connection_state(argv: tuple[bytes, ...]) -> None:
    """Raise `UnsupportedOperation` for a command that changes its connection's state."""
    name = argv[0].upper()
    if name in CONNECTION_STATE or (
            name == b"CLIENT" and len(argv) > 1 and argv[1].upper() in (b"REPLY", b"TRACKING")):
        raise UnsupportedOperation(
            f"execute: {argv[0].decode(errors='replace')} changes the state of the connection, "
            "which other tasks share; it is not supported through execute()")


# Redis 7.0's key positions, by command (subcommands as ``CONTAINER|SUB``).
KEY_POSITIONS: dict[bytes, tuple[int, int, int]] = {
    b"APPEND": (1, 1, 1), b"BITCOUNT": (1, 1, 1), b"BITFIELD": (1, 1, 1),
    b"BITFIELD_RO": (1, 1, 1), b"BITOP": (2, -1, 1), b"BITPOS": (1, 1, 1), b"BLMOVE": (1, 2, 1),
    b"BLPOP": (1, -2, 1), b"BRPOP": (1, -2, 1), b"BRPOPLPUSH": (1, 2, 1),
    b"BZPOPMAX": (1, -2, 1), b"BZPOPMIN": (1, -2, 1), b"COPY": (1, 2, 1), b"DECR": (1, 1, 1),
    b"DECRBY": (1, 1, 1), b"DEL": (1, -1, 1), b"DUMP": (1, 1, 1), b"EXISTS": (1, -1, 1),
    b"EXPIRE": (1, 1, 1), b"EXPIREAT": (1, 1, 1), b"EXPIRETIME": (1, 1, 1),
    b"GEOADD": (1, 1, 1), b"GEODIST": (1, 1, 1), b"GEOHASH": (1, 1, 1), b"GEOPOS": (1, 1, 1),
    b"GEORADIUS": (1, 1, 1), b"GEORADIUS_RO": (1, 1, 1), b"GEORADIUSBYMEMBER": (1, 1, 1),
    b"GEORADIUSBYMEMBER_RO": (1, 1, 1), b"GEOSEARCH": (1, 1, 1), b"GEOSEARCHSTORE": (1, 2, 1),
    b"GET": (1, 1, 1), b"GETBIT": (1, 1, 1), b"GETDEL": (1, 1, 1), b"GETEX": (1, 1, 1),
    b"GETRANGE": (1, 1, 1), b"GETSET": (1, 1, 1), b"HDEL": (1, 1, 1), b"HEXISTS": (1, 1, 1),
    b"HGET": (1, 1, 1), b"HGETALL": (1, 1, 1), b"HINCRBY": (1, 1, 1),
    b"HINCRBYFLOAT": (1, 1, 1), b"HKEYS": (1, 1, 1), b"HLEN": (1, 1, 1), b"HMGET": (1, 1, 1),
    b"HMSET": (1, 1, 1), b"HRANDFIELD": (1, 1, 1), b"HSCAN": (1, 1, 1), b"HSET": (1, 1, 1),
    b"HSETNX": (1, 1, 1), b"HSTRLEN": (1, 1, 1), b"HVALS": (1, 1, 1), b"INCR": (1, 1, 1),
    b"INCRBY": (1, 1, 1), b"INCRBYFLOAT": (1, 1, 1), b"LCS": (1, 2, 1), b"LINDEX": (1, 1, 1),
    b"LINSERT": (1, 1, 1), b"LLEN": (1, 1, 1), b"LMOVE": (1, 2, 1), b"LPOP": (1, 1, 1),
    b"LPOS": (1, 1, 1), b"LPUSH": (1, 1, 1), b"LPUSHX": (1, 1, 1), b"LRANGE": (1, 1, 1),
    b"LREM": (1, 1, 1), b"LSET": (1, 1, 1), b"LTRIM": (1, 1, 1), b"MEMORY|USAGE": (2, 2, 1),
    b"MGET": (1, -1, 1), b"MIGRATE": (3, 3, 1), b"MOVE": (1, 1, 1), b"MSET": (1, -1, 2),
    b"MSETNX": (1, -1, 2), b"OBJECT|ENCODING": (2, 2, 1), b"OBJECT|FREQ": (2, 2, 1),
    b"OBJECT|IDLETIME": (2, 2, 1), b"OBJECT|REFCOUNT": (2, 2, 1), b"PERSIST": (1, 1, 1),
    b"PEXPIRE": (1, 1, 1), b"PEXPIREAT": (1, 1, 1), b"PEXPIRETIME": (1, 1, 1),
    b"PFADD": (1, 1, 1), b"PFCOUNT": (1, -1, 1), b"PFDEBUG": (2, 2, 1), b"PFMERGE": (1, -1, 1),
    b"PSETEX": (1, 1, 1), b"PTTL": (1, 1, 1), b"RENAME": (1, 2, 1), b"RENAMENX": (1, 2, 1),
    b"RESTORE": (1, 1, 1), b"RESTORE-ASKING": (1, 1, 1), b"RPOP": (1, 1, 1),
    b"RPOPLPUSH": (1, 2, 1), b"RPUSH": (1, 1, 1), b"RPUSHX": (1, 1, 1), b"SADD": (1, 1, 1),
    b"SCARD": (1, 1, 1), b"SDIFF": (1, -1, 1), b"SDIFFSTORE": (1, -1, 1), b"SET": (1, 1, 1),
    b"SETBIT": (1, 1, 1), b"SETEX": (1, 1, 1), b"SETNX": (1, 1, 1), b"SETRANGE": (1, 1, 1),
    b"SINTER": (1, -1, 1), b"SINTERSTORE": (1, -1, 1), b"SISMEMBER": (1, 1, 1),
    b"SMEMBERS": (1, 1, 1), b"SMISMEMBER": (1, 1, 1), b"SMOVE": (1, 2, 1), b"SORT": (1, 1, 1),
    b"SORT_RO": (1, 1, 1), b"SPOP": (1, 1, 1),
    b"SRANDMEMBER": (1, 1, 1), b"SREM": (1, 1, 1), b"SSCAN": (1, 1, 1),
    b"STRLEN": (1, 1, 1), b"SUBSTR": (1, 1, 1),
    b"SUNION": (1, -1, 1), b"SUNIONSTORE": (1, -1, 1),
    b"TOUCH": (1, -1, 1), b"TTL": (1, 1, 1), b"TYPE": (1, 1, 1), b"UNLINK": (1, -1, 1),
    b"WATCH": (1, -1, 1), b"XACK": (1, 1, 1), b"XADD": (1, 1, 1), b"XAUTOCLAIM": (1, 1, 1),
    b"XCLAIM": (1, 1, 1), b"XDEL": (1, 1, 1), b"XGROUP|CREATE": (2, 2, 1),
    b"XGROUP|CREATECONSUMER": (2, 2, 1), b"XGROUP|DELCONSUMER": (2, 2, 1),
    b"XGROUP|DESTROY": (2, 2, 1), b"XGROUP|SETID": (2, 2, 1), b"XINFO|CONSUMERS": (2, 2, 1),
    b"XINFO|GROUPS": (2, 2, 1), b"XINFO|STREAM": (2, 2, 1), b"XLEN": (1, 1, 1),
    b"XPENDING": (1, 1, 1), b"XRANGE": (1, 1, 1), b"XREVRANGE": (1, 1, 1), b"XSETID": (1, 1, 1),
    b"XTRIM": (1, 1, 1), b"ZADD": (1, 1, 1), b"ZCARD": (1, 1, 1), b"ZCOUNT": (1, 1, 1),
    b"ZDIFFSTORE": (1, 1, 1), b"ZINCRBY": (1, 1, 1), b"ZINTERSTORE": (1, 1, 1),
    b"ZLEXCOUNT": (1, 1, 1), b"ZMSCORE": (1, 1, 1), b"ZPOPMAX": (1, 1, 1),
    b"ZPOPMIN": (1, 1, 1), b"ZRANDMEMBER": (1, 1, 1), b"ZRANGE": (1, 1, 1),
    b"ZRANGEBYLEX": (1, 1, 1), b"ZRANGEBYSCORE": (1, 1, 1), b"ZRANGESTORE": (1, 2, 1),
    b"ZRANK": (1, 1, 1), b"ZREM": (1, 1, 1), b"ZREMRANGEBYLEX": (1, 1, 1),
    b"ZREMRANGEBYRANK": (1, 1, 1), b"ZREMRANGEBYSCORE": (1, 1, 1), b"ZREVRANGE": (1, 1, 1),
    b"ZREVRANGEBYLEX": (1, 1, 1), b"ZREVRANGEBYSCORE": (1, 1, 1), b"ZREVRANK": (1, 1, 1),
    b"ZSCAN": (1, 1, 1), b"ZSCORE": (1, 1, 1), b"ZUNIONSTORE": (1, 1, 1),
}  # fmt: skip

# Shard channels are no keys (COMMAND GETKEYS leaves them out), but in a cluster they go to
# the owner of their slot as keys do.
SHARD_CHANNELS: dict[bytes, tuple[int, int, int]] = {
    b"SPUBLISH": (1, 1, 1), b"SSUBSCRIBE": (1, -1, 1), b"SUNSUBSCRIBE": (1, -1, 1),
}

_CONTAINERS = frozenset({b"MEMORY", b"OBJECT", b"XGROUP", b"XINFO"})


def _count(argv: Sequence[bytes], index: int) -> int:
    try:
        return max(0, int(argv[index]))
    except (IndexError, ValueError):
        return 0


def _numkeys_at(index: int) -> Callable[[Sequence[bytes]], list[bytes]]:
    """Keys that follow a count at `index` (EVAL script numkeys k..., LMPOP numkeys k...)."""
    def keys(argv: Sequence[bytes]) -> list[bytes]:
        return list(argv[index + 1 : index + 1 + _count(argv, index)])
    return keys


def _destination_and_numkeys(argv: Sequence[bytes]) -> list[bytes]:
    """ZUNIONSTORE dest numkeys k...: the destination, then the sources."""
    return list(argv[1:2]) + list(argv[3 : 3 + _count(argv, 2)])


def _streams(argv: Sequence[bytes]) -> list[bytes]:
    """XREAD/XREADGROUP ... STREAMS k1 k2 id1 id2: the first half after STREAMS."""
    for i, arg in enumerate(argv):
        if arg.upper() == b"STREAMS":
            rest = argv[i + 1 :]
            return list(rest[: len(rest) // 2])
    return []


def _after_option(*options: bytes) -> Callable[[Sequence[bytes]], list[bytes]]:
    """The first key, and the argument after any of `options` (SORT ... STORE dest)."""
    def keys(argv: Sequence[bytes]) -> list[bytes]:
        found = list(argv[1:2])
        for i in range(2, len(argv) - 1):
            if argv[i].upper() in options:
                found.append(argv[i + 1])
        return found
    return keys


def _migrate(argv: Sequence[bytes]) -> list[bytes]:
    """MIGRATE host port key|"" db timeout [...] [KEYS k...]."""
    if len(argv) > 3 and argv[3]:
        return [argv[3]]
    for i in range(6, len(argv)):
        if argv[i].upper() == b"KEYS":
            return list(argv[i + 1 :])
    return []


_MOVABLE: dict[bytes, Callable[[Sequence[bytes]], list[bytes]]] = {
    **dict.fromkeys((b"EVAL", b"EVAL_RO", b"EVALSHA", b"EVALSHA_RO", b"FCALL", b"FCALL_RO"),
                    _numkeys_at(2)),
    **dict.fromkeys((b"LMPOP", b"ZMPOP", b"SINTERCARD", b"ZINTERCARD", b"ZDIFF", b"ZINTER",
                     b"ZUNION"), _numkeys_at(1)),
    **dict.fromkeys((b"BLMPOP", b"BZMPOP"), _numkeys_at(2)),
    **dict.fromkeys((b"ZDIFFSTORE", b"ZINTERSTORE", b"ZUNIONSTORE"), _destination_and_numkeys),
    **dict.fromkeys((b"XREAD", b"XREADGROUP"), _streams),
    b"SORT": _after_option(b"STORE"),
    b"SORT_RO": _after_option(),
    **dict.fromkeys((b"GEORADIUS", b"GEORADIUSBYMEMBER"), _after_option(b"STORE", b"STOREDIST")),
    b"MIGRATE": _migrate,
}


def argv_keys(argv: Sequence[bytes]) -> list[bytes]:
    """The keys of any Redis 7.0 command line, as ``COMMAND GETKEYS`` gives them ([] for a
    command without keys or one this table does not know)."""
    if not argv:
        return []
    name = argv[0].upper()
    rule = _MOVABLE.get(name)
    if rule is not None:
        return rule(argv)
    if name in _CONTAINERS and len(argv) > 1:
        name = name + b"|" + argv[1].upper()
    spec = KEY_POSITIONS.get(name)
    return [] if spec is None else at_positions(list(argv), spec)

