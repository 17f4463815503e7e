"""The ``kvs`` loggers: connects, losses with their reason, reconnections, retries and
pub/sub gaps are logged, on the trio client and `kvs.sync`, and no record ever holds a
password: not on a refused AUTH, not on a reconnection (the URL is always shown masked)."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterator

import pytest
import trio

import kvs
import kvs.sync
from tests.faultproxy import FaultProxy
from tests.servers import RedisServer

PASSWORD = "zq9-pass-word"
WRONG = "zq9-wrong-word"


@pytest.fixture
def locked(redis_server_factory: Callable[..., RedisServer]) -> RedisServer:
    return redis_server_factory(password=PASSWORD)


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG, logger="kvs"):
        yield caplog
    for record in caplog.get_records("call"):
        text = record.getMessage() + "".join(
            traceback.format_exception(*record.exc_info) if record.exc_info else [])
        assert PASSWORD not in text and WRONG not in text, text


def _messages(records: pytest.LogCaptureFixture, name: str) -> list[str]:
    return [f"{r.levelname} {r.getMessage()}" for r in records.records if r.name == name]


def test_a_refused_password_is_logged_without_it_sync(locked: RedisServer,
                                                      records: pytest.LogCaptureFixture) -> None:
    with pytest.raises(kvs.ResponseError):
        kvs.sync.connect(locked.make_url(password=WRONG), retries=0).open()
    with pytest.raises(kvs.ResponseError):
        kvs.sync.connect(locked.url, password=WRONG, retries=0).open()
    logged = _messages(records, "kvs.net")
    assert len([m for m in logged if m.startswith("WARNING cannot connect to")]) == 2, logged
    assert any("redis://:***@" in m for m in logged), logged


async def test_a_refused_password_is_logged_without_it_trio(
        locked: RedisServer, records: pytest.LogCaptureFixture) -> None:
    client = kvs.connect(locked.make_url(password=WRONG), retries=0)
    with pytest.raises(BaseException, match=r"WRONGPASS|invalid"):
        await client.open()
        await client.ping()
    logged = _messages(records, "kvs.net")
    assert any(m.startswith("WARNING cannot connect to redis://:***@") for m in logged), logged


async def test_a_lost_connection_its_reconnection_and_the_retry_are_logged_trio(
        locked: RedisServer, records: pytest.LogCaptureFixture) -> None:
    async with FaultProxy(locked.host, locked.port) as proxy:
        url = proxy.url_for("redis").replace("redis://", f"redis://:{PASSWORD}@")
        async with kvs.connect(url) as db:
            assert await db.set("k", "v") is True
            proxy.cut_after(0, direction="down")  # the next reply never arrives
            assert await db.get("k") == "v"  # safe to send again: retried once
    logged = _messages(records, "kvs.net")
    assert logged[0].startswith("DEBUG connected to redis://:***@"), logged
    assert any(m.startswith("WARNING connection to redis://:***@") for m in logged), logged
    assert any(m.startswith("INFO retrying a request to redis://:***@") for m in logged)
    assert any(m.startswith("INFO reconnecting to redis://:***@") for m in logged), logged
    assert any(m.startswith("INFO connected to redis://:***@") and m.endswith("again")
               for m in logged), logged


async def test_a_lost_connection_and_the_retry_are_logged_sync(
        locked: RedisServer, records: pytest.LogCaptureFixture) -> None:
    async with FaultProxy(locked.host, locked.port) as proxy:
        def scenario() -> str | None:
            with kvs.sync.connect(proxy.url_for("redis"), password=PASSWORD) as db:
                db.set("k", "v")
                trio.from_thread.run_sync(proxy.cut_after, 0, "down")
                return db.get("k")

        assert await trio.to_thread.run_sync(scenario) == "v"
    logged = _messages(records, "kvs.net")
    assert logged[0].startswith("DEBUG opened a connection to redis://127.0.0.1"), logged
    assert any(m.startswith("WARNING connection to redis://127.0.0.1") for m in logged)
    assert any(m.startswith("INFO retrying a request to redis://127.0.0.1") for m in logged)


async def test_a_pubsub_gap_is_logged_trio(locked: RedisServer,
                                           records: pytest.LogCaptureFixture) -> None:
    async with FaultProxy(locked.host, locked.port) as proxy:
        url = proxy.url_for("redis").replace("redis://", f"redis://:{PASSWORD}@")
        async with kvs.connect(url) as db, db.subscribe("news") as sub:
            proxy.cut_all()
            message = await sub.get(timeout=5)
            assert message is not None and message.kind == "gap"
    logged = _messages(records, "kvs.pubsub")
    assert any(m.startswith("WARNING subscription to redis://:***@") and "gap" in m
               for m in logged), logged


async def test_a_pubsub_gap_is_logged_sync(locked: RedisServer,
                                           records: pytest.LogCaptureFixture) -> None:
    async with FaultProxy(locked.host, locked.port) as proxy:
        url = proxy.url_for("redis").replace("redis://", f"redis://:{PASSWORD}@")

        def scenario() -> str | None:
            with kvs.sync.connect(url) as db, db.subscribe("news") as sub:
                trio.from_thread.run_sync(proxy.cut_all)
                time.sleep(0.05)
                message = sub.get(timeout=5)
                return None if message is None else message.kind

        assert await trio.to_thread.run_sync(scenario) == "gap"
    logged = _messages(records, "kvs.pubsub")
    assert any(m.startswith("WARNING subscription to redis://:***@") and "gap" in m
               for m in logged), logged


def test_an_application_without_logging_set_up_sees_nothing() -> None:
    import subprocess
    import sys

    code = ("import kvs, kvs.sync\n"
            "try:\n"
            "    kvs.sync.connect('redis://:zq9-pass-word@127.0.0.1:1', retries=0).open()\n"
            "except kvs.ConnectionError:\n"
            "    print('refused')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, timeout=60)
    assert (result.stdout, result.stderr) == ("refused\n", "")
