"""Pipelines and transactions on the trio client (SPEC §5), on Redis, `:memory:` and
memcached: results decoded as the single calls, errors with their index, EXECABORT,
retry safety under a cut connection, and one write per batch."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import trio

import kvs
from tests.faultproxy import FaultProxy
from tests.servers import RedisServer


@pytest.fixture(params=["redis", "memory"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "redis":
        yield request.getfixturevalue("redis_url")
    else:
        yield f"memory://pipelines-{uuid.uuid4().hex}"


async def test_pipeline_results_are_the_single_calls_results(url: str) -> None:
    async with kvs.connect(url) as db:
        p = db.pipeline()
        assert p.set("a", "1").incr("hits").get("a") is p
        assert len(p) == 3
        assert await p.execute() == [True, 1, "1"]
        assert len(p) == 0  # empty and reusable
        p.hset("h", "f", 2).hgetall("h").mget(["a", "nope"]).mset({}).exists("a")
        p.rpush("l", "x", "y").lrange("l", 0, -1).sadd("s", "m").smembers("s").ttl("a")
        assert await p.execute() == [True, {"f": "2"}, ["1", None], True, True, 2,
                                     ["x", "y"], 1, {"m"}, -1]
        assert await p.execute() == []


async def test_pipeline_of_bytes_client(url: str) -> None:
    async with kvs.connect(url, decode=False) as db:
        assert await db.pipeline().set("k", b"\xff").get("k").execute() == [True, b"\xff"]


async def test_bad_argument_raises_at_queue_time(url: str) -> None:
    async with kvs.connect(url) as db:
        p = db.pipeline()
        with pytest.raises(TypeError, match="get: key must be str or bytes, not int"):
            p.get(1)  # type: ignore[arg-type]
        assert len(p) == 0
        with pytest.raises(TypeError, match="incr: amount must be int"):
            db.transaction().incr("k", 1.5)  # type: ignore[arg-type]


async def test_pipeline_errors_carry_their_index(url: str) -> None:
    async with kvs.connect(url) as db:
        await db.set("str", "x")
        p = db.pipeline().incr("n").lpush("str", "v").get("str").incr("str")
        with pytest.raises(kvs.ResponseError) as info:
            await p.execute()
        assert info.value.code == "WRONGTYPE"
        assert info.value.index == 1
        assert "command 1 of the pipeline, LPUSH" in str(info.value)
        assert await db.get("n") == "1"  # the others ran: a pipeline is not atomic
        results = await db.pipeline().incr("n").incr("str").get("n").execute(
            raise_on_error=False)
        assert results[0] == 2 and results[2] == "2"
        assert isinstance(results[1], kvs.ResponseError) and results[1].index == 1


async def test_transaction_runs_and_decodes(url: str) -> None:
    async with kvs.connect(url) as db:
        await db.set("stock", 8)
        tx = db.transaction()
        tx.incr("stock").rpush("orders", "o-17")
        assert await tx.execute() == [9, 1]
        assert len(tx) == 0
        assert await tx.get("stock").exists("orders").execute() == ["9", True]
        assert await db.transaction().execute() == []


async def test_execabort_nothing_ran(url: str) -> None:
    async with kvs.connect(url) as db:
        tx = db.transaction().incr("n").execute_command("SET", "k").incr("n")
        with pytest.raises(kvs.ResponseError) as info:
            await tx.execute(raise_on_error=False)  # refused at queue time: always raised
        assert info.value.code == "EXECABORT"
        assert info.value.index == 1
        assert "refused when queued" in str(info.value)
        assert "wrong number of arguments for 'set'" in str(info.value)
        assert await db.get("n") is None


async def test_error_inside_exec_the_others_ran(url: str) -> None:
    async with kvs.connect(url) as db:
        await db.set("str", "x")
        tx = db.transaction().incr("n").lpush("str", "v").incr("n")
        with pytest.raises(kvs.ResponseError) as info:
            await tx.execute()
        assert info.value.code == "WRONGTYPE" and info.value.index == 1
        assert "failed inside EXEC" in str(info.value)
        assert await db.get("n") == "2"
        results = await db.transaction().incr("n").lpush("str", "v").execute(
            raise_on_error=False)
        assert results[0] == 3 and isinstance(results[1], kvs.ResponseError)


async def test_connection_state_commands_are_refused(url: str) -> None:
    async with kvs.connect(url) as db:
        with pytest.raises(kvs.UnsupportedOperation, match="MULTI"):
            await db.pipeline().execute_command("MULTI").execute()
        with pytest.raises(kvs.UnsupportedOperation, match="WATCH"):
            await db.transaction().execute_command("WATCH", "k").execute()
        with pytest.raises(kvs.UnsupportedOperation, match=r"(?i)blpop"):
            # it would block every task of the shared connection
            await db.pipeline().get("k").execute_command("BLPOP", "l", 1).execute()
        assert await db.ping() is True


async def test_transaction_is_atomic_against_other_tasks(url: str) -> None:
    """Other tasks hammer the same key while transactions read-modify-write it; nothing of
    theirs lands inside a MULTI/EXEC."""
    async with kvs.connect(url) as db:
        await db.set("k", "0")
        seen: list[list[object]] = []

        async def transact() -> None:
            for _ in range(30):
                seen.append(await db.transaction().set("k", "mine").get("k").execute())

        async def other() -> None:
            for i in range(100):
                await db.set("k", f"other-{i}")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(transact)
            nursery.start_soon(other)
            nursery.start_soon(other)
        assert seen == [[True, "mine"]] * 30


async def test_memcached_pipeline_one_round_trip_per_server(memcached_url: str) -> None:
    async with kvs.connect(memcached_url) as db:
        keys = [f"k{i}" for i in range(30)]
        p = db.pipeline()
        for i, key in enumerate(keys):
            p.set(key, i)
        p.incr("k0").mget(keys[:5]).delete("k1").exists("k1").get("missing")
        results = await p.execute()
        assert results == [True] * 30 + [1, ["1", "1", "2", "3", "4"], 1, False, None]
        with pytest.raises(kvs.UnsupportedOperation, match="lpush"):
            # planned at execute, before any I/O: the whole batch is refused
            await db.pipeline().set("a", 1).lpush("l", "x").execute()
        assert await db.get("a") is None  # nothing was sent
        with pytest.raises(kvs.UnsupportedOperation, match="transaction is not supported by "
                                                           "the memcached backend"):
            db.transaction()
        with pytest.raises(kvs.UnsupportedOperation, match="watch is not supported"):
            db.watch("k")


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the writes of every trio socket transport (each ``try_send``/``send_all``)."""
    from kvs.net import transport

    count = [0]
    try_send, send_all = transport.SocketTransport.try_send, transport.SocketTransport.send_all

    def counted_try_send(self: transport.SocketTransport, data: bytes | memoryview) -> int:
        count[0] += 1
        return try_send(self, data)

    async def counted_send_all(self: transport.SocketTransport,
                               data: bytes | memoryview) -> None:
        count[0] += 1
        await send_all(self, data)

    monkeypatch.setattr(transport.SocketTransport, "try_send", counted_try_send)
    monkeypatch.setattr(transport.SocketTransport, "send_all", counted_send_all)
    return count


