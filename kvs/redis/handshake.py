"""The Redis connection handshake, as a sans-IO conversation both transports drive.

`handshake(config)` is a generator: it yields each command line to send and receives the
parsed reply, so the trio and the blocking transports run the very same steps:
``HELLO 3 [AUTH user pass] [SETNAME name]``; where the server has no HELLO (or the URL asks
for ``protocol=2``), ``AUTH``, ``CLIENT SETNAME`` and a ``PING``; then ``SELECT db`` when a
database is named.  Every step waits for its reply, so an error the server sends before any
request (``-ERR max number of clients reached``) is the reply to the first step, and raises
with the server's message on open, in RESP2 as in RESP3.  A refusal (wrong password, unknown
database) raises `kvs.ResponseError`.  A step's reply must be all the server sent: bytes
after it would be taken as the next step's reply, or as the first caller's, so they fail the
open with `kvs.ProtocolError` (`next_step`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from resp import ReplyError

from .._errors import ProtocolError, response_error
from .._url import Config

__all__ = ["Handshake", "handshake", "next_step", "nothing_more"]

Handshake = Generator[tuple[bytes | str | int, ...], Any, int]


def handshake(config: Config) -> Handshake:
    """Yield the handshake's commands; return the protocol version agreed (2 or 3)."""
    auth: tuple[str, ...] = ()
    if config.password is not None:
        auth = (config.username or "default", config.password)
    protocol = config.protocol
    if protocol == 3:
        argv: tuple[bytes | str | int, ...] = ("HELLO", "3")
        if auth:
            argv += ("AUTH", *auth)
        if config.client_name:
            argv += ("SETNAME", config.client_name)
        reply = yield argv
        if isinstance(reply, ReplyError):
            # A server older than 6 does not know HELLO; one built without RESP3 says NOPROTO.
            if reply.code not in ("NOPROTO", "ERR") or "HELLO" not in reply.message.upper():
                raise response_error(reply)
            protocol = 2
        elif config.client_name or auth:
            auth = ()  # HELLO did both
    if protocol == 2:
        if auth:
            _check((yield ("AUTH", *auth) if config.username else ("AUTH", auth[1])))
        if config.client_name:
            _check((yield ("CLIENT", "SETNAME", config.client_name)))
        _check((yield ("PING",)))
    if config.db:
        _check((yield ("SELECT", config.db)))
    return protocol


def next_step(steps: Handshake, sent: tuple[bytes | str | int, ...], reply: Any, more: bool,
              name: str) -> tuple[bytes | str | int, ...] | None:
    """The command to send after `reply`, the reply to `sent`; None when the handshake is
    done.  A refusal raises from `steps` first; then `more` (the server sent bytes after the
    reply) raises `kvs.ProtocolError`."""
    try:
        argv: tuple[bytes | str | int, ...] | None = steps.send(reply)
    except StopIteration:
        argv = None
    nothing_more(more, sent[0], name)
    return argv


def nothing_more(more: bool, sent: bytes | str | int, name: str) -> None:
    """Raise `kvs.ProtocolError` when the server sent bytes after its reply to `sent`, a
    command of the connection's opening (the handshake, a cluster replica's READONLY, a
    Sentinel-found node's ROLE): they would be taken as the next reply."""
    if more:
        shown = sent.decode(errors="replace") if isinstance(sent, bytes) else sent
        raise ProtocolError(f"{name}: the server sent more than the reply to {shown} while "
                            "the connection was being opened")


def _check(reply: Any) -> None:
    if isinstance(reply, ReplyError):
        raise response_error(reply)
