"""The blocking client (`kvs.sync`) on a real Redis Cluster: the main cases of the trio
tests (tests/test_cluster.py) with threads in place of tasks."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest

import kvs
import kvs.sync
from kvs.cluster.slots import key_slot
from tests.clusters import RedisCluster, begin_migration, command_calls, migrate_slot


def test_keys_spread_and_the_whole_keyspace(redis_cluster: RedisCluster,
                                            cluster_url: str) -> None:
    keys = [f"s:{i}" for i in range(200)]
    with kvs.sync.connect(cluster_url) as db:
        for key in keys:
            db.set(key, key)
        assert db.dbsize() == 200
        assert sorted(db.keys("s:*")) == sorted(keys)
        assert sorted(db.scan_iter(match="s:*", count=9)) == sorted(keys)
    sizes = [node.command("DBSIZE") for node in redis_cluster.primaries()]
    assert all(size > 20 for size in sizes) and sum(sizes) == 200


def test_split_commands_and_pipelines_keep_order(cluster_url: str) -> None:
    keys = [f"m:{i}" for i in range(200)]
    mapping = {key: str(i) for i, key in enumerate(keys)}
    with kvs.sync.connect(cluster_url) as db:
        assert db.mset(mapping) is True
        shuffled = random.Random(2).sample(keys, 200)
        assert db.mget(shuffled) == [mapping[key] for key in shuffled]
        p = db.pipeline()
        for key in shuffled:
            p.incr(key).get(key)
        p.mget(shuffled[:5]).dbsize()
        results = p.execute()
        for i, key in enumerate(shuffled):
            value = int(mapping[key]) + 1
            assert results[2 * i : 2 * i + 2] == [value, str(value)]
        assert results[400] == [str(int(mapping[k]) + 1) for k in shuffled[:5]]
        assert results[401] == 200
        assert db.delete(*keys[:120]) == 120
        assert db.exists(keys[0]) is False and db.exists(keys[150]) is True


def test_crossslot_before_any_io_and_one_slot_blocks(cluster_url: str) -> None:
    with kvs.sync.connect(cluster_url) as db:
        with pytest.raises(kvs.ResponseError) as info:
            db.transaction().set("a", 1).set("b", 2).execute()
        assert info.value.code == "CROSSSLOT"
        with pytest.raises(kvs.ResponseError) as info, db.watch("a", "b"):
            pass
        assert info.value.code == "CROSSSLOT"
        tx = db.transaction()
        tx.set("{t}a", 1).incr("{t}b")
        assert tx.execute() == [True, 1]
        with db.watch("{t}a") as w:
            value = int(w.get("{t}a") or 0)
            tx = w.transaction()
            tx.set("{t}a", value + 1)
            assert tx.execute() == [True]
        assert db.get("{t}a") == "2"


def test_slot_migration_under_threads(redis_cluster: RedisCluster, cluster_url: str) -> None:
    tag = "smig"
    slot = key_slot(tag.encode())
    keys = [f"{{{tag}}}:{i}" for i in range(40)]
    counts: dict[str, int] = {}
    errors: list[BaseException] = []
    stop = threading.Event()
    lock = threading.Lock()
    with kvs.sync.connect(cluster_url) as db:
        db.mset(dict.fromkeys(keys, 0))

        def load(seed: int) -> None:
            rng = random.Random(seed)
            while not stop.is_set():
                key = rng.choice(keys)
                try:
                    if rng.random() < 0.5:
                        db.get(key)
                    else:
                        db.incr(key)
                        with lock:
                            counts[key] = counts.get(key, 0) + 1
                except BaseException as exc:
                    errors.append(exc)
                    return

        threads = [threading.Thread(target=load, args=(seed,)) for seed in range(16)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.2)
            source = redis_cluster.node_for_slot(slot)
            target = next(n for n in redis_cluster.primaries() if n is not source)
            migrate_slot(redis_cluster, slot, target, batch=3, pause=0.02)
            time.sleep(0.3)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert not errors, errors[:3]
        assert [int(v or -1) for v in db.mget(keys)] == [counts.get(k, 0) for k in keys]
        assert redis_cluster.node_for_slot(slot) is target


def test_moved_storm_refreshes_one_at_a_time(redis_cluster: RedisCluster,
                                             cluster_url: str) -> None:
    tag = "sstorm"
    slot = key_slot(tag.encode())
    with kvs.sync.connect(cluster_url) as db:
        db.set(f"{{{tag}}}:k", "v")
        source = redis_cluster.node_for_slot(slot)
        target = next(n for n in redis_cluster.primaries() if n is not source)
        migrate_slot(redis_cluster, slot, target)
        time.sleep(0.3)  # past the rate limit of refreshes, so the storm may start one
        nodes = redis_cluster.running()
        before = sum(command_calls(node, "cluster|shards") for node in nodes)
        results: list[Any] = []
        threads = [threading.Thread(target=lambda: results.append(db.get(f"{{{tag}}}:k")))
                   for _ in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after = sum(command_calls(node, "cluster|shards") for node in nodes)
    assert results == ["v"] * 32
    assert 1 <= after - before <= 2


def test_pubsub(cluster_url: str) -> None:
    with kvs.sync.connect(cluster_url) as db, db.subscribe("snews") as sub, \
            db.ssubscribe("{sh}:x") as ssub:
        assert db.publish("snews", "hello") >= 1
        message = sub.get(timeout=5)
        assert message is not None and message.data == "hello"
        assert db.execute("SPUBLISH", "{sh}:x", "hi") == 1
        message = ssub.get(timeout=5)
        assert message is not None and (message.kind, message.data) == ("smessage", "hi")


def test_replica_reads(redis_cluster: RedisCluster, cluster_url: str) -> None:
    with kvs.sync.connect(cluster_url) as db:
        db.set("sr:1", "one")
    primary = redis_cluster.node_for_key("sr:1")
    primary.command("WAIT", 1, 2000)
    replica = redis_cluster.replica_of(primary)
    before = command_calls(replica, "get")
    with kvs.sync.connect(cluster_url, read_from="prefer_replica") as db:
        assert [db.get("sr:1") for _ in range(3)] == ["one"] * 3
    assert command_calls(replica, "get") - before == 3


def test_sharded_subscription_follows_its_slot(redis_cluster: RedisCluster,
                                               cluster_url: str) -> None:
    tag = "sshmove"
    slot = key_slot(tag.encode())
    channel = f"{{{tag}}}:c"
    with kvs.sync.connect(cluster_url) as db, db.ssubscribe(channel) as sub:
        assert db.execute("SPUBLISH", channel, "before") == 1
        message = sub.get(timeout=5)
        assert message is not None and message.data == "before"
        source = redis_cluster.node_for_slot(slot)
        target = next(n for n in redis_cluster.primaries() if n is not source)
        migrate_slot(redis_cluster, slot, target)
        seen: list[Any] = []
        deadline = time.monotonic() + 10
        while (not seen or seen[-1].data != "after") and time.monotonic() < deadline:
            db.execute("SPUBLISH", channel, "after")
            message = sub.get(timeout=0.2)
            if message is not None:
                seen.append(message)
        assert [m.kind for m in seen][:1] == ["gap"]
        assert seen[-1].data == "after" and seen[-1].kind == "smessage"


def test_missing_keys_are_none_everywhere(cluster_url: str) -> None:
    with kvs.sync.connect(cluster_url) as db:
        assert db.get("absent") is None
        p = db.pipeline()
        for i in range(20):
            p.get(f"absent:{i}")
        assert p.execute() == [None] * 20
        assert db.mget([f"absent:{i}" for i in range(20)]) == [None] * 20


def test_split_parts_and_fanouts_write_every_node_before_reading(
        cluster_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An mget over 200 keys on 3 primaries is one round trip per node, all at once: every
    node's request is written before any node's reply is read (a log of the sockets' writes
    and reads, on real servers)."""
    from kvs.sync.transport import BlockingConnection

    log: list[tuple[str, str]] = []
    send, request = BlockingConnection.send, BlockingConnection.request

    def logged_send(self: BlockingConnection, payload: bytes, sentinel: object) -> None:
        log.append(("write", self.name))
        send(self, payload, sentinel)

    def logged_request(self: BlockingConnection, payload: bytes, count: int,
                       sentinel: object, **options: Any) -> list[Any]:
        if not count:  # send(): logged there
            return request(self, payload, count, sentinel, **options)
        if payload:
            log.append(("write", self.name))
        replies = request(self, payload, count, sentinel, **options)
        log.append(("read", self.name))
        return replies

    keys = [f"par:{i}" for i in range(200)]
    with kvs.sync.connect(cluster_url) as db:
        db.mset({key: key for key in keys})
        assert db.dbsize() == 200  # every node's connection open before the log starts
        monkeypatch.setattr(BlockingConnection, "send", logged_send)
        monkeypatch.setattr(BlockingConnection, "request", logged_request)
        pipeline = db.pipeline()
        for key in keys:
            pipeline.get(key).incr(key + ":n")
        for call, result in ((lambda: db.mget(keys), keys), (db.dbsize, 200),
                             (pipeline.execute, [v for key in keys for v in (key, 1)])):
            log.clear()
            assert call() == result
            writes = [name for kind, name in log if kind == "write"]
            reads = [name for kind, name in log if kind == "read"]
            assert len(set(writes)) == len(writes) == 3, log  # one request per primary
            assert sorted(reads) == sorted(writes), log
            assert [kind for kind, _ in log] == ["write"] * 3 + ["read"] * 3, log
        monkeypatch.undo()
        assert db.mget(keys[:3]) == keys[:3]


