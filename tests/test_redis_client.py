"""The trio client on a real redis-server: the seed's results, sharing, faults, transports."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
import trio

import kvs
from tests.faultproxy import FaultProxy
from tests.servers import RedisServer


async def test_seed_examples(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        assert await db.set("user:1", "Alice") is True
        assert await db.get("user:1") == "Alice"
        assert await db.get("missing") is None
        assert await db.set("user:1", "Bob", nx=True) is False
        assert await db.set("nobody", "x", xx=True) is False
        assert await db.set("user:1", "Bob", xx=True) is True
        assert await db.exists("user:1") is True
        assert await db.exists("missing") is False
        assert await db.set("tmp", 1, ex=100) is True
        assert 99 <= await db.ttl("tmp") <= 100
        assert await db.ttl("user:1") == -1
        assert await db.ttl("missing") == -2
        assert await db.expire("user:1", 50) is True
        assert await db.expire("missing", 50) is False
        assert await db.set("p", "v", px=100_000) is True
        assert await db.ttl("p") in (99, 100)
        assert sorted(await db.keys("*")) == ["p", "tmp", "user:1"]
        assert await db.keys("user:[0-9]") == ["user:1"]
        assert await db.delete("user:1", "tmp", "missing") == 2
        assert await db.incr("hits") == 1
        assert await db.incr("hits", 10) == 11
        assert await db.decr("hits") == 10
        assert await db.decr("hits", 20) == -10
        assert await db.lpush("queue", "a", "b") == 2
        assert await db.rpush("queue", "c") == 3
        assert await db.lrange("queue", 0, -1) == ["b", "a", "c"]
        assert await db.lrange("queue", -2, 100) == ["a", "c"]
        assert await db.lpop("queue") == "b"
        assert await db.rpop("queue") == "c"
        assert await db.rpop("queue") == "a"
        assert await db.lpop("queue") is None
        assert await db.hset("h", "f", "1") is True
        assert await db.hset("h", "f", "2") is False
        assert await db.hget("h", "f") == "2"
        assert await db.hget("h", "nope") is None
        assert await db.hgetall("h") == {"f": "2"}
        assert await db.hgetall("missing") == {}
        assert await db.sadd("s", "x", "y", "x") == 2
        assert await db.smembers("s") == {"x", "y"}
        assert await db.smembers("missing") == set()
        assert await db.mset({"a": 1, "b": b"\x00\xff", "c": True}) is True
        assert await db.mget(["a", "zz", "c"]) == ["1", None, "1"]
        assert await db.mget([]) == []
        assert await db.ping() is True
        assert await db.execute("ECHO", "hi") == "hi"
        assert await db.execute("SET", "f", 1.5) == "OK"
        assert await db.get("f") == "1.5"


async def test_decode_false_returns_bytes(redis_url: str) -> None:
    async with kvs.connect(redis_url, decode=False) as db:
        await db.set(b"k\x00", b"\xff\xfe")
        assert await db.get(b"k\x00") == b"\xff\xfe"
        await db.hset("h", "f", "v")
        assert await db.hgetall("h") == {b"f": b"v"}
        await db.sadd("s", "m")
        assert await db.smembers("s") == {b"m"}
        assert await db.keys("k*") == [b"k\x00"]
        assert await db.execute("GET", "k\x00") == b"\xff\xfe"


async def test_errors_from_the_server(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        await db.set("str", "abc")
        with pytest.raises(kvs.ResponseError) as info:
            await db.lpush("str", "x")
        assert info.value.code == "WRONGTYPE"
        with pytest.raises(kvs.ResponseError) as info:
            await db.incr("str")
        assert info.value.code == "ERR"
        assert "not an integer" in info.value.message
        with pytest.raises(kvs.ResponseError):
            await db.execute("NOSUCHCOMMAND")
        with pytest.raises(kvs.UnsupportedOperation, match="MULTI"):
            await db.execute("MULTI")
        assert await db.get("str") == "abc"  # the connection is still fine


async def test_argument_type_errors_name_the_call(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        with pytest.raises(TypeError, match="get: key must be str or bytes, not int"):
            await db.get(1)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="set: value must be"):
            await db.set("k", None)  # type: ignore[call-overload]
        with pytest.raises(TypeError, match="incr: amount must be int"):
            await db.incr("k", 1.5)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="nx or xx"):
            await db.set("k", "v", nx=True, xx=True)
        with pytest.raises(TypeError, match="mget: keys must be a list"):
            await db.mget("abc")


async def test_one_connection_per_url(redis_server: RedisServer, redis_url: str) -> None:
    before = redis_server.client_count()
    async with kvs.connect(redis_url) as a, kvs.connect(redis_url + "/0") as b:
        await a.set("k", "1")
        assert await b.get("k") == "1"
        assert redis_server.client_count() == before + 1
        async with kvs.connect(redis_url, decode=False) as c:  # other options: its own
            assert await c.get("k") == b"1"
            assert redis_server.client_count() == before + 2
    await trio.sleep(0.05)
    assert redis_server.client_count() == before


async def test_many_tasks_get_their_own_replies(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:

        async def worker(n: int) -> None:
            for i in range(500):
                value = f"{n}-{i}-{random.random()}"
                await db.set(f"k{n}", value)
                assert await db.get(f"k{n}") == value

        async with trio.open_nursery() as nursery:
            for n in range(64):
                nursery.start_soon(worker, n)


async def test_cancellation_storm(redis_url: str) -> None:
    rng = random.Random(7)
    async with kvs.connect(redis_url) as db:
        cancelled = 0

        async def victim(n: int) -> None:
            nonlocal cancelled
            for i in range(40):
                with trio.move_on_after(rng.random() * 0.002) as scope:
                    await db.set(f"c{n}", f"{n}:{i}")
                    assert await db.get(f"c{n}") == f"{n}:{i}"
                    assert await db.incr(f"n{n}") > 0
                cancelled += scope.cancelled_caught

        async with trio.open_nursery() as nursery:
            for n in range(50):
                nursery.start_soon(victim, n)
        assert cancelled > 0
        for n in range(50):
            token = f"after-{n}"
            await db.set(f"c{n}", token)
            assert await db.get(f"c{n}") == token
        assert await db.ping() is True


async def test_server_restart_recovers(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory()
    async with kvs.connect(server.url) as db:
        await db.set("k", "v")
        server.kill()
        with pytest.raises(kvs.ConnectionError):
            await db.get("k")
        server.restart()
        assert await db.ping() is True
        assert await db.set("k", "again") is True
        assert await db.get("k") == "again"


async def test_cut_after_incr_reached_the_server_never_runs_twice(
        redis_server: RedisServer, redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis")) as db:
        assert await db.ping() is True
        request = len(b"*3\r\n$6\r\nINCRBY\r\n$7\r\ncounter\r\n$1\r\n1\r\n")
        redis_proxy.cut_after(request, "up")
        with pytest.raises(kvs.ConnectionError) as info:
            await db.incr("counter")
        assert info.value.sent is True
        assert redis_server.command("GET", "counter") == b"1"
        assert await db.incr("counter") == 2  # reconnects on its own


async def test_cut_on_a_read_is_retried(redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis")) as db:
        await db.set("k", "v")
        redis_proxy.cut_after(len(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), "up")
        assert await db.get("k") == "v"
        assert redis_proxy.connections == 2


async def test_cut_in_the_middle_of_a_reply(redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis")) as db:
        await db.rpush("l", *range(100))
        redis_proxy.cut_after(50, "down")
        assert await db.lrange("l", 0, -1) == [str(i) for i in range(100)]  # retried
        redis_proxy.cut_after(3, "down")
        with pytest.raises(kvs.ConnectionError):
            await db.lpop("l")
        assert len(await db.lrange("l", 0, -1)) in (99, 100)


async def test_one_byte_writes(redis_proxy: FaultProxy) -> None:
    redis_proxy.split(1)
    async with kvs.connect(redis_proxy.url_for("redis")) as db:
        await db.hset("h", "field", "value")
        assert await db.hgetall("h") == {"field": "value"}
        assert await db.mget(["h", "x"]) == [None, None]


async def test_command_timeout(redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis"), timeout=0.2) as db:
        await db.set("k", "v")
        redis_proxy.delay(1.0, "down")
        with pytest.raises(kvs.TimeoutError):
            await db.get("k")
        redis_proxy.clear_faults()
        await trio.sleep(1.0)  # the late reply arrives and is dropped
        assert await db.get("k") == "v"


async def test_large_values_both_ways(redis_url: str) -> None:
    big = bytes(random.Random(1).randbytes(10 * 2**20))
    async with kvs.connect(redis_url, decode=False) as db:
        await db.set("big", big)

        async def write() -> None:
            assert await db.set("big2", big) is True

        async def read() -> None:
            assert await db.get("big") == big

        async with trio.open_nursery() as nursery:
            nursery.start_soon(write)
            nursery.start_soon(read)
        assert await db.get("big2") == big


async def test_blocking_command_gets_its_own_connection(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        results: list[Any] = []

        async def blocked() -> None:
            results.append(await db.execute("BLPOP", "jobs", 5))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(blocked)
            await trio.sleep(0.1)
            assert await db.ping() is True  # the shared connection is not blocked
            await db.rpush("jobs", "work")
        assert results == [["jobs", "work"]]


async def test_protocol_2(redis_url: str) -> None:
    async with kvs.connect(redis_url, protocol=2) as db:
        await db.hset("h", "a", "1")
        assert await db.hgetall("h") == {"a": "1"}
        await db.sadd("s", "x")
        assert await db.smembers("s") == {"x"}
        assert await db.execute("HGET", "h", "a") == "1"


async def test_unix_socket_and_db(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory(unixsocket=True)
    async with kvs.connect(f"unix://{server.unix_path}?db=2") as db:
        await db.set("k", "in db 2")
    async with kvs.connect(f"redis://127.0.0.1:{server.port}/2") as db:
        assert await db.get("k") == "in db 2"
    async with kvs.connect(f"redis+unix://{server.unix_path}") as db:
        assert await db.get("k") is None


async def test_acl_user_and_password(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory(password="s3cret", acl_users={"alice": "wonder"})
    async with kvs.connect(f"redis://:s3cret@127.0.0.1:{server.port}") as db:
        assert await db.ping() is True
    async with kvs.connect(f"redis://alice:wonder@127.0.0.1:{server.port}",
                           client_name="app") as db:
        assert await db.execute("ACL", "WHOAMI") == "alice"
        assert await db.execute("CLIENT", "GETNAME") == "app"
    async with kvs.connect(f"redis://alice:wonder@127.0.0.1:{server.port}",
                           protocol=2, client_name="app2") as db:
        assert await db.execute("ACL", "WHOAMI") == "alice"
        assert await db.execute("CLIENT", "GETNAME") == "app2"
    client = kvs.connect(f"redis://alice:wrong@127.0.0.1:{server.port}")
    assert "wrong" not in repr(client)
    with pytest.raises(kvs.ResponseError) as info:
        async with client:
            pass
    assert "wrong" not in str(info.value)


async def test_tls(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory(tls=True)
    async with kvs.connect(server.tls_url, ssl_ca_file=server.ca_path) as db:
        await db.set("k", "over tls")
        assert await db.get("k") == "over tls"
    with pytest.raises(kvs.ConnectionError):  # not trusted without the test CA
        async with kvs.connect(server.tls_url, connect_timeout=5):
            pass


async def test_connection_refused() -> None:
    from tests.servers import free_port

    with pytest.raises(kvs.ConnectionError):
        async with kvs.connect(f"redis://127.0.0.1:{free_port()}", retries=0):
            pass


async def test_hostile_server_bytes_give_protocol_error() -> None:
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def serve(stream: trio.SocketStream) -> None:
        async with stream:
            await stream.receive_some(65536)  # HELLO
            await stream.send_all(b"%0\r\n")
            await stream.receive_some(65536)
            await stream.send_all(b"$5\r\nabcdefgh\r\n")  # payload longer than declared
            await trio.sleep(1)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, serve, listeners)
        async with kvs.connect(f"redis://127.0.0.1:{port}", retries=0) as db:
            with pytest.raises(kvs.ProtocolError):
                await db.get("k")
        nursery.cancel_scope.cancel()
