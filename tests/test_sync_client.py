"""The blocking client: same operations and results, threads, faults, light import."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable

import pytest

import kvs
import kvs.sync
from tests.servers import RedisServer


def test_import_does_not_pull_trio() -> None:
    code = "import sys, kvs.sync, resp; assert 'trio' not in sys.modules, 'trio imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
    code = ("import sys, resp; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('trio', 'kvs', 'socket', 'asyncio')]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_seed_operations(redis_url: str) -> None:
    with kvs.sync.connect(redis_url) as db:
        assert db.set("user:1", "Alice") is True
        assert db.get("user:1") == "Alice"
        assert db.set("user:1", "x", nx=True) is False
        assert db.incr("n") == 1
        assert db.decr("n", 3) == -2
        assert db.rpush("q", "a", "b") == 2
        assert db.lpop("q") == "a"
        assert db.lrange("q", 0, -1) == ["b"]
        assert db.hset("h", "f", 1) is True
        assert db.hgetall("h") == {"f": "1"}
        assert db.sadd("s", "m") == 1
        assert db.smembers("s") == {"m"}
        assert db.mset({"a": "1", "b": "2"}) is True
        assert db.mget(["a", "b", "c"]) == ["1", "2", None]
        assert db.delete("a", "b", "c") == 2
        assert db.exists("a") is False
        assert db.expire("user:1", 10) is True
        assert db.ttl("user:1") == 10
        assert db.keys("user:*") == ["user:1"]
        assert db.ping() is True
        with pytest.raises(kvs.ResponseError) as info:
            db.lpush("user:1", "x")
        assert info.value.code == "WRONGTYPE"
        with pytest.raises(kvs.UnsupportedOperation):
            db.execute("SUBSCRIBE", "ch")
        assert db.execute("BLPOP", "q", 1) == ["q", "b"]


def test_threads_share_one_client(redis_url: str) -> None:
    errors: list[BaseException] = []
    with kvs.sync.connect(redis_url) as db:

        def work(n: int) -> None:
            try:
                for i in range(300):
                    db.set(f"t{n}", f"{n}:{i}")
                    assert db.get(f"t{n}") == f"{n}:{i}"
                    db.incr("total")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert db.get("total") == str(8 * 300)


def test_restart_recovers_and_incr_is_not_repeated(
        redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory()
    with kvs.sync.connect(server.url) as db:
        assert db.incr("n") == 1
        server.restart()
        # The idle connection died with the old server: the pool notices before writing,
        # so even a non-idempotent command goes through, once.
        assert db.incr("n") == 1
        server.kill()
        with pytest.raises(kvs.ConnectionError):
            db.get("n")
        server.restart()
        assert db.ping() is True


def test_memory_store_is_shared_with_the_trio_client() -> None:
    import trio

    with kvs.sync.connect("memory://sync-shared") as db:
        db.set("from", "sync")

        async def read() -> str:
            async with kvs.connect("memory://sync-shared") as adb:
                await adb.set("back", "trio")
                value = await adb.get("from")
                assert value is not None
                return value

        assert trio.run(read) == "sync"
        assert db.get("back") == "trio"
        db.delete("from", "back")


def test_timeout(redis_url: str) -> None:
    with kvs.sync.connect(redis_url, timeout=0.2) as db:
        # A blocking command's own timeout comes on top (tests/test_sync_safety.py has the
        # plain timeout, against a server that does not answer).
        assert db.execute("BLPOP", "nothing", 1) is None
        assert db.ping() is True


def test_generated_client_is_current() -> None:
    subprocess.run([sys.executable, "scripts/unasync.py", "--check"], check=True)
