"""The multiplexed connection and reconnection over in-memory streams, on a mock clock:
timeouts, late replies, stalls, health checks and backoff, instant and exact."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trio
import trio.testing

import kvs
import resp
from kvs.net.multiplexed import MultiplexedConnection
from kvs.net.reconnecting import ReconnectingConnection
from kvs.net.transport import StreamTransport

PING = resp.encode_command("PING")


@pytest.fixture
def autojump_clock() -> trio.testing.MockClock:
    return trio.testing.MockClock(autojump_threshold=0)


class Peer:
    """The server end of an in-memory stream: reads commands, answers as told."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.parser = resp.Parser()
        self.received: list[list[bytes]] = []

    async def next_command(self) -> list[bytes]:
        while True:
            command = self.parser.next_reply()
            if command is not resp.NEED_DATA:
                self.received.append(command)
                return command  # type: ignore[no-any-return]
            data = await self.stream.receive_some(65536)
            if not data:
                raise EOFError
            self.parser.feed(data)

    async def send(self, data: bytes) -> None:
        await self.stream.send_all(data)


def connect(**options: Any) -> tuple[MultiplexedConnection, Peer]:
    client, server = trio.testing.memory_stream_pair()
    conn = MultiplexedConnection.start(StreamTransport(client), resp.Parser(), "test", **options)
    return conn, Peer(server)


async def test_a_timeout_is_exact_and_the_late_reply_goes_to_nobody(
        autojump_clock: trio.testing.MockClock) -> None:
    conn, peer = connect(stall_timeout=5.0)
    start = trio.current_time()
    with pytest.raises(kvs.TimeoutError, match=r"5\.0s"):
        await conn.request(resp.encode_command("GET", "a"), 1, timeout=5.0)
    assert trio.current_time() - start == 5.0
    assert await peer.next_command() == [b"GET", b"a"]
    await peer.send(b"$1\r\nA\r\n")  # late, but inside the stall window

    async def answer_b() -> None:
        assert await peer.next_command() == [b"GET", b"b"]
        await peer.send(b"$1\r\nB\r\n")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(answer_b)
        assert await conn.request(resp.encode_command("GET", "b"), 1, timeout=5.0) == [b"B"]
    await trio.sleep(10)
    assert not conn.broken  # the late reply arrived: the connection is alive


async def test_timeouts_of_any_length_and_order_each_end_exactly_on_time(
        autojump_clock: trio.testing.MockClock) -> None:
    """One timer serves every caller: a short timeout queued behind a long one, a timeout
    after the timer went idle, and a cancelled caller between them all end on time."""
    conn, _peer = connect(stall_timeout=None)
    start = trio.current_time()
    ended: dict[str, float] = {}

    async def ask(name: str, timeout: float) -> None:
        with pytest.raises(kvs.TimeoutError, match=rf"{timeout}s"):
            await conn.request(resp.encode_command("GET", name), 1, timeout=timeout)
        ended[name] = trio.current_time() - start

    async with trio.open_nursery() as nursery:
        nursery.start_soon(ask, "long", 60.0)
        await trio.sleep(1)
        nursery.start_soon(ask, "short", 2.0)
        with trio.move_on_after(0.5):  # cancelled: its slot must not disturb the timer
            await conn.request(resp.encode_command("GET", "gone"), 1, timeout=1.0)
        nursery.start_soon(ask, "middle", 30.0)
    assert ended == {"short": 3.0, "middle": 31.5, "long": 60.0}
    await trio.sleep(100)  # the timer is idle now: a new request arms it again
    async with trio.open_nursery() as nursery:
        nursery.start_soon(ask, "later", 5.0)
    assert ended["later"] == 165.0
    assert not conn.broken


async def test_a_connection_silent_after_a_timeout_is_broken_at_the_stall_deadline(
        autojump_clock: trio.testing.MockClock) -> None:
    conn, _peer = connect(stall_timeout=3.0)
    start = trio.current_time()
    with pytest.raises(kvs.TimeoutError):
        await conn.request(resp.encode_command("GET", "a"), 1, timeout=2.0)
    waiting: list[BaseException] = []

    async def second() -> None:
        try:
            await conn.request(resp.encode_command("GET", "b"), 1, timeout=60.0)
        except kvs.ConnectionError as exc:
            waiting.append(exc)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(second)
    assert trio.current_time() - start == 5.0  # 2 s timeout + 3 s of silence
    assert conn.broken
    assert isinstance(waiting[0], kvs.ConnectionError)
    assert waiting[0].sent is True  # written: the caller must not assume it did not run


