"""Blocking operations (SPEC §7) on Redis and `:memory:`, trio and kvs.sync: who is served
first, timeouts, BLMOVE chains, cancellation that loses nothing, wake-ups across threads,
and on Redis a pool of connections that is reused and closed after a cancelled call."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import trio

import kvs
import kvs.sync
from kvs.memory.store import get_store


@pytest.fixture(params=["redis", "memory"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "redis":
        yield request.getfixturevalue("redis_url")
    else:
        yield f"memory://blocking-{uuid.uuid4().hex}"


async def blocked_clients(db: Any, url: str) -> int:
    if url.startswith("memory://"):
        await trio.lowlevel.checkpoint()
        return get_store(url).blocked_count()
    info = await db.execute("INFO", "clients")
    for line in info.splitlines():
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    raise AssertionError(info)


async def until_blocked(db: Any, url: str, count: int) -> None:
    with trio.fail_after(5):
        while await blocked_clients(db, url) != count:
            await trio.sleep(0.002)


def sync_blocked(url: str) -> int:
    if url.startswith("memory://"):
        return get_store(url).blocked_count()
    with kvs.sync.connect(url) as db:
        info = db.execute("INFO", "clients")
    return int(info.split("blocked_clients:")[1].split()[0])


async def test_waiters_are_served_longest_waiting_first_one_element_each(url: str) -> None:
    async with kvs.connect(url) as db:
        got: list[tuple[int, Any]] = []

        async def waiter(i: int) -> None:
            got.append((i, await db.blpop("q", 5)))

        async with trio.open_nursery() as nursery:
            for i in range(3):
                nursery.start_soon(waiter, i)
                await until_blocked(db, url, i + 1)
            await db.rpush("q", "a")
            with trio.fail_after(5):
                while not got:
                    await trio.sleep(0.002)
            assert got == [(0, ("q", "a"))]
            await db.rpush("q", "b", "c")
        assert sorted(got) == [(0, ("q", "a")), (1, ("q", "b")), (2, ("q", "c"))]
        assert await db.llen("q") == 0


async def test_a_waiter_on_several_keys_is_served_from_the_first_that_fills(url: str) -> None:
    async with kvs.connect(url) as db:
        async with trio.open_nursery() as nursery:
            results: list[Any] = []

            async def waiter() -> None:
                results.append(await db.brpop(["k1", "k2"], 5))

            nursery.start_soon(waiter)
            await until_blocked(db, url, 1)
            await db.rpush("k2", "x", "y")
        assert results == [("k2", "y")]
        assert await db.lrange("k2", 0, -1) == ["x"]
        assert await blocked_clients(db, url) == 0


async def test_timeouts_give_none_and_serve_at_once_when_there_is_something(url: str) -> None:
    async with kvs.connect(url) as db:
        start = trio.current_time()
        assert await db.blpop(["a", "b"], 0.1) is None
        assert await db.brpop("a", 0.05) is None
        assert await db.blmove("a", "b", 0.05) is None
        assert await db.blmpop(0.05, ["a", "b"]) is None
        assert await db.bzpopmin("z", 0.05) is None
        assert await db.bzpopmax(["z"], 0.05) is None
        assert trio.current_time() - start >= 0.35
        await db.rpush("a", "1", "2", "3")
        await db.zadd("z", {"m": 1, "n": 2.5})
        assert await db.blpop(["b", "a"], 0) == ("a", "1")
        assert await db.blmpop(0, ["b", "a"], "right", count=5) == ("a", ["3", "2"])
        assert await db.bzpopmax("z") == ("z", "n", 2.5)
        assert await db.bzpopmin(["y", "z"], 1) == ("z", "m", 1.0)
        assert await blocked_clients(db, url) == 0


async def test_blmove_chain_pushes_to_a_key_another_client_waits_on(url: str) -> None:
    async with kvs.connect(url) as db:
        results: dict[str, Any] = {}

        async def mover() -> None:
            results["moved"] = await db.blmove("src", "mid", 5, "left", "left")

        async def popper() -> None:
            results["popped"] = await db.blpop("mid", 5)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(mover)
            await until_blocked(db, url, 1)
            nursery.start_soon(popper)
            await until_blocked(db, url, 2)
            await db.rpush("src", "job")
        assert results == {"moved": "job", "popped": ("mid", "job")}
        assert await db.exists("src") is False
        assert await db.exists("mid") is False


async def test_blocking_calls_in_transactions_answer_at_once_and_pipelines_refuse(
        url: str) -> None:
    async with kvs.connect(url) as db:
        tx = db.transaction()
        tx.blpop("nothing", 0).rpush("l", "x").blpop("l", 0).bzpopmin("z", 0)
        assert await tx.execute() == [None, 1, ("l", "x"), None]
        p = db.pipeline()
        with pytest.raises(kvs.UnsupportedOperation, match="blocks its connection"):
            p.blpop("l", 0).get("k")
            await p.execute()


async def test_arguments_are_checked_before_io_and_errors_match_redis(url: str) -> None:
    async with kvs.connect(url) as db:
        with pytest.raises(ValueError, match="blpop: timeout must not be negative"):
            await db.blpop("q", -1)
        with pytest.raises(TypeError, match="blpop: timeout must be int or float"):
            await db.blpop("q", "1")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="at least one key"):
            await db.brpop([], 1)
        with pytest.raises(ValueError, match="blmove: src must be one of"):
            await db.blmove("a", "b", 1, "up")
        await db.set("s", "1")
        for argv, error in [
            (("BLPOP", "q", "-1"), "timeout is negative"),
            (("BLPOP", "q", "abc"), "timeout is not a float or out of range"),
            (("BLPOP", "q", "inf"), "timeout is negative"),
            (("BLPOP", "s", "0.01"), "WRONGTYPE"),
            (("BZPOPMIN", "s", "0.01"), "WRONGTYPE"),
            (("BLMPOP", "abc", "1", "q", "LEFT"), "timeout is not a float"),
            (("BLMPOP", "1", "0", "q", "LEFT"), "numkeys should be greater than 0"),
            (("BLMPOP", "x", "1", "q", "UP"), "syntax error"),
            (("BLMOVE", "a", "b", "UP", "LEFT", "x"), "syntax error"),
            (("BLMOVE", "a", "b", "LEFT", "LEFT", "x"), "timeout is not a float"),
            (("BZMPOP", "0.01", "1", "z", "MIN", "COUNT", "0"), "count should be greater"),
        ]:
            with pytest.raises(kvs.ResponseError, match=error):
                await db.execute(*argv)
        assert await db.execute("BZMPOP", "0.01", "1", "nothing", "MIN") is None
        await db.zadd("z", {"a": 1, "b": 2})
        assert await db.execute("BZMPOP", "0", "1", "z", "MAX", "COUNT", "5") == [
            "z", [["b", 2.0], ["a", 1.0]]]
        assert await db.execute("brpoplpush", "nothing", "x", "0.01") is None


async def test_cancelling_a_waiter_never_loses_an_element_memory() -> None:
    url = f"memory://blocking-{uuid.uuid4().hex}"
    rounds, popped = 300, list[Any]()
    async with kvs.connect(url) as db, kvs.connect(url) as other:

        async def waiter(scope: trio.CancelScope, key: str) -> None:
            with scope:
                popped.append(await db.blpop(key, 0))

        for i in range(rounds):
            scope = trio.CancelScope()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(waiter, scope, f"q{i}")
                await until_blocked(db, url, 1)
                # The push and the cancellation race: either the waiter gets the element
                # (the abort is refused) or it stays in the list.
                if random.random() < 0.5:
                    await other.rpush(f"q{i}", f"x{i}")
                    scope.cancel()
                else:
                    scope.cancel()
                    await other.rpush(f"q{i}", f"x{i}")
        remaining = [v for i in range(rounds) for v in await db.lrange(f"q{i}", 0, -1)]
        assert len(popped) + len(remaining) == rounds
        assert 0 < len(popped) < rounds
        assert sorted([value for _, value in popped] + remaining) == sorted(
            f"x{i}" for i in range(rounds))
        assert await blocked_clients(db, url) == 0


def test_cancelling_from_another_thread_races_pushes_without_loss_memory() -> None:
    """The serving side runs on other threads: a push on a thread racing the trio task's
    cancellation; every element ends up popped or still in the list."""
    url = f"memory://blocking-{uuid.uuid4().hex}"
    rounds, popped = 200, []

    async def main() -> None:
        async with kvs.connect(url) as db:
            for i in range(rounds):
                with trio.move_on_after(random.random() * 0.002):
                    thread = threading.Thread(target=_push_later, args=(url, f"x{i}"))
                    thread.start()
                    got = await db.blpop("q", 0)
                    assert got is not None
                    popped.append(got[1])
                thread.join()
            remaining = await db.lrange("q", 0, -1)
            assert len(popped) + len(remaining) == rounds
            assert sorted(popped + remaining) == sorted(f"x{i}" for i in range(rounds))

    trio.run(main)
    assert get_store(url).blocked_count() == 0


def _push_later(url: str, value: str) -> None:
    time.sleep(random.random() * 0.002)
    with kvs.sync.connect(url) as db:
        db.rpush("q", value)


async def test_trio_and_threads_wake_each_other(url: str) -> None:
    async with kvs.connect(url) as db:
        # A thread waits; a trio task pushes.
        result: list[Any] = []

        def sync_waiter() -> None:
            with kvs.sync.connect(url) as sdb:
                result.append(sdb.blpop("to-thread", 5))

        thread = threading.Thread(target=sync_waiter)
        thread.start()
        await until_blocked(db, url, 1)
        await db.rpush("to-thread", "hello")
        await trio.to_thread.run_sync(thread.join)
        assert result == [("to-thread", "hello")]

        # A trio task waits; a thread pushes.
        def sync_pusher() -> None:
            deadline = time.monotonic() + 5
            while sync_blocked(url) != 1 and time.monotonic() < deadline:
                time.sleep(0.002)
            with kvs.sync.connect(url) as sdb:
                sdb.zadd("to-trio", {"m": 7})

        thread = threading.Thread(target=sync_pusher)
        thread.start()
        assert await db.bzpopmin("to-trio", 5) == ("to-trio", "m", 7.0)
        await trio.to_thread.run_sync(thread.join)


def test_sync_client_blocking_calls(url: str) -> None:
    with kvs.sync.connect(url) as db:
        start = time.monotonic()
        assert db.blpop("q", 0.05) is None
        assert db.bzpopmax("z", 0.05) is None
        assert time.monotonic() - start >= 0.1
        got: list[tuple[int, Any]] = []

        def waiter(i: int) -> None:
            with kvs.sync.connect(url) as other:
                got.append((i, other.blpop("q", 5)))

        threads = []
        for i in range(3):
            thread = threading.Thread(target=waiter, args=(i,))
            thread.start()
            threads.append(thread)
            deadline = time.monotonic() + 5
            while sync_blocked(url) != i + 1 and time.monotonic() < deadline:
                time.sleep(0.002)
        db.rpush("q", "a")
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.002)
        assert got == [(0, ("q", "a"))]
        db.rpush("q", "b", "c")
        for thread in threads:
            thread.join()
        assert sorted(got) == [(0, ("q", "a")), (1, ("q", "b")), (2, ("q", "c"))]
        db.rpush("src", "job")
        assert db.blmove("src", "dst", 1, "right", "left") == "job"
        assert db.blmpop(1, ["dst"], count=2) == ("dst", ["job"])


# -- Redis: the pool of blocking connections -------------------------------------------------

def _stats(info: str, field: str) -> int:
    return int(info.split(f"{field}:")[1].split(maxsplit=1)[0])


async def test_redis_blocking_calls_reuse_pooled_connections(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        await db.rpush("q", *range(1000))
        before = _stats(await db.execute("INFO", "stats"), "total_connections_received")
        for _ in range(1000):
            assert await db.blpop("q", 1) is not None
        for _ in range(5):  # Redis times blocked clients out at 10 Hz: a few suffice
            assert await db.blpop("q", 0.01) is None
        after = _stats(await db.execute("INFO", "stats"), "total_connections_received")
        assert after - before == 1
        assert db._backend._blocking_pool.opened == 1  # type: ignore[union-attr]

        async def many() -> None:
            assert await db.blpop("empty", 0.05) is None

        async with trio.open_nursery() as nursery:
            for _ in range(8):
                nursery.start_soon(many)
        async with trio.open_nursery() as nursery:
            for _ in range(8):
                nursery.start_soon(many)
        after = _stats(await db.execute("INFO", "stats"), "total_connections_received")
        assert after - before == 8  # eight at once, then the same eight again


async def test_redis_cancelled_blocking_call_closes_its_connection(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        pool = db._backend._blocking_pool  # type: ignore[union-attr]
        assert await db.blpop("q", 0.01) is None  # one pooled connection
        assert pool.opened == 1
        with trio.move_on_after(5) as scope:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(db.blpop, "q", 0)
                await until_blocked(db, redis_url, 1)
                nursery.cancel_scope.cancel()
        assert not scope.cancelled_caught
        # The server saw the connection close: nobody waits, and a push stays in the list.
        await until_blocked(db, redis_url, 0)
        clients = await db.execute("CLIENT", "LIST")
        assert "cmd=blpop" not in clients
        await db.rpush("q", "kept")
        assert await db.lrange("q", 0, -1) == ["kept"]
        assert await db.blpop("q", 1) == ("q", "kept")
        assert pool.opened == 2  # the cancelled call's connection was not reused


async def test_redis_blocking_call_without_reply_times_out_saying_it_may_have_run(
        redis_url: str) -> None:
    async with kvs.connect(redis_url, timeout=0.2) as db, kvs.connect(redis_url) as admin:
        await db.blpop("q", 0.01)
        await admin.execute("CLIENT", "PAUSE", "1000", "ALL")
        with pytest.raises(kvs.TimeoutError, match="may have been popped"):
            await db.blpop("q", 0.1)
        await admin.execute("CLIENT", "UNPAUSE")
        assert await db.blpop("q", 0.01) is None
        assert db._backend._blocking_pool.opened == 2  # type: ignore[union-attr]


def test_redis_sync_blocking_call_without_reply_times_out_saying_it_may_have_run(
        redis_url: str) -> None:
    with kvs.sync.connect(redis_url, timeout=0.2) as db, kvs.sync.connect(redis_url) as admin:
        before = _stats(admin.execute("INFO", "stats"), "total_connections_received")
        db.rpush("q", *range(1000))
        for _ in range(1000):
            assert db.blpop("q", 1) is not None
        for _ in range(5):
            assert db.blpop("q", 0.001) is None
        assert _stats(admin.execute("INFO", "stats"),
                      "total_connections_received") - before <= 1
        admin.execute("CLIENT", "PAUSE", "1000", "ALL")
        with pytest.raises(kvs.TimeoutError, match="may have been popped"):
            db.blpop("q", 0.1)
        admin.execute("CLIENT", "UNPAUSE")
        assert db.blpop("q", 0.01) is None


class _Steps(trio.abc.Instrument):
    """Counts the scheduler steps of the tasks it watches."""

    def __init__(self, tasks: set[trio.lowlevel.Task]) -> None:
        self.tasks = tasks
        self.steps: dict[trio.lowlevel.Task, int] = {}

    def before_task_step(self, task: trio.lowlevel.Task) -> None:
        if task in self.tasks:
            self.steps[task] = self.steps.get(task, 0) + 1


async def test_a_blocking_call_served_at_once_is_a_checkpoint_and_writes_nothing_if_cancelled(
        url: str) -> None:
    async with kvs.connect(url) as db:
        await db.rpush("q", *range(200))
        assert await db.blpop("q", 1) == ("q", "0")  # the pool is warm
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await trio.lowlevel.checkpoint()
                ticks += 1

        async with trio.open_nursery() as nursery:
            nursery.start_soon(ticker)
            await trio.lowlevel.checkpoint()
            counter = _Steps({trio.lowlevel.current_task()})
            trio.lowlevel.add_instrument(counter)
            start = ticks
            for i in range(1, 101):
                assert await db.blpop("q", 1) == ("q", str(i))
            trio.lowlevel.remove_instrument(counter)
            steps = sum(counter.steps.values())
            assert 100 <= steps <= 102, steps  # one pass per call, even one answered at once
            assert ticks - start >= 95  # each call let the other task run
            nursery.cancel_scope.cancel()

        # A cancelled scope: nothing is written, nothing popped, the connection kept.
        opened = db._backend._blocking_pool.opened if url.startswith("redis") else 0  # type: ignore[union-attr]
        with trio.CancelScope() as scope:
            scope.cancel()
            await db.blpop("q", 1)
        assert scope.cancelled_caught
        assert await db.llen("q") == 99
        assert await db.blpop("q", 1) == ("q", "101")
        if url.startswith("redis"):
            assert db._backend._blocking_pool.opened == opened  # type: ignore[union-attr]


async def test_a_push_wakes_one_waiter_per_element(url: str) -> None:
    async with kvs.connect(url) as db:
        tasks: set[trio.lowlevel.Task] = set()
        got: list[Any] = []

        async def waiter() -> None:
            tasks.add(trio.lowlevel.current_task())
            got.append(await db.blpop("q", 5))

        async with trio.open_nursery() as nursery:
            for _ in range(16):
                nursery.start_soon(waiter)
            await until_blocked(db, url, 16)
            counter = _Steps(tasks)
            trio.lowlevel.add_instrument(counter)
            for pushed in (1, 3):
                await db.rpush("q", *(f"e{pushed}-{i}" for i in range(pushed)))
                with trio.fail_after(5):
                    while len(got) < (1 if pushed == 1 else 4):
                        await trio.sleep(0.001)
                await trio.sleep(0.05)  # time for a wrongly woken waiter to run
                # Only the waiters that got an element ran, each once (its reply).
                assert len(counter.steps) == len(got), (counter.steps, got)
                assert set(counter.steps.values()) == {1}
            trio.lowlevel.remove_instrument(counter)
            await until_blocked(db, url, 12)
            assert sorted(got) == [("q", name) for name in ("e1-0", "e3-0", "e3-1", "e3-2")]
            nursery.cancel_scope.cancel()


async def test_a_blocking_call_that_waits_is_one_scheduler_pass(url: str) -> None:
    # The wait for the element is the call's only yield: no extra pass before it is sent.
    async with kvs.connect(url) as db:
        assert await db.blpop("q", 0.01) is None  # the pool is warm
        counter = _Steps(set())
        got: list[Any] = []

        async def consumer() -> None:
            counter.tasks.add(trio.lowlevel.current_task())
            for _ in range(50):
                got.append(await db.blpop("q", 5))

        trio.lowlevel.add_instrument(counter)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(consumer)
            for i in range(50):
                await until_blocked(db, url, 1)
                await db.rpush("q", i)
        trio.lowlevel.remove_instrument(counter)
        assert got == [("q", str(i)) for i in range(50)]
        steps = sum(counter.steps.values())
        assert steps <= 52, steps  # the first step, then one per call (two before)


async def test_redis_each_blocking_call_times_out_at_its_own_deadline(redis_url: str) -> None:
    # A later call with an earlier deadline is not held to the first call's deadline.
    async with kvs.connect(redis_url, timeout=0.2) as db, kvs.connect(redis_url) as admin:
        async with trio.open_nursery() as nursery:  # two pooled connections
            nursery.start_soon(db.blpop, "q", 0.01)
            nursery.start_soon(db.blpop, "q", 0.01)
        assert db._backend._blocking_pool.opened == 2  # type: ignore[union-attr]
        await admin.execute("CLIENT", "PAUSE", "3000", "ALL")
        ended: dict[str, float] = {}

        async def call(name: str, wait: float) -> None:
            with pytest.raises(kvs.TimeoutError, match="may have been popped"):
                await db.blpop("q", wait)
            ended[name] = trio.current_time()

        start = trio.current_time()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(call, "long", 2.0)  # its deadline: 2.2 s
            await trio.sleep(0.05)
            nursery.start_soon(call, "short", 0.1)  # 0.3 s
        await admin.execute("CLIENT", "UNPAUSE")
        assert 0.3 <= ended["short"] - start < 1.0, ended
        assert 2.2 <= ended["long"] - start < 3.0, ended
        assert await db.blpop("q", 0.01) is None  # a new connection
        await db.rpush("q", "x")
        assert await db.blpop("q", 1) == ("q", "x")


async def test_redis_deadlines_of_ended_calls_do_not_pile_up(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        pool = db._backend._blocking_pool  # type: ignore[union-attr]
        await db.rpush("q", *range(300))
        for i in range(300):  # each deadline is 11 s away when its call ends
            assert await db.blpop("q", 1) == ("q", str(i))
        for _ in range(20):  # cancelled calls: their connections are closed
            with trio.move_on_after(0.01):
                await db.blpop("q", 1)
        assert len(pool._deadlines) <= 129
        assert pool.opened == 20  # the warm one, then one per cancelled call after it


async def test_redis_blocking_calls_over_tls_reuse_and_time_out(
        redis_server_factory: Any) -> None:
    # Over TLS the deadline's watchdog closes a trio SSLStream another task is reading.
    server = redis_server_factory(tls=True)
    async with kvs.connect(server.tls_url, ssl_ca_file=server.ca_path, timeout=0.2) as db, \
            kvs.connect(server.tls_url, ssl_ca_file=server.ca_path) as admin:
        await db.rpush("q", *range(50))
        for i in range(50):
            assert await db.blpop("q", 1) == ("q", str(i))
        assert await db.blpop("q", 0.01) is None
        assert db._backend._blocking_pool.opened == 1  # type: ignore[union-attr]
        await admin.execute("CLIENT", "PAUSE", "1000", "ALL")
        start = trio.current_time()
        with pytest.raises(kvs.TimeoutError, match="may have been popped"):
            await db.blpop("q", 0.1)
        assert trio.current_time() - start < 0.9
        await admin.execute("CLIENT", "UNPAUSE")
        await db.rpush("q", "x")
        assert await db.blpop("q", 1) == ("q", "x")
        assert db._backend._blocking_pool.opened == 2  # type: ignore[union-attr]


async def test_a_waiter_served_while_its_task_is_elsewhere_is_not_lost() -> None:
    # `kvs serve` queues a waiter for a client's task that is not yet asleep in `wait` (it
    # may be writing earlier replies); the element served meanwhile must reach it, and the
    # wait the task was in must not be cut short.
    from kvs.memory.driver import TrioWaiter, wait

    store = get_store(f"memory://waiter-{uuid.uuid4().hex}")
    waiter = TrioWaiter()
    assert store.execute_or_wait((b"BLPOP", b"q", b"0"), waiter) is waiter

    async def push_soon() -> None:
        await trio.sleep(0.01)
        store.execute((b"RPUSH", b"q", b"x"))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(push_soon)
        start = trio.current_time()
        await trio.sleep(0.2)  # this task is asleep here, not in `wait`, when it is served
        assert trio.current_time() - start >= 0.2
    assert waiter.served
    with trio.fail_after(2):
        assert await wait(store, waiter) == [b"q", b"x"]
    assert store.blocked_count() == 0


async def test_a_waiter_served_from_another_thread_before_its_task_waits() -> None:
    from kvs.memory.driver import TrioWaiter, wait

    store = get_store(f"memory://waiter-{uuid.uuid4().hex}")
    waiter = TrioWaiter()
    assert store.execute_or_wait((b"BLPOP", b"q", b"0"), waiter) is waiter
    await trio.to_thread.run_sync(store.execute, (b"RPUSH", b"q", b"y"))
    await trio.sleep(0.05)  # the wake sent to this thread runs while the task sleeps here
    with trio.fail_after(2):
        assert await wait(store, waiter) == [b"q", b"y"]
