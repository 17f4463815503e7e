"""Operations on sets: SADD, SMEMBERS."""

from __future__ import annotations

from ._args import key_bytes, value_bytes
from ._call import Call, Read, operation
from ._decode import data_set, integer
from .types import Key, Value

__all__ = ["sadd", "smembers"]


@operation
def sadd(key: Key, *members: Value) -> Call[int]:
    """Add members to the set at `key`; return how many were new."""
    if not members:
        raise TypeError("sadd: at least one member is required")
    argv = (b"SADD", key_bytes("sadd", key), *(value_bytes("sadd", m, "member") for m in members))
    return Call(argv, integer, False)


@operation
def smembers(key: Key) -> Call[set[Read]]:
    """Return the set at `key` (empty when missing)."""
    return Call((b"SMEMBERS", key_bytes("smembers", key)), data_set, True)
