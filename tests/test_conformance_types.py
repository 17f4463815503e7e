"""SPEC §7's data types through the public API, on every backend: `:memory:`, a real
redis-server over RESP3 and over RESP2 (the same expected results on both: the decoders
hide the protocol), and memcached, which refuses them before any I/O (docs/backends.md).
"""

from __future__ import annotations

import datetime
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import trio

import kvs
import kvs.sync

BACKENDS = ["memory", "redis-resp3", "redis-resp2", "memcached"]
_names = itertools.count()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "memory":
        return f"memory://types-{next(_names)}"
    if backend == "memcached":
        value: str = request.getfixturevalue("memcached_url")
        return value
    redis_url: str = request.getfixturevalue("redis_url")
    return f"{redis_url}?protocol={backend[-1]}"


@pytest.fixture
async def db(url: str) -> AsyncIterator[kvs.Client[str]]:
    async with kvs.connect(url) as client:
        yield client


async def refused(backend: str, *calls: Callable[[], Awaitable[Any]]) -> bool:
    """On memcached, each call raises UnsupportedOperation naming its command; True then."""
    if backend != "memcached":
        return False
    for call in calls:
        with pytest.raises(kvs.UnsupportedOperation, match="memcached"):
            await call()
    return True


async def test_keys(db: kvs.Client[str], backend: str) -> None:
    if await refused(backend, lambda: db.rename("a", "b"), lambda: db.type("a"),
                     db.dbsize, lambda: db.unlink("a"), lambda: db.pttl("a")):
        return
    await db.mset({"a": "1", "b": "2"})
    await db.rpush("l", "x")
    assert await db.type("a") == "string"
    assert await db.type("l") == "list"
    assert await db.type("missing") == "none"
    assert await db.dbsize() == 3
    assert await db.rename("a", "c") is True
    assert await db.get("c") == "1"
    with pytest.raises(kvs.ResponseError, match="no such key"):
        await db.rename("a", "d")
    assert await db.renamenx("c", "b") is False
    assert await db.renamenx("c", "a") is True
    assert await db.copy("a", "b") is False
    assert await db.copy("a", "b", replace=True) is True
    assert await db.get("b") == "1"
    assert await db.copy("a", "z") is True
    assert await db.unlink("z", "missing") == 1
    assert await db.pttl("a") == -1
    assert await db.pexpire("a", 50_000) is True
    assert 49_000 < await db.pttl("a") <= 50_000
    assert await db.persist("a") is True
    assert await db.persist("a") is False
    assert await db.ttl("a") == -1
    at = int(time.time()) + 1000
    assert await db.expireat("a", at) is True
    assert await db.expiretime("a") == at
    assert await db.expireat("b", datetime.datetime.fromtimestamp(at, datetime.UTC)) is True
    assert await db.expiretime("b") == at
    assert await db.expiretime("l") == -1
    assert await db.expiretime("missing") == -2
    assert await db.pexpire("missing", 10) is False
    assert await db.expireat("l", 1) is True  # in the past: deleted
    assert await db.exists("l") is False
    assert await db.flushdb() is True
    assert await db.dbsize() == 0


