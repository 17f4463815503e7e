"""How ``kvs serve`` shares its loop: many raw clients at once, a client that stops reading,
clients that leave mid-request, hand-offs to a client's own task (blocking, subscribing) and
back, a bug in one client, and cancellation, each through the shared epoll dispatcher and
through one task per client (the `dispatch` fixture)."""

from __future__ import annotations

import itertools
import logging
import os
from typing import Any

import pytest
import trio

import kvs
from kvs.memory.store import get_store
from kvs.server import Server
from kvs.server.session import Session
from tests.serving import dispatch  # noqa: F401

pytestmark = pytest.mark.usefixtures("dispatch")

_names = itertools.count()


def _name() -> str:
    return f"memory://serve-dispatch-{os.getpid()}-{next(_names)}"


def _command(*words: bytes) -> bytes:
    return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%b\r\n" % (len(w), w) for w in words)


async def _connect(server: Server) -> trio.SocketStream:
    assert server.port is not None
    return await trio.open_tcp_stream("127.0.0.1", server.port)


async def _read_exactly(stream: trio.SocketStream, size: int) -> bytes:
    data = b""
    with trio.fail_after(10):
        while len(data) < size:
            chunk = await stream.receive_some(size - len(data))
            assert chunk, f"closed after {len(data)} of {size} bytes"
            data += chunk
    return data


async def _until(predicate: Any) -> None:
    with trio.fail_after(5):
        while not predicate():
            await trio.sleep(0.002)


async def test_many_raw_clients_pipelining_at_once_get_their_own_replies_in_order() -> None:
    async with kvs.serve(_name()) as server:

        async def client(i: int) -> None:
            stream = await _connect(server)
            async with stream:
                for round_ in range(20):
                    key = b"k%d" % i
                    value = b"v%d-%d" % (i, round_)
                    batch = (_command(b"SET", key, value) + _command(b"GET", key)
                             + _command(b"INCR", b"counter"))
                    # Split each batch in two writes, the cut inside a command.
                    await stream.send_all(batch[:7])
                    await trio.sleep(0)
                    await stream.send_all(batch[7:])
                    expected = b"+OK\r\n$%d\r\n%b\r\n" % (len(value), value)
                    assert await _read_exactly(stream, len(expected)) == expected
                    reply = b""
                    while not reply.endswith(b"\r\n"):
                        reply += await stream.receive_some(1)
                    assert reply.startswith(b":")

        async with trio.open_nursery() as nursery:
            for i in range(60):
                nursery.start_soon(client, i)
        async with kvs.connect(server.url) as db:
            assert await db.get("counter") == str(60 * 20)
        await _until(lambda: len(server.state.clients) == 0)


async def test_a_client_that_stops_reading_does_not_stall_the_others() -> None:
    value = b"x" * 100_000
    async with kvs.serve(_name()) as server:
        async with kvs.connect(server.url) as db:
            await db.set("big", value)
        slow = await _connect(server)
        reply = b"$%d\r\n%b\r\n" % (len(value), value)
        count = 200  # 20 MB of replies: far more than the socket buffers hold
        await slow.send_all(_command(b"GET", b"big") * count)
        async with kvs.connect(server.url) as db:
            for i in range(50):  # served while the slow client's replies wait
                await db.set("k", str(i))
                assert await db.get("k") == str(i)
        received = await _read_exactly(slow, len(reply) * count)
        assert received == reply * count
        # Its writes done, the client is plain again and served as before.
        await slow.send_all(_command(b"PING"))
        assert await _read_exactly(slow, 7) == b"+PONG\r\n"
        await slow.aclose()
        await _until(lambda: len(server.state.clients) == 0)


@pytest.mark.parametrize("cut", [1, 9, 20])
async def test_a_client_closing_mid_request_ends_only_that_client(cut: int) -> None:
    async with kvs.serve(_name()) as server, kvs.connect(server.url) as db:
        await db.set("k", "v")
        leaving = await _connect(server)
        await leaving.send_all(_command(b"SET", b"half", b"written")[:cut])
        await _until(lambda: len(server.state.clients) == 2)
        await leaving.aclose()
        await _until(lambda: len(server.state.clients) == 1)
        assert await db.get("k") == "v"
        assert await db.get("half") is None


