"""Failover under load, on a cluster of its own per test: ``CLUSTER FAILOVER`` (a replica
takes over, the old primary follows it) and a primary killed (its replica is elected), while
INCR loops run on one client, trio and blocking.  The same client carries on, and the final
counter equals the INCRs that succeeded, give or take the ones whose outcome was reported as
unknown (`kvs.ConnectionError` with ``sent`` True); an INCR is never run twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

import pytest
import trio

import kvs
import kvs.sync
from kvs.cluster import routing
from tests.clusters import RedisCluster, command_calls
from tests.servers import RedisServer, catch_up, hold_and_catch_up

KEY = "counter"


@pytest.fixture
def own_cluster() -> Iterator[RedisCluster]:
    with RedisCluster(node_timeout=1000) as cluster:
        yield cluster


class Tally:
    def __init__(self) -> None:
        self.ok = 0
        self.ok_after = 0  # successes once the new primary took over
        self.ambiguous = 0
        self.refused = 0  # reported as never sent: did not run
        self.switched = False
        self.unexpected: list[BaseException] = []

    def error(self, exc: BaseException) -> None:
        if isinstance(exc, kvs.ConnectionError) and not exc.sent:
            self.refused += 1
        elif isinstance(exc, kvs.ConnectionError | kvs.TimeoutError):
            self.ambiguous += 1
        else:
            self.unexpected.append(exc)

    def success(self) -> None:
        self.ok += 1
        if self.switched:
            self.ok_after += 1

    def check(self, final: int) -> None:
        assert not self.unexpected, self.unexpected[:3]
        assert self.ok_after > 0, "the client did not carry on after the failover"
        assert self.ok <= final <= self.ok + self.ambiguous, vars(self)


def _fail_over(cluster: RedisCluster, how: str) -> None:
    primary = cluster.node_for_key(KEY)
    replica = cluster.replica_of(primary)
    if how == "failover":
        replica.command("CLUSTER", "FAILOVER")
    else:
        hold_and_catch_up(primary, [replica])
        primary.kill()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if cluster.node_for_key(KEY) is replica:
                break
        except Exception:  # a node that is electing may refuse for a moment
            pass
        time.sleep(0.05)
    cluster.wait_ok()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["failover", "kill"])
async def test_incr_loop_survives_failover(own_cluster: RedisCluster, how: str) -> None:
    tally = Tally()
    stop = trio.Event()
    async with kvs.connect(own_cluster.url) as db:
        await db.set(KEY, 0)

        async def loop() -> None:
            while not stop.is_set():
                try:
                    await db.incr(KEY)
                except Exception as exc:
                    tally.error(exc)
                else:
                    tally.success()

        async with trio.open_nursery() as nursery:
            for _ in range(4):
                nursery.start_soon(loop)
            await trio.sleep(0.3)
            await trio.to_thread.run_sync(_fail_over, own_cluster, how)
            tally.switched = True
            await trio.sleep(0.5)
            stop.set()
        final = int(await db.get(KEY) or -1)
    tally.check(final)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["failover", "kill"])
def test_incr_loop_survives_failover_sync(own_cluster: RedisCluster, how: str) -> None:
    tally = Tally()
    stop = threading.Event()
    lock = threading.Lock()
    with kvs.sync.connect(own_cluster.url) as db:
        db.set(KEY, 0)

        def loop() -> None:
            while not stop.is_set():
                try:
                    db.incr(KEY)
                except Exception as exc:
                    with lock:
                        tally.error(exc)
                else:
                    with lock:
                        tally.success()

        threads = [threading.Thread(target=loop) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.3)
            _fail_over(own_cluster, how)
            tally.switched = True
            time.sleep(0.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        final = int(db.get(KEY) or -1)
    tally.check(final)


async def test_replica_reads_survive_a_dead_replica(own_cluster: RedisCluster) -> None:
    async with kvs.connect(own_cluster.url, read_from="replica") as db:
        await db.set(KEY, "v")
        primary = own_cluster.node_for_key(KEY)
        primary.command("WAIT", 1, 2000)
        assert await db.get(KEY) == "v"  # the replica's connection is open
        own_cluster.replica_of(primary).kill()
        with trio.fail_after(5):  # each read falls back to the primary, not to a timeout
            assert [await db.get(KEY) for _ in range(20)] == ["v"] * 20


def test_replica_reads_survive_a_dead_replica_sync(own_cluster: RedisCluster) -> None:
    with kvs.sync.connect(own_cluster.url, read_from="replica") as db:
        db.set(KEY, "v")
        primary = own_cluster.node_for_key(KEY)
        primary.command("WAIT", 1, 2000)
        assert db.get(KEY) == "v"
        own_cluster.replica_of(primary).kill()
        started = time.monotonic()
        assert [db.get(KEY) for _ in range(20)] == ["v"] * 20
        assert time.monotonic() - started < 5


class _Pinned:
    """A stand-in for the `random` module of `kvs.cluster.routing`: the replica picked for
    a read is `first` while the map lists it (the others' order otherwise)."""

    def __init__(self, first: tuple[str, int]) -> None:
        self.first = first

    def choice(self, nodes: Sequence[tuple[str, int]]) -> tuple[str, int]:
        return self.first if self.first in nodes else nodes[0]


def _two_replicas(cluster: RedisCluster) -> tuple[RedisServer, RedisServer, RedisServer]:
    primary = cluster.node_for_key(KEY)
    cluster.add_replica(primary)
    dead, live = cluster.replicas_of(primary)
    return primary, dead, live


def _check_reads(read_from: str, primary: RedisServer, live: RedisServer,
                 before: tuple[int, int], reads: int) -> None:
    on_primary = command_calls(primary, "get") - before[0]
    on_live = command_calls(live, "get") - before[1]
    assert on_primary + on_live == reads
    if read_from == "replica":  # the slot's other replica: never the primary
        assert on_primary == 0
    else:  # the read that found its replica down went to the primary at once
        assert on_primary >= 1


@pytest.mark.parametrize("read_from", ["replica", "prefer_replica"])
async def test_read_from_with_one_of_two_replicas_down(
        own_cluster: RedisCluster, read_from: str, monkeypatch: pytest.MonkeyPatch) -> None:
    primary, dead, live = _two_replicas(own_cluster)
    async with kvs.connect(own_cluster.url, read_from=read_from) as db:
        await db.set(KEY, "v")
        catch_up(primary, [dead, live])
        monkeypatch.setattr(routing, "random", _Pinned((dead.host, dead.port)))
        dead.kill()
        before = command_calls(primary, "get"), command_calls(live, "get")
        with trio.fail_after(5):
            assert [await db.get(KEY) for _ in range(10)] == ["v"] * 10
    _check_reads(read_from, primary, live, before, 10)


@pytest.mark.parametrize("read_from", ["replica", "prefer_replica"])
def test_read_from_with_one_of_two_replicas_down_sync(
        own_cluster: RedisCluster, read_from: str, monkeypatch: pytest.MonkeyPatch) -> None:
    primary, dead, live = _two_replicas(own_cluster)
    with kvs.sync.connect(own_cluster.url, read_from=read_from) as db:
        db.set(KEY, "v")
        catch_up(primary, [dead, live])
        monkeypatch.setattr(routing, "random", _Pinned((dead.host, dead.port)))
        dead.kill()
        before = command_calls(primary, "get"), command_calls(live, "get")
        assert [db.get(KEY) for _ in range(10)] == ["v"] * 10
    _check_reads(read_from, primary, live, before, 10)
