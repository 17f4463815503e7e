"""The trio client on a real Redis Cluster (three primaries, three replicas): routing by
slot, split multi-key commands and pipelines, CROSSSLOT before any I/O, resharding under load
(ASK and MOVED), single-flight map refreshes, replicas, pub/sub."""

from __future__ import annotations

import functools
import random
from typing import Any

import pytest
import trio

import kvs
from kvs.cluster.slots import key_slot
from tests.clusters import RedisCluster, begin_migration, command_calls, migrate_slot


def _keys(n: int, prefix: str = "key") -> list[str]:
    return [f"{prefix}:{i}" for i in range(n)]


async def test_keys_spread_over_every_primary(redis_cluster: RedisCluster,
                                              cluster_url: str) -> None:
    keys = _keys(200)
    async with kvs.connect(cluster_url) as db:
        for key in keys:
            assert await db.set(key, key.upper()) is True
        assert [await db.get(key) for key in keys] == [key.upper() for key in keys]
        assert await db.dbsize() == 200
        assert sorted(await db.keys("key:*")) == sorted(keys)
        assert sorted([key async for key in db.scan_iter(match="key:*", count=7)]) == \
            sorted(keys)
    sizes = [node.command("DBSIZE") for node in redis_cluster.primaries()]
    assert all(size > 20 for size in sizes) and sum(sizes) == 200
    for key in keys[:20]:  # each key lives on the owner of its slot
        assert redis_cluster.node_for_key(key).command("GET", key) == key.upper().encode()


async def test_multi_key_operations_split_and_keep_argument_order(cluster_url: str) -> None:
    keys = _keys(200)
    mapping = {key: f"v{i}" for i, key in enumerate(keys)}
    async with kvs.connect(cluster_url) as db:
        assert await db.mset(mapping) is True
        shuffled = [*random.Random(1).sample(keys, len(keys)), "missing:1", keys[3]]
        expected = [mapping.get(key) for key in shuffled]
        assert await db.mget(shuffled) == expected
        assert await db.exists(keys[0]) is True
        assert await db.execute("EXISTS", *keys[:50], keys[0]) == 51
        assert await db.execute("TOUCH", *keys[:30], "missing:2") == 30
        assert await db.delete(*keys[:100], "missing:3") == 100
        assert await db.unlink(*keys[100:150]) == 50
        assert await db.mget(keys[145:155]) == [None] * 5 + [mapping[k] for k in keys[150:155]]
        assert await db.dbsize() == 50


async def test_pipeline_over_many_slots_keeps_order(cluster_url: str) -> None:
    keys = _keys(200, "p")
    async with kvs.connect(cluster_url) as db:
        await db.rpush("p:list", "x")
        p = db.pipeline()
        for i, key in enumerate(keys):
            p.set(key, i).incr(key).get(key)
        p.mget(keys[:10]).dbsize().incr("p:list")
        results = await p.execute(raise_on_error=False)
        assert len(results) == 3 * 200 + 3
        for i in range(200):
            assert results[3 * i : 3 * i + 3] == [True, i + 1, str(i + 1)]
        assert results[600] == [str(i + 1) for i in range(10)]
        assert results[601] == 201
        error = results[602]
        assert isinstance(error, kvs.ResponseError) and error.code == "WRONGTYPE"
        assert error.index == 602
        with pytest.raises(kvs.ResponseError) as info:
            await db.pipeline().get("p:1").incr("p:list").execute()
        assert info.value.index == 1


async def test_transactions_watch_and_scripts_in_one_slot(cluster_url: str) -> None:
    async with kvs.connect(cluster_url) as db:
        tx = db.transaction()
        tx.set("{acct}:a", 10).incr("{acct}:b", 5).get("{acct}:a")
        assert await tx.execute() == [True, 5, "10"]
        async with db.watch("{acct}:a") as w:
            balance = int(await w.get("{acct}:a") or 0)
            tx = w.transaction()
            tx.set("{acct}:a", balance - 1)
            assert await tx.execute() == [True]
        async with db.watch("{acct}:a") as w:
            await w.get("{acct}:a")
            await db.set("{acct}:a", 0)  # another client changes the watched key
            tx = w.transaction()
            tx.set("{acct}:a", 1)
            with pytest.raises(kvs.WatchError):
                await tx.execute()
        script = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
        assert await db.execute("EVAL", script, 1, "{acct}:n", 4) == 4
        sha = await db.execute("SCRIPT", "LOAD", script)
        assert await db.execute("SCRIPT", "EXISTS", sha) == [1]
        assert await db.execute("EVALSHA", sha, 1, "other:n", 2) == 2  # loaded everywhere


