"""HyperLogLog in the in-process store against redis-server: the same counts, the same bytes.

For seeded element sets from empty to 200,000 elements, PFADD on both sides must leave
byte-identical strings (sparse while small, dense after the promotion) and PFCOUNT the same
estimate, the cached cardinality included; a value moved with GET and SET either way keeps
working on the other side.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from kvs.memory.hllencoding import _pattern, _sparse_runs
from kvs.memory.store import Store
from resp import ReplyError
from tests.servers import RedisServer
from tests.test_memory_vs_redis import RawRedis

SIZES = [0, 1, 2, 10, 100, 300, 1000, 2000, 3000, 5000, 20_000, 200_000]


@pytest.fixture(scope="module")
def server() -> Iterator[RawRedis]:
    with RedisServer() as running:
        client = RawRedis(running.host, running.port)
        try:
            yield client
        finally:
            client.close()


def elements(size: int, seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    return [b"user:%d" % rnd.randrange(10**12) for _ in range(size)]


def add_both(server: RawRedis, store: Store, key: bytes, items: list[bytes], batch: int) -> None:
    for i in range(0, len(items), batch):
        chunk = items[i : i + batch]
        assert server.call(b"PFADD", key, *chunk) == store.execute((b"PFADD", key, *chunk))


@pytest.mark.parametrize("size", SIZES)
def test_same_bytes_and_count_as_redis(server: RawRedis, size: int) -> None:
    store = Store()
    server.call(b"DEL", b"h")
    items = elements(size, seed=size)
    add_both(server, store, b"h", items, batch=1 if size <= 3000 else 1000)
    if not items:
        assert server.call(b"PFADD", b"h") == store.execute((b"PFADD", b"h")) == 1
    theirs = server.call(b"GET", b"h")
    assert store.execute((b"GET", b"h")) == theirs
    assert theirs[4] == (0 if size >= 2000 else 1)  # dense once large, sparse before
    count = server.call(b"PFCOUNT", b"h")
    assert store.execute((b"PFCOUNT", b"h")) == count
    assert store.execute((b"GET", b"h")) == server.call(b"GET", b"h")  # the cached count
    if size >= 1000:
        assert abs(count - len(set(items))) < 0.03 * len(set(items))  # an estimate


def test_counts_cached_between_adds(server: RawRedis) -> None:
    store = Store()
    server.call(b"DEL", b"h")
    items = elements(4000, seed=7)
    for i in range(0, len(items), 97):
        add_both(server, store, b"h", items[i : i + 97], batch=97)
        assert store.execute((b"PFCOUNT", b"h")) == server.call(b"PFCOUNT", b"h")
        assert store.execute((b"GET", b"h")) == server.call(b"GET", b"h")


def test_values_move_both_ways(server: RawRedis) -> None:
    for size, seed in ((50, 1), (2500, 2), (30_000, 3)):
        store = Store()
        server.call(b"DEL", b"from-redis", b"from-store")
        items = elements(size, seed)
        server.call(b"PFADD", b"from-redis", *items)
        # Redis -> store: GET there, SET here, keep adding on both sides.
        copied = server.call(b"GET", b"from-redis")
        store.execute((b"SET", b"from-redis", copied))
        assert store.execute((b"PFCOUNT", b"from-redis")) == server.call(b"PFCOUNT", b"from-redis")
        more = elements(300, seed + 100)
        add_both(server, store, b"from-redis", more, batch=1)
        assert store.execute((b"GET", b"from-redis")) == server.call(b"GET", b"from-redis")
        # Store -> Redis.
        store.execute((b"PFADD", b"from-store", *items))
        server.call(b"SET", b"from-store", store.execute((b"GET", b"from-store")))
        assert server.call(b"PFCOUNT", b"from-store") == store.execute((b"PFCOUNT", b"from-store"))
        add_both(server, store, b"from-store", more, batch=10)
        assert server.call(b"GET", b"from-store") == store.execute((b"GET", b"from-store"))


def test_merge_and_multi_key_count(server: RawRedis) -> None:
    store = Store()
    server.call(b"FLUSHALL")
    for key, size in ((b"small", 40), (b"mid", 1500), (b"big", 9000)):
        add_both(server, store, key, elements(size, size), batch=500)
    for keys in ((b"small", b"mid"), (b"small", b"big", b"none"), (b"mid", b"big")):
        assert store.execute((b"PFCOUNT", *keys)) == server.call(b"PFCOUNT", *keys)
    merges: list[tuple[bytes, tuple[bytes, ...]]] = [
        (b"m1", (b"small",)),
        (b"m2", (b"small", b"mid")),
        (b"m3", (b"big",)),
        (b"small", (b"mid",)),
        (b"m4", ()),
    ]
    for dest, sources in merges:
        theirs = server.call(b"PFMERGE", dest, *sources)
        assert store.execute((b"PFMERGE", dest, *sources)) == theirs == "OK"
        assert store.execute((b"GET", dest)) == server.call(b"GET", dest), dest
        assert store.execute((b"PFCOUNT", dest)) == server.call(b"PFCOUNT", dest)


def test_errors() -> None:
    store = Store()
    store.execute((b"SET", b"s", b"not an hll"))
    store.execute((b"LPUSH", b"l", b"x"))
    not_hll = ReplyError("WRONGTYPE Key is not a valid HyperLogLog string value.")
    assert store.execute((b"PFADD", b"s", b"a")) == not_hll
    assert store.execute((b"PFCOUNT", b"s")) == not_hll
    assert store.execute((b"PFMERGE", b"d", b"s")) == not_hll
    wrongtype = ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value")
    assert store.execute((b"PFADD", b"l", b"a")) == wrongtype
    # 16,385 registers, and a cached count marked stale (a valid cache would be returned).
    corrupt = b"HYLL\x01\x00\x00\x00" + bytes(7) + b"\x80\x7f\xff\x80"
    store.execute((b"SET", b"c", corrupt))
    invalid = ReplyError("INVALIDOBJ Corrupted HLL object detected")
    assert store.execute((b"PFCOUNT", b"c")) == invalid
    store.execute((b"SET", b"empty", b"HYLL\x01" + bytes(11)))  # sparse, with no opcodes
    assert store.execute((b"PFADD", b"empty", b"x")) == invalid
    assert store.execute((b"PFCOUNT", b"c", b"x")) == invalid
    assert store.execute((b"TYPE", b"c")) == "string"


def test_hash_picks_the_register_redis_picks(server: RawRedis) -> None:
    # One element in a new HyperLogLog: its sparse string shows the register and the run.
    rnd = random.Random(11)
    for n in range(300):
        element = rnd.randbytes(n % 40)
        server.call(b"DEL", b"one")
        server.call(b"PFADD", b"one", element)
        runs = _sparse_runs(server.call(b"GET", b"one"))
        assert runs is not None
        values = [v for _, v in runs]
        value = max(values)
        register = sum(length for length, _ in runs[: values.index(value)])
        assert _pattern(element) == (register, value), element