async def test_strings(db: kvs.Client[str], backend: str) -> None:
    if await refused(backend, lambda: db.getdel("a"), lambda: db.append("a", "x"),
                     lambda: db.set("a", "v", get=True), lambda: db.incrbyfloat("n", 1.5)):
        return
    assert await db.set("k", "v1", get=True) is None
    assert await db.set("k", "v2", get=True) == "v1"
    assert await db.set("k", "v3", ex=100) is True
    assert await db.set("k", "v4", keepttl=True) is True
    assert 99 <= await db.ttl("k") <= 100
    at = int(time.time()) + 500
    assert await db.set("k", "v5", exat=at) is True
    assert await db.expiretime("k") == at
    assert await db.set("k", "v6", pxat=at * 1000 + 1) is True
    assert await db.execute("PEXPIRETIME", "k") == at * 1000 + 1
    assert await db.getdel("k") == "v6"
    assert await db.getdel("k") is None
    assert await db.getset("g", "1") is None
    assert await db.getset("g", "2") == "1"
    assert await db.getex("g", ex=60) == "2"
    assert 59 <= await db.ttl("g") <= 60
    assert await db.getex("g", persist=True) == "2"
    assert await db.ttl("g") == -1
    assert await db.getex("missing", px=100) is None
    assert await db.setnx("g", "x") is False
    assert await db.setnx("n", "x") is True
    assert await db.setex("s", 30, "v") is True
    assert 29 <= await db.ttl("s") <= 30
    assert await db.setex("s", datetime.timedelta(minutes=1), "v") is True
    assert 59 <= await db.ttl("s") <= 60
    assert await db.append("ap", "ab") == 2
    assert await db.append("ap", "cd") == 4
    assert await db.strlen("ap") == 4
    assert await db.strlen("missing") == 0
    assert await db.getrange("ap", 1, -2) == "bc"
    assert await db.getrange("ap", 10, 20) == ""
    assert await db.getrange("missing", 0, -1) == ""
    assert await db.setrange("ap", 6, "z") == 7
    assert await db.get("ap") == "abcd\x00\x00z"
    assert await db.incrbyfloat("f", 1.5) == 1.5
    assert await db.incrbyfloat("f", -0.25) == 1.25
    assert await db.incrbyfloat("f", 3) == 4.25
    assert await db.get("f") == "4.25"
    assert await db.msetnx({"m1": "a", "m2": "b"}) is True
    assert await db.msetnx({"m2": "c", "m3": "d"}) is False
    assert await db.mget(["m1", "m2", "m3"]) == ["a", "b", None]
    with pytest.raises(kvs.ResponseError):
        await db.incrbyfloat("ap", 1)


async def test_setnx_and_setex_on_every_backend(db: kvs.Client[str], backend: str) -> None:
    assert await db.setnx("k", "v") is True
    assert await db.setnx("k", "w") is False
    assert await db.get("k") == "v"
    assert await db.setex("k", 30, "x") is True
    assert await db.get("k") == "x"
    assert 29 <= await db.ttl("k") <= 30
    with pytest.raises(kvs.ResponseError, match="invalid expire time in 'setex' command"):
        await db.execute("SETEX", "k", 0, "v")
    with pytest.raises(kvs.ResponseError, match="not an integer"):
        await db.execute("SETEX", "k", "soon", "v")
    with pytest.raises(kvs.ResponseError, match="wrong number of arguments for 'setnx'"):
        await db.execute("SETNX", "k")
    assert await db.execute("SETNX", "fresh", "1") == 1


async def test_lists(db: kvs.Client[str], backend: str) -> None:
    if await refused(backend, lambda: db.llen("l"), lambda: db.lmove("a", "b")):
        return
    await db.rpush("l", "a", "b", "c", "b")
    assert await db.llen("l") == 4
    assert await db.llen("missing") == 0
    assert await db.lindex("l", -1) == "b"
    assert await db.lindex("l", 9) is None
    assert await db.lset("l", 0, "A") is True
    with pytest.raises(kvs.ResponseError, match="index out of range"):
        await db.lset("l", 9, "x")
    assert await db.linsert("l", "before", "c", "x") == 5
    assert await db.linsert("l", "AFTER", "nope", "x") == -1
    assert await db.linsert("missing", "after", "a", "x") == 0
    assert await db.lrange("l", 0, -1) == ["A", "b", "x", "c", "b"]
    assert await db.lpos("l", "b") == 1
    assert await db.lpos("l", "b", rank=-1) == 4
    assert await db.lpos("l", "b", count=0) == [1, 4]
    assert await db.lpos("l", "zz") is None
    assert await db.lpos("l", "zz", count=2) == []
    assert await db.lrem("l", 0, "b") == 2
    assert await db.ltrim("l", 0, 1) is True
    assert await db.lrange("l", 0, -1) == ["A", "x"]
    assert await db.lmove("l", "m") == "A"
    assert await db.lmove("l", "m", "right", "left") == "x"
    assert await db.lmove("l", "m") is None
    assert await db.lrange("m", 0, -1) == ["x", "A"]
    assert await db.lmpop(["empty", "m"]) == ("m", ["x"])
    await db.rpush("m", "b", "c")
    assert await db.lmpop(["m"], "right", count=5) == ("m", ["c", "b", "A"])
    assert await db.lmpop(["m", "empty"]) is None


