"""``kvs serve`` through real clients: redis-cli, redis-benchmark, our own kvs client, the CLI.

The server runs inside the trio test (``kvs.serve``) and the C tools run with
``trio.run_process``, so the loop keeps serving while they talk to it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trio

import kvs
import kvs.sync
from tests.servers import free_port
from tests.serving import dispatch  # noqa: F401

pytestmark = pytest.mark.usefixtures("dispatch")

_names = itertools.count()
REDIS_CLI = shutil.which("redis-cli") or "redis-cli"
REDIS_BENCHMARK = shutil.which("redis-benchmark") or "redis-benchmark"


def _name() -> str:
    return f"memory://serve-test-{os.getpid()}-{next(_names)}"


async def cli(port: int, *args: str, stdin: bytes | None = None) -> str:
    done = await trio.run_process(
        [REDIS_CLI, "-h", "127.0.0.1", "-p", str(port), *args], stdin=stdin,
        capture_stdout=True, capture_stderr=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode()


async def test_redis_cli_one_shot() -> None:
    async with kvs.serve(_name()) as server:
        assert server.port is not None
        assert server.url == f"redis://127.0.0.1:{server.port}"
        assert await cli(server.port, "PING") == "PONG\n"
        assert await cli(server.port, "SET", "greeting", "hello world") == "OK\n"
        assert await cli(server.port, "GET", "greeting") == "hello world\n"
        assert await cli(server.port, "RPUSH", "l", "a", "b") == "2\n"
        assert await cli(server.port, "LRANGE", "l", "0", "-1") == "a\nb\n"
        assert await cli(server.port, "-3", "HSET", "h", "f", "v") == "1\n"
        assert await cli(server.port, "-3", "HGETALL", "h") == "f v\n"  # a RESP3 map
        assert await cli(server.port, "HGETALL", "h") == "f\nv\n"
        assert (await cli(server.port, "LPUSH", "greeting", "x")).startswith("WRONGTYPE")
        assert await cli(server.port, "ZADD", "z", "1", "m") == "1\n"
        assert (await cli(server.port, "GEOADD", "g", "13.36", "38.11", "p")).startswith(
            "ERR unknown command 'GEOADD'")
        assert await cli(server.port, "XADD", "s", "1-1", "f", "v") == "1-1\n"
        assert await cli(server.port, "-2", "XREAD", "STREAMS", "s", "0") == "s\n1-1\nf\nv\n"
        assert await cli(server.port, "-2", "XREAD", "STREAMS", "s", "$") == "\n"
        info = await cli(server.port, "INFO", "server")
        assert "redis_version:7.0.0" in info


async def test_redis_cli_pipe() -> None:
    commands = b"".join(
        b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nvalue:%d\r\n"
        % (len(b"key:%d" % i), i, len(b"value:%d" % i), i) for i in range(1000))
    commands += b"INCR counter\r\nINCR counter\r\n"
    async with kvs.serve(_name()) as server:
        assert server.port is not None
        out = await cli(server.port, "--pipe", stdin=commands)
        assert "errors: 0, replies: 1002" in out
        async with kvs.connect(server.url) as db:
            assert await db.get("key:999") == "value:999"
            assert await db.get("counter") == "2"


@pytest.mark.slow
async def test_redis_benchmark_completes_without_errors() -> None:
    tests = "set,get,incr,lpush,lpop,sadd,hset,zadd"
    async with kvs.serve(_name()) as server:
        done = await trio.run_process(
            [REDIS_BENCHMARK, "-h", "127.0.0.1", "-p", str(server.port), "-t", tests,
             "-n", "2000", "-c", "10", "-q"],
            capture_stdout=True, capture_stderr=True, check=False)
        output = done.stdout.decode() + done.stderr.decode()
        assert done.returncode == 0, output
        lines = [line.split("\r")[-1] for line in done.stdout.decode().splitlines()]
        summaries = [line for line in lines if "requests per second" in line]
        assert len(summaries) == len(tests.split(",")), output
        assert "error" not in output.lower(), output
        async with kvs.connect(server.url) as db:
            value = await db.get("key:__rand_int__")  # 3 bytes, the default -d
            assert value is not None and len(value) == 3
            assert await db.execute("LLEN", "mylist") == 0  # as many LPOPs as LPUSHes


async def test_our_client_over_redis_url_both_protocols() -> None:
    name = _name()
    async with kvs.serve(name) as server:
        for suffix in ("", "?protocol=2"):
            async with kvs.connect(server.url + suffix) as db:
                assert await db.set("k", "v") is True
                assert await db.hset("h", "f", "v") in (True, False)
                assert await db.hgetall("h") == {"f": "v"}
                assert await db.smembers("nokey") == set()
                assert await db.get("missing") is None
                assert await db.execute("CLIENT", "GETNAME") == "kvs"
        async with kvs.connect(name) as local:  # in-process clients of the same name
            assert await local.get("k") == "v"


async def test_sync_client_from_a_thread() -> None:
    async with kvs.serve(_name()) as server:
        def work() -> str | None:
            with kvs.sync.connect(server.url) as db:
                db.set("from-thread", "yes")
                return db.get("from-thread")

        assert await trio.to_thread.run_sync(work) == "yes"


async def test_password() -> None:
    async with kvs.serve(_name(), password="s3cret") as server:
        assert "s3cret" not in repr(server)
        async with kvs.connect(server.url) as db:
            assert await db.ping() is True
        bare = f"redis://127.0.0.1:{server.port}"
        with pytest.raises(kvs.ResponseError) as info:
            async with kvs.connect(bare) as db:
                await db.ping()
        assert info.value.code == "NOAUTH"
        assert server.port is not None
        out = await cli(server.port, "--no-auth-warning", "-a", "s3cret", "PING")
        assert out == "PONG\n"


async def test_garbage_client_is_dropped_and_others_go_on() -> None:
    async with kvs.serve(_name()) as server, kvs.connect(server.url) as db:
        await db.set("k", "v")
        assert server.port is not None
        bad = await trio.open_tcp_stream("127.0.0.1", server.port)
        await bad.send_all(b"*1\r\n:1\r\n")
        assert await bad.receive_some(1000) == b"-ERR Protocol error: expected '$', got ':'\r\n"
        assert await bad.receive_some(1000) == b""  # closed by the server
        await bad.aclose()
        assert await db.get("k") == "v"


async def test_many_clients_at_once() -> None:
    async with kvs.serve(_name()) as server:
        async def worker(i: int) -> None:
            async with kvs.connect(server.url + f"?client_name=w{i}") as db:
                for _ in range(50):
                    await db.incr("shared")

        async with trio.open_nursery() as nursery:
            for i in range(8):
                nursery.start_soon(worker, i)
        async with kvs.connect(server.url) as db:
            assert await db.get("shared") == "400"


async def test_unix_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "kvs.sock")
    async with kvs.serve(_name(), port=None, unix=path) as server:
        assert server.url == f"unix://{path}"
        async with kvs.connect(server.url) as db:
            assert await db.set("k", "v") is True
            assert await db.get("k") == "v"
    assert not os.path.exists(path)


async def test_only_memory_urls_are_served() -> None:
    with pytest.raises(kvs.InvalidURL):
        async with kvs.serve("redis://localhost:6379"):
            pass  # pragma: no cover


def _wait_for_port(port: int, deadline: float) -> None:
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_serve_shuts_down_cleanly(signum: signal.Signals) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kvs", "serve", "--port", str(port)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        _wait_for_port(port, time.monotonic() + 20)
        done = subprocess.run([REDIS_CLI, "-p", str(port), "SET", "a", "1"],
                              capture_output=True, check=True, timeout=10)
        assert done.stdout == b"OK\n"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    text = err.decode()
    assert f"at redis://127.0.0.1:{port}" in text
    assert f"{signum.name}, shutting down" in text
