"""Sorted-set commands of the in-process store.

Theory of operation: a sorted set is a `ZSet`, a dict member -> score plus a `ZIndex` of the
(score, member) pairs in Redis's order, so a score lookup is O(1) and a rank, a range bound
or an insertion O(log n).  Scores are floats and never NaN: every command that would make one
refuses with Redis's error, and the set operations turn one into 0 as Redis does.

A range is resolved into a span of ranks ``[lo, hi)`` first (`kvs.memory.zspans`) and then
read from the index, in either direction, with LIMIT's offset and count applied in the
direction of travel.

Replies follow Redis 7.0 over RESP3: scores as floats, and WITHSCORES as a list of
``[member, score]`` pairs.  As for every other type, an emptied sorted set deletes its key.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from kvs.memory.keyspace import NOT_INTEGER, SYNTAX, WRONGTYPE, CommandError, Keyspace
from kvs.memory.numbers import parse_double, parse_int
from kvs.memory.zindex import LISTPACK_ENTRIES, LISTPACK_VALUE, Pair, ZSet
from kvs.memory.zspans import lex_bound, lex_span, rank_span, score_bound, score_span, window

__all__ = ["ZSetCommands", "int_arg", "option"]

NOT_FLOAT = "ERR value is not a valid float"
_NAN = "ERR resulting score is not a number (NaN)"
_POSITIVE = "ERR value is out of range, must be positive"
_ZADD_FLAGS = frozenset((b"NX", b"XX", b"CH", b"INCR", b"GT", b"LT"))


def int_arg(arg: bytes) -> int:
    value = parse_int(arg)
    if value is None:
        raise CommandError(NOT_INTEGER)
    return value


def option(arg: bytes) -> bytes:
    """An option word as Redis's ``strcasecmp`` sees it: up to a NUL byte, any case."""
    return arg.partition(b"\0")[0].upper()


def _double_arg(arg: bytes, error: str = NOT_FLOAT) -> float:
    value = parse_double(arg)
    if value is None:
        raise CommandError(error)
    return value


