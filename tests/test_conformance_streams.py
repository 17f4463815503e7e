"""Streams through the public API on every backend: `:memory:`, redis-server over RESP3
and over RESP2 (the same results on both: the decoders hide the protocol), and memcached,
which refuses them before any I/O; and the same calls through `kvs.sync`.
"""

from __future__ import annotations

import pytest
import trio

import kvs
import kvs.sync
from kvs.commands import streamgroups, streams
from tests.test_conformance_types import backend, db, url

__all__ = ["backend", "db", "url"]  # the fixtures, shared with test_conformance_types


async def test_entries_and_ranges(db: kvs.Client[str], backend: str) -> None:
    if backend == "memcached":
        for call in (lambda: db.xadd("s", {"f": 1}), lambda: db.xrange("s"),
                     lambda: db.xread({"s": 0}), lambda: db.xinfo_stream("s")):
            with pytest.raises(kvs.UnsupportedOperation, match="memcached"):
                await call()
        return
    assert await db.xadd("s", {"f": 1, "g": "x"}, id="1-1") == "1-1"
    assert await db.xadd("s", {"f": 2}, id="1-*") == "1-2"
    assert await db.xadd("s", {"f": 3}, id=5) == "5-0"
    auto = await db.xadd("auto", {"f": 4})
    assert isinstance(auto, str) and auto.endswith("-0") and int(auto.split("-")[0]) > 0
    assert await db.xadd("missing", {"f": 1}, nomkstream=True) is None
    assert await db.xlen("s") == 3
    assert await db.xrange("s", "-", "5") == [("1-1", {"f": "1", "g": "x"}), ("1-2", {"f": "2"}),
                                             ("5-0", {"f": "3"})]
    assert await db.xrange("s", "(1-1", "+", count=1) == [("1-2", {"f": "2"})]
    assert [e[0] for e in await db.xrevrange("s", "5", count=2)] == ["5-0", "1-2"]
    assert await db.xrange("missing") == []
    assert await db.xdel("s", "1-2", "9-9") == 1
    assert await db.xtrim("s", maxlen=1, approximate=False) == 1
    assert await db.xlen("s") == 1
    assert await db.xadd("s", {"f": 5}, id="6-0", minid="6", approximate=False) == "6-0"
    assert await db.xtrim("s", minid=0) == 0
    assert await db.xtrim("s", maxlen=5) == 0
    assert await db.xrange("s") == [("6-0", {"f": "5"})]
    with pytest.raises(kvs.ResponseError, match="equal or smaller"):
        await db.xadd("s", {"f": 1}, id="1-1")
    assert await db.xread({"s": "0", "missing": "0"}) == {
        "s": await db.xrange("s")}
    assert await db.xread({"s": "$"}) == {}
    assert await db.xread({"s": "0"}, count=1) == {"s": (await db.xrange("s"))[:1]}
    await db.set("str", "x")
    with pytest.raises(kvs.ResponseError, match="WRONGTYPE"):
        await db.xlen("str")
    assert await db.type("s") == "stream"


