"""Every operation once: its argument checks, its Redis argv, its reply decoding, its retry rule.

An operation is a function that checks the caller's arguments and returns a `Call`: the Redis
command line as a tuple of `bytes` (what every backend executes, see docs/architecture.md), the
decoder that turns the raw reply into the documented result, and whether running the command
twice is harmless (``idempotent``; only those are retried after the request may have reached
the server).  Nothing here does I/O, so the trio client, the blocking client and the tests
share it.

A command is idempotent when a second run leaves the same state *and* gives the same answer:
reads, SET, MSET, EXPIRE.  INCR, LPUSH, LPOP change the state again; DEL, HSET, SADD and
SET NX/XX would answer differently the second time, so none of them is ever retried once sent.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from resp import ReplyError

from .._errors import ProtocolError, UnsupportedOperation

__all__ = ["Call", "Key", "Value", "ValueMapping"]

T = TypeVar("T")
Key = str | bytes
Value = str | bytes | int | float | bool
# Mapping is invariant in its key type: spell out the shapes a caller's dict may have.  Values
# are checked at run time (a literal mixing int, bytes and bool is a dict[str, object]).
ValueMapping = Mapping[str, object] | Mapping[bytes, object] | Mapping[Key, object]

Decoder = Callable[[Any, bool], T]


class Call(NamedTuple, Generic[T]):
    """One command ready for any backend."""

    argv: tuple[bytes, ...]
    decode: Callable[[Any, bool], T]
    idempotent: bool


# -- argument checks -------------------------------------------------------------------------


def key_bytes(op: str, key: object, what: str = "key") -> bytes:
    """A key as bytes; str is UTF-8.  Anything else is a TypeError naming the call."""
    if type(key) is str:
        return key.encode()
    if type(key) is bytes:
        return key
    if isinstance(key, str):
        return str(key).encode()
    if isinstance(key, bytes):
        return bytes(key)
    raise TypeError(f"{op}: {what} must be str or bytes, not {type(key).__name__}")


def value_bytes(op: str, value: object, what: str = "value") -> bytes:
    """A value as bytes: str UTF-8, int and float in decimal, bool as b"1"/b"0"."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, bool):
        return b"1" if value else b"0"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError(f"{op}: {what} must not be NaN")
        return repr(value).encode()
    raise TypeError(f"{op}: {what} must be str, bytes, int, float or bool, not "
                    f"{type(value).__name__}")


