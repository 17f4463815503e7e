"""Blocking commands through ``kvs serve``: a blocked connection waits without blocking the
server, is woken by a push from another connection or an in-process client, answers the
commands pipelined after it in order, and leaves no waiter behind when it disconnects."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from functools import partial
from typing import Any

import pytest
import redis
import trio

import kvs
from kvs.memory.store import Store, get_store
from kvs.server import Server
from kvs.server.session import Session
from kvs.server.state import ServerState
from tests.serving import dispatch  # noqa: F401

pytestmark = pytest.mark.usefixtures("dispatch")

_names = itertools.count()
REDIS_CLI = shutil.which("redis-cli") or "redis-cli"


def _name() -> str:
    return f"memory://serve-blocking-{os.getpid()}-{next(_names)}"


def _port(server: Server) -> int:
    assert server.port is not None
    return server.port


async def until_blocked(store: Store, count: int) -> None:
    with trio.fail_after(5):
        while store.blocked_count() != count:
            await trio.sleep(0.002)


async def test_redis_py_blocked_in_blpop_is_woken_by_an_in_process_push() -> None:
    name = _name()
    store = get_store(name)
    async with kvs.serve(name) as server, kvs.connect(name) as local, \
            kvs.connect(server.url) as remote:

        def blpop() -> Any:
            client = redis.Redis(host="127.0.0.1", port=_port(server))
            try:
                return client.blpop(["jobs"], timeout=5)
            finally:
                client.close()

        async with trio.open_nursery() as nursery:
            results: list[Any] = []

            async def run() -> None:
                results.append(await trio.to_thread.run_sync(blpop))

            nursery.start_soon(run)
            await until_blocked(store, 1)
            # The server goes on serving every other connection meanwhile.
            assert await remote.set("k", "v") is True
            assert await remote.get("k") == "v"
            info = await remote.execute("INFO", "clients")
            assert "blocked_clients:1" in info
            assert "flags=b" in await remote.execute("CLIENT", "LIST")
            await local.rpush("jobs", "j1")
        assert results == [(b"jobs", b"j1")]


async def test_a_push_from_another_connection_wakes_blocked_ones_in_order() -> None:
    name = _name()
    store = get_store(name)
    async with kvs.serve(name) as server, kvs.connect(server.url) as db:
        got: list[tuple[int, Any]] = []

        async def waiter(i: int) -> None:
            got.append((i, await db.brpop("q", 5)))  # each on a pooled connection

        async with trio.open_nursery() as nursery:
            for i in range(3):
                nursery.start_soon(waiter, i)
                await until_blocked(store, i + 1)
            await db.rpush("q", "a", "b", "c")
        assert sorted(got) == [(0, ("q", "c")), (1, ("q", "b")), (2, ("q", "a"))]
        assert await db.blmove("q", "r", 0.05) is None
        assert await db.bzpopmin("z", 0.05) is None


async def test_commands_pipelined_after_a_blocked_one_are_answered_after_it() -> None:
    name = _name()
    store = get_store(name)
    async with kvs.serve(name) as server, kvs.connect(name) as local:
        sock = await trio.open_tcp_stream("127.0.0.1", _port(server))
        async with sock:
            await sock.send_all(b"BLPOP q 5\r\nPING\r\nBLPOP nothing 0.01\r\n")
            await until_blocked(store, 1)
            await sock.send_all(b"ECHO later\r\n")  # held while blocked
            await local.rpush("q", "x")
            expected = b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n+PONG\r\n*-1\r\n$5\r\nlater\r\n"
            received = b""
            with trio.fail_after(5):
                while len(received) < len(expected):
                    received += await sock.receive_some(4096)
            assert received == expected


async def test_a_client_leaving_while_blocked_removes_its_waiter() -> None:
    name = _name()
    store = get_store(name)
    async with kvs.serve(name) as server, kvs.connect(name) as local:
        for _ in range(5):
            sock = await trio.open_tcp_stream("127.0.0.1", _port(server))
            await sock.send_all(b"BLPOP q 0\r\n")
            await until_blocked(store, 1)
            await sock.aclose()
            await until_blocked(store, 0)
        await local.rpush("q", "kept")
        assert await local.lrange("q", 0, -1) == ["kept"]
        # redis-cli's BLPOP, killed while it waits, leaves nothing behind either.
        async with trio.open_nursery() as nursery:
            process = await nursery.start(partial(
                trio.run_process, [REDIS_CLI, "-p", str(server.port), "BLPOP", "other", "0"],
                check=False, stdout=subprocess.DEVNULL))
            await until_blocked(store, 1)
            process.kill()
        await until_blocked(store, 0)


async def test_resp3_and_resp2_shapes_of_blocking_replies() -> None:
    name = _name()
    async with kvs.serve(name) as server, kvs.connect(name) as local:
        await local.zadd("z", {"m": 2.5})
        await local.rpush("l", "a")
        client = redis.Redis(host="127.0.0.1", port=_port(server), protocol=3)
        try:
            assert await trio.to_thread.run_sync(client.bzpopmax, "z", 1) == [b"z", b"m", 2.5]
            assert await trio.to_thread.run_sync(client.blpop, ["nothing"], 0.01) is None
        finally:
            client.close()
        client2 = redis.Redis(host="127.0.0.1", port=_port(server))
        try:
            assert await trio.to_thread.run_sync(
                lambda: client2.execute_command(  # type: ignore[no-untyped-call]
                    "BLMPOP", 1, 1, "l", "LEFT")) == [
                    b"l", [b"a"]]
        finally:
            client2.close()


def test_a_session_without_waiters_answers_blocking_commands_at_once() -> None:
    session = Session(ServerState(Store()))
    assert session.receive(b"BLPOP q 0\r\nMULTI\r\nBLPOP q 0\r\nZADD z 1 m\r\n"
                           b"ZRANGE z 0 -1 WITHSCORES\r\nEXEC\r\n") == (
        b"*-1\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
        b"*3\r\n*-1\r\n:1\r\n*2\r\n$1\r\nm\r\n$1\r\n1\r\n")  # as Redis over RESP2
    assert session.blocked is None
