# Theory of operation
# ===================
#
# ``Parser`` turns a byte stream into reply values.  Bytes come in through
# ``feed()``; ``next_reply()`` returns one complete top-level reply, or
# ``NEED_DATA``.  Nothing here does I/O.
#
# Buffer.  ``_buf`` is an immutable ``bytes`` object and ``_pos`` the offset of
# the first unconsumed byte.  A chunk fed while ``_buf`` is fully consumed
# simply becomes the new ``_buf`` (no copy).  Otherwise the chunk is queued in
# ``_chunks`` and merged lazily: the unconsumed tail of ``_buf`` plus the
# queued chunks are joined once, and only when a retry can succeed.  Payloads
# are sliced straight out of ``_buf`` (one copy, into the reply object).
#
# Elements.  Every element is parsed atomically: a line (``+OK``, ``:1``,
# ``*3`` ...) or a bulk (header, payload, CRLF).  If the element is not
# complete, ``_pos`` stays at its first byte, except for a bulk whose header is
# complete: the header is consumed and ``_bulk_kind``/``_bulk_len`` record it,
# so the payload can later be gathered from the queued chunks in one copy.
#
# Waiting.  When an element is incomplete the parser records what would let it
# progress: ``_wait == _WAIT_LINE`` means "a newline"; only chunks that arrive
# afterwards are scanned for ``\n``, so input fed one byte at a time is
# scanned once (linear time).  ``_wait == _WAIT_BYTES`` means "``_need``
# bytes after ``_pos``", an O(1) check per call.  No retry happens before
# that condition holds.
#
# Aggregates.  Partial aggregates live on ``_stack``, an explicit list of
# frames ``[kind, count, items, hashable]`` (no recursion anywhere, so depth
# is limited only by ``max_depth``).  ``count`` is the number of flat elements
# expected (maps and attributes: twice the number of pairs); streamed
# aggregates use ``max_aggregate_len + 1`` so that reaching it is an error.
# ``hashable`` is true for frames whose value will be a map key or a set
# member (or lies inside one): they finish as tuples, so no value ever needs
# converting afterwards.
#
# Fast engine (``_walk.py``).  In ``_parse``, the walker takes every element
# it can (one ``split`` per window of the buffer, runs of bulk strings in a few
# C calls) into the same stack frames and queues complete top-level replies in
# ``_queue``; ``next_reply()`` pops from it.  At anything it does not take it
# stops before that element and the engine (``_engine``) parses it, then hands
# back (``_AGAIN``).  Attributes always go through the engine, and the walker
# stays off while a reply with attributes is pending or was last returned.
#
# States.  ``_slow`` is false only in the clean state: no queued chunks, no
# partial element, an empty stack, no attributes pending or last returned,
# no error.  Only then does ``next_reply()`` take the short path; everything
# else goes through ``_next_slow()``, which merges chunks first, so the walker
# and the engine (``_parse``) always run with ``_chunks`` empty.
#
# Limits are checked on headers, before any payload is buffered or any list
# grows: a declared length never allocates ahead of the bytes received.
#
# Failure.  Any malformed input raises ``ProtocolError``; the error is kept in
# ``_error`` and raised again by every later call.
#
# Attributes (``|``).  A finished attribute map is stored under the position
# of the element it precedes: ``()`` for the top-level reply, ``(i,)`` for
# element ``i`` of it, ``(i, j)`` below that (maps count keys and values in
# wire order).  When a top-level reply completes, those entries become
# ``last_attributes``.

from __future__ import annotations

from collections import deque
from typing import Any, Final

from resp._types import NEED_DATA, NeedData, ProtocolError, ReplyError
from resp._values import ARRAY as _ARRAY
from resp._values import ATTR as _ATTR
from resp._values import MAP as _MAP
from resp._values import NOTHING as _NOTHING
from resp._values import PUSH as _PUSH
from resp._values import REJECT as _REJECT
from resp._values import SET as _SET
from resp._values import STREAMED as _STREAMED
from resp._values import STRING as _STRING
from resp._values import build as _build
from resp._values import double as _double
from resp._values import verbatim as _verbatim
from resp._walk import walk as _walk

__all__ = ["Parser"]

_WAIT_NONE: Final = 0
_WAIT_LINE: Final = 1
_WAIT_BYTES: Final = 2

_AGG_KIND: Final = {42: _ARRAY, 37: _MAP, 126: _SET, 62: _PUSH, 124: _ATTR}
_AGAIN: Final = object()  # the engine's "progress made, let the walker go on"
_SMALL: Final = 128  # bytes below which `_parse` skips the walker