async def test_hashes(db: kvs.Client[str], backend: str) -> None:
    if await refused(backend, lambda: db.hset("h", mapping={"a": 1}), lambda: db.hlen("h")):
        return
    assert await db.hset("h", mapping={"a": 1, "b": "2", "c": b"3"}) == 3
    assert await db.hset("h", "d", 4, mapping={"a": "x"}) == 1
    assert await db.hlen("h") == 4
    assert await db.hexists("h", "a") is True
    assert await db.hexists("h", "zz") is False
    assert sorted(await db.hkeys("h")) == ["a", "b", "c", "d"]
    assert sorted(await db.hvals("h")) == ["2", "3", "4", "x"]
    assert await db.hmget("h", ["a", "zz", "d"]) == ["x", None, "4"]
    assert await db.hdel("h", "a", "zz") == 1
    assert await db.hincrby("h", "n") == 1
    assert await db.hincrby("h", "n", -5) == -4
    assert await db.hincrbyfloat("h", "f", 0.5) == 0.5
    assert await db.hincrbyfloat("h", "f", 2) == 2.5
    assert await db.hsetnx("h", "b", "no") is False
    assert await db.hsetnx("h", "e", "yes") is True
    fields = await db.hgetall("h")
    assert await db.hrandfield("h") in fields
    assert await db.hrandfield("missing") is None
    picked = await db.hrandfield("h", 3)
    assert isinstance(picked, list)
    assert len(set(picked)) == 3
    assert set(picked) <= set(fields)
    with_values = await db.hrandfield("h", -10, withvalues=True)
    assert isinstance(with_values, list)
    assert len(with_values) == 10
    assert all(isinstance(p, tuple) and fields[p[0]] == p[1] for p in with_values)
    assert await db.hrandfield("missing", 2) == []


async def test_sets(db: kvs.Client[str], backend: str) -> None:
    if await refused(backend, lambda: db.srem("s", "a"), lambda: db.sinter("a", "b")):
        return
    await db.sadd("a", "1", "2", "3")
    await db.sadd("b", "2", "3", "4")
    assert await db.srem("a", "3", "9") == 1
    assert await db.sismember("a", "1") is True
    assert await db.sismember("a", "9") is False
    assert await db.smismember("a", ["1", "9", 2]) == [True, False, True]
    assert await db.scard("a") == 2
    assert await db.sinter("a", "b") == {"2"}
    assert await db.sunion("a", "b") == {"1", "2", "3", "4"}
    assert await db.sdiff("b", "a") == {"3", "4"}
    assert await db.sinterstore("i", "a", "b") == 1
    assert await db.sunionstore("u", "a", "b") == 4
    assert await db.sdiffstore("d", "b", "a") == 2
    assert await db.smembers("d") == {"3", "4"}
    assert await db.sintercard(["u", "b"]) == 3
    assert await db.sintercard(["u", "b"], limit=2) == 2
    assert await db.smove("u", "a", "4") is True
    assert await db.smove("u", "a", "4") is False
    assert await db.srandmember("a") in {"1", "2", "4"}
    assert await db.srandmember("missing") is None
    assert sorted(await db.srandmember("a", 5)) == ["1", "2", "4"]
    repeats = await db.srandmember("a", -7)
    assert isinstance(repeats, list)
    assert len(repeats) == 7
    popped = await db.spop("a", 2)
    assert isinstance(popped, set)
    assert len(popped) == 2
    assert popped <= {"1", "2", "4"}
    last = await db.spop("a")
    assert last is not None
    assert {last} | popped == {"1", "2", "4"}
    assert await db.spop("a") is None
    assert await db.spop("a", 3) == set()


