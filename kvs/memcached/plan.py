# Theory of operation
# ===================
#
# Every operation reaches a backend as a Redis argv (docs/architecture.md).  This module, with
# no I/O, turns the argv of the commands memcached can carry into a `Plan`:
#
#   - `parts`: one `Part` per server involved, each holding the server's name, the exact
#     meta-protocol bytes to write there (several requests pipelined into one payload) and
#     how many replies they produce;
#   - `combine`: a pure function from the replies of every part (in part order) to the raw
#     reply a Redis 7 server would give over RESP3 (`bytes`, `str`, `int`, `None`, `list`,
#     or a `resp.ReplyError` value), so the client's decoders work unchanged;
#   - `idempotent`: whether sending the parts again after a broken connection is harmless.
#
# Anything else raises `kvs.UnsupportedOperation` here, before any byte is written.  A Redis
# syntax error (wrong arity, a bad number) is not an exception but a plan with no parts whose
# `combine` returns the `ReplyError` Redis would send.
#
# Routing.  A key lives on `HashRing(servers).node_for(key)` (the caller's key, before
# encoding); a multi-key command groups its keys by server, keeping their order, so a server
# gets one payload and the replies map back to positions.  Keys are encoded by
# `kvs.memcached.protocol.encode_key`, so no key can end a request line early.
#
# Values.  Stored as given, client flags 0.  memcached's in-place decrement leaves a counter
# padded with spaces ("100" decremented by one reads back as b"99 "); a value of that shape
# (digits then spaces) with client flags 0 is read back without the padding.  A value the
# caller stores in that very shape is flagged `LITERAL_FLAG` and read back exactly.
#
# Counters.  memcached counters are unsigned 64-bit: `ma` decrements stop at 0, increments
# wrap at 2**64.  INCRBY/DECRBY with a negative amount become the opposite operation; a
# missing key is created holding the result, as Redis would start from 0 (memcached's
# autovivify stores `initial` without applying the delta, so `initial` is the delta itself,
# or 0 for a decrement, which stops at 0 anyway).
"""Sans-IO translation of Redis argv into memcached meta requests; the replies are read back
through `kvs.memcached.replies`."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple

from resp import ReplyError

from .._errors import UnsupportedOperation
from ..commands.strings import parse_set_options
from . import protocol as mc
from .hashring import HashRing
from .replies import (
    LITERAL_FLAG,
    NOT_INTEGER,
    Replies,
    counter_reply,
    deleted,
    first_error,
    get_one,
    get_reply,
    ok_as_one,
    status_of,
    touched,
    unexpected,
    values_of,
)

__all__ = ["LITERAL_FLAG", "MAX_VALUE_SIZE", "Part", "Plan", "Planner", "get_reply"]


_PADDED = re.compile(rb"[0-9]+ +")
_TEXT_KEY = mc.TEXT_KEY
# Plain key tokens joined by LF (which none of them contains): one check for many keys.
_TEXT_KEYS = re.compile(rb"[\x21-\x7e]{1,250}(?:\n[\x21-\x7e]{1,250})*")
_INT64 = re.compile(rb"-?(0|[1-9][0-9]{0,18})")


# The largest value a reply may carry, on both transports: the Redis parser's default;
# memcached's own item limit is lower.
MAX_VALUE_SIZE: Final = 512 * 2**20


class Part:
    """The requests one server receives for one command: `payload` yields `count` replies."""

    __slots__ = ("count", "payload", "server")

    def __init__(self, server: str, payload: bytes, count: int) -> None:
        self.server = server
        self.payload = payload
        self.count = count

    def __repr__(self) -> str:
        return f"Part({self.server!r}, {self.payload!r:.60}, {self.count})"


class Plan(NamedTuple):
    """A command as per-server parts, the function that combines their replies, and
    whether it may be sent again after a broken connection."""

    parts: tuple[Part, ...]
    combine: Callable[[Replies], Any]
    idempotent: bool


def _answer(reply: Any) -> Plan:
    """A plan that needs no server: the reply is known already (e.g. a syntax error)."""
    return Plan((), lambda _: reply, True)


def _wrong_args(name: bytes) -> Plan:
    return _answer(ReplyError(
        f"ERR wrong number of arguments for '{name.decode(errors='replace').lower()}' command"))


def _parse_int64(raw: bytes) -> int | None:
    """A Redis signed 64-bit integer argument, or None when it is not one."""
    if not _INT64.fullmatch(raw):
        return None
    value = int(raw)
    return value if -(2**63) <= value < 2**63 else None


def _mg(key: bytes, flags: bytes) -> bytes:
    """``mg <key> <flags>``: the same bytes as `kvs.memcached.protocol.mg`, built on the hot path
    without its option handling; the key still goes through `encode_key`."""
    if type(key) is bytes and _TEXT_KEY.fullmatch(key):  # encode_key's plain-token case
        return b"mg " + key + flags
    token, is_b64 = mc.encode_key(key)
    return b"mg " + token + (b" b" + flags if is_b64 else flags)


def _mg_many(keys: Sequence[bytes], flags: bytes) -> bytes:
    """``mg <key> <flags>`` for every key, as one payload.  When every key is a plain token
    (checked at once over the keys joined by LF, which no plain token contains) the lines
    are built by one join; otherwise key by key."""
    if _TEXT_KEYS.fullmatch(b"\n".join(keys)):
        return b"mg " + (flags + b"mg ").join(keys) + flags
    return b"".join([_mg(key, flags) for key in keys])


_MG_VALUE: Final = b" v f\r\n"
_MG_TTL: Final = b" t\r\n"
_MG_HIT: Final = b"\r\n"


class Planner:
    """Plans commands for a fixed list of servers (names ``"host:port"``)."""

    def __init__(self, servers: Sequence[str]) -> None:
        self.servers = tuple(servers)
        self._ring = HashRing(self.servers)
        self._node_for = self._ring.node_for
        self._only = self.servers[0] if len(self.servers) == 1 else None
        self._handlers: dict[bytes, Callable[[tuple[bytes, ...], float], Plan]] = {
            b"GET": self._get, b"SET": self._set, b"DEL": self._del, b"EXISTS": self._exists,
            b"EXPIRE": self._expire, b"TTL": self._ttl, b"INCR": self._counter,
            b"DECR": self._counter, b"INCRBY": self._counter, b"DECRBY": self._counter,
            b"MGET": self._mget, b"MSET": self._mset, b"PING": self._ping,
            b"SETNX": self._setnx, b"SETEX": self._setex,
        }

    def plan(self, argv: tuple[bytes, ...], *, now: float) -> Plan:
        """The plan for `argv`; `now` (Unix time) converts long TTLs to absolute ones.

        Raises:
            kvs.UnsupportedOperation: memcached cannot carry the command.
        """
        handler = self._handlers.get(argv[0].upper())
        if handler is None:
            raise _unsupported(argv[0])
        return handler(argv, now)

    def server_for(self, key: bytes) -> str:
        """The server that holds `key`."""
        return self._node_for(key)

    def get(self, key: bytes) -> tuple[str, bytes]:
        """GET `key` without a `Plan`: the server and the request, whose one reply
        `get_reply` turns into the raw reply (the plan of ``(b"GET", key)``, unpacked)."""
        server = self._only if self._only is not None else self._node_for(key)
        return server, _mg(key, _MG_VALUE)

    # -- single-key commands ---------------------------------------------------------------

    def _one(self, key: bytes, payload: bytes, combine: Callable[[Any], Any],
             idempotent: bool) -> Plan:
        part = Part(self._node_for(key), payload, 1)
        return Plan((part,), lambda replies: combine(replies[0][0]), idempotent)

    def _get(self, argv: tuple[bytes, ...], now: float) -> Plan:
        if len(argv) != 2:
            return _wrong_args(argv[0])
        server, payload = self.get(argv[1])
        return Plan((Part(server, payload, 1),), get_one, True)

    def _set(self, argv: tuple[bytes, ...], now: float) -> Plan:
        if len(argv) < 3:
            return _wrong_args(argv[0])
        key, value = argv[1], argv[2]
        options = parse_set_options(argv)
        if options is None:
            return _answer(ReplyError("ERR syntax error"))
        if options.keepttl or options.get or options.unit in (b"EXAT", b"PXAT"):
            word = b"KEEPTTL" if options.keepttl else b"GET" if options.get else options.unit
            raise _unsupported(b"set", word)
        ttl: int | None = None
        if options.unit:
            amount = _parse_int64(options.expire)
            if amount is None:
                return _answer(ReplyError(NOT_INTEGER))
            if amount <= 0:
                return _answer(ReplyError("ERR invalid expire time in 'set' command"))
            seconds = amount if options.unit == b"EX" else math.ceil(amount / 1000)
            ttl = mc.wire_ttl(min(seconds, 2**31 - 1), now=now)
        mode = "add" if options.nx else "replace" if options.xx else None
        literal = LITERAL_FLAG if value[-1:] == b" " and _PADDED.fullmatch(value) else None
        payload = mc.ms(key, value, ttl=ttl, mode=mode, client_flags=literal)

        def combine(reply: Any) -> Any:
            status = status_of(reply)
            if status == b"HD":
                return "OK"
            if status == b"NS" and mode is not None:
                return None
            return unexpected(reply, "SET")

        return self._one(key, payload, combine, mode is None)

    def _setnx(self, argv: tuple[bytes, ...], now: float) -> Plan:
        # SET NX (an `ms` in add mode), answering 1 or 0
        if len(argv) != 3:
            return _wrong_args(argv[0])
        plan = self._set((b"SET", argv[1], argv[2], b"NX"), now)
        combine = plan.combine
        return Plan(plan.parts, lambda replies: ok_as_one(combine(replies)), False)

    def _setex(self, argv: tuple[bytes, ...], now: float) -> Plan:
        # SET EX with SETEX's own errors; whole seconds, as memcached keeps them
        if len(argv) != 4:
            return _wrong_args(argv[0])
        seconds = _parse_int64(argv[2])
        if seconds is None:
            return _answer(ReplyError(NOT_INTEGER))
        if seconds <= 0:
            return _answer(ReplyError("ERR invalid expire time in 'setex' command"))
        return self._set((b"SET", argv[1], argv[3], b"EX", argv[2]), now)

    def _expire(self, argv: tuple[bytes, ...], now: float) -> Plan:
        if len(argv) > 3:
            raise _unsupported(b"expire", argv[3].upper())
        if len(argv) != 3:
            return _wrong_args(argv[0])
        seconds = _parse_int64(argv[2])
        if seconds is None:
            return _answer(ReplyError(NOT_INTEGER))
        if seconds <= 0:  # Redis deletes the key; a second run would answer 0: not idempotent
            return self._one(argv[1], mc.md(argv[1]), deleted, False)
        payload = mc.touch(argv[1], mc.wire_ttl(min(seconds, 2**31 - 1), now=now))
        return self._one(argv[1], payload, touched, True)

    def _ttl(self, argv: tuple[bytes, ...], now: float) -> Plan:
        if len(argv) != 2:
            return _wrong_args(argv[0])

        def combine(reply: Any) -> Any:
            if status_of(reply) in (b"HD", b"EN"):
                return mc.redis_ttl(reply)
            return unexpected(reply, "TTL")

        return self._one(argv[1], _mg(argv[1], _MG_TTL), combine, True)

    def _counter(self, argv: tuple[bytes, ...], now: float) -> Plan:
        name = argv[0].upper()
        by = name in (b"INCRBY", b"DECRBY")
        if len(argv) != (3 if by else 2):
            return _wrong_args(argv[0])
        amount = _parse_int64(argv[2]) if by else 1
        if amount is None:
            return _answer(ReplyError(NOT_INTEGER))
        if name.startswith(b"DECR"):
            amount = -amount
        if amount >= 0:
            payload = mc.ma(argv[1], delta=amount, initial=amount)
        else:
            payload = mc.ma(argv[1], delta=-amount, mode="decr", initial=0)
        return self._one(argv[1], payload, counter_reply, False)

    # -- multi-key commands ----------------------------------------------------------------

    def _group(self, keys: Sequence[bytes]) -> dict[str, list[int]]:
        """Positions of `keys`, grouped by server, in order."""
        if len(self.servers) == 1:
            return {self.servers[0]: list(range(len(keys)))}
        groups: dict[str, list[int]] = {}
        node_for = self._node_for
        for i, key in enumerate(keys):
            groups.setdefault(node_for(key), []).append(i)
        return groups

    def _per_server(self, keys: Sequence[bytes], request: Callable[[int], bytes],
                    ) -> tuple[tuple[Part, ...], list[list[int]]]:
        groups = self._group(keys)
        parts = tuple(Part(server, b"".join(request(i) for i in positions), len(positions))
                      for server, positions in groups.items())
        return parts, list(groups.values())

    def _counting(self, argv: tuple[bytes, ...], request: Callable[[bytes], bytes],
                  hit: bytes, miss: bytes, idempotent: bool) -> Plan:
        keys = argv[1:]
        if not keys:
            return _wrong_args(argv[0])
        op = argv[0].decode(errors="replace").upper()
        parts, _ = self._per_server(keys, lambda i: request(keys[i]))

        def combine(replies: Replies) -> Any:
            count = 0
            for part in replies:
                for reply in part:
                    status = status_of(reply)
                    if status == hit:
                        count += 1
                    elif status != miss:
                        return unexpected(reply, op)
            return count

        return Plan(parts, combine, idempotent)

    def _del(self, argv: tuple[bytes, ...], now: float) -> Plan:
        return self._counting(argv, mc.md, b"HD", b"NF", False)

    def _exists(self, argv: tuple[bytes, ...], now: float) -> Plan:
        return self._counting(argv, lambda key: _mg(key, _MG_HIT), b"HD", b"EN", True)

    def _mget(self, argv: tuple[bytes, ...], now: float) -> Plan:
        keys = argv[1:]
        if not keys:
            return _wrong_args(argv[0])
        if len(self.servers) == 1:  # one part, whose replies are the values in order
            part = Part(self.servers[0], _mg_many(keys, _MG_VALUE), len(keys))
            return Plan((part,), values_of, True)
        groups = self._group(keys)
        parts = tuple(Part(server, _mg_many([keys[i] for i in places], _MG_VALUE), len(places))
                      for server, places in groups.items())
        positions = list(groups.values())

        def combine(replies: Replies) -> Any:
            values: list[Any] = [None] * len(keys)
            for part, places in zip(replies, positions, strict=True):
                part_values = values_of((part,))
                if isinstance(part_values, ReplyError):
                    return part_values
                for value, place in zip(part_values, places, strict=True):
                    values[place] = value
            return values

        return Plan(parts, combine, True)

    def _mset(self, argv: tuple[bytes, ...], now: float) -> Plan:
        if len(argv) < 3 or len(argv) % 2 == 0:
            return _wrong_args(argv[0])
        keys, values = argv[1::2], argv[2::2]

        def request(i: int) -> bytes:
            value = values[i]
            literal = LITERAL_FLAG if value[-1:] == b" " and _PADDED.fullmatch(value) else None
            return mc.ms(keys[i], value, client_flags=literal)

        parts, _ = self._per_server(keys, request)

        def combine(replies: Replies) -> Any:
            error = first_error(replies)
            if error is not None:
                return error
            for part in replies:
                for reply in part:
                    if status_of(reply) != b"HD":
                        return unexpected(reply, "MSET")
            return "OK"

        return Plan(parts, combine, True)

    def _ping(self, argv: tuple[bytes, ...], now: float) -> Plan:
        if len(argv) > 2:
            return _wrong_args(argv[0])
        answer: Any = argv[1] if len(argv) == 2 else "PONG"
        parts = tuple(Part(server, mc.mn(), 1) for server in self.servers)

        def combine(replies: Replies) -> Any:
            for part in replies:
                if status_of(part[0]) != b"MN":
                    return unexpected(part[0], "PING")
            return answer

        return Plan(parts, combine, True)


def _unsupported(name: bytes, option: bytes = b"") -> UnsupportedOperation:
    op = name.decode(errors="replace").lower()
    if option:
        op += f" with {option.decode(errors='replace')}"
    return UnsupportedOperation(f"{op} is not supported by the memcached backend")