async def test_a_blocked_client_is_handed_to_its_task_and_comes_back() -> None:
    name = _name()
    async with kvs.serve(name) as server, kvs.connect(name) as local:
        stream = await _connect(server)
        async with stream:
            # A reply, then a command that blocks, then one that must wait for it.
            await stream.send_all(_command(b"PING") + _command(b"BLPOP", b"jobs", b"5")
                                  + _command(b"GET", b"after"))
            assert await _read_exactly(stream, 7) == b"+PONG\r\n"
            await _until(lambda: get_store(name).blocked_count() == 1)
            await local.set("after", "1")
            await local.rpush("jobs", "job")
            expected = b"*2\r\n$4\r\njobs\r\n$3\r\njob\r\n$1\r\n1\r\n"
            assert await _read_exactly(stream, len(expected)) == expected
            for i in range(3):  # plain again, and blocking again
                await stream.send_all(_command(b"INCR", b"n"))
                assert await _read_exactly(stream, 4) == b":%d\r\n" % (i + 1)
            await stream.send_all(_command(b"BLPOP", b"jobs", b"0.05"))
            assert await _read_exactly(stream, 5) == b"*-1\r\n"
        await _until(lambda: len(server.state.clients) == 0)
        assert get_store(name).blocked_count() == 0


async def test_a_client_that_subscribes_mid_pipeline_gets_replies_and_pushes_in_order() -> None:
    name = _name()
    async with kvs.serve(name) as server, kvs.connect(name) as local:
        stream = await _connect(server)
        async with stream:
            await stream.send_all(_command(b"SET", b"k", b"v") + _command(b"SUBSCRIBE", b"ch")
                                  + _command(b"PING"))
            expected = (b"+OK\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
                        b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
            assert await _read_exactly(stream, len(expected)) == expected
            assert await local.publish("ch", "hello") == 1
            message = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n"
            assert await _read_exactly(stream, len(message)) == message
        await _until(lambda: len(server.state.clients) == 0)


async def test_a_bug_while_serving_one_client_drops_that_client_only(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    real = Session.receive

    def receive(self: Session, data: bytes) -> bytes:
        if b"BOOM" in data:
            raise RuntimeError("a bug")
        return real(self, data)

    monkeypatch.setattr(Session, "receive", receive)
    async with kvs.serve(_name()) as server, kvs.connect(server.url) as db:
        await db.set("k", "v")
        bad = await _connect(server)
        with caplog.at_level(logging.ERROR, logger="kvs.serve"):
            await bad.send_all(_command(b"BOOM"))
            with trio.fail_after(5):
                assert await bad.receive_some(100) == b""  # dropped
        assert "dropped" in caplog.text
        await bad.aclose()
        assert await db.get("k") == "v"
        await _until(lambda: len(server.state.clients) == 1)


async def test_leaving_the_serve_block_closes_every_client() -> None:
    name = _name()
    streams: list[trio.SocketStream] = []
    async with kvs.serve(name) as server:
        for _ in range(10):
            stream = await _connect(server)
            await stream.send_all(_command(b"PING"))
            assert await _read_exactly(stream, 7) == b"+PONG\r\n"
            streams.append(stream)
        blocked = await _connect(server)
        await blocked.send_all(_command(b"BLPOP", b"never", b"0"))
        await _until(lambda: get_store(name).blocked_count() == 1)
        streams.append(blocked)
        state = server.state
    assert state.clients == {}
    assert get_store(name).blocked_count() == 0
    for stream in streams:
        with trio.fail_after(5):
            assert await stream.receive_some(100) == b""
        await stream.aclose()


async def test_cancelling_the_server_from_outside_closes_every_client() -> None:
    streams: list[trio.SocketStream] = []
    with trio.CancelScope() as scope:
        async with kvs.serve(_name()) as server:
            for _ in range(5):
                stream = await _connect(server)
                await stream.send_all(_command(b"PING"))
                assert await _read_exactly(stream, 7) == b"+PONG\r\n"
                streams.append(stream)
            scope.cancel()
            await trio.sleep_forever()
    assert scope.cancelled_caught
    for stream in streams:
        with trio.fail_after(5):
            assert await stream.receive_some(100) == b""
        await stream.aclose()
