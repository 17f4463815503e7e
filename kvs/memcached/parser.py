# Theory of operation
# ===================
#
# The reply side of memcached's meta protocol, sans-IO: bytes in, reply objects out.  The
# request side (builders, key encoding, TTLs) is `kvs.memcached.protocol`, which re-exports
# everything here.
#
# Replies.  Each reply is one line `<RC> <flag>*\r\n`; `VA <size> <flag>*\r\n` is followed by
# exactly <size> bytes and CRLF.  Error lines (ERROR, CLIENT_ERROR, SERVER_ERROR) are
# *returned* as `ErrorReply` values, in stream order like any other reply.  Anything else that
# is not the protocol (an unknown status, a bad size, a value over `max_value_size`, a line
# over `max_line_length`, a missing CRLF after a value) raises `ProtocolError`, and from then
# on every call raises it again: after a framing error nothing later in the stream can be
# trusted.
#
# The parser reads the stream along two paths:
#   - the direct path: a chunk fed while nothing is buffered is kept as one `bytes` object and
#     read in place from a position: one `find` per line, one slice per value.  It takes
#     only complete, well-formed replies; the parsed form of each short VA/HD/EN/NF/NS/EX/MN
#     line (status, size, flags) is remembered, so the next identical line (`VA 100 f0`,
#     `EN`) costs a dict lookup and a copy of its flags.  It never raises: at a reply that
#     is not complete yet, or not well-formed, it moves the unread rest of the chunk into
#     the buffer of
#   - the incremental path: one bytearray buffer.  Looking for a line, it remembers how far it
#     already searched for CRLF, so input arriving a byte at a time is still parsed in linear
#     time.  A VA header is parsed once; the parser then waits until <size> + 2 bytes have
#     arrived (never allocating for bytes it has not seen) and checks the CRLF.  Everything
#     is checked here, and every error is raised from here.
# Once the incremental path has finished the reply that straddled two chunks, the rest of the
# buffer goes back to the direct path, so a long stream whose reads end mid-reply is still
# read directly.  The direct path accepts a subset of what the incremental path accepts and
# builds the same replies, so where the chunk boundaries fall never changes the result.  The
# direct path hands over only an unfinished reply (which the buffer then completes) or a
# malformed one (which fails the parser), so a byte moves between the paths at most three
# times (chunk, buffer, chunk, buffer) and each path scans it at most once per stay (the
# direct path's line search stops after `max_line_length` bytes): parsing stays linear.
#
"""Sans-IO parser of memcached meta replies: `Parser`, `Reply`, `ErrorReply`, `Version`."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

from .._errors import ProtocolError as _KvsProtocolError

__all__ = ["NEED_DATA", "ErrorReply", "ParsedReply", "Parser", "ProtocolError", "Reply",
           "Version", "parse_int"]

_FLAG_LETTER = re.compile(rb"[A-Za-z]")
_MAX_SIZE_DIGITS = 20
_KNOWN_LINES = 64  # distinct reply lines a parser remembers
_KNOWN_LINE = 48  # the longest reply line it remembers

_new_tuple = tuple.__new__


class ProtocolError(_KvsProtocolError, ValueError):
    """The bytes received are not the memcached meta protocol (also a `kvs.ProtocolError`)."""


class _Sentinel(enum.Enum):
    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return self.value


NEED_DATA: Final = _Sentinel.NEED_DATA
"""Returned by `Parser.next_reply` when the buffer holds no complete reply yet."""


class _ReplyFields(NamedTuple):
    status: bytes
    flags: dict[str, bytes]
    value: bytes | None


class Reply(_ReplyFields):
    """One meta reply: `status` (b"VA", b"HD", b"EN", b"NF", b"NS", b"EX", b"MN", b"ME").

    `flags` maps each returned flag letter to its token (``{"t": b"-1", "c": b"7"}``; flags
    without a token map to ``b""``).  `value` is the data block of a VA reply, and for ME the
    rest of the debug line (key and ``name=value`` pairs); otherwise None.

    An immutable named tuple (the parser makes one per reply, so it is the cheapest kind of
    record to build): ``Reply(b"HD")`` has empty flags and no value.
    """

    __slots__ = ()

    def __new__(cls, status: bytes, flags: dict[str, bytes] | None = None,
                value: bytes | None = None) -> Reply:
        return _new_tuple(cls, (status, {} if flags is None else flags, value))

    def int_flag(self, letter: str) -> int | None:
        """The flag's token as an int, or None when the flag is absent.

        Raises:
            ProtocolError: the token is not a decimal integer.
        """
        token = self.flags.get(letter)
        if token is None:
            return None
        return parse_int(token, signed=True)


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """An error line: `kind` is b"ERROR", b"CLIENT_ERROR" or b"SERVER_ERROR"."""

    kind: bytes
    message: str


@dataclass(frozen=True, slots=True)
class Version:
    """The reply to `version()`: ``VERSION 1.6.18`` gives ``Version("1.6.18")``."""

    version: str


ParsedReply = Reply | ErrorReply | Version
_Known = tuple[bytes, int, dict[str, bytes]]  # status, data size or -1, flags
_ERROR_KINDS: Final = frozenset({b"ERROR", b"CLIENT_ERROR", b"SERVER_ERROR"})
_FLAG_STATUSES: Final = frozenset({b"HD", b"EN", b"NF", b"NS", b"EX", b"MN"})


def parse_int(token: bytes, *, signed: bool = False) -> int:
    digits = token[1:] if signed and token[:1] == b"-" else token
    if not digits.isdigit() or len(digits) > _MAX_SIZE_DIGITS:
        raise ProtocolError(f"expected a decimal number, got {bytes(token)[:40]!r}")
    return int(token)


# -------------------------------------------------------------------------------- parser


class Parser:
    """Incremental parser of meta-protocol replies.

    >>> p = Parser()
    >>> p.feed(b"VA 2 t-1\\r\\nhi\\r\\nEN\\r\\n")
    >>> p.next_reply()
    Reply(status=b'VA', flags={'t': b'-1'}, value=b'hi')
    >>> p.next_reply()
    Reply(status=b'EN', flags={}, value=None)
    >>> p.next_reply()
    NEED_DATA

    Args:
        max_value_size: the largest VA data block accepted (default 1 MiB, memcached's
            default item size).
        max_line_length: the longest reply line accepted, without its CRLF.
    """

    def __init__(self, *, max_value_size: int = 2**20, max_line_length: int = 8192) -> None:
        self._max_value = max_value_size
        self._max_line = max_line_length
        self._chunk = b""  # the direct path's input, read from _pos on
        self._pos = 0
        self._buf = bytearray()  # the incremental path's input
        self._scanned = 0  # CRLF is known to be absent from _buf[:_scanned]
        self._pending: tuple[int, dict[str, bytes]] | None = None  # a VA header read
        self._failure: str | None = None
        self._known: dict[bytes, _Known] = {}  # reply lines seen lately, parsed

    @property
    def buffered(self) -> bool:
        """Whether the parser holds anything not yet returned: a reply, or part of one."""
        return (self._pos < len(self._chunk) or bool(self._buf) or self._pending is not None
                or self._failure is not None)

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append received bytes (any chunk, split anywhere)."""
        if self._failure is not None:
            self._check_failed()
        if self._buf or self._pending is not None:
            self._buf += data
        elif self._pos < len(self._chunk):  # not drained yet: keep the stream in order
            self._spill()
            self._buf += data
        else:
            self._chunk = bytes(data)
            self._pos = 0

    def next_reply(self) -> ParsedReply | Literal[_Sentinel.NEED_DATA]:
        """The next complete reply, or `NEED_DATA`.

        Raises:
            ProtocolError: the stream is malformed (now or earlier).
        """
        if self._failure is not None:
            self._check_failed()
        chunk = self._chunk
        pos = self._pos
        if pos < len(chunk):
            # The direct path: a complete, well-formed reply at `pos`, or a hand-over.
            end = chunk.find(b"\r\n", pos, pos + self._max_line + 2)
            if end >= 0:
                line = chunk[pos:end]
                known = self._known.get(line)
                if known is None:
                    known = self._learn(line)
                if known is not None:
                    status, size, flags = known
                    if size < 0:
                        self._pos = end + 2
                        return _new_tuple(Reply, (status, flags.copy(), None))
                    start = end + 2
                    stop = start + size
                    if chunk[stop : stop + 2] == b"\r\n":
                        self._pos = stop + 2
                        return _new_tuple(Reply, (b"VA", flags.copy(), chunk[start:stop]))
                else:
                    other = _rare_line(line)
                    if other is not None:
                        self._pos = end + 2
                        return other
            self._spill()
        elif not self._buf:
            if chunk:
                self._chunk = b""  # drained: let it go
            return NEED_DATA
        try:
            reply = self._next()
        except ProtocolError as exc:
            self._failure = str(exc)
            raise
        if reply is not NEED_DATA and self._buf:
            # The reply that straddled two chunks is done: what follows goes back to the
            # direct path (`_next` leaves nothing half-read at a reply boundary).
            self._chunk = bytes(self._buf)
            self._pos = 0
            self._buf.clear()
        return reply

    def _spill(self) -> None:
        """Move the unread rest of the direct path's chunk into the buffer."""
        chunk, pos = self._chunk, self._pos
        if pos:
            with memoryview(chunk) as view:
                self._buf += view[pos:]
        else:
            self._buf += chunk
        self._chunk = b""
        self._pos = 0

    def _learn(self, line: bytes) -> _Known | None:
        """What the direct path needs of a reply line: status, data size (-1: none) and
        flags; None for a line it leaves to the incremental path (an error line, ME,
        VERSION, anything malformed).  Short lines are remembered."""
        if b"\r" in line or b"\n" in line:
            return None
        status, _, text = line.partition(b" ")
        size = -1
        if status == b"VA":
            size_token, _, text = text.partition(b" ")
            if not size_token.isdigit() or len(size_token) > _MAX_SIZE_DIGITS:
                return None
            size = int(size_token)
            if size > self._max_value:
                return None
        elif status not in _FLAG_STATUSES:
            return None
        flags: dict[str, bytes] = {}
        for token in text.split(b" "):
            if token:
                if not token[:1].isalpha():
                    return None
                flags[chr(token[0])] = token[1:]
        known = (status, size, flags)
        if len(line) <= _KNOWN_LINE:
            if len(self._known) >= _KNOWN_LINES:
                self._known.clear()
            self._known[line] = known
        return known

    def _check_failed(self) -> None:
        if self._failure is not None:
            raise ProtocolError(f"parser failed earlier: {self._failure}")

    def _next(self) -> ParsedReply | Literal[_Sentinel.NEED_DATA]:
        if self._pending is None:
            line = self._take_line()
            if line is None:
                return NEED_DATA
            reply = self._parse_line(line)
            if reply is not None:
                return reply
        assert self._pending is not None
        size, flags = self._pending
        buf = self._buf
        if len(buf) < size + 2:
            return NEED_DATA
        if buf[size : size + 2] != b"\r\n":
            raise ProtocolError("VA data block is not followed by CRLF")
        with memoryview(buf) as view:  # one copy, straight out of the buffer
            value = bytes(view[:size])
        del buf[: size + 2]
        self._pending = None
        return Reply(b"VA", flags, value)

    def _take_line(self) -> bytes | None:
        buf = self._buf
        end = buf.find(b"\r\n", self._scanned)
        if end < 0:
            if len(buf) > self._max_line + 1:
                raise ProtocolError(f"reply line longer than {self._max_line} bytes")
            self._scanned = max(0, len(buf) - 1)  # a trailing CR may start the CRLF
            return None
        if end > self._max_line:
            raise ProtocolError(f"reply line longer than {self._max_line} bytes")
        with memoryview(buf) as view:
            line = bytes(view[:end])
        del buf[: end + 2]
        self._scanned = 0
        if b"\r" in line or b"\n" in line:
            raise ProtocolError(f"stray CR or LF in reply line {line[:40]!r}")
        return line

    def _parse_line(self, line: bytes) -> ParsedReply | None:
        status, _, rest = line.partition(b" ")
        if status in _ERROR_KINDS:
            return ErrorReply(status, rest.decode("utf-8", "replace"))
        if status == b"VERSION" and rest:
            return Version(rest.decode("utf-8", "replace"))
        if status == b"ME":
            return Reply(b"ME", {}, rest)
        tokens = rest.split(b" ") if rest else []
        if status == b"VA":
            if not tokens:
                raise ProtocolError("VA without a size")
            size = parse_int(tokens.pop(0))
            if size > self._max_value:
                raise ProtocolError(f"value of {size} bytes exceeds {self._max_value}")
            self._pending = (size, _parse_flags(tokens))
            return None
        if status in _FLAG_STATUSES:
            return Reply(status, _parse_flags(tokens))
        raise ProtocolError(f"unknown reply {line[:40]!r}")


def _rare_line(line: bytes) -> ParsedReply | None:
    """An error line, VERSION or ME, as `Parser._parse_line` reads it; None for anything
    else (the direct path hands that over)."""
    status, _, rest = line.partition(b" ")
    if b"\r" in line or b"\n" in line:
        return None
    if status in _ERROR_KINDS:
        return ErrorReply(status, rest.decode("utf-8", "replace"))
    if status == b"VERSION" and rest:
        return Version(rest.decode("utf-8", "replace"))
    if status == b"ME":
        return Reply(b"ME", {}, rest)
    return None


def _parse_flags(tokens: list[bytes]) -> dict[str, bytes]:
    flags: dict[str, bytes] = {}
    for token in tokens:
        if not token:
            continue
        if not _FLAG_LETTER.fullmatch(token[:1]):
            raise ProtocolError(f"bad flag token {token[:40]!r}")
        flags[chr(token[0])] = token[1:]
    return flags
