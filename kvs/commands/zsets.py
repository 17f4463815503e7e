"""Operations on sorted sets: ZADD and ZINCRBY, scores and ranks, ZRANGE in all its forms,
removals by rank and score, pops, ZRANDMEMBER, the STORE forms of union, intersection and
difference, and ZSCAN.

Scores are floats on both protocols (RESP3 sends doubles, RESP2 the strings Redis prints);
members with scores are ``(member, score)`` tuples.  A score argument is an int or a float
(``inf`` and ``-inf`` included); a score bound may also be Redis's own spelling (``"(1.5"``,
``"-inf"``, ``"+inf"``), and a lexicographic bound is ``"[a"``, ``"(a"``, ``"-"`` or ``"+"``.
"""

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
    lex_bound,
    one_or_more_keys,
    score_bound,
    value_bytes,
    value_list,
)
from ._call import Call, Read, operation, variant
from ._decode import (
    data_list,
    data_or_none,
    integer,
    integer_or_none,
    key_member_score,
    score,
    score_or_none,
    scored_page,
    scored_pairs,
    scores,
)
from .keys import cursor_arg, scan_options
from .types import (
    Key,
    Keys,
    LexBound,
    RangeBound,
    ScoreBound,
    ScoreMapping,
    Timeout,
    Value,
    Values,
    Weights,
)

__all__ = [
    "bzpopmax", "bzpopmin", "zadd", "zcard", "zcount", "zdiffstore", "zincrby", "zinterstore",
    "zlexcount", "zmscore", "zpopmax", "zpopmin", "zrandmember", "zrange", "zrangebyscore",
    "zrangestore", "zrank", "zrem", "zremrangebyrank", "zremrangebyscore", "zrevrange",
    "zrevrank", "zscan", "zscore", "zunionstore",
]


@operation
def zadd(key: Key, mapping: ScoreMapping, *, nx: bool = False, xx: bool = False,
         gt: bool = False, lt: bool = False, ch: bool = False) -> Call[int]:
    """Add the members of `mapping` (member -> score) or update their scores.

    Args:
        nx: only add new members; xx: only update existing ones.
        gt, lt: only update when the new score is greater (less) than the current one.
        ch: count changed members too, not only added ones.

    Returns:
        The number of members added (with `ch`, added or changed).
    """
    if not isinstance(mapping, Mapping):
        raise TypeError(f"zadd: mapping must be a mapping, not {type(mapping).__name__}")
    if nx and xx:
        raise ValueError("zadd: give nx or xx, not both")
    if (nx and (gt or lt)) or (gt and lt):
        raise ValueError("zadd: gt, lt and nx exclude each other")
    argv = [b"ZADD", key_bytes("zadd", key)]
    for flag, name in ((nx, b"NX"), (xx, b"XX"), (gt, b"GT"), (lt, b"LT"), (ch, b"CH")):
        if flag:
            argv.append(name)
    before = len(argv)
    for member, value in mapping.items():
        argv += (float_arg("zadd", value, "score"), value_bytes("zadd", member, "member"))
    if len(argv) == before:
        raise ValueError("zadd: mapping must not be empty")
    return Call(tuple(argv), integer, False)


@operation
def zincrby(key: Key, amount: float, member: Value) -> Call[float]:
    """Add `amount` to the score of `member` (a new member starts at 0); return the score."""
    return Call((b"ZINCRBY", key_bytes("zincrby", key), float_arg("zincrby", amount, "amount"),
                 value_bytes("zincrby", member, "member")), score, False)


@operation
def zrem(key: Key, *members: Value) -> Call[int]:
    """Remove members; return how many were there."""
    if not members:
        raise TypeError("zrem: at least one member is required")
    return Call((b"ZREM", key_bytes("zrem", key),
                 *(value_bytes("zrem", m, "member") for m in members)), integer, False)


@operation
def zscore(key: Key, member: Value) -> Call[float | None]:
    """The score of `member`, or None."""
    return Call((b"ZSCORE", key_bytes("zscore", key), value_bytes("zscore", member, "member")),
                score_or_none, True)


@operation
def zmscore(key: Key, members: Values) -> Call[list[float | None]]:
    """The scores of `members`, aligned with them, None where missing."""
    items = value_list("zmscore", members, "members")
    if not items:
        raise ValueError("zmscore: at least one member is required")
    return Call((b"ZMSCORE", key_bytes("zmscore", key), *items), scores, True)


