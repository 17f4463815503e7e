"""Reading client requests the way Redis reads them: multibulk arrays and inline commands.

Theory of operation: a request stream is not a reply stream (``resp.Parser`` reads those), so
it has its own reader, a port of the rules of Redis 7.0's ``processInputBuffer``:

- A request that starts with ``*`` is a multibulk: ``*<n>\\r\\n`` then ``n`` bulk strings
  ``$<len>\\r\\n<payload>\\r\\n``.  A count of zero or less is an empty request, skipped.  The
  two bytes after a payload are skipped unread, as Redis does.
- Anything else is an inline command: one line up to ``\\n`` (a ``\\r`` before it is dropped),
  split into words with Redis's quoting rules (``"..."`` with ``\\xHH``, ``\\n``... escapes,
  ``'...'``).  An empty line is skipped.
- Numbers are read as Redis's ``string2ll`` reads them: no sign but ``-``, no leading zeros,
  no spaces.
- Limits: a header or an inline line longer than 64 KiB, a count over ``INT_MAX``, a bulk
  length over ``max_bulk_len``, and, before the client has authenticated, a count over 10 or
  a bulk over 16 KiB, are protocol errors.  `RequestError` carries Redis's text, after which
  the reader stays failed.

A whole multibulk with small canonical headers (the usual request) is read by a tight loop
of table lookups in `next_command`; whatever it declines goes to the general reader, which
applies every rule above.

Bytes are kept as an immutable ``bytes`` buffer and an offset.  While a request is incomplete,
new chunks are queued and only joined once the byte that completes the awaited element can be
there: the newline of a line, or the last byte of a payload.  So input fed a byte at a time,
or a 512 MiB value in 64 KiB reads, costs linear time, and a half-read multibulk keeps its
words so far (``_argv``) instead of being parsed again.
"""

from __future__ import annotations

from typing import NoReturn

__all__ = ["INLINE_MAX", "RequestError", "RequestReader", "split_inline"]

INLINE_MAX = 64 * 1024  # Redis's PROTO_INLINE_MAX_SIZE
_INT_MAX = 2**31 - 1
_LL_MAX = 2**63 - 1
_UNAUTH_COUNT = 10
_UNAUTH_BULK = 16 * 1024
_SPACES = b" \t\n\r\v\f"
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = b"0123456789abcdefABCDEF"
# Canonical headers of the fast path: ``*1``..``*1023`` and ``$0``..``$4095``.
_COUNTS = {b"%d" % i: i for i in range(1, 1024)}
_SIZES = {b"$%d" % i: i for i in range(4096)}


class RequestError(Exception):
    """A request Redis would refuse as a protocol error; ``args[0]`` is the text after
    ``Protocol error: ``, as bytes."""


def _parse_ll(text: bytes) -> int | None:
    """`text` as Redis's ``string2ll`` reads a number, or None."""
    if text.isdigit():
        if text[0] == 48 and len(text) > 1:
            return None
        value = int(text)
        return value if value <= _LL_MAX else None
    if text[:1] == b"-" and text[1:].isdigit() and text[1] != 48:
        value = -int(text[1:])
        return value if value >= -_LL_MAX - 1 else None
    return None


def split_inline(line: bytes) -> list[bytes] | None:
    """Split an inline command into words as Redis's ``sdssplitargs`` does; None when a quote
    is unbalanced (or a closing quote is not followed by a space)."""
    words: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in _SPACES:
            i += 1
        if i >= n:
            return words
        word = bytearray()
        quote = 0
        while True:
            if i >= n:
                if quote:
                    return None
                break
            c = line[i]
            if quote == 34:  # "..."
                if (c == 92 and i + 3 < n and line[i + 1] == 120
                        and line[i + 2] in _HEX and line[i + 3] in _HEX):
                    word.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    i += 1
                    word.append(_ESCAPES.get(line[i], line[i]))
                elif c == 34:
                    if i + 1 < n and line[i + 1] not in _SPACES:
                        return None
                    i += 1
                    break
                else:
                    word.append(c)
            elif quote == 39:  # '...'
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    word.append(39)
                elif c == 39:
                    if i + 1 < n and line[i + 1] not in _SPACES:
                        return None
                    i += 1
                    break
                else:
                    word.append(c)
            elif c in _SPACES:
                break
            elif c in (34, 39):
                quote = c
            else:
                word.append(c)
            i += 1
        words.append(bytes(word))


