"""Subscriptions that survive failures: cut connections, a killed server, half-open
connections, Redis's output-buffer limit; the gap marker; the blocking client too.

The sequence tests publish numbers and keep what PUBLISH answered for each: a number that
counted a receiver *after* the old connection was gone from the server (PUBSUB NUMSUB says
so) must arrive, once, after the gap, and nothing else may.  So the subscriber sees 1..k, one
gap, then exactly the numbers published after it resubscribed: no duplicate, no silent hole.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import trio

import kvs
import kvs.sync
from tests.faultproxy import FaultProxy
from tests.servers import RedisServer


async def _numsub(db: kvs.Client[str], channel: str) -> int:
    reply = await db.execute("PUBSUB", "NUMSUB", channel)
    return int(reply[1])


async def _wait_numsub(db: kvs.Client[str], channel: str, n: int) -> None:
    with trio.fail_after(10):
        while await _numsub(db, channel) != n:
            await trio.sleep(0.01)


class Sequence:
    """A consumer task's view of a numbered sequence: numbers, and "gap" where one was."""

    def __init__(self, sub: kvs.Subscription) -> None:
        self.sub = sub
        self.seen: list[int | str] = []
        self.changed = trio.Event()

    async def consume(self) -> None:
        async for message in self.sub:
            if message.kind == "gap":
                self.seen.append("gap")
            else:
                assert message.data is not None
                self.seen.append(int(message.data))
            self.changed.set()
            self.changed = trio.Event()

    async def wait_for(self, item: int | str) -> None:
        with trio.fail_after(15):
            while item not in self.seen:
                await self.changed.wait()


async def _publish_until_heard(pub: kvs.Client[str], start: int, delivered: list[int]) -> int:
    """Publish start, start+1, ... until one counts a receiver; then ten more.  Returns the
    next number."""
    i = start
    with trio.fail_after(15):
        heard = 0
        while heard < 10:
            try:
                receivers = await pub.publish("seq", i)
            except kvs.ConnectionError:
                receivers = 0  # the server is down: this number reached nobody
            if receivers:
                delivered.append(i)
                heard += 1
            i += 1
            await trio.sleep(0.002)
    return i


def _check(seen: list[int | str], before: list[int], after: list[int]) -> None:
    assert seen.count("gap") == 1, seen
    gap = seen.index("gap")
    assert seen[:gap] == before
    assert seen[gap + 1:] == after


async def test_cut_connection_resubscribes_and_marks_the_gap(
        redis_url: str, redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_url) as pub, \
            kvs.connect(redis_proxy.url_for("redis")) as db, \
            db.subscribe("seq") as sub:
        seq = Sequence(sub)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(seq.consume)
            await _wait_numsub(pub, "seq", 1)
            for i in range(1, 11):
                assert await pub.publish("seq", i) == 1
            await seq.wait_for(10)
            redis_proxy.pause()  # no new connection for now
            redis_proxy.cut_all()
            await _wait_numsub(pub, "seq", 0)
            for i in range(11, 21):  # published while the subscriber is away
                assert await pub.publish("seq", i) == 0
            redis_proxy.resume()
            delivered: list[int] = []
            end = await _publish_until_heard(pub, 21, delivered)
            await seq.wait_for(end - 1)
            nursery.cancel_scope.cancel()
        _check(seq.seen, list(range(1, 11)), delivered)
        assert redis_proxy.connections == 3  # the client's, the subscription's, its new one


