"""Reply decoders: raw reply (as `resp.Parser` gives it) and the ``decode`` flag in, the
documented result out.  The same result for a RESP3 and a RESP2 reply of the same command.

A reply of an unexpected shape is a `kvs.ProtocolError`: the server (or whatever stands in
its place) did not answer this command.  Error replies never reach a decoder: the client
raises them first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from resp import ReplyError

from .._errors import ProtocolError

__all__ = [
    "always_true", "as_parsed", "data_dict", "data_list", "data_or_none", "data_set",
    "decode_all", "empty_list", "integer", "ok_or_false", "ok_true", "one_is_true",
    "pong_true", "positive_is_true",
]


def data_or_none(reply: Any, decode: bool) -> Any:
    """A bulk string (str when decoding), or None."""
    if reply is None:
        return None
    if type(reply) is bytes:
        return reply.decode() if decode else reply
    return _unexpected(reply)


def integer(reply: Any, decode: bool) -> int:
    if type(reply) is int:
        return reply
    return _unexpected(reply)  # type: ignore[no-any-return]


def one_is_true(reply: Any, decode: bool) -> bool:
    """An integer reply of 1 (or 0) as a bool: EXPIRE, HSET of one field, ..."""
    if type(reply) is int:
        return reply == 1
    return _unexpected(reply)  # type: ignore[no-any-return]


def positive_is_true(reply: Any, decode: bool) -> bool:
    """A count as a bool: EXISTS of one key."""
    return integer(reply, decode) > 0


def ok_true(reply: Any, decode: bool) -> bool:
    """``+OK`` as True."""
    if reply == "OK":
        return True
    return _unexpected(reply)  # type: ignore[no-any-return]


def ok_or_false(reply: Any, decode: bool) -> bool:
    """``+OK`` as True, a null (a condition stopped it) as False."""
    if reply is None:
        return False
    return ok_true(reply, decode)


def pong_true(reply: Any, decode: bool) -> bool:
    if reply in ("PONG", b"PONG"):
        return True
    return _unexpected(reply)  # type: ignore[no-any-return]


def always_true(reply: Any, decode: bool) -> bool:
    """For a call with nothing to ask the server (e.g. ``mset({})``)."""
    return True


def empty_list(reply: Any, decode: bool) -> list[Any]:
    """For a call with nothing to ask the server (e.g. ``mget([])``)."""
    return []


def data_list(reply: Any, decode: bool) -> list[Any]:
    """An array of bulk strings (and nulls)."""
    if type(reply) is list:
        if decode:
            return [None if item is None else item.decode() for item in reply]
        return reply
    return _unexpected(reply)  # type: ignore[no-any-return]


def data_dict(reply: Any, decode: bool) -> dict[Any, Any]:
    """A RESP3 map, or a RESP2 flat array of pairs."""
    if type(reply) is dict:
        pairs: Iterable[tuple[Any, Any]] = reply.items()
    elif type(reply) is list and len(reply) % 2 == 0:
        pairs = zip(reply[::2], reply[1::2], strict=True)
    else:
        return _unexpected(reply)  # type: ignore[no-any-return]
    if decode:
        return {field.decode(): value.decode() for field, value in pairs}
    return dict(pairs)


def data_set(reply: Any, decode: bool) -> set[Any]:
    """A RESP3 set, or a RESP2 array."""
    if type(reply) is set or type(reply) is list:
        if decode:
            return {member.decode() for member in reply}
        return set(reply)
    return _unexpected(reply)  # type: ignore[no-any-return]


def as_parsed(reply: Any, decode: bool) -> Any:
    """`execute`: the reply as parsed, with bulk strings decoded when `decode` is on."""
    if not decode:
        return reply
    return decode_all(reply)


def decode_all(reply: Any) -> Any:
    """Every bulk string inside `reply` decoded as UTF-8, the shape kept."""
    kind = type(reply)
    if kind is bytes:
        return reply.decode()
    if isinstance(reply, list):
        decoded = [decode_all(item) for item in reply]
        return decoded if kind is list else kind(decoded)  # resp.Push stays a Push
    if kind is dict:
        return {decode_all(k): decode_all(v) for k, v in reply.items()}
    if kind is set:
        return {decode_all(m) for m in reply}
    if kind is tuple:
        return tuple(decode_all(m) for m in reply)
    return reply


def _unexpected(reply: Any) -> Any:
    if isinstance(reply, ReplyError):  # decoders never see these: the client raises first
        raise TypeError("an error reply reached a decoder")
    raise ProtocolError(f"unexpected reply type {type(reply).__name__}: {reply!r:.80}")
