# The walker's helpers (see resp/_walk.py for the theory of operation): the
# tables of aggregate headers it recognises, the frames it builds and closes
# on the parser's stack, and the runs of bulk strings inside an aggregate,
# checked against the headers their lengths imply (a repeated layout cut with
# ``uniform_bulks``) and, for ZRANGE ... WITHSCORES-like replies, pairs of a
# member and a double.

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Final

from resp._fastpath import HEADERS, uniform_bulks
from resp._types import Push

if TYPE_CHECKING:
    from resp._parser import Parser

__all__ = ["_AGGS", "_LONG_BULK", "_MIN_RUN", "_PAIR"]

_LONG_BULK: Final = 1 << 15  # a payload longer than this is one slice (the engine's)
_MIN_RUN: Final = 4  # bulk runs shorter than this are walked one by one

_AGGS: Final = {
    b"%c%d" % (byte, i): (kind, i * 2 if kind == 1 else i)
    for byte, kind in ((42, 0), (37, 1), (126, 2), (62, 3))
    for i in range(1024)
}
_DOUBLE_BYTES: Final = b"0123456789.-+eE\n,"  # the bytes a column of doubles may hold
_PAIR: Final = [b"*2"]


def _long_bulk(buf: bytes, pos: int) -> bool:
    """Whether the bulk header at ``pos`` declares a payload over ``_LONG_BULK``."""
    e = buf.find(b"\r\n", pos, pos + 22)
    head = buf[pos + 1 : e]
    return e > 0 and len(head) > 5 and head.isdigit() and int(head) > _LONG_BULK


def _build(kind: int, items: list[Any]) -> Any:
    if kind == 0:
        return items
    if kind == 1:
        it = iter(items)
        return dict(zip(it, it, strict=False))
    if kind == 2:
        return set(items)
    return Push(items)


def _close(stack: list[list[Any]], queue: deque[Any]) -> tuple[int, int, list[Any] | None]:
    """Finish the full frame on top and every parent it fills; the new top's state."""
    while True:
        top = stack.pop()
        value = _build(top[0], top[2])
        if not stack:
            queue.append(value)
            return 0, 0, None
        parent = stack[-1]
        items: list[Any] = parent[2]
        items.append(value)
        if len(items) != parent[1]:
            return parent[0], parent[1], items


def _uniform_frame(p: Parser, buf: bytes, pos: int, kind: int, items: list[Any] | None) -> int:
    """Open the aggregate at ``pos`` filled by a run of bulks of one layout.

    Returns the offset after what it took, or ``pos`` when it took nothing.
    """
    e = buf.find(b"\r\n", pos, pos + 24)
    agg = _AGGS.get(buf[pos:e]) if e > 0 else None
    if agg is None or agg[1] < _MIN_RUN or agg[1] > p._max_agg or len(p._stack) >= p._max_depth:
        return pos
    if items is not None and (kind == 2 or (kind == 1 and not len(items) & 1)):
        return pos  # a map key or set member: the engine makes it hashable
    if e + 2 >= len(buf) or buf[e + 2] != 36:
        return pos
    cut = uniform_bulks(buf, e + 2, agg[1], p._max_bulk, partial=True)
    if cut is None:
        return pos
    p._stack.append([agg[0], agg[1], cut[0], False])
    return cut[1]


def _doubles(column: bytes, k: int) -> list[Any] | None:
    """The ``k`` doubles of a column ``,<d>\\n,<d>...`` of RESP3 double lines, or
    None when one is not ``-?[0-9]+(.[0-9]+)?([eE][+-]?[0-9]+)?`` (the engine's
    grammar; inf and nan go to the engine).  The pieces were joined with LF.

    Checked in C calls, not a regular expression: only the grammar's bytes occur,
    no sign or dot where ``float`` would take one and the grammar would not
    (``+5``, ``.5``, ``5.``, ``5.e3``), and ``float`` takes every piece.
    """
    if (
        column.translate(None, _DOUBLE_BYTES)
        or column.count(b"\n") != k - 1  # a stray LF: float() would take it as space
        or b",+" in column
        or b",." in column
        or b"-." in column
        or b".e" in column
        or b".E" in column
        or b".\n" in column
        or column.endswith(b".")
    ):
        return None
    try:
        seconds = list(map(float, column[1:].split(b"\n,")))
    except ValueError:
        return None
    return seconds


def _pairs(  # noqa: PLR0917 - called once per run, from one place
    tokens: list[bytes], i: int, items: list[Any], count: int, max_bulk: int, max_line: int
) -> int:
    """Take a run of 2-element arrays of one shape, ``[bulk, double]`` (ZRANGE
    WITHSCORES in RESP3) or ``[bulk, bulk]``, column by column; the next piece."""
    if i + 4 > len(tokens) or tokens[i + 1][:1] != b"$":
        return i
    period = 4 if tokens[i + 3][:1] == b"," else 5
    k = min(count - len(items), (len(tokens) - i) // period)
    if k < 2:
        return i
    end = i + period * k
    if tokens[i:end:period] != _PAIR * k:
        return i
    firsts = tokens[i + 2 : end : period]
    try:
        if tokens[i + 1 : end : period] != list(map(HEADERS.__getitem__, map(len, firsts))):
            return i
        if period == 4:
            column = tokens[i + 3 : end : period]
            joined = b"\n".join(column)
            if len(joined) > max_line and max(map(len, column)) > max_line:
                return i
            seconds = _doubles(joined, k)
            if seconds is None:
                return i
        else:
            seconds = tokens[i + 4 : end : period]
            if tokens[i + 3 : end : period] != list(map(HEADERS.__getitem__, map(len, seconds))):
                return i
            if max_bulk < len(HEADERS) and max(map(len, seconds)) > max_bulk:
                return i
    except IndexError:
        return i
    if max_bulk < len(HEADERS) and max(map(len, firsts)) > max_bulk:
        return i
    items += map(list, zip(firsts, seconds, strict=True))
    return end


def _split_run(
    tokens: list[bytes], i: int, items: list[Any], count: int, max_bulk: int
) -> int:
    """Take the bulk strings at ``tokens[i]`` for the open frame if all the
    pieces up to its end (or the window's) are bulks; returns the next piece."""
    k = min(count - len(items), (len(tokens) - i) >> 1)
    if k < _MIN_RUN:
        return i
    last = i + 2 * k - 2
    if tokens[i + 2][:1] != b"$" or tokens[last][:1] != b"$":
        return i
    payloads = tokens[i + 1 : last + 2 : 2]
    try:
        expected = list(map(HEADERS.__getitem__, map(len, payloads)))
    except IndexError:
        return i
    if tokens[i : last + 1 : 2] != expected:
        return i
    if max_bulk < len(HEADERS) and max(map(len, payloads)) > max_bulk:
        return i
    items += payloads
    return i + 2 * k
