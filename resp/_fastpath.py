# Theory of operation
# ===================
#
# ``simple_replies``: top-level replies that are one line or one bulk string
# (``+ - : $``), the answers to pipelined SET/GET/INCR..., are parsed in one
# loop and queued, rather than one ``next_reply()`` call each; a run of
# simple strings is decoded and split in one go, a run of same-sized bulk
# strings is cut like an aggregate's. The loop stops at the first element
# that is anything else, incomplete, or in any way doubtful, and leaves it to
# the parser proper (which raises if it must).
#
# Bulk strings inside an aggregate (LRANGE, MGET, HGETALL, SMEMBERS...) are
# the bulk of what a Redis client reads. Parsing them one at a time in Python
# costs several bytecode-level calls per element; these functions take a run
# of ``$<len>\r\n<payload>\r\n`` elements in a few C-level calls instead. Both
# return ``(payloads, offset after them)`` or None; None means "take the
# element-by-element path", never "malformed": the slow path then gives the
# exact error. Neither reads past ``len(buf)`` nor allocates more than the
# payloads it returns, and neither accepts an element the slow path would
# reject (a non-canonical header such as ``$010`` simply falls back).
#
# ``uniform_bulks``: when the elements repeat one layout (every payload of one
# length, or, for maps, keys of one length and values of another), the
# payloads are cut at the positions that layout implies with a cached
# ``struct`` format, and then every byte outside the payloads is checked:
# for one repeated element, by rebuilding the region (the payloads joined by
# ``\r\n$<len>\r\n``) and comparing; for two, with strided slices
# (``buf[i::period]``, one C call per byte column). Payloads may contain CR
# and LF. A layout and count seen twice get a struct of their own (one C
# call); others are cut in groups of ``_GROUP``. Both caches are bounded.
#
# ``split_bulks``: otherwise, the region is split on CRLF in one call; each
# header token must then equal ``$`` followed by the length of the token after
# it. A payload that contains CRLF breaks that equality and the function
# gives up; when all headers match, the split is exactly the parse (each
# header is the text up to the first CRLF, and each payload of the declared
# length is followed by CRLF).

from __future__ import annotations

import struct
from collections import deque
from itertools import chain
from typing import Any, Final

from resp._types import ReplyError

__all__ = ["simple_replies", "split_bulks", "uniform_bulks"]

_HEADERS: Final = [b"$%d" % i for i in range(1024)]
_SIZES: Final = {h: i for i, h in enumerate(_HEADERS)}
_GROUP: Final = 64  # layout repetitions cut by one struct call
_EXACT_MAX: Final = 4096  # most repetitions cut by a struct of their own
_structs: dict[tuple[int, ...], struct.Struct] = {}
_seen: set[tuple[int, ...]] = set()


def _header(buf: bytes, start: int) -> tuple[int, int] | None:
    """(header length, payload size) of a canonical ``$<len>`` line at ``start``."""
    end = buf.find(b"\r\n", start, start + 22)
    if end < 0:
        return None
    head = buf[start:end]
    size = _SIZES.get(head)
    if size is None:
        digits = head[1:]
        if head[:1] != b"$" or not digits.isdigit() or digits[:1] == b"0":
            return None
        size = int(digits)
    return end - start, size


def _struct(key: tuple[int, ...]) -> struct.Struct:
    cached = _structs.get(key)
    if cached is None:
        if len(_structs) >= 256:
            _structs.clear()
        *layout, times = key
        unit = "".join(
            f"{layout[i] + 2}x{layout[i + 1]}s2x" for i in range(0, len(layout), 2)
        )
        cached = _structs[key] = struct.Struct(unit * times)
    return cached


