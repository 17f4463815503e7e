"""Differential test of sorted sets and HyperLogLog: the in-process store against redis-server.

The same hypothesis state machine as ``test_memory_vs_redis``, with its RESP3 client, over
four keys that are sorted sets, plain sets (which ZUNION and friends accept), strings and
HyperLogLogs in turn, so types clash.  Members include the empty string and binary bytes;
scores and bounds are drawn from text that stresses Redis's parsing and formatting (``-0``,
denormals, ``1e400``, hex floats, ``nan``, leading spaces, NUL bytes, exclusive ``(``
bounds, lexicographic ``[``, ``(``, ``-``, ``+``).  Floats are compared by their repr, so a
``-0.0`` against a ``0.0`` is a difference.  ZRANDMEMBER's replies are random: they are
checked for shape and membership instead.  HyperLogLogs are compared byte for byte with GET.

The default run is short.  For a longer search set ``KVS_DIFF_EXAMPLES``, e.g.
``KVS_DIFF_EXAMPLES=20000 pytest tests/test_memory_vs_redis_zsets.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from kvs.memory.store import Store
from tests.servers import RedisServer
from tests.test_memory_vs_redis import RawRedis, cmd, ints

EXAMPLES = int(os.environ.get("KVS_DIFF_EXAMPLES", "200"))


@pytest.fixture(scope="module")
def server() -> Iterator[RawRedis]:
    with RedisServer() as running:
        client = RawRedis(running.host, running.port)
        try:
            yield client
        finally:
            client.close()


keys = st.sampled_from([b"z", b"z", b"y", b"y", b"s", b"h"])
key_lists = st.lists(keys, min_size=1, max_size=3)
members = st.one_of(
    st.sampled_from([b"a", b"b", b"c", b"aa", b"", b"\x00\xff", b"1", b"01", b"b\x00"]),
    st.binary(max_size=3),
)
good_scores = st.one_of(
    st.sampled_from([
        b"0", b"-0", b"1", b"-1", b"2", b"1.5", b"0.1", b"inf", b"-inf", b"+inf", b"Infinity",
        b"5e-324", b"2.2250738585072014e-308", b"0x1p3", b"1e308", b"+.5", b"3.", b"-0.0",
        b"9007199254740993", b"123456789.123456789", b"1e17", b"1e-300",
    ]),
    st.floats(allow_nan=False).map(lambda f: repr(f).encode()),
    st.integers(-5, 5).map(lambda n: b"%d" % n),
)  # fmt: skip
bad_scores = st.sampled_from([
    b"nan", b"1e400", b"-1e400", b"1e-400", b"0x", b" 1", b"1 ", b"", b"abc", b"1\x00", b"(1",
])  # fmt: skip
scores = st.one_of(good_scores, good_scores, good_scores, good_scores, bad_scores)
score_bounds = st.one_of(
    good_scores,
    good_scores.map(lambda s: b"(" + s),
    st.sampled_from([b"(1", b"(0", b"(-inf", b"(+inf", b"-inf", b"+inf", b"(", b"((1", b"[1"]),
    st.sampled_from([b" (1", b"(1\x00x", b" 2", b"", b"1e400", b"(nan", b"nan", b"x"]),
)
lex_bounds = st.one_of(
    st.sampled_from([b"-", b"+", b"[a", b"(a", b"[b", b"(b", b"[", b"(", b"[c", b"(aa"]),
    st.sampled_from([b"a", b"+x", b"-\x00", b""]),
    members.map(lambda m: b"[" + m),
    members.map(lambda m: b"(" + m),
)
words = st.sampled_from([
    b"WITHSCORES", b"withscores", b"REV", b"rev", b"BYSCORE", b"BYLEX", b"BAD", b"limit",
    b"withscores\x00x",
])  # fmt: skip
ranks = st.one_of(
    st.integers(-6, 6).map(lambda n: b"%d" % n),
    st.integers(-3, 3).map(lambda n: b"%d" % n),
    ints,
)
limit = st.tuples(st.just(b"LIMIT"), ranks, ranks)
range_options = st.one_of(
    st.just(()),
    st.just((b"WITHSCORES",)),
    st.lists(st.one_of(words.map(lambda w: (w,)), limit), max_size=2).map(
        lambda parts: tuple(word for part in parts for word in part)
    ),
)
pairs = st.lists(st.tuples(st.one_of(good_scores, scores), members), min_size=1, max_size=5).map(
    lambda ps: tuple(word for pair in ps for word in pair)
)
zadd_flags = st.one_of(
    st.just(list[bytes]()),
    st.just(list[bytes]()),
    st.lists(st.sampled_from([b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"ch"]), max_size=2),
)
agg = st.sampled_from([(), (b"AGGREGATE", b"SUM"), (b"aggregate", b"min"), (b"AGGREGATE", b"MAX"),
                       (b"AGGREGATE", b"avg"), (b"AGGREGATE",)])  # fmt: skip
weights = st.lists(scores, max_size=3).map(lambda ws: (b"WEIGHTS", *ws) if ws else ())


def _with_numkeys(drawn: tuple[list[bytes], bytes | None]) -> tuple[bytes, ...]:
    sources, numkeys = drawn
    return (b"%d" % len(sources) if numkeys is None else numkeys, *sources)


# numkeys and the keys: mostly consistent, sometimes not.
numkeys_keys = st.tuples(
    key_lists, st.one_of(st.none(), st.none(), st.sampled_from([b"0", b"-1", b"x", b"2", b"5"]))
).map(_with_numkeys)
setop_tail = st.tuples(weights, agg, st.sampled_from([(), (b"WITHSCORES",)])).map(
    lambda parts: tuple(word for part in parts for word in part)
)
HLL_VALUES = [
    b"HYLL\x01\x00\x00\x00" + bytes(8) + b"\x7f\xff",  # valid, empty, sparse
    b"HYLL\x01\x00\x00\x00" + bytes(8),  # sparse with no opcodes: corrupt
    b"HYLL\x01\x00\x00\x00" + bytes(8) + b"\x7f\xfe\x80",  # 16,383 zeros and a 1: valid
    b"HYLL\x01\x00\x00\x00" + bytes(8) + b"\x7f\xff\x80",  # one register too many
    b"HYLL\x00\x00\x00\x00" + bytes(8) + bytes(12288),  # valid, empty, dense
    b"HYLL\x00\x00\x00\x00" + bytes(8) + bytes(100),  # dense of the wrong length
    b"HYLL\x02\x00\x00\x00" + bytes(8),
    b"HYLL",
    b"hyll" + bytes(12),
    b"1",
]
# Drawn by index: the strategy repr stays short (one value is 12 kB).
hll_values = st.integers(0, len(HLL_VALUES) - 1).map(HLL_VALUES.__getitem__)
elements = st.lists(st.one_of(members, st.integers(0, 3000).map(lambda n: b"e%d" % n)), max_size=6)

zadd = cmd(b"ZADD", keys, zadd_flags, pairs)
ALL_COMMANDS = st.one_of(
    zadd,
    cmd(b"ZADD", keys, pairs),
    cmd(b"ZADD", st.just(b"z"), pairs),
    cmd(b"ZADD", st.just(b"y"), pairs),
    cmd(b"ZADD", st.sampled_from([b"z", b"y"]), st.just(b"CH"), pairs),
    cmd(b"ZINCRBY", keys, scores, members),
    cmd(b"ZREM", keys, st.lists(members, min_size=1, max_size=3)),
    cmd(b"ZSCORE", keys, members),
    cmd(b"ZMSCORE", keys, st.lists(members, min_size=1, max_size=3)),
    cmd(b"ZCARD", keys),
    cmd(b"ZCOUNT", keys, score_bounds, score_bounds),
    cmd(b"ZLEXCOUNT", keys, lex_bounds, lex_bounds),
    cmd(b"ZRANK", keys, members),
    cmd(b"ZREVRANK", keys, members),
    cmd(b"ZRANGE", keys, ranks, ranks, range_options),
    cmd(b"ZRANGE", keys, st.just(b"0"), st.just(b"-1"), st.just(b"WITHSCORES")),
    cmd(b"ZRANDMEMBER", keys, st.lists(st.integers(-6, 6).map(lambda n: b"%d" % n), max_size=1)),
    cmd(b"ZRANDMEMBER", keys, st.integers(-6, 6).map(lambda n: b"%d" % n), st.just(b"WITHSCORES")),
    cmd(b"ZRANDMEMBER", keys, ints, st.sampled_from([b"withscores", b"x"])),
    cmd(b"ZRANGE", keys, score_bounds, score_bounds, st.just(b"BYSCORE"), range_options),
    cmd(b"ZRANGE", keys, lex_bounds, lex_bounds, st.just(b"BYLEX"), range_options),
    cmd(b"ZRANGESTORE", keys, keys, ranks, ranks, range_options),
    cmd(b"ZRANGESTORE", keys, keys, score_bounds, score_bounds, st.just(b"BYSCORE"), range_options),
    cmd(b"ZRANGESTORE", keys, keys, lex_bounds, lex_bounds, st.just(b"BYLEX"), range_options),
    cmd(b"ZRANGEBYSCORE", keys, score_bounds, score_bounds, range_options),
    cmd(b"ZREVRANGEBYSCORE", keys, score_bounds, score_bounds, range_options),
    cmd(b"ZRANGEBYLEX", keys, lex_bounds, lex_bounds, range_options),
    cmd(b"ZREVRANGEBYLEX", keys, lex_bounds, lex_bounds, range_options),
    cmd(b"ZREVRANGE", keys, ranks, ranks, range_options),
    cmd(b"ZREMRANGEBYRANK", keys, ranks, ranks),
    cmd(b"ZREMRANGEBYSCORE", keys, score_bounds, score_bounds),
    cmd(b"ZREMRANGEBYLEX", keys, lex_bounds, lex_bounds),
    cmd(b"ZPOPMIN", keys, st.lists(ints, max_size=2)),
    cmd(b"ZPOPMAX", keys, st.lists(ints, max_size=2)),
    cmd(b"ZUNIONSTORE", keys, numkeys_keys, setop_tail),
    cmd(b"ZINTERSTORE", keys, numkeys_keys, setop_tail),
    cmd(b"ZDIFFSTORE", keys, numkeys_keys, setop_tail),
    cmd(b"ZUNION", numkeys_keys, setop_tail),
    cmd(b"ZINTER", numkeys_keys, setop_tail),
    cmd(b"ZDIFF", numkeys_keys, setop_tail),
    cmd(
        b"ZINTERCARD",
        numkeys_keys,
        st.sampled_from(
            [
                (),
                (b"LIMIT", b"1"),
                (b"limit", b"0"),
                (b"LIMIT", b"-1"),
                (b"LIMIT", b"x"),
                (b"LIMIT",),
                (b"WITHSCORES",),
            ]
        ),
    ),
    cmd(b"SADD", keys, st.lists(members, min_size=1, max_size=3)),
    cmd(b"SET", keys, st.one_of(hll_values, members)),
    cmd(b"GET", keys),
    cmd(b"TYPE", keys),
    cmd(b"DEL", key_lists),
    cmd(b"EXPIRE", keys, st.sampled_from([b"100", b"0", b"-1"])),
    cmd(b"TTL", keys),
    cmd(b"PFADD", keys, elements),
    cmd(b"PFCOUNT", key_lists),
    cmd(b"PFMERGE", keys, st.lists(keys, max_size=3)),
    # Any of these with any number of arguments: arity errors, and whatever follows.
    st.tuples(
        st.sampled_from(
            [
                b"ZADD",
                b"ZRANGE",
                b"ZPOPMIN",
                b"ZINCRBY",
                b"ZUNION",
                b"PFADD",
                b"ZRANGESTORE",
                b"ZINTERCARD",
            ]
        ),
        st.lists(st.one_of(keys, ints), max_size=4),
    ).map(lambda drawn: (drawn[0], *drawn[1])),
)

# Deferred, so that hypothesis describes the rule in a line, not in 50 kB of strategy repr.
COMMANDS = st.deferred(lambda: ALL_COMMANDS)


def same(mine: Any, theirs: Any) -> bool:
    """Equal replies, floats compared by repr (so 0.0 and -0.0 differ)."""
    if type(mine) is not type(theirs):
        return False
    if isinstance(mine, float):
        return repr(mine) == repr(theirs)
    if isinstance(mine, list):
        return len(mine) == len(theirs) and all(map(same, mine, theirs))
    return bool(mine == theirs)


def check_random(store: Store, argv: tuple[bytes, ...], mine: Any, theirs: Any) -> None:
    """ZRANDMEMBER: the same kind of reply, of the same length, made of the set's members."""
    key = argv[1]
    assert type(mine) is type(theirs), (argv, mine, theirs)
    if isinstance(mine, bytes):
        assert store.execute((b"ZSCORE", key, mine)) is not None, (argv, mine)
        return
    if not isinstance(mine, list):  # None for a missing key, or an error
        assert mine == theirs, (argv, mine, theirs)
        return
    assert len(mine) == len(theirs), (argv, mine, theirs)
    withscores = len(argv) == 4
    picked = [item[0] if withscores else item for item in mine]
    for item in mine:
        score = store.execute((b"ZSCORE", key, item[0] if withscores else item))
        assert score is not None and (not withscores or same(item[1], score)), (argv, mine)
    count = int(argv[2])
    if count > 0:
        assert len(set(picked)) == len(picked) == min(count, store.execute((b"ZCARD", key)))


def test_sorted_sets_and_hll_answer_like_redis(server: RawRedis) -> None:
    store = Store()

    class Differential(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            assert server.call(b"FLUSHALL") == "OK"
            assert store.execute((b"FLUSHALL",)) == "OK"

        @rule(argv=COMMANDS, lower=st.booleans())
        def command(self, argv: tuple[bytes, ...], lower: bool) -> None:
            if lower:
                argv = (argv[0].lower(), *argv[1:])
            theirs = server.call(*argv)
            mine = store.execute(argv)
            name = argv[0].upper()
            if name == b"ZRANDMEMBER":
                check_random(store, argv, mine, theirs)
            elif name == b"TTL" and isinstance(mine, int) and mine > 0:
                assert isinstance(theirs, int) and abs(mine - theirs) <= 1, (argv, mine, theirs)
            else:
                assert same(mine, theirs), (argv, mine, theirs)

    run_state_machine_as_test(
        Differential,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
