"""Operations on stream entries: XADD and XTRIM, XLEN and XDEL, XRANGE and XREVRANGE, XREAD;
and the argument checks and entry decoders the consumer-group operations (`streamgroups`)
share.

An entry is an ``(id, fields)`` tuple: the id a ``str`` (``bytes`` with ``decode=False``),
the fields a dict.  An id argument is ``"ms-seq"``, ``"ms"``, ``"ms-*"`` (XADD), ``"-"``,
``"+"``, an exclusive ``"(ms-seq"`` bound, or an int (milliseconds); XREAD's ``"$"`` and
XREADGROUP's ``">"`` are passed as they are.  XREAD and XREADGROUP answer a dict of key to
entries on both protocols (RESP2 sends a list of pairs), an empty dict when nothing is there
and, with ``block=``, None when the time ran out.

Retries: reads are idempotent; XADD is not (a second run adds a second entry, or fails on an
explicit id).  With ``block=``, XREAD is a blocking command
(``kvs.commands.traits.is_blocking``) and runs on a connection of its own.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._errors import ProtocolError
from ._args import integer_arg, key_bytes, value_bytes
from ._call import Call, Read, operation, variant
from ._decode import data_or_none, integer
from .types import Key, StreamId, Streams, ValueMapping

__all__ = ["xadd", "xdel", "xlen", "xrange", "xread", "xrevrange", "xtrim"]


# -- arguments ------------------------------------------------------------------------------


def _id(op: str, value: object, what: str = "id") -> bytes:
    """A stream id (or range bound) argument: str, bytes or a non-negative int (ms)."""
    if isinstance(value, bool):
        raise TypeError(f"{op}: {what} must be str, bytes or int, not bool")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{op}: {what} must not be negative, not {value}")
        return b"%d" % value
    if isinstance(value, str | bytes):
        return key_bytes(op, value, what)
    raise TypeError(f"{op}: {what} must be str, bytes or int, not {type(value).__name__}")


def _ids(op: str, values: object) -> list[bytes]:
    if isinstance(values, str | bytes | int) or not hasattr(values, "__iter__"):
        raise TypeError(f"{op}: ids must be a list of ids, not {type(values).__name__}")
    found = [_id(op, v) for v in values]
    if not found:
        raise ValueError(f"{op}: at least one id is required")
    return found


def _count(op: str, value: object, what: str = "count", least: int = 0) -> bytes:
    number = integer_arg(op, value, what)
    if number < least:
        raise ValueError(f"{op}: {what} must be at least {least}, not {number}")
    return b"%d" % number


def _trim(op: str, maxlen: int | None, minid: StreamId | None, approximate: bool,
          limit: int | None) -> list[bytes]:
    if maxlen is not None and minid is not None:
        raise ValueError(f"{op}: give maxlen or minid, not both")
    if maxlen is None and minid is None:
        if limit is not None:
            raise ValueError(f"{op}: limit needs maxlen or minid")
        return []
    if limit is not None and not approximate:
        raise ValueError(f"{op}: limit needs approximate=True")
    sign = b"~" if approximate else b"="
    if maxlen is not None:
        argv = [b"MAXLEN", sign, _count(op, maxlen, "maxlen")]
    else:
        argv = [b"MINID", sign, _id(op, minid, "minid")]
    if limit is not None:
        argv += (b"LIMIT", _count(op, limit, "limit"))
    return argv


def _streams(op: str, streams: object) -> list[bytes]:
    if not isinstance(streams, Mapping):
        raise TypeError(f"{op}: streams must be a mapping of key to id, not "
                        f"{type(streams).__name__}")
    if not streams:
        raise ValueError(f"{op}: at least one stream is required")
    names = [key_bytes(op, k) for k in streams]
    return [b"STREAMS", *names, *(_id(op, v) for v in streams.values())]


def _read_options(op: str, count: int | None, block: int | None) -> list[bytes]:
    argv: list[bytes] = []
    if count is not None:
        argv += (b"COUNT", _count(op, count, least=1))
    if block is not None:
        argv += (b"BLOCK", _count(op, block, "block"))
    return argv


# -- reply decoders -------------------------------------------------------------------------


def _bad(reply: Any) -> Any:
    raise ProtocolError(f"unexpected stream reply: {reply!r:.80}")


def _text(item: Any, decode: bool) -> Any:
    if type(item) is bytes:
        return item.decode() if decode else item
    return _bad(item)


def _fields(reply: Any, decode: bool) -> dict[Any, Any] | None:
    if reply is None:  # XREADGROUP history of an entry deleted since
        return None
    if type(reply) is not list or len(reply) % 2:
        return _bad(reply)  # type: ignore[no-any-return]
    if decode:
        return {reply[i].decode(): reply[i + 1].decode() for i in range(0, len(reply), 2)}
    return {reply[i]: reply[i + 1] for i in range(0, len(reply), 2)}


def _entry(item: Any, decode: bool) -> tuple[Any, Any]:
    if type(item) is not list or len(item) != 2:
        return _bad(item)  # type: ignore[no-any-return]
    return _text(item[0], decode), _fields(item[1], decode)


def _entries(reply: Any, decode: bool) -> list[tuple[Any, Any]]:
    """XRANGE, XCLAIM: a list of ``(id, fields)`` (a null, COUNT 0, is none)."""
    if reply is None:
        return []
    if type(reply) is not list:
        return _bad(reply)  # type: ignore[no-any-return]
    return [_entry(item, decode) for item in reply]


def _id_list(reply: Any, decode: bool) -> list[Any]:
    if type(reply) is not list:
        return _bad(reply)  # type: ignore[no-any-return]
    return [_text(item, decode) for item in reply]


def _pairs(reply: Any) -> list[tuple[Any, Any]]:
    """A RESP3 map, or RESP2's flat array of pairs."""
    if type(reply) is dict:
        return list(reply.items())
    if type(reply) is list and len(reply) % 2 == 0:
        return list(zip(reply[::2], reply[1::2], strict=True))
    return _bad(reply)  # type: ignore[no-any-return]


