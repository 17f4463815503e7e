"""Operations on sets: SADD, SREM, membership, SPOP, SRANDMEMBER, SMOVE, the set algebra
(SINTER, SUNION, SDIFF and their STORE forms, SINTERCARD) and SSCAN."""

from __future__ import annotations

from ._args import integer_arg, key_bytes, key_list, value_bytes, value_list
from ._call import Call, Read, operation, variant
from ._decode import (
    data_list,
    data_list_page,
    data_or_none,
    data_set,
    integer,
    one_is_true,
    ones_are_true,
)
from .keys import cursor_arg, scan_options
from .types import Key, Keys, Value, Values

__all__ = [
    "sadd", "scard", "sdiff", "sdiffstore", "sinter", "sintercard", "sinterstore", "sismember",
    "smembers", "smismember", "smove", "spop", "srandmember", "srem", "sscan", "sunion",
    "sunionstore",
]


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


@operation
def srem(key: Key, *members: Value) -> Call[int]:
    """Remove members from the set; return how many were there."""
    if not members:
        raise TypeError("srem: at least one member is required")
    argv = (b"SREM", key_bytes("srem", key), *(value_bytes("srem", m, "member") for m in members))
    return Call(argv, integer, False)


@operation
def sismember(key: Key, member: Value) -> Call[bool]:
    """Whether `member` is in the set."""
    return Call((b"SISMEMBER", key_bytes("sismember", key),
                 value_bytes("sismember", member, "member")), one_is_true, True)


@operation
def smismember(key: Key, members: Values) -> Call[list[bool]]:
    """Whether each of `members` is in the set, aligned with them."""
    items = value_list("smismember", members, "members")
    if not items:
        raise ValueError("smismember: at least one member is required")
    return Call((b"SMISMEMBER", key_bytes("smismember", key), *items), ones_are_true, True)


@operation
def scard(key: Key) -> Call[int]:
    """The number of members of the set (0 when missing)."""
    return Call((b"SCARD", key_bytes("scard", key)), integer, True)


@variant("spop")
def _spop_1(key: Key, count: None = None) -> Call[Read | None]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("spop")
def _spop_2(key: Key, count: int) -> Call[set[Read]]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def spop(key: Key, count: int | None = None) -> Call[Read | set[Read] | None]:
    """Remove and return a random member (None when the set is empty); with `count`, a set
    of up to `count` members."""
    if count is None:
        return Call((b"SPOP", key_bytes("spop", key)), data_or_none, False)
    number = integer_arg("spop", count, "count")
    if number < 0:
        raise ValueError(f"spop: count must not be negative, not {number}")
    return Call((b"SPOP", key_bytes("spop", key), b"%d" % number), data_set, False)


@variant("srandmember")
def _srandmember_1(key: Key, number: None = None) -> Call[Read | None]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("srandmember")
def _srandmember_2(key: Key, number: int) -> Call[list[Read]]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def srandmember(key: Key, number: int | None = None) -> Call[Read | list[Read] | None]:
    """A random member (None when the set is empty); with `number`, a list of up to
    `number` distinct members (a negative number allows repeats and gives exactly
    ``-number``)."""
    if number is None:
        return Call((b"SRANDMEMBER", key_bytes("srandmember", key)), data_or_none, True)
    count = integer_arg("srandmember", number, "number")
    return Call((b"SRANDMEMBER", key_bytes("srandmember", key), b"%d" % count), data_list, True)


@operation
def smove(src: Key, dst: Key, member: Value) -> Call[bool]:
    """Move `member` from the set `src` to the set `dst`; True when it was in `src`."""
    return Call((b"SMOVE", key_bytes("smove", src, "src"), key_bytes("smove", dst, "dst"),
                 value_bytes("smove", member, "member")), one_is_true, False, (1, 2, 1))


def _algebra(name: bytes, op: str, keys: tuple[Key, ...], dest: Key | None = None
             ) -> tuple[bytes, ...]:
    if not keys:
        raise TypeError(f"{op}: at least one key is required")
    head = (name,) if dest is None else (name, key_bytes(op, dest, "dest"))
    return (*head, *(key_bytes(op, k) for k in keys))


@operation
def sinter(*keys: Key) -> Call[set[Read]]:
    """The members present in every set of `keys`."""
    return Call(_algebra(b"SINTER", "sinter", keys), data_set, True, (1, -1, 1))


@operation
def sunion(*keys: Key) -> Call[set[Read]]:
    """The members of any set of `keys`."""
    return Call(_algebra(b"SUNION", "sunion", keys), data_set, True, (1, -1, 1))


@operation
def sdiff(*keys: Key) -> Call[set[Read]]:
    """The members of the first set that are in none of the others."""
    return Call(_algebra(b"SDIFF", "sdiff", keys), data_set, True, (1, -1, 1))


@operation
def sinterstore(dest: Key, *keys: Key) -> Call[int]:
    """Store `sinter(*keys)` at `dest`; return its size."""
    return Call(_algebra(b"SINTERSTORE", "sinterstore", keys, dest), integer, False, (1, -1, 1))


@operation
def sunionstore(dest: Key, *keys: Key) -> Call[int]:
    """Store `sunion(*keys)` at `dest`; return its size."""
    return Call(_algebra(b"SUNIONSTORE", "sunionstore", keys, dest), integer, False, (1, -1, 1))


@operation
def sdiffstore(dest: Key, *keys: Key) -> Call[int]:
    """Store `sdiff(*keys)` at `dest`; return its size."""
    return Call(_algebra(b"SDIFFSTORE", "sdiffstore", keys, dest), integer, False, (1, -1, 1))


@operation
def sintercard(keys: Keys, *, limit: int = 0) -> Call[int]:
    """The size of the intersection of the sets `keys`, counting up to `limit` (0: no
    limit)."""
    names = key_list("sintercard", keys)
    if not names:
        raise ValueError("sintercard: at least one key is required")
    argv = [b"SINTERCARD", b"%d" % len(names), *names]
    most = integer_arg("sintercard", limit, "limit")
    if most < 0:
        raise ValueError(f"sintercard: limit must not be negative, not {most}")
    if most:
        argv += (b"LIMIT", b"%d" % most)
    return Call(tuple(argv), integer, True, None)


@operation
def sscan(key: Key, cursor: int = 0, *, match: Key | None = None,
          count: int | None = None) -> Call[tuple[int, list[Read]]]:
    """One page of SSCAN: the next cursor (0 when done) and some members.  `sscan_iter`
    runs the whole scan."""
    argv = [b"SSCAN", key_bytes("sscan", key), cursor_arg("sscan", cursor)]
    scan_options("sscan", argv, match, count)
    return Call(tuple(argv), data_list_page, True)