async def test_an_idle_connection_is_pinged_and_kept_while_it_answers(
        autojump_clock: trio.testing.MockClock) -> None:
    conn, peer = connect(ping=PING, health_check_interval=30.0, stall_timeout=5.0)
    for _ in range(3):
        assert await peer.next_command() == [b"PING"]
        await peer.send(b"+PONG\r\n")
    assert trio.current_time() == pytest.approx(90.0)
    assert not conn.broken


async def test_an_unanswered_ping_breaks_an_idle_connection(
        autojump_clock: trio.testing.MockClock) -> None:
    conn, peer = connect(ping=PING, health_check_interval=30.0, stall_timeout=5.0)
    assert await peer.next_command() == [b"PING"]
    start = trio.current_time()
    while not conn.broken:
        await trio.sleep(0.5)
    assert trio.current_time() - start == pytest.approx(5.0, abs=0.5)
    with pytest.raises(kvs.ConnectionError, match="health check") as caught:
        await conn.request(PING, 1)
    assert caught.value.sent is False


async def test_a_busy_connection_is_not_pinged(autojump_clock: trio.testing.MockClock) -> None:
    conn, peer = connect(ping=PING, health_check_interval=30.0, stall_timeout=5.0)

    async def serve() -> None:
        while True:
            command = await peer.next_command()
            await peer.send(b"+PONG\r\n" if command == [b"PING"] else b":1\r\n")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve)
        for _ in range(20):
            assert await conn.request(resp.encode_command("INCR", "k"), 1) == [1]
            await trio.sleep(10)
        nursery.cancel_scope.cancel()
    assert [b"PING"] not in peer.received


async def test_reconnecting_backs_off_between_failed_attempts(
        autojump_clock: trio.testing.MockClock) -> None:
    attempts: list[float] = []

    async def opener() -> MultiplexedConnection:
        attempts.append(trio.current_time())
        await trio.lowlevel.checkpoint()
        if len(attempts) < 5:
            raise kvs.ConnectionError("refused")
        return connect()[0]

    link = ReconnectingConnection(opener, retries=3, name="test")
    for _ in range(4):
        with pytest.raises(kvs.ConnectionError):
            await link.connect()
    conn = await link.connect()
    assert not conn.broken
    waits = [b - a for a, b in itertools.pairwise(attempts)]
    # full jitter: each wait is at most 0.05 * 2**(failures - 1), never negative
    for failures, wait in enumerate(waits, start=1):
        assert 0 <= wait <= 0.05 * 2 ** (failures - 1)
    await link.aclose()


async def test_a_broken_connection_is_reopened_and_an_idempotent_request_retried(
        autojump_clock: trio.testing.MockClock) -> None:
    peers: list[Peer] = []

    async def opener() -> MultiplexedConnection:
        await trio.lowlevel.checkpoint()
        conn, peer = connect()
        peers.append(peer)
        return conn

    link = ReconnectingConnection(opener, retries=3, name="test")
    await link.connect()

    async def serve() -> None:
        await peers[0].next_command()
        await peers[0].stream.aclose()  # cut after the request arrived
        while len(peers) < 2:
            await trio.sleep(0.01)
        await peers[1].next_command()
        await peers[1].send(b"$1\r\nv\r\n")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve)
        get = resp.encode_command("GET", "k")
        assert await link.request(get, 1, idempotent=True) == [b"v"]
    incr: Callable[[], Awaitable[list[Any]]] = lambda: link.request(  # noqa: E731
        resp.encode_command("INCR", "k"), 1, idempotent=False)

    async def cut() -> None:
        await peers[1].next_command()
        await peers[1].stream.aclose()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(cut)
        with pytest.raises(kvs.ConnectionError) as caught:
            await incr()
    assert caught.value.sent is True
    assert len(peers) == 2  # a non-idempotent request that may have run is not re-sent
    await link.aclose()