async def test_consumer_groups(db: kvs.Client[str], backend: str) -> None:
    if backend == "memcached":
        with pytest.raises(kvs.UnsupportedOperation, match="memcached"):
            await db.xreadgroup("g", "c", {"s": ">"})
        return
    assert await db.xgroup_create("jobs", "workers", id="0", mkstream=True) is True
    with pytest.raises(kvs.ResponseError, match="BUSYGROUP"):
        await db.xgroup_create("jobs", "workers")
    for n in range(1, 4):
        await db.xadd("jobs", {"n": n}, id=f"{n}-0")
    got = await db.xreadgroup("workers", "alice", {"jobs": ">"}, count=2)
    assert got == {"jobs": [("1-0", {"n": "1"}), ("2-0", {"n": "2"})]}
    assert await db.xreadgroup("workers", "bob", {"jobs": ">"}) == {"jobs": [("3-0", {"n": "3"})]}
    assert await db.xreadgroup("workers", "bob", {"jobs": ">"}) == {}
    summary = await db.xpending("jobs", "workers")
    assert summary == {"pending": 3, "min": "1-0", "max": "3-0",
                       "consumers": [{"name": "alice", "pending": 2},
                                     {"name": "bob", "pending": 1}]}
    rows = await db.xpending("jobs", "workers", "-", "+", 10, consumer="alice")
    assert [(r["message_id"], r["consumer"], r["times_delivered"]) for r in rows] == [
        ("1-0", "alice", 1), ("2-0", "alice", 1)]
    assert all(isinstance(r["time_since_delivered"], int) for r in rows)
    assert await db.xack("jobs", "workers", "1-0", "9-0") == 1
    # alice "crashed" with 2-0 pending: carol reclaims it.
    cursor, claimed, deleted = await db.xautoclaim("jobs", "workers", "carol", 0, "0-0",
                                                   count=1)
    assert (cursor, claimed, deleted) == ("3-0", [("2-0", {"n": "2"})], [])
    assert await db.xclaim("jobs", "workers", "alice", 0, ["3-0"], justid=True) == ["3-0"]
    assert await db.xclaim("jobs", "workers", "bob", 0, ["3-0"], retrycount=5) == [
        ("3-0", {"n": "3"})]
    await db.xdel("jobs", "2-0")
    history = await db.xreadgroup("workers", "carol", {"jobs": "0"})
    assert history == {"jobs": [("2-0", None)]}  # pending, but deleted from the stream
    assert await db.xautoclaim("jobs", "workers", "dave", 0, justid=True) == (
        "0-0", ["3-0"], ["2-0"])
    assert await db.xgroup_createconsumer("jobs", "workers", "erin") is True
    assert await db.xgroup_createconsumer("jobs", "workers", "erin") is False
    assert await db.xgroup_delconsumer("jobs", "workers", "dave") == 1
    consumers = await db.xinfo_consumers("jobs", "workers")
    assert [c["name"] for c in consumers] == ["alice", "bob", "carol", "erin"]
    assert set(consumers[0]) == {"name", "pending", "idle"}
    groups = await db.xinfo_groups("jobs")
    assert groups == [{"name": "workers", "consumers": 4, "pending": 0,
                       "last-delivered-id": "3-0", "entries-read": 3, "lag": 0}]
    assert await db.xgroup_setid("jobs", "workers", "0", entries_read=0) is True
    assert (await db.xinfo_groups("jobs"))[0]["lag"] is None  # a deleted entry in the way
    assert await db.xreadgroup("workers", "erin", {"jobs": ">"}, noack=True) == {
        "jobs": [("1-0", {"n": "1"}), ("3-0", {"n": "3"})]}
    assert (await db.xpending("jobs", "workers"))["pending"] == 0
    info = await db.xinfo_stream("jobs")
    assert info["length"] == 2 and info["groups"] == 1
    assert info["first-entry"] == ("1-0", {"n": "1"})
    assert info["last-entry"] == ("3-0", {"n": "3"})
    assert info["max-deleted-entry-id"] == "2-0"
    assert info["recorded-first-entry-id"] == "1-0"
    full = await db.xinfo_stream("jobs", full=True)
    assert full["entries"] == [("1-0", {"n": "1"}), ("3-0", {"n": "3"})]
    assert full["groups"][0]["name"] == "workers"
    assert [c["name"] for c in full["groups"][0]["consumers"]] == ["alice", "bob", "carol",
                                                                   "erin"]
    assert await db.xgroup_destroy("jobs", "workers") is True
    assert await db.xgroup_destroy("jobs", "workers") is False
    with pytest.raises(kvs.ResponseError, match="NOGROUP"):
        await db.xreadgroup("workers", "c", {"jobs": ">"})


async def test_bytes_without_decoding(url: str, backend: str) -> None:
    if backend == "memcached":
        return
    async with kvs.connect(url, decode=False) as db:
        assert await db.xadd(b"b", {b"\xff": b"\x00"}, id=b"1-1") == b"1-1"
        assert await db.xrange(b"b") == [(b"1-1", {b"\xff": b"\x00"})]
        assert await db.xread({b"b": b"0"}) == {b"b": [(b"1-1", {b"\xff": b"\x00"})]}
        await db.xgroup_create(b"b", b"g", b"0")
        assert await db.xreadgroup(b"g", b"c", {b"b": b">"}) == {
            b"b": [(b"1-1", {b"\xff": b"\x00"})]}
        assert (await db.xpending(b"b", b"g"))["min"] == b"1-1"
        assert (await db.xinfo_stream(b"b"))["last-generated-id"] == b"1-1"


async def test_blocking_reads_on_redis(redis_url: str) -> None:
    # On :memory: a blocked read waits in the store's wait machinery (kvs.memory.waiting).
    async with kvs.connect(redis_url) as db:
        await db.xgroup_create("q", "g", "$", mkstream=True)
        with trio.fail_after(5):
            assert await db.xread({"q": "$"}, block=50) is None
            assert await db.xreadgroup("g", "c", {"q": ">"}, block=50) is None

        async def produce() -> None:
            await trio.sleep(0.1)
            await db.xadd("q", {"job": 1}, id="1-0")

        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(produce)
                got = await db.xreadgroup("g", "c", {"q": ">"}, block=0)
        assert got == {"q": [("1-0", {"job": "1"})]}
        assert await db.xread({"q": "0"}, block=10) == got