def test_a_node_lost_after_the_write_of_a_split_request(
        cluster_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first node's connection breaks once its share is written (the other nodes' go on
    at once): reads are sent again and answered, INCRs raise and are not sent again."""
    import socket

    from kvs.sync.transport import BlockingConnection

    send = BlockingConnection.send
    cuts: list[str] = []

    def send_then_cut(self: BlockingConnection, payload: bytes, sentinel: object) -> None:
        send(self, payload, sentinel)
        if not cuts:
            cuts.append(self.name)
            self.sock.shutdown(socket.SHUT_RDWR)

    keys = [f"cut:{i}" for i in range(60)]
    with kvs.sync.connect(cluster_url) as db:
        db.mset({key: key for key in keys})
        monkeypatch.setattr(BlockingConnection, "send", send_then_cut)
        assert db.mget(keys) == keys
        assert len(cuts) == 1
        cuts.clear()
        pipeline = db.pipeline()
        for key in keys:
            pipeline.incr(key + ":n")
        with pytest.raises(kvs.ConnectionError) as info:
            pipeline.execute()
        assert info.value.sent is True and len(cuts) == 1
        monkeypatch.undo()
        counts = db.mget([key + ":n" for key in keys])
        assert set(counts) <= {"1", None} and counts.count("1") >= 40  # never twice


def test_watch_block_follows_a_moved_slot(redis_cluster: RedisCluster, cluster_url: str) -> None:
    tag = "swmove"
    slot = key_slot(tag.encode())
    key = f"{{{tag}}}:n"
    with kvs.sync.connect(cluster_url) as db:
        db.set(key, 1)
        source = redis_cluster.node_for_slot(slot)
        target = next(n for n in redis_cluster.primaries() if n is not source)
        migrate_slot(redis_cluster, slot, target)  # the client's map is now out of date
        before = command_calls(target, "exec")
        with db.watch(key) as w:  # WATCH refused with MOVED: started again on the target
            value = int(w.get(key) or 0)
            tx = w.transaction()
            tx.set(key, value + 1)
            assert tx.execute() == [True]
        assert command_calls(target, "exec") - before == 1
        with db.watch(key) as w:
            migrate_slot(redis_cluster, slot, source)
            tx = w.transaction()
            tx.set(key, 0)
            with pytest.raises(kvs.WatchError, match="moved"):
                tx.execute()  # refused when queued: nothing ran
        assert db.get(key) == "2"
        with db.watch(key) as w:  # the map was patched: the source again
            assert w.get(key) == "2"


def test_transaction_follows_ask_with_asking(redis_cluster: RedisCluster,
                                             cluster_url: str) -> None:
    tag = "stxask"
    slot = key_slot(tag.encode())
    moved = f"{{{tag}}}:moved"
    with kvs.sync.connect(cluster_url) as db:
        db.set(moved, 1)
        source = redis_cluster.node_for_slot(slot)
        target = next(n for n in redis_cluster.primaries() if n is not source)
        begin_migration(redis_cluster, slot, target, [moved])
        try:
            before = command_calls(target, "exec")
            tx = db.transaction()
            tx.incr(moved).incr(moved)
            started = time.monotonic()
            assert tx.execute() == [2, 3]
            assert time.monotonic() - started < 1  # ASKING at once, not waited out
            assert command_calls(target, "exec") - before == 1
        finally:
            migrate_slot(redis_cluster, slot, target)
        assert db.get(moved) == "3"
