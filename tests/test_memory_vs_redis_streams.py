"""Differential test of the stream commands: the store against a real redis-server.

The method of ``test_memory_vs_redis.py`` (whose client and server fixture this module
imports): a hypothesis state machine draws stream commands over two stream keys and a
string key (so types clash), runs each on a `Store` and on redis-server, and requires the
same reply or the same error text.

Ids are always explicit (``ms-seq``, ``ms``, ``ms-*``, and bad ones), never ``*``, so that
both sides make the same ids.  Times differ by the moments the two are called, so idle times
are compared with a tolerance and absolute delivery times (XINFO STREAM FULL) not at all;
XCLAIM and XAUTOCLAIM run with a minimum idle time of 0.  Trimming is drawn with ``=``, with
``~`` and with LIMIT: the store models Redis's radix-tree nodes (100 entries or 4096 bytes of
listpack each), so the length after an approximate trim is compared exactly too.

``KVS_DIFF_EXAMPLES`` sets the number of examples, as for the other differential tests.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from kvs.memory.store import Store
from tests.test_memory_vs_redis import EXAMPLES, RawRedis, cmd, redis

__all__ = ["redis"]  # the fixture, shared with test_memory_vs_redis

keys = st.sampled_from([b"s", b"t", b"str"])
groups = st.sampled_from([b"g", b"h", b"nog"])
consumers = st.sampled_from([b"alice", b"bob", b"carol"])
ms = st.integers(0, 6)
good_ids = st.one_of(
    st.tuples(ms, st.integers(0, 3)).map(lambda p: b"%d-%d" % p),
    ms.map(lambda m: b"%d" % m),
)
ids = st.one_of(
    good_ids, good_ids, good_ids,
    st.sampled_from([b"-", b"+", b"x", b"1-x", b"", b"(1", b" 1", b"01-1", b"-1",
                     b"18446744073709551615-18446744073709551615", b"1-18446744073709551616"]),
)
add_ids = st.one_of(ids, ms.map(lambda m: b"%d-*" % m), st.just(b"0-0"))
bounds = st.one_of(ids, good_ids.map(lambda i: b"(" + i))
some_ids = st.lists(ids, min_size=1, max_size=3)
numbers = st.one_of(st.integers(0, 8).map(lambda n: b"%d" % n), st.sampled_from([b"-1", b"x"]))
fields = st.lists(st.tuples(st.sampled_from([b"f", b"g", b"12"]),
                            st.sampled_from([b"v", b"1", b"", b"x" * 70])),
                  min_size=1, max_size=3).map(lambda pairs: [w for p in pairs for w in p])


def _options(*choices: st.SearchStrategy[tuple[bytes, ...]]) -> st.SearchStrategy[list[bytes]]:
    return st.lists(st.one_of(*choices), max_size=3).map(
        lambda parts: [word for part in parts for word in part])


trim = _options(
    st.tuples(st.sampled_from([b"MAXLEN", b"maxlen"]), st.sampled_from([b"=", b"~"]), numbers),
    st.tuples(st.just(b"MAXLEN"), numbers),
    st.tuples(st.just(b"MINID"), st.sampled_from([b"=", b"~"]), ids),
    st.tuples(st.just(b"LIMIT"), numbers),
)
count_option = st.lists(st.tuples(st.just(b"COUNT"), numbers), max_size=1).map(
    lambda p: [w for x in p for w in x])
add_options = st.lists(st.sampled_from([(b"NOMKSTREAM",), ()]), max_size=1).map(
    lambda parts: [w for p in parts for w in p])
read_options = _options(
    st.tuples(st.just(b"COUNT"), numbers),
    st.sampled_from([(b"NOACK",), (b"BAD",)]),
)
claim_options = _options(
    st.sampled_from([(b"FORCE",), (b"JUSTID",), (b"BAD",), (b"LASTID", b"3-0")]),
    st.tuples(st.just(b"RETRYCOUNT"), numbers),
)

EXACT = st.one_of(
    cmd(b"XADD", keys, add_options, trim, add_ids, fields),
    cmd(b"XADD", keys, good_ids, fields),
    cmd(b"XADD", keys, good_ids, fields),
    cmd(b"SET", st.just(b"str"), st.just(b"x")),
    cmd(b"XLEN", keys),
    cmd(b"XRANGE", keys, bounds, bounds, count_option),
    cmd(b"XREVRANGE", keys, bounds, bounds),
    cmd(b"XDEL", keys, some_ids),
    cmd(b"XTRIM", keys, trim),
    cmd(b"XREAD", count_option, st.just(b"STREAMS"), keys, st.one_of(ids, st.just(b"$"))),
    cmd(b"XGROUP", st.sampled_from([b"CREATE", b"create"]), keys, groups,
        st.one_of(ids, st.just(b"$")),
        st.lists(st.sampled_from([(b"MKSTREAM",), (b"ENTRIESREAD", b"2"), (b"BAD",)]),
                 max_size=2).map(lambda p: [w for x in p for w in x])),
    cmd(b"XGROUP", st.just(b"SETID"), keys, groups, st.one_of(ids, st.just(b"$"))),
    cmd(b"XGROUP", st.just(b"DESTROY"), keys, groups),
    cmd(b"XGROUP", st.sampled_from([b"CREATECONSUMER", b"DELCONSUMER"]), keys, groups,
        consumers),
    cmd(b"XREADGROUP", st.just(b"GROUP"), groups, consumers, read_options, st.just(b"STREAMS"),
        keys, st.one_of(st.just(b">"), st.just(b">"), ids)),
    cmd(b"XACK", keys, groups, some_ids),
    cmd(b"XPENDING", keys, groups),
    cmd(b"XCLAIM", keys, groups, consumers, st.just(b"0"), some_ids, claim_options),
    cmd(b"XAUTOCLAIM", keys, groups, consumers, st.just(b"0"), bounds,
        _options(st.tuples(st.just(b"COUNT"), numbers), st.sampled_from([(b"JUSTID",)]))),
    cmd(b"XINFO", st.just(b"STREAM"), keys),
    cmd(b"XINFO", st.just(b"GROUPS"), keys),
    cmd(b"XSETID", keys, ids),
    cmd(b"TYPE", keys),
    # Wrong numbers of arguments, and unknown subcommands.
    st.tuples(st.sampled_from([b"XADD", b"XRANGE", b"XREADGROUP", b"XGROUP", b"XINFO",
                               b"XCLAIM", b"XAUTOCLAIM", b"XPENDING", b"XACK", b"XDEL"]),
              st.lists(st.sampled_from([b"s", b"g", b"0", b"CREATE", b"STREAM"]), max_size=4),
              ).map(lambda d: (d[0], *d[1])),
)  # fmt: skip

# Commands whose replies hold times: compared with a tolerance (see `_timeless`).
TIMED = st.one_of(
    cmd(b"XPENDING", keys, groups, st.lists(st.just((b"IDLE", b"0")), max_size=1).map(
        lambda p: [w for x in p for w in x]), bounds, bounds, numbers,
        st.lists(consumers, max_size=1)),
    cmd(b"XINFO", st.just(b"CONSUMERS"), keys, groups),
    cmd(b"XINFO", st.just(b"STREAM"), keys, st.just(b"FULL"),
        st.lists(st.tuples(st.just(b"COUNT"), numbers), max_size=1).map(
            lambda p: [w for x in p for w in x])),
)  # fmt: skip

_CLOSE = 1000  # ms: the two sides are called moments apart


def _timeless(argv: tuple[bytes, ...], reply: Any) -> Any:
    """The reply with its times taken out (idle times in buckets of `_CLOSE`)."""
    sub = argv[1].upper() if len(argv) > 1 else b""
    if not isinstance(reply, list | dict):
        return reply
    if argv[0].upper() == b"XPENDING":
        return [[item[0], item[1], item[2] // _CLOSE, item[3]] for item in reply]
    if sub == b"CONSUMERS":
        return [{**item, b"idle": item[b"idle"] // _CLOSE} for item in reply]
    if sub == b"STREAM" and isinstance(reply, dict):
        out = dict(reply)
        out[b"groups"] = [{
            **group,
            b"pending": [[p[0], p[1], p[3]] for p in group[b"pending"]],
            b"consumers": [{**{k: v for k, v in c.items() if k != b"seen-time"},
                            b"pending": [[p[0], p[2]] for p in c[b"pending"]]}
                           for c in group[b"consumers"]],
        } for group in reply[b"groups"]]
        return out
    return reply


def test_streams_answer_like_redis(redis: RawRedis) -> None:
    store = Store()

    class Differential(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            assert redis.call(b"FLUSHALL") == "OK"
            assert store.execute((b"FLUSHALL",)) == "OK"

        @rule(argv=EXACT)
        def exact(self, argv: tuple[bytes, ...]) -> None:
            theirs = redis.call(*argv)
            mine = store.execute(argv)
            assert type(mine) is type(theirs) and mine == theirs, (argv, mine, theirs)

        @rule(argv=TIMED)
        def timed(self, argv: tuple[bytes, ...]) -> None:
            theirs = redis.call(*argv)
            mine = store.execute(argv)
            assert type(mine) is type(theirs), (argv, mine, theirs)
            assert _timeless(argv, mine) == _timeless(argv, theirs), (argv, mine, theirs)

        @invariant()
        def same_streams(self) -> None:
            for key in (b"s", b"t"):
                for argv in ((b"XRANGE", key, b"-", b"+"), (b"XINFO", b"STREAM", key),
                             (b"XINFO", b"GROUPS", key), (b"XPENDING", key, b"g")):
                    theirs = redis.call(*argv)
                    mine = store.execute(argv)
                    assert type(mine) is type(theirs) and mine == theirs, (argv, mine, theirs)

    run_state_machine_as_test(
        Differential,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )


def test_approximate_trims_of_many_entries_match_redis(redis: RawRedis) -> None:
    """``~`` removes whole nodes: long streams of varied entries give Redis's lengths."""
    import random

    store = Store()
    chooser = random.Random(7)
    redis.call(b"FLUSHALL")
    for i in range(1, 900):
        count = chooser.choice([1, 1, 2, 4])
        argv = [b"XADD", b"s", b"%d-%d" % (i * chooser.choice([1, 3]), chooser.choice([0, 9]))]
        for _ in range(count):
            argv += (chooser.choice([b"f", b"field", b"7", b"x" * chooser.choice([1, 80, 700])]),
                     chooser.choice([b"v", b"-5", b"99999999999", b"y" * chooser.choice(
                         [1, 63, 64, 300, 5000])]))
        steps = [tuple(argv)]
        if i % 40 == 0:
            steps.append((b"XDEL", b"s", b"%d-0" % (i - 5), b"%d-9" % (i - 9)))
        if i % 75 == 0:
            steps.append((b"XTRIM", b"s", b"MAXLEN", b"~", b"%d" % chooser.choice([5, 80, 200])))
        if i % 110 == 0:
            steps.append((b"XTRIM", b"s", b"MINID", b"~", b"%d" % (i - 150)))
        if i % 160 == 0:
            steps.append((b"XTRIM", b"s", b"MAXLEN", b"~", b"0", b"LIMIT", b"120"))
        for step in steps:
            theirs = redis.call(*step)
            assert store.execute(step) == theirs, (step, theirs)
        if i % 25 == 0:
            info = (b"XINFO", b"STREAM", b"s")
            assert store.execute(info) == redis.call(*info), i
