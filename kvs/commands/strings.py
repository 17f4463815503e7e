"""Operations on strings and counters: SET, GET, INCRBY, DECRBY, MGET, MSET."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ._args import integer_arg, key_bytes, positive_duration, value_bytes
from ._call import Call, Read, operation
from ._decode import (
    always_true,
    data_list,
    data_or_none,
    empty_list,
    integer,
    ok_or_false,
    ok_true,
)
from .types import Duration, Key, Keys, Value, ValueMapping

__all__ = ["SetOptions", "decr", "get", "incr", "mget", "mset", "parse_set_options", "set_"]


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


@operation
def set_(key: Key, value: Value, *, ex: Duration = None, px: Duration = None,
         nx: bool = False, xx: bool = False) -> Call[bool]:
    """Store `value` at `key`.

    Args:
        key: str or bytes.
        value: str, bytes, int, float or bool (True is stored as ``"1"``).
        ex: expiry in seconds (int or timedelta); px: in milliseconds.
        nx: only if the key does not exist; xx: only if it exists.

    Returns:
        True, or False when `nx` or `xx` stopped it.

    Example::

        await db.set("session:1", "alice", ex=3600)   # True
    """
    argv = [b"SET", key_bytes("set", key), value_bytes("set", value)]
    if ex is not None and px is not None:
        raise ValueError("set: give ex or px, not both")
    if nx and xx:
        raise ValueError("set: give nx or xx, not both")
    if ex is not None:
        argv += (b"EX", b"%d" % positive_duration("set", ex, "ex", 1.0))
    if px is not None:
        argv += (b"PX", b"%d" % positive_duration("set", px, "px", 0.001))
    if nx:
        argv.append(b"NX")
    if xx:
        argv.append(b"XX")
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
    if not isinstance(mapping, Mapping):
        raise TypeError(f"mset: mapping must be a mapping, not {type(mapping).__name__}")
    argv: list[bytes] = [b"MSET"]
    for k, v in mapping.items():
        argv += (key_bytes("mset", k), value_bytes("mset", v))
    if len(argv) == 1:
        return Call((), always_true, True)
    return Call(tuple(argv), ok_true, True, (1, -1, 2))
