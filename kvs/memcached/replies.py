"""Memcached's meta replies as the raw replies a Redis 7 server would send, sans-IO.

The `combine` functions of `kvs.memcached.plan` read the parts' replies through these: a hit
is its value (a counter that memcached's in-place decrement padded with spaces, client flags
0, is read back without the padding; a value stored in that very shape carries
`LITERAL_FLAG` and reads back exactly), a miss is None, an error line a `resp.ReplyError`
value, and anything a command did not expect a `kvs.ProtocolError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from resp import ReplyError

from .._errors import ProtocolError
from . import protocol as mc

__all__ = ["LITERAL_FLAG", "NOT_INTEGER", "Replies", "counter_reply", "deleted", "first_error",
           "get_one", "get_reply", "ok_as_one", "status_of", "stored_value", "touched",
           "unexpected", "values_of"]

LITERAL_FLAG: Final = 1
NOT_INTEGER: Final = "ERR value is not an integer or out of range"
Replies = Sequence[list[Any]]
_PADDED = re.compile(rb"[0-9]+ +")


def unexpected(reply: Any, op: str) -> Any:
    """The raw reply for a reply the command did not expect: an error line becomes a
    `ReplyError`; anything else is a protocol error."""
    if isinstance(reply, mc.ErrorReply):
        return ReplyError(f"ERR memcached {reply.kind.decode()}: {reply.message}")
    raise ProtocolError(f"memcached: unexpected reply to {op}: {reply!r:.80}")


def status_of(reply: Any) -> bytes | None:
    return reply.status if isinstance(reply, mc.Reply) else None


def stored_value(reply: mc.Reply) -> bytes:
    value = reply.value
    assert value is not None
    if value[-1:] == b" " and _PADDED.fullmatch(value):
        flags = reply.flags.get("f", b"0")
        if not (flags.isdigit() and int(flags) & LITERAL_FLAG):
            return value.rstrip(b" ")
    return value


def get_reply(reply: Any) -> Any:
    """The raw GET reply (value, None, or `ReplyError`) from the reply to the request of
    `Planner.get`."""
    if type(reply) is mc.Reply:
        status = reply.status
        if status == b"VA":
            value = reply.value
            assert value is not None
            return value if value[-1:] != b" " else stored_value(reply)
        if status == b"EN":
            return None
    return unexpected(reply, "GET")


def get_one(replies: Replies) -> Any:
    return get_reply(replies[0][0])


def values_of(replies: Replies) -> Any:
    """The values of one part of GET requests, in order (the first error wins)."""
    values: list[Any] = []
    append = values.append
    reply_type = mc.Reply
    for reply in replies[0]:
        if type(reply) is reply_type and reply.status == b"VA":
            value: bytes = reply.value  # type: ignore[assignment]  # VA: never None
            append(value if value[-1:] != b" " else stored_value(reply))
        elif type(reply) is reply_type and reply.status == b"EN":
            append(None)
        else:
            error = get_reply(reply)
            if isinstance(error, ReplyError):
                return error
            append(error)
    return values


def first_error(replies: Replies) -> ReplyError | None:
    for part in replies:
        for reply in part:
            if isinstance(reply, mc.ErrorReply):
                error: ReplyError = unexpected(reply, "")
                return error
    return None


def ok_as_one(reply: Any) -> Any:
    """SET NX's reply as SETNX's: 1 when set, 0 when the key existed (errors unchanged)."""
    if reply == "OK":
        return 1
    return 0 if reply is None else reply


def deleted(reply: Any) -> Any:
    status = status_of(reply)
    if status in (b"HD", b"NF"):
        return int(status == b"HD")
    return unexpected(reply, "EXPIRE")


def touched(reply: Any) -> Any:
    status = status_of(reply)
    if status in (b"HD", b"EN"):
        return int(status == b"HD")
    return unexpected(reply, "EXPIRE")


def counter_reply(reply: Any) -> Any:
    if status_of(reply) == b"VA":
        try:
            return int(reply.value)
        except ValueError:
            raise ProtocolError(f"memcached: counter value {reply.value!r:.40}") from None
    if isinstance(reply, mc.ErrorReply) and reply.kind == b"CLIENT_ERROR":
        return ReplyError(NOT_INTEGER)  # the stored value is not an unsigned integer
    return unexpected(reply, "INCRBY")
