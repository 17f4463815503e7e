"""Operations on hashes: HSET, HGET, HGETALL."""

from __future__ import annotations

from ._args import key_bytes, value_bytes
from ._call import Call, Read, operation
from ._decode import data_dict, data_or_none, one_is_true
from .types import Key, Value

__all__ = ["hget", "hgetall", "hset"]


@operation
def hset(key: Key, field: Key, value: Value) -> Call[bool]:
    """Set a hash field; True when the field is new, False when it was updated."""
    argv = (b"HSET", key_bytes("hset", key), key_bytes("hset", field, "field"),
            value_bytes("hset", value))
    return Call(argv, one_is_true, False)


@operation
def hget(key: Key, field: Key) -> Call[Read | None]:
    """Return a hash field, or None."""
    return Call((b"HGET", key_bytes("hget", key), key_bytes("hget", field, "field")),
                data_or_none, True)


@operation
def hgetall(key: Key) -> Call[dict[Read, Read]]:
    """Return the whole hash as a dict ({} when missing)."""
    return Call((b"HGETALL", key_bytes("hgetall", key)), data_dict, True)