async def test_crossslot_is_raised_before_any_io(redis_cluster: RedisCluster,
                                                 cluster_url: str) -> None:
    async with kvs.connect(cluster_url) as db:
        await db.ping()
        primaries = redis_cluster.primaries()
        before = [node.command("INFO", "stats") for node in primaries]
        attempts: list[Any] = [
            lambda: db.transaction().set("a", 1).set("b", 2).execute(),
            lambda: db.watch("a", "b").__aenter__(),
            lambda: db.execute("EVAL", "return 1", 2, "a", "b"),
            lambda: db.execute("MSETNX", "a", 1, "b", 2),
            lambda: db.rename("a", "b"),
            lambda: db.sinterstore("a", "b", "c"),
        ]
        for attempt in attempts:
            with pytest.raises(kvs.ResponseError) as info:
                await attempt()
            assert info.value.code == "CROSSSLOT"
        after = [node.command("INFO", "stats") for node in primaries]
        async with db.watch("{w}1") as w:
            with pytest.raises(kvs.ResponseError) as info:
                await w.get("other")
            assert info.value.code == "CROSSSLOT"

    def processed(info: bytes) -> int:
        return int(info.decode().split("total_commands_processed:")[1].split()[0])

    # Only the first INFO ran in between.
    assert [processed(a) - processed(b) for a, b in zip(after, before, strict=True)] == [1] * 3


