"""Operations on strings and counters: SET and its forms, GET and its forms, counters,
ranges, MGET, MSET, MSETNX."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

from ._args import float_arg, integer_arg, key_bytes, moment, positive_duration, value_bytes
from ._call import Call, Read, operation, variant
from ._decode import (
    always_true,
    data_list,
    data_or_none,
    empty_list,
    integer,
    ok_or_false,
    ok_true,
    one_is_true,
    score,
)
from .types import Duration, Key, Keys, Seconds, Value, ValueMapping, When

__all__ = [
    "SetOptions", "append", "decr", "get", "getdel", "getex", "getrange", "getset", "incr",
    "incrbyfloat", "mget", "mset", "msetnx", "parse_set_options", "set_", "setex", "setnx",
    "setrange", "strlen",
]


class SetOptions(NamedTuple):
    """The options of a ``SET key value ...`` command line, as Redis 7.0 reads them."""

    nx: bool = False
    xx: bool = False
    get: bool = False
    keepttl: bool = False
    unit: bytes = b""  # b"EX", b"PX", b"EXAT", b"PXAT", or b"" for no expiry
    expire: bytes = b""  # the expiry's argument, unparsed (each backend checks it its way)


_SET_EXPIRES = frozenset((b"EX", b"PX", b"EXAT", b"PXAT"))


def parse_set_options(argv: Sequence[bytes]) -> SetOptions | None:
    """SET's options (``argv[3:]``); None when Redis would answer ``ERR syntax error``.

    The one reading of SET's options: the in-process store, the Memcached planner and the
    CLI all use it.  Words compare as Redis compares them, case-insensitively and as C strings
    (up to a NUL byte); NX/XX, KEEPTTL and an expiry exclude each other, an expiry may repeat
    only with the same unit.
    """
    nx = xx = get = keepttl = False
    unit = expire = b""
    i, n = 3, len(argv)
    while i < n:
        word = argv[i].partition(b"\0")[0].upper()
        if word == b"NX" and not xx:
            nx = True
        elif word == b"XX" and not nx:
            xx = True
        elif word == b"GET":
            get = True
        elif word == b"KEEPTTL" and not unit:
            keepttl = True
        elif word in _SET_EXPIRES and not keepttl and unit in (b"", word) and i + 1 < n:
            unit, expire = word, argv[i + 1]
            i += 1
        else:
            return None
        i += 1
    return SetOptions(nx, xx, get, keepttl, unit, expire)


@variant("set")
def _set_1(key: Key, value: Value, *, ex: Duration = None, px: Duration = None,
         nx: bool = False, xx: bool = False, keepttl: bool = False, get: Literal[False] = False,
         exat: When | None = None, pxat: When | None = None) -> Call[bool]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("set")
def _set_2(key: Key, value: Value, *, ex: Duration = None, px: Duration = None,
         nx: bool = False, xx: bool = False, keepttl: bool = False, get: Literal[True],
         exat: When | None = None, pxat: When | None = None) -> Call[Read | None]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def set_(key: Key, value: Value, *, ex: Duration = None, px: Duration = None,
         nx: bool = False, xx: bool = False, keepttl: bool = False, get: bool = False,
         exat: When | None = None, pxat: When | None = None) -> Call[bool | Read | None]:
    """Store `value` at `key`.

    Args:
        key: str or bytes.
        value: str, bytes, int, float or bool (True is stored as ``"1"``).
        ex: expiry in seconds (int or timedelta); px: in milliseconds.
        nx: only if the key does not exist; xx: only if it exists.
        keepttl: keep the key's time to live.
        get: return the old value instead of True/False.
        exat: expire at this Unix time in seconds (int or datetime); pxat: in milliseconds.

    Returns:
        True, or False when `nx` or `xx` stopped it; with `get`, the old value (or None).

    Example::

        await db.set("session:1", "alice", ex=3600)   # True
    """
    argv = [b"SET", key_bytes("set", key), value_bytes("set", value)]
    given = [name for name, option in (("ex", ex), ("px", px), ("exat", exat), ("pxat", pxat))
             if option is not None] + (["keepttl"] if keepttl else [])
    if len(given) > 1:
        raise ValueError(f"set: give one of ex, px, exat, pxat and keepttl, not {given}")
    if nx and xx:
        raise ValueError("set: give nx or xx, not both")
    if ex is not None:
        argv += (b"EX", b"%d" % positive_duration("set", ex, "ex", 1.0))
    if px is not None:
        argv += (b"PX", b"%d" % positive_duration("set", px, "px", 0.001))
    if exat is not None:
        argv += (b"EXAT", moment("set", exat, "exat", 1.0))
    if pxat is not None:
        argv += (b"PXAT", moment("set", pxat, "pxat", 0.001))
    if keepttl:
        argv.append(b"KEEPTTL")
    if nx:
        argv.append(b"NX")
    if xx:
        argv.append(b"XX")
    if get:
        argv.append(b"GET")
        return Call(tuple(argv), data_or_none, False)
    conditional = bool(nx or xx)
    return Call(tuple(argv), ok_or_false if conditional else ok_true, not conditional)


@operation
def get(key: Key) -> Call[Read | None]:
    """Return the value at `key`, or None when it is missing."""
    return Call((b"GET", key_bytes("get", key)), data_or_none, True)


@operation
def incr(key: Key, amount: int = 1) -> Call[int]:
    """Add `amount` to the integer at `key` (a missing key starts at 0); return it."""
    step = integer_arg("incr", amount, "amount")
    return Call((b"INCRBY", key_bytes("incr", key), b"%d" % step), integer, False)


@operation
def decr(key: Key, amount: int = 1) -> Call[int]:
    """Subtract `amount` from the integer at `key`; return the new value."""
    step = integer_arg("decr", amount, "amount")
    return Call((b"DECRBY", key_bytes("decr", key), b"%d" % step), integer, False)


@operation
def mget(keys: Keys) -> Call[list[Read | None]]:
    """Return the values of `keys`, aligned with them, None where missing."""
    if isinstance(keys, str | bytes):
        raise TypeError("mget: keys must be a list of keys, not a single key")
    # str keys inline: this list is the hot part of building a large MGET
    argv = (b"MGET", *[k.encode() if type(k) is str else key_bytes("mget", k) for k in keys])
    if len(argv) == 1:
        return Call((), empty_list, True)  # nothing to ask
    return Call(argv, data_list, True, (1, -1, 1))


@operation
def mset(mapping: ValueMapping) -> Call[bool]:
    """Set every key of `mapping` at once; return True."""
    argv = _pairs("mset", mapping)
    if len(argv) == 1:
        return Call((), always_true, True)
    return Call(tuple(argv), ok_true, True, (1, -1, 2))


@operation
def msetnx(mapping: ValueMapping) -> Call[bool]:
    """Set every key of `mapping` only if none of them exists; True when set."""
    argv = _pairs("msetnx", mapping)
    if len(argv) == 1:
        raise ValueError("msetnx: at least one key is required")
    return Call(tuple(argv), one_is_true, False, (1, -1, 2))


def _pairs(op: str, mapping: object) -> list[bytes]:
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{op}: mapping must be a mapping, not {type(mapping).__name__}")
    argv: list[bytes] = [op.upper().encode()]
    for k, v in mapping.items():
        argv += (key_bytes(op, k), value_bytes(op, v))
    return argv


@operation
def getdel(key: Key) -> Call[Read | None]:
    """Return the value at `key` and delete it; None when missing."""
    return Call((b"GETDEL", key_bytes("getdel", key)), data_or_none, False)


@operation
def getex(key: Key, *, ex: Duration = None, px: Duration = None, exat: When | None = None,
          pxat: When | None = None, persist: bool = False) -> Call[Read | None]:
    """Return the value at `key` (None when missing) and set or remove its time to live:
    `ex`/`px` (seconds/milliseconds from now), `exat`/`pxat` (Unix time), `persist`."""
    argv = [b"GETEX", key_bytes("getex", key)]
    given = [name for name, option in (("ex", ex), ("px", px), ("exat", exat), ("pxat", pxat))
             if option is not None] + (["persist"] if persist else [])
    if len(given) > 1:
        raise ValueError(f"getex: give one of ex, px, exat, pxat and persist, not {given}")
    if ex is not None:
        argv += (b"EX", b"%d" % positive_duration("getex", ex, "ex", 1.0))
    if px is not None:
        argv += (b"PX", b"%d" % positive_duration("getex", px, "px", 0.001))
    if exat is not None:
        argv += (b"EXAT", moment("getex", exat, "exat", 1.0))
    if pxat is not None:
        argv += (b"PXAT", moment("getex", pxat, "pxat", 0.001))
    if persist:
        argv.append(b"PERSIST")
    return Call(tuple(argv), data_or_none, True)


@operation
def getset(key: Key, value: Value) -> Call[Read | None]:
    """Store `value` at `key` and return the old value (None when missing)."""
    return Call((b"GETSET", key_bytes("getset", key), value_bytes("getset", value)),
                data_or_none, False)


@operation
def setnx(key: Key, value: Value) -> Call[bool]:
    """Store `value` at `key` only if it does not exist; True when stored."""
    return Call((b"SETNX", key_bytes("setnx", key), value_bytes("setnx", value)),
                one_is_true, False)


@operation
def setex(key: Key, time: Seconds, value: Value) -> Call[bool]:
    """Store `value` at `key` with a time to live of `time` seconds (int or timedelta);
    True."""
    seconds = positive_duration("setex", time, "time", 1.0)
    return Call((b"SETEX", key_bytes("setex", key), b"%d" % seconds,
                 value_bytes("setex", value)), ok_true, True)


@operation
def append(key: Key, value: Value) -> Call[int]:
    """Append `value` to the string at `key` (created when missing); return its length."""
    return Call((b"APPEND", key_bytes("append", key), value_bytes("append", value)), integer,
                False)


@operation
def strlen(key: Key) -> Call[int]:
    """The length in bytes of the string at `key` (0 when missing)."""
    return Call((b"STRLEN", key_bytes("strlen", key)), integer, True)


@operation
def getrange(key: Key, start: int, end: int) -> Call[Read]:
    """Bytes `start` to `end` inclusive of the string at `key`; negative offsets count from
    the end ("" when out of range or missing)."""
    first = integer_arg("getrange", start, "start")
    last = integer_arg("getrange", end, "end")
    return Call((b"GETRANGE", key_bytes("getrange", key), b"%d" % first, b"%d" % last),
                data_or_none, True)


@operation
def setrange(key: Key, offset: int, value: Value) -> Call[int]:
    """Overwrite the string at `key` from byte `offset` (padding with zero bytes); return
    its new length."""
    at = integer_arg("setrange", offset, "offset")
    if at < 0:
        raise ValueError(f"setrange: offset must not be negative, not {at}")
    return Call((b"SETRANGE", key_bytes("setrange", key), b"%d" % at,
                 value_bytes("setrange", value)), integer, True)


@operation
def incrbyfloat(key: Key, amount: float = 1.0) -> Call[float]:
    """Add `amount` to the number at `key` (a missing key starts at 0); return it."""
    return Call((b"INCRBYFLOAT", key_bytes("incrbyfloat", key),
                 float_arg("incrbyfloat", amount, "amount")), score, False)
