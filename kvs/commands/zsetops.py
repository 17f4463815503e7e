"""Operations on sorted sets that take members out or combine sets: ZPOPMIN/ZPOPMAX and
their blocking forms, ZRANDMEMBER, the STORE forms of union, intersection and difference,
and ZSCAN (the rest of the family is in `kvs.commands.zsets`, whose conventions hold here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from ._args import (
    blocking_timeout,
    choice,
    float_arg,
    integer_arg,
    key_bytes,
    key_list,
    one_or_more_keys,
)
from ._call import Call, Read, operation, variant
from ._decode import (
    data_list,
    data_or_none,
    integer,
    key_member_score,
    scored_page,
    scored_pairs,
)
from .keys import cursor_arg, scan_options
from .types import (
    Key,
    Keys,
    Timeout,
    Weights,
)

__all__ = [
    "bzpopmax", "bzpopmin", "zdiffstore", "zinterstore", "zpopmax", "zpopmin", "zrandmember",
    "zscan", "zunionstore",
]


def _pop(name: bytes, op: str, key: Key, count: int | None) -> Call[list[tuple[Read, float]]]:
    argv: tuple[bytes, ...] = (name, key_bytes(op, key))
    if count is not None:
        argv += (b"%d" % integer_arg(op, count, "count"),)
    return Call(argv, scored_pairs, False)


@operation
def zpopmin(key: Key, count: int | None = None) -> Call[list[tuple[Read, float]]]:
    """Remove and return the `count` (default 1) lowest-scored members, as
    ``(member, score)`` tuples ([] when empty)."""
    return _pop(b"ZPOPMIN", "zpopmin", key, count)


@operation
def zpopmax(key: Key, count: int | None = None) -> Call[list[tuple[Read, float]]]:
    """Remove and return the `count` (default 1) highest-scored members, as
    ``(member, score)`` tuples ([] when empty)."""
    return _pop(b"ZPOPMAX", "zpopmax", key, count)


def _bzpop(name: bytes, op: str, keys: Key | Keys,
           timeout: Timeout) -> Call[tuple[Read, Read, float] | None]:
    argv = (name, *one_or_more_keys(op, keys), blocking_timeout(op, timeout))
    return Call(argv, key_member_score, False, (1, -2, 1))


@operation
def bzpopmin(keys: Key | Keys, timeout: Timeout = 0) -> Call[tuple[Read, Read, float] | None]:
    """Pop the lowest-scored member of the first non-empty sorted set of `keys`, waiting up
    to `timeout` seconds (0: for ever); return ``(key, member, score)``, or None when none
    came."""
    return _bzpop(b"BZPOPMIN", "bzpopmin", keys, timeout)


@operation
def bzpopmax(keys: Key | Keys, timeout: Timeout = 0) -> Call[tuple[Read, Read, float] | None]:
    """`bzpopmin` for the highest-scored member."""
    return _bzpop(b"BZPOPMAX", "bzpopmax", keys, timeout)


@variant("zrandmember")
def _zrandmember_1(key: Key, count: None = None,
                withscores: Literal[False] = False) -> Call[Read | None]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("zrandmember")
def _zrandmember_2(key: Key, count: int,
                withscores: Literal[False] = False) -> Call[list[Read]]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("zrandmember")
def _zrandmember_3(key: Key, count: int,
                withscores: Literal[True]) -> Call[list[tuple[Read, float]]]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def zrandmember(key: Key, count: int | None = None, withscores: bool = False
                ) -> Call[Read | list[Read] | list[tuple[Read, float]] | None]:
    """A random member (None when missing); with `count`, a list of up to `count` distinct
    members (a negative count allows repeats and gives exactly ``-count``); with
    `withscores`, ``(member, score)`` tuples."""
    argv = [b"ZRANDMEMBER", key_bytes("zrandmember", key)]
    if count is None:
        if withscores:
            raise ValueError("zrandmember: withscores needs a count")
        return Call(tuple(argv), data_or_none, True)
    argv.append(b"%d" % integer_arg("zrandmember", count, "count"))
    if withscores:
        argv.append(b"WITHSCORES")
        return Call(tuple(argv), scored_pairs, True)
    return Call(tuple(argv), data_list, True)


def _combine(name: bytes, op: str, dest: Key, keys: object, aggregate: str | None, *,
             weighted: bool = True) -> Call[int]:
    if weighted and isinstance(keys, Mapping):
        names = [key_bytes(op, k, "key") for k in keys]
        weights = [float_arg(op, w, "weight") for w in keys.values()]
    else:
        names, weights = key_list(op, keys), []
    if not names:
        raise ValueError(f"{op}: at least one key is required")
    argv = [name, key_bytes(op, dest, "dest"), b"%d" % len(names), *names]
    if weights:
        argv += (b"WEIGHTS", *weights)
    if aggregate is not None:
        argv += (b"AGGREGATE", choice(op, aggregate, "aggregate", ("SUM", "MIN", "MAX")))
    return Call(tuple(argv), integer, False, None)


@operation
def zunionstore(dest: Key, keys: Weights, aggregate: str | None = None) -> Call[int]:
    """Store the union of the sorted sets `keys` at `dest`; return its size.  `keys` may
    map each key to a weight; `aggregate` is ``"sum"`` (default), ``"min"`` or ``"max"``."""
    return _combine(b"ZUNIONSTORE", "zunionstore", dest, keys, aggregate)


@operation
def zinterstore(dest: Key, keys: Weights, aggregate: str | None = None) -> Call[int]:
    """Store the intersection of the sorted sets `keys` at `dest`; return its size.  `keys`
    may map each key to a weight; `aggregate` is ``"sum"`` (default), ``"min"`` or
    ``"max"``."""
    return _combine(b"ZINTERSTORE", "zinterstore", dest, keys, aggregate)


@operation
def zdiffstore(dest: Key, keys: Keys) -> Call[int]:
    """Store the members of the first sorted set of `keys` that are in none of the others
    at `dest` (with their scores); return its size."""
    return _combine(b"ZDIFFSTORE", "zdiffstore", dest, keys, None, weighted=False)


@operation
def zscan(key: Key, cursor: int = 0, *, match: Key | None = None,
          count: int | None = None) -> Call[tuple[int, list[tuple[Read, float]]]]:
    """One page of ZSCAN: the next cursor (0 when done) and ``(member, score)`` tuples.
    `zscan_iter` runs the whole scan."""
    argv = [b"ZSCAN", key_bytes("zscan", key), cursor_arg("zscan", cursor)]
    scan_options("zscan", argv, match, count)
    return Call(tuple(argv), scored_page, True)
