"""Differential test: the in-process store against a real redis-server.

A hypothesis state machine draws sequences of commands over five keys (so types clash), with
glob patterns full of brackets and escapes, out-of-range indexes, odd numbers and bad
integers, runs each one on a `Store` and on a redis-server of this module's own (spoken to
over RESP3 by a small blocking client built on `resp`), and requires the same reply or the
same error text.  Replies whose order Redis leaves undefined (KEYS, HKEYS, HVALS) are
compared sorted; TTLs with a small tolerance, since the two clocks are read at slightly
different moments.

Times to live are either long (100 s and more) or already past, so no key dies during an
example; relative expiries are never compared with each other (GT/LT only with absolute
times), since two deadlines a millisecond apart would make the outcome a matter of timing.

The default run is short.  For a longer search set ``KVS_DIFF_EXAMPLES``, e.g.
``KVS_DIFF_EXAMPLES=5000 pytest tests/test_memory_vs_redis.py``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

import resp
from kvs.memory.store import Store
from tests.servers import RedisServer

EXAMPLES = int(os.environ.get("KVS_DIFF_EXAMPLES", "200"))


class RawRedis:
    """A minimal blocking RESP3 client: one command, one reply."""

    def __init__(self, host: str, port: int) -> None:
        self._sock = socket.create_connection((host, port), timeout=10)
        self._parser = resp.Parser()
        hello = self.call(b"HELLO", b"3")
        assert isinstance(hello, dict), hello

    def call(self, *argv: bytes) -> Any:
        self._sock.sendall(resp.encode_command(*argv))
        while (reply := self._parser.next_reply()) is resp.NEED_DATA:
            data = self._sock.recv(1 << 16)
            if not data:
                raise ConnectionError("redis-server closed the connection")
            self._parser.feed(data)
        return reply

    def close(self) -> None:
        self._sock.close()


@pytest.fixture(scope="module")
def redis() -> Iterator[RawRedis]:
    with RedisServer() as server:
        client = RawRedis(server.host, server.port)
        try:
            yield client
        finally:
            client.close()


# -- strategies -----------------------------------------------------------------------------

keys = st.sampled_from([b"a", b"b", b"ab", b"[x]", b"a*"])
key_lists = st.lists(keys, min_size=1, max_size=4)
fields = st.sampled_from([b"f", b"g", b"h"])
odd_numbers = [
    b"0", b"-0", b"+1", b" 1", b"1 ", b"01", b"", b"1.5", b"abc", b"9223372036854775807",
    b"-9223372036854775808", b"9223372036854775808", b"-9223372036854775809", b"1e3", b"0x10",
]  # fmt: skip
values = st.one_of(
    st.sampled_from([*odd_numbers, b"x" * 40, b"\x00\xff", b"inf", b"-inf", b"nan", b".5"]),
    st.binary(max_size=6),
    st.text(alphabet="0123456789.-+e ", max_size=6).map(str.encode),
    st.integers(-(2**64), 2**64).map(lambda n: b"%d" % n),
)
ints = st.one_of(
    st.integers(-8, 8).map(lambda n: b"%d" % n),
    st.sampled_from(odd_numbers),
)
floats = st.one_of(
    st.sampled_from([
        b"0.1", b"-0.1", b"1e300", b"-1e300", b"1e4000", b"1e-20", b"5e-4940", b"1e-4960",
        b"1e5000", b"inf", b"-inf", b"nan", b"0x1p-3", b"1.7976931348623157e308", b" 1",
        b"1e", b".", b"-.5e2", b"3.", b"abc", b"1\x002", b"10.5", b"1e17", b"123456789.123",
    ]),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: repr(f).encode()),
    st.integers(-(10**20), 10**20).map(lambda n: b"%d" % n),
)  # fmt: skip
ttl_seconds = st.sampled_from([
    b"100", b"1000", b"0", b"-1", b"abc", b"9223372036854775807", b"-9223372036854775808",
    b"9223372036854775", b"9223372036854776",
])  # fmt: skip
ttl_ms = st.sampled_from([b"100000", b"5000000", b"0", b"-5", b"x", b"9223372036854775807"])
at_seconds = st.sampled_from([b"4102444800", b"4102445800", b"1", b"0", b"-1", b"x"])
at_ms = st.sampled_from([b"4102444800000", b"4102444800500", b"1", b"9223372036854775807"])
future_at_seconds = st.sampled_from([b"4102444800", b"0", b"-1", b"x", b"9223372036854775807"])
future_at_ms = st.sampled_from([b"4102444800000", b"0", b"9223372036854775807"])
patterns = st.one_of(
    st.sampled_from([
        b"*", b"a*", b"?", b"[ab]*", b"[^a]*", b"[b-a]*", b"\\a*", b"[x", b"a\\*", b"[\\]x]",
        b"*]", b"[", b"", b"**", b"[a-]*", b"[[]*", b"a[*", b"*\\",
    ]),
    st.text(alphabet="ab*?[]^-\\x", max_size=6).map(str.encode),
)  # fmt: skip


def _flat(parts: Sequence[Sequence[bytes]]) -> tuple[bytes, ...]:
    return tuple(word for part in parts for word in part)


set_options = st.lists(
    st.one_of(
        st.sampled_from(
            [(b"NX",), (b"XX",), (b"GET",), (b"KEEPTTL",), (b"ex",), (b"BAD",), (b"nx\0z",)]
        ),
        st.tuples(st.just(b"EX"), ttl_seconds),
        st.tuples(st.just(b"px"), ttl_ms),
        st.tuples(st.just(b"EXAT"), future_at_seconds),
        st.tuples(st.just(b"PXAT"), future_at_ms),
    ),
    max_size=3,
).map(_flat)
relative_flags = st.lists(st.sampled_from([b"NX", b"XX", b"nx", b"BAD", b"xx\0?"]), max_size=2)
absolute_flags = st.lists(
    st.sampled_from([b"NX", b"XX", b"GT", b"LT", b"lt", b"BAD", b"\xff\r\n\0x"]), max_size=2
)


def cmd(name: bytes, *parts: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[bytes, ...]]:
    """argv strategies: each part draws one argument (bytes) or several (a list or tuple)."""

    def build(drawn: tuple[Any, ...]) -> tuple[bytes, ...]:
        argv = [name]
        for item in drawn:
            argv.extend(item if isinstance(item, list | tuple) else [item])
        return tuple(argv)

    return st.tuples(*parts).map(build)


pairs = st.lists(st.tuples(keys, values), max_size=3).map(_flat)
field_pairs = st.lists(st.tuples(fields, values), min_size=1, max_size=3).map(_flat)
count = st.lists(ints, max_size=1)
some_values = st.lists(values, min_size=1, max_size=3)

COMMANDS = st.one_of(
    cmd(b"SET", keys, values, set_options),
    cmd(b"GET", keys),
    cmd(b"GETDEL", keys),
    cmd(b"SETNX", keys, values),
    cmd(b"SETEX", keys, ttl_seconds, values),
    cmd(b"PSETEX", keys, ttl_ms, values),
    cmd(b"MGET", key_lists),
    cmd(b"MSET", pairs, st.lists(keys, max_size=1)),
    cmd(b"MSETNX", pairs),
    cmd(b"APPEND", keys, values),
    cmd(b"STRLEN", keys),
    cmd(b"DEL", key_lists),
    cmd(b"UNLINK", key_lists),
    cmd(b"EXISTS", key_lists),
    cmd(b"TYPE", keys),
    cmd(b"KEYS", patterns),
    cmd(b"EXPIRE", keys, ttl_seconds, relative_flags),
    cmd(b"PEXPIRE", keys, ttl_ms, relative_flags),
    cmd(b"EXPIREAT", keys, at_seconds, absolute_flags),
    cmd(b"PEXPIREAT", keys, at_ms, absolute_flags),
    cmd(b"TTL", keys),
    cmd(b"PTTL", keys),
    cmd(b"EXPIRETIME", keys),
    cmd(b"PERSIST", keys),
    cmd(b"INCR", keys),
    cmd(b"DECR", keys),
    cmd(b"INCRBY", keys, ints),
    cmd(b"DECRBY", keys, ints),
    cmd(b"INCRBYFLOAT", keys, floats),
    cmd(b"LPUSH", keys, some_values),
    cmd(b"RPUSH", keys, some_values),
    cmd(b"LPUSHX", keys, some_values),
    cmd(b"RPUSHX", keys, some_values),
    cmd(b"LPOP", keys, count),
    cmd(b"RPOP", keys, count),
    cmd(b"LRANGE", keys, ints, ints),
    cmd(b"LLEN", keys),
    cmd(b"LINDEX", keys, ints),
    cmd(b"HSET", keys, field_pairs),
    cmd(b"HSETNX", keys, fields, values),
    cmd(b"HGET", keys, fields),
    cmd(b"HMGET", keys, st.lists(fields, min_size=1, max_size=3)),
    cmd(b"HGETALL", keys),
    cmd(b"HDEL", keys, st.lists(fields, min_size=1, max_size=3)),
    cmd(b"HEXISTS", keys, fields),
    cmd(b"HLEN", keys),
    cmd(b"HKEYS", keys),
    cmd(b"HVALS", keys),
    cmd(b"HINCRBY", keys, fields, ints),
    cmd(b"SADD", keys, some_values),
    cmd(b"SREM", keys, some_values),
    cmd(b"SMEMBERS", keys),
    cmd(b"SISMEMBER", keys, values),
    cmd(b"SCARD", keys),
    cmd(b"DBSIZE"),
    cmd(b"PING", st.lists(values, max_size=1)),
    cmd(b"ECHO", values),
    # Any command with any number of arguments: arity errors, and whatever else follows.
    st.tuples(
        st.sampled_from([b"GET", b"SET", b"HSET", b"MSET", b"LPOP", b"PING", b"EXPIRE", b"TTL"]),
        st.lists(keys, max_size=4),
    ).map(lambda drawn: (drawn[0], *drawn[1])),
)

_UNORDERED = {b"KEYS", b"HKEYS", b"HVALS"}
_TOLERANCE = {b"TTL": 1, b"PTTL": 500, b"EXPIRETIME": 1}


def normalise(argv: tuple[bytes, ...], reply: Any) -> Any:
    if argv[0].upper() in _UNORDERED and isinstance(reply, list):
        return sorted(reply)
    return reply


def same_reply(argv: tuple[bytes, ...], mine: Any, theirs: Any) -> bool:
    tolerance = _TOLERANCE.get(argv[0].upper())
    if tolerance is not None and isinstance(mine, int) and isinstance(theirs, int):
        if mine < 0 or theirs < 0:
            return mine == theirs
        return abs(mine - theirs) <= tolerance
    return bool(
        type(mine) is type(theirs) and normalise(argv, mine) == normalise(argv, theirs)
    )


def test_store_answers_like_redis(redis: RawRedis) -> None:
    store = Store()

    class Differential(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            assert redis.call(b"FLUSHALL") == "OK"
            assert store.execute((b"FLUSHALL",)) == "OK"

        @rule(argv=COMMANDS, lower=st.booleans())
        def command(self, argv: tuple[bytes, ...], lower: bool) -> None:
            if lower:
                argv = (argv[0].lower(), *argv[1:])
            theirs = redis.call(*argv)
            mine = store.execute(argv)
            assert same_reply(argv, mine, theirs), (argv, mine, theirs)

        @rule(pattern=patterns)
        def keys_match(self, pattern: bytes) -> None:
            # KEYS has a rule of its own, so glob patterns get their share of the steps.
            mine, theirs = store.execute((b"KEYS", pattern)), redis.call(b"KEYS", pattern)
            assert sorted(mine) == sorted(theirs), (pattern, mine, theirs)

        @rule()
        def same_keyspace(self) -> None:
            assert sorted(store.execute((b"KEYS", b"*"))) == sorted(redis.call(b"KEYS", b"*"))
            assert store.execute((b"DBSIZE",)) == redis.call(b"DBSIZE")

    run_state_machine_as_test(
        Differential,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )


def test_raw_client_sees_errors_as_values(redis: RawRedis) -> None:
    redis.call(b"SET", b"k", b"v")
    reply = redis.call(b"LPUSH", b"k", b"x")
    assert isinstance(reply, resp.ReplyError)
    assert reply.code == "WRONGTYPE"
    store = Store()
    store.execute((b"SET", b"k", b"v"))
    assert store.execute((b"LPUSH", b"k", b"x")) == reply


# -- pub/sub ----------------------------------------------------------------------------------
# Two subscribers and a publisher draw (un)subscribe, PUBLISH, SPUBLISH and PUBSUB steps; after
# each step every subscriber's pushes are collected (on Redis: up to the answer of a PING sent
# after the step) and compared with what the broker queued in its mailbox.  Redis walks hash
# tables where it unsubscribes from everything or matches patterns, so the pushes of such a step
# are compared as a multiset of names and a multiset of counts.

pubsub_names = st.sampled_from([b"a", b"b", b"ab", b"a*", b"[ab]", b"?", b"\\*"])
pubsub_verbs = st.sampled_from([b"SUBSCRIBE", b"UNSUBSCRIBE", b"PSUBSCRIBE", b"PUNSUBSCRIBE",
                                b"SSUBSCRIBE", b"SUNSUBSCRIBE"])
pubsub_steps = st.one_of(
    st.tuples(st.sampled_from([0, 1]), pubsub_verbs, st.lists(pubsub_names, max_size=3)).filter(
        lambda step: step[2] or b"UNSUB" in step[1]),  # SUBSCRIBE needs a name: kvs checks it
    st.tuples(st.just(-1), st.sampled_from([b"PUBLISH", b"SPUBLISH"]), pubsub_names),
    st.tuples(st.just(-2), st.sampled_from([
        (b"PUBSUB", b"NUMPAT"), (b"PUBSUB", b"CHANNELS"), (b"PUBSUB", b"CHANNELS", b"a*"),
        (b"PUBSUB", b"SHARDCHANNELS"), (b"PUBSUB", b"NUMSUB", b"a", b"ab", b"zz"),
        (b"PUBSUB", b"SHARDNUMSUB", b"a", b"b"), (b"PUBSUB", b"CHANNELS", b"a", b"b"),
        (b"PUBSUB", b"NUMPAT", b"x"), (b"PUBSUB", b"NOPE"), (b"PUBSUB", b"HELP"),
    ]), st.none()),
)


class RawSubscriber(RawRedis):
    marks = 0

    def pushes(self) -> list[Any]:
        """Everything the server sent up to the answer of a PING sent now (with a token of
        its own, so that what an interrupted example left unread is skipped too)."""
        RawSubscriber.marks += 1
        token = b"mark-%d" % self.marks
        self._sock.sendall(resp.encode_command(b"PING", token))
        out: list[Any] = []
        while True:
            while (reply := self._parser.next_reply()) is resp.NEED_DATA:
                self._parser.feed(self._sock.recv(1 << 16))
            if reply == token:
                return out
            out.append(reply if isinstance(reply, resp.ReplyError) else list(reply))

    def send(self, *argv: bytes) -> None:
        self._sock.sendall(resp.encode_command(*argv))


def _drain(mailbox: Any) -> list[Any]:
    out = []
    while (item := mailbox.take()) is not None:
        out.append(list(item))
    return out


def _unordered(pushes: list[Any]) -> Any:
    return sorted(map(repr, (p[:-1] for p in pushes))), sorted(repr(p[-1]) for p in pushes)


@pytest.fixture(scope="module")
def pubsub_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


def test_broker_answers_like_redis(pubsub_server: RedisServer) -> None:
    from hypothesis import given

    from kvs.memory.pubsub import Mailbox

    host, port = pubsub_server.host, pubsub_server.port
    publisher = RawRedis(host, port)
    subscribers = [RawSubscriber(host, port), RawSubscriber(host, port)]

    @settings(max_examples=max(20, EXAMPLES // 4), deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(pubsub_steps, max_size=25))
    def check(steps: list[tuple[int, Any, Any]]) -> None:
        store = Store()
        mailboxes = [Mailbox(), Mailbox()]
        for raw in subscribers:
            for verb in (b"UNSUBSCRIBE", b"PUNSUBSCRIBE", b"SUNSUBSCRIBE"):
                raw.send(verb)
            raw.pushes()
        for who, verb, names in steps:
            unordered = False
            if who >= 0:
                store.broker.command(mailboxes[who], verb, names)
                subscribers[who].send(verb, *names)
                unordered = not names
            elif who == -1:
                argv = (verb, names, b"hello")
                assert store.execute(argv) == publisher.call(*argv), argv
                unordered = True
            else:
                mine, theirs = store.execute(verb), publisher.call(*verb)
                if verb[1].endswith(b"CHANNELS") and isinstance(mine, list):
                    mine, theirs = sorted(mine), sorted(theirs)
                assert mine == theirs, verb
            for mailbox, raw in zip(mailboxes, subscribers, strict=True):
                mine, theirs = _drain(mailbox), raw.pushes()
                if unordered:
                    assert _unordered(mine) == _unordered(theirs), (who, verb, names)
                else:
                    assert mine == theirs, (who, verb, names)

    try:
        check()
    finally:
        for client in (publisher, *subscribers):
            client.close()