@operation
def zcard(key: Key) -> Call[int]:
    """The number of members (0 when missing)."""
    return Call((b"ZCARD", key_bytes("zcard", key)), integer, True)


@operation
def zcount(key: Key, min: ScoreBound, max: ScoreBound) -> Call[int]:
    """The number of members with a score between `min` and `max` (inclusive unless
    written ``"(x"``)."""
    return Call((b"ZCOUNT", key_bytes("zcount", key), score_bound("zcount", min, "min"),
                 score_bound("zcount", max, "max")), integer, True)


@operation
def zlexcount(key: Key, min: LexBound, max: LexBound) -> Call[int]:
    """The number of members between the lexicographic bounds `min` and `max` (for members
    that share one score)."""
    return Call((b"ZLEXCOUNT", key_bytes("zlexcount", key), lex_bound("zlexcount", min, "min"),
                 lex_bound("zlexcount", max, "max")), integer, True)


@operation
def zrank(key: Key, member: Value) -> Call[int | None]:
    """The rank of `member` by ascending score (0 first), or None."""
    return Call((b"ZRANK", key_bytes("zrank", key), value_bytes("zrank", member, "member")),
                integer_or_none, True)


@operation
def zrevrank(key: Key, member: Value) -> Call[int | None]:
    """The rank of `member` by descending score (0 first), or None."""
    return Call((b"ZREVRANK", key_bytes("zrevrank", key),
                 value_bytes("zrevrank", member, "member")), integer_or_none, True)


def _range_args(op: str, start: object, stop: object, *, byscore: bool, bylex: bool,
                rev: bool, offset: int | None, count: int | None) -> list[bytes]:
    """ZRANGE's arguments after the key(s): the bounds, BYSCORE/BYLEX, REV and LIMIT."""
    if byscore and bylex:
        raise ValueError(f"{op}: give byscore or bylex, not both")
    if byscore:
        args = [score_bound(op, start, "start"), score_bound(op, stop, "stop"), b"BYSCORE"]
    elif bylex:
        args = [lex_bound(op, start, "start"), lex_bound(op, stop, "stop"), b"BYLEX"]
    else:
        args = [b"%d" % integer_arg(op, start, "start"), b"%d" % integer_arg(op, stop, "stop")]
    if rev:
        args.append(b"REV")
    if (offset is None) != (count is None):
        raise ValueError(f"{op}: give offset and count together")
    if offset is not None and count is not None:
        if not (byscore or bylex):
            raise ValueError(f"{op}: offset and count need byscore or bylex")
        args += (b"LIMIT", b"%d" % integer_arg(op, offset, "offset"),
                 b"%d" % integer_arg(op, count, "count"))
    return args


@variant("zrange")
def _zrange_1(key: Key, start: RangeBound, stop: RangeBound, *, byscore: bool = False,
           bylex: bool = False, rev: bool = False, offset: int | None = None,
           count: int | None = None, withscores: Literal[False] = False) -> Call[list[Read]]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("zrange")
def _zrange_2(key: Key, start: RangeBound, stop: RangeBound, *, byscore: bool = False,
           bylex: bool = False, rev: bool = False, offset: int | None = None,
           count: int | None = None, withscores: Literal[True]
           ) -> Call[list[tuple[Read, float]]]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def zrange(key: Key, start: RangeBound, stop: RangeBound, *, byscore: bool = False,
           bylex: bool = False, rev: bool = False, offset: int | None = None,
           count: int | None = None, withscores: bool = False
           ) -> Call[list[Read] | list[tuple[Read, float]]]:
    """Members from `start` to `stop` inclusive: by rank (ints; negative counts from the
    end), by score (`byscore`: score bounds) or lexicographically (`bylex`: lex bounds).

    Args:
        rev: descending order; with `byscore`/`bylex`, `start` is then the upper bound, as
            Redis takes it.
        offset, count: skip `offset` matches and return at most `count` (a negative count:
            all); only with `byscore` or `bylex`.
        withscores: ``(member, score)`` tuples instead of members (not with `bylex`).

    Example::

        await db.zrange("board", 0, 2, rev=True, withscores=True)   # the top three
    """
    argv = [b"ZRANGE", key_bytes("zrange", key),
            *_range_args("zrange", start, stop, byscore=byscore, bylex=bylex, rev=rev,
                         offset=offset, count=count)]
    if withscores:
        if bylex:
            raise ValueError("zrange: withscores is not supported with bylex")
        argv.append(b"WITHSCORES")
        return Call(tuple(argv), scored_pairs, True)
    return Call(tuple(argv), data_list, True)


