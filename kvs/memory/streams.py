"""Stream commands of the in-process store: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM and
XSETID, with Redis 7.0's parsing, error texts and replies; the stream id parsing the other
stream modules share.  XREAD and XREADGROUP are in `kvs.memory.streamreads`, the consumer
groups in `kvs.memory.streamgroups`.

Same conventions as the other families: ``_cmd_<name>(argv)`` returns the raw reply (RESP3
shapes: XREAD answers a map of key to entries) or raises `CommandError`.  A stream is a
`kvs.memory.streamdata.Stream`; unlike the other containers it stays when its last entry is
deleted, as in Redis.  Time (automatic ids, delivery times) is the store's clock read as
Unix milliseconds, so a test clock drives idle times; an id never goes back, whatever the
clock does, because a new id is always above the stream's last one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kvs.memory.keyspace import (
    SYNTAX,
    WRONGTYPE,
    CommandError,
    Keyspace,
    arity_error,
    int_arg,
    option,
)
from kvs.memory.numbers import parse_int
from kvs.memory.streamdata import (
    MAX_ID,
    U64,
    Stream,
    StreamID,
    format_id,
    next_id,
    prev_id,
)

__all__ = ["INVALID_ID", "StreamCommands", "interval_id", "parse_id"]

INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
_SPACE = b" \t\n\v\f\r"
# The common spelling of an id, parsed at once (string2ll's canonical digits, both parts).
_PLAIN_ID = re.compile(rb"(0|[1-9][0-9]{0,19})-(0|[1-9][0-9]{0,19})")


def _string2ull(text: bytes) -> int | None:
    """Redis's ``string2ull``: ``string2ll``, else C's ``strtoull`` over the whole text
    (leading blanks, a sign, and a negative number wrapping around as in C)."""
    value = parse_int(text)
    if value is not None:
        return value if value >= 0 else None
    rest = text.lstrip(_SPACE)
    negative = rest[:1] == b"-"
    if rest[:1] in (b"-", b"+"):
        rest = rest[1:]
    if not rest or not rest.isdigit() or not rest.isascii():
        return None
    number = int(rest)
    if number > U64:
        return None
    return (-number) % (U64 + 1) if negative else number


def parse_id(arg: bytes, missing_seq: int = 0, *, strict: bool = False,
             star_seq: bool = False) -> tuple[StreamID, bool]:
    """A stream id argument as Redis parses it: ``ms-seq``, ``ms`` (the sequence is
    `missing_seq`), ``-`` and ``+`` (unless `strict`), and with `star_seq` ``ms-*``.

    Returns the id and whether its sequence was given (False only for ``ms-*``).
    """
    plain = _PLAIN_ID.fullmatch(arg)
    if plain is not None:
        quick = int(plain[1]), int(plain[2])
        if quick[0] < 2**63 and quick[1] < 2**63:  # string2ll's range: no strtoull subtleties
            return quick, True
    if len(arg) > 127:
        raise CommandError(INVALID_ID)
    text = arg.split(b"\0", 1)[0]
    if text in (b"-", b"+"):
        if strict:
            raise CommandError(INVALID_ID)
        return ((0, 0) if text == b"-" else MAX_ID), True
    ms_text, dash, seq_text = text.partition(b"-")
    ms = _string2ull(ms_text)
    if ms is None:
        raise CommandError(INVALID_ID)
    if not dash:
        return (ms, missing_seq), True
    if star_seq and seq_text == b"*":
        return (ms, 0), False
    seq = _string2ull(seq_text)
    if seq is None:
        raise CommandError(INVALID_ID)
    return (ms, seq), True


def interval_id(arg: bytes, missing_seq: int, start: bool) -> StreamID:
    """A range bound: an id, ``-``/``+``, or ``(id`` (exclusive, stepped inwards)."""
    if len(arg) > 1 and arg[:1] == b"(":
        sid, _ = parse_id(arg[1:], missing_seq, strict=True)
        stepped = next_id(sid) if start else prev_id(sid)
        if stepped is None:
            raise CommandError("ERR invalid start ID for the interval" if start
                               else "ERR invalid end ID for the interval")
        return stepped
    return parse_id(arg, missing_seq)[0]


class _TrimArgs:
    __slots__ = ("approx", "id", "id_given", "idpos", "limit", "maxlen", "minid", "nomkstream",
                 "seq_given")

    def __init__(self) -> None:
        self.maxlen: int | None = None
        self.minid: StreamID | None = None
        self.approx = False
        self.limit = 0
        self.nomkstream = False
        self.id: StreamID = (0, 0)
        self.id_given = False
        self.seq_given = True
        self.idpos = 0


_BOTH = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"


def _trim_args(argv: Sequence[bytes], xadd: bool) -> _TrimArgs:
    """``streamParseAddOrTrimArgsOrReply``: the options of XADD (up to its id) or XTRIM."""
    args = _TrimArgs()
    limit_given = False
    n = len(argv)
    i = 2
    while i < n:
        more = n - 1 - i
        word = option(argv[i])
        if xadd and argv[i].split(b"\0", 1)[0] == b"*":
            break
        if word in (b"MAXLEN", b"MINID") and more:
            if args.maxlen is not None or args.minid is not None:
                raise CommandError(_BOTH)
            args.approx = False
            sign = argv[i + 1].split(b"\0", 1)[0]
            if more >= 2 and sign in (b"~", b"="):
                args.approx = sign == b"~"
                i += 1
            if word == b"MAXLEN":
                maxlen = int_arg(argv[i + 1])
                if maxlen < 0:
                    raise CommandError("ERR The MAXLEN argument must be >= 0.")
                args.maxlen = maxlen
            else:
                args.minid = parse_id(argv[i + 1], strict=True)[0]
            i += 1
        elif word == b"LIMIT" and more:
            args.limit = int_arg(argv[i + 1])
            if args.limit < 0:
                raise CommandError("ERR The LIMIT argument must be >= 0.")
            limit_given = True
            i += 1
        elif xadd and word == b"NOMKSTREAM":
            args.nomkstream = True
        elif xadd:
            args.id, args.seq_given = parse_id(argv[i], strict=True, star_seq=True)
            args.id_given = True
            break
        else:
            raise CommandError(SYNTAX)
        i += 1
    args.idpos = i
    strategy = args.maxlen is not None or args.minid is not None
    if args.limit and not strategy:
        raise CommandError(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    if not xadd and not strategy:
        raise CommandError("ERR syntax error, XTRIM must be called with a trimming strategy")
    if limit_given:
        if not args.approx:
            raise CommandError(
                "ERR syntax error, LIMIT cannot be used without the special ~ option")
    elif args.approx:
        args.limit = 10000  # 100 nodes of stream-node-max-entries (100)
    else:
        args.limit = 0
    return args


class StreamCommands(Keyspace):
    """Commands on streams that need no consumer group."""

    def _get_stream(self, key: bytes) -> Stream | None:
        value = self._lookup(key)
        if value is None or type(value) is Stream:
            return value
        raise CommandError(WRONGTYPE)

    def _ms(self) -> int:
        """The current time as Unix milliseconds (set once per command)."""
        return self._unix_ms()

    # -- XADD, XTRIM, XDEL, XSETID ---------------------------------------------------------

    def _cmd_xadd(self, argv: Sequence[bytes]) -> Any:
        args = _trim_args(argv, xadd=True)
        fields = len(argv) - args.idpos - 1
        if fields < 2 or fields % 2:
            raise arity_error("xadd")
        if args.id_given and args.seq_given and args.id == (0, 0):
            raise CommandError("ERR The ID specified in XADD must be greater than 0-0")
        key = argv[1]
        stream = self._get_stream(key)
        if stream is None:
            if args.nomkstream:
                return None
            stream = self._data[key] = Stream()
        last = stream.last_id
        if last == MAX_ID:
            raise CommandError(
                "ERR The stream has exhausted the last possible ID, unable to add more items")
        smaller = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
        if args.id_given:
            if args.seq_given:
                sid = args.id
            elif last[0] == args.id[0]:
                if last[1] == U64:
                    raise CommandError(smaller)
                sid = (last[0], last[1] + 1)
            else:
                sid = args.id
        else:
            ms = self._ms()
            sid = (ms, 0) if ms > last[0] else (next_id(last) or (0, 0))
        if sid <= last:
            raise CommandError(smaller)
        stream.append(sid, argv[args.idpos + 1:])
        if args.maxlen is not None or args.minid is not None:
            stream.trim(args.maxlen, args.minid, args.approx, args.limit)
        return format_id(sid)

    def _cmd_xtrim(self, argv: Sequence[bytes]) -> Any:
        args = _trim_args(argv, xadd=False)
        stream = self._get_stream(argv[1])
        if stream is None:
            return 0
        return stream.trim(args.maxlen, args.minid, args.approx, args.limit)

    def _cmd_xdel(self, argv: Sequence[bytes]) -> Any:
        stream = self._get_stream(argv[1])
        if stream is None:
            return 0
        ids = [parse_id(arg, strict=True)[0] for arg in argv[2:]]
        deleted = 0
        first = False
        for sid in ids:
            if stream.delete(sid):
                first = first or sid == stream.first_id
                stream.max_deleted = max(stream.max_deleted, sid)
                deleted += 1
        if deleted:
            if not stream.order:
                stream.first_id = (0, 0)
            elif first:
                stream.first_id = stream.order[0]
        return deleted

    def _cmd_xsetid(self, argv: Sequence[bytes]) -> Any:
        sid, _ = parse_id(argv[2], strict=True)
        added = -1
        max_deleted: StreamID = (0, 0)
        i, n = 3, len(argv)
        while i < n:
            word = option(argv[i])
            if word == b"ENTRIESADDED" and i + 1 < n:
                added = int_arg(argv[i + 1])
                if added < 0:
                    raise CommandError("ERR entries_added must be positive")
            elif word == b"MAXDELETEDID" and i + 1 < n:
                max_deleted, _ = parse_id(argv[i + 1], strict=True)
                if sid < max_deleted:
                    raise CommandError("ERR The ID specified in XSETID is smaller than the "
                                       "provided max_deleted_entry_id")
            else:
                raise CommandError(SYNTAX)
            i += 2
        stream = self._get_stream(argv[1])
        if stream is None:
            raise CommandError("ERR no such key")
        if stream.order:
            if sid < stream.order[-1]:
                raise CommandError(
                    "ERR The ID specified in XSETID is smaller than the target stream top item")
            if added != -1 and len(stream.order) > added:
                raise CommandError("ERR The entries_added specified in XSETID is smaller than "
                                   "the target stream length")
        stream.last_id = sid
        if added != -1:
            stream.entries_added = added
        if max_deleted != (0, 0):
            stream.max_deleted = max_deleted
        return "OK"

    # -- reads ------------------------------------------------------------------------------

    def _cmd_xlen(self, argv: Sequence[bytes]) -> Any:
        stream = self._get_stream(argv[1])
        return 0 if stream is None else len(stream.order)

    def _range(self, argv: Sequence[bytes], rev: bool) -> Any:
        start = interval_id(argv[3 if rev else 2], 0, True)
        end = interval_id(argv[2 if rev else 3], U64, False)
        count = -1
        j = 4
        while j < len(argv):
            if option(argv[j]) == b"COUNT" and j + 1 < len(argv):
                count = max(0, int_arg(argv[j + 1]))
                j += 2
            else:
                raise CommandError(SYNTAX)
        stream = self._get_stream(argv[1])
        if stream is None:
            return []
        if count == 0:
            return None
        return stream.reply_entries(stream.range(start, end, max(count, 0), rev))

    def _cmd_xrange(self, argv: Sequence[bytes]) -> Any:
        return self._range(argv, rev=False)

    def _cmd_xrevrange(self, argv: Sequence[bytes]) -> Any:
        return self._range(argv, rev=True)

def _c(name: bytes) -> str:
    """A name in an error text, as Redis's ``%s`` shows it (up to a NUL byte)."""
    return name.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
