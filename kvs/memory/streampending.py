"""The pending entries of consumer groups in the in-process store: XACK, XPENDING, XCLAIM and
XAUTOCLAIM, as Redis 7.0's ``t_stream.c`` runs them.

Idle times are the store's clock (as Unix milliseconds) minus a pending entry's last
delivery.  `StreamPendingCommands` adds these commands to
`kvs.memory.streamreads.StreamReadCommands`; XGROUP and XINFO build on it in
`kvs.memory.streamgroups`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kvs.memory.keyspace import SYNTAX, CommandError, int_arg, option
from kvs.memory.numbers import parse_int
from kvs.memory.streamdata import Group, Nack, Stream, StreamID, format_id
from kvs.memory.streamreads import StreamReadCommands
from kvs.memory.streams import _c, interval_id, parse_id

__all__ = ["StreamPendingCommands"]


def _nogroup(key: bytes, group: bytes) -> CommandError:
    return CommandError(f"NOGROUP No such key '{_c(key)}' or consumer group '{_c(group)}'")


def _long(arg: bytes, message: str) -> int:
    value = parse_int(arg)
    if value is None:
        raise CommandError("ERR " + message)
    return value


class StreamPendingCommands(StreamReadCommands):
    """XACK, XPENDING, XCLAIM and XAUTOCLAIM: a group's pending entries."""

    def _stream_and_group(self, key: bytes, name: bytes) -> tuple[Stream, Group] | None:
        stream = self._get_stream(key)
        group = None if stream is None else stream.groups.get(name)
        return None if group is None or stream is None else (stream, group)

    # -- XACK, XPENDING ---------------------------------------------------------------------

    def _cmd_xack(self, argv: Sequence[bytes]) -> Any:
        found = self._stream_and_group(argv[1], argv[2])
        if found is None:
            return 0
        group = found[1]
        ids = [parse_id(arg, strict=True)[0] for arg in argv[3:]]
        return sum(group.remove_nack(sid) is not None for sid in ids)

    def _cmd_xpending(self, argv: Sequence[bytes]) -> Any:
        n = len(argv)
        if n != 3 and not 6 <= n <= 9:
            raise CommandError(SYNTAX)
        min_idle = 0
        consumer_name = None
        start: StreamID = (0, 0)
        end: StreamID = (0, 0)
        count = 0
        if n >= 6:
            at = 3
            if option(argv[3]) == b"IDLE":
                min_idle = int_arg(argv[4])
                if n < 8:
                    raise CommandError(SYNTAX)
                at = 5
            count = max(0, int_arg(argv[at + 2]))
            start = interval_id(argv[at], 0, True)
            end = interval_id(argv[at + 1], 2**64 - 1, False)
            if at + 3 < n:
                consumer_name = argv[at + 3]
        stream = self._get_stream(argv[1])
        found = self._stream_and_group(argv[1], argv[2]) if stream is not None else None
        if found is None:
            raise _nogroup(argv[1], argv[2])
        group = found[1]
        if n == 3:
            if not group.pel:
                return [0, None, None, None]
            ids = group.sorted_pel()
            owners = [[name, b"%d" % len(c.pel)]
                      for name, c in sorted(group.consumers.items()) if c.pel]
            return [len(ids), format_id(ids[0]), format_id(ids[-1]), owners]
        pel = group.pel
        if consumer_name is not None:
            consumer = group.consumers.get(consumer_name)
            if consumer is None:
                return []
            pel = consumer.pel
        now = self._ms()
        out: list[Any] = []
        for sid in sorted(pel):
            if not count or sid > end:
                break
            if sid < start:
                continue
            nack = pel[sid]
            if min_idle and now - nack.time < min_idle:
                continue
            count -= 1
            owner = nack.consumer.name if nack.consumer is not None else b""
            out.append([format_id(sid), owner, max(0, now - nack.time), nack.count])
        return out

    # -- XCLAIM, XAUTOCLAIM -----------------------------------------------------------------

    def _cmd_xclaim(self, argv: Sequence[bytes]) -> Any:
        found = self._stream_and_group(argv[1], argv[2])
        if found is None:
            raise _nogroup(argv[1], argv[2])
        stream, group = found
        min_idle = max(0, _long(argv[4], "Invalid min-idle-time argument for XCLAIM"))
        ids: list[StreamID] = []
        j, n = 5, len(argv)
        while j < n:
            try:
                ids.append(parse_id(argv[j], strict=True)[0])
            except CommandError:
                break
            j += 1
        now = self._ms()
        retry = -1
        delivery = -1
        force = justid = False
        last_id: StreamID = (0, 0)
        while j < n:
            more = n - 1 - j
            word = option(argv[j])
            if word == b"FORCE":
                force = True
            elif word == b"JUSTID":
                justid = True
            elif word == b"IDLE" and more:
                j += 1
                delivery = now - _long(argv[j], "Invalid IDLE option argument for XCLAIM")
            elif word == b"TIME" and more:
                j += 1
                delivery = _long(argv[j], "Invalid TIME option argument for XCLAIM")
            elif word == b"RETRYCOUNT" and more:
                j += 1
                retry = _long(argv[j], "Invalid RETRYCOUNT option argument for XCLAIM")
            elif word == b"LASTID" and more:
                j += 1
                last_id = parse_id(argv[j], strict=True)[0]
            else:
                raise CommandError(f"ERR Unrecognized XCLAIM option '{_c(argv[j])}'")
            j += 1
        group.last_id = max(group.last_id, last_id)
        if delivery == -1 or delivery < 0 or delivery > now:
            delivery = now
        consumer = None
        out: list[Any] = []
        for sid in ids:
            nack = group.pel.get(sid)
            if sid not in stream.entries:
                if nack is not None:
                    group.remove_nack(sid)
                continue
            if force and nack is None:
                nack = group.pel[sid] = Nack(None, now)
            if nack is None:
                continue
            if nack.consumer is not None and min_idle and now - nack.time < min_idle:
                continue
            if consumer is None:
                consumer = group.consumer(argv[3], now)
            if nack.consumer is not consumer and nack.consumer is not None:
                nack.consumer.pel.pop(sid, None)
            nack.time = delivery
            if retry >= 0:
                nack.count = retry
            elif not justid:
                nack.count += 1
            if nack.consumer is not consumer:
                consumer.pel[sid] = nack
                nack.consumer = consumer
            out.append(format_id(sid) if justid else [format_id(sid),
                                                      list(stream.entries[sid])])
        return out

    def _cmd_xautoclaim(self, argv: Sequence[bytes]) -> Any:
        min_idle = max(0, _long(argv[4], "Invalid min-idle-time argument for XAUTOCLAIM"))
        start = interval_id(argv[5], 0, True)
        count = 100
        justid = False
        j, n = 6, len(argv)
        while j < n:
            word = option(argv[j])
            if word == b"COUNT" and n - 1 - j:
                value = parse_int(argv[j + 1])
                if value is None or not 1 <= value <= (2**63 - 1) // 16:
                    raise CommandError("ERR COUNT must be > 0")
                count = value
                j += 1
            elif word == b"JUSTID":
                justid = True
            else:
                raise CommandError(SYNTAX)
            j += 1
        found = self._stream_and_group(argv[1], argv[2])
        if found is None:
            raise _nogroup(argv[1], argv[2])
        stream, group = found
        now = self._ms()
        ids = [sid for sid in group.sorted_pel() if sid >= start]
        attempts = count * 10
        consumer = None
        claimed: list[Any] = []
        deleted: list[bytes] = []
        i = 0
        while attempts > 0 and count and i < len(ids):
            attempts -= 1
            sid = ids[i]
            i += 1
            nack = group.pel[sid]
            if sid not in stream.entries:
                group.remove_nack(sid)
                deleted.append(format_id(sid))
                count -= 1
                continue
            if min_idle and now - nack.time < min_idle:
                continue
            if consumer is None:
                consumer = group.consumer(argv[3], now)
            if nack.consumer is not consumer:
                if nack.consumer is not None:
                    nack.consumer.pel.pop(sid, None)
                consumer.pel[sid] = nack
                nack.consumer = consumer
            nack.time = now
            if not justid:
                nack.count += 1
            claimed.append(format_id(sid) if justid else [format_id(sid),
                                                          list(stream.entries[sid])])
            count -= 1
        cursor = format_id(ids[i]) if i < len(ids) else b"0-0"
        return [cursor, claimed, deleted]
