"""One suite of operation cases, run on every backend through the public API.

`:memory:`, a real redis-server and `kvs serve` (the memory store served over RESP, reached
with ``redis://``) run every case; memcached runs the string and counter cases, and the cases
that must differ there say so (``differs``), matching docs/backends.md.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest
import trio

import kvs

BACKENDS = ["memory", "redis", "memcached", "serve"]
_names = itertools.count()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def url(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if backend == "memory":
        yield f"memory://conformance-{next(_names)}"
    elif backend == "serve":
        async with kvs.serve(f"memory://conformance-served-{next(_names)}") as server:
            yield server.url
    else:
        name = "redis_url" if backend == "redis" else "memcached_url"
        value: str = request.getfixturevalue(name)
        yield value


@pytest.fixture
async def db(url: str) -> AsyncIterator[kvs.Client[str]]:
    async with kvs.connect(url) as client:
        yield client


async def test_set_get(db: kvs.Client[str], backend: str) -> None:
    assert await db.set("k", "v") is True
    assert await db.get("k") == "v"
    assert await db.get("missing") is None
    assert await db.set("k", "w", nx=True) is False
    assert await db.set("new", "w", nx=True) is True
    assert await db.set("nope", "w", xx=True) is False
    assert await db.get("nope") is None
    assert await db.set("k", "x", xx=True) is True
    assert await db.get("k") == "x"
    assert await db.set("i", 42) is True
    assert await db.get("i") == "42"
    assert await db.set("b", True) is True
    assert await db.get("b") == "1"
    assert await db.set("u", "naïve ✓") is True
    assert await db.get("u") == "naïve ✓"


async def test_delete_exists(db: kvs.Client[str], backend: str) -> None:
    await db.set("a", "1")
    await db.set("b", "2")
    assert await db.exists("a") is True
    assert await db.delete("a", "b", "c") == 2
    assert await db.exists("a") is False
    assert await db.delete("a") == 0


async def test_expire_and_ttl(db: kvs.Client[str], backend: str) -> None:
    await db.set("k", "v")
    assert await db.ttl("k") == -1
    assert await db.ttl("missing") == -2
    assert await db.expire("k", 100) is True
    assert 99 <= await db.ttl("k") <= 100
    assert await db.expire("missing", 100) is False
    assert await db.set("e", "v", ex=50) is True
    assert 49 <= await db.ttl("e") <= 50
    assert await db.set("e", "v") is True  # SET clears the TTL
    assert await db.ttl("e") == -1
    assert await db.expire("e", 0) is True  # zero deletes
    assert await db.get("e") is None


async def test_short_expiry_really_expires(db: kvs.Client[str], backend: str) -> None:
    await db.set("short", "v", ex=1)
    assert await db.get("short") == "v"
    await trio.sleep(2.1)
    assert await db.get("short") is None
    assert await db.exists("short") is False


async def test_counters(db: kvs.Client[str], backend: str) -> None:
    assert await db.incr("n") == 1
    assert await db.incr("n", 5) == 6
    assert await db.decr("n", 2) == 4
    assert await db.decr("n") == 3
    assert await db.get("n") == "3"
    await db.set("text", "abc")
    with pytest.raises(kvs.ResponseError):
        await db.incr("text")
    assert await db.get("text") == "abc"


async def test_counter_below_zero(db: kvs.Client[str], backend: str) -> None:
    assert await db.decr("fresh") == (-1 if backend != "memcached" else 0)
    # memcached counters stop at zero (docs/backends.md); Redis and :memory: go negative.


async def test_mget_mset(db: kvs.Client[str], backend: str) -> None:
    assert await db.mset({"a": "1", "b": 2, "c": b"3"}) is True
    assert await db.mget(["a", "missing", "b", "c"]) == ["1", None, "2", "3"]
    assert await db.mget([]) == []
    assert await db.mset({}) is True


async def test_ping(db: kvs.Client[str], backend: str) -> None:
    assert await db.ping() is True


async def test_lists(db: kvs.Client[str], backend: str) -> None:
    if backend == "memcached":
        with pytest.raises(kvs.UnsupportedOperation, match="lpush"):
            await db.lpush("l", "a")
        return
    assert await db.rpush("l", "a", "b", "c") == 3
    assert await db.lpush("l", "z") == 4
    assert await db.lrange("l", 0, -1) == ["z", "a", "b", "c"]
    assert await db.lrange("l", 1, 2) == ["a", "b"]
    assert await db.lrange("l", -100, 100) == ["z", "a", "b", "c"]
    assert await db.lrange("l", 5, 10) == []
    assert await db.lpop("l") == "z"
    assert await db.rpop("l") == "c"
    assert await db.lpop("l") == "a"
    assert await db.lpop("l") == "b"
    assert await db.lpop("l") is None
    assert await db.exists("l") is False  # an emptied list ceases to exist
    assert await db.lrange("missing", 0, -1) == []


async def test_hashes(db: kvs.Client[str], backend: str) -> None:
    if backend == "memcached":
        with pytest.raises(kvs.UnsupportedOperation, match="hset"):
            await db.hset("h", "f", "v")
        return
    assert await db.hset("h", "f", "1") is True
    assert await db.hset("h", "f", "2") is False
    assert await db.hset("h", "g", 3) is True
    assert await db.hget("h", "f") == "2"
    assert await db.hget("h", "x") is None
    assert await db.hget("missing", "x") is None
    assert await db.hgetall("h") == {"f": "2", "g": "3"}
    assert await db.hgetall("missing") == {}


async def test_sets(db: kvs.Client[str], backend: str) -> None:
    if backend == "memcached":
        with pytest.raises(kvs.UnsupportedOperation, match="sadd"):
            await db.sadd("s", "m")
        return
    assert await db.sadd("s", "a", "b", "a") == 2
    assert await db.sadd("s", "b", "c") == 1
    assert await db.smembers("s") == {"a", "b", "c"}
    assert await db.smembers("missing") == set()


async def test_keys_glob(db: kvs.Client[str], backend: str) -> None:
    if backend == "memcached":
        with pytest.raises(kvs.UnsupportedOperation, match="keys"):
            await db.keys("*")
        return
    await db.mset({"user:1": "a", "user:2": "b", "user:10": "c", "x[1]": "d", "Xy": "e"})
    assert sorted(await db.keys("user:?")) == ["user:1", "user:2"]
    assert sorted(await db.keys("user:*")) == ["user:1", "user:10", "user:2"]
    assert sorted(await db.keys("user:[^1]")) == ["user:2"]
    assert sorted(await db.keys("user:[1-2]")) == ["user:1", "user:2"]
    assert await db.keys("x\\[1\\]") == ["x[1]"]
    assert await db.keys("[X]y") == ["Xy"]
    assert await db.keys("nothing*") == []


async def test_type_clashes(db: kvs.Client[str], backend: str) -> None:
    if backend == "memcached":
        return  # memcached has no types: only strings and counters (docs/backends.md)
    await db.set("str", "v")
    await db.rpush("list", "a")
    for call in (db.lpush("str", "x"), db.hset("str", "f", "v"), db.sadd("str", "m"),
                 db.get("list"), db.hgetall("list"), db.incr("list")):
        with pytest.raises(kvs.ResponseError) as info:
            await call
        assert info.value.code == "WRONGTYPE"


async def test_unsupported_execute(db: kvs.Client[str], backend: str) -> None:
    if backend == "redis":
        assert await db.execute("STRLEN", "missing") == 0
        return
    if backend == "serve":  # what the store cannot do, the server does not know, as Redis says
        with pytest.raises(kvs.ResponseError, match="unknown command 'GEOADD'"):
            await db.execute("GEOADD", "g", "13.36", "38.11", "palermo")
        assert await db.ping() is True  # and the connection goes on
        return
    with pytest.raises(kvs.UnsupportedOperation):
        await db.execute("OBJECT", "ENCODING", "k")


async def test_decode_false_bytes(db: kvs.Client[str], url: str) -> None:
    await db.set("bin", b"\x00\xff\r\n")
    async with kvs.connect(url, decode=False) as raw:
        assert await raw.get("bin") == b"\x00\xff\r\n"
        assert await raw.mget(["bin", "no"]) == [b"\x00\xff\r\n", None]