async def test_sorted_sets(db: kvs.Client[str], backend: str) -> None:
    if await refused(backend, lambda: db.zadd("z", {"a": 1}), lambda: db.zscore("z", "a"),
                     lambda: db.zrange("z", 0, -1)):
        return
    assert await db.zadd("z", {"a": 1, "b": 2, "c": 3.5, "d": float("inf")}) == 4
    assert await db.zadd("z", {"a": 5}, nx=True) == 0
    assert await db.zadd("z", {"a": 0.5, "e": 9}, xx=True, ch=True) == 1
    assert await db.zadd("z", {"b": 1}, gt=True, ch=True) == 0
    assert await db.zadd("z", {"b": 1.5}, lt=True, ch=True) == 1
    assert await db.zscore("z", "a") == 0.5
    assert await db.zscore("z", "d") == float("inf")
    assert await db.zscore("z", "zz") is None
    assert await db.zmscore("z", ["a", "zz", "c"]) == [0.5, None, 3.5]
    assert await db.zincrby("z", 2, "a") == 2.5
    assert await db.zincrby("z", -1.25, "new") == -1.25
    assert await db.zcard("z") == 5
    assert await db.zcount("z", "-inf", "+inf") == 5
    assert await db.zcount("z", "(1.5", 3.5) == 2
    assert await db.zrank("z", "new") == 0
    assert await db.zrevrank("z", "new") == 4
    assert await db.zrank("z", "zz") is None
    assert await db.zrange("z", 0, -1) == ["new", "b", "a", "c", "d"]
    assert await db.zrange("z", 0, 1, withscores=True) == [("new", -1.25), ("b", 1.5)]
    assert await db.zrange("z", 0, 1, rev=True, withscores=True) == [
        ("d", float("inf")), ("c", 3.5)]
    assert await db.zrange("z", 1, "(3.5", byscore=True) == ["b", "a"]
    assert await db.zrange("z", "+inf", 0, byscore=True, rev=True, offset=1, count=2) == [
        "c", "a"]
    assert await db.zrangebyscore("z", "-inf", 2.5, withscores=True) == [
        ("new", -1.25), ("b", 1.5), ("a", 2.5)]
    assert await db.zrangebyscore("z", 0, "+inf", start=1, num=2) == ["a", "c"]
    assert await db.zrevrange("z", 0, 1) == ["d", "c"]
    assert await db.zrevrange("z", -1, -1, withscores=True) == [("new", -1.25)]
    assert await db.zrangestore("dst", "z", 0, 2) == 3
    assert await db.zrange("dst", 0, -1) == ["new", "b", "a"]
    assert await db.zrangestore("dst", "z", "(0", "+inf", byscore=True) == 4
    await db.zadd("lex", {"a": 0, "b": 0, "c": 0, "d": 0})
    assert await db.zlexcount("lex", "-", "+") == 4
    assert await db.zlexcount("lex", "[b", "(d") == 2
    assert await db.zrange("lex", "[b", "+", bylex=True) == ["b", "c", "d"]
    assert await db.zrange("lex", "+", "(a", bylex=True, rev=True, offset=0, count=2) == [
        "d", "c"]
    assert await db.zrem("lex", "a", "zz") == 1
    assert await db.zremrangebyrank("lex", 0, 0) == 1
    assert await db.zremrangebyscore("z", "-inf", "(0") == 1
    assert await db.zpopmin("z") == [("b", 1.5)]
    assert await db.zpopmax("z", 2) == [("d", float("inf")), ("c", 3.5)]
    assert await db.zpopmin("missing") == []
    assert await db.zpopmax("missing", 3) == []
    assert await db.zrandmember("z") == "a"
    assert await db.zrandmember("missing") is None
    assert await db.zrandmember("z", 2) == ["a"]
    assert await db.zrandmember("z", -3, withscores=True) == [("a", 2.5)] * 3


async def test_sorted_set_algebra(db: kvs.Client[str], backend: str) -> None:
    if await refused(backend, lambda: db.zunionstore("d", ["a"])):
        return
    await db.zadd("a", {"x": 1, "y": 2})
    await db.zadd("b", {"y": 10, "z": 20})
    assert await db.zunionstore("u", ["a", "b"]) == 3
    assert await db.zrange("u", 0, -1, withscores=True) == [("x", 1.0), ("y", 12.0),
                                                           ("z", 20.0)]
    assert await db.zunionstore("u", {"a": 2, "b": 0.5}, aggregate="max") == 3
    assert await db.zrange("u", 0, -1, withscores=True) == [("x", 2.0), ("y", 5.0),
                                                           ("z", 10.0)]
    assert await db.zinterstore("i", ["a", "b"], aggregate="MIN") == 1
    assert await db.zrange("i", 0, -1, withscores=True) == [("y", 2.0)]
    assert await db.zdiffstore("d", ["b", "a"]) == 1
    assert await db.zrange("d", 0, -1, withscores=True) == [("z", 20.0)]
    assert await db.zinterstore("i", ["a", "missing"]) == 0
    assert await db.exists("i") is False


