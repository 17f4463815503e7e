"""Sorted-set algebra of the in-process store: ZUNION, ZINTER, ZDIFF, their STORE forms and
ZINTERCARD.

Theory of operation: each input key is read as a dict member -> score (a plain set counts
as scores of 1.0, a missing key as empty), in the order Redis uses: for union and
intersection the inputs are sorted by size (a stable sort, as glibc's ``qsort`` is for so
few items), since that order decides how the floating-point aggregates are summed.  A
weighted score that is NaN (``inf * 0``) becomes 0, and so does a SUM of ``inf`` and
``-inf``, as in Redis.  The result is a new `ZSet`; a STORE form replaces the destination
(or deletes it when the result is empty), and the others reply in (score, member) order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from kvs.memory.keyspace import SYNTAX, WRONGTYPE, CommandError, Keyspace
from kvs.memory.numbers import parse_double, parse_int
from kvs.memory.zindex import LISTPACK_ENTRIES, LISTPACK_VALUE, ZSet
from kvs.memory.zsets import int_arg, option

__all__ = ["ZSetOpCommands"]

_SUM, _MIN, _MAX = b"SUM", b"MIN", b"MAX"


def _aggregate(target: float, value: float, how: bytes) -> float:
    if how == _SUM:
        total = target + value
        return 0.0 if math.isnan(total) else total
    if how == _MIN:
        return value if value < target else target
    return value if value > target else target


class ZSetOpCommands(Keyspace):
    """Union, intersection and difference of sorted sets (and plain sets)."""

    def _zsource(self, key: bytes) -> dict[bytes, float]:
        value = self._lookup(key)
        if value is None:
            return {}
        if type(value) is ZSet:
            return value.scores
        if type(value) is set:
            return dict.fromkeys(value, 1.0)
        raise CommandError(WRONGTYPE)

    def _zsetop(self, argv: Sequence[bytes], op: str, store: bool, card: bool = False) -> Any:
        """The shared body of the seven commands; ``op`` is union, inter or diff."""
        numkeys_at = 2 if store else 1
        name = argv[0].decode("utf-8", "replace").lower()
        setnum = int_arg(argv[numkeys_at])
        if setnum < 1:
            raise CommandError(f"ERR at least 1 input key is needed for '{name}' command")
        n = len(argv)
        if setnum > n - numkeys_at - 1:
            raise CommandError(SYNTAX)
        j = numkeys_at + 1
        sources = [self._zsource(key) for key in argv[j : j + setnum]]
        j += setnum
        weights = [1.0] * setnum
        how, withscores, limit = _SUM, False, 0
        while j < n:
            left = n - j
            opt = option(argv[j])
            if op != "diff" and not card and left >= setnum + 1 and opt == b"WEIGHTS":
                for i in range(setnum):
                    weight = parse_double(argv[j + 1 + i])
                    if weight is None:
                        raise CommandError("ERR weight value is not a float")
                    weights[i] = weight
                j += setnum + 1
            elif op != "diff" and not card and left >= 2 and opt == b"AGGREGATE":
                how = option(argv[j + 1])
                if how not in (_SUM, _MIN, _MAX):
                    raise CommandError(SYNTAX)
                j += 2
            elif not store and not card and opt == b"WITHSCORES":
                withscores = True
                j += 1
            elif card and left >= 2 and opt == b"LIMIT":
                parsed = parse_int(argv[j + 1])
                if parsed is None or parsed < 0:
                    raise CommandError("ERR LIMIT can't be negative")
                limit = parsed
                j += 2
            else:
                raise CommandError(SYNTAX)
        if op == "diff":
            first = sources[0]
            others = sources[1:]
            result = {m: s for m, s in first.items() if not any(m in o for o in others)}
        else:
            order = sorted(range(setnum), key=lambda i: len(sources[i]))
            inputs = [(sources[i], weights[i]) for i in order]
            if op == "inter":
                if card:
                    return _intercard(inputs, limit)
                result = _inter(inputs, how)
            else:
                result = _union(inputs, how)
        if store:
            key = argv[1]
            if not result:
                self._delete(key)
                return 0
            small = len(result) <= LISTPACK_ENTRIES and max(map(len, result)) <= LISTPACK_VALUE
            pairs = [(score, member) for member, score in result.items()]
            zset = ZSet.from_pairs(pairs, listpack=small)
            self._set_value(key, zset)
            return len(zset)
        pairs = sorted((score, member) for member, score in result.items())
        if withscores:
            return [[member, score] for score, member in pairs]
        return [member for _, member in pairs]

    def _cmd_zunionstore(self, argv: Sequence[bytes]) -> Any:
        return self._zsetop(argv, "union", store=True)

    def _cmd_zinterstore(self, argv: Sequence[bytes]) -> Any:
        return self._zsetop(argv, "inter", store=True)

    def _cmd_zdiffstore(self, argv: Sequence[bytes]) -> Any:
        return self._zsetop(argv, "diff", store=True)

    def _cmd_zunion(self, argv: Sequence[bytes]) -> Any:
        return self._zsetop(argv, "union", store=False)

    def _cmd_zinter(self, argv: Sequence[bytes]) -> Any:
        return self._zsetop(argv, "inter", store=False)

    def _cmd_zdiff(self, argv: Sequence[bytes]) -> Any:
        return self._zsetop(argv, "diff", store=False)

    def _cmd_zintercard(self, argv: Sequence[bytes]) -> Any:
        return self._zsetop(argv, "inter", store=False, card=True)


def _weighted(score: float, weight: float) -> float:
    value = weight * score
    return 0.0 if math.isnan(value) else value


def _union(inputs: list[tuple[dict[bytes, float], float]], how: bytes) -> dict[bytes, float]:
    result: dict[bytes, float] = {}
    for scores, weight in inputs:
        for member, score in scores.items():
            value = _weighted(score, weight)
            old = result.get(member)
            result[member] = value if old is None else _aggregate(old, value, how)
    return result


def _inter(inputs: list[tuple[dict[bytes, float], float]], how: bytes) -> dict[bytes, float]:
    (smallest, weight), rest = inputs[0], inputs[1:]
    result: dict[bytes, float] = {}
    for member, score in smallest.items():
        total = _weighted(score, weight)
        for scores, other_weight in rest:
            other = scores.get(member)
            if other is None:
                break
            # Redis does not turn a NaN product into 0 here, but the aggregate may.
            total = _aggregate(total, other * other_weight, how)
        else:
            result[member] = total
    return result


def _intercard(inputs: list[tuple[dict[bytes, float], float]], limit: int) -> int:
    (smallest, _), rest = inputs[0], inputs[1:]
    count = 0
    for member in smallest:
        if all(member in scores for scores, _ in rest):
            count += 1
            if limit and count >= limit:
                break
    return count
