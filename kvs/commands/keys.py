"""Operations on keys of any type: DEL, EXISTS, KEYS, EXPIRE, TTL."""

from __future__ import annotations

import datetime

from ._args import integer_arg, key_bytes
from ._call import NO_KEYS, Call, Read, operation
from ._decode import data_list, integer, one_is_true, positive_is_true
from .types import Key, Seconds

__all__ = ["delete", "exists", "expire", "keys", "ttl"]


@operation
def delete(*keys: Key) -> Call[int]:
    """Delete `keys`; return how many existed."""
    if not keys:
        raise TypeError("delete: at least one key is required")
    return Call((b"DEL", *(key_bytes("delete", k) for k in keys)), integer, False, (1, -1, 1))


@operation
def exists(key: Key) -> Call[bool]:
    """Return whether `key` exists."""
    return Call((b"EXISTS", key_bytes("exists", key)), positive_is_true, True)


@operation
def keys(pattern: Key = "*") -> Call[list[Read]]:
    """Return the keys matching a Redis glob pattern (``*``, ``?``, ``[a-z]``, ``\\``)."""
    return Call((b"KEYS", key_bytes("keys", pattern, "pattern")), data_list, True, NO_KEYS)


@operation
def expire(key: Key, seconds: Seconds) -> Call[bool]:
    """Set a time to live on `key`; False when the key is missing.  ``seconds <= 0``
    deletes the key."""
    if isinstance(seconds, datetime.timedelta):
        seconds = int(seconds.total_seconds())
    count = integer_arg("expire", seconds, "seconds")
    return Call((b"EXPIRE", key_bytes("expire", key), b"%d" % count), one_is_true, True)


@operation
def ttl(key: Key) -> Call[int]:
    """Seconds left before `key` expires; -1 without expiry; -2 when missing."""
    return Call((b"TTL", key_bytes("ttl", key)), integer, True)
