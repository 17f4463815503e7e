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
    "always_true", "as_parsed", "data_dict", "data_dict_page", "data_list", "data_list_page",
    "data_or_none", "data_pairs", "data_set", "decode_all", "empty_list", "integer",
    "integer_list", "integer_or_none", "key_and_list", "key_and_value", "key_member_score",
    "ok_or_false", "ok_true", "one_is_true", "ones_are_true", "pong_true", "positive_is_true",
    "scan_page", "score", "score_or_none", "scored_page", "scored_pairs", "scores",
    "status_text",
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
            try:  # the common case, no nulls: one C-level pass
                return list(map(bytes.decode, reply))
            except TypeError:  # a null (or an element that is not a bulk string)
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


def status_text(reply: Any, decode: bool) -> str:
    """A status reply (``+string``) as str, whatever `decode` says: TYPE."""
    if type(reply) is str:
        return reply
    if type(reply) is bytes:
        return reply.decode()
    return _unexpected(reply)  # type: ignore[no-any-return]


def integer_or_none(reply: Any, decode: bool) -> int | None:
    """An integer, or None: ZRANK of a missing member, LPOS that found nothing."""
    if reply is None or type(reply) is int:
        return reply
    return _unexpected(reply)  # type: ignore[no-any-return]


def integer_list(reply: Any, decode: bool) -> list[int]:
    """An array of integers: LPOS with COUNT."""
    if type(reply) is list and all(type(item) is int for item in reply):
        return reply
    return _unexpected(reply)  # type: ignore[no-any-return]


def ones_are_true(reply: Any, decode: bool) -> list[bool]:
    """An array of 0/1 as bools: SMISMEMBER."""
    if type(reply) is list:
        return [one_is_true(item, decode) for item in reply]
    return _unexpected(reply)  # type: ignore[no-any-return]


def _float(reply: Any) -> float:
    # RESP3 sends a double; RESP2 the bulk string Redis prints ("1.5", "inf", "-inf")
    if type(reply) is float:
        return reply
    if type(reply) is bytes or type(reply) is int:
        try:
            return float(reply)
        except ValueError:
            pass
    return _unexpected(reply)  # type: ignore[no-any-return]


def score(reply: Any, decode: bool) -> float:
    """A score or a float result as float: ZINCRBY, INCRBYFLOAT, HINCRBYFLOAT."""
    return _float(reply)


def score_or_none(reply: Any, decode: bool) -> float | None:
    """ZSCORE: the score, or None when the member (or key) is missing."""
    return None if reply is None else _float(reply)


def scores(reply: Any, decode: bool) -> list[float | None]:
    """ZMSCORE: one score (or None) per member."""
    if type(reply) is list:
        return [None if item is None else _float(item) for item in reply]
    return _unexpected(reply)  # type: ignore[no-any-return]


def _pairs(reply: Any) -> Iterable[tuple[Any, Any]]:
    # RESP3 nests the pairs ([[m, s], ...]); RESP2, and RESP3 for a single ZPOPMIN, is flat
    if type(reply) is not list:
        return _unexpected(reply)  # type: ignore[no-any-return]
    if reply and type(reply[0]) is list:
        if any(type(pair) is not list or len(pair) != 2 for pair in reply):
            return _unexpected(reply)  # type: ignore[no-any-return]
        return [(pair[0], pair[1]) for pair in reply]
    if len(reply) % 2:
        return _unexpected(reply)  # type: ignore[no-any-return]
    return zip(reply[::2], reply[1::2], strict=True)


def scored_pairs(reply: Any, decode: bool) -> list[tuple[Any, float]]:
    """Members with scores as ``(member, score)`` tuples, from either protocol's shape."""
    if decode:
        return [(member.decode(), _float(value)) for member, value in _pairs(reply)]
    return [(member, _float(value)) for member, value in _pairs(reply)]


def data_pairs(reply: Any, decode: bool) -> list[tuple[Any, Any]]:
    """Fields with values as ``(field, value)`` tuples: HRANDFIELD ... WITHVALUES."""
    if decode:
        return [(field.decode(), value.decode()) for field, value in _pairs(reply)]
    return list(_pairs(reply))


def key_and_list(reply: Any, decode: bool) -> tuple[Any, list[Any]] | None:
    """LMPOP: None, or the key popped from and its elements."""
    if reply is None:
        return None
    if type(reply) is list and len(reply) == 2:
        return data_or_none(reply[0], decode), data_list(reply[1], decode)
    return _unexpected(reply)  # type: ignore[no-any-return]


def key_and_value(reply: Any, decode: bool) -> tuple[Any, Any] | None:
    """BLPOP, BRPOP: None (timed out), or the key popped from and the element."""
    if reply is None:
        return None
    if type(reply) is list and len(reply) == 2:
        return data_or_none(reply[0], decode), data_or_none(reply[1], decode)
    return _unexpected(reply)  # type: ignore[no-any-return]


def key_member_score(reply: Any, decode: bool) -> tuple[Any, Any, float] | None:
    """BZPOPMIN, BZPOPMAX: None (timed out), or the key, the member and its score."""
    if reply is None:
        return None
    if type(reply) is list and len(reply) == 3:
        return (data_or_none(reply[0], decode), data_or_none(reply[1], decode),
                _float(reply[2]))
    return _unexpected(reply)  # type: ignore[no-any-return]


def scan_page(reply: Any) -> tuple[int, Any]:
    """A SCAN-family reply: the next cursor (0 when done) and the page as sent."""
    if type(reply) is list and len(reply) == 2 and type(reply[0]) is bytes:
        try:
            return int(reply[0]), reply[1]
        except ValueError:
            pass
    return _unexpected(reply)  # type: ignore[no-any-return]


def data_list_page(reply: Any, decode: bool) -> tuple[int, list[Any]]:
    """SCAN, SSCAN: the next cursor and the keys (or members) of this page."""
    cursor, page = scan_page(reply)
    if decode and type(page) is list and page:
        # Keys and members are mostly short: one decode of the whole page joined with NULs,
        # split again, takes about half the time of a decode per element (a page of 1,000
        # keys).  A page with an element that holds a NUL, is not a bulk string or is not
        # UTF-8 takes the general path below, which gives that element's own result or error.
        try:
            items = b"\0".join(page).decode().split("\0")
        except (TypeError, UnicodeDecodeError):
            pass
        else:
            if len(items) == len(page):
                return cursor, items
    return cursor, data_list(page, decode)


def data_dict_page(reply: Any, decode: bool) -> tuple[int, dict[Any, Any]]:
    """HSCAN: the next cursor and the fields of this page with their values."""
    cursor, page = scan_page(reply)
    return cursor, data_dict(page, decode)


def scored_page(reply: Any, decode: bool) -> tuple[int, list[tuple[Any, float]]]:
    """ZSCAN: the next cursor and ``(member, score)`` tuples."""
    cursor, page = scan_page(reply)
    return cursor, scored_pairs(page, decode)


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
