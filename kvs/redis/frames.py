"""What a subscription connection reads: pub/sub messages quickly, everything else through
``resp.Parser``.

Theory of operation.  Nearly every frame on a subscription connection is a message: a flat
push (RESP3 ``>``) or array (RESP2 ``*``) of three or four bulk strings, ``message``,
``pmessage`` or ``smessage`` first.  `SubscriptionReader` cuts those straight out of the
received bytes into `Message` values (a few ``bytes.find`` calls and slices each), with no
general parser in the way; it is the receive path's hot loop.  A message that starts with the
same bytes as the last one up to its payload (same kind, pattern and channel: the usual case)
reuses the last one's decoded fields and cuts only the payload.

Anything else is handed to a ``resp.Parser``, the one authority on the protocol, one frame at
a time: a flat aggregate of bulk strings, integers and nulls (a subscribe confirmation, RESP2's
``pong``) or a one-line reply (``+PONG``, an ``-ERR``) is measured here and exactly its bytes
are fed to the parser, which gives the value (or the error).  A frame this module does not
measure with certainty (nested, a map, an attribute, a header in a form it does not write
itself, a payload not followed by CRLF) switches the reader to the parser for everything
buffered, until the parser has given back all it held; so a malformed stream raises the
parser's own `resp.ProtocolError`.  Bytes of an incomplete frame wait for the next `feed`
(more than ``_PARTIAL_LIMIT`` of them go to the parser, so a huge message is not copied over
and over).
"""

from __future__ import annotations

from typing import Any

from resp import NEED_DATA, Parser

from ..commands.pubsub import Message, to_message

__all__ = ["SubscriptionReader"]

_PARTIAL_LIMIT = 1 << 20
_MAX_ITEMS = 8
_MAX_BULK = 512 * 2**20
_KINDS = {b"message": "message", b"pmessage": "pmessage", b"smessage": "smessage"}
_new = tuple.__new__  # a Message from its four fields, without NamedTuple's keyword handling
_INCOMPLETE = -1
_UNKNOWN = -2


def _frame(buf: bytes, pos: int) -> tuple[int, list[Any] | None]:
    """(end, bulk payloads or None) of the frame at `pos`, or (_INCOMPLETE | _UNKNOWN, None).

    The payloads are returned only for a flat aggregate of bulk strings (a message's shape);
    other measured frames (integers, nulls, one-line replies) give None and their end.
    """
    n = len(buf)
    if pos >= n:
        return _INCOMPLETE, None
    lead = buf[pos]
    e = buf.find(b"\r\n", pos)
    if e < 0:
        return (_INCOMPLETE if n - pos < 64 else _UNKNOWN), None
    if lead in b"+-:":  # one line
        return e + 2, None
    if lead not in b">*":
        return _UNKNOWN, None
    line = buf[pos + 1 : e]
    if not line.isdigit() or (len(line) > 1 and line[0] == 48) or int(line) > _MAX_ITEMS:
        return _UNKNOWN, None
    items: list[bytes] | None = []
    p = e + 2
    for _ in range(int(line)):
        if p >= n:
            return _INCOMPLETE, None
        e = buf.find(b"\r\n", p)
        if e < 0:
            return (_INCOMPLETE if n - p < 32 else _UNKNOWN), None
        t = buf[p]
        head = buf[p + 1 : e]
        if t == 36 and head.isdigit() and (len(head) == 1 or head[0] != 48) \
                and len(head) < 11 and (size := int(head)) <= _MAX_BULK:
            start = e + 2
            end = start + size
            if end + 2 > n:
                return _INCOMPLETE, None
            if buf[end : end + 2] != b"\r\n":
                return _UNKNOWN, None
            if items is not None:
                items.append(buf[start:end])
            p = end + 2
        elif (t == 58 and head.lstrip(b"-").isdigit() and len(head) < 20) \
                or (t == 36 and head == b"-1") or (t == 95 and not head):
            items = None  # an integer or a null: not a message
            p = e + 2
        else:
            return _UNKNOWN, None
    return p, items


class SubscriptionReader:
    """Bytes in (`feed`), `Message` values and other replies out (`next`)."""

    def __init__(self, decode: bool) -> None:
        self._decode = decode
        self._buf = b""
        self._pos = 0
        self._parser = Parser()
        self._slow = False  # the parser holds bytes: it reads until it gave them all back
        # The bytes before the payload of the last message (its header, kind, pattern and
        # channel), and that message: the next one on the same channel is cut in one step.
        self._prefix = b""
        self._last = Message("message", None, None)

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if self._slow:
            self._parser.feed(data)
            return
        rest = len(self._buf) - self._pos
        if rest <= 0:
            self._buf = bytes(data)
        elif rest + len(data) > _PARTIAL_LIMIT:
            self._to_parser()
            self._parser.feed(data)
            return
        else:
            self._buf = self._buf[self._pos :] + bytes(data)
        self._pos = 0

    def next(self) -> Any:
        """The next `Message`, another complete reply (as ``resp.Parser`` gives it), or
        ``resp.NEED_DATA``.

        Raises:
            resp.ProtocolError: the bytes break the protocol.
        """
        if self._slow:
            return self._next_slow()
        buf, pos = self._buf, self._pos
        prefix = self._prefix
        if prefix and buf.startswith(prefix, pos):
            # Another message like the last one: only its payload is new.
            p = pos + len(prefix)
            e = buf.find(b"\r\n", p, p + 14)
            if e > p + 1 and buf[p] == 36:
                head = buf[p + 1 : e]
                if head.isdigit() and (len(head) == 1 or head[0] != 48):
                    start = e + 2
                    end = start + int(head)
                    if buf.startswith(b"\r\n", end):
                        self._pos = end + 2
                        data = buf[start:end]
                        last = self._last
                        return _new(Message, (last[0], last[1], data.decode("utf-8", "replace")
                                              if self._decode else data, last[3]))
        end, items = _frame(buf, pos)
        if end >= 0:
            self._pos = end
            if items is not None and (kind := _KINDS.get(items[0])) is not None \
                    and len(items) == (4 if kind == "pmessage" else 3):
                message = to_message(items, self._decode)
                assert message is not None
                data = items[-1]
                self._prefix = buf[pos : end - 2 - len(data) - len(b"$%d\r\n" % len(data))]
                self._last = message
                return message
            parser = self._parser
            parser.feed(buf[pos:end])
            reply = parser.next_reply()
            if reply is NEED_DATA or parser.buffered:  # measured wrong: the parser decides
                self._slow = True
                return self._next_slow() if reply is NEED_DATA else reply
            return reply
        if end == _INCOMPLETE:
            return NEED_DATA
        self._to_parser()
        return self._next_slow()

    def _to_parser(self) -> None:
        self._slow = True
        rest = self._buf[self._pos :]
        self._buf, self._pos = b"", 0
        if rest:
            self._parser.feed(rest)

    def _next_slow(self) -> Any:
        parser = self._parser
        reply = parser.next_reply()
        if not parser.buffered:
            self._slow = False
        if reply is NEED_DATA:
            return reply
        message = to_message(reply, self._decode)
        return reply if message is None else message
