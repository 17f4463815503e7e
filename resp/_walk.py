# Theory of operation
# ===================
#
# ``walk(parser)`` is the parser's fast engine.  It cuts a window of the
# buffer on CRLF with one ``bytes.split`` and walks the pieces: every line
# (``+OK``, ``:1``, ``*3``, ``$5`` ...) is one piece, and so is every bulk
# payload that holds no CRLF of its own (one that does spans several pieces,
# which are joined back).  A bulk piece is right exactly when its length is
# the length its header declared: pieces are separated by the *first* CRLF
# after each element, so a payload of the declared length ends on a CRLF.
#
# It shares the parser's state: it starts at ``_pos`` and continues the
# partial aggregates on ``_stack`` (the same frames ``[kind, count, items,
# hashable]``), and it leaves there whatever it has not finished.  Complete
# top-level replies go to ``_queue``.  So the element-by-element engine and
# the walker can take turns at any element boundary.
#
# It takes only what it can take with the engine's exact result and checks:
# plain arrays, maps, sets and pushes of known length, bulk strings and nulls,
# simple strings and errors, integers, doubles, booleans.  At anything else
# (attributes, streamed or verbatim strings, big numbers, bulk errors, an
# aggregate that would be a map key or a set member, any limit reached,
# anything malformed, an element not yet complete) it stops before that
# element and the engine takes it: the engine raises the exact error, waits
# for bytes, or parses the element, and then hands back.
#
# A run of bulk strings inside an aggregate (LRANGE, HGETALL, MGET ...) is
# checked in a few C calls: the header pieces must equal the headers the
# lengths of the payload pieces imply.  One layout repeated throughout is cut
# with ``struct`` instead (``uniform_bulks``), which is faster still.
#
# Linear time.  The window starts at ``_MIN_WINDOW`` bytes and doubles only
# while every piece of the previous window was used, so the bytes split but
# not consumed in one call are at most what was consumed plus a constant.  A
# bulk longer than the window is left to the engine (one slice, not repeated
# splits of a growing window).  When ``WORK`` is a list, every window split or
# scanned is appended to it (its length in bytes): tests count the work.

from __future__ import annotations

import re
from collections import deque
from typing import TYPE_CHECKING, Any, Final

from resp import _fastpath
from resp._fastpath import HEADERS, SIZES, simple_run, uniform_bulks
from resp._types import Push, ReplyError

if TYPE_CHECKING:
    from resp._parser import Parser

__all__ = ["walk"]

_MIN_WINDOW: Final = 128
_MAX_WINDOW: Final = 1 << 20
_LONG_BULK: Final = 1 << 15  # a payload longer than this is one slice (the engine's)
_MIN_RUN: Final = 4  # bulk runs shorter than this are walked one by one

_AGGS: Final = {
    b"%c%d" % (byte, i): (kind, i * 2 if kind == 1 else i)
    for byte, kind in ((42, 0), (37, 1), (126, 2), (62, 3))
    for i in range(1024)
}
_INTS: Final = {b":%d" % i: i for i in range(-1, 1024)}
_SIMPLE: Final = {b"+OK": "OK", b"+QUEUED": "QUEUED", b"+PONG": "PONG"}
_D: Final = rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_DOUBLE: Final = re.compile(_D)
_DOUBLES: Final = re.compile(rb"(?:," + _D + rb"\n)*," + _D)  # a column of doubles
_PAIR: Final = [b"*2"]
_NULLS: Final = frozenset((b"_", b"$-1", b"*-1"))