class ZSetCommands(Keyspace):
    """Commands on sorted sets, except the set operations (``_memory_zsetops``)."""

    def _get_zset(self, key: bytes) -> ZSet | None:
        value = self._lookup(key)
        if value is None or type(value) is ZSet:
            return value
        raise CommandError(WRONGTYPE)

    # -- writes -------------------------------------------------------------------------

    def _zadd(self, argv: Sequence[bytes], incr: bool) -> Any:
        nx = xx = gt = lt = ch = False
        i, n = 2, len(argv)
        while i < n and (flag := option(argv[i])) in _ZADD_FLAGS:
            nx, xx, ch = nx or flag == b"NX", xx or flag == b"XX", ch or flag == b"CH"
            gt, lt, incr = gt or flag == b"GT", lt or flag == b"LT", incr or flag == b"INCR"
            i += 1
        elements = n - i
        if elements % 2 or not elements:
            raise CommandError(SYNTAX)
        if nx and xx:
            raise CommandError("ERR XX and NX options at the same time are not compatible")
        if (gt and nx) or (lt and nx) or (gt and lt):
            raise CommandError("ERR GT, LT, and/or NX options at the same time are not compatible")
        if incr and elements > 2:
            raise CommandError("ERR INCR option supports a single increment-element pair")
        scores = [_double_arg(argv[j]) for j in range(i, n, 2)]
        key = argv[1]
        zset = self._get_zset(key)
        added = updated = processed = 0
        score = 0.0
        if zset is None:
            if xx:
                return None if incr else 0
            zset = self._data[key] = ZSet(listpack=len(argv[i + 1]) <= LISTPACK_VALUE)
        for given, j in zip(scores, range(i + 1, n, 2), strict=True):
            score, member = given, argv[j]
            current = zset.scores.get(member)
            if current is None:
                if xx:
                    continue
                zset.insert(member, score)
                added += 1
                processed += 1
                continue
            if nx:
                continue
            if incr:
                score += current
                if math.isnan(score):
                    raise CommandError(_NAN)
            if (lt and score >= current) or (gt and score <= current):
                continue
            processed += 1
            if score != current:
                zset.move(member, current, score)
                updated += 1
        if incr:
            return score if processed else None
        return added + updated if ch else added

    def _cmd_zadd(self, argv: Sequence[bytes]) -> Any:
        return self._zadd(argv, incr=False)

    def _cmd_zincrby(self, argv: Sequence[bytes]) -> Any:
        return self._zadd(argv, incr=True)

    def _cmd_zrem(self, argv: Sequence[bytes]) -> Any:
        key = argv[1]
        zset = self._get_zset(key)
        if zset is None:
            return 0
        removed = sum(zset.discard(member) for member in argv[2:])
        self._drop_if_empty(key, zset)
        return removed

    def _zremrange(self, argv: Sequence[bytes], by: str) -> Any:
        if by == "rank":
            start, end = int_arg(argv[2]), int_arg(argv[3])
        elif by == "score":
            low, high = score_bound(argv[2]), score_bound(argv[3])
        else:
            lex_low, lex_high = lex_bound(argv[2]), lex_bound(argv[3])
        key = argv[1]
        zset = self._get_zset(key)
        if zset is None:
            return 0
        index = zset.index
        if by == "rank":
            span = rank_span(len(index), start, end)
        elif by == "score":
            span = score_span(index, low, high)
        else:
            span = lex_span(index, lex_low, lex_high, reverse=False)
        for _, member in index.slice(span.start, span.stop):
            zset.discard(member)
        self._drop_if_empty(key, zset)
        return len(span)

    def _cmd_zremrangebyrank(self, argv: Sequence[bytes]) -> Any:
        return self._zremrange(argv, "rank")

    def _cmd_zremrangebyscore(self, argv: Sequence[bytes]) -> Any:
        return self._zremrange(argv, "score")

    def _cmd_zremrangebylex(self, argv: Sequence[bytes]) -> Any:
        return self._zremrange(argv, "lex")

    def _zpop(self, argv: Sequence[bytes], top: bool) -> Any:
        if len(argv) > 3:
            raise CommandError(SYNTAX)
        count = None
        if len(argv) == 3:
            count = parse_int(argv[2])
            if count is None or count < 0:
                raise CommandError(_POSITIVE)
        key = argv[1]
        zset = self._get_zset(key)
        if zset is None or count == 0:
            return []
        index = zset.index
        n = min(1 if count is None else count, len(index))
        pairs = index.slice(len(index) - n, len(index))[::-1] if top else index.slice(0, n)
        for _, member in pairs:
            zset.discard(member)
        self._drop_if_empty(key, zset)
        if count is None:
            return [pairs[0][1], pairs[0][0]]
        return [[member, score] for score, member in pairs]

    def _cmd_zpopmin(self, argv: Sequence[bytes]) -> Any:
        return self._zpop(argv, top=False)

    def _cmd_zpopmax(self, argv: Sequence[bytes]) -> Any:
        return self._zpop(argv, top=True)

    # -- reads --------------------------------------------------------------------------

    def _cmd_zcard(self, argv: Sequence[bytes]) -> Any:
        zset = self._get_zset(argv[1])
        return 0 if zset is None else len(zset)

    def _cmd_zscore(self, argv: Sequence[bytes]) -> Any:
        zset = self._get_zset(argv[1])
        return None if zset is None else zset.scores.get(argv[2])

    def _cmd_zmscore(self, argv: Sequence[bytes]) -> Any:
        zset = self._get_zset(argv[1])
        if zset is None:
            return [None] * (len(argv) - 2)
        return [zset.scores.get(member) for member in argv[2:]]

    def _zrank(self, argv: Sequence[bytes], reverse: bool) -> Any:
        zset = self._get_zset(argv[1])
        if zset is None or (score := zset.scores.get(argv[2])) is None:
            return None
        rank = zset.index.rank((score, argv[2]))
        return len(zset) - 1 - rank if reverse else rank

    def _cmd_zrank(self, argv: Sequence[bytes]) -> Any:
        return self._zrank(argv, reverse=False)

    def _cmd_zrevrank(self, argv: Sequence[bytes]) -> Any:
        return self._zrank(argv, reverse=True)

    def _cmd_zcount(self, argv: Sequence[bytes]) -> Any:
        low, high = score_bound(argv[2]), score_bound(argv[3])
        zset = self._get_zset(argv[1])
        return 0 if zset is None else len(score_span(zset.index, low, high))

    def _cmd_zlexcount(self, argv: Sequence[bytes]) -> Any:
        low, high = lex_bound(argv[2]), lex_bound(argv[3])
        zset = self._get_zset(argv[1])
        return 0 if zset is None else len(lex_span(zset.index, low, high, reverse=False))

    def _cmd_zrandmember(self, argv: Sequence[bytes]) -> Any:
        n = len(argv)
        if n == 2:
            zset = self._get_zset(argv[1])
            return None if zset is None else zset.index.at(random.randrange(len(zset)))[1]
        count = int_arg(argv[2])
        if count == -(2**63):
            raise CommandError(
                "ERR value is out of range, value must between "
                "-9223372036854775807 and 9223372036854775807"
            )
        if n > 4 or (n == 4 and option(argv[3]) != b"WITHSCORES"):
            raise CommandError(SYNTAX)
        withscores = n == 4
        if withscores and not -(2**62 - 1) <= count <= 2**62 - 1:
            raise CommandError("ERR value is out of range")
        zset = self._get_zset(argv[1])
        if zset is None or count == 0:
            return []
        index = zset.index
        size = len(index)
        if count < 0:
            pairs = [index.at(random.randrange(size)) for _ in range(-count)]
        elif count >= size:
            pairs = list(index)
        else:
            pairs = [index.at(rank) for rank in sorted(random.sample(range(size), count))]
        if withscores:
            return [[member, score] for score, member in pairs]
        return [member for _, member in pairs]

    # -- ranges -------------------------------------------------------------------------

    def _zrange(
        self, argv: Sequence[bytes], first: int, by: str | None, reverse: bool | None
    ) -> Any:
        """ZRANGE and its older forms; ``first`` is the index of the source key in argv."""
        store = first == 2
        withscores = False
        offset, count = 0, -1
        n = len(argv)
        j = first + 3
        while j < n:
            opt = option(argv[j])
            if not store and opt == b"WITHSCORES":
                withscores = True
            elif opt == b"LIMIT" and n - j - 1 >= 2:
                offset, count = int_arg(argv[j + 1]), int_arg(argv[j + 2])
                j += 2
            elif reverse is None and opt == b"REV":
                reverse = True
            elif by is None and opt == b"BYLEX":
                by = "lex"
            elif by is None and opt == b"BYSCORE":
                by = "score"
            else:
                raise CommandError(SYNTAX)
            j += 1
        reverse = bool(reverse)
        by = by or "rank"
        if count != -1 and by == "rank":
            raise CommandError(
                "ERR syntax error, LIMIT is only supported in combination with either "
                "BYSCORE or BYLEX"
            )
        if withscores and by == "lex":
            raise CommandError(
                "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
            )
        low_arg, high_arg = argv[first + 1], argv[first + 2]
        if reverse and by != "rank":
            low_arg, high_arg = high_arg, low_arg
        if by == "rank":
            start, end = int_arg(low_arg), int_arg(high_arg)
        elif by == "score":
            low, high = score_bound(low_arg), score_bound(high_arg)
        else:
            lex_low, lex_high = lex_bound(low_arg), lex_bound(high_arg)
        zset = self._get_zset(argv[first])
        pairs: list[Pair] = []
        if zset is not None:
            index = zset.index
            size = len(index)
            if by == "rank":
                span = rank_span(size, start, end)
                if reverse:
                    span = range(size - span.stop, size - span.start)
                lo, hi = span.start, span.stop
            else:
                if by == "score":
                    span = score_span(index, low, high)
                else:
                    span = lex_span(index, lex_low, lex_high, reverse)
                lo, hi = window(span, offset, count, reverse)
            pairs = index.slice(lo, hi)
            if reverse:
                pairs.reverse()
        if store:
            # The new set starts as a listpack unless a rank range says it will be too long.
            listpack = by != "rank" or len(pairs) <= LISTPACK_ENTRIES
            return self._store_pairs(argv[1], pairs, listpack)
        if withscores:
            return [[member, score] for score, member in pairs]
        return [member for _, member in pairs]

    def _store_pairs(self, key: bytes, pairs: list[Pair], listpack: bool) -> int:
        if not pairs:
            self._delete(key)
            return 0
        self._set_value(key, ZSet.from_pairs(pairs, listpack))
        return len(pairs)

    def _cmd_zrange(self, argv: Sequence[bytes]) -> Any:
        return self._zrange(argv, 1, None, None)

    def _cmd_zrangestore(self, argv: Sequence[bytes]) -> Any:
        return self._zrange(argv, 2, None, None)

    def _cmd_zrevrange(self, argv: Sequence[bytes]) -> Any:
        return self._zrange(argv, 1, "rank", True)

    def _cmd_zrangebyscore(self, argv: Sequence[bytes]) -> Any:
        return self._zrange(argv, 1, "score", False)

    def _cmd_zrevrangebyscore(self, argv: Sequence[bytes]) -> Any:
        return self._zrange(argv, 1, "score", True)

    def _cmd_zrangebylex(self, argv: Sequence[bytes]) -> Any:
        return self._zrange(argv, 1, "lex", False)

    def _cmd_zrevrangebylex(self, argv: Sequence[bytes]) -> Any:
        return self._zrange(argv, 1, "lex", True)
