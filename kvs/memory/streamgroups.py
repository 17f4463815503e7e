"""Consumer-group and introspection commands of the in-process store: XGROUP and XINFO, as
Redis 7.0's ``t_stream.c`` runs them; XACK, XPENDING, XCLAIM and XAUTOCLAIM, on which they
build, are in `kvs.memory.streampending`.

XINFO's ``seen-time`` and FULL's delivery times are the store's clock as Unix milliseconds.
XINFO STREAM's ``radix-tree-nodes`` is the node count of a compressed radix tree over the
node keys; Redis's own tree may hold a few more nodes after deletions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kvs.memory.keyspace import CommandError, int_arg, option
from kvs.memory.streamdata import Group, Nack, Stream, format_id, rax_node_count
from kvs.memory.streampending import StreamPendingCommands
from kvs.memory.streams import _c, parse_id

__all__ = ["StreamGroupCommands"]

_XGROUP_ARITY = {b"CREATE": -5, b"SETID": -5, b"DESTROY": 4, b"CREATECONSUMER": 5,
                 b"DELCONSUMER": 5, b"HELP": 2}
_XINFO_ARITY = {b"CONSUMERS": 4, b"GROUPS": 3, b"STREAM": -3, b"HELP": 2}
_XGROUP_HELP = [
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
]
_XINFO_HELP = [
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
]


def _help(name: str, lines: list[str]) -> list[str]:
    return [f"{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", *lines,
            "HELP", "    Prints this help."]


def _check_subcommand(argv: Sequence[bytes], name: str, table: dict[bytes, int]) -> bytes:
    """The subcommand, upper-cased, after Redis's checks of a container command."""
    sub = argv[1].upper()
    arity = table.get(sub)
    if arity is None:
        raise CommandError(f"ERR unknown subcommand '{_c(argv[1])[:128]}'. Try {name} HELP.")
    if (len(argv) != arity) if arity > 0 else (len(argv) < -arity):
        raise CommandError(f"ERR wrong number of arguments for '{name.lower()}|"
                           f"{sub.decode().lower()}' command")
    return sub


def _syntax(argv: Sequence[bytes], name: str) -> CommandError:
    return CommandError(f"ERR unknown subcommand or wrong number of arguments for "
                        f"'{_c(argv[1])[:128]}'. Try {name} HELP.")


