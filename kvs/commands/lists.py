"""Operations on lists: LPUSH, RPUSH, LPOP, RPOP, LRANGE."""

from __future__ import annotations

from ._args import integer_arg, key_bytes, value_bytes
from ._call import Call, Read, operation
from ._decode import data_list, data_or_none, integer
from .types import Key, Value

__all__ = ["lpop", "lpush", "lrange", "rpop", "rpush"]


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