def uniform_bulks(
    buf: bytes, start: int, count: int, max_bulk: int, partial: bool = False
) -> tuple[list[bytes], int] | None:
    """Cut ``count`` bulk strings of a repeating layout at ``start``, or None.

    With ``partial``, fewer may be returned when the buffer ends before
    ``count`` (at least one). ``count == -1`` takes as many complete
    elements of the first one's layout as the buffer holds.
    """
    first = _header(buf, start)
    if first is None:
        return None
    hlen, size = first
    period = hlen + size + 4
    layout: tuple[int, ...] = (hlen, size)
    unit = 1
    if count < 0:
        count = (len(buf) - start) // period
        if count < 2:
            return None
    elif not count & 1 and start + period < len(buf):
        second = _header(buf, start + period)
        if second is not None and second != first:
            layout = (hlen, size, *second)
            period += second[0] + second[1] + 4
            unit = 2
    if size > max_bulk or layout[-1] > max_bulk:
        return None
    reps = count // unit
    end = start + period * reps
    if end > len(buf):
        if not partial:
            return None
        reps = (len(buf) - start) // period
        if not reps:
            return None
        end = start + period * reps
    if unit == 2:
        # every byte column outside the payloads must repeat the first unit's byte
        offset = start
        for i in (0, 2):
            hlen, size = layout[i], layout[i + 1]
            for column in range(offset, offset + hlen + 2):
                if buf[column:end:period] != buf[column : column + 1] * reps:
                    return None
            tail = offset + hlen + 2 + size
            if buf[tail:end:period] != b"\r" * reps or buf[tail + 1 : end : period] != b"\n" * reps:
                return None
            offset = tail + 2
    view = memoryview(buf)[start:end]
    groups, rest = divmod(reps, _GROUP)
    exact = _structs.get((*layout, reps)) if groups else None
    if exact is None and groups and reps <= _EXACT_MAX:
        # a shape seen before gets a struct of its own: one C call next time
        key = (*layout, reps)
        if key in _seen:
            exact = _struct(key)
        else:
            if len(_seen) >= 1024:
                _seen.clear()
            _seen.add(key)
    if exact is not None:
        payloads = list(exact.unpack(view))
    elif not groups:
        payloads = list(_struct((*layout, rest)).unpack(view))
    else:
        cut = groups * period * _GROUP
        payloads = list(chain.from_iterable(_struct((*layout, _GROUP)).iter_unpack(view[:cut])))
        if rest:
            payloads += _struct((*layout, rest)).unpack(view[cut:])
    if unit == 1:
        # the payloads joined by the repeated "\r\n$<len>\r\n" must rebuild the region
        head = buf[start : start + hlen + 2]
        if not (
            buf.startswith((b"\r\n" + head).join(payloads), start + hlen + 2)
            and buf.startswith(b"\r\n", end - 2)
        ):
            return None
    return payloads, end


def split_bulks(
    buf: bytes, start: int, count: int, max_bulk: int, estimate: int
) -> tuple[list[bytes], int] | None:
    """Parse up to ``count`` bulk strings at ``start`` with one split, or None.

    Returns the payloads of the leading complete elements (at least one) and
    the offset after them. ``estimate`` is the expected bytes per element.
    """
    avail = len(buf) - start
    window = min(count * estimate + 64, avail)
    nparts = 2 * count
    while True:
        parts = buf[start : start + window].split(b"\r\n", nparts)
        if len(parts) > nparts:
            used = window - len(parts[-1])
            break
        if window >= avail:
            if len(parts) < 3:
                return None
            nparts = (len(parts) - 1) & ~1  # complete header/payload pairs
            used = -1
            break
        window = min(window * 2, avail)
    payloads = parts[1:nparts:2]
    try:
        expected = list(map(_HEADERS.__getitem__, map(len, payloads)))
    except IndexError:
        expected = [b"$%d" % len(p) for p in payloads]
    if parts[0:nparts:2] != expected:
        return None
    if max_bulk < 1024 and max(map(len, payloads)) > max_bulk:
        return None
    if used < 0:
        used = sum(map(len, parts[:nparts])) + 2 * nparts
    return payloads, start + used


def simple_replies(buf: bytes, pos: int, window: int, max_bulk: int, queue: deque[Any]) -> int:
    """Queue the complete simple top-level replies at ``pos``; return the new offset.

    ``window`` is the longest line plus CRLF; ``max_bulk`` the bulk limit.
    """
    n = len(buf)
    append = queue.append
    first = buf[pos] if pos < n else -1
    if first == 36:
        got = uniform_bulks(buf, pos, -1, max_bulk)
        if got is not None:
            queue.extend(got[0])
            pos = got[1]
    elif first == 43:
        # simple strings up to the last CRLF: valid when every CR and LF
        # inside belongs to a "\r\n+" separator
        last = buf.rfind(b"\r\n", pos)
        inner = buf[pos + 1 : last]
        seps = inner.count(b"\r\n+")
        if (
            seps
            and inner.count(b"\r") == seps
            and inner.count(b"\n") == seps
            and (len(inner) < window - 2 or max(map(len, inner.split(b"\r\n+"))) < window - 2)
        ):
            queue.extend(inner.decode("utf-8", "surrogateescape").split("\r\n+"))
            pos = last + 2
    while True:
        e = buf.find(b"\n", pos + 1, pos + window)
        if e < 0 or buf[e - 1] != 13:
            break
        t = buf[pos]
        line = buf[pos + 1 : e - 1]
        if t == 36:
            if not line.isdigit() or len(line) > 18:
                break
            end = e + 1 + int(line)
            if end + 2 > n or end - e - 1 > max_bulk:
                break
            if buf[end] != 13 or buf[end + 1] != 10:
                break
            append(buf[e + 1 : end])
            pos = end + 2
        elif t == 43 or t == 45:  # noqa: PLR1714 - cheaper than a set here
            if 13 in line:
                break
            text = line.decode("utf-8", "surrogateescape")
            append(text if t == 43 else ReplyError(text))
            pos = e + 1
        elif t == 58:
            if len(line) > 18 or not (line.isdigit() or (line[:1] == b"-" and line[1:].isdigit())):
                break
            append(int(line))
            pos = e + 1
        else:
            break
    return pos
