"""``redis+sentinel://``: URLs, discovery, failover and replicas, on real servers.

A module-wide Sentinel set (a master, a replica, three Sentinels) serves the tests that do
not change it; every failover test starts a set of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trio

import kvs
import kvs.sync
from kvs._url import parse_url
from kvs.sentinel.discovery import (
    Patience,
    Sentinels,
    UnknownService,
    ask_in_order,
    known_replicas,
    master_address,
    pipeline_refused,
    replica_addresses,
    role_of,
    switched_to,
    transaction_refused,
)
from resp import ReplyError
from tests.sentinels import SentinelSet, swap_roles
from tests.servers import free_port


@pytest.fixture(scope="module")
def sentinels() -> Iterator[SentinelSet]:
    with SentinelSet() as cluster:
        yield cluster


def _dead_address() -> str:
    return f"127.0.0.1:{free_port()}"


# -- URLs ----------------------------------------------------------------------------------


def test_url_parts() -> None:
    config = parse_url("redis+sentinel://u:pw@a:1,b,[::1]:5/svc/3?timeout=2")
    assert config.backend == "sentinel"
    assert config.servers == (("a", 1), ("b", 26379), ("::1", 5))
    assert config.name == "svc"
    assert config.db == 3
    assert (config.username, config.password) == ("u", "pw")
    assert config.timeout == 2.0
    assert config.read_from == "primary"
    assert "pw" not in repr(config) and "pw" not in config.display


def test_url_options() -> None:
    config = parse_url("redis+sentinel://h/svc?read_from=replica&sentinel_password=top",
                       sentinel_username="watcher")
    assert config.read_from == "replica"
    assert (config.sentinel_username, config.sentinel_password) == ("watcher", "top")
    assert "top" not in config.display
    assert parse_url("redis+sentinel://h/svc", read_from="prefer_replica").read_from == \
        "prefer_replica"


@pytest.mark.parametrize("url", [
    "redis+sentinel://h",  # no service
    "redis+sentinel://h/",
    "redis+sentinel://h/svc/x",  # a database that is not a number
    "redis+sentinel://h/svc/1/2",
    "redis+sentinel://h:99999/svc",
])
def test_bad_urls(url: str) -> None:
    with pytest.raises(kvs.InvalidURL):
        kvs.connect(url)


def test_tls_url() -> None:
    config = parse_url("rediss+sentinel://h/svc?ssl_ca_file=/ca.pem")
    assert (config.backend, config.tls, config.ssl_ca_file) == ("sentinel", True, "/ca.pem")
    with pytest.raises(kvs.InvalidURL, match="TLS options"):
        kvs.connect("redis+sentinel://h/svc?ssl_ca_file=/ca.pem")


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="read_from"):
        kvs.connect("redis+sentinel://h/svc?read_from=nearest")
    with pytest.raises(kvs.InvalidURL, match="read_from"):
        kvs.connect("redis://h?read_from=replica")
    with pytest.raises(kvs.InvalidURL, match="sentinel_password") as info:
        kvs.connect("redis://h?sentinel_password=s3cret")
    assert "s3cret" not in str(info.value)


# -- discovery, with no I/O ----------------------------------------------------------------


def test_sentinel_order_promotes_the_one_that_answered() -> None:
    order = Sentinels([("a", 1), ("b", 2), ("c", 3)])
    order.promote(("c", 3))
    assert order.in_order() == [("c", 3), ("a", 1), ("b", 2)]
    order.promote(("x", 9))  # unknown: nothing moves
    assert order.in_order() == [("c", 3), ("a", 1), ("b", 2)]


def _converse(order: Sentinels, replies: dict[tuple[str, int], object]) -> object:
    steps = ask_in_order(order, master_address, "svc", "url")
    try:
        address = next(steps)
        while True:
            address = steps.send(replies[address])
    except StopIteration as done:
        return done.value


def test_a_pass_over_the_sentinels() -> None:
    a, b, c = ("a", 1), ("b", 2), ("c", 3)
    order = Sentinels([a, b, c])
    down = kvs.ConnectionError("cannot connect to a:1: refused")
    assert _converse(order, {a: down, b: None, c: [b"10.0.0.9", b"6379"]}) == ("10.0.0.9", 6379)
    assert order.in_order() == [c, a, b]
    with pytest.raises(UnknownService, match="'svc'"):  # one said null: the name is wrong
        _converse(order, {a: down, b: None, c: None})
    with pytest.raises(kvs.ConnectionError, match=r"refused.*NOAUTH"):
        _converse(order, {c: down, a: down, b: ReplyError("NOAUTH Authentication required.")})


def test_patience_backs_off_within_its_limit() -> None:
    patience = Patience(1.0, now=100.0)
    assert [patience.next_pause(100.0) for _ in range(5)] == [0.05, 0.1, 0.2, 0.4, 0.5]
    assert patience.next_pause(100.9) == pytest.approx(0.1)  # never past the limit
    assert patience.next_pause(101.0) is None
    assert Patience(None, now=0.0).next_pause(1e9) == 0.05  # no limit


def test_switch_master_messages() -> None:
    data = b"svc 127.0.0.1 1 127.0.0.1 2"
    assert switched_to([b"message", b"+switch-master", data], "svc") == ("127.0.0.1", 2)
    assert switched_to([b"message", b"+switch-master", data], "other") is None
    assert switched_to([b"subscribe", b"+switch-master", 1], "svc") is None
    assert switched_to([b"message", b"+sdown", data], "svc") is None


def test_replicas_read_from_the_sentinel_reply() -> None:
    healthy = [b"name", b"127.0.0.1:7", b"ip", b"127.0.0.1", b"port", b"7", b"flags", b"slave",
               b"master-link-status", b"ok"]
    down = [b"ip", b"127.0.0.1", b"port", b"8", b"flags", b"slave,s_down"]
    unlinked = {b"ip": b"127.0.0.1", b"port": b"9", b"flags": b"slave",
                b"master-link-status": b"err"}
    assert replica_addresses([healthy, down, unlinked]) == [("127.0.0.1", 7)]
    assert known_replicas(ReplyError("ERR No such master with that name")) is None
    assert role_of([b"slave", b"127.0.0.1", 1, b"connected", 0]) == "slave"


def test_readonly_refusals() -> None:
    readonly = ReplyError("READONLY You can't write against a read only replica.")
    incr, get = (b"INCR", b"n"), (b"GET", b"k")
    assert pipeline_refused([incr, get], [readonly, b"v"])
    assert not pipeline_refused([incr, get], [1, b"v"])
    # A write that ran (before the node was demoted) makes the pipeline unsafe to resend.
    assert not pipeline_refused([incr, incr], [1, readonly])
    assert transaction_refused(["OK", readonly, ReplyError("EXECABORT Transaction discarded")])
    assert not transaction_refused(["OK", "QUEUED", [1]])


# -- a working service ---------------------------------------------------------------------


async def test_commands_through_sentinel(sentinels: SentinelSet) -> None:
    async with kvs.connect(sentinels.url()) as db:
        assert await db.set("s:k", "v") is True
        assert await db.get("s:k") == "v"
        assert await db.incr("s:n") == 1
        assert role_of(await db.execute("ROLE")) == "master"
        pipe = db.pipeline()
        pipe.set("s:a", 1).incr("s:a").get("s:a")
        assert await pipe.execute() == [True, 2, "2"]
        tx = db.transaction()
        tx.incr("s:t").incr("s:t")
        assert await tx.execute() == [1, 2]
        async with db.watch("s:t") as w:
            assert await w.get("s:t") == "2"
            tx = w.transaction()
            tx.set("s:t", "watched")
            assert await tx.execute() == [True]
        await db.rpush("s:q", "job")
        assert await db.execute("BLPOP", "s:q", 1) == ["s:q", "job"]  # its own connection
        async with db.subscribe("s:news") as sub:
            assert await db.publish("s:news", "hi") == 1
            message = await sub.get(timeout=5)
            assert message is not None and message.data == "hi"
        await db.delete("s:k", "s:n", "s:a", "s:t")
    master = sentinels.node(sentinels.master_port())
    assert master.command("GET", "s:q") is None


def test_commands_through_sentinel_sync(sentinels: SentinelSet) -> None:
    with kvs.sync.connect(sentinels.url()) as db:
        assert db.set("s:k", "v") is True
        assert db.get("s:k") == "v"
        assert db.incr("s:sync") == 1
        assert role_of(db.execute("ROLE")) == "master"
        pipe = db.pipeline()
        pipe.set("s:a", 1).incr("s:a").get("s:a")
        assert pipe.execute() == [True, 2, "2"]
        with db.subscribe("s:news") as sub:
            assert db.publish("s:news", "hi") == 1
            message = sub.get(timeout=5)
            assert message is not None and message.data == "hi"
        db.delete("s:k", "s:sync", "s:a")


def test_database_and_password_of_the_url() -> None:
    with SentinelSet(password="pw", sentinels=1) as cluster:
        async def write() -> None:
            async with kvs.connect(cluster.url(db=2)) as db:
                await db.set("k", "in db 2")

        trio.run(write)
        assert cluster.master is not None
        replies = cluster.master.commands(["SELECT", 2], ["GET", "k"])
        assert replies[1] == b"in db 2"
        with kvs.sync.connect(cluster.url(db=2)) as sdb:
            assert sdb.get("k") == "in db 2"


async def _open_and_close(url: str) -> None:
    async with kvs.connect(url):
        pass


@pytest.mark.slow
def test_tls_everywhere() -> None:
    """rediss+sentinel://: TLS to the Sentinels and to the data nodes, verified against the
    CA of ssl_ca_file (the certificate names 127.0.0.1, the address Sentinel reports), and
    followed across a failover."""
    with SentinelSet(tls=True) as cluster:
        url = cluster.url()
        assert url.startswith("rediss+sentinel://")

        async def through() -> None:
            async with kvs.connect(url) as db:
                assert await db.incr("n") == 1
                backend: Any = db._backend
                new = await trio.to_thread.run_sync(cluster.failover)
                assert await _wait_for(lambda: backend.master == ("127.0.0.1", new), 10)
                assert await db.incr("n") == 2
                assert role_of(await db.execute("ROLE")) == "master"

        trio.run(through)
        with kvs.sync.connect(url) as db:
            assert db.incr("n") == 3
        # Without the CA, the certificates are not trusted: no Sentinel answers.
        plain = url.partition("?")[0] + "?connect_timeout=1"
        with pytest.raises(kvs.ConnectionError, match="no Sentinel"):
            trio.run(_open_and_close, plain)


def test_sentinel_password() -> None:
    with SentinelSet(sentinels=1, sentinel_password="watch") as cluster:
        url = cluster.url()

        async def through(url: str) -> None:
            async with kvs.connect(url) as db:
                assert await db.ping() is True

        trio.run(through, f"{url}?sentinel_password=watch")
        with kvs.sync.connect(url, sentinel_password="watch") as db:
            assert db.ping() is True
        # Without it, every Sentinel refuses (NOAUTH): no Sentinel answered.
        with pytest.raises(kvs.ConnectionError, match="no Sentinel") as info:
            trio.run(through, f"{url}?connect_timeout=1")
        assert "watch" not in str(info.value)
        with pytest.raises(kvs.ConnectionError, match="no Sentinel"), \
                kvs.sync.connect(url, connect_timeout=1):
            pass


def test_two_of_three_sentinels_stopped() -> None:
    with SentinelSet() as cluster:
        cluster.sentinels[0].stop()
        cluster.sentinels[1].stop()
        url = cluster.url()

        async def through() -> None:
            async with kvs.connect(url) as db:
                assert await db.incr("n") == 1
                backend: Any = db._backend
                assert backend._sentinels.in_order()[0][1] == cluster.sentinels[2].port

        trio.run(through)
        with kvs.sync.connect(url) as db:
            assert db.incr("n") == 2


def test_unknown_service_names_it(sentinels: SentinelSet) -> None:
    url = sentinels.url(service="no-such-service")
    with pytest.raises(kvs.KvsError, match="no-such-service") as info:
        trio.run(_open_and_close, url)
    assert not isinstance(info.value, kvs.InvalidURL | kvs.ConnectionError)
    with pytest.raises(kvs.KvsError, match="no-such-service") as sync_info, \
            kvs.sync.connect(url):
        pass
    assert not isinstance(sync_info.value, kvs.InvalidURL | kvs.ConnectionError)


async def test_one_sentinel_left(sentinels: SentinelSet) -> None:
    """Every Sentinel down but the last: it answers, and is asked first from then on."""
    live = sentinels.sentinels[2].address
    url = f"redis+sentinel://{_dead_address()},{_dead_address()},{live}/svc"
    async with kvs.connect(url) as db:
        assert await db.ping() is True
        backend: Any = db._backend  # the order is what this test checks
        first = backend._sentinels.in_order()[0]
        assert f"{first[0]}:{first[1]}" == live


def test_one_sentinel_left_sync(sentinels: SentinelSet) -> None:
    live = sentinels.sentinels[2].address
    url = f"redis+sentinel://{_dead_address()},{live},{_dead_address()}/svc"
    with kvs.sync.connect(url) as db:
        assert db.ping() is True
        backend: Any = db._backend
        first = backend._sentinels.in_order()[0]
        assert f"{first[0]}:{first[1]}" == live


def test_no_sentinel_answers() -> None:
    url = f"redis+sentinel://{_dead_address()},{_dead_address()}/svc?connect_timeout=0.5"
    with pytest.raises(kvs.ConnectionError, match="no Sentinel"):
        trio.run(_open_and_close, url)
    with pytest.raises(kvs.ConnectionError, match="no Sentinel"), kvs.sync.connect(url):
        pass


# -- replicas ------------------------------------------------------------------------------


async def test_reads_from_the_replica(sentinels: SentinelSet) -> None:
    async with kvs.connect(sentinels.url(query="read_from=replica")) as db:
        await db.set("r:k", "written to the master")  # a write: to the master
        assert role_of(await db.execute("ROLE")) == "slave"  # a read: to the replica
        assert await db.execute("WAIT", 1, 5000) == 1
        assert await db.get("r:k") == "written to the master"
        info = await db.execute("INFO", "replication")
        assert "role:slave" in (info.decode() if isinstance(info, bytes) else info)
        assert await db.incr("r:n") == 1  # writes still go to the master
        await db.delete("r:k", "r:n")


def test_reads_from_the_replica_sync(sentinels: SentinelSet) -> None:
    with kvs.sync.connect(sentinels.url(query="read_from=replica")) as db:
        db.set("r:s", "v")
        assert role_of(db.execute("ROLE")) == "slave"
        assert db.execute("WAIT", 1, 5000) == 1
        assert db.get("r:s") == "v"
        db.delete("r:s")


def test_prefer_replica_falls_back_to_the_master() -> None:
    with SentinelSet(replicas=0, sentinels=1) as cluster:
        url = cluster.url(query="read_from=prefer_replica")

        async def roles() -> None:
            async with kvs.connect(url) as db:
                assert role_of(await db.execute("ROLE")) == "master"
            with pytest.raises(kvs.ConnectionError, match="replica"):
                async with kvs.connect(cluster.url(query="read_from=replica")) as db:
                    await db.get("k")

        trio.run(roles)
        with kvs.sync.connect(url) as sdb:
            assert role_of(sdb.execute("ROLE")) == "master"
        with pytest.raises(kvs.ConnectionError, match="replica"), \
                kvs.sync.connect(cluster.url(query="read_from=replica")) as sdb:
            sdb.get("k")


def test_prefer_replica_when_the_replica_dies() -> None:
    """The replica killed: reads go on at once, on the master, rather than waiting for a
    replica for connect_timeout."""
    with SentinelSet(sentinels=1) as cluster:
        url = cluster.url(query="read_from=prefer_replica")

        async def reads() -> None:
            async with kvs.connect(url) as db:
                await db.set("k", "v")
                assert role_of(await db.execute("ROLE")) == "slave"
                cluster.replicas[0].kill()
                with trio.fail_after(3):
                    assert await db.get("k") == "v"
                    assert role_of(await db.execute("ROLE")) == "master"

        trio.run(reads)
        with kvs.sync.connect(url) as sdb:
            start = time.monotonic()
            assert sdb.get("k") == "v"
            assert role_of(sdb.execute("ROLE")) == "master"
            assert time.monotonic() - start < 3


# -- failover ------------------------------------------------------------------------------


class Tally:
    """What an INCR loop saw: successes, and failures whose INCR may have run."""

    def __init__(self) -> None:
        self.ok = 0
        self.ambiguous = 0

    def check(self, final: int) -> None:
        assert self.ok > 0
        assert self.ok <= final <= self.ok + self.ambiguous, (final, self.ok, self.ambiguous)


async def _incr_loop(db: Any, tally: Tally, stop: trio.Event) -> None:
    last = 0
    while not stop.is_set():
        try:
            value = await db.incr("counter")
        except kvs.ConnectionError:
            tally.ambiguous += 1
            continue
        assert value > last  # a lost write would show as a counter that went back
        last = value
        tally.ok += 1


async def _trio_failover(how: str) -> None:
    with SentinelSet() as cluster:
        old = cluster.master_port()
        async with kvs.connect(cluster.url(query="timeout=5&connect_timeout=20")) as db:
            tally = Tally()
            stop = trio.Event()
            async with trio.open_nursery() as nursery:
                for _ in range(4):  # their INCRs pipelined: some are in flight at the switch
                    nursery.start_soon(_incr_loop, db, tally, stop)
                await trio.sleep(0.2)
                change = cluster.failover if how == "failover" else cluster.kill_master
                new = await trio.to_thread.run_sync(change)
                switched_at = tally.ok
                await trio.sleep(0.5)
                stop.set()
            assert new != old
            assert tally.ok > switched_at  # the loop went on, on the new master
            print(f"{how}: {tally.ok} INCRs, {tally.ambiguous} ambiguous")
            # The same client, on the new master.
            assert await db.set("after", "yes") is True
            assert await db.get("after") == "yes"
            assert role_of(await db.execute("ROLE")) == "master"
            final = int(await db.get("counter") or 0)
            tally.check(final)
            backend: Any = db._backend
            assert backend.master == ("127.0.0.1", new)
        assert int(cluster.node(new).command("GET", "counter")) == final


@pytest.mark.slow
async def test_failover_sentinel_command() -> None:
    await _trio_failover("failover")


@pytest.mark.slow
async def test_failover_master_killed() -> None:
    await _trio_failover("kill")


def _sync_failover(how: str) -> None:
    with SentinelSet() as cluster:
        old = cluster.master_port()
        with kvs.sync.connect(cluster.url(query="timeout=5&connect_timeout=20")) as db:
            tally = Tally()
            stop = threading.Event()
            errors: list[BaseException] = []

            lock = threading.Lock()

            def loop() -> None:
                last = 0
                try:
                    while not stop.is_set():
                        try:
                            value = db.incr("counter")
                        except kvs.ConnectionError:
                            with lock:
                                tally.ambiguous += 1
                            continue
                        assert value > last
                        last = value
                        with lock:
                            tally.ok += 1
                except BaseException as exc:  # reported below
                    errors.append(exc)

            workers = [threading.Thread(target=loop) for _ in range(2)]
            for worker in workers:
                worker.start()
            try:
                time.sleep(0.2)
                new = cluster.failover() if how == "failover" else cluster.kill_master()
                switched_at = tally.ok
                time.sleep(0.5)
            finally:
                stop.set()
                for worker in workers:
                    worker.join(30)
            assert not errors, errors
            assert new != old
            assert tally.ok > switched_at
            print(f"{how}: {tally.ok} INCRs, {tally.ambiguous} ambiguous")
            assert db.set("after", "yes") is True
            assert db.get("after") == "yes"
            assert role_of(db.execute("ROLE")) == "master"
            final = int(db.get("counter") or 0)
            tally.check(final)
        assert int(cluster.node(new).command("GET", "counter")) == final


@pytest.mark.slow
def test_failover_sentinel_command_sync() -> None:
    _sync_failover("failover")


@pytest.mark.slow
def test_failover_master_killed_sync() -> None:
    _sync_failover("kill")


async def _count_through(db: Any, stop: trio.Event, tally: Tally) -> None:
    while not stop.is_set():
        try:
            await db.incr("counter")
        except kvs.ConnectionError:
            tally.ambiguous += 1
            continue
        tally.ok += 1
        await trio.sleep(0.001)


@pytest.mark.slow
async def test_readonly_and_role_mean_failover() -> None:
    """The master turned replica with its clients still connected: INCR meets READONLY (it
    did not run), discovery meets a node whose ROLE says slave, and the same INCR runs
    once, on the new master, once the Sentinels name it."""
    with SentinelSet(sentinels=1) as cluster:
        async with kvs.connect(cluster.url(query="timeout=10")) as db:
            tally = Tally()
            stop = trio.Event()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_count_through, db, stop, tally)
                await trio.sleep(0.2)
                new = await trio.to_thread.run_sync(swap_roles, cluster)
                switched_at = tally.ok
                await trio.sleep(0.5)
                stop.set()
            assert tally.ok > switched_at
            assert tally.ambiguous == 0  # nothing broke: every refusal was sent again
            final = int(await db.get("counter") or 0)
            assert final == tally.ok
            backend: Any = db._backend
            assert backend.master == ("127.0.0.1", new)


@pytest.mark.slow
def test_readonly_and_role_mean_failover_sync() -> None:
    with SentinelSet(sentinels=1) as cluster, \
            kvs.sync.connect(cluster.url(query="timeout=10")) as db:
        ok = 0
        done = threading.Event()
        result: list[int] = []

        def swap() -> None:
            time.sleep(0.2)
            result.append(swap_roles(cluster))
            time.sleep(0.5)
            done.set()

        worker = threading.Thread(target=swap)
        worker.start()
        try:
            while not done.is_set():
                db.incr("counter")  # a ConnectionError here fails the test: none expected
                ok += 1
        finally:
            worker.join(30)
        assert int(db.get("counter") or 0) == ok
        backend: Any = db._backend
        assert backend.master == ("127.0.0.1", result[0])


async def _received_after_publish(db: Any, sub: Any) -> list[str]:
    kinds: list[str] = []
    with trio.move_on_after(10):
        while "message" not in kinds:
            await db.publish("news", "on the new master")
            message = await sub.get(timeout=0.2)
            if message is not None:
                kinds.append(message.kind)
    return kinds


async def _wait_for(predicate: Any, seconds: float) -> bool:
    with trio.move_on_after(seconds):
        while not predicate():
            await trio.sleep(0.05)
        return True
    return False


@pytest.mark.slow
async def test_switch_master_is_followed_while_idle() -> None:
    """No command runs during the failover: the subscription to the Sentinels moves the
    client (and closes its connection to the old master) before the next command."""
    with SentinelSet() as cluster:
        async with kvs.connect(cluster.url()) as db, db.subscribe("news") as sub:
            assert await db.ping() is True
            backend: Any = db._backend
            new = await trio.to_thread.run_sync(
                lambda: cluster.failover(pause_writes=False))
            assert await _wait_for(lambda: backend.master == ("127.0.0.1", new), 10)
            assert backend.switches == 1
            assert role_of(await db.execute("ROLE")) == "master"
            assert await db.incr("after") == 1
            # The subscription moved too: a gap marker, then what the new master publishes.
            assert await _received_after_publish(db, sub) == ["gap", "message"]
        assert cluster.node(new).command("GET", "after") == b"1"


@pytest.mark.slow
def test_switch_master_is_followed_while_idle_sync() -> None:
    with SentinelSet() as cluster, kvs.sync.connect(cluster.url()) as db, \
            db.subscribe("news") as sub:
        assert db.ping() is True
        backend: Any = db._backend
        new = cluster.failover(pause_writes=False)
        deadline = time.monotonic() + 10
        while backend.master != ("127.0.0.1", new) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert backend.master == ("127.0.0.1", new)
        assert backend.switches == 1
        assert role_of(db.execute("ROLE")) == "master"
        assert db.incr("after") == 1
        assert cluster.node(new).command("GET", "after") == b"1"
        kinds: list[str] = []
        deadline = time.monotonic() + 10
        while "message" not in kinds and time.monotonic() < deadline:
            db.publish("news", "on the new master")
            message = sub.get(timeout=0.2)
            if message is not None:
                kinds.append(message.kind)
        assert kinds == ["gap", "message"]