def test_sync_client(url: str, backend: str) -> None:
    if backend == "memcached":
        with kvs.sync.connect(url) as db, pytest.raises(kvs.UnsupportedOperation):
            db.xlen("s")
        return
    with kvs.sync.connect(url) as db:
        assert db.xadd("s", {"a": 1}, id="1-0") == "1-0"
        assert db.xgroup_create("s", "g", "0") is True
        assert db.xreadgroup("g", "c", {"s": ">"}) == {"s": [("1-0", {"a": "1"})]}
        assert db.xack("s", "g", "1-0") == 1
        assert db.xrange("s") == [("1-0", {"a": "1"})]
        assert db.xinfo_groups("s")[0]["pending"] == 0


def test_argument_checks_before_io() -> None:
    with pytest.raises(ValueError, match="maxlen or minid, not both"):
        streams.xadd("s", {"f": 1}, maxlen=1, minid="1")
    with pytest.raises(ValueError, match="limit needs approximate"):
        streams.xtrim("s", maxlen=1, approximate=False, limit=5)
    with pytest.raises(ValueError, match="fields must not be empty"):
        streams.xadd("s", {})
    with pytest.raises(TypeError, match="fields must be a mapping"):
        streams.xadd("s", [("f", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="streams must be a mapping"):
        streams.xread(["s"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="give min, max and count together"):
        streamgroups.xpending("s", "g", "-", "+")
    with pytest.raises(TypeError, match="id must be"):
        streams.xadd("s", {"f": 1}, id=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count must be at least 1"):
        streams.xread({"s": 0}, count=0)
    assert streams.xadd("s", {"f": 1}, maxlen=10).argv == (
        b"XADD", b"s", b"MAXLEN", b"~", b"10", b"*", b"f", b"1")
    assert streams.xadd("s", {"f": 1}, minid="5-0", approximate=False,
                        nomkstream=True).argv == (
        b"XADD", b"s", b"NOMKSTREAM", b"MINID", b"=", b"5-0", b"*", b"f", b"1")
    assert streamgroups.xreadgroup("g", "c", {"s": ">"}, count=5, block=0, noack=True).argv == (
        b"XREADGROUP", b"GROUP", b"g", b"c", b"COUNT", b"5", b"BLOCK", b"0", b"NOACK",
        b"STREAMS", b"s", b">")
    # Retries: reads only; XREADGROUP never, history or not.
    assert streams.xrange("s").idempotent and streams.xread({"s": 0}).idempotent
    assert not streams.xadd("s", {"f": 1}, id="1-1").idempotent
    assert not streamgroups.xreadgroup("g", "c", {"s": "0"}).idempotent
    assert not streamgroups.xreadgroup("g", "c", {"s": ">"}).idempotent
    assert not streamgroups.xack("s", "g", "1-1").idempotent


def test_resp2_shapes_decode_like_resp3() -> None:
    call = streams.xread({"s": 0})
    resp3 = {b"s": [[b"1-0", [b"f", b"v"]]]}
    resp2 = [[b"s", [[b"1-0", [b"f", b"v"]]]]]
    assert call.decode(resp3, True) == call.decode(resp2, True) == {"s": [("1-0", {"f": "v"})]}
    assert call.decode(None, True) == {}
    assert streams.xread({"s": 0}, block=1).decode(None, True) is None
    info = streamgroups.xinfo_groups("s")
    row3 = [{b"name": b"g", b"lag": None}]
    row2 = [[b"name", b"g", b"lag", None]]
    assert info.decode(row3, True) == info.decode(row2, True) == [{"name": "g", "lag": None}]
    with pytest.raises(kvs.ProtocolError):
        streams.xrange("s").decode(b"nope", True)


async def test_stream_queue_example_on_redis(redis_url: str) -> None:
    from tests.test_examples import check_stream_queue

    async with kvs.connect(redis_url) as db:
        await check_stream_queue(db)


async def test_in_pipelines_and_transactions(db: kvs.Client[str], backend: str) -> None:
    if backend == "memcached":
        with pytest.raises(kvs.UnsupportedOperation, match="memcached"):
            await db.pipeline().xadd("p", {"f": 1}).execute()
        return
    replies = await (db.pipeline().xadd("p", {"f": 1}, id="1-0").xadd("p", {"f": 2}, id="2-0")
                     .xrange("p").xlen("p").execute())
    assert replies == ["1-0", "2-0", [("1-0", {"f": "1"}), ("2-0", {"f": "2"})], 2]
    replies = await (db.transaction().xgroup_create("p", "g", id="0")
                     .xreadgroup("g", "c", {"p": ">"}, count=1).xpending("p", "g").execute())
    assert replies[1] == {"p": [("1-0", {"f": "1"})]}
    assert replies[2]["pending"] == 1


async def test_memcached_refuses_every_stream_operation(memcached_url: str) -> None:
    from kvs.commands import OPERATIONS
    from tests.test_command_keys import _sample_call

    names = [name for name in OPERATIONS if name.startswith("x")]
    assert len(names) == 20
    async with kvs.connect(memcached_url) as db:
        for name in names:
            call = _sample_call(name)
            with pytest.raises(kvs.UnsupportedOperation, match="memcached"):
                await db.execute(*call.argv)