class RequestReader:
    """Turns the bytes a client sends into commands (lists of ``bytes``), sans-IO.

    Args:
        max_bulk_len: the largest bulk string accepted (Redis's ``proto-max-bulk-len``).

    Example:
        >>> r = RequestReader()
        >>> r.feed(b"*2\\r\\n$4\\r\\nECHO\\r\\n$2\\r\\nhi\\r\\nPING\\r\\n*1\\r\\n$4")
        >>> r.next_command(), r.next_command(), r.next_command()
        ([b'ECHO', b'hi'], [b'PING'], None)
    """

    __slots__ = (
        "_argv", "_buf", "_bulk", "_chunks", "_error", "_need", "_pending", "_pos",
        "_remaining", "_wait_byte", "authenticated", "max_bulk_len",
    )  # fmt: skip

    def __init__(self, max_bulk_len: int = 512 * 2**20) -> None:
        self.max_bulk_len = max_bulk_len
        self.authenticated = True  # the session clears it while a password is required
        self._buf = b""
        self._pos = 0
        self._chunks: list[bytes] = []
        self._pending = 0  # bytes in _chunks
        self._wait_byte: bytes | None = None  # a line is incomplete: this byte completes it
        self._need = 0  # else: bytes after _pos needed before parsing can go on
        self._argv: list[bytes] = []
        self._remaining = 0  # words of the current multibulk still to read
        self._bulk = -1  # length of the bulk whose header is read, else -1
        self._error: RequestError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received and not yet consumed (Redis's query buffer length)."""
        return len(self._buf) - self._pos + self._pending

    def feed(self, data: bytes) -> None:
        """Add bytes received from the client."""
        if not data:
            return
        if self._pos >= len(self._buf) and not self._chunks:
            self._buf, self._pos = bytes(data), 0
            return
        wait = self._wait_byte
        if wait is not None:
            ready = wait in data or self.buffered + len(data) > INLINE_MAX
        else:
            ready = self.buffered + len(data) >= self._need
        if not ready:
            self._chunks.append(bytes(data))
            self._pending += len(data)
            return
        self._buf = b"".join([self._buf[self._pos :], *self._chunks, data])
        self._pos = 0
        self._chunks.clear()
        self._pending = 0

    def _wait_line(self, byte: bytes, too_big: bytes) -> None:
        if len(self._buf) - self._pos > INLINE_MAX:
            self._fail(too_big)
        self._wait_byte = byte

    def _fail(self, message: bytes) -> NoReturn:
        self._error = RequestError(message)
        raise self._error

    def next_command(self) -> list[bytes] | None:
        """The next complete command, or None until more bytes arrive.

        Raises:
            RequestError: the stream breaks Redis's protocol; every later call raises it too.
        """
        buf, pos = self._buf, self._pos
        if pos >= len(buf) and not self._chunks and not self._remaining and self._error is None:
            return None  # all read: feed() starts a new buffer
        if (not self._remaining and self.authenticated and not self._chunks
                and buf[pos : pos + 1] == b"*"):
            # The common case, whole and canonical (small counts and sizes, CRLF after each
            # payload), in one tight loop; anything else is left to the general reader.
            nl = buf.find(b"\r\n", pos)
            count = _COUNTS.get(buf[pos + 1 : nl])
            if count is not None:
                argv = []
                find = buf.find
                start = nl + 2
                for _ in range(count):
                    nl = find(b"\r\n", start)
                    size = _SIZES.get(buf[start:nl])
                    if size is None:
                        break
                    end = nl + 2 + size
                    if buf[end : end + 2] != b"\r\n":
                        break
                    argv.append(buf[nl + 2 : end])
                    start = end + 2
                else:
                    self._pos = start
                    return argv
        return self._next_general()

    def _next_general(self) -> list[bytes] | None:
        if self._error is not None:
            raise self._error
        if self._chunks:
            return None  # still waiting: feed() joins the chunks once they can complete it
        buf, pos = self._buf, self._pos
        n = len(buf)
        self._wait_byte = None
        while not self._remaining:
            if pos >= n:
                self._pos = pos
                return None
            if buf[pos] != 42:  # not '*': an inline command
                nl = buf.find(b"\n", pos)
                if nl < 0:
                    self._pos = pos
                    self._wait_line(b"\n", b"too big inline request")
                    return None
                end = nl - 1 if nl > pos and buf[nl - 1] == 13 else nl
                words = split_inline(buf[pos:end])
                pos = self._pos = nl + 1
                if words is None:
                    self._fail(b"unbalanced quotes in request")
                if words:
                    return words
                continue
            nl = buf.find(b"\r", pos)
            if nl < 0 or nl + 2 > n:
                self._pos = pos
                if nl < 0:
                    self._wait_line(b"\r", b"too big mbulk count string")
                else:
                    self._need = nl + 2 - pos
                return None
            count = _parse_ll(buf[pos + 1 : nl])
            if count is None or count > _INT_MAX:
                self._fail(b"invalid multibulk length")
            if count > _UNAUTH_COUNT and not self.authenticated:
                self._fail(b"unauthenticated multibulk length")
            pos = nl + 2
            if count > 0:
                self._remaining = count
                self._argv = []
        argv = self._argv
        bulk = self._bulk
        while self._remaining:
            if bulk < 0:
                nl = buf.find(b"\r", pos)
                if nl < 0 or nl + 2 > n:
                    self._pos = pos
                    if nl < 0:
                        self._wait_line(b"\r", b"too big bulk count string")
                    else:
                        self._need = nl + 2 - pos
                    return None
                if buf[pos] != 36:  # '$'
                    self._fail(b"expected '$', got '%c'" % buf[pos])
                length = _parse_ll(buf[pos + 1 : nl])
                if length is None or length < 0 or length > self.max_bulk_len:
                    self._fail(b"invalid bulk length")
                if length > _UNAUTH_BULK and not self.authenticated:
                    self._fail(b"unauthenticated bulk length")
                pos = nl + 2
                bulk = self._bulk = length
            if n - pos < bulk + 2:
                self._pos = pos
                self._need = bulk + 2
                return None
            argv.append(buf[pos : pos + bulk])
            pos += bulk + 2
            bulk = self._bulk = -1
            self._remaining -= 1
        self._pos = pos
        return argv
