# Theory of operation
# ===================
#
# Cuts of bulk strings in a few C calls, for the walker (``_walk.py``) and the
# parser.  Each returns what it took and the offset after it, or None/``pos``
# for "take the general path", never "malformed": the general path then gives
# the exact error.  None reads outside the region it is given, allocates more
# than the payloads it returns, or accepts an element the element-by-element
# engine would reject (a non-canonical header such as ``$010`` falls back).
#
# ``uniform_bulks``: when the elements repeat one layout (every payload of one
# length, or, for maps, keys of one length and values of another), the
# payloads are cut at the positions that layout implies with a cached
# ``struct`` format, and then every byte outside the payloads is checked:
# for one repeated element, by rebuilding the region (the payloads joined by
# ``\r\n$<len>\r\n``) and comparing; for two, with strided slices
# (``buf[i::period]``, one C call per byte column). Payloads may contain CR
# and LF. A probe of the last element's header first turns varied layouts
# away in O(1). A layout and count seen twice get a struct of their own (one
# C call); others are cut in groups of ``_GROUP``. Both caches are bounded.
#
# ``simple_run``: a run of top-level simple strings (``+OK`` x N, the replies
# to pipelined SETs) is decoded and split in one go; a run of same-sized
# top-level bulks is a ``uniform_bulks`` cut.  Both look only at the region
# ``[pos, end)`` they are given, which the walker bounds (see ``_walk.py``).

from __future__ import annotations

import struct
from collections import deque
from itertools import chain
from typing import Any, Final

__all__ = ["HEADERS", "SIZES", "WORK", "simple_run", "uniform_bulks"]

# When a list, every scan of the buffer by a fast path appends the number of
# bytes it may examine (tests count the work; see tests/test_resp_linear.py).
WORK: list[int] | None = None

HEADERS: Final = [b"$%d" % i for i in range(1024)]
SIZES: Final = {h: i for i, h in enumerate(HEADERS)}
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
    size = SIZES.get(head)
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
    buf: bytes, start: int, count: int, max_bulk: int, *, partial: bool = False, limit: int = -1
) -> tuple[list[bytes], int] | None:
    """Cut ``count`` bulk strings of a repeating layout at ``start``, or None.

    Nothing at or after ``limit`` (default: the end of ``buf``) is read or
    taken. With ``partial``, fewer may be returned when the region ends
    before ``count`` (at least one). ``count == -1`` takes as many complete
    elements of the first one's layout as the region holds.
    """
    if limit < 0 or limit > len(buf):
        limit = len(buf)
    first = _header(buf, start)
    if first is None:
        return None
    hlen, size = first
    period = hlen + size + 4
    layout: tuple[int, ...] = (hlen, size)
    unit = 1
    if count < 0:
        count = (limit - start) // period
        if count < 2:
            return None
    elif not count & 1 and start + period < limit:
        second = _header(buf, start + period)
        if second is not None and second != first:
            layout = (hlen, size, *second)
            period += second[0] + second[1] + 4
            unit = 2
    if size > max_bulk or layout[-1] > max_bulk:
        return None
    reps = count // unit
    end = start + period * reps
    if end > limit:
        if not partial:
            return None
        reps = (limit - start) // period
        if not reps:
            return None
        end = start + period * reps
    # a cheap probe first: the last unit must start with the first one's header
    if not buf.startswith(buf[start : start + layout[0] + 2], end - period):
        return None
    if WORK is not None:
        WORK.append(end - start)
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


def simple_run(
    buf: bytes, pos: int, end: int, queue: deque[Any], *, max_bulk: int, max_line: int
) -> int:
    """Queue a run of top-level simple strings or same-sized bulks in ``[pos, end)``.

    Returns the offset after what was queued (``pos`` when nothing was).
    ``max_line`` is the longest line allowed, without its CRLF.
    """
    if WORK is not None:
        WORK.append(end - pos)
    if buf[pos] == 36:
        got = uniform_bulks(buf, pos, -1, max_bulk, limit=end)
        if got is None:
            return pos
        queue.extend(got[0])
        return got[1]
    # simple strings up to the last CRLF: valid when every CR and LF inside
    # belongs to a "\r\n+" separator
    last = buf.rfind(b"\r\n", pos, end)
    if last < 0:
        return pos
    inner = buf[pos + 1 : last]
    seps = inner.count(b"\r\n+")
    if (
        seps
        and inner.count(b"\r") == seps
        and inner.count(b"\n") == seps
        and (len(inner) < max_line or max(map(len, inner.split(b"\r\n+"))) < max_line)
    ):
        queue.extend(inner.decode("utf-8", "surrogateescape").split("\r\n+"))
        return last + 2
    return pos
