"""XREAD and XREADGROUP in the in-process store: their parsing (``xreadCommand``), the
history of a consumer's pending entries, delivery to a consumer group and, with BLOCK, the
`kvs.memory.waiting.WouldBlock` that parks the caller.

`StreamReadCommands` adds them to `kvs.memory.streams.StreamCommands` (whose conventions
they follow).  XREAD and XREADGROUP with BLOCK that find nothing raise `WouldBlock` with
``$`` replaced by the last id the stream had (0-0 when missing), ``>`` kept, and a COUNT of
1000 added when none was given (Redis's default for a blocked read).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kvs.memory.keyspace import (
    SYNTAX,
    CommandError,
    int_arg,
    option,
)
from kvs.memory.numbers import parse_int
from kvs.memory.streamdata import (
    MAX_ID,
    Consumer,
    Group,
    Nack,
    Stream,
    StreamID,
    format_id,
    next_id,
)
from kvs.memory.streams import StreamCommands, _c, parse_id
from kvs.memory.waiting import WouldBlock

__all__ = ["StreamReadCommands"]

_BLOCKED_COUNT = 1000  # the COUNT of a blocked XREAD without one


class StreamReadCommands(StreamCommands):
    """XREAD and XREADGROUP, which share their parsing."""

    def _cmd_xread(self, argv: Sequence[bytes]) -> Any:
        return self._read(argv, group_read=False)

    def _cmd_xreadgroup(self, argv: Sequence[bytes]) -> Any:
        return self._read(argv, group_read=True)

    def _read(self, argv: Sequence[bytes], group_read: bool) -> Any:
        """XREAD and XREADGROUP (``xreadCommand``)."""
        timeout: int | None = None
        count = 0
        streams_at = 0
        noack = False
        group_name = consumer_name = None
        n = len(argv)
        i = 1
        while i < n:
            more = n - i - 1
            word = option(argv[i])
            if word == b"BLOCK" and more:
                i += 1
                value = parse_int(argv[i])
                if value is None:
                    raise CommandError("ERR timeout is not an integer or out of range")
                if value < 0:
                    raise CommandError("ERR timeout is negative")
                timeout = value
            elif word == b"COUNT" and more:
                i += 1
                count = max(0, int_arg(argv[i]))
            elif word == b"STREAMS" and more:
                streams_at = i + 1
                if (n - streams_at) % 2:
                    raise CommandError("ERR Unbalanced XREAD list of streams: for each stream "
                                       "key an ID or '$' must be specified.")
                break
            elif word == b"GROUP" and more >= 2:
                if not group_read:
                    raise CommandError("ERR The GROUP option is only supported by XREADGROUP. "
                                       "You called XREAD instead.")
                group_name, consumer_name = argv[i + 1], argv[i + 2]
                i += 2
            elif word == b"NOACK":
                if not group_read:
                    raise CommandError("ERR The NOACK option is only supported by XREADGROUP. "
                                       "You called XREAD instead.")
                noack = True
            else:
                raise CommandError(SYNTAX)
            i += 1
        if not streams_at:
            raise CommandError(SYNTAX)
        if group_read and group_name is None:
            raise CommandError("ERR Missing GROUP option for XREADGROUP")
        half = (n - streams_at) // 2
        keys = argv[streams_at:streams_at + half]
        ids: list[StreamID] = []
        groups: list[Group | None] = []
        resolved = list(argv)
        for index, key in enumerate(keys):
            arg = argv[streams_at + half + index]
            stream = self._get_stream(key)
            group = None
            if group_name is not None:
                group = None if stream is None else stream.groups.get(group_name)
                if group is None:
                    raise CommandError(
                        f"NOGROUP No such key '{_c(key)}' or consumer group "
                        f"'{_c(group_name)}' in XREADGROUP with GROUP option")
            groups.append(group)
            text = arg.split(b"\0", 1)[0]
            if text == b"$":
                if group_read:
                    raise CommandError(
                        "ERR The $ ID is meaningless in the context of XREADGROUP: you want to "
                        "read the history of this consumer by specifying a proper ID, or use "
                        "the > ID to get new messages. The $ ID would just return an empty "
                        "result set.")
                sid = stream.last_id if stream is not None else (0, 0)
                resolved[streams_at + half + index] = format_id(sid)
                ids.append(sid)
            elif text == b">":
                if not group_read:
                    raise CommandError("ERR The > ID can be specified only when calling "
                                       "XREADGROUP using the GROUP <group> <consumer> option.")
                ids.append(MAX_ID)
            else:
                ids.append(parse_id(arg, strict=True)[0])
        now = self._ms() if group_read else 0
        reply: dict[bytes, Any] = {}
        for index, key in enumerate(keys):
            stream = self._get_stream(key)
            if stream is None:
                continue
            after = ids[index]
            group = groups[index]
            history = False
            if group is not None:
                if after != MAX_ID:
                    history = True
                elif stream.order and stream.order[-1] > group.last_id:
                    after = group.last_id
                else:
                    continue
            elif not (stream.order and stream.order[-1] > after):
                continue
            start = next_id(after) or (0, 0)
            if group is None:
                reply[key] = stream.reply_entries(stream.range(start, MAX_ID, count))
                continue
            assert consumer_name is not None
            consumer = group.consumer(consumer_name, now)
            if history:
                reply[key] = _history(stream, consumer, start, count, now)
            else:
                reply[key] = _deliver(stream, group, consumer, start, count=count,
                                          noack=noack, now=now)
        if reply:
            return reply
        if timeout is not None:
            if count == 0:
                resolved[streams_at - 1:streams_at - 1] = [b"COUNT", b"%d" % _BLOCKED_COUNT]
            raise WouldBlock(keys, timeout / 1000 if timeout else None, resolved)
        return None


def _history(stream: Stream, consumer: Consumer, start: StreamID, count: int,
             now: int) -> list[Any]:
    """XREADGROUP with an id: the consumer's own pending entries from `start`."""
    out: list[Any] = []
    for sid in sorted(consumer.pel):
        if sid < start:
            continue
        if count and len(out) >= count:
            break
        fields = stream.entries.get(sid)
        if fields is None:
            out.append([format_id(sid), None])
        else:
            nack = consumer.pel[sid]
            nack.time = now
            nack.count += 1
            out.append([format_id(sid), list(fields)])
    return out


def _deliver(stream: Stream, group: Group, consumer: Consumer, start: StreamID, *,
             count: int, noack: bool, now: int) -> list[Any]:
    """XREADGROUP with ``>``: new entries, recorded as pending unless `noack`."""
    ids = stream.range(start, MAX_ID, count)
    if not ids:
        return []
    entries = stream.entries
    if group.entries_read is not None and not stream.has_tombstones(ids[0]):
        # no deleted entry ahead: the counter simply counts (Redis's per-entry rule, at once)
        group.entries_read += sum(sid > group.last_id for sid in ids)
        group.last_id = max(group.last_id, ids[-1])
    else:
        for sid in ids:
            if sid > group.last_id:
                stream.advance(group, sid)
    out: list[Any] = [[format_id(sid), list(entries[sid])] for sid in ids]
    if noack:
        return out
    pel, own = group.pel, consumer.pel
    for sid in ids:
        nack = pel.get(sid)
        if nack is None:
            pel[sid] = own[sid] = Nack(consumer, now)
        else:
            if nack.consumer is not None:
                nack.consumer.pel.pop(sid, None)
            nack.consumer = consumer
            nack.time = now
            nack.count = 1
            own[sid] = nack
    return out