def _streams_reply(reply: Any, decode: bool) -> dict[Any, list[tuple[Any, Any]]] | None:
    """XREAD, XREADGROUP: key -> entries (RESP3 map, RESP2 list of [key, entries])."""
    if reply is None:
        return None
    if type(reply) is dict:
        items: Any = reply.items()
    elif type(reply) is list and all(type(p) is list and len(p) == 2 for p in reply):
        items = reply
    else:
        return _bad(reply)  # type: ignore[no-any-return]
    return {_text(key, decode): _entries(value, decode) for key, value in items}


def _streams_or_empty(reply: Any, decode: bool) -> dict[Any, list[tuple[Any, Any]]]:
    return _streams_reply(reply, decode) or {}




# -- operations -----------------------------------------------------------------------------


@operation
def xadd(key: Key, fields: ValueMapping, *, id: StreamId = "*", maxlen: int | None = None,
         minid: StreamId | None = None, approximate: bool = True, nomkstream: bool = False,
         limit: int | None = None) -> Call[Read | None]:
    """Append an entry to the stream at `key`; return its id.

    Args:
        fields: the entry's fields and values (not empty).
        id: ``"*"`` (the server picks it), ``"ms-*"``, or an explicit ``"ms-seq"``.
        maxlen, minid: trim the stream after adding (one of them), exactly or, with
            `approximate` (the default), by whole internal nodes, at most `limit` entries.
        nomkstream: do not create a missing stream; the result is None then.

    Example: ``await db.xadd("jobs", {"task": "resize"}, maxlen=10_000)`` returns an id such
    as ``"1700000000000-0"``.
    """
    if not isinstance(fields, Mapping):
        raise TypeError(f"xadd: fields must be a mapping, not {type(fields).__name__}")
    argv = [b"XADD", key_bytes("xadd", key)]
    if nomkstream:
        argv.append(b"NOMKSTREAM")
    argv += _trim("xadd", maxlen, minid, approximate, limit)
    argv.append(_id("xadd", id))
    for name, value in fields.items():
        argv += (value_bytes("xadd", name, "field"), value_bytes("xadd", value))
    if not fields:
        raise ValueError("xadd: fields must not be empty")
    return Call(tuple(argv), data_or_none, False)


@operation
def xlen(key: Key) -> Call[int]:
    """The number of entries of the stream (0 when missing)."""
    return Call((b"XLEN", key_bytes("xlen", key)), integer, True)


@operation
def xrange(key: Key, min: StreamId = "-", max: StreamId = "+",
           count: int | None = None) -> Call[list[tuple[Read, dict[Read, Read]]]]:
    """The entries from `min` to `max` (inclusive; ``"(id"`` excludes), oldest first,
    at most `count`."""
    argv = [b"XRANGE", key_bytes("xrange", key), _id("xrange", min, "min"),
            _id("xrange", max, "max")]
    if count is not None:
        argv += (b"COUNT", _count("xrange", count))
    return Call(tuple(argv), _entries, True)


@operation
def xrevrange(key: Key, max: StreamId = "+", min: StreamId = "-",
              count: int | None = None) -> Call[list[tuple[Read, dict[Read, Read]]]]:
    """The entries from `max` down to `min`, newest first, at most `count`."""
    argv = [b"XREVRANGE", key_bytes("xrevrange", key), _id("xrevrange", max, "max"),
            _id("xrevrange", min, "min")]
    if count is not None:
        argv += (b"COUNT", _count("xrevrange", count))
    return Call(tuple(argv), _entries, True)


@operation
def xdel(key: Key, *ids: StreamId) -> Call[int]:
    """Delete entries by id; return how many were there."""
    return Call((b"XDEL", key_bytes("xdel", key), *_ids("xdel", ids)), integer, False)


@operation
def xtrim(key: Key, *, maxlen: int | None = None, minid: StreamId | None = None,
          approximate: bool = True, limit: int | None = None) -> Call[int]:
    """Trim the stream to `maxlen` entries or to ids from `minid` (one of them); with
    `approximate`, only whole internal nodes go (at most `limit` entries).  Returns how
    many entries were removed."""
    if maxlen is None and minid is None:
        raise ValueError("xtrim: give maxlen or minid")
    argv = (b"XTRIM", key_bytes("xtrim", key), *_trim("xtrim", maxlen, minid, approximate,
                                                          limit))
    return Call(argv, integer, False)


@variant("xread")
def _xread_1(streams: Streams, *, count: int | None = None,
             block: None = None) -> Call[dict[Read, list[tuple[Read, dict[Read, Read]]]]]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("xread")
def _xread_2(streams: Streams, *, count: int | None = None,
             block: int) -> Call[dict[Read, list[tuple[Read, dict[Read, Read]]]] | None]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def xread(streams: Streams, *, count: int | None = None, block: int | None = None,
          ) -> Call[dict[Read, list[tuple[Read, dict[Read, Read]]]] | None]:
    """Read entries after the given ids from one or more streams.

    Args:
        streams: key -> the last id seen (``"$"``: only entries added from now on).
        count: at most this many entries per stream.
        block: wait up to this many milliseconds (0: for ever) for an entry, on a
            connection of its own.

    Returns:
        key -> its entries, for the streams that had some; ``{}`` when none had (without
        `block`), None when `block` ran out.
    """
    argv = (b"XREAD", *_read_options("xread", count, block), *_streams("xread", streams))
    return Call(argv, _streams_or_empty if block is None else _streams_reply, True, None)