async def test_killed_and_restarted_server(
        redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory()
    async with kvs.connect(server.url) as pub, kvs.connect(server.url) as db, \
            db.subscribe("other") as sub:
        await sub.psubscribe("s?q")
        await sub.ssubscribe("shard")
        await sub.subscribe("seq")
        seq = Sequence(sub)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(seq.consume)
            await _wait_numsub(pub, "seq", 1)
            for i in range(1, 6):
                assert await pub.publish("seq", i) == 2  # by channel and by pattern
            await seq.wait_for(5)
            server.kill()
            for i in range(6, 8):  # the server is down: these reach nobody
                try:
                    await pub.publish("seq", i)
                except kvs.ConnectionError:
                    pass
                else:  # pragma: no cover - a dead server cannot answer
                    raise AssertionError("PUBLISH answered with the server down")
            await trio.to_thread.run_sync(server.restart)
            await _wait_numsub(pub, "seq", 1)
            # Everything held came back: the pattern, the channel, the shard channel.
            assert await pub.execute("PUBSUB", "NUMPAT") == 1
            assert await pub.execute("PUBSUB", "SHARDNUMSUB", "shard") == ["shard", 1]
            assert await pub.execute("PUBSUB", "NUMSUB", "other") == ["other", 1]
            delivered = list(range(11, 21))
            for i in delivered:
                assert await pub.publish("seq", i) == 2
            await seq.wait_for(20)
            nursery.cancel_scope.cancel()
        doubled = [n for i in range(1, 6) for n in (i, i)]
        _check(seq.seen, doubled, [n for i in delivered for n in (i, i)])


async def test_half_open_connection_is_found_by_the_health_check(
        redis_url: str, redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_url) as pub, \
            kvs.connect(redis_proxy.url_for("redis"), health_check_interval=0.2,
                        timeout=0.3) as db, \
            db.subscribe("seq") as sub:
        await _wait_numsub(pub, "seq", 1)
        assert await pub.publish("seq", 1) == 1
        assert (await sub.get(timeout=5)) == kvs.Message("message", "seq", "1")
        redis_proxy.blackhole()  # nothing passes, nothing closes
        start = trio.current_time()
        assert await sub.get(timeout=5) == kvs.Message("gap", None, None)
        assert trio.current_time() - start < 3.0  # 0.2 s idle + 0.3 s for the PONG + reopening
        assert redis_proxy.connections == 3  # the client's, the subscription's, its new one
        assert await pub.publish("seq", 2) >= 1  # confirmed before the gap was returned
        assert await sub.get(timeout=5) == kvs.Message("message", "seq", "2")


async def test_short_polls_still_check_the_connection(
        redis_url: str, redis_proxy: FaultProxy) -> None:
    """get(timeout) shorter than the interval, again and again: the idle clock carries on."""
    async with kvs.connect(redis_proxy.url_for("redis"), health_check_interval=0.2,
                           timeout=0.3) as db, db.subscribe("seq") as sub:
        assert await sub.get(timeout=0.05) is None
        redis_proxy.blackhole()
        with trio.fail_after(5):
            while (message := await sub.get(timeout=0.05)) is None:
                pass
        assert message.kind == "gap"


async def test_output_buffer_limit_cuts_a_slow_reader_then_it_recovers(
        redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory(args=("--client-output-buffer-limit", "pubsub", "256kb",
                                        "0", "0"))
    payload = "x" * 1000
    async with kvs.connect(server.url) as pub, kvs.connect(server.url) as db, \
            db.subscribe("flood") as sub:
        await _wait_numsub(pub, "flood", 1)
        # Nobody reads: socket buffers fill, then Redis's output buffer, then Redis cuts.
        with trio.fail_after(30):
            while await _numsub(pub, "flood"):
                for _ in range(500):
                    await pub.publish("flood", payload)
        kinds: list[str] = []
        with trio.fail_after(15):
            while "gap" not in kinds:
                message = await sub.get()
                assert message is not None
                kinds.append(message.kind)
        assert kinds.count("gap") == 1 and kinds[-1] == "gap"
        assert len(kinds) > 1  # what had reached this side before the cut was read first
        await _wait_numsub(pub, "flood", 1)
        assert await pub.publish("flood", "after") == 1
        assert await sub.get(timeout=5) == kvs.Message("message", "flood", "after")


def test_blocking_subscriber_after_a_restart(
        redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory()
    with kvs.sync.connect(server.url) as db, db.subscribe("seq") as sub:
        assert db.publish("seq", 1) == 1
        assert sub.get(timeout=5) == kvs.Message("message", "seq", "1")
        server.kill()
        server.restart()
        assert sub.get(timeout=10) == kvs.Message("gap", None, None)
        received = None
        for _ in range(5):  # the publisher's pool may hold a dead connection
            try:
                received = db.publish("seq", 2)
                break
            except kvs.ConnectionError:
                continue
        assert received == 1
        assert sub.get(timeout=5) == kvs.Message("message", "seq", "2")


async def test_blocking_subscriber_health_check(
        redis_url: str, redis_proxy: FaultProxy) -> None:
    url = redis_proxy.url_for("redis")

    def run() -> list[kvs.Message | None]:
        with kvs.sync.connect(url, health_check_interval=0.2, timeout=0.3) as db, \
                db.subscribe("seq") as sub:
            first = sub.get(timeout=0.1)
            trio.from_thread.run_sync(redis_proxy.blackhole)
            return [first, sub.get(timeout=5)]

    assert await trio.to_thread.run_sync(run) == [None, kvs.Message("gap", None, None)]
    assert redis_proxy.connections == 3  # the client's, the subscription's, its new one


async def test_cancelled_while_reconnecting_stays_usable(
        redis_url: str, redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_url) as pub, \
            kvs.connect(redis_proxy.url_for("redis")) as db, db.subscribe("seq") as sub:
        for step in range(40):
            if step % 4 == 0:
                redis_proxy.cut_all()
            with trio.move_on_after(0.001 * (step % 5)):
                await sub.get()
        kinds = []
        with trio.fail_after(10):
            while "after" not in kinds:
                await pub.publish("seq", "after")
                message = await sub.get(timeout=0.05)
                if message is not None:
                    kinds.append(message.data if message.kind == "message" else message.kind)
        assert set(kinds) <= {"gap", "after"}


async def test_refused_subscription_raises(
        redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory(args=("--user", "bob", "on", ">pw", "resetchannels",
                                        "&allowed", "~*", "+@all"))
    url = server.url.replace("redis://", "redis://bob:pw@")
    async with kvs.connect(url) as db:
        async with db.subscribe("allowed") as sub:
            assert await sub.get(timeout=0.05) is None
        with pytest.raises(kvs.ResponseError) as info:
            async with db.subscribe("forbidden"):
                pass
        assert info.value.code == "NOPERM"
