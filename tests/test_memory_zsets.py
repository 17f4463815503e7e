"""Sorted sets in the in-process store: the ordered index, and cases the differential test
cannot reach (large sets, expiry, the encoding Redis would use).

Expected replies come from redis-server 7.0, either written out or asked for directly.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvs._backends import _memory_zindex
from kvs._backends._memory_zindex import ZIndex
from kvs.memory.store import Store
from resp import ReplyError
from tests.servers import RedisServer
from tests.test_memory_store import FakeClock
from tests.test_memory_vs_redis import RawRedis


@pytest.fixture(scope="module")
def server() -> Iterator[RawRedis]:
    with RedisServer() as running:
        client = RawRedis(running.host, running.port)
        try:
            yield client
        finally:
            client.close()


# -- the index --------------------------------------------------------------------------------

operations = st.lists(
    st.tuples(st.booleans(), st.integers(0, 30), st.binary(max_size=2)), max_size=300
)


@settings(max_examples=150, deadline=None)
@given(ops=operations, probe=st.integers(0, 400))
def test_index_matches_a_sorted_list(ops: list[tuple[bool, int, bytes]], probe: int) -> None:
    # Blocks of at most 8 pairs, so that splits and merges happen all the time.
    old = _memory_zindex._LOAD
    _memory_zindex._LOAD = 4
    try:
        index, model = ZIndex(), list[tuple[float, bytes]]()
        for remove, score, member in ops:
            pair = (float(score), member)
            if remove and model:
                gone = model[probe % len(model)]
                model.remove(gone)
                index.remove(gone)
            elif pair not in model:
                bisect.insort(model, pair)
                index.add(pair)
            assert len(index) == len(model)
        assert list(index) == model
        for rank, pair in enumerate(model):
            assert index.at(rank) == pair
            assert index.rank(pair) == rank
        start = probe % (len(model) + 1)
        assert index.slice(start, start + 5) == model[start : start + 5]
        assert list(index.forward(start)) == model[start:]
        assert list(index.backward(start - 1)) == model[:start][::-1]
        key = (float(probe % 32),)
        assert index.rank(key) == bisect.bisect_left(model, key)
    finally:
        _memory_zindex._LOAD = old


def test_large_set_ranks_and_ranges() -> None:
    store = Store()
    rnd = random.Random(3)
    members = {b"m%d" % i: float(rnd.randrange(1000)) for i in range(20_000)}
    for member, score in members.items():
        store.execute((b"ZADD", b"z", repr(score).encode(), member))
    order = sorted((score, member) for member, score in members.items())
    for rank in (0, 1, 777, 10_000, 19_999):
        score, member = order[rank]
        assert store.execute((b"ZRANK", b"z", member)) == rank
        assert store.execute((b"ZREVRANK", b"z", member)) == 19_999 - rank
    assert store.execute((b"ZRANGE", b"z", b"5000", b"5002")) == [m for _, m in order[5000:5003]]
    in_range = [m for s, m in order if 100 < s <= 200]
    assert store.execute((b"ZRANGEBYSCORE", b"z", b"(100", b"200")) == in_range
    assert store.execute((b"ZCOUNT", b"z", b"(100", b"200")) == len(in_range)
    assert store.execute((b"ZREMRANGEBYRANK", b"z", b"0", b"9999")) == 10_000
    assert store.execute((b"ZRANGE", b"z", b"0", b"0")) == [order[10_000][1]]
    assert store.execute((b"ZCARD", b"z")) == 10_000


# -- replies ----------------------------------------------------------------------------------


def test_resp3_shapes() -> None:
    store = Store()
    assert store.execute((b"ZADD", b"z", b"1", b"a", b"2.5", b"b")) == 2
    assert store.execute((b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES")) == [
        [b"a", 1.0],
        [b"b", 2.5],
    ]
    assert store.execute((b"ZSCORE", b"z", b"b")) == 2.5
    assert store.execute((b"ZINCRBY", b"z", b"0.1", b"b")) == 2.6
    assert store.execute((b"ZPOPMIN", b"z")) == [b"a", 1.0]
    assert store.execute((b"ZPOPMAX", b"z", b"5")) == [[b"b", 2.6]]
    assert store.execute((b"EXISTS", b"z")) == 0  # emptied, so deleted
    assert store.execute((b"ZADD", b"z", b"nan", b"a")) == ReplyError(
        "ERR value is not a valid float"
    )
    store.execute((b"ZADD", b"z", b"inf", b"a"))
    assert store.execute((b"ZINCRBY", b"z", b"-inf", b"a")) == ReplyError(
        "ERR resulting score is not a number (NaN)"
    )
    assert store.execute((b"TYPE", b"z")) == "zset"
    assert store.execute((b"GET", b"z")) == ReplyError(
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    )


def test_expiry() -> None:
    clock = FakeClock()
    store = Store(clock)
    store.execute((b"ZADD", b"z", b"1", b"a"))
    assert store.execute((b"PEXPIRE", b"z", b"100")) == 1
    assert store.execute((b"ZCARD", b"z")) == 1
    clock.advance(0.2)
    assert store.execute((b"ZCARD", b"z")) == 0
    assert store.execute((b"ZRANGE", b"z", b"0", b"-1")) == []
    store.execute((b"ZADD", b"z", b"1", b"a"))
    store.execute((b"EXPIRE", b"z", b"10"))
    store.execute((b"ZADD", b"z", b"2", b"b"))  # a write keeps the TTL
    assert store.execute((b"TTL", b"z")) == 10
    store.execute((b"ZUNIONSTORE", b"z", b"1", b"z"))  # a STORE replaces it, TTL and all
    assert store.execute((b"TTL", b"z")) == -1


def test_zero_sign_follows_the_encoding(server: RawRedis) -> None:
    # A small set (a listpack in Redis) loses the sign of -0; a large one keeps it.
    store = Store()
    server.call(b"FLUSHALL")

    def both(*argv: bytes) -> object:
        theirs, mine = server.call(*argv), store.execute(argv)
        assert type(mine) is type(theirs) and repr(mine) == repr(theirs), (argv, mine, theirs)
        return mine

    both(b"ZADD", b"small", b"-0", b"a")
    assert both(b"ZSCORE", b"small", b"a") == 0.0
    big = [w for i in range(200) for w in (b"%d" % i, b"m%d" % i)]
    both(b"ZADD", b"big", *big)
    both(b"ZADD", b"big", b"-0", b"neg")
    both(b"ZSCORE", b"big", b"neg")
    both(b"ZADD", b"long", b"-0", b"x" * 65)
    both(b"ZRANGE", b"long", b"0", b"-1", b"WITHSCORES")
    both(b"ZUNIONSTORE", b"u1", b"1", b"small", b"WEIGHTS", b"-1")
    both(b"ZRANGE", b"u1", b"0", b"-1", b"WITHSCORES")
    both(b"ZUNION", b"1", b"small", b"WEIGHTS", b"-1", b"WITHSCORES")
    both(b"ZUNIONSTORE", b"u2", b"1", b"big", b"WEIGHTS", b"-1")
    both(b"ZRANGE", b"u2", b"0", b"3", b"WITHSCORES")
    both(b"ZRANGESTORE", b"r1", b"big", b"0", b"-1")
    both(b"ZRANGE", b"r1", b"0", b"3", b"WITHSCORES")
    both(b"ZRANGESTORE", b"r2", b"big", b"-inf", b"+inf", b"BYSCORE")
    both(b"ZRANGE", b"r2", b"0", b"3", b"WITHSCORES")
    both(b"ZRANGESTORE", b"r3", b"big", b"-inf", b"+inf", b"BYSCORE", b"LIMIT", b"0", b"100")
    both(b"ZRANGE", b"r3", b"0", b"3", b"WITHSCORES")


def test_lex_ranges_over_mixed_scores(server: RawRedis) -> None:
    # With different scores Redis's answer depends on its scan; a small set is scanned.
    store = Store()
    server.call(b"FLUSHALL")
    argv = (b"ZADD", b"z", b"1", b"c", b"2", b"a", b"3", b"d", b"4", b"b", b"5", b"e")
    server.call(*argv)
    store.execute(argv)
    for low, high in ((b"[b", b"[d"), (b"-", b"(c"), (b"(a", b"+"), (b"[c", b"[c")):
        for query in (
            (b"ZRANGEBYLEX", b"z", low, high),
            (b"ZREVRANGEBYLEX", b"z", high, low),
            (b"ZLEXCOUNT", b"z", low, high),
            (b"ZRANGE", b"z", high, low, b"BYLEX", b"REV", b"LIMIT", b"1", b"2"),
        ):
            assert store.execute(query) == server.call(*query), query
