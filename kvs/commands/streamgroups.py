"""Operations on a stream's consumer groups: XGROUP (create, destroy, consumers, SETID),
XREADGROUP, XACK, XPENDING, XCLAIM and XAUTOCLAIM; and XINFO (the stream, its groups, a
group's consumers).  Ids, counts and entries are checked and decoded as in `streams`.

Retries: XINFO is idempotent; every group change and every XREADGROUP are not: XREADGROUP
updates the group's last id, its pending entries and their delivery counts even when it reads
history, so it is never sent twice once it may have reached the server.  With ``block=``,
XREADGROUP is a blocking command (``kvs.commands.traits.is_blocking``) and runs on a
connection of its own.
"""
from __future__ import annotations

from typing import Any, Literal

from ._args import integer_arg, key_bytes
from ._call import Call, Read, operation, variant
from ._decode import data_or_none, integer, ok_true, one_is_true
from .streams import (
    _bad,
    _count,
    _entries,
    _entry,
    _id,
    _id_list,
    _ids,
    _pairs,
    _read_options,
    _streams,
    _streams_or_empty,
    _streams_reply,
    _text,
)
from .types import Key, StreamId, StreamIds, Streams

__all__ = [
    "xack", "xautoclaim", "xclaim", "xgroup_create", "xgroup_createconsumer",
    "xgroup_delconsumer", "xgroup_destroy", "xgroup_setid", "xinfo_consumers", "xinfo_groups",
    "xinfo_stream", "xpending", "xreadgroup",
]

_AT_2 = (2, 2, 1)  # XGROUP and XINFO: the key after the subcommand


# -- reply decoders -------------------------------------------------------------------------


def _info(reply: Any, decode: bool, entry_fields: tuple[str, ...] = ()) -> dict[str, Any]:
    """An XINFO map: field names as str, ids and names as read, entries as tuples."""
    out: dict[str, Any] = {}
    for name, raw in _pairs(reply):
        field = name.decode() if type(name) is bytes else str(name)
        if field in entry_fields:
            out[field] = None if raw is None else _entry(raw, decode)
        elif type(raw) is bytes:
            out[field] = raw.decode() if decode else raw
        else:
            out[field] = raw
    return out


def _info_list(reply: Any, decode: bool) -> list[dict[str, Any]]:
    if type(reply) is not list:
        return _bad(reply)  # type: ignore[no-any-return]
    return [_info(item, decode) for item in reply]


def _stream_info(reply: Any, decode: bool) -> dict[str, Any]:
    return _info(reply, decode, ("first-entry", "last-entry"))


def _row(item: Any, decode: bool) -> tuple[Any, ...]:
    if type(item) is not list:
        return _bad(item)  # type: ignore[no-any-return]
    return tuple(x.decode() if decode and type(x) is bytes else x for x in item)


def _stream_info_full(reply: Any, decode: bool) -> dict[str, Any]:
    info = _info(reply, decode)
    info["entries"] = _entries(info.get("entries"), decode)
    groups = []
    for raw in info.get("groups") or []:
        group = _info(raw, decode)
        group["pending"] = [_row(p, decode) for p in group.get("pending") or []]
        consumers = []
        for raw_consumer in group.get("consumers") or []:
            consumer = _info(raw_consumer, decode)
            consumer["pending"] = [_row(p, decode) for p in consumer.get("pending") or []]
            consumers.append(consumer)
        group["consumers"] = consumers
        groups.append(group)
    info["groups"] = groups
    return info


def _pending_summary(reply: Any, decode: bool) -> dict[str, Any]:
    if type(reply) is not list or len(reply) != 4:
        return _bad(reply)  # type: ignore[no-any-return]
    count, low, high, owners = reply
    return {
        "pending": integer(count, decode),
        "min": data_or_none(low, decode),
        "max": data_or_none(high, decode),
        "consumers": [{"name": _text(name, decode), "pending": int(n)}
                      for name, n in (owners or [])],
    }


