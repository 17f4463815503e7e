"""Pub/sub through the clients: the same calls and messages on Redis (RESP3 and RESP2), on
``:memory:`` and on ``kvs serve`` (RESP3 and RESP2), trio and blocking; memcached refuses
before any I/O."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import trio

import kvs
import kvs.sync
from tests.serving import BackgroundServer


@pytest.fixture(params=["redis3", "redis2", "memory", "serve3", "serve2"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "memory":
        yield f"memory://pubsub-{request.node.originalname}"
    elif request.param.startswith("serve"):  # kvs serve, through the Redis backend
        with BackgroundServer(f"memory://served-{request.node.originalname}") as server:
            yield f"{server.url}?protocol={request.param[-1]}"
    else:
        base = request.getfixturevalue("redis_url")
        yield f"{base}?protocol={request.param[-1]}"


async def _held(db: kvs.Client[str], *query: str, expected: object) -> None:
    """Wait until the server shows a change made without waiting (a later subscribe, an
    unsubscribe, a close): another connection's publish may otherwise be served first."""
    with trio.fail_after(5):
        while await db.execute("PUBSUB", *query) != expected:
            await trio.sleep(0.005)


def _held_sync(db: kvs.sync.Client[str], *query: str, expected: object) -> None:
    deadline = time.monotonic() + 5
    while db.execute("PUBSUB", *query) != expected:
        assert time.monotonic() < deadline, f"PUBSUB {query} never became {expected}"
        time.sleep(0.005)


async def _messages(sub: kvs.Subscription, n: int) -> list[kvs.Message]:
    out = []
    for _ in range(n):
        message = await sub.get(timeout=5)
        assert message is not None
        out.append(message)
    return out


async def test_channels_patterns_and_shards(url: str) -> None:
    async with kvs.connect(url) as db, db.subscribe("news") as sub:
        await sub.psubscribe("alert:*")
        await sub.ssubscribe("shard")
        assert await sub.get(timeout=0.05) is None  # confirmations are not messages
        assert await db.publish("news", "hello") == 1
        assert await db.publish("alert:fire", b"\xff") == 1
        assert await db.spublish("shard", 7) == 1
        assert await db.publish("other", "x") == 0
        assert await _messages(sub, 3) == [
            kvs.Message("message", "news", "hello"),
            kvs.Message("pmessage", "alert:fire", "\ufffd", "alert:*"),
            kvs.Message("smessage", "shard", "7"),
        ]
        await sub.unsubscribe()
        await sub.punsubscribe("alert:*")
        await sub.sunsubscribe()
        assert await sub.get(timeout=0.05) is None
        assert await db.publish("news", "gone") == 0
        assert await db.spublish("shard", "gone") == 0


async def test_a_channel_and_two_patterns_count_three_times(url: str) -> None:
    async with kvs.connect(url) as db, db.subscribe("a.b") as sub:
        await sub.psubscribe("a.*", "?.b")
        await _held(db, "NUMPAT", expected=2)
        assert await db.publish("a.b", "m") == 3
        kinds = sorted((m.kind, m.pattern) for m in await _messages(sub, 3))
        assert kinds == [("message", None), ("pmessage", "?.b"), ("pmessage", "a.*")]


async def test_bytes_with_decode_false(url: str) -> None:
    async with kvs.connect(url, decode=False) as db, db.psubscribe(b"k*") as sub:
        await db.publish(b"key", b"\x00\xff")
        assert await sub.get(timeout=5) == kvs.Message("pmessage", b"key", b"\x00\xff", b"k*")


async def test_empty_subscription_filled_later_from_another_task(url: str) -> None:
    async with kvs.connect(url) as db, db.subscribe() as sub:
        got: list[kvs.Message] = []

        async def consume() -> None:
            async for message in sub:
                got.append(message)
                if len(got) == 2:
                    return

        async with trio.open_nursery() as nursery:
            nursery.start_soon(consume)
            await sub.subscribe("late")
            await sub.psubscribe("l*")
            await _held(db, "NUMSUB", "late", expected=["late", 1])
            await _held(db, "NUMPAT", expected=1)
            assert await db.publish("late", "x") == 2  # both subscriptions are in place
        assert sorted(m.kind for m in got) == ["message", "pmessage"]


async def test_closing_ends_iteration_of_another_task(url: str) -> None:
    async with kvs.connect(url) as db:
        sub = db.subscribe("c")
        await sub.open()
        ended = trio.Event()

        async def consume() -> None:
            async for _ in sub:
                pass
            ended.set()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(consume)
            await trio.sleep(0.05)
            await sub.aclose()
            with trio.fail_after(5):
                await ended.wait()
        await _held(db, "NUMSUB", "c", expected=["c", 0])
        assert await db.publish("c", "x") == 0
        with pytest.raises(RuntimeError):
            await sub.get()


