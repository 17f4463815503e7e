"""Pipelines, transactions and WATCH on `kvs.sync`: the blocking drivers (Redis pool,
memcached per-server scatter, the memory store across threads)."""

from __future__ import annotations

import threading
import uuid

import pytest

import kvs
import kvs.sync
from tests.servers import RedisServer


def test_redis_pipeline_and_transaction(redis_url: str) -> None:
    with kvs.sync.connect(redis_url) as db:
        assert db.pipeline().set("a", "1").incr("n").get("a").execute() == [True, 1, "1"]
        assert db.transaction().incr("n").rpush("l", "x").execute() == [2, 1]
        with pytest.raises(kvs.ResponseError) as info:
            db.pipeline().get("a").lpush("a", "x").execute()
        assert info.value.index == 1 and info.value.code == "WRONGTYPE"
        with pytest.raises(kvs.ResponseError) as info:
            db.transaction().incr("n").execute_command("GET").execute()
        assert info.value.code == "EXECABORT" and info.value.index == 1
        assert db.get("n") == "2"


def test_sync_cut_transaction_never_runs_twice(redis_server: RedisServer,
                                               redis_url: str) -> None:
    with kvs.sync.connect(redis_url) as db:
        assert db.transaction().incr("counter").execute() == [1]
        killed = redis_server.command("CLIENT", "KILL", "TYPE", "normal")
        assert killed  # the pooled connection is gone: the next request finds it dead first
        assert db.transaction().incr("counter").execute() == [2]  # never written: sent once
        assert redis_server.command("GET", "counter") == b"2"


def test_sync_watch_connection_pooled_and_lost(redis_url: str) -> None:
    with kvs.sync.connect(redis_url) as db:
        db.set("k", "1")
        with db.watch("k") as w:
            first = w.execute("CLIENT", "ID")
        with db.watch("k") as w:
            assert w.execute("CLIENT", "ID") == first  # the same pooled connection
            db.execute("CLIENT", "KILL", "ID", first)
            with pytest.raises(kvs.WatchError, match="was lost"):
                w.transaction().set("k", "2").execute()
        assert db.get("k") == "1"
        with db.watch("k") as w:
            assert w.execute("CLIENT", "ID") != first


def test_memcached_sync_pipeline(memcached_url: str) -> None:
    with kvs.sync.connect(memcached_url) as db:
        keys = [f"k{i}" for i in range(20)]
        p = db.pipeline()
        for i, key in enumerate(keys):
            p.set(key, i)
        p.mget(keys[:3]).incr("k2").delete("k0").get("k0")
        assert p.execute() == [True] * 20 + [["0", "1", "2"], 3, 1, None]
        with pytest.raises(kvs.UnsupportedOperation):
            db.transaction()
        with pytest.raises(kvs.UnsupportedOperation):
            db.watch("k0")


def test_memory_transactions_are_atomic_across_threads() -> None:
    url = f"memory://atomic-{uuid.uuid4().hex}"
    with kvs.sync.connect(url) as db:
        db.mset({"a": "0", "b": "0"})
        torn: list[list[object]] = []
        done = threading.Event()

        def writer(n: int) -> None:
            for i in range(300):
                value = f"{n}-{i}"
                db.transaction().set("a", value).set("b", value).execute()

        def reader() -> None:
            while not done.is_set():
                a, b = db.transaction().get("a").get("b").execute()
                if a != b:
                    torn.append([a, b])

        readers = [threading.Thread(target=reader) for _ in range(2)]
        writers = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
        for thread in readers + writers:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        for thread in readers:
            thread.join()
        assert torn == []
        a, b = db.mget(["a", "b"])
        assert a == b