def _pending_range(reply: Any, decode: bool) -> list[dict[str, Any]]:
    if type(reply) is not list:
        return _bad(reply)  # type: ignore[no-any-return]
    out = []
    for item in reply:
        if type(item) is not list or len(item) != 4:
            return _bad(reply)  # type: ignore[no-any-return]
        out.append({"message_id": _text(item[0], decode), "consumer": _text(item[1], decode),
                    "time_since_delivered": item[2], "times_delivered": item[3]})
    return out


def _autoclaim(reply: Any, decode: bool, justid: bool) -> tuple[Any, list[Any], list[Any]]:
    if type(reply) is not list or len(reply) != 3:
        return _bad(reply)  # type: ignore[no-any-return]
    cursor, claimed, deleted = reply
    found = _id_list(claimed, decode) if justid else _entries(claimed, decode)
    return _text(cursor, decode), found, _id_list(deleted, decode)


def _autoclaim_entries(reply: Any, decode: bool) -> tuple[Any, list[Any], list[Any]]:
    return _autoclaim(reply, decode, False)


def _autoclaim_ids(reply: Any, decode: bool) -> tuple[Any, list[Any], list[Any]]:
    return _autoclaim(reply, decode, True)


# -- operations -----------------------------------------------------------------------------


@operation
def xgroup_create(key: Key, group: Key, id: StreamId = "$", mkstream: bool = False,
                  entries_read: int | None = None) -> Call[bool]:
    """Create consumer group `group` starting after `id` (``"$"``: the last entry);
    `mkstream` creates a missing stream.  True; an existing group raises
    `kvs.ResponseError` (BUSYGROUP)."""
    argv = [b"XGROUP", b"CREATE", key_bytes("xgroup_create", key),
            key_bytes("xgroup_create", group, "group"), _id("xgroup_create", id)]
    if mkstream:
        argv.append(b"MKSTREAM")
    if entries_read is not None:
        argv += (b"ENTRIESREAD", b"%d" % integer_arg("xgroup_create", entries_read,
                                                      "entries_read"))
    return Call(tuple(argv), ok_true, False, _AT_2)


@operation
def xgroup_destroy(key: Key, group: Key) -> Call[bool]:
    """Delete a consumer group and its pending entries; True when it existed."""
    return Call((b"XGROUP", b"DESTROY", key_bytes("xgroup_destroy", key),
                 key_bytes("xgroup_destroy", group, "group")), one_is_true, False, _AT_2)


@operation
def xgroup_createconsumer(key: Key, group: Key, consumer: Key) -> Call[bool]:
    """Create a consumer in a group; True when it is new."""
    op = "xgroup_createconsumer"
    return Call((b"XGROUP", b"CREATECONSUMER", key_bytes(op, key), key_bytes(op, group, "group"),
                 key_bytes(op, consumer, "consumer")), one_is_true, False, _AT_2)


@operation
def xgroup_delconsumer(key: Key, group: Key, consumer: Key) -> Call[int]:
    """Delete a consumer; return how many pending entries it had (they are dropped)."""
    op = "xgroup_delconsumer"
    return Call((b"XGROUP", b"DELCONSUMER", key_bytes(op, key), key_bytes(op, group, "group"),
                 key_bytes(op, consumer, "consumer")), integer, False, _AT_2)


@operation
def xgroup_setid(key: Key, group: Key, id: StreamId,
                 entries_read: int | None = None) -> Call[bool]:
    """Set a group's last delivered id (``"$"``: the last entry); True."""
    op = "xgroup_setid"
    argv = [b"XGROUP", b"SETID", key_bytes(op, key), key_bytes(op, group, "group"), _id(op, id)]
    if entries_read is not None:
        argv += (b"ENTRIESREAD", b"%d" % integer_arg(op, entries_read, "entries_read"))
    return Call(tuple(argv), ok_true, False, _AT_2)


@variant("xreadgroup")
def _xreadgroup_1(group: Key, consumer: Key, streams: Streams, *, count: int | None = None,
                  block: None = None, noack: bool = False,
                  ) -> Call[dict[Read, list[tuple[Read, dict[Read, Read] | None]]]]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("xreadgroup")