async def test_cancelling_the_reader_loses_nothing(url: str) -> None:
    """Readers cancelled at every moment: each message still arrives once, in order."""
    count = 300
    async with kvs.connect(url) as db, db.subscribe("seq") as sub:
        got: list[int] = []

        async def consume() -> None:
            step = 0
            while len(got) < count:
                step += 1
                with trio.move_on_after(0.0001 * (step % 7)):
                    message = await sub.get()
                    assert message is not None and message.data is not None
                    got.append(int(message.data))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(consume)
            for i in range(count):
                assert await db.publish("seq", i) == 1
                if i % 10 == 0:
                    await trio.sleep(0)
        assert got == list(range(count))


async def test_arguments_are_checked_before_any_io(url: str) -> None:
    async with kvs.connect(url) as db:
        with pytest.raises(TypeError, match="subscribe: channel must be str or bytes, not int"):
            db.subscribe(1)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="publish: message must be"):
            await db.publish("c", None)  # type: ignore[arg-type]
        async with db.subscribe() as sub:
            with pytest.raises(TypeError, match="psubscribe"):
                await sub.psubscribe(["x"])  # type: ignore[arg-type]


async def test_pubsub_introspection_through_execute(url: str) -> None:
    async with kvs.connect(url) as db, db.subscribe("x", "y") as sub:
        await sub.psubscribe("p*")
        await sub.ssubscribe("s")
        with trio.fail_after(5):
            while await db.execute("PUBSUB", "NUMPAT") != 1:
                await trio.sleep(0.01)
        assert sorted(await db.execute("PUBSUB", "CHANNELS")) == ["x", "y"]
        assert await db.execute("PUBSUB", "CHANNELS", "[x]") == ["x"]
        assert await db.execute("PUBSUB", "NUMSUB", "x", "z") == ["x", 1, "z", 0]
        assert await db.execute("PUBSUB", "SHARDCHANNELS") == ["s"]
        assert await db.execute("PUBSUB", "SHARDNUMSUB", "s") == ["s", 1]


def test_blocking_client_across_threads(url: str) -> None:
    with kvs.sync.connect(url) as db, db.subscribe("t") as sub:
        sub.psubscribe("t*")
        assert sub.get(timeout=0.05) is None

        def publish() -> None:
            with kvs.sync.connect(url) as other:
                for i in range(50):
                    assert other.publish("t", i) == 2

        thread = threading.Thread(target=publish)
        thread.start()
        got = [sub.get(timeout=5) for _ in range(100)]
        thread.join()
        data = [int(m.data) for m in got if m is not None and m.kind == "message" and m.data]
        assert data == list(range(50))
        assert sum(1 for m in got if m is not None and m.kind == "pmessage") == 50
        sub.unsubscribe("t")
        _held_sync(db, "NUMSUB", "t", expected=["t", 0])
        assert db.publish("t", "x") == 1


def test_blocking_iteration_ends_when_another_thread_closes(url: str) -> None:
    with kvs.sync.connect(url) as db:
        sub = db.subscribe("c")
        sub.open()
        seen: list[kvs.sync.Message] = []

        def consume() -> None:
            seen.extend(sub)

        thread = threading.Thread(target=consume)
        thread.start()
        assert db.publish("c", "one") == 1
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        sub.close()
        thread.join(5)
        assert not thread.is_alive()
        assert [m.data for m in seen] == ["one"]


async def test_memory_delivers_from_threads_to_trio() -> None:
    url = "memory://pubsub-threads"
    async with kvs.connect(url) as db, db.subscribe("c") as sub:

        def publish(start: int) -> None:
            with kvs.sync.connect(url) as other:
                for i in range(start, start + 100):
                    other.publish("c", i)

        async with trio.open_nursery() as nursery:
            for start in (0, 100, 200):
                nursery.start_soon(trio.to_thread.run_sync, publish, start)
            got = await _messages(sub, 300)
        assert sorted(int(m.data) for m in got if m.data) == list(range(300))


async def test_memcached_refuses_before_io(memcached_single_url: str) -> None:
    async with kvs.connect(memcached_single_url) as db:
        for open_ in (db.subscribe, db.psubscribe, db.ssubscribe):
            with pytest.raises(kvs.UnsupportedOperation, match="memcached"):
                open_("c")
        with pytest.raises(kvs.UnsupportedOperation, match=r"publish.*memcached"):
            await db.publish("c", "x")


def test_memcached_refuses_before_io_blocking(memcached_single_url: str) -> None:
    with kvs.sync.connect(memcached_single_url) as sdb:
        with pytest.raises(kvs.UnsupportedOperation, match="memcached"):
            sdb.subscribe("c")
        with pytest.raises(kvs.UnsupportedOperation, match=r"publish.*memcached"):
            sdb.publish("c", "x")
