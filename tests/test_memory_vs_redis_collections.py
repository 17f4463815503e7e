"""Differential test of the keyspace, string, list, hash and set commands, and SCAN.

The same method as ``test_memory_vs_redis.py`` (whose client, server fixture and strategies
this module imports): a hypothesis state machine draws commands over five keys, so that types
clash, with odd numbers, binary values and bad options, and runs each on a `Store` and on a
real redis-server, requiring the same reply or the same error.

Commands whose reply is random (SPOP, SRANDMEMBER, HRANDFIELD, RANDOMKEY) and the SCAN family
(whose cursors are the implementation's own) are compared by properties instead: the same
errors, replies of the same shape, sizes that follow the count's rules, elements that belong.
After an SPOP the store is brought back in step with Redis by SADD and SREM, so the two
keyspaces stay equal; a rule compares every key's type, content and TTL.

``KVS_DIFF_EXAMPLES`` sets the number of examples, as for the other differential test.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

import resp
from kvs.memory.store import Store
from resp import ReplyError
from tests.test_memory_vs_redis import (
    EXAMPLES,
    RawRedis,
    _flat,
    at_ms,
    at_seconds,
    cmd,
    fields,
    floats,
    future_at_ms,
    future_at_seconds,
    ints,
    keys,
    patterns,
    redis,
    same_reply,
    ttl_ms,
    ttl_seconds,
    values,
)

__all__ = ["redis"]  # the fixture, shared with test_memory_vs_redis

# -- strategies -----------------------------------------------------------------------------

members = st.one_of(st.sampled_from([b"a", b"b", b"c", b"1", b"", b"\x00\xff"]), values)
some_members = st.lists(members, min_size=1, max_size=4)
some_keys = st.lists(keys, min_size=1, max_size=3)
sides = st.sampled_from([b"LEFT", b"RIGHT", b"left", b"Right", b"UP"])
counts = st.one_of(ints, st.integers(0, 5).map(lambda n: b"%d" % n))
field_values = st.lists(st.tuples(fields, values), min_size=1, max_size=3).map(
    lambda pairs: [word for pair in pairs for word in pair]
)


def _numkeys(prefix: bytes) -> st.SearchStrategy[tuple[bytes, ...]]:
    """A numkeys argument (mostly right, sometimes not) followed by that many keys."""

    def build(drawn: tuple[list[bytes], bytes | None]) -> tuple[bytes, ...]:
        chosen, numkeys = drawn
        return (prefix, numkeys if numkeys is not None else b"%d" % len(chosen), *chosen)

    return st.tuples(some_keys, st.one_of(st.none(), st.none(), ints)).map(build)


def _options(*choices: st.SearchStrategy[tuple[bytes, ...]]) -> st.SearchStrategy[list[bytes]]:
    return st.lists(st.one_of(*choices), max_size=3).map(
        lambda parts: [word for part in parts for word in part]
    )


def _pair(word: bytes, argument: st.SearchStrategy[bytes]) -> st.SearchStrategy[tuple[bytes, ...]]:
    return st.tuples(st.just(word), argument)


getex_options = _options(
    st.sampled_from([(b"PERSIST",), (b"persist",), (b"KEEPTTL",), (b"BAD",), (b"EX",)]),
    _pair(b"EX", ttl_seconds),
    _pair(b"px", ttl_ms),
    _pair(b"EXAT", at_seconds),
    _pair(b"PXAT", at_ms),
)
lpos_options = _options(
    _pair(b"RANK", ints),
    _pair(b"COUNT", counts),
    _pair(b"maxlen", counts),
    st.sampled_from([(b"RANK",), (b"BAD", b"1")]),
)
lmpop_tail = _options(_pair(b"COUNT", counts), st.sampled_from([(b"count",), (b"BAD",)]))
copy_options = _options(
    st.sampled_from([(b"REPLACE",), (b"replace",), (b"DB", b"0"), (b"db", b"16"), (b"DB",)]),
    _pair(b"DB", st.sampled_from([b"-1", b"x", b"99999999999", b"0"])),
    st.sampled_from([(b"BAD",)]),
)
sintercard_tail = _options(_pair(b"LIMIT", counts), st.sampled_from([(b"limit",), (b"X",)]))
cursors = st.one_of(
    st.just(b"0"),
    st.sampled_from([b"", b"+0", b"-1", b" 1", b"1 ", b"0x1", b"18446744073709551616", b"1\0"]),
    st.integers(0, 2**64 - 1).map(lambda n: b"%d" % n),
)
scan_options = _options(
    _pair(b"COUNT", counts),
    _pair(b"MATCH", patterns),
    _pair(b"TYPE", st.sampled_from([b"string", b"LIST", b"hash", b"set", b"none", b"zset"])),
    st.sampled_from([(b"COUNT",), (b"NOVALUES",), (b"BAD", b"x")]),
)

# Commands compared reply for reply.
EXACT = st.one_of(
    # Writers of each type, so that the keyspace fills up.
    cmd(b"SET", keys, values),
    cmd(b"RPUSH", keys, some_members),
    cmd(b"HSET", keys, field_values),
    cmd(b"SADD", keys, some_members),
    cmd(b"EXPIRE", keys, ttl_seconds),
    cmd(b"TTL", keys),
    cmd(b"PTTL", keys),
    # Keys.
    cmd(b"UNLINK", some_keys),
    cmd(b"TYPE", keys),
    cmd(b"TOUCH", some_keys),
    cmd(b"RENAME", keys, keys),
    cmd(b"RENAMENX", keys, keys),
    cmd(b"COPY", keys, keys, copy_options),
    cmd(b"PERSIST", keys),
    cmd(b"DBSIZE"),
    # Strings.
    cmd(b"GETDEL", keys),
    cmd(b"GETEX", keys, getex_options),
    cmd(b"GETSET", keys, values),
    cmd(b"SETNX", keys, values),
    cmd(b"SETEX", keys, ttl_seconds, values),
    cmd(b"APPEND", keys, values),
    cmd(b"STRLEN", keys),
    cmd(b"GETRANGE", keys, ints, ints),
    cmd(b"SETRANGE", keys, ints, values),
    cmd(b"INCRBYFLOAT", keys, floats),
    cmd(b"MSETNX", keys, values, st.lists(st.tuples(keys, values), max_size=2).map(_flat)),
    cmd(b"SET", keys, values, st.sampled_from([b"KEEPTTL", b"GET", b"keepttl"])),
    # Only future times: Redis keeps a key SET with a past time until it is next looked at,
    # and DBSIZE counts it meanwhile (the store drops it at once).
    cmd(b"SET", keys, values, st.just(b"EXAT"), future_at_seconds),
    cmd(b"SET", keys, values, st.just(b"PXAT"), future_at_ms),
    # Lists.
    cmd(b"LRANGE", keys, st.just(b"0"), st.just(b"-1")),
    cmd(b"LSET", keys, ints, members),
    cmd(b"LINSERT", keys, st.sampled_from([b"BEFORE", b"after", b"MIDDLE"]), members, members),
    cmd(b"LREM", keys, ints, members),
    cmd(b"LTRIM", keys, ints, ints),
    cmd(b"LPOS", keys, members, lpos_options),
    cmd(b"LMOVE", keys, keys, sides, sides),
    cmd(b"RPOPLPUSH", keys, keys),
    _numkeys(b"LMPOP").flatmap(lambda head: cmd(head[0], st.just(head[1:]), sides, lmpop_tail)),
    cmd(b"LPUSHX", keys, some_members),
    cmd(b"RPUSHX", keys, some_members),
    cmd(b"LPOP", keys, st.lists(counts, max_size=2)),
    cmd(b"RPOP", keys, st.lists(counts, max_size=1)),
    # Hashes.
    cmd(b"HGETALL", keys),
    cmd(b"HINCRBYFLOAT", keys, fields, floats),
    cmd(b"HSTRLEN", keys, fields),
    cmd(b"HMSET", keys, field_values, st.lists(fields, max_size=1)),
    cmd(b"HSETNX", keys, fields, values),
    cmd(b"HSET", keys, fields, values, st.lists(fields, max_size=1)),
    # Sets.
    cmd(b"SMEMBERS", keys),
    cmd(b"SMISMEMBER", keys, some_members),
    cmd(b"SMOVE", keys, keys, members),
    cmd(b"SINTER", some_keys),
    cmd(b"SUNION", some_keys),
    cmd(b"SDIFF", some_keys),
    cmd(b"SINTERSTORE", keys, some_keys),
    cmd(b"SUNIONSTORE", keys, some_keys),
    cmd(b"SDIFFSTORE", keys, some_keys),
    _numkeys(b"SINTERCARD").flatmap(lambda head: cmd(head[0], st.just(head[1:]), sintercard_tail)),
    cmd(b"SREM", keys, some_members),
    # Wrong numbers of arguments.
    st.tuples(
        st.sampled_from([
            b"GETEX", b"GETSET", b"COPY", b"RENAME", b"LSET", b"LINSERT", b"LPOS", b"LMOVE",
            b"LMPOP", b"HMSET", b"SMOVE", b"SINTERCARD", b"SCAN", b"HSCAN", b"SSCAN",
            b"GETRANGE", b"SETRANGE",
        ]),
        st.lists(keys, max_size=5),
    ).map(lambda drawn: (drawn[0], *drawn[1])),
    # The same for the random ones, with arguments that never reach the random part.
    st.tuples(
        st.sampled_from([b"HRANDFIELD", b"SPOP", b"SRANDMEMBER"]),
        st.lists(keys, min_size=3, max_size=4),
    ).map(lambda drawn: (drawn[0], *drawn[1])),
    st.sampled_from([(b"HRANDFIELD",), (b"SPOP",), (b"SRANDMEMBER",), (b"RANDOMKEY", b"a")]),
)  # fmt: skip

RANDOM = st.one_of(
    cmd(b"SPOP", keys, st.lists(counts, max_size=2)),
    cmd(b"SRANDMEMBER", keys, st.lists(counts, max_size=2)),
    cmd(b"HRANDFIELD", keys),
    cmd(b"HRANDFIELD", keys, counts, st.lists(st.sampled_from([b"WITHVALUES", b"x"]), max_size=2)),
    cmd(b"RANDOMKEY"),
)
SCANS = st.one_of(
    cmd(b"SCAN", cursors, scan_options),
    cmd(b"HSCAN", keys, cursors, scan_options),
    cmd(b"SSCAN", keys, cursors, scan_options),
)


# -- comparing by properties ------------------------------------------------------------------


def check_random(argv: tuple[bytes, ...], mine: Any, theirs: Any, before: Any) -> None:
    """SPOP, SRANDMEMBER, HRANDFIELD, RANDOMKEY: same errors, shape and sizes.

    ``before`` is what the key held before the command (from Redis): a set, a dict, or for
    RANDOMKEY the list of keys.
    """
    assert type(mine) is type(theirs), (argv, mine, theirs)
    if isinstance(theirs, ReplyError | None | int):
        assert mine == theirs, (argv, mine, theirs)
        return
    name = argv[0].upper()
    pool = before if isinstance(before, set | dict | list) else set()
    if isinstance(theirs, bytes):
        assert mine in pool and theirs in pool, (argv, mine, theirs)
        return
    assert len(mine) == len(theirs), (argv, mine, theirs)
    if not theirs:
        return
    count = int(argv[2])
    if name == b"HRANDFIELD" and len(argv) == 4:  # WITHVALUES: [field, value] pairs
        assert isinstance(pool, dict), (argv, pool)
        assert all(isinstance(pair, list) and pool.get(pair[0]) == pair[1] for pair in mine)
        picked = [pair[0] for pair in mine]
    else:
        picked = list(mine)
    assert all(element in pool for element in picked), (argv, mine, pool)
    if count > 0:
        assert len(set(picked)) == len(picked) == min(count, len(pool)), (argv, mine, pool)


def check_scan(argv: tuple[bytes, ...], mine: Any, theirs: Any, live: dict[bytes, Any]) -> None:
    """One SCAN-family call: the same error, or [cursor, elements] whose elements belong."""
    assert type(mine) is type(theirs), (argv, mine, theirs)
    if isinstance(theirs, ReplyError):
        assert mine == theirs, (argv, mine, theirs)
        return
    cursor, found = mine
    assert isinstance(cursor, bytes) and int(cursor) < 2**64, mine
    assert isinstance(found, list), mine
    if theirs == [b"0", []] and argv[0].upper() != b"SCAN" and not live:
        # A missing key, before the options are read.  (For a key that exists, Redis's
        # answer to a made-up cursor depends on its hash table's layout: only membership is
        # checked below.)
        assert mine == theirs, (argv, mine)
    if argv[0].upper() == b"HSCAN":
        pairs = dict(zip(found[::2], found[1::2], strict=True))
        assert len(found) % 2 == 0 and all(live.get(f) == v for f, v in pairs.items()), mine
    else:
        assert len(set(found)) == len(found) and all(e in live for e in found), (argv, mine)


def test_collections_answer_like_redis(redis: RawRedis) -> None:
    store = Store()

    class Differential(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            assert redis.call(b"FLUSHALL") == "OK"
            assert store.execute((b"FLUSHALL",)) == "OK"

        @rule(argv=EXACT, lower=st.booleans())
        def exact(self, argv: tuple[bytes, ...], lower: bool) -> None:
            if lower:
                argv = (argv[0].lower(), *argv[1:])
            theirs = redis.call(*argv)
            mine = store.execute(argv)
            assert same_reply(argv, mine, theirs), (argv, mine, theirs)

        @rule(argv=RANDOM)
        def random_reply(self, argv: tuple[bytes, ...]) -> None:
            name = argv[0].upper()
            if name == b"RANDOMKEY":
                before: Any = redis.call(b"KEYS", b"*")
            else:
                kind = redis.call(b"TYPE", argv[1])
                before = redis.call(b"HGETALL" if kind == "hash" else b"SMEMBERS", argv[1])
                if isinstance(before, ReplyError):
                    before = None
            theirs = redis.call(*argv)
            mine = store.execute(argv)
            check_random(argv, mine, theirs, before)
            if name == b"SPOP":
                self._resync_set(argv[1])

        def _resync_set(self, key: bytes) -> None:
            """After an SPOP, give the store's set Redis's members (its TTL stays)."""
            theirs = redis.call(b"SMEMBERS", key)
            mine = store.execute((b"SMEMBERS", key))
            if isinstance(theirs, ReplyError):  # not a set: nothing was popped
                assert mine == theirs, (mine, theirs)
                return
            assert len(mine) == len(theirs), (mine, theirs)
            if theirs:
                assert store.execute((b"SADD", key, *theirs)) == len(theirs - mine)
                if mine - theirs:
                    store.execute((b"SREM", key, *(mine - theirs)))

        @rule(argv=SCANS)
        def scan_once(self, argv: tuple[bytes, ...]) -> None:
            theirs = redis.call(*argv)
            mine = store.execute(argv)
            if argv[0].upper() == b"SCAN":
                live: dict[bytes, Any] = dict.fromkeys(redis.call(b"KEYS", b"*"))
            else:
                contents = redis.call(b"HGETALL" if argv[0].upper() == b"HSCAN" else b"SMEMBERS",
                                      argv[1])
                live = contents if isinstance(contents, dict) else dict.fromkeys(
                    contents if isinstance(contents, set) else ())
            check_scan(argv, mine, theirs, live)

        @rule(
            key=keys,
            kind=st.sampled_from([b"SCAN", b"HSCAN", b"SSCAN"]),
            count=st.sampled_from([b"1", b"2", b"10"]),
            pattern=st.one_of(st.none(), patterns),
        )
        def full_scan(self, key: bytes, kind: bytes, count: bytes, pattern: bytes | None) -> None:
            # A whole iteration with nothing changing: both return every matching element.
            head = (kind,) if kind == b"SCAN" else (kind, key)
            tail = (b"COUNT", count) + ((b"MATCH", pattern) if pattern is not None else ())
            results = []
            for call in (redis.call, lambda *argv: store.execute(argv)):
                seen: set[bytes] = set()
                cursor, calls = b"0", 0
                while True:
                    reply = call(*head, cursor, *tail)
                    if isinstance(reply, ReplyError):
                        seen = {reply.message.encode()}
                        break
                    cursor, found = reply
                    seen.update(found[::2] if kind == b"HSCAN" else found)
                    calls += 1
                    assert calls < 1000, "the scan never ended"
                    if cursor == b"0":
                        break
                results.append(seen)
            assert results[0] == results[1], (head, tail, results)

        @invariant()
        def same_contents(self) -> None:
            # Every key of the key space read every way (a wrong type errs alike on both
            # sides), in one round trip.
            theirs = call_all(redis, _CONTENTS)
            mine = [store.execute(argv) for argv in _CONTENTS]
            for argv, a, b in zip(_CONTENTS, mine, theirs, strict=True):
                if argv[0] == b"TTL":
                    assert (a == -1) == (b == -1) and (a == -2) == (b == -2), (argv, a, b)
                elif argv[0] == b"KEYS":
                    assert sorted(a) == sorted(b), (a, b)
                else:
                    assert type(a) is type(b) and a == b, (argv, a, b)

    run_state_machine_as_test(
        Differential,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )


_CONTENTS: list[tuple[bytes, ...]] = [(b"KEYS", b"*"), (b"DBSIZE",)] + [
    argv
    for key in (b"a", b"b", b"ab", b"[x]", b"a*")
    for argv in (
        (b"TYPE", key),
        (b"GET", key),
        (b"LRANGE", key, b"0", b"-1"),
        (b"HGETALL", key),
        (b"SMEMBERS", key),
        (b"TTL", key),
    )
]


def call_all(redis: RawRedis, commands: Sequence[tuple[bytes, ...]]) -> list[Any]:
    """Send ``commands`` to redis-server in one write and read every reply (a pipeline)."""
    redis._sock.sendall(b"".join(resp.encode_command(*argv) for argv in commands))
    replies: list[Any] = []
    while len(replies) < len(commands):
        reply = redis._parser.next_reply()
        if reply is resp.NEED_DATA:
            data = redis._sock.recv(1 << 16)
            if not data:
                raise ConnectionError("redis-server closed the connection")
            redis._parser.feed(data)
        else:
            replies.append(reply)
    return replies