def walk(p: Parser) -> None:
    """Parse what the fast engine can from ``p._pos`` on (see the module comment)."""
    stack = p._stack
    for frame in stack:
        if frame[0] > 3 or frame[3]:  # attribute, streamed, string chunks, hashable
            return
    if p._line_window < 24:
        return  # lines as short as a bulk header are errors: the engine says so
    buf = p._buf
    n = len(buf)
    pos = p._pos
    queue = p._queue
    max_bulk = p._max_bulk
    max_line = p._line_window - 2
    max_agg = p._max_agg
    max_depth = p._max_depth
    work = _fastpath.WORK
    size = p._walk_window
    value: Any
    if stack:
        kind, count, items = stack[-1][0], stack[-1][1], stack[-1][2]
    else:
        kind = count = 0
        items = None
    while pos < n:
        if items is None and buf[pos] in b"+$":
            # a run of top-level simple strings or same-sized bulks, cut in one go
            end = min(n, pos + size)
            got = simple_run(buf, pos, end, queue, max_bulk=max_bulk, max_line=max_line)
            if got > pos:
                pos = got
                size = min(size * 2, _MAX_WINDOW)
                continue
        if buf[pos] in b"*%~>":
            # an aggregate of bulk strings of one layout: no pieces needed
            got = _uniform_frame(p, buf, pos, kind, items)
            if got > pos:
                pos = got
                kind, count, items = stack[-1][0], stack[-1][1], stack[-1][2]
                if len(items) == count:
                    kind, count, items = _close(stack, queue)
                continue
        elif (
            items is not None
            and count - len(items) >= _MIN_RUN
            and buf[pos] == 36
            and (p._plain is None or p._plain[0] is not items or p._plain[1] is not buf)
        ):
            cut = uniform_bulks(buf, pos, count - len(items), max_bulk, partial=True)
            if cut is not None:
                items += cut[0]
                pos = cut[1]
                if len(items) == count:
                    kind, count, items = _close(stack, queue)
                continue
            p._plain = (items, buf)  # not one layout here: no retry before more bytes come
        if buf[pos] == 36 and _long_bulk(buf, pos):
            break  # one slice by the engine, not a copy into a window and a split
        if work is not None:
            work.append(min(n, pos + size) - pos)
        end = buf.rfind(b"\r\n", pos, pos + size)
        if end < 0:
            break
        tokens = buf[pos:end].split(b"\r\n")
        ntok = len(tokens)
        i = 0
        stopped = False
        if items is not None and count - len(items) >= _MIN_RUN and buf[pos] == 36:
            i = _split_run(tokens, 0, items, count, max_bulk)
            if len(items) == count:
                kind, count, items = _close(stack, queue)
        while i < ntok:
            tok = tokens[i]
            if not tok:
                stopped = True
                break
            t = tok[0]
            if t == 36:  # $
                length = SIZES.get(tok)
                if length is None:
                    if tok == b"$-1":
                        value = None
                        i += 1
                        length = -1
                    else:
                        digits = tok[1:]
                        if not digits.isdigit() or len(digits) > 18:
                            stopped = True
                            break
                        length = int(digits)
                if length >= 0:
                    if length > max_bulk:
                        stopped = True
                        break
                    if i + 1 >= ntok:
                        # the payload lies past the window: a larger one, or the
                        # engine for a long payload (one slice, no repeated splits)
                        stopped = length > _LONG_BULK or pos + size >= n
                        size = max(size, 2 * length)
                        break
                    value = tokens[i + 1]
                    if len(value) == length:
                        i += 2
                    else:
                        j = i + 1
                        got = len(value)
                        while got < length and j + 1 < ntok:
                            j += 1
                            got += 2 + len(tokens[j])
                        if got != length:
                            stopped = got > length or length > _LONG_BULK or pos + size >= n
                            size = max(size, 2 * length)
                            break
                        value = b"\r\n".join(tokens[i + 1 : j + 1])
                        i = j + 1
            elif t == 58:  # :
                value = _INTS.get(tok)
                if value is None:
                    line = tok[1:]
                    if len(line) > 18 or not (
                        line.isdigit() or (line[:1] == b"-" and line[1:].isdigit())
                    ):
                        stopped = True
                        break
                    value = int(line)
                i += 1
            elif t in b"*%~>":
                agg = _AGGS.get(tok)
                if agg is None:
                    if tok == b"*-1":
                        agg = (0, -1)
                    else:
                        line = tok[1:]
                        if not line.isdigit() or len(line) > 18:
                            stopped = True
                            break
                        agg = _AGGS[tok[:1] + b"0"][0], int(line) * (2 if t == 37 else 1)
                if agg[1] > max_agg:
                    stopped = True
                    break
                if agg[1] < 0:
                    value = None
                    i += 1
                else:
                    if items is not None and (kind == 2 or (kind == 1 and not len(items) & 1)):
                        stopped = True  # a map key or set member: it must be hashable
                        break
                    if agg[1] == 0:
                        value = _build(agg[0], [])
                        i += 1
                    else:
                        if len(stack) >= max_depth:
                            stopped = True
                            break
                        i += 1
                        kind, count = agg
                        items = []
                        stack.append([kind, count, items, False])
                        if i >= ntok:
                            continue
                        if tokens[i] == b"*2" and kind == 0 and len(stack) < max_depth:
                            i = _pairs(tokens, i, items, count, max_bulk, max_line)
                            if len(items) == count:
                                kind, count, items = _close(stack, queue)
                            continue
                        if count >= _MIN_RUN and tokens[i][:1] == b"$":
                            i = _split_run(tokens, i, items, count, max_bulk)
                            if len(items) == count:
                                kind, count, items = _close(stack, queue)
                        continue
            elif t == 43 or t == 45:  # noqa: PLR1714 - + -
                value = _SIMPLE.get(tok)
                if value is None:
                    if len(tok) > max_line or b"\r" in tok or b"\n" in tok:
                        stopped = True
                        break
                    value = tok[1:].decode("utf-8", "surrogateescape")
                    if t == 45:
                        value = ReplyError(value)
                i += 1
            elif tok == b"_":
                value = None
                i += 1
            elif t == 44:  # ,
                line = tok[1:]
                if len(tok) > max_line or not _DOUBLE.fullmatch(line):
                    stopped = True
                    break
                value = float(line)
                i += 1
            elif tok == b"#t" or tok == b"#f":  # noqa: PLR1714
                value = tok == b"#t"
                i += 1
            else:
                stopped = True
                break
            # deliver ``value``
            if items is None:
                queue.append(value)
                continue
            items.append(value)
            while len(items) == count:
                stack.pop()
                value = _build(kind, items)
                if not stack:
                    items = None
                    queue.append(value)
                    break
                top = stack[-1]
                kind, count, items = top[0], top[1], top[2]
                items.append(value)
        if i >= ntok:
            pos = end + 2
        else:
            pos += sum(map(len, tokens[:i])) + 2 * i
        if stopped:
            size = max(_MIN_WINDOW, size >> 1)
            break
        size = min(size * 2, _MAX_WINDOW)
    p._pos = pos
    p._walk_window = size


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
            if max(map(len, column)) > max_line or not _DOUBLES.fullmatch(joined):
                return i
            seconds: list[Any] = list(map(float, joined[1:].split(b"\n,")))
            if len(seconds) != k:  # a piece held "\n,"
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
