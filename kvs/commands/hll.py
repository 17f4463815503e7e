"""Operations on HyperLogLogs: PFADD, PFCOUNT, PFMERGE.

A HyperLogLog is a string value that estimates how many distinct elements were added to it
(within about 0.81%), in at most 12 KiB whatever the count.  On `:memory:` it is Redis's own
encoding, so a value copied between Redis and the store with GET/SET keeps working.
"""

from __future__ import annotations

from ._args import key_bytes, value_bytes
from ._call import Call, operation
from ._decode import integer, ok_true, one_is_true
from .types import Key, Value

__all__ = ["pfadd", "pfcount", "pfmerge"]


@operation
def pfadd(key: Key, *elements: Value) -> Call[bool]:
    """Add `elements` to the HyperLogLog at `key` (created when missing); True when its
    estimate changed (or it was created)."""
    return Call((b"PFADD", key_bytes("pfadd", key),
                 *(value_bytes("pfadd", e, "element") for e in elements)), one_is_true, False)


@operation
def pfcount(*keys: Key) -> Call[int]:
    """The estimated number of distinct elements added to the HyperLogLogs `keys` (of their
    union, for several)."""
    if not keys:
        raise TypeError("pfcount: at least one key is required")
    return Call((b"PFCOUNT", *(key_bytes("pfcount", k) for k in keys)), integer, True,
                (1, -1, 1))


@operation
def pfmerge(dest: Key, *sources: Key) -> Call[bool]:
    """Merge the HyperLogLogs `sources` (and `dest` itself) into `dest`; True."""
    return Call((b"PFMERGE", key_bytes("pfmerge", dest, "dest"),
                 *(key_bytes("pfmerge", k, "source") for k in sources)), ok_true, True,
                (1, -1, 1))
