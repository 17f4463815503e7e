"""Reply types: the Python side of the wire-to-Python table.

| RESP                                   | Python                       |
|----------------------------------------|------------------------------|
| simple string ``+``                    | ``str``                      |
| bulk string ``$``, streamed ``$?``     | ``bytes``                    |
| verbatim string ``=``                  | :class:`Verbatim`            |
| integer ``:``, big number ``(``        | ``int``                      |
| double ``,``                           | ``float``                    |
| boolean ``#``                          | ``bool``                     |
| null ``_``, ``$-1``, ``*-1``           | ``None``                     |
| array ``*``, streamed ``*?``           | ``list``                     |
| map ``%``                              | ``dict``                     |
| set ``~``                              | ``set``                      |
| push ``>``                             | :class:`Push`                |
| error ``-``, bulk error ``!``          | :class:`ReplyError` (returned) |
"""

from __future__ import annotations

import enum
from typing import Any, Final, Literal

__all__ = ["NEED_DATA", "NeedData", "ProtocolError", "Push", "ReplyError", "Verbatim"]


class ProtocolError(ValueError):
    """The byte stream is not valid RESP, or it broke a configured limit.

    A parser that raised it stays failed: every later call raises again.
    """


class _NeedData(enum.Enum):
    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return "resp.NEED_DATA"

    __str__ = __repr__


NeedData = Literal[_NeedData.NEED_DATA]
"""The type of :data:`NEED_DATA`, for annotations."""

NEED_DATA: Final = _NeedData.NEED_DATA
"""Sentinel returned by ``Parser.next_reply()`` when no complete reply is buffered."""


class ReplyError(Exception):
    """An error reply (``-`` or ``!``) sent by the server.

    The parser *returns* it as a value, never raises it: the caller decides.
    ``str(err)`` and ``err.message`` are the full text as sent; ``err.code``
    is its first word (``"ERR"`` when the text is empty).

    Args:
        text: the error text, e.g. ``"WRONGTYPE Operation against a key ..."``.

    Example:
        >>> err = ReplyError("WRONGTYPE Operation against a key")
        >>> err.code, err.message
        ('WRONGTYPE', 'WRONGTYPE Operation against a key')
    """

    __slots__ = ()

    def __init__(self, text: str) -> None:
        super().__init__(text)

    @property
    def message(self) -> str:
        """The full error text, as sent by the server."""
        text: str = self.args[0]
        return text

    @property
    def code(self) -> str:
        """The first word of the text (``"ERR"``, ``"WRONGTYPE"``...); ``"ERR"`` if empty."""
        text: str = self.args[0]
        word = text.split(" ", 1)[0]
        return word or "ERR"

    def __str__(self) -> str:
        text: str = self.args[0]
        return text

    def __repr__(self) -> str:
        return f"ReplyError({self.args[0]!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReplyError):
            return bool(self.args[0] == other.args[0])
        return NotImplemented

    def __hash__(self) -> int:
        return hash((ReplyError, self.args[0]))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.args[0],))


class Verbatim(str):
    """A verbatim string (``=``): text with a three-letter format such as ``"txt"``.

    It is a ``str`` (it compares equal to the plain text); ``.format`` holds
    the format.

    Args:
        text: the text.
        format: three characters, ``"txt"`` or ``"mkd"`` in practice.

    Example:
        >>> v = Verbatim("# Server", "txt")
        >>> v == "# Server", v.format
        (True, 'txt')
    """

    __slots__ = ("format",)
    format: str  # type: ignore[assignment]

    def __new__(cls, text: str = "", format: str = "txt") -> Verbatim:
        self = super().__new__(cls, text)
        self.format = format
        return self

    def __repr__(self) -> str:
        return f"Verbatim({str.__repr__(self)}, format={self.format!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.format))


class Push(list[Any]):
    """An out-of-band push message (``>``), such as a pub/sub ``message``.

    It is a ``list`` of the message's elements; ``.kind`` is the first
    element as ``str`` (``"message"``, ``"subscribe"``, ``"invalidate"``...),
    or ``""`` when there is none.

    Example:
        >>> p = Push([b"message", b"chan", b"hello"])
        >>> p.kind
        'message'
    """

    __slots__ = ()

    @property
    def kind(self) -> str:
        """The first element as text (``""`` for an empty push)."""
        if not self:
            return ""
        first = self[0]
        if isinstance(first, (bytes, bytearray)):
            return bytes(first).decode("utf-8", "surrogateescape")
        return str(first)

    def __repr__(self) -> str:
        return f"Push({list.__repr__(self)})"
