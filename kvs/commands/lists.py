"""Operations on lists: pushes and pops, ranges and indexes, LINSERT, LREM, LTRIM, LPOS,
LMOVE and LMPOP, and the blocking pops BLPOP, BRPOP, BLMOVE and BLMPOP.

A blocking pop waits up to `timeout` seconds (0: for ever) for an element and answers None
when none came.  Every backend runs it on a connection of its own (the Redis drivers take
one from a small pool), and it is never retried: it pops.
"""

from __future__ import annotations

from ._args import (
    blocking_timeout,
    choice,
    integer_arg,
    key_bytes,
    key_list,
    one_or_more_keys,
    value_bytes,
)
from ._call import Call, Read, operation, variant
from ._decode import (
    data_list,
    data_or_none,
    integer,
    integer_list,
    integer_or_none,
    key_and_list,
    key_and_value,
    ok_true,
)
from .types import Key, Keys, Timeout, Value

__all__ = [
    "blmove", "blmpop", "blpop", "brpop", "lindex", "linsert", "llen", "lmove", "lmpop", "lpop",
    "lpos", "lpush", "lrange", "lrem", "lset", "ltrim", "rpop", "rpush",
]

_SIDES = ("LEFT", "RIGHT")


def _push(name: bytes, op: str, key: Key, values: tuple[Value, ...]) -> Call[int]:
    if not values:
        raise TypeError(f"{op}: at least one value is required")
    return Call((name, key_bytes(op, key), *(value_bytes(op, v) for v in values)), integer,
                False)


@operation
def lpush(key: Key, *values: Value) -> Call[int]:
    """Prepend `values` to the list at `key`; return its new length."""
    return _push(b"LPUSH", "lpush", key, values)


@operation
def rpush(key: Key, *values: Value) -> Call[int]:
    """Append `values` to the list at `key`; return its new length."""
    return _push(b"RPUSH", "rpush", key, values)


@operation
def lpop(key: Key) -> Call[Read | None]:
    """Remove and return the first element of the list, or None when empty."""
    return Call((b"LPOP", key_bytes("lpop", key)), data_or_none, False)


@operation
def rpop(key: Key) -> Call[Read | None]:
    """Remove and return the last element of the list, or None when empty."""
    return Call((b"RPOP", key_bytes("rpop", key)), data_or_none, False)


@operation
def lrange(key: Key, start: int, stop: int) -> Call[list[Read]]:
    """Return elements `start` to `stop` inclusive; negative indexes count from the end."""
    first = integer_arg("lrange", start, "start")
    last = integer_arg("lrange", stop, "stop")
    return Call((b"LRANGE", key_bytes("lrange", key), b"%d" % first, b"%d" % last), data_list,
                True)


@operation
def llen(key: Key) -> Call[int]:
    """The length of the list at `key` (0 when missing)."""
    return Call((b"LLEN", key_bytes("llen", key)), integer, True)


@operation
def lindex(key: Key, index: int) -> Call[Read | None]:
    """The element at `index` (negative counts from the end), or None when out of range."""
    at = integer_arg("lindex", index, "index")
    return Call((b"LINDEX", key_bytes("lindex", key), b"%d" % at), data_or_none, True)


@operation
def lset(key: Key, index: int, value: Value) -> Call[bool]:
    """Replace the element at `index`; True.  An index out of range (or a missing key)
    raises `kvs.ResponseError`."""
    at = integer_arg("lset", index, "index")
    return Call((b"LSET", key_bytes("lset", key), b"%d" % at, value_bytes("lset", value)),
                ok_true, True)


@operation
def linsert(key: Key, where: str, refvalue: Value, value: Value) -> Call[int]:
    """Insert `value` ``"before"`` or ``"after"`` (`where`) the first `refvalue`; return the
    new length, -1 when `refvalue` is not there, 0 when the key is missing."""
    side = choice("linsert", where, "where", ("BEFORE", "AFTER"))
    return Call((b"LINSERT", key_bytes("linsert", key), side,
                 value_bytes("linsert", refvalue, "refvalue"), value_bytes("linsert", value)),
                integer, False)


@operation
def lrem(key: Key, count: int, value: Value) -> Call[int]:
    """Remove `count` occurrences of `value` (from the tail when negative, all when 0);
    return how many were removed."""
    number = integer_arg("lrem", count, "count")
    return Call((b"LREM", key_bytes("lrem", key), b"%d" % number, value_bytes("lrem", value)),
                integer, False)


@operation
def ltrim(key: Key, start: int, end: int) -> Call[bool]:
    """Keep only elements `start` to `end` inclusive; True."""
    first = integer_arg("ltrim", start, "start")
    last = integer_arg("ltrim", end, "end")
    return Call((b"LTRIM", key_bytes("ltrim", key), b"%d" % first, b"%d" % last), ok_true,
                False)


