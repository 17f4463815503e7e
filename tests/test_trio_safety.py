"""The trio connection never hands a caller a reply that is not its own, honours trio's
checkpoint contract, and replaces connections that went silent (issue: "never a wrong reply").

Pushes come from a real Redis 7 (``CLIENT TRACKING ... REDIRECT``); unsolicited replies from a
small scripted RESP peer; half-open connections from the fault proxy's black hole.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trio

import kvs
import resp
from tests.faultproxy import FaultProxy
from tests.peers import Peer, sentinel_and_master
from tests.servers import RedisServer


def _pipe(db: kvs.Client[str]) -> Any:
    """The shared multiplexed connection behind a Redis client (white box)."""
    backend: Any = db._backend
    return backend._link._pipe


async def test_pushes_are_never_replies(redis_server: RedisServer, redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        client_id = await db.execute("CLIENT", "ID")
        for i in range(20):
            await db.set(f"tracked:{i}", f"value-{i}")
        # Another connection asks Redis to send its invalidations to our shared connection.
        with socket.create_connection(("127.0.0.1", redis_server.port)) as other:
            other.sendall(resp.encode_command("CLIENT", "TRACKING", "on", "REDIRECT", client_id))
            assert other.recv(100) == b"+OK\r\n"
            for i in range(20):
                other.sendall(resp.encode_command("GET", f"tracked:{i}"))
                other.recv(100)
            for i in range(20):  # each write invalidates: a push lands on our connection
                assert await db.set(f"tracked:{i}", f"new-{i}") is True
                assert await db.get(f"tracked:{(i + 7) % 20}") == (
                    f"new-{(i + 7) % 20}" if (i + 7) % 20 <= i else f"value-{(i + 7) % 20}")
            for _ in range(50):
                if _pipe(db).pushes:
                    break
                await trio.sleep(0.01)
        assert _pipe(db).pushes >= 1
        assert await db.incr("counter") == 1
        assert await db.get("tracked:3") == "new-3"


@pytest.fixture
def peer_factory() -> Iterator[Callable[[Callable[[list[bytes]], bytes]], Peer]]:
    peers: list[Peer] = []

    def make(answer: Callable[[list[bytes]], bytes]) -> Peer:
        peers.append(Peer(lambda argv, _: answer(argv)))
        return peers[-1]

    yield make
    for each in peers:
        each.close()


async def test_an_unsolicited_reply_after_a_complete_one_fails_the_connection_not_the_caller(
        peer_factory: Callable[..., Any]) -> None:
    def answer(argv: list[bytes]) -> bytes:
        if argv[0] == b"INCRBY":
            return b":1\r\n:666\r\n"  # the reply, and one more nobody asked for
        return b"$3\r\nval\r\n"

    peer = peer_factory(answer)
    async with kvs.connect(f"redis://127.0.0.1:{peer.port}") as db:
        for _ in range(20):
            assert await db.get("k") == "val"  # never 666: the connection was replaced
            assert await db.get("k") == "val"  # the lone-task shortcut is now in use
            assert await db.incr("k") == 1  # the caller's own reply, never ProtocolError
        assert len(peer.connections) == 20


async def test_a_protocol_error_says_whether_the_command_was_sent(
        peer_factory: Callable[..., Any]) -> None:
    peer = peer_factory(lambda argv: b"?garbage\r\n")
    async with kvs.connect(f"redis://127.0.0.1:{peer.port}") as db:
        with pytest.raises(kvs.ProtocolError) as caught:
            await db.incr("k")
        assert caught.value.sent is True


async def test_every_call_is_a_cancel_point(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        await db.set("k", "v")
        for _ in range(3):
            await db.get("k")  # the lone-task shortcut is now in use
        completed = 0
        with trio.CancelScope() as scope:
            scope.cancel()
            for _ in range(1000):
                await db.get("k")
                completed += 1
        assert completed == 0
        assert scope.cancelled_caught


async def test_a_loop_of_calls_lets_other_tasks_run(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        await db.set("k", "v")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await trio.lowlevel.checkpoint()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(ticker)
            await trio.lowlevel.checkpoint()
            before = ticks
            for _ in range(1000):
                assert await db.get("k") == "v"
            ran = ticks - before
            nursery.cancel_scope.cancel()
        assert ran >= 1000 // 32


async def test_a_silent_connection_after_a_timeout_is_replaced(
        redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis"), timeout=0.2) as db:
        await db.set("k", "v")
        redis_proxy.blackhole()  # half-open: nothing comes back, nothing closes
        with pytest.raises(kvs.TimeoutError):
            await db.get("k")
        # Within the stall deadline the connection is presumed dead and reopened.
        with trio.fail_after(3):
            while True:
                try:
                    assert await db.get("k") == "v"
                    break
                except kvs.TimeoutError:
                    pass
        assert redis_proxy.connections == 2


async def test_an_idle_half_open_connection_is_found_by_the_health_check(
        redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis"), timeout=0.3,
                           health_check_interval=0.2) as db:
        await db.set("k", "v")
        pipe = _pipe(db)
        redis_proxy.blackhole()
        with trio.fail_after(3):
            while not pipe.broken:  # found while idle: no caller has to wait on it
                await trio.sleep(0.05)
        with trio.fail_after(1):
            assert await db.get("k") == "v"
        assert redis_proxy.connections == 2


async def test_the_health_check_keeps_a_healthy_idle_connection(
        redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis"), health_check_interval=0.1) as db:
        await db.set("k", "v")
        down = redis_proxy.bytes_down
        await trio.sleep(0.5)
        assert redis_proxy.bytes_down > down  # PONGs came back
        assert not _pipe(db).broken
        assert await db.get("k") == "v"
        assert redis_proxy.connections == 1


async def test_tcp_keepalive_is_on(redis_url: str) -> None:
    async with kvs.connect(redis_url) as db:
        await db.ping()
        sock = _pipe(db)._transport._sock
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1


async def test_blocking_commands_add_their_own_time_to_the_timeout(redis_url: str) -> None:
    async with kvs.connect(redis_url, timeout=0.2) as db:
        start = trio.current_time()
        assert await db.execute("BLPOP", "empty-list", "0.6") is None
        assert trio.current_time() - start >= 0.5


async def test_a_blocking_command_on_a_silent_server_times_out(
        peer_factory: Callable[..., Any]) -> None:
    peer = peer_factory(lambda argv: b"")  # answers nothing but the handshake
    async with kvs.connect(f"redis://127.0.0.1:{peer.port}", timeout=0.2) as db:
        start = trio.current_time()
        with trio.fail_after(3), pytest.raises(kvs.TimeoutError, match="BLPOP"):
            await db.execute("BLPOP", "empty-list", "0.3")
        assert trio.current_time() - start >= 0.45


def test_a_client_used_from_another_trio_run_says_so(redis_url: str) -> None:
    opened = threading.Event()
    finish = threading.Event()
    holder: dict[str, kvs.Client[str]] = {}

    async def owner() -> None:
        async with kvs.connect(redis_url) as db:
            holder["db"] = db
            await db.ping()
            opened.set()
            await trio.to_thread.run_sync(finish.wait)

    thread = threading.Thread(target=trio.run, args=(owner,))
    thread.start()
    try:
        assert opened.wait(10)

        async def intruder() -> None:
            await holder["db"].ping()

        with pytest.raises(RuntimeError, match="another trio run"):
            trio.run(intruder)
    finally:
        finish.set()
        thread.join(10)


def test_asyncio_is_told_to_use_trio_or_kvs_sync() -> None:
    import asyncio

    async def main() -> None:
        async with kvs.connect(":memory:"):
            pass

    with pytest.raises(RuntimeError, match=r"kvs runs on trio.*kvs\.sync"):
        asyncio.run(main())


LOADING = b"-LOADING Redis is loading the dataset in memory\r\n"


async def test_loading_is_waited_out_for_a_safe_command(
        peer_factory: Callable[..., Any]) -> None:
    calls: list[bytes] = []

    def answer(argv: list[bytes]) -> bytes:
        calls.append(argv[0])
        return LOADING if len(calls) <= 3 else b"$1\r\nv\r\n"

    peer = peer_factory(answer)
    async with kvs.connect(f"redis://127.0.0.1:{peer.port}") as db:
        assert await db.get("k") == "v"
    assert calls == [b"GET"] * 4


async def test_loading_is_not_retried_for_a_command_that_may_run_twice(
        peer_factory: Callable[..., Any]) -> None:
    calls: list[bytes] = []

    def answer(argv: list[bytes]) -> bytes:
        calls.append(argv[0])
        return LOADING

    peer = peer_factory(answer)
    async with kvs.connect(f"redis://127.0.0.1:{peer.port}") as db:
        with pytest.raises(kvs.ResponseError) as caught:
            await db.incr("k")
        assert caught.value.code == "LOADING"
    assert calls == [b"INCRBY"]


async def test_loading_is_given_up_within_the_timeout(
        peer_factory: Callable[..., Any]) -> None:
    peer = peer_factory(lambda argv: LOADING)
    async with kvs.connect(f"redis://127.0.0.1:{peer.port}", timeout=0.3) as db:
        start = trio.current_time()
        with pytest.raises(kvs.ResponseError, match="LOADING"):
            await db.get("k")
        assert trio.current_time() - start < 1.0


_PUSHED_BLPOP = (b">3\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n$1\r\nx\r\n"  # a push first
                 b"*2\r\n$5\r\nqueue\r\n$3\r\njob\r\n")


async def test_a_push_before_a_blocking_reply_is_not_the_reply(
        peer_factory: Callable[..., Any]) -> None:
    peer = peer_factory(lambda argv: _PUSHED_BLPOP if argv[0].upper() == b"BLPOP" else b"+OK\r\n")
    async with kvs.connect(f"redis://127.0.0.1:{peer.port}", timeout=2) as db:
        for _ in range(3):  # on the pooled connection, reused
            assert await db.blpop("queue", 1) == ("queue", "job")


_JOBS = (b"*2\r\n$5\r\nqueue\r\n$4\r\njob1\r\n:666\r\n",  # the reply, and one nobody asked for
         b"*2\r\n$5\r\nqueue\r\n$4\r\njob2\r\n")


async def test_a_reply_nobody_asked_for_after_a_blocking_reply_is_never_the_next_reply(
        peer_factory: Callable[..., Any]) -> None:
    answers = iter(_JOBS)
    peer = peer_factory(lambda argv: next(answers) if argv[0].upper() == b"BLPOP" else b"+OK\r\n")
    async with kvs.connect(f"redis://127.0.0.1:{peer.port}", timeout=2) as db:
        assert await db.blpop("queue", 1) == ("queue", "job1")
        assert await db.blpop("queue", 1) == ("queue", "job2")
    assert len(peer.connections) == 3  # the first blocking connection was not lent again


async def test_an_idle_blocking_connection_is_checked_and_kept(
        redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis"), health_check_interval=0.2) as db:
        assert await db.blpop("q", 0.01) is None
        up = redis_proxy.bytes_up
        assert await db.blpop("q", 0.01) is None  # lent again at once: no check
        call = redis_proxy.bytes_up - up
        await trio.sleep(0.5)  # idle past the interval: PINGed before it is lent again
        up = redis_proxy.bytes_up
        assert await db.blpop("q", 0.01) is None
        assert redis_proxy.bytes_up - up == call + len(b"*1\r\n$4\r\nPING\r\n")
        assert redis_proxy.connections == 2  # the shared one and the one blocking one


_JOB = b"*2\r\n$1\r\nq\r\n$3\r\njob\r\n"


async def test_an_idle_blocking_connection_that_answers_more_than_pong_is_not_lent(
        peer_factory: Callable[..., Any]) -> None:
    peer = peer_factory(lambda argv: _JOB if argv[0].upper() == b"BLPOP" else b"+OK\r\n")
    async with kvs.connect(peer.url, health_check_interval=0.1, timeout=2) as db:
        assert await db.blpop("q", 1) == ("q", "job")
        assert len(peer.connections) == 2  # the shared one and the blocking one
        peer.pongs[1] = b"+PONG\r\n:666\r\n"  # the check's reply, and one nobody asked for
        await trio.sleep(0.3)
        assert await db.blpop("q", 1) == ("q", "job")  # never the 666
        assert len(peer.connections) == 3  # the checked connection was closed, not lent


async def _open_error(client: kvs.Client[Any]) -> BaseException:
    """What `client.open()` raised, out of any exception groups of one."""
    with pytest.raises(BaseException) as info:  # an ExceptionGroup or not
        await client.open()
    error = info.value
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


@pytest.mark.parametrize("url_tail", ["", "/3", "?protocol=2"])
async def test_a_handshake_reply_followed_by_another_fails_the_open(
        peer_factory: Callable[..., Any], url_tail: str) -> None:
    peer = peer_factory(lambda argv: b"$3\r\nval\r\n")
    peer.hello += b":666\r\n"  # nobody asked for it
    peer.pongs[0] = b"+PONG\r\n:666\r\n"  # the RESP2 handshake's last step: the same
    error = await _open_error(kvs.connect(peer.url + url_tail, retries=0))
    assert isinstance(error, kvs.ProtocolError), repr(error)
    assert "more than the reply" in str(error)



async def test_a_role_reply_followed_by_another_fails_the_open() -> None:
    server = Peer(sentinel_and_master(b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n:666\r\n"))
    try:
        error = await _open_error(kvs.connect(f"redis+sentinel://127.0.0.1:{server.port}/svc",
                                              retries=0, connect_timeout=2))
    finally:
        server.close()
    assert isinstance(error, kvs.ProtocolError), repr(error)
    assert "more than the reply to ROLE" in str(error)


async def test_a_watch_block_whose_server_sent_more_than_asked_stops_there(
        peer_factory: Callable[..., Any]) -> None:
    peer = peer_factory(lambda argv: b"+OK\r\n:1\r\n:2\r\n" if argv[0].upper() == b"WATCH"
                        else b"$3\r\nval\r\n")  # WATCH's reply, and two nobody asked for
    async with kvs.connect(peer.url, timeout=2) as db:
        async with db.watch("k") as w:
            with pytest.raises(kvs.ConnectionError):
                await w.get("k")  # never 1 or 2
            with pytest.raises(kvs.WatchError, match="lost"):
                await w.transaction().set("k", "v").execute()
        assert await db.get("k") == "val"


async def test_a_server_silent_during_the_handshake_times_out_the_open(
        peer_factory: Callable[..., Any]) -> None:
    peer = peer_factory(lambda argv: b"+OK\r\n")
    peer.hello = b""  # accepts the connection, never answers HELLO
    started = trio.current_time()
    error = await _open_error(kvs.connect(peer.url, retries=0, connect_timeout=0.3))
    assert isinstance(error, kvs.TimeoutError), repr(error)
    assert 0.25 <= trio.current_time() - started < 3