class Parser:
    """An incremental RESP2/RESP3 reply parser (sans-IO).

    Feed it bytes as they arrive, in chunks of any size split anywhere, and
    take complete replies out with :meth:`next_reply`.

    Args:
        max_bulk_len: largest bulk, verbatim, bulk error or streamed string,
            in bytes (default 512 MiB, as Redis).
        max_aggregate_len: most elements in one aggregate (maps and
            attributes count keys and values; default 2**32).
        max_depth: deepest nesting of aggregates (default 128).
        max_line_len: longest line (type byte and text, without CRLF) such as
            a simple string or a header (default 64 KiB).

    Raises:
        ValueError: a limit is not a positive integer.

    Example:
        >>> p = Parser()
        >>> p.feed(b"*2\\r\\n$3\\r\\nfoo\\r\\n:7\\r\\n")
        >>> p.next_reply()
        [b'foo', 7]
    """

    __slots__ = (
        "_attrs",
        "_buf",
        "_bulk_kind",
        "_bulk_len",
        "_chunks",
        "_chunks_len",
        "_error",
        "_last_attrs",
        "_line_window",
        "_max_agg",
        "_max_bulk",
        "_max_depth",
        "_need",
        "_plain",
        "_pos",
        "_queue",
        "_scanned",
        "_slow",
        "_stack",
        "_wait",
        "_walk_window",
    )

    def __init__(
        self,
        *,
        max_bulk_len: int = 512 * 2**20,
        max_aggregate_len: int = 2**32,
        max_depth: int = 128,
        max_line_len: int = 64 * 2**10,
    ) -> None:
        for name, value in (
            ("max_bulk_len", max_bulk_len),
            ("max_aggregate_len", max_aggregate_len),
            ("max_depth", max_depth),
            ("max_line_len", max_line_len),
        ):
            if type(value) is not int or value < 1:
                raise ValueError(f"{name} must be a positive int, not {value!r}")
        self._max_bulk = max_bulk_len
        self._max_agg = max_aggregate_len
        self._max_depth = max_depth
        self._line_window = max_line_len + 2  # a valid line's '\n' lies inside it
        self._buf = b""
        self._pos = 0
        self._chunks: list[bytes] = []
        self._chunks_len = 0
        self._scanned = 0
        self._stack: list[list[Any]] = []
        self._wait = _WAIT_NONE
        self._need = 0
        self._bulk_kind = 0
        self._bulk_len = -1
        self._error: ProtocolError | None = None
        self._attrs: dict[tuple[int, ...], dict[Any, Any]] = {}
        self._last_attrs: dict[tuple[int, ...], dict[Any, Any]] = {}
        self._slow = False
        self._walk_window = 128  # bytes the walker splits at once (see _walk.py)
        self._plain: tuple[list[Any], bytes] | None = None  # see _walk.py
        self._queue: deque[Any] = deque()

    # ------------------------------------------------------------------ API

    @property
    def last_attributes(self) -> dict[tuple[int, ...], dict[Any, Any]]:
        """Attributes (``|``) that came with the reply last returned.

        A dict from position to attribute map: ``()`` is the top-level reply,
        ``(i,)`` its element ``i``, ``(i, j)`` element ``j`` of that, and so on
        (in a map, keys and values count in wire order: key ``k`` is at
        ``2k``, its value at ``2k + 1``). Empty when the reply had none.
        """
        return self._last_attrs

    @property
    def buffered(self) -> bool:
        """Whether the parser holds anything not yet returned: a reply, or part of one.

        A connection whose parser is not empty between requests is out of step with its
        server (the server sent more than was asked), so it must not be reused.
        """
        if not self._slow:  # the clean state: only whole replies or unread bytes remain
            return bool(self._queue) or self._pos < len(self._buf)
        return bool(self._queue or self._chunks or self._stack or self._attrs
                    or self._pos < len(self._buf) or self._bulk_len >= 0
                    or self._wait != _WAIT_NONE or self._error is not None)

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append received bytes.

        Args:
            data: any bytes-like object, of any length (it is copied unless
                it is ``bytes``).

        Raises:
            ProtocolError: the parser already failed.
        """
        if self._error is not None:
            raise self._error
        if type(data) is not bytes:
            data = bytes(data)
        if not data:
            return
        if not self._slow and self._pos >= len(self._buf):
            self._buf = data
            self._pos = 0
        else:
            self._chunks.append(data)
            self._chunks_len += len(data)
            self._slow = True

    def next_reply(self) -> Any | NeedData:
        """Return the next complete reply, or ``NEED_DATA``.

        Error replies are returned as :class:`ReplyError` values, not raised.

        Returns:
            The reply as a Python value (see the module's type table), or the
            sentinel ``NEED_DATA`` when the buffered bytes hold no complete
            reply yet.

        Raises:
            ProtocolError: the stream is malformed or broke a limit; the
                parser stays failed.
        """
        queue = self._queue
        if queue:
            return queue.popleft()
        if self._slow:
            return self._next_slow()
        if self._pos >= len(self._buf):
            # Nothing buffered: the clean state stays clean, so the bytes fed next become
            # the buffer as they are (the lone request's read-after-write).
            return NEED_DATA
        try:
            return self._parse()
        except ProtocolError as exc:
            self._fail(exc)
            raise

    # -------------------------------------------------------------- helpers

    def _fail(self, exc: ProtocolError) -> None:
        self._error = exc
        self._slow = True
        self._chunks.clear()
        self._stack.clear()

    def _next_slow(self) -> Any | NeedData:
        if self._error is not None:
            raise self._error
        try:
            if self._chunks:
                if not self._ready():
                    return NEED_DATA
            elif self._wait != _WAIT_NONE:
                return NEED_DATA
            self._wait = _WAIT_NONE
            if self._bulk_len >= 0:
                value = self._take_bulk()
                if value is NEED_DATA:
                    return NEED_DATA
                done, value = self._deliver(value)
                if done:
                    return self._complete(value)
            if self._chunks:
                self._merge()
            return self._parse()
        except ProtocolError as exc:
            self._fail(exc)
            raise

    def _ready(self) -> bool:
        """Whether the queued chunks can let the waiting element progress."""
        wait = self._wait
        if wait == _WAIT_BYTES:
            return len(self._buf) - self._pos + self._chunks_len >= self._need
        if wait == _WAIT_LINE:
            if len(self._buf) - self._pos + self._chunks_len >= self._line_window:
                return True
            chunks = self._chunks
            for i in range(self._scanned, len(chunks)):
                if b"\n" in chunks[i]:
                    return True
            self._scanned = len(chunks)
            return False
        return True

    def _merge(self) -> None:
        chunks = self._chunks
        pos = self._pos
        if pos < len(self._buf):
            chunks.insert(0, memoryview(self._buf)[pos:])  # type: ignore[arg-type]
        self._buf = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._pos = 0
        self._chunks = []
        self._chunks_len = 0
        self._scanned = 0

    def _take_bulk(self) -> Any:
        """Gather the payload of the bulk whose header was consumed, in one copy."""
        size = self._bulk_len
        pos = self._pos
        if len(self._buf) - pos + self._chunks_len < size + 2:
            self._wait = _WAIT_BYTES
            self._need = size + 2
            return NEED_DATA
        sources: list[bytes] = [self._buf, *self._chunks]
        views = [memoryview(src) for src in sources]
        out: list[memoryview] = []
        left = size
        i = 0
        offset = pos
        while True:  # payload: whole pieces, then the head of the last one
            piece = views[i]
            rest = len(piece) - offset
            if rest > left:
                out.append(piece[offset : offset + left])
                offset += left
                break
            if rest:
                out.append(piece[offset:])
            left -= rest
            i += 1
            offset = 0
            if not left:
                break
        tail = b""
        while len(tail) < 2:  # the CRLF after the payload may straddle pieces
            piece = views[i]
            take = piece[offset : offset + 2 - len(tail)]
            tail += take.tobytes()
            offset += len(take)
            if offset >= len(piece):
                i += 1
                offset = 0
        if tail != b"\r\n":
            raise ProtocolError("bulk payload not followed by CRLF")
        payload = out[0].tobytes() if len(out) == 1 else b"".join(out)
        if i == 0:
            self._pos = offset
        else:
            self._buf = sources[i] if i < len(sources) else b""
            self._pos = offset
            self._chunks = sources[i + 1 :]
            self._chunks_len = sum(map(len, self._chunks))
        self._scanned = 0
        kind = self._bulk_kind
        self._bulk_len = -1
        return self._bulk_value(kind, payload)

    def _bulk_value(self, kind: int, payload: bytes) -> Any:
        if kind == 36:  # $
            return payload
        if kind == 33:  # !
            return ReplyError(payload.decode("utf-8", "surrogateescape"))
        if kind == 61:  # =
            return _verbatim(payload)
        return self._stream_chunk(payload)  # ';' chunk of a streamed string

    def _stream_chunk(self, payload: bytes) -> Any:
        frame = self._stack[-1]
        frame[1] += len(payload)
        if frame[1] > self._max_bulk:
            raise ProtocolError("streamed string longer than max_bulk_len")
        frame[2].append(payload)
        return _NOTHING

    def _deliver(self, value: Any) -> tuple[bool, Any]:
        """Put a finished value into the open aggregates; True when the reply is done."""
        stack = self._stack
        while value is not _NOTHING:
            if not stack:
                return True, value
            top = stack[-1]
            if top[0] == _STRING:
                raise ProtocolError("a streamed string may contain only ';' chunks")
            items = top[2]
            items.append(value)
            if len(items) != top[1]:
                return False, None
            stack.pop()
            value = self._finish(top)
        return False, None

    def _complete(self, value: Any) -> Any:
        if self._attrs or self._last_attrs:
            self._last_attrs = self._attrs
            self._attrs = {}
        self._slow = bool(self._chunks or self._stack or self._last_attrs)
        return value

    def _push(self, kind: int, count: int) -> None:
        """Open an aggregate frame (its header was checked by the caller)."""
        stack = self._stack
        if len(stack) >= self._max_depth:
            raise ProtocolError(f"nesting deeper than max_depth={self._max_depth}")
        hashable = False
        if stack:
            parent = stack[-1]
            pk = parent[0]
            if pk == _STRING:
                raise ProtocolError("a streamed string may contain only ';' chunks")
            hashable = parent[3] or (pk & 7) == _SET or (
                (pk & 7) in (_MAP, _ATTR) and not len(parent[2]) & 1
            )
        stack.append([kind, count, [], hashable])

    def _finish(self, frame: list[Any]) -> Any:
        """Build the value of a completed frame (``_NOTHING`` for an attribute)."""
        kind, count, items, hashable = frame
        if kind & _STREAMED:
            if len(items) == count:
                raise ProtocolError(f"streamed aggregate over max_aggregate_len={self._max_agg}")
            kind &= 7
        if kind in (_MAP, _ATTR):
            if len(items) & 1:
                raise ProtocolError("map with a key and no value")
            if kind == _ATTR:
                it = iter(items)
                self._attribute(dict(zip(it, it, strict=False)))
                return _NOTHING
        if hashable:
            if kind == _MAP:
                it = iter(items)
                return tuple(zip(it, it, strict=False))
            return tuple(items)
        return _build(kind, items)

    def _attribute(self, attrs: dict[Any, Any]) -> None:
        stack = self._stack
        if any(f[0] == _ATTR for f in stack):
            return  # an attribute of an attribute's element is dropped
        path = tuple(len(f[2]) for f in stack)
        self._attrs.setdefault(path, {}).update(attrs)
        self._slow = True

    # ----------------------------------------------------------- the engine

    def _parse(self) -> Any:
        """Parse from ``_pos`` (chunks merged): the walker where it can, else the engine."""
        queue = self._queue
        budget = 1
        if len(self._buf) - self._pos < _SMALL and not self._stack:
            # A short buffer (one small reply, the common case of a lone request): the
            # engine alone is cheaper than cutting a window for the walker.
            value = self._engine(_SMALL)
            if value is not _AGAIN:
                return value
        while True:
            if not (self._attrs or self._last_attrs):
                pos = self._pos
                _walk(self)
                if queue:
                    self._slow = bool(self._stack)
                    return queue.popleft()
                # the engine takes more elements each time the walker could take none
                budget = 1 if self._pos != pos else min(budget * 2, 256)
            value = self._engine(budget)
            if value is not _AGAIN:
                return value

    def _engine(self, budget: int) -> Any:
        """Parse element by element: the reply, NEED_DATA, or _AGAIN after ``budget``
        elements went into an unfinished reply (the walker may take the rest)."""
        value: Any
        buf = self._buf
        pos = self._pos
        n = len(buf)
        stack = self._stack
        window = self._line_window
        if stack:
            top = stack[-1]
            count = top[1]
            items: Any = top[2] if top[0] != _STRING else _REJECT
        else:
            items = None
            count = 0
        while True:
            e = buf.find(b"\n", pos + 1, pos + window)
            if e < 0:
                if n - pos >= window:
                    raise ProtocolError("line longer than max_line_len")
                self._pos = pos
                self._wait = _WAIT_LINE
                self._scanned = 0
                self._slow = True
                return NEED_DATA
            if buf[e - 1] != 13:
                raise ProtocolError("line not ended by CRLF")
            t = buf[pos]
            line = buf[pos + 1 : e - 1]
            if t in {36, 33, 61, 59}:  # $ ! = ;
                if t == 59 and (not stack or stack[-1][0] != _STRING):
                    raise ProtocolError("';' chunk outside a streamed string")
                if t == 59 and line == b"0":  # the terminator: no payload, no second CRLF
                    value = b"".join(stack.pop()[2])
                    pos = e + 1
                    if stack:
                        top = stack[-1]
                        count = top[1]
                        items = top[2] if top[0] != _STRING else _REJECT
                    else:
                        items = None
                elif line.isdigit() and len(line) < 20:
                    size = int(line)
                    if size > self._max_bulk:
                        raise ProtocolError(f"bulk of {size} bytes over max_bulk_len")
                    start = e + 1
                    end = start + size
                    if end + 2 > n:
                        self._pos = start
                        self._bulk_kind = t
                        self._bulk_len = size
                        self._wait = _WAIT_BYTES
                        self._need = size + 2
                        self._slow = True
                        return NEED_DATA
                    if buf[end] != 13 or buf[end + 1] != 10:
                        raise ProtocolError("bulk payload not followed by CRLF")
                    pos = end + 2
                    if t == 36:
                        value = buf[start:end]
                    elif t == 59:
                        self._stream_chunk(buf[start:end])
                        continue
                    else:
                        value = self._bulk_value(t, buf[start:end])
                elif t == 36 and line == b"-1":
                    value = None
                    pos = e + 1
                elif t == 36 and line == b"?":
                    pos = e + 1
                    self._push(_STRING, 0)
                    top = stack[-1]
                    count = 0
                    items = _REJECT
                    continue
                else:
                    raise ProtocolError(f"bad length {line!r}")
            elif t in {43, 45}:  # + -
                if 13 in line:
                    raise ProtocolError("CR inside a simple string")
                value = line.decode("utf-8", "surrogateescape")
                if t == 45:
                    value = ReplyError(value)
                pos = e + 1
            elif t in {58, 40}:  # : (
                if not (line.isdigit() or (line[:1] == b"-" and line[1:].isdigit())):
                    raise ProtocolError(f"bad integer {line!r}")
                try:
                    value = int(line)
                except ValueError:  # over sys.get_int_max_str_digits()
                    raise ProtocolError("integer too long") from None
                pos = e + 1
            elif t in _AGG_KIND:
                kind = _AGG_KIND[t]
                if line.isdigit() and len(line) < 20:
                    size = int(line)
                    if kind in (_MAP, _ATTR):
                        size *= 2
                    if size > self._max_agg:
                        raise ProtocolError(f"aggregate of {size} elements over max_aggregate_len")
                    pos = e + 1
                    if size == 0:
                        if kind == _ATTR:
                            continue
                        value = _build(kind, [])
                        if stack and (stack[-1][3] or stack[-1][0] & 7 in (_MAP, _ATTR, _SET)):
                            # an empty container as a key or member: finish it properly
                            self._push(kind, 0)
                            value = self._finish(stack.pop())
                    else:
                        self._push(kind, size)
                        top = stack[-1]
                        count = size
                        items = top[2]
                        continue
                elif line == b"-1" and t == 42:
                    value = None
                    pos = e + 1
                elif line == b"?" and kind <= _SET:
                    pos = e + 1
                    self._push(kind | _STREAMED, self._max_agg + 1)
                    top = stack[-1]
                    count = top[1]
                    items = top[2]
                    continue
                else:
                    raise ProtocolError(f"bad aggregate length {line!r}")
            elif t == 95:  # _
                if line:
                    raise ProtocolError("null with a payload")
                value = None
                pos = e + 1
            elif t == 44:  # ,
                value = _double(line)
                pos = e + 1
            elif t == 35:  # #
                if line == b"t":
                    value = True
                elif line == b"f":
                    value = False
                else:
                    raise ProtocolError(f"bad boolean {line!r}")
                pos = e + 1
            elif t == 46:  # .
                if line or not stack or not stack[-1][0] & _STREAMED:
                    raise ProtocolError("'.' outside a streamed aggregate")
                pos = e + 1
                value = self._finish(stack.pop())
                if stack:
                    top = stack[-1]
                    count = top[1]
                    items = top[2] if top[0] != _STRING else _REJECT
                else:
                    items = None
            else:
                raise ProtocolError(f"unknown type byte {bytes([t])!r}")

            # deliver ``value`` into the open aggregates
            while True:
                if items is None:
                    self._pos = pos
                    if self._slow:
                        return self._complete(value)
                    return value
                if value is _NOTHING:
                    break
                items.append(value)
                if len(items) != count:
                    budget -= 1
                    if not budget and not self._attrs:
                        self._pos = pos
                        return _AGAIN
                    break
                stack.pop()
                value = self._finish(top)
                if stack:
                    top = stack[-1]
                    count = top[1]
                    items = top[2] if top[0] != _STRING else _REJECT
                else:
                    items = None
                    if value is _NOTHING:
                        break