async def test_memcached_pipeline_one_write_per_server(memcached_single_url: str,
                                                       writes: list[int]) -> None:
    async with kvs.connect(memcached_single_url) as db:
        await db.ping()
        before = writes[0]
        assert await db.pipeline().set("x", 1).get("x").incr("x").get("y").execute() == [
            True, "1", 2, None]
        assert writes[0] - before == 1


async def test_pipeline_and_transaction_are_one_write_each(redis_url: str,
                                                          writes: list[int]) -> None:
    async with kvs.connect(redis_url) as db:
        await db.ping()
        before = writes[0]
        p = db.pipeline()
        for i in range(100):
            p.set(f"k{i}", i)
        await p.execute()
        assert writes[0] - before == 1
        tx = db.transaction()
        for _ in range(10):
            tx.incr("n")
        assert await tx.execute() == list(range(1, 11))
        assert writes[0] - before == 2


async def test_cut_transaction_with_incr_never_runs_twice(
        redis_server: RedisServer, redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis")) as db:
        assert await db.ping() is True
        tx = db.transaction().incr("counter")
        request = len(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$6\r\nINCRBY\r\n$7\r\ncounter\r\n$1\r\n1\r\n"
                      b"*1\r\n$4\r\nEXEC\r\n")
        redis_proxy.cut_after(request, "up")
        with pytest.raises(kvs.ConnectionError) as info:
            await tx.execute()
        assert info.value.sent is True
        assert redis_server.command("GET", "counter") == b"1"


async def test_cut_pipeline_with_incr_never_runs_twice(
        redis_server: RedisServer, redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis")) as db:
        assert await db.ping() is True
        p = db.pipeline().get("a").incr("counter")
        request = len(b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n"
                      b"*3\r\n$6\r\nINCRBY\r\n$7\r\ncounter\r\n$1\r\n1\r\n")
        redis_proxy.cut_after(request, "up")
        with pytest.raises(kvs.ConnectionError):
            await p.execute()
        assert redis_server.command("GET", "counter") == b"1"
        assert await db.pipeline().incr("counter").execute() == [2]


async def test_cut_idempotent_pipeline_is_retried(redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis")) as db:
        await db.set("a", "1")
        p = db.pipeline().get("a").set("b", "2").get("b")
        redis_proxy.cut_after(len(b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n"), "up")
        assert await p.execute() == ["1", True, "2"]
        assert redis_proxy.connections == 2


async def test_cancellation_storm_never_desynchronises(redis_url: str) -> None:
    """Single commands, pipelines and transactions under random deadlines: whatever is
    cancelled, every reply that does arrive is the right one."""
    import random

    rand = random.Random(12)
    async with kvs.connect(redis_url) as db:
        await db.mset({f"k{i}": f"v{i}" for i in range(20)})
        checked = 0

        async def worker(seed: int) -> None:
            nonlocal checked
            local = random.Random(seed)
            for _ in range(60):
                i = local.randrange(20)
                with trio.move_on_after(local.choice([0, 0.0001, 0.0005, 0.002, 1])):
                    kind = local.randrange(3)
                    if kind == 0:
                        assert await db.get(f"k{i}") == f"v{i}"
                    elif kind == 1:
                        p = db.pipeline()
                        for j in range(i, i + 10):
                            p.get(f"k{j % 20}")
                        assert await p.execute() == [f"v{j % 20}" for j in range(i, i + 10)]
                    else:
                        tx = db.transaction().get(f"k{i}").exists(f"k{i}")
                        assert await tx.execute() == [f"v{i}", True]
                    checked += 1

        async with trio.open_nursery() as nursery:
            for _ in range(8):
                nursery.start_soon(worker, rand.randrange(1 << 30))
        assert checked > 0
        p = db.pipeline()
        for i in range(20):
            p.get(f"k{i}")
        assert await p.execute() == [f"v{i}" for i in range(20)]
