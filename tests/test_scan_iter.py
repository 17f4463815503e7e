"""`scan_iter` and its siblings under trio: each item is a cancellation point, a long loop
over a page lets other tasks run, and a passed deadline ends it (kvs/_scan.py).

A page can hold thousands of items that are already in memory, so these run the iterators
over pages far larger than one item, on `:memory:` and on a real redis-server, along both ways
of checking the cancel flag (inline, and trio's ``checkpoint_if_cancelled`` when the inline
read is not available).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import trio

import kvs
import kvs.sync
from kvs import _scan

_names = itertools.count()


@pytest.fixture(params=["inline", "portable"])
def check(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test with the inline cancel check, then with the portable one."""
    if request.param == "portable":
        monkeypatch.setattr(_scan, "_inline", False)
    yield request.param


@pytest.fixture(params=["memory", "redis"])
async def db(request: pytest.FixtureRequest, check: str) -> AsyncIterator[kvs.Client[str]]:
    if request.param == "memory":
        url = f"memory://scan-iter-{next(_names)}"
    else:
        url = request.getfixturevalue("redis_url")
    async with kvs.connect(url) as client:
        await client.flushdb()
        yield client


async def test_the_inline_check_is_available_on_this_trio() -> None:
    # The fast path must not silently be the portable one on the trio the project pins.
    assert _scan.inline_check() is True


async def test_no_item_after_the_scope_is_cancelled(db: kvs.Client[str]) -> None:
    await db.mset({f"k{i}": i for i in range(500)})
    await db.hset("h", mapping={f"f{i}": i for i in range(500)})
    await db.sadd("s", *range(500))
    await db.zadd("z", {f"m{i}": i for i in range(500)})
    iterators: list[Any] = [
        lambda: db.scan_iter(count=500), lambda: db.hscan_iter("h", count=500),
        lambda: db.sscan_iter("s", count=500), lambda: db.zscan_iter("z", count=500),
    ]
    for make in iterators:
        got: list[Any] = []
        with trio.CancelScope() as scope:
            async for item in make():  # one page (or a few): the items are already here
                got.append(item)
                if len(got) == 3:
                    scope.cancel()  # the very next step must raise Cancelled
        assert scope.cancelled_caught
        assert len(got) == 3
    assert await db.dbsize() == 503  # the client still works


async def test_a_scope_cancelled_before_the_loop_gets_nothing(db: kvs.Client[str]) -> None:
    await db.mset({f"k{i}": i for i in range(100)})
    got: list[str] = []
    with trio.move_on_at(trio.current_time() - 1) as scope:  # a deadline already passed
        async for key in db.scan_iter(count=100):
            got.append(key)
    assert scope.cancelled_caught
    assert got == []


async def test_an_iterator_stepped_from_a_cancelled_scope_raises(db: kvs.Client[str]) -> None:
    # The check reads the scope the caller of each step is in, not the one the iterator
    # started in.
    await db.mset({f"k{i}": i for i in range(100)})
    keys = db.scan_iter(count=100)
    first = await keys.__anext__()
    with trio.CancelScope() as scope:
        scope.cancel()
        await keys.__anext__()
    assert scope.cancelled_caught
    assert first.startswith("k")


async def test_an_iterator_passed_to_a_cancelled_task_raises_there(db: kvs.Client[str]) -> None:
    # The check follows the task that steps the iterator, not the one that started it.
    await db.mset({f"k{i}": i for i in range(100)})
    keys = db.scan_iter(count=100)
    got = [await keys.__anext__()]
    outcome: list[str] = []

    async def other() -> None:
        got.append(await keys.__anext__())  # a step from this task, not cancelled
        with trio.CancelScope() as scope:
            scope.cancel()
            got.append(await keys.__anext__())
        outcome.append("cancelled" if scope.cancelled_caught else "not cancelled")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(other)
    assert outcome == ["cancelled"]
    assert len(set(got)) == 2


async def test_a_long_loop_lets_other_tasks_run(db: kvs.Client[str]) -> None:
    n = 5 * _scan.YIELD_EVERY
    await db.mset({f"k{i}": i for i in range(n)})
    ticks = 0
    seen = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await trio.lowlevel.checkpoint()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(ticker)
        await trio.lowlevel.checkpoint()  # the ticker starts
        before = ticks
        async for _ in db.scan_iter(count=n):  # one page of n keys, a loop with no await
            seen += 1
        during = ticks - before
        nursery.cancel_scope.cancel()
    assert seen == n
    # A full checkpoint every YIELD_EVERY items: the other task ran at each (give or take
    # the first and last, as trio orders each batch of runnable tasks at random).
    assert during >= n // _scan.YIELD_EVERY - 2, during


async def test_a_deadline_that_passes_mid_page_ends_the_loop(db: kvs.Client[str]) -> None:
    n = 4 * _scan.YIELD_EVERY
    await db.mset({f"k{i}": i for i in range(n)})
    seen = 0
    with trio.CancelScope() as scope:
        async for _ in db.scan_iter(count=n):
            seen += 1
            if seen == 10:
                # Noticed by the run loop, at the next full checkpoint.
                scope.deadline = trio.current_time() - 1
    assert scope.cancelled_caught
    assert seen <= 10 + _scan.YIELD_EVERY


def test_the_blocking_iterators_yield_every_item() -> None:
    with kvs.sync.connect(f"memory://scan-iter-sync-{next(_names)}") as sdb:
        n = 3 * _scan.YIELD_EVERY + 5
        sdb.mset({f"k{i}": i for i in range(n)})
        sdb.hset("h", mapping={f"f{i}": i for i in range(n)})
        sdb.sadd("s", *range(n))
        sdb.zadd("z", {f"m{i}": i for i in range(n)})
        for count in (7, n):
            assert sorted(sdb.scan_iter(match="k*", count=count)) == sorted(
                f"k{i}" for i in range(n))
            assert dict(sdb.hscan_iter("h", count=count)) == {f"f{i}": str(i) for i in range(n)}
            assert {*sdb.sscan_iter("s", count=count)} == {str(i) for i in range(n)}
            assert dict(sdb.zscan_iter("z", count=count)) == {f"m{i}": i for i in range(n)}


async def test_odd_keys_come_back_as_each_would_decode(db: kvs.Client[str]) -> None:
    # A page is decoded in one piece, joined with NULs: keys that hold a NUL, or are empty
    # or not ASCII, must still come back whole, and a key that is not UTF-8 must fail as it
    # does alone (its own bytes in the error, not the page's).
    keys = ["with\0nul", "", "\0", "café", "plain"] + [f"k{i}" for i in range(50)]
    await db.mset(dict.fromkeys(keys, "v"))
    assert sorted([key async for key in db.scan_iter(count=20)]) == sorted(keys)
    assert sorted((await db.scan(0, count=1000))[1]) == sorted(keys)
    await db.execute("SET", b"\xff\xfe", "v")
    with pytest.raises(UnicodeDecodeError) as caught:
        [key async for key in db.scan_iter(count=1000)]
    assert caught.value.object == b"\xff\xfe"