def _xreadgroup_2(group: Key, consumer: Key, streams: Streams, *, count: int | None = None,
                  block: int, noack: bool = False,
                  ) -> Call[dict[Read, list[tuple[Read, dict[Read, Read] | None]]] | None]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def xreadgroup(group: Key, consumer: Key, streams: Streams, *, count: int | None = None,
               block: int | None = None, noack: bool = False,
               ) -> Call[dict[Read, list[tuple[Read, dict[Read, Read] | None]]] | None]:
    """Read as `consumer` of `group`: with id ``">"``, entries never delivered to the group
    (recorded as pending for `consumer` unless `noack`); with another id, the consumer's
    own pending entries after it (fields None for an entry deleted since).

    Never retried once it may have reached the server: it changes the group's state.
    Returns what `xread` returns.
    """
    op = "xreadgroup"
    argv = [b"XREADGROUP", b"GROUP", key_bytes(op, group, "group"),
            key_bytes(op, consumer, "consumer"), *_read_options(op, count, block)]
    if noack:
        argv.append(b"NOACK")
    argv += _streams(op, streams)
    return Call(tuple(argv), _streams_or_empty if block is None else _streams_reply, False,
                None)


@operation
def xack(key: Key, group: Key, *ids: StreamId) -> Call[int]:
    """Acknowledge entries (remove them from the group's pending list); return how many
    were pending."""
    return Call((b"XACK", key_bytes("xack", key), key_bytes("xack", group, "group"),
                 *_ids("xack", ids)), integer, False)


@variant("xpending")
def _xpending_1(key: Key, group: Key, min: None = None, max: None = None, count: None = None,
                *, consumer: None = None, idle: None = None) -> Call[dict[str, Any]]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("xpending")
def _xpending_2(key: Key, group: Key, min: StreamId, max: StreamId, count: int, *,
                consumer: Key | None = None,
                idle: int | None = None) -> Call[list[dict[str, Any]]]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def xpending(key: Key, group: Key, min: StreamId | None = None, max: StreamId | None = None,
             count: int | None = None, *, consumer: Key | None = None,
             idle: int | None = None) -> Call[dict[str, Any] | list[dict[str, Any]]]:
    """The pending entries of a group.

    Without a range, a summary: ``{"pending": n, "min": id, "max": id, "consumers":
    [{"name": ..., "pending": n}, ...]}``.  With `min`, `max` and `count` (and optionally
    one `consumer`'s, and only those idle for at least `idle` ms), up to `count` dicts
    ``{"message_id", "consumer", "time_since_delivered", "times_delivered"}``.
    """
    argv = [b"XPENDING", key_bytes("xpending", key), key_bytes("xpending", group, "group")]
    ranged = (min, max, count)
    if all(part is None for part in ranged):
        if consumer is not None or idle is not None:
            raise ValueError("xpending: consumer and idle need min, max and count")
        return Call(tuple(argv), _pending_summary, True)
    if any(part is None for part in ranged):
        raise ValueError("xpending: give min, max and count together")
    if idle is not None:
        argv += (b"IDLE", _count("xpending", idle, "idle"))
    argv += (_id("xpending", min, "min"), _id("xpending", max, "max"),
             _count("xpending", count))
    if consumer is not None:
        argv.append(key_bytes("xpending", consumer, "consumer"))
    return Call(tuple(argv), _pending_range, True)


@variant("xclaim")
def _xclaim_1(key: Key, group: Key, consumer: Key, min_idle_time: int, ids: StreamIds, *,
              idle: int | None = None, time: int | None = None,
              retrycount: int | None = None, force: bool = False,
              justid: Literal[False] = False) -> Call[list[tuple[Read, dict[Read, Read]]]]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("xclaim")
