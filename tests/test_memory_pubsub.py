"""The in-process broker: a bounded mailbox per subscription (a gap when a slow reader falls
too far behind), wake-ups from threads, and one broker per store.  Its replies and counts are
compared with Redis's in tests/test_memory_vs_redis.py."""

from __future__ import annotations

import threading

import pytest
import trio

import kvs
import kvs.sync
from kvs.memory import pubsub
from kvs.memory.store import Store


async def test_a_reader_too_far_behind_gets_a_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pubsub, "MAILBOX_LIMIT", 10)
    async with kvs.connect("memory://pubsub-overflow") as db, db.subscribe("c") as sub:
        for i in range(25):
            assert await db.publish("c", i) == 1  # the publisher never waits for the reader
        first = await sub.get(timeout=1)
        assert first == kvs.Message("gap", None, None)
        rest = []
        while (message := await sub.get(timeout=0.05)) is not None:
            assert message.data is not None
            rest.append(int(message.data))
        assert 0 < len(rest) <= 10
        assert rest == list(range(25 - len(rest), 25))  # the newest, in order, after the gap
        assert await db.publish("c", "later") == 1
        assert await sub.get(timeout=1) == kvs.Message("message", "c", "later")


def test_blocking_reader_is_woken_by_another_thread() -> None:
    with kvs.sync.connect("memory://pubsub-wake") as db, db.subscribe("c") as sub:
        timer = threading.Timer(0.05, lambda: db.publish("c", "late"))
        timer.start()
        try:
            assert sub.get(timeout=5) == kvs.Message("message", "c", "late")
        finally:
            timer.join()


async def test_trio_reader_is_woken_by_a_thread_while_it_waits() -> None:
    async with kvs.connect("memory://pubsub-trio-wake") as db, db.subscribe("c") as sub:

        def later() -> None:
            with kvs.sync.connect("memory://pubsub-trio-wake") as other:
                other.publish("c", "from a thread")

        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.to_thread.run_sync, later)
            with trio.fail_after(5):
                message = await sub.get()
        assert message == kvs.Message("message", "c", "from a thread")


async def test_stores_have_brokers_of_their_own() -> None:
    async with kvs.connect("memory://pubsub-one") as one, \
            kvs.connect("memory://pubsub-two") as two, one.subscribe("c"):
        assert await one.publish("c", "x") == 1
        assert await two.publish("c", "x") == 0


def test_closing_leaves_the_broker() -> None:
    store = Store()
    box = pubsub.Mailbox()
    store.broker.command(box, b"SUBSCRIBE", [b"a", b"b"])
    store.broker.command(box, b"PSUBSCRIBE", [b"*"])
    assert store.execute((b"PUBLISH", b"a", b"m")) == 2
    store.broker.remove(box)
    assert store.execute((b"PUBLISH", b"a", b"m")) == 0
    assert store.execute((b"PUBSUB", b"NUMPAT")) == 0
    assert store.execute((b"PUBSUB", b"CHANNELS")) == []