async def _load(db: kvs.Client[str], keys: list[str], stop: trio.Event,
                counts: dict[str, int], errors: list[BaseException], *, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        key = rng.choice(keys)
        try:
            draw = rng.random()
            if draw < 0.3:
                await db.get(key)
                counts["reads"] += 1
            elif draw < 0.5:  # two keys of the slot: TRYAGAIN while they are split
                values = await db.mget([key, rng.choice(keys)])
                assert all(value is not None for value in values)
                counts["reads"] += 1
            else:
                await db.incr(key)
                counts[key] = counts.get(key, 0) + 1
        except BaseException as exc:
            errors.append(exc)
            return


async def test_slot_migration_under_load(redis_cluster: RedisCluster, cluster_url: str) -> None:
    tag = "mig"
    slot = key_slot(tag.encode())
    keys = [f"{{{tag}}}:{i}" for i in range(60)]
    async with kvs.connect(cluster_url) as db:
        await db.mset(dict.fromkeys(keys, 0))
        source = redis_cluster.node_for_slot(slot)
        target = next(n for n in redis_cluster.primaries() if n is not source)
        counts: dict[str, int] = {"reads": 0}
        errors: list[BaseException] = []
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            for seed in range(16):
                nursery.start_soon(functools.partial(_load, db, keys, stop, counts, errors,
                                                     seed=seed))
            await trio.sleep(0.2)
            moved = await trio.to_thread.run_sync(
                lambda: migrate_slot(redis_cluster, slot, target, batch=3, pause=0.02))
            await trio.sleep(0.3)
            stop.set()
        assert not errors, errors[:3]
        assert moved >= len(keys)
        assert redis_cluster.node_for_slot(slot) is target
        assert counts["reads"] > 0
        values = await db.mget(keys)
        assert [int(v or -1) for v in values] == [counts.get(key, 0) for key in keys]
        assert target.command("CLUSTER", "COUNTKEYSINSLOT", slot) == len(keys)
        assert source.command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0


async def test_moved_storm_refreshes_one_at_a_time(redis_cluster: RedisCluster,
                                                   cluster_url: str) -> None:
    tag = "storm"
    slot = key_slot(tag.encode())
    keys = [f"{{{tag}}}:{i}" for i in range(10)]
    async with kvs.connect(cluster_url) as db:
        await db.mset(dict.fromkeys(keys, "v"))
        source = redis_cluster.node_for_slot(slot)
        target = next(n for n in redis_cluster.primaries() if n is not source)
        await trio.to_thread.run_sync(lambda: migrate_slot(redis_cluster, slot, target))
        nodes = redis_cluster.running()
        before = sum(command_calls(node, "cluster|shards") for node in nodes)
        results: list[Any] = []

        async def reader(key: str) -> None:
            results.append(await db.get(key))

        async with trio.open_nursery() as nursery:  # 200 callers all get MOVED at once
            for i in range(200):
                nursery.start_soon(reader, keys[i % len(keys)])
        await trio.sleep(0.6)  # any refresh still running lands
        after = sum(command_calls(node, "cluster|shards") for node in nodes)
        assert results == ["v"] * 200
        assert 1 <= after - before <= 2


def _moved_replies(node: Any) -> int:
    """How many MOVED redirections `node` answered (INFO errorstats)."""
    for line in node.command("INFO", "errorstats").decode().splitlines():
        if line.startswith("errorstat_MOVED:"):
            return int(line.split("count=", 1)[1].split(",", 1)[0])
    return 0


async def test_a_moved_slot_costs_one_redirection_then_goes_straight_to_its_owner(
        redis_cluster: RedisCluster, cluster_url: str) -> None:
    tag = "route"
    slot = key_slot(tag.encode())
    keys = [f"{{{tag}}}:{i}" for i in range(5)]
    async with kvs.connect(cluster_url) as db:
        await db.mset(dict.fromkeys(keys, "v"))
        assert await db.get(keys[0]) == "v"  # the slot's route is known now
        source = redis_cluster.node_for_slot(slot)
        target = next(n for n in redis_cluster.primaries() if n is not source)
        await trio.to_thread.run_sync(lambda: migrate_slot(redis_cluster, slot, target))
        before = _moved_replies(source)
        assert [await db.get(key) for key in keys * 4] == ["v"] * 20
        assert _moved_replies(source) - before == 1
        await db.set(keys[0], "w")
        assert await db.get(keys[0]) == "w" and target.command("GET", keys[0]) == b"w"
        assert _moved_replies(source) - before == 1


async def test_replica_reads(redis_cluster: RedisCluster, cluster_url: str) -> None:
    async with kvs.connect(cluster_url) as db:
        await db.set("r:1", "one")
        primary = redis_cluster.node_for_key("r:1")
        primary.command("WAIT", 1, 2000)
    replica = redis_cluster.replica_of(primary)
    before = command_calls(replica, "get")
    async with kvs.connect(cluster_url, read_from="replica") as db:
        assert [await db.get("r:1") for _ in range(5)] == ["one"] * 5
        assert await db.incr("r:n") == 1  # writes still go to the primary
    assert command_calls(replica, "get") - before == 5
    with pytest.raises(ValueError, match="read_from"):
        kvs.connect(cluster_url, read_from="nearest")


async def test_pubsub_and_sharded_pubsub(cluster_url: str) -> None:
    async with kvs.connect(cluster_url) as db:
        async with db.subscribe("news") as sub, db.ssubscribe("{shard}:a", "{shard}:b") as ssub:
            assert await db.publish("news", "hello") >= 1
            message = await sub.get(timeout=5)
            assert message is not None and (message.kind, message.data) == ("message", "hello")
            assert await db.execute("SPUBLISH", "{shard}:b", "hi") == 1
            message = await ssub.get(timeout=5)
            assert message is not None
            assert (message.kind, message.channel, message.data) == ("smessage", "{shard}:b",
                                                                      "hi")
        with pytest.raises(kvs.ResponseError) as info:
            async with db.ssubscribe("x:1", "x:2"):
                pass
        assert info.value.code == "CROSSSLOT"


async def test_flushdb_and_unknown_keyless_commands(cluster_url: str) -> None:
    async with kvs.connect(cluster_url, decode=False) as db:
        await db.mset({f"f:{i}": "x" for i in range(30)})
        assert await db.dbsize() == 30
        assert await db.flushdb() is True
        assert await db.dbsize() == 0
        assert await db.ping() is True
        assert isinstance(await db.execute("TIME"), list)


async def test_sharded_subscription_follows_its_slot(redis_cluster: RedisCluster,
                                                     cluster_url: str) -> None:
    tag = "shmove"
    slot = key_slot(tag.encode())
    channel = f"{{{tag}}}:c"
    async with kvs.connect(cluster_url) as db, db.ssubscribe(channel) as sub:
        assert await db.execute("SPUBLISH", channel, "before") == 1
        message = await sub.get(timeout=5)
        assert message is not None and message.data == "before"
        source = redis_cluster.node_for_slot(slot)
        target = next(n for n in redis_cluster.primaries() if n is not source)
        await trio.to_thread.run_sync(lambda: migrate_slot(redis_cluster, slot, target))
        seen: list[Any] = []
        with trio.move_on_after(10):
            while not seen or seen[-1].data != "after":
                await db.execute("SPUBLISH", channel, "after")
                message = await sub.get(timeout=0.2)
                if message is not None:
                    seen.append(message)
        assert [m.kind for m in seen][:1] == ["gap"]
        assert seen[-1].data == "after" and seen[-1].kind == "smessage"


async def test_missing_keys_are_none_everywhere(cluster_url: str) -> None:
    async with kvs.connect(cluster_url) as db:
        assert await db.get("absent") is None
        p = db.pipeline()
        for i in range(20):
            p.get(f"absent:{i}")
        assert await p.execute() == [None] * 20
        assert await db.mget([f"absent:{i}" for i in range(20)]) == [None] * 20


async def test_resp2_cluster(cluster_url: str) -> None:
    async with kvs.connect(cluster_url, protocol=2) as db:
        await db.mset({f"r2:{i}": i for i in range(30)})
        assert await db.mget([f"r2:{i}" for i in range(30)]) == [str(i) for i in range(30)]
        assert sorted([key async for key in db.scan_iter(match="r2:*")]) == \
            sorted(f"r2:{i}" for i in range(30))
        async with db.ssubscribe("{r2}:c") as sub:
            assert await db.execute("SPUBLISH", "{r2}:c", "x") == 1
            message = await sub.get(timeout=5)
            assert message is not None and message.data == "x"


async def test_watch_block_follows_a_moved_slot(redis_cluster: RedisCluster,
                                                cluster_url: str) -> None:
    """A WATCH refused with MOVED (nothing ran) starts again on the new owner; a command of
    a block whose slot moves after it ran something raises kvs.WatchError, and running the
    block again goes to the new owner."""
    tag = "wmove"
    slot = key_slot(tag.encode())
    key = f"{{{tag}}}:n"
    async with kvs.connect(cluster_url) as db:
        await db.set(key, 1)
        source = redis_cluster.node_for_slot(slot)
        target = next(n for n in redis_cluster.primaries() if n is not source)
        migrate_slot(redis_cluster, slot, target)  # the client's map is now out of date
        before = command_calls(target, "exec")
        async with db.watch(key) as w:
            value = int(await w.get(key) or 0)
            tx = w.transaction()
            tx.set(key, value + 1)
            assert await tx.execute() == [True]
        assert command_calls(target, "exec") - before == 1
        assert await db.get(key) == "2"

        async with db.watch(key) as w:  # on the new owner, which gives the slot back now
            migrate_slot(redis_cluster, slot, source)
            with pytest.raises(kvs.WatchError, match="moved"):
                await w.get(key)
        attempts: list[int] = []

        async def bump(w: kvs.Watch[Any]) -> None:
            attempts.append(1)
            value = int(await w.get(key) or 0)
            if len(attempts) == 1:
                migrate_slot(redis_cluster, slot, target)
            tx = w.transaction()
            tx.set(key, value + 1)
            await tx.execute()

        await db.run_watched(bump, key)
        assert len(attempts) == 2 and await db.get(key) == "3"


async def test_transaction_follows_ask_with_asking(redis_cluster: RedisCluster,
                                                   cluster_url: str) -> None:
    """A transaction on keys already moved out of a slot being migrated: the owner answers
    ASK, so ASKING, MULTI ... EXEC go to the importing node, at once (no waiting for the
    migration to end)."""
    tag = "txask"
    slot = key_slot(tag.encode())
    moved, stays = f"{{{tag}}}:moved", f"{{{tag}}}:stays"
    async with kvs.connect(cluster_url) as db:
        await db.mset({moved: 1, stays: 1})
        source = redis_cluster.node_for_slot(slot)
        target = next(n for n in redis_cluster.primaries() if n is not source)
        begin_migration(redis_cluster, slot, target, [moved])
        try:
            before = command_calls(target, "exec"), command_calls(target, "asking")
            tx = db.transaction()
            tx.incr(moved).incr(moved)
            with trio.fail_after(1):  # the timeout is longer: not waited out
                assert await tx.execute() == [2, 3]
            assert command_calls(target, "exec") - before[0] == 1
            assert command_calls(target, "asking") - before[1] == 1
            tx = db.transaction()
            tx.incr(stays)
            assert await tx.execute() == [2]  # still on the source
        finally:
            migrate_slot(redis_cluster, slot, target)
        assert await db.mget([moved, stays]) == ["3", "2"]