def _xclaim_2(key: Key, group: Key, consumer: Key, min_idle_time: int, ids: StreamIds, *,
              idle: int | None = None, time: int | None = None,
              retrycount: int | None = None, force: bool = False,
              justid: Literal[True]) -> Call[list[Read]]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def xclaim(key: Key, group: Key, consumer: Key, min_idle_time: int, ids: StreamIds, *,
           idle: int | None = None, time: int | None = None, retrycount: int | None = None,
           force: bool = False, justid: bool = False,
           ) -> Call[list[tuple[Read, dict[Read, Read]]] | list[Read]]:
    """Give `consumer` the pending entries `ids` idle for at least `min_idle_time` ms.

    Args:
        idle, time: set the entries' idle time (ms) or last delivery (Unix ms).
        retrycount: set their delivery count (otherwise it grows by one, but with `justid`).
        force: claim ids that exist in the stream even if no one has them pending.
        justid: return the ids only.

    Returns:
        The claimed entries (ids with `justid`); ids deleted from the stream are dropped
        from the pending list and left out.
    """
    op = "xclaim"
    argv = [b"XCLAIM", key_bytes(op, key), key_bytes(op, group, "group"),
            key_bytes(op, consumer, "consumer"), _count(op, min_idle_time, "min_idle_time"),
            *_ids(op, ids)]
    for word, option in ((b"IDLE", idle), (b"TIME", time), (b"RETRYCOUNT", retrycount)):
        if option is not None:
            argv += (word, _count(op, option, word.decode().lower()))
    if force:
        argv.append(b"FORCE")
    if justid:
        argv.append(b"JUSTID")
    return Call(tuple(argv), _id_list if justid else _entries, False)


@variant("xautoclaim")
def _xautoclaim_1(key: Key, group: Key, consumer: Key, min_idle_time: int,
                  start: StreamId = "0-0", *, count: int | None = None,
                  justid: Literal[False] = False,
                  ) -> Call[tuple[Read, list[tuple[Read, dict[Read, Read]]], list[Read]]]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("xautoclaim")
def _xautoclaim_2(key: Key, group: Key, consumer: Key, min_idle_time: int,
                  start: StreamId = "0-0", *, count: int | None = None,
                  justid: Literal[True]) -> Call[tuple[Read, list[Read], list[Read]]]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def xautoclaim(key: Key, group: Key, consumer: Key, min_idle_time: int,
               start: StreamId = "0-0", *, count: int | None = None, justid: bool = False,
               ) -> Call[tuple[Read, list[Any], list[Read]]]:
    """Claim for `consumer` up to `count` (default 100) pending entries idle for at least
    `min_idle_time` ms, scanning the pending list from `start`.

    Returns:
        ``(cursor, claimed, deleted)``: the id to start the next call from (``"0-0"`` when
        the scan is done), the claimed entries (ids with `justid`), and the ids that were
        pending but deleted from the stream (now dropped from the pending list).
    """
    op = "xautoclaim"
    argv = [b"XAUTOCLAIM", key_bytes(op, key), key_bytes(op, group, "group"),
            key_bytes(op, consumer, "consumer"), _count(op, min_idle_time, "min_idle_time"),
            _id(op, start, "start")]
    if count is not None:
        argv += (b"COUNT", _count(op, count, least=1))
    if justid:
        argv.append(b"JUSTID")
    return Call(tuple(argv), _autoclaim_ids if justid else _autoclaim_entries, False)


@operation
def xinfo_stream(key: Key, full: bool = False) -> Call[dict[str, Any]]:
    """XINFO STREAM: the stream's length, ids, counters and first and last entries as
    ``(id, fields)``; with `full`, every entry, group, pending entry and consumer.  Field
    names are Redis's (``"entries-added"``, ``"recorded-first-entry-id"``, ...)."""
    argv = (b"XINFO", b"STREAM", key_bytes("xinfo_stream", key)) + ((b"FULL",) if full else ())
    return Call(argv, _stream_info_full if full else _stream_info, True, _AT_2)


@operation
def xinfo_groups(key: Key) -> Call[list[dict[str, Any]]]:
    """XINFO GROUPS: one dict per group (``name``, ``consumers``, ``pending``,
    ``last-delivered-id``, ``entries-read``, ``lag``)."""
    return Call((b"XINFO", b"GROUPS", key_bytes("xinfo_groups", key)), _info_list, True, _AT_2)


@operation
def xinfo_consumers(key: Key, group: Key) -> Call[list[dict[str, Any]]]:
    """XINFO CONSUMERS: one dict per consumer (``name``, ``pending``, ``idle`` ms)."""
    return Call((b"XINFO", b"CONSUMERS", key_bytes("xinfo_consumers", key),
                 key_bytes("xinfo_consumers", group, "group")), _info_list, True, _AT_2)
