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
# Piece by piece (mixed arrays, short replies), each piece costs few Python
# steps: one probe of ``SIZES`` tells a bulk header and its length, one of
# ``_SCALARS`` takes ``+OK``, small integers and nulls; only other pieces
# dispatch on their first byte.  An open aggregate keeps a count of elements
# left.  A header whose payload lies past the window raises IndexError, caught
# once, instead of a test per bulk.  Simple strings need no search for a stray
# CR or LF when two counts show the window has none (done once per window).
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
from typing import TYPE_CHECKING, Any, Final

from resp import _fastpath
from resp._fastpath import SIZES, simple_run, uniform_bulks
from resp._types import ReplyError
from resp._walkruns import (
    _AGGS,
    _LONG_BULK,
    _MIN_RUN,
    _build,
    _close,
    _long_bulk,
    _pairs,
    _split_run,
    _uniform_frame,
)

if TYPE_CHECKING:
    from resp._parser import Parser

__all__ = ["walk"]

_MIN_WINDOW: Final = 128
_MAX_WINDOW: Final = 1 << 20

_INTS: Final = {b":%d" % i: i for i in range(-1, 1024)}
_SIMPLE: Final = {b"+OK": "OK", b"+QUEUED": "QUEUED", b"+PONG": "PONG"}
# lines whose value needs no check: the common simple strings, small integers, nulls
_SCALARS: Final[dict[bytes, Any]] = {
    **_SIMPLE, **_INTS, b"$-1": None, b"_": None, b"*-1": None, b"#t": True, b"#f": False,
}
_MISS: Final = object()
_D: Final = rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_DOUBLE: Final = re.compile(_D)
_AGG_BYTES: Final = frozenset(b"*%~>")


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
    sizes_get = SIZES.get
    scalars_get = _SCALARS.get
    queue_append = queue.append
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
        # ``clean``: the window's only CR and LF bytes make up CRLF pairs, so no line
        # holds a stray one and simple strings need no search for them piece by piece
        # (counted once per window, at its first simple string that needs it).
        clean = None
        left = count - len(items) if items is not None else 0
        length = -1
        try:
            while i < ntok:
                tok = tokens[i]
                length = sizes_get(tok, -1)
                if length < 0:
                    value = scalars_get(tok, _MISS)  # +OK, :1, $-1, _ ... in one probe
                    if value is not _MISS:
                        i += 1
                        if items is None:
                            queue_append(value)
                            continue
                        items.append(value)
                        left -= 1
                        if left:
                            continue
                        kind, count, items = _close(stack, queue)
                        left = count - len(items) if items is not None else 0
                        continue
                    t = tok[0]  # an empty piece raises IndexError: stop (below)
                    if t == 58:  # :
                        line = tok[1:]
                        if len(line) > 18 or not (
                            line.isdigit() or (line[:1] == b"-" and line[1:].isdigit())
                        ):
                            stopped = True
                            break
                        value = int(line)
                        i += 1
                    elif t == 36:  # $: a null, or a header too long for SIZES
                        if tok == b"$-1":
                            value = None
                            i += 1
                        else:
                            digits = tok[1:]
                            if not digits.isdigit() or len(digits) > 18:
                                stopped = True
                                break
                            length = int(digits)
                    elif t in _AGG_BYTES:  # * % ~ >
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
                            if items is not None and (
                                kind == 2 or (kind == 1 and not len(items) & 1)
                            ):
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
                                left = count
                                if i >= ntok:
                                    continue
                                if tokens[i] == b"*2" and kind == 0 and len(stack) < max_depth:
                                    i = _pairs(tokens, i, items, count, max_bulk, max_line)
                                elif count >= _MIN_RUN and tokens[i][:1] == b"$":
                                    i = _split_run(tokens, i, items, count, max_bulk)
                                else:
                                    continue
                                if len(items) == count:
                                    kind, count, items = _close(stack, queue)
                                left = count - len(items) if items is not None else 0
                                continue
                    elif t == 43 or t == 45:  # noqa: PLR1714 - + -
                        if clean is None:
                            clean = buf.count(b"\r", pos, end) + buf.count(
                                b"\n", pos, end) == 2 * ntok - 2
                            if work is not None:
                                work.append(2 * (end - pos))  # the two counts
                        stray = not clean and (b"\r" in tok or b"\n" in tok)
                        if stray or len(tok) > max_line:
                            stopped = True
                            break
                        value = tok[1:].decode("utf-8", "surrogateescape")
                        if t == 45:
                            value = ReplyError(value)
                        i += 1
                    elif t == 44:  # ,
                        line = tok[1:]
                        if len(tok) > max_line or not _DOUBLE.fullmatch(line):
                            stopped = True
                            break
                        value = float(line)
                        i += 1
                    else:
                        stopped = True
                        break
                if length >= 0:  # a bulk string: its payload is the next piece
                    value = tokens[i + 1]  # past the window: IndexError (below)
                    if len(value) == length and length <= max_bulk:
                        i += 2
                    else:
                        if length > max_bulk:
                            stopped = True
                            break
                        # a payload holding CRLF spans pieces: join them back
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
                # deliver ``value``
                if items is None:
                    queue_append(value)
                    continue
                items.append(value)
                left -= 1
                if left:
                    continue
                while True:
                    stack.pop()
                    if kind:
                        value = _build(kind, items)
                    else:
                        value = items
                    if not stack:
                        items = None
                        queue.append(value)
                        break
                    top = stack[-1]
                    kind, count, items = top[0], top[1], top[2]
                    items.append(value)
                    left = count - len(items)
                    if left:
                        break
        except IndexError:
            if length < 0:
                stopped = True  # an empty piece: the engine says what is wrong
            else:
                # the payload lies past the window: a larger one, or the engine
                # for a long payload (one slice, no repeated splits)
                stopped = length > _LONG_BULK or pos + size >= n
                size = max(size, 2 * length)
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