async def test_hyperloglog(db: kvs.Client[str], backend: str) -> None:
    if await refused(backend, lambda: db.pfadd("p", "a"), lambda: db.pfcount("p")):
        return
    assert await db.pfadd("p", "a", "b", "c") is True
    assert await db.pfadd("p", "a", "b") is False
    assert await db.pfadd("fresh") is True
    assert await db.pfadd("fresh") is False
    assert await db.pfcount("p") == 3
    assert await db.pfcount("missing") == 0
    await db.pfadd("q", *range(1000))
    count = await db.pfcount("q")
    assert 980 <= count <= 1020
    assert await db.pfcount("p", "q") == count + 3 or abs(await db.pfcount("p", "q") - count) < 30
    assert await db.pfmerge("m", "p", "q") is True
    assert await db.pfcount("m") == await db.pfcount("p", "q")
    await db.set("text", "not a hll")
    with pytest.raises(kvs.ResponseError) as info:
        await db.pfcount("text")
    assert info.value.code == "WRONGTYPE"


async def test_scan_iterators(db: kvs.Client[str], backend: str) -> None:
    if await refused(backend, lambda: db.scan_iter().__anext__(),
                     lambda: db.hscan_iter("h").__anext__()):
        return
    await db.mset({f"key:{i}": i for i in range(250)})
    await db.rpush("list", "x")
    keys = [key async for key in db.scan_iter(count=20)]
    assert set(keys) == {f"key:{i}" for i in range(250)} | {"list"}
    assert {k async for k in db.scan_iter(match="key:1?")} == {f"key:{i}" for i in range(10, 20)}
    assert [k async for k in db.scan_iter(type="list")] == ["list"]
    await db.hset("h", mapping={f"f{i}": i for i in range(300)})
    assert dict([pair async for pair in db.hscan_iter("h", count=50)]) == {
        f"f{i}": str(i) for i in range(300)}
    assert [p async for p in db.hscan_iter("h", match="f29?")] != []
    await db.sadd("s", *range(200))
    assert {m async for m in db.sscan_iter("s")} == {str(i) for i in range(200)}


async def test_zscan_iterator(db: kvs.Client[str], backend: str) -> None:
    if await refused(backend, lambda: db.zscan_iter("z").__anext__()):
        return
    await db.zadd("z", {f"m{i}": i / 2 for i in range(200)})
    assert sorted([p async for p in db.zscan_iter("z")], key=lambda p: p[1]) == [
        (f"m{i}", i / 2) for i in range(200)]
    assert [p async for p in db.zscan_iter("missing")] == []


async def test_scan_pages(db: kvs.Client[str], backend: str) -> None:
    if await refused(backend, db.scan, lambda: db.hscan("h"), lambda: db.sscan("s"),
                     lambda: db.zscan("z")):
        return
    await db.mset({f"k{i}": i for i in range(40)})
    cursor, keys = await db.scan(0, count=10)
    collected = set(keys)
    while cursor:
        cursor, keys = await db.scan(cursor, match="k*", count=10)
        collected |= set(keys)
    assert collected == {f"k{i}" for i in range(40)}
    await db.hset("h", mapping={"f": "v"})
    assert await db.hscan("h") == (0, {"f": "v"})
    await db.sadd("s", "m")
    assert await db.sscan("s", match="m*") == (0, ["m"])
    if backend != "memory":  # no ZSCAN in the memory store yet (test_zscan_iterator)
        await db.zadd("z", {"a": 1.5})
        assert await db.zscan("z") == (0, [("a", 1.5)])


async def test_scan_keeps_its_guarantee_while_keys_change(db: kvs.Client[str],
                                                          backend: str) -> None:
    if backend == "memcached":
        return
    await db.mset({f"stay:{i}": i for i in range(500)})
    seen: set[str] = set()
    added = 0
    async for key in db.scan_iter(count=25):
        seen.add(key)
        await db.set(f"new:{added}", 1)  # the keyspace grows (and rehashes) meanwhile
        added += 1
        if added % 7 == 0:
            await db.delete(f"new:{added // 2}")
    assert {f"stay:{i}" for i in range(500)} <= seen