def _int_arg(op: str, value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{op}: {what} must be int, not {type(value).__name__}")
    return value


def _seconds(op: str, value: object, what: str, unit: float) -> int:
    """A positive duration as an int count of `unit` seconds (timedelta accepted)."""
    if isinstance(value, datetime.timedelta):
        count = int(value.total_seconds() / unit)
    else:
        count = _int_arg(op, value, what)
    if count <= 0:
        raise ValueError(f"{op}: {what} must be positive, not {count}")
    return count


# -- reply decoders --------------------------------------------------------------------------


def optional_value(reply: Any, decode: bool) -> Any:
    if reply is None:
        return None
    if type(reply) is bytes:
        return reply.decode() if decode else reply
    return _unexpected(reply)


def integer(reply: Any, decode: bool) -> int:
    if type(reply) is int:
        return reply
    return _unexpected(reply)  # type: ignore[no-any-return]


def flag(reply: Any, decode: bool) -> bool:
    if type(reply) is int:
        return reply == 1
    return _unexpected(reply)  # type: ignore[no-any-return]


def ok(reply: Any, decode: bool) -> bool:
    if reply == "OK":
        return True
    return _unexpected(reply)  # type: ignore[no-any-return]


def ok_or_none(reply: Any, decode: bool) -> bool:
    if reply is None:
        return False
    return ok(reply, decode)


def pong(reply: Any, decode: bool) -> bool:
    if reply in ("PONG", b"PONG"):
        return True
    return _unexpected(reply)  # type: ignore[no-any-return]


def value_list(reply: Any, decode: bool) -> list[Any]:
    if type(reply) is list:
        if decode:
            return [None if item is None else item.decode() for item in reply]
        return reply
    return _unexpected(reply)  # type: ignore[no-any-return]


def value_dict(reply: Any, decode: bool) -> dict[Any, Any]:
    if type(reply) is dict:
        pairs: Iterable[tuple[Any, Any]] = reply.items()
    elif type(reply) is list and len(reply) % 2 == 0:
        pairs = zip(reply[::2], reply[1::2], strict=True)
    else:
        return _unexpected(reply)  # type: ignore[no-any-return]
    if decode:
        return {field.decode(): value.decode() for field, value in pairs}
    return dict(pairs)


def value_set(reply: Any, decode: bool) -> set[Any]:
    if type(reply) is set or type(reply) is list:
        if decode:
            return {member.decode() for member in reply}
        return set(reply)
    return _unexpected(reply)  # type: ignore[no-any-return]


def raw(reply: Any, decode: bool) -> Any:
    """`execute`: the reply as parsed, with bulk strings decoded when `decode` is on."""
    if not decode:
        return reply
    return decode_all(reply)


def decode_all(reply: Any) -> Any:
    kind = type(reply)
    if kind is bytes:
        return reply.decode()
    if isinstance(reply, list):
        decoded = [decode_all(item) for item in reply]
        return decoded if kind is list else kind(decoded)  # resp.Push stays a Push
    if kind is dict:
        return {decode_all(k): decode_all(v) for k, v in reply.items()}
    if kind is set:
        return {decode_all(m) for m in reply}
    if kind is tuple:
        return tuple(decode_all(m) for m in reply)
    return reply


def _unexpected(reply: Any) -> Any:
    if isinstance(reply, ReplyError):  # decoders never see these: the client raises first
        raise TypeError("an error reply reached a decoder")
    raise ProtocolError(f"unexpected reply type {type(reply).__name__}: {reply!r:.80}")


# -- the operations --------------------------------------------------------------------------


def set_(key: Key, value: Value, *, ex: object = None, px: object = None, nx: bool = False,
         xx: bool = False) -> Call[bool]:
    argv = [b"SET", key_bytes("set", key), value_bytes("set", value)]
    if ex is not None and px is not None:
        raise ValueError("set: give ex or px, not both")
    if nx and xx:
        raise ValueError("set: give nx or xx, not both")
    if ex is not None:
        argv += (b"EX", b"%d" % _seconds("set", ex, "ex", 1.0))
    if px is not None:
        argv += (b"PX", b"%d" % _seconds("set", px, "px", 0.001))
    if nx:
        argv.append(b"NX")
    if xx:
        argv.append(b"XX")
    conditional = bool(nx or xx)
    return Call(tuple(argv), ok_or_none if conditional else ok, not conditional)


def get(key: Key) -> Call[Any]:
    return Call((b"GET", key_bytes("get", key)), optional_value, True)


def delete(keys: tuple[Key, ...]) -> Call[int]:
    if not keys:
        raise TypeError("delete: at least one key is required")
    return Call((b"DEL", *(key_bytes("delete", k) for k in keys)), integer, False)


def exists(key: Key) -> Call[bool]:
    return Call((b"EXISTS", key_bytes("exists", key)), _positive, True)


def _positive(reply: Any, decode: bool) -> bool:
    return integer(reply, decode) > 0


def keys(pattern: Key) -> Call[list[Any]]:
    return Call((b"KEYS", key_bytes("keys", pattern, "pattern")), value_list, True)


def expire(key: Key, seconds: object) -> Call[bool]:
    if isinstance(seconds, datetime.timedelta):
        seconds = int(seconds.total_seconds())
    count = _int_arg("expire", seconds, "seconds")
    return Call((b"EXPIRE", key_bytes("expire", key), b"%d" % count), flag, True)


def ttl(key: Key) -> Call[int]:
    return Call((b"TTL", key_bytes("ttl", key)), integer, True)


def incr(key: Key, amount: object) -> Call[int]:
    step = _int_arg("incr", amount, "amount")
    return Call((b"INCRBY", key_bytes("incr", key), b"%d" % step), integer, False)


def decr(key: Key, amount: object) -> Call[int]:
    step = _int_arg("decr", amount, "amount")
    return Call((b"DECRBY", key_bytes("decr", key), b"%d" % step), integer, False)


def push(op: str, key: Key, values: tuple[Value, ...]) -> Call[int]:
    if not values:
        raise TypeError(f"{op}: at least one value is required")
    argv = (op.upper().encode(), key_bytes(op, key), *(value_bytes(op, v) for v in values))
    return Call(argv, integer, False)


def pop(op: str, key: Key) -> Call[Any]:
    return Call((op.upper().encode(), key_bytes(op, key)), optional_value, False)


def lrange(key: Key, start: object, stop: object) -> Call[list[Any]]:
    first = _int_arg("lrange", start, "start")
    last = _int_arg("lrange", stop, "stop")
    argv = (b"LRANGE", key_bytes("lrange", key), b"%d" % first, b"%d" % last)
    return Call(argv, value_list, True)


def hset(key: Key, field: Key, value: Value) -> Call[bool]:
    argv = (b"HSET", key_bytes("hset", key), key_bytes("hset", field, "field"),
            value_bytes("hset", value))
    return Call(argv, flag, False)


def hget(key: Key, field: Key) -> Call[Any]:
    argv = (b"HGET", key_bytes("hget", key), key_bytes("hget", field, "field"))
    return Call(argv, optional_value, True)


def hgetall(key: Key) -> Call[dict[Any, Any]]:
    return Call((b"HGETALL", key_bytes("hgetall", key)), value_dict, True)


def sadd(key: Key, members: tuple[Value, ...]) -> Call[int]:
    if not members:
        raise TypeError("sadd: at least one member is required")
    argv = (b"SADD", key_bytes("sadd", key), *(value_bytes("sadd", m, "member") for m in members))
    return Call(argv, integer, False)


def smembers(key: Key) -> Call[set[Any]]:
    return Call((b"SMEMBERS", key_bytes("smembers", key)), value_set, True)


def mget(keys: Iterable[Key]) -> Call[list[Any]]:
    if isinstance(keys, str | bytes):
        raise TypeError("mget: keys must be a list of keys, not a single key")
    # str keys inline: this list is the hot part of building a large MGET
    argv = (b"MGET", *[k.encode() if type(k) is str else key_bytes("mget", k) for k in keys])
    if len(argv) == 1:
        return Call((), _empty_list, True)  # nothing to ask
    return Call(argv, value_list, True)


def _empty_list(reply: Any, decode: bool) -> list[Any]:
    return []


def mset(mapping: ValueMapping) -> Call[bool]:
    if not isinstance(mapping, Mapping):
        raise TypeError(f"mset: mapping must be a mapping, not {type(mapping).__name__}")
    argv: list[bytes] = [b"MSET"]
    for k, v in mapping.items():
        argv += (key_bytes("mset", k), value_bytes("mset", v))
    if len(argv) == 1:
        return Call((), _true, True)
    return Call(tuple(argv), ok, True)


def _true(reply: Any, decode: bool) -> bool:
    return True


def ping() -> Call[bool]:
    return Call((b"PING",), pong, True)


def execute(args: tuple[object, ...]) -> Call[Any]:
    if not args:
        raise TypeError("execute: a command name is required")
    argv = tuple(_arg("execute", a) for a in args)
    name = argv[0].upper()
    idempotent = name in IDEMPOTENT
    if name == b"SET" and any(a.upper() in (b"NX", b"XX", b"GET") for a in argv[3:]):
        idempotent = False
    return Call(argv, raw, idempotent)


def _arg(op: str, value: object) -> bytes:
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    try:
        return value_bytes(op, value, "argument")
    except TypeError:
        raise TypeError(f"{op}: arguments must be str, bytes, int or float, not "
                        f"{type(value).__name__}") from None


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
    b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT",
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


def is_blocking(argv: tuple[bytes, ...]) -> bool:
    """Whether the command may block its connection (BLPOP, XREAD ... BLOCK, ...)."""
    name = argv[0].upper()
    if name in (b"XREAD", b"XREADGROUP"):
        return any(arg.upper() == b"BLOCK" for arg in argv[1:])
    return name in BLOCKING


def blocking_seconds(argv: tuple[bytes, ...]) -> float | None:
    """How long a blocking command may wait on the server, in seconds; None for ever.

    BLPOP, BRPOP, BZPOPMIN, BZPOPMAX, BRPOPLPUSH and BLMOVE end with their timeout in seconds,
    BLMPOP and BZMPOP start with it; XREAD and XREADGROUP take ``BLOCK`` milliseconds, WAIT and
    WAITAOF end with milliseconds.  0 (or a timeout that does not parse: the server refuses
    it at once) means no limit of ours.
    """
    name = argv[0].upper()
    raw: bytes | None = None
    scale = 1.0
    if name in (b"BLMPOP", b"BZMPOP"):
        raw = argv[1] if len(argv) > 1 else None
    elif name in (b"XREAD", b"XREADGROUP"):
        for i, arg in enumerate(argv[:-1]):
            if arg.upper() == b"BLOCK":
                raw, scale = argv[i + 1], 0.001
                break
    elif name in (b"WAIT", b"WAITAOF"):
        raw, scale = argv[-1], 0.001
    elif len(argv) > 1:
        raw = argv[-1]
    try:
        seconds = float(raw) * scale if raw is not None else 0.0
    except ValueError:
        return None
    if not seconds > 0 or math.isinf(seconds):
        return None
    return seconds


def refuse_connection_state(argv: tuple[bytes, ...]) -> None:
    """Raise `UnsupportedOperation` for a command that changes its connection's state."""
    name = argv[0].upper()
    if name in CONNECTION_STATE or (
            name == b"CLIENT" and len(argv) > 1 and argv[1].upper() in (b"REPLY", b"TRACKING")):
        raise UnsupportedOperation(
            f"execute: {argv[0].decode(errors='replace')} changes the state of the connection, "
            "which other tasks share; it is not supported through execute()")
