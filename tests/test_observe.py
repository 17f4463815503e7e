"""The observer hook: every command's start and end, with its name, duration and outcome, on
the trio client and `kvs.sync` alike, against a real Redis and the memory store."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import kvs
import kvs.sync


class Recorder(kvs.Observer):
    def __init__(self) -> None:
        self.started_: list[tuple[str, str]] = []
        self.events: list[kvs.CommandEvent] = []
        self.tokens: list[Any] = []

    def started(self, command: str, url: str) -> Any:
        self.started_.append((command, url))
        return len(self.started_)

    def finished(self, token: Any, event: kvs.CommandEvent) -> None:
        self.tokens.append(token)
        self.events.append(event)


class Broken(kvs.Observer):
    def started(self, command: str, url: str) -> Any:
        raise RuntimeError("started broke")

    def finished(self, token: Any, event: kvs.CommandEvent) -> None:
        raise RuntimeError("finished broke")


def _check(rec: Recorder, url: str) -> None:
    assert [name for name, _ in rec.started_] == ["SET", "GET", "INCRBY"]
    assert {u for _, u in rec.started_} == {url}
    assert rec.tokens == [1, 2, 3]
    assert [(e.command, e.outcome) for e in rec.events] == [
        ("SET", "ok"), ("GET", "ok"), ("INCRBY", "ResponseError")]
    assert all(e.url == url and 0 < e.duration < 5 for e in rec.events)
    assert rec.events[0].error is None
    assert isinstance(rec.events[2].error, kvs.ResponseError)


@pytest.mark.parametrize("where", ["redis", "memory"])
async def test_every_command_is_reported_trio(where: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("redis_url") if where == "redis" else "memory://observe-t"
    rec = Recorder()
    async with kvs.connect(url, observer=rec) as db:
        await db.set("obs:k", "text")
        assert await db.get("obs:k") == "text"
        with pytest.raises(kvs.ResponseError):
            await db.incr("obs:k")
        await db.mset({})  # nothing to ask the server: no command, no event
    _check(rec, db.url)


@pytest.mark.parametrize("where", ["redis", "memory"])
def test_every_command_is_reported_sync(where: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("redis_url") if where == "redis" else "memory://observe-s"
    rec = Recorder()
    with kvs.sync.connect(url, observer=rec) as db:
        db.set("obs:k", "text")
        assert db.get("obs:k") == "text"
        with pytest.raises(kvs.ResponseError):
            db.incr("obs:k")
        db.mset({})
    _check(rec, db.url)


async def test_a_cancelled_command_is_reported_as_cancelled(redis_url: str) -> None:
    import trio

    rec = Recorder()
    async with kvs.connect(redis_url, observer=rec) as db:
        with trio.CancelScope() as scope:
            scope.cancel()
            await db.get("obs:k")
    assert [(e.command, e.outcome) for e in rec.events] == [("GET", "Cancelled")]


def test_a_failing_observer_is_logged_and_the_command_stands(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="kvs.observe"), \
            kvs.sync.connect("memory://observe-broken", observer=Broken()) as db:
        assert db.set("k", "v") is True
        assert db.get("k") == "v"
    failures = [r for r in caplog.records if r.name == "kvs.observe"]
    assert len(failures) == 4 and all(r.exc_info for r in failures)
    assert "started broke" in caplog.text and "finished broke" in caplog.text


def test_a_client_without_an_observer_runs_the_plain_path() -> None:
    plain = kvs.sync.connect(":memory:")
    observed = kvs.sync.connect(":memory:", observer=Recorder())
    assert "_run" not in vars(plain)  # nothing bound, nothing tested per call
    assert vars(observed)["_run"] == observed._observed_run