@operation
def zrangestore(dest: Key, name: Key, start: RangeBound, stop: RangeBound, *,
                byscore: bool = False, bylex: bool = False, rev: bool = False,
                offset: int | None = None, count: int | None = None) -> Call[int]:
    """Store what `zrange(name, start, stop, ...)` would return at `dest`; return its size."""
    argv = (b"ZRANGESTORE", key_bytes("zrangestore", dest, "dest"),
            key_bytes("zrangestore", name, "name"),
            *_range_args("zrangestore", start, stop, byscore=byscore, bylex=bylex, rev=rev,
                         offset=offset, count=count))
    return Call(argv, integer, False, (1, 2, 1))


@variant("zrangebyscore")
def _zrangebyscore_1(key: Key, min: ScoreBound, max: ScoreBound, *,
                  start: int | None = None, num: int | None = None,
                  withscores: Literal[False] = False) -> Call[list[Read]]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("zrangebyscore")
def _zrangebyscore_2(key: Key, min: ScoreBound, max: ScoreBound, *,
                  start: int | None = None, num: int | None = None,
                  withscores: Literal[True]) -> Call[list[tuple[Read, float]]]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def zrangebyscore(key: Key, min: ScoreBound, max: ScoreBound, *,
                  start: int | None = None, num: int | None = None,
                  withscores: bool = False) -> Call[list[Read] | list[tuple[Read, float]]]:
    """Members with a score between `min` and `max`, ascending; `start` and `num` skip and
    limit (give both); with `withscores`, ``(member, score)`` tuples."""
    argv = [b"ZRANGEBYSCORE", key_bytes("zrangebyscore", key),
            score_bound("zrangebyscore", min, "min"), score_bound("zrangebyscore", max, "max")]
    if (start is None) != (num is None):
        raise ValueError("zrangebyscore: give start and num together")
    if withscores:
        argv.append(b"WITHSCORES")
    if start is not None and num is not None:
        argv += (b"LIMIT", b"%d" % integer_arg("zrangebyscore", start, "start"),
                 b"%d" % integer_arg("zrangebyscore", num, "num"))
    return Call(tuple(argv), scored_pairs if withscores else data_list, True)


@variant("zrevrange")
def _zrevrange_1(key: Key, start: int, end: int,
              withscores: Literal[False] = False) -> Call[list[Read]]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("zrevrange")
def _zrevrange_2(key: Key, start: int, end: int,
              withscores: Literal[True]) -> Call[list[tuple[Read, float]]]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def zrevrange(key: Key, start: int, end: int,
              withscores: bool = False) -> Call[list[Read] | list[tuple[Read, float]]]:
    """Members by rank from `start` to `end` inclusive, by descending score."""
    argv = [b"ZREVRANGE", key_bytes("zrevrange", key),
            b"%d" % integer_arg("zrevrange", start, "start"),
            b"%d" % integer_arg("zrevrange", end, "end")]
    if withscores:
        argv.append(b"WITHSCORES")
    return Call(tuple(argv), scored_pairs if withscores else data_list, True)


@operation
def zremrangebyrank(key: Key, min: int, max: int) -> Call[int]:
    """Remove the members ranked `min` to `max` inclusive; return how many."""
    return Call((b"ZREMRANGEBYRANK", key_bytes("zremrangebyrank", key),
                 b"%d" % integer_arg("zremrangebyrank", min, "min"),
                 b"%d" % integer_arg("zremrangebyrank", max, "max")), integer, False)


@operation
def zremrangebyscore(key: Key, min: ScoreBound, max: ScoreBound) -> Call[int]:
    """Remove the members with a score between `min` and `max`; return how many."""
    return Call((b"ZREMRANGEBYSCORE", key_bytes("zremrangebyscore", key),
                 score_bound("zremrangebyscore", min, "min"),
                 score_bound("zremrangebyscore", max, "max")), integer, False)


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