async def test_scan_is_cancellable(db: kvs.Client[str], backend: str) -> None:
    if backend == "memcached":
        return
    await db.mset({f"k{i}": i for i in range(100)})
    got: list[str] = []
    with trio.move_on_after(0) as scope:  # every page is a cancel point
        async for key in db.scan_iter(count=10):
            got.append(key)
    assert scope.cancelled_caught
    assert got == []
    assert await db.dbsize() == 100  # the client still works


async def test_arguments_are_checked_before_any_io(db: kvs.Client[str]) -> None:
    with pytest.raises(TypeError, match="zadd: score must be int or float, not str"):
        await db.zadd("z", {"a": "1"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zadd: give nx or xx"):
        await db.zadd("z", {"a": 1}, nx=True, xx=True)
    with pytest.raises(ValueError, match="zrange: offset and count need byscore or bylex"):
        await db.zrange("z", 0, 1, offset=0, count=1)
    with pytest.raises(ValueError, match="zrange: withscores is not supported with bylex"):
        await db.zrange("z", "-", "+", bylex=True, withscores=True)
    with pytest.raises(ValueError, match="zlexcount: min must start with"):
        await db.zlexcount("z", "a", "+")
    with pytest.raises(TypeError, match="zrange: start must be int, not str"):
        await db.zrange("z", "0", 1)
    with pytest.raises(ValueError, match="linsert: where must be one of BEFORE, AFTER"):
        await db.linsert("l", "middle", "a", "b")
    with pytest.raises(TypeError, match="hmget: fields must be a list of keys, not str"):
        await db.hmget("h", "f")
    with pytest.raises(ValueError, match="set: give one of ex, px, exat, pxat and keepttl"):
        await db.set("k", "v", ex=1, keepttl=True)
    with pytest.raises(TypeError, match="scan: count must be int"):
        db.scan_iter(count="10")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sscan: count must be positive"):
        db.sscan_iter("s", count=0)
    with pytest.raises(TypeError, match="pfadd: element must be"):
        await db.pfadd("p", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="hset: give field and value together"):
        await db.hset("h", "f")


def test_sync_scan_iterators(url: str, backend: str) -> None:
    if backend == "memcached":
        with kvs.sync.connect(url) as sdb, pytest.raises(kvs.UnsupportedOperation):
            next(sdb.scan_iter())
        return
    with kvs.sync.connect(url) as sdb:
        sdb.mset({f"k{i}": i for i in range(120)})
        assert set(sdb.scan_iter(match="k*", count=7)) == {f"k{i}" for i in range(120)}
        sdb.zadd("z", {"a": 1, "b": 2})
        if backend != "memory":  # no ZSCAN in the memory store yet (test_zscan_iterator)
            assert sorted(sdb.zscan_iter("z")) == [("a", 1.0), ("b", 2.0)]
        assert sdb.zrange("z", 0, -1, withscores=True) == [("a", 1.0), ("b", 2.0)]
        sdb.hset("h", mapping={"f": "v"})
        assert list(sdb.hscan_iter("h")) == [("f", "v")]
        assert list(sdb.sscan_iter("missing")) == []


async def test_binary_values_without_decoding(url: str, backend: str) -> None:
    if backend == "memcached":
        return
    async with kvs.connect(url, decode=False) as raw:
        await raw.zadd("z", {b"\x00\xff": 1.5, b"\r\n": 2})
        assert await raw.zrange("z", 0, -1, withscores=True) == [(b"\x00\xff", 1.5),
                                                                (b"\r\n", 2.0)]
        assert await raw.zpopmax("z") == [(b"\r\n", 2.0)]
        await raw.hset("h", mapping={b"\x01": b"\x02"})
        assert [p async for p in raw.hscan_iter("h")] == [(b"\x01", b"\x02")]
        assert await raw.lmpop(["none", "h2"]) is None
        await raw.rpush("l", b"\xfe")
        assert await raw.lmpop(["l"]) == (b"l", [b"\xfe"])
        assert await raw.type("l") == "none"
