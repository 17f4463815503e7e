"""Range resolution for the sorted sets of the in-process store: score, lexicographic and
rank bounds parsed as Redis 7.0 parses them, resolved against a `kvs.memory.zindex.ZIndex`
into a span of ranks ``[lo, hi)``, and LIMIT's window over a span.

Score bounds are bisected directly.  Lexicographic bounds are only meaningful when every
member has the same score (then members are in byte order and are bisected too); when they
differ, the span is found by the linear scan Redis's small (listpack) sets use, so the answer
is the one redis-server gives for them.  `kvs.memory.zsets` reads and removes by these spans.
"""

from __future__ import annotations

import math

from kvs.memory.keyspace import CommandError
from kvs.memory.numbers import parse_double_prefix
from kvs.memory.zindex import ZIndex

__all__ = ["lex_bound", "lex_span", "rank_span", "score_bound", "score_span", "window"]

_NOT_FLOAT_RANGE = "ERR min or max is not a float"
_NOT_LEX_RANGE = "ERR min or max not valid string range item"

# The ends of a lexicographic range ("-" and "+"), below and above every member.
_LEX_MIN, _LEX_MAX = -1, 1


def score_bound(arg: bytes) -> tuple[float, bool]:
    exclusive = arg[:1] == b"("
    value = parse_double_prefix(arg[1:] if exclusive else arg)
    if value is None:
        raise CommandError(_NOT_FLOAT_RANGE)
    return value, exclusive


def lex_bound(arg: bytes) -> tuple[bytes | int, bool]:
    first = arg[:1]
    if first in (b"+", b"-"):
        if arg[1:2] not in (b"", b"\0"):  # compared as a C string
            raise CommandError(_NOT_LEX_RANGE)
        return (_LEX_MAX if first == b"+" else _LEX_MIN), True
    if first in (b"(", b"["):
        return arg[1:], first == b"("
    raise CommandError(_NOT_LEX_RANGE)


def _lex_order(a: bytes | int, b: bytes | int) -> int:
    """Redis's ``sdscmplex``: bytes compare byte by byte; "-" is below all, "+" above."""
    if a == b:
        return 0
    if a == _LEX_MIN or b == _LEX_MAX:
        return -1
    if a == _LEX_MAX or b == _LEX_MIN:
        return 1
    assert isinstance(a, bytes) and isinstance(b, bytes)
    return -1 if a < b else 1


def score_span(index: ZIndex, low: tuple[float, bool], high: tuple[float, bool]) -> range:
    """The ranks of the pairs whose scores lie between two bounds."""
    (lo, lo_ex), (hi, hi_ex) = low, high
    if lo_ex:
        start = len(index) if lo == math.inf else index.rank((math.nextafter(lo, math.inf),))
    else:
        start = index.rank((lo,))
    if hi_ex:
        stop = index.rank((hi,))
    else:
        stop = len(index) if hi == math.inf else index.rank((math.nextafter(hi, math.inf),))
    return range(start, max(start, stop))


def lex_span(
    index: ZIndex, low: tuple[bytes | int, bool], high: tuple[bytes | int, bool], reverse: bool
) -> range:
    """The ranks of the pairs whose members lie between two lexicographic bounds."""
    (lo, lo_ex), (hi, hi_ex) = low, high
    cmp = _lex_order(lo, hi)
    if not index or cmp > 0 or (cmp == 0 and (lo_ex or hi_ex)):
        return range(0)

    def above_low(member: bytes) -> bool:
        c = _lex_order(member, lo)
        return c > 0 if lo_ex else c >= 0

    def below_high(member: bytes) -> bool:
        c = _lex_order(member, hi)
        return c < 0 if hi_ex else c <= 0

    first, last = index.first(), index.last()
    if not above_low(last[1]) or not below_high(first[1]):
        return range(0)
    n = len(index)
    if first[0] == last[0]:  # one score: the members are in byte order
        score = first[0]
        start = 0 if lo == _LEX_MIN else n if lo == _LEX_MAX else None
        if start is None:
            assert isinstance(lo, bytes)
            start = index.rank((score, lo + b"\0" if lo_ex else lo))
        stop = n if hi == _LEX_MAX else 0 if hi == _LEX_MIN else None
        if stop is None:
            assert isinstance(hi, bytes)
            stop = index.rank((score, hi if hi_ex else hi + b"\0"))
        return range(start, max(start, stop))
    # Scores differ: scan as Redis scans a small sorted set.
    if reverse:
        end = next((n - 1 - i for i, (_, m) in enumerate(index.backward(n - 1)) if below_high(m)))
        if not above_low(index.at(end)[1]):
            return range(0)
        begin = end
        for _, member in index.backward(end - 1):
            if not above_low(member):
                break
            begin -= 1
        return range(begin, end + 1)
    begin = next(i for i, (_, m) in enumerate(index) if above_low(m))
    if not below_high(index.at(begin)[1]):
        return range(0)
    end = begin + 1
    for _, member in index.forward(begin + 1):
        if not below_high(member):
            break
        end += 1
    return range(begin, end)


def window(span: range, offset: int, count: int, reverse: bool) -> tuple[int, int]:
    """LIMIT applied to a span, in the direction of travel: the ranks ``[start, stop)``."""
    if offset < 0:
        return 0, 0
    n = len(span) - offset
    if n <= 0:
        return 0, 0
    if count >= 0:
        n = min(n, count)
    if reverse:
        return span.stop - offset - n, span.stop - offset
    return span.start + offset, span.start + offset + n


def rank_span(size: int, start: int, end: int) -> range:
    """Redis's rank range ``start..end`` (negative from the end) as ranks ``[lo, hi)``."""
    if start < 0:
        start += size
    if end < 0:
        end += size
    start = max(start, 0)
    if start > end or start >= size:
        return range(0)
    return range(start, min(end, size - 1) + 1)
