"""Operations on sorted sets: ZADD and ZINCRBY, scores and ranks, ZRANGE in all its forms,
and removals by rank and score (pops, ZRANDMEMBER, the STORE forms and ZSCAN are in
`kvs.commands.zsetops`).

Scores are floats on both protocols (RESP3 sends doubles, RESP2 the strings Redis prints);
members with scores are ``(member, score)`` tuples.  A score argument is an int or a float
(``inf`` and ``-inf`` included); a score bound may also be Redis's own spelling (``"(1.5"``,
``"-inf"``, ``"+inf"``), and a lexicographic bound is ``"[a"``, ``"(a"``, ``"-"`` or ``"+"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from ._args import (
    float_arg,
    integer_arg,
    key_bytes,
    lex_bound,
    score_bound,
    value_bytes,
    value_list,
)
from ._call import Call, Read, operation, variant
from ._decode import (
    data_list,
    integer,
    integer_or_none,
    score,
    score_or_none,
    scored_pairs,
    scores,
)
from .types import (
    Key,
    LexBound,
    RangeBound,
    ScoreBound,
    ScoreMapping,
    Value,
    Values,
)

__all__ = [
    "zadd", "zcard", "zcount", "zincrby", "zlexcount", "zmscore", "zrange", "zrangebyscore",
    "zrangestore", "zrank", "zrem", "zremrangebyrank", "zremrangebyscore", "zrevrange",
    "zrevrank", "zscore",
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