class StreamGroupCommands(StreamPendingCommands):
    """Commands on consumer groups, and XINFO."""

    # -- XGROUP -----------------------------------------------------------------------------

    def _cmd_xgroup(self, argv: Sequence[bytes]) -> Any:
        sub = _check_subcommand(argv, "XGROUP", _XGROUP_ARITY)
        if sub == b"HELP":
            return _help("XGROUP", _XGROUP_HELP)
        n = len(argv)
        mkstream = False
        entries_read: int | None = None
        i = 5
        while i < n:
            word = option(argv[i])
            if sub == b"CREATE" and word == b"MKSTREAM":
                mkstream = True
                i += 1
            elif sub in (b"CREATE", b"SETID") and word == b"ENTRIESREAD" and i + 1 < n:
                value = int_arg(argv[i + 1])
                if value < 0 and value != -1:
                    raise CommandError("ERR value for ENTRIESREAD must be positive or -1")
                entries_read = None if value == -1 else value
                i += 2
            else:
                raise _syntax(argv, "XGROUP")
        key, name = argv[2], argv[3]
        stream = self._get_stream(key)
        group = None
        if not mkstream:
            if stream is None:
                raise CommandError(
                    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE "
                    "you may want to use the MKSTREAM option to create an empty stream "
                    "automatically.")
            group = stream.groups.get(name)
            if group is None and sub in (b"SETID", b"CREATECONSUMER", b"DELCONSUMER"):
                raise CommandError(f"NOGROUP No such consumer group '{_c(name)}' for key "
                                   f"name '{_c(key)}'")
        if sub == b"CREATE":
            if n > 8:
                raise _syntax(argv, "XGROUP")
            if argv[4].split(b"\0", 1)[0] == b"$":
                sid = stream.last_id if stream is not None else (0, 0)
            else:
                sid = parse_id(argv[4], strict=True)[0]
            if stream is None:
                stream = self._data[key] = Stream()
            if name in stream.groups:
                raise CommandError("BUSYGROUP Consumer Group name already exists")
            stream.groups[name] = Group(sid, entries_read)
            return "OK"
        assert stream is not None
        if sub == b"SETID" and n in (5, 7):
            assert group is not None
            if argv[4].split(b"\0", 1)[0] == b"$":
                group.last_id = stream.last_id
            else:
                group.last_id = parse_id(argv[4])[0]
            group.entries_read = entries_read
            return "OK"
        if sub == b"DESTROY":
            return 0 if stream.groups.pop(name, None) is None else 1
        if sub == b"CREATECONSUMER":
            assert group is not None
            if argv[4] in group.consumers:
                return 0
            group.consumer(argv[4], self._ms())
            return 1
        if sub == b"DELCONSUMER":
            assert group is not None
            consumer = group.consumers.pop(argv[4], None)
            if consumer is None:
                return 0
            for sid in consumer.pel:
                group.pel.pop(sid, None)
            return len(consumer.pel)
        raise _syntax(argv, "XGROUP")

    # -- XINFO ------------------------------------------------------------------------------

    def _cmd_xinfo(self, argv: Sequence[bytes]) -> Any:
        sub = _check_subcommand(argv, "XINFO", _XINFO_ARITY)
        if sub == b"HELP":
            return _help("XINFO", _XINFO_HELP)
        stream = self._get_stream(argv[2])
        if stream is None:
            raise CommandError("ERR no such key")
        if sub == b"CONSUMERS":
            group = stream.groups.get(argv[3])
            if group is None:
                raise CommandError(f"NOGROUP No such consumer group '{_c(argv[3])}' for key "
                                   f"name '{_c(argv[2])}'")
            now = self._ms()
            return [{b"name": name, b"pending": len(c.pel), b"idle": max(0, now - c.seen)}
                    for name, c in sorted(group.consumers.items())]
        if sub == b"GROUPS":
            return [{b"name": name, b"consumers": len(g.consumers), b"pending": len(g.pel),
                     b"last-delivered-id": format_id(g.last_id),
                     b"entries-read": g.entries_read, b"lag": stream.lag(g)}
                    for name, g in sorted(stream.groups.items())]
        return self._xinfo_stream(argv, stream)

    def _xinfo_stream(self, argv: Sequence[bytes], stream: Stream) -> Any:
        options = argv[3:]
        count = 10
        full = bool(options)
        if options:
            if len(options) not in (1, 3) or option(options[0]) != b"FULL":
                raise _syntax(argv, "XINFO")
            if len(options) == 3:
                if option(options[1]) != b"COUNT":
                    raise _syntax(argv, "XINFO")
                count = int_arg(options[2])
                if count < 0:
                    count = 10
        keys = [b"".join(part.to_bytes(8, "big") for part in master)
                for master in stream.masters]
        info: dict[bytes, Any] = {
            b"length": len(stream.order),
            b"radix-tree-keys": len(stream.nodes),
            b"radix-tree-nodes": rax_node_count(keys),
            b"last-generated-id": format_id(stream.last_id),
            b"max-deleted-entry-id": format_id(stream.max_deleted),
            b"entries-added": stream.entries_added,
            b"recorded-first-entry-id": format_id(stream.first_id),
        }
        if not full:
            info[b"groups"] = len(stream.groups)
            order = stream.order
            info[b"first-entry"] = stream.reply_entries(order[:1])[0] if order else None
            info[b"last-entry"] = stream.reply_entries(order[-1:])[0] if order else None
            return info
        info[b"entries"] = stream.reply_entries(stream.order[:count] if count
                                                else stream.order)
        groups = []
        for name, group in sorted(stream.groups.items()):
            pel = group.sorted_pel()
            if count:
                pel = pel[:count]
            consumers = []
            for cname, consumer in sorted(group.consumers.items()):
                own = sorted(consumer.pel)
                if count:
                    own = own[:count]
                consumers.append({
                    b"name": cname, b"seen-time": consumer.seen,
                    b"pel-count": len(consumer.pel),
                    b"pending": [[format_id(sid), consumer.pel[sid].time,
                                  consumer.pel[sid].count] for sid in own],
                })
            groups.append({
                b"name": name, b"last-delivered-id": format_id(group.last_id),
                b"entries-read": group.entries_read, b"lag": stream.lag(group),
                b"pel-count": len(group.pel),
                b"pending": [[format_id(sid), _owner(group.pel[sid]), group.pel[sid].time,
                              group.pel[sid].count] for sid in pel],
                b"consumers": consumers,
            })
        info[b"groups"] = groups
        return info


def _owner(nack: Nack) -> bytes:
    return nack.consumer.name if nack.consumer is not None else b""
