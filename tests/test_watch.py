"""WATCH blocks (SPEC §5) on Redis and `:memory:`, trio and blocking: optimistic locking,
the connection of its own (pooled, given back clean), a lost watch connection, the
balance-transfer recipe of docs/pipelines.md under contention, and NOSCRIPT inside EXEC."""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Iterator

import pytest
import trio

import kvs
import kvs.sync


@pytest.fixture(params=["redis", "memory"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "redis":
        yield request.getfixturevalue("redis_url")
    else:
        yield f"memory://watch-{uuid.uuid4().hex}"


async def test_watched_key_unchanged_runs_changed_raises(url: str) -> None:
    async with kvs.connect(url) as db:
        await db.set("balance:alice", 100)
        async with db.watch("balance:alice") as w:
            balance = int(await w.get("balance:alice") or 0)
            tx = w.transaction()
            tx.set("balance:alice", balance - 10)
            assert await tx.execute() == [True]
        async with db.watch("balance:alice") as w:
            balance = int(await w.get("balance:alice") or 0)
            await db.set("balance:alice", balance)  # another client writes the same value
            with pytest.raises(kvs.WatchError, match="watched key changed"):
                await w.transaction().set("balance:alice", balance - 10).execute()
        assert await db.get("balance:alice") == "90"


async def test_writes_that_change_nothing_do_not_touch(url: str) -> None:
    async with kvs.connect(url) as db:
        await db.set("k", "v")
        async with db.watch("k", "missing") as w:
            await db.set("k", "other", nx=True)  # NX over an existing key: no change
            await db.delete("missing")  # nothing to delete
            assert await w.transaction().get("k").execute() == ["v"]


async def test_unwatch_and_no_keys(url: str) -> None:
    async with kvs.connect(url) as db:
        async with db.watch("k") as w:
            await w.unwatch()
            await db.set("k", "changed")
            assert await w.transaction().get("k").execute() == ["changed"]
        async with db.watch() as w:  # nothing watched: a plain transaction on its own link
            assert await w.transaction().incr("n").execute() == [1]


async def test_expiry_of_a_watched_key_aborts(url: str) -> None:
    async with kvs.connect(url) as db:
        await db.set("k", "v", px=60)
        async with db.watch("k") as w:
            await trio.sleep(0.15)
            with pytest.raises(kvs.WatchError):
                await w.transaction().set("other", "1").execute()
        assert await db.get("other") is None


async def test_watch_connection_is_its_own_pooled_and_clean(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        shared = await db.execute("CLIENT", "ID")
        ids = []
        for _ in range(3):
            async with db.watch("k") as w:
                ids.append(await w.execute("CLIENT", "ID"))
                await db.set("k", "touched")  # this block's watch is dirty ...
        assert shared not in ids
        assert len(set(ids)) == 1  # one pooled connection, reused
        async with db.watch("other") as w:  # ... and was not inherited by the next one
            assert await w.execute("CLIENT", "ID") == ids[0]
            assert await w.transaction().get("k").execute() == ["touched"]


async def test_cancelled_inside_a_block_leaves_the_connection_in_step(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        await db.set("k", "v")
        for delay in (0, 0.0001, 0.001):
            with trio.move_on_after(delay):
                async with db.watch("k") as w:
                    for _ in range(50):
                        assert await w.get("k") == "v"
        async with db.watch("k") as w:
            assert await w.get("k") == "v"
            assert await w.transaction().get("k").execute() == ["v"]


async def test_lost_watch_connection_never_sends_exec(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        await db.set("k", "1")
        async with db.watch("k") as w:
            watch_id = await w.execute("CLIENT", "ID")
            await db.execute("CLIENT", "KILL", "ID", watch_id)
            with trio.fail_after(2):
                while not w._live().lost:  # the reader sees the close at once
                    await trio.sleep(0.005)
            with pytest.raises(kvs.WatchError, match=r"watch connection .* was lost"):
                await w.transaction().set("k", "2").execute()
        assert await db.get("k") == "1"
        async with db.watch("k") as w:  # a fresh connection next time
            assert await w.execute("CLIENT", "ID") != watch_id


async def test_noscript_inside_exec_is_reported_per_command(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        tx = db.transaction().incr("n").execute_command("EVALSHA", "0" * 40, 0).incr("n")
        results = await tx.execute(raise_on_error=False)
        assert results[0] == 1 and results[2] == 2
        assert isinstance(results[1], kvs.ResponseError)
        assert results[1].code == "NOSCRIPT" and results[1].index == 1
        with pytest.raises(kvs.ResponseError, match=r"NOSCRIPT.*failed inside EXEC"):
            await tx.incr("n").execute_command("EVALSHA", "0" * 40, 0).execute()
        assert await db.get("n") == "3"


# -- the recipe of docs/pipelines.md ----------------------------------------------------------

async def transfer(db: kvs.Client[str], source: str, target: str, amount: int) -> bool:
    """Move `amount` from `source` to `target` unless `source` would go below zero."""

    async def attempt(w: kvs.Watch[str]) -> bool:
        balance = int(await w.get(source) or 0)
        if balance < amount:
            await w.unwatch()
            return False
        await w.transaction().decr(source, amount).incr(target, amount).execute()
        return True

    return await db.run_watched(attempt, source, target, attempts=100)


async def test_balance_transfers_under_contention(url: str) -> None:
    async with kvs.connect(url) as db:
        await db.mset({"alice": 1000, "bob": 1000, "carol": 1000})
        names = ["alice", "bob", "carol"]

        async def worker(seed: int) -> None:
            for n in range(25):
                source, target = names[(seed + n) % 3], names[(seed + n + 1) % 3]
                await transfer(db, source, target, 7 + seed)

        async with trio.open_nursery() as nursery:
            for seed in range(6):
                nursery.start_soon(worker, seed)
        balances = [int(v or 0) for v in await db.mget(names)]
        assert sum(balances) == 3000
        assert min(balances) >= 0


async def test_run_watched_gives_up_after_its_attempts(url: str) -> None:
    async with kvs.connect(url) as db:
        calls = 0

        async def always_changed(w: kvs.Watch[str]) -> None:
            nonlocal calls
            calls += 1
            await db.incr("k")
            await w.transaction().get("k").execute()

        with pytest.raises(kvs.WatchError):
            await db.run_watched(always_changed, "k", attempts=3)
        assert calls == 3
        with pytest.raises(ValueError, match="attempts"):
            await db.run_watched(always_changed, "k", attempts=0)


def test_sync_balance_transfers_across_threads(url: str) -> None:
    with kvs.sync.connect(url) as db:
        db.mset({"alice": 500, "bob": 500})

        def attempt(w: kvs.sync.Watch[str], source: str, target: str) -> None:
            balance = int(w.get(source) or 0)
            w.transaction().set(source, balance - 1).incr(target, 1).execute()

        def worker(n: int) -> None:
            for i in range(40):
                source, target = ("alice", "bob") if (n + i) % 2 else ("bob", "alice")
                db.run_watched(functools.partial(attempt, source=source, target=target),
                               source, target, attempts=200)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(int(v or 0) for v in db.mget(["alice", "bob"])) == 1000


def test_sync_watch_and_transaction(url: str) -> None:
    with kvs.sync.connect(url) as db:
        db.set("k", "1")
        with db.watch("k") as w:
            assert w.get("k") == "1"
            db.set("k", "2")
            with pytest.raises(kvs.WatchError):
                w.transaction().set("k", "3").execute()
        assert db.transaction().incr("k").get("k").execute() == [3, "3"]
        assert db.pipeline().get("k").ttl("k").execute() == ["3", -1]
