"""The examples of ``kvs demo``, each run on its own in-process store."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator

import pytest

import kvs
from kvs.examples import PREFIX, examples, run_demo
from kvs.examples.page_views import VISITS, page_views
from kvs.examples.query_cache import query_cache
from kvs.examples.rate_limit import allow, rate_limiter
from kvs.examples.reliable_queue import reliable_queue
from kvs.examples.sessions import SESSION_TTL, session_cache
from kvs.examples.stream_queue import stream_queue
from kvs.examples.task_queue import task_queue

_names = itertools.count()


@pytest.fixture
async def db() -> AsyncIterator[kvs.Client[str]]:
    async with kvs.connect(f"memory://test-examples-{os.getpid()}-{next(_names)}") as client:
        yield client


class Steps:
    """A `show` that records the steps instead of printing them."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, object]] = []

    def __call__(self, step: str, result: object) -> None:
        self.steps.append((step, result))


async def test_session_cache(db: kvs.Client[str]) -> None:
    steps = Steps()
    summary = await session_cache(db, steps)
    assert summary["login"] is True
    assert summary["user"] == "alice"
    assert SESSION_TTL - 1 <= summary["ttl"] <= SESSION_TTL
    assert 2 * SESSION_TTL - 1 <= summary["ttl_after_touch"] <= 2 * SESSION_TTL
    assert summary["expired"] is True
    assert summary["logout"] == 1
    assert summary["after_logout"] is None
    assert await db.keys(f"{PREFIX}*") == []
    assert len(steps.steps) >= 8


async def test_page_views(db: kvs.Client[str]) -> None:
    await db.set(f"{PREFIX}views:/", 100)  # left over from an earlier run: reset at the start
    summary = await page_views(db, Steps())
    assert summary["counts"] == {"/": 4, "/docs": 3, "/pricing": 2, "/blog": 1}
    assert summary["ranking"] == [("/", 4), ("/docs", 3), ("/pricing", 2), ("/blog", 1)]
    assert sum(summary["counts"].values()) == len(VISITS)
    assert await db.get(f"{PREFIX}views:/docs") == "3"


async def test_task_queue_is_fifo(db: kvs.Client[str]) -> None:
    await db.rpush(f"{PREFIX}queue:jobs", "stale")
    steps = Steps()
    summary = await task_queue(db, steps, jobs=4)
    assert summary["produced"] == [f"resize-image:{n}" for n in range(1, 5)]
    assert summary["processed"] == summary["produced"]
    assert summary["left"] == []
    popped = [result for step, result in steps.steps if step.startswith("worker")]
    assert popped == summary["produced"]


async def test_stream_queue_loses_no_job(db: kvs.Client[str]) -> None:
    await check_stream_queue(db)


async def check_stream_queue(db: kvs.Client[str]) -> None:
    """The stream queue on any backend with streams: every job done once, none pending."""
    summary = await stream_queue(db, Steps(), jobs=6)
    assert sorted(summary["processed"]) == sorted(summary["produced"])
    assert len(summary["processed"]) == 6
    assert len(summary["crashed_with"]) == 1
    assert summary["reclaimed"] == summary["crashed_with"]
    assert summary["pending"] == 0


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_reliable_queue_survives_a_worker_crash(backend: str,
                                                      request: pytest.FixtureRequest) -> None:
    url = (request.getfixturevalue("redis_url") if backend == "redis"
           else f"memory://test-examples-{os.getpid()}-{next(_names)}")
    async with kvs.connect(url) as db:
        steps = Steps()
        summary = await reliable_queue(db, steps, jobs=4)
    produced = summary["produced"]
    assert sorted(job for _, job in summary["done"]) == sorted(produced)  # each once
    assert ("w2", produced[0]) in summary["done"]  # the crashed worker's job, run by w2
    assert all(worker == "w2" for worker, _ in summary["done"])
    assert summary["reaped"] == 1
    assert summary["left"] == []
    assert ("w1: crashes holding", produced[0]) in steps.steps


async def test_rate_limiter(db: kvs.Client[str]) -> None:
    summary = await rate_limiter(db, Steps())
    assert summary["decisions"] == [True] * 10 + [False]
    assert (summary["allowed"], summary["refused"], summary["hits"]) == (10, 1, 11)
    assert 59 <= summary["ttl"] <= 60
    again = await rate_limiter(db, Steps(), limit=3)  # a rerun starts a fresh window
    assert again["decisions"] == [True, True, True, False]


async def test_allow_sets_the_window_once(db: kvs.Client[str]) -> None:
    assert await allow(db, "rl", limit=2, window=30) is True
    await db.expire("rl", 5)
    assert await allow(db, "rl", limit=2, window=30) is True
    assert await db.ttl("rl") == 5  # later hits do not extend the window
    assert await allow(db, "rl", limit=2, window=30) is False


async def test_query_cache(db: kvs.Client[str]) -> None:
    steps = Steps()
    summary = await query_cache(db, steps)
    assert summary["reads"] == ["miss", "hit", "miss", "hit"]
    assert summary["queries"] == 2
    assert summary["prices"] == [25, 25, 30, 30]
    assert summary["invalidated"] == 1
    assert 59 <= await db.ttl(f"{PREFIX}cache:product:42") <= 60


async def test_unsupported_operation_is_reported_as_skipped(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    async def needs_lists(db: kvs.Client[str]) -> dict[str, object]:
        raise kvs.UnsupportedOperation("lrange is not supported by the memcached backend")

    fast = [(title, needs_lists) for title, _ in examples()]
    monkeypatch.setattr("kvs.examples.examples", lambda: fast)
    assert await run_demo(f"memory://test-examples-skip-{os.getpid()}") == 0
    out = capsys.readouterr().out
    skipped = "skipped on this backend: lrange is not supported by the memcached backend"
    assert out.count(skipped) == len(fast)
