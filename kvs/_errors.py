"""The exceptions of `kvs`, all subclasses of `KvsError`.

Errors are named by who caused them: the peer broke the connection (`ConnectionError`), the
server refused the command (`ResponseError`), the backend cannot do it (`UnsupportedOperation`),
the caller gave a bad URL (`InvalidURL`), the server sent bytes that are not the protocol
(`ProtocolError`).  trio's and the OS's errors are translated into these in one place per
transport, with the original kept as ``__cause__``.
"""

from __future__ import annotations

import builtins
from typing import Protocol

__all__ = [
    "ConnectionError",
    "InvalidURL",
    "KvsError",
    "ProtocolError",
    "ResponseError",
    "TimeoutError",
    "UnsupportedOperation",
    "WatchError",
    "response_error",
]


class KvsError(Exception):
    """Base class of every error raised by `kvs`."""


class ConnectionError(KvsError, builtins.ConnectionError):
    """The connection could not be opened, or broke while a command was in flight.

    ``sent`` is True when the request may have reached the server (so it may have run).
    """

    def __init__(self, message: str, *, sent: bool = False) -> None:
        super().__init__(message)
        self.sent = sent


class TimeoutError(KvsError, builtins.TimeoutError):
    """A connect or a command did not complete within its timeout."""


class ResponseError(KvsError):
    """The server refused the command.

    Attributes:
        code: the first word of the error, e.g. ``"WRONGTYPE"`` or ``"ERR"``.
        message: the whole error text as the server sent it.
        index: in a pipeline or a transaction, the position of the command that failed
            (from 0); None for a single command.
    """

    def __init__(self, message: str, code: str = "ERR", *, index: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.index = index


class WatchError(KvsError):
    """A transaction under `watch` did not run: a watched key changed (EXEC answered null),
    or the watch connection was lost before EXEC was sent.  Nothing of it ran; run the block
    again (`Client.run_watched` does that)."""


class UnsupportedOperation(KvsError):
    """The backend cannot perform this operation; raised before any I/O."""


class InvalidURL(KvsError, ValueError):
    """The URL or an option is not one `kvs.connect` understands."""


class ProtocolError(KvsError):
    """The server sent bytes that break the protocol; the connection is dropped.

    ``sent`` is True when the caller's request may have reached the server (so it may have
    run), as for `ConnectionError`.
    """

    def __init__(self, message: str, *, sent: bool = False) -> None:
        super().__init__(message)
        self.sent = sent


class _ErrorReply(Protocol):
    @property
    def message(self) -> str: ...
    @property
    def code(self) -> str: ...


# What to tell the user on top of the server's words, by error code.
_HINTS = {
    "NOAUTH": "give the password in the URL: redis://:PASSWORD@host, or "
              "redis://USERNAME:PASSWORD@host for an ACL user (percent-encode @ / : ? # % [ ] "
              "and spaces in it)",
}


def response_error(reply: _ErrorReply) -> ResponseError:
    """The `ResponseError` for a server's error reply, with a hint where one helps.

    ``message`` keeps the server's own text first; ``code`` is the reply's code.
    """
    hint = _HINTS.get(reply.code)
    message = reply.message if hint is None else f"{reply.message} ({hint})"
    return ResponseError(message, reply.code)