@variant("lpos")
def _lpos_1(key: Key, value: Value, rank: int | None = None, count: None = None,
         maxlen: int | None = None) -> Call[int | None]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("lpos")
def _lpos_2(key: Key, value: Value, rank: int | None = None, *, count: int,
         maxlen: int | None = None) -> Call[list[int]]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def lpos(key: Key, value: Value, rank: int | None = None, count: int | None = None,
         maxlen: int | None = None) -> Call[int | list[int] | None]:
    """The index of `value` in the list, or None; with `count`, a list of up to `count`
    indexes (0: all).  `rank` picks the n-th match (negative: from the tail); `maxlen`
    compares at most that many elements."""
    argv = [b"LPOS", key_bytes("lpos", key), value_bytes("lpos", value)]
    for name, option in ((b"RANK", rank), (b"COUNT", count), (b"MAXLEN", maxlen)):
        if option is not None:
            argv += (name, b"%d" % integer_arg("lpos", option, name.decode().lower()))
    return Call(tuple(argv), integer_list if count is not None else integer_or_none, True)


@operation
def lmove(first_list: Key, second_list: Key, src: str = "LEFT",
          dest: str = "RIGHT") -> Call[Read | None]:
    """Pop an element from the `src` end (``"left"``/``"right"``) of `first_list`, push it at
    the `dest` end of `second_list` and return it; None when `first_list` is empty."""
    argv = (b"LMOVE", key_bytes("lmove", first_list, "first_list"),
            key_bytes("lmove", second_list, "second_list"), choice("lmove", src, "src", _SIDES),
            choice("lmove", dest, "dest", _SIDES))
    return Call(argv, data_or_none, False, (1, 2, 1))


@operation
def lmpop(keys: Keys, direction: str = "LEFT", *,
          count: int | None = None) -> Call[tuple[Read, list[Read]] | None]:
    """Pop up to `count` (default 1) elements from the `direction` end of the first
    non-empty list of `keys`; return ``(key, elements)``, or None when all are empty."""
    names = key_list("lmpop", keys)
    if not names:
        raise ValueError("lmpop: at least one key is required")
    argv = [b"LMPOP", b"%d" % len(names), *names, choice("lmpop", direction, "direction",
                                                          _SIDES)]
    if count is not None:
        argv += (b"COUNT", b"%d" % integer_arg("lmpop", count, "count"))
    return Call(tuple(argv), key_and_list, False, None)


def _bpop(name: bytes, op: str, keys: Key | Keys,
          timeout: Timeout) -> Call[tuple[Read, Read] | None]:
    argv = (name, *one_or_more_keys(op, keys), blocking_timeout(op, timeout))
    return Call(argv, key_and_value, False, (1, -2, 1))


@operation
def blpop(keys: Key | Keys, timeout: Timeout = 0) -> Call[tuple[Read, Read] | None]:
    """Pop the first element of the first non-empty list of `keys`, waiting up to `timeout`
    seconds (0: for ever) for one; return ``(key, element)``, or None when none came.

    Waiting clients are served in the order they started waiting, one element each.
    Example: ``await db.blpop(["jobs:high", "jobs:low"], timeout=5)``.
    """
    return _bpop(b"BLPOP", "blpop", keys, timeout)


@operation
def brpop(keys: Key | Keys, timeout: Timeout = 0) -> Call[tuple[Read, Read] | None]:
    """`blpop` from the tail: ``(key, last element)``, or None when none came in time."""
    return _bpop(b"BRPOP", "brpop", keys, timeout)


@operation
def blmove(first_list: Key, second_list: Key, timeout: Timeout, src: str = "LEFT",
           dest: str = "RIGHT") -> Call[Read | None]:
    """`lmove` that waits up to `timeout` seconds (0: for ever) for `first_list` to have an
    element; return the element moved, or None when none came."""
    argv = (b"BLMOVE", key_bytes("blmove", first_list, "first_list"),
            key_bytes("blmove", second_list, "second_list"),
            choice("blmove", src, "src", _SIDES), choice("blmove", dest, "dest", _SIDES),
            blocking_timeout("blmove", timeout))
    return Call(argv, data_or_none, False, (1, 2, 1))


@operation
def blmpop(timeout: Timeout, keys: Key | Keys, direction: str = "LEFT", *,
           count: int | None = None) -> Call[tuple[Read, list[Read]] | None]:
    """`lmpop` that waits up to `timeout` seconds (0: for ever) for one of `keys` to have
    elements; return ``(key, elements)``, or None when none came."""
    names = one_or_more_keys("blmpop", keys)
    argv = [b"BLMPOP", blocking_timeout("blmpop", timeout), b"%d" % len(names), *names,
            choice("blmpop", direction, "direction", _SIDES)]
    if count is not None:
        argv += (b"COUNT", b"%d" % integer_arg("blmpop", count, "count"))
    return Call(tuple(argv), key_and_list, False, None)
