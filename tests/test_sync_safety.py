"""kvs.sync never hands a reply to the wrong caller, even from a hostile server.

The hostile peer is a small TCP server in this file that speaks just enough RESP to pass the
handshake and answers each command with whatever bytes a test's handler returns, so a test
can send unsolicited replies, pushes before replies, partial replies and ``-LOADING``.
Pushes from a real Redis come from ``CLIENT TRACKING on REDIRECT <id>`` on a second
connection, as a stranger knowing our client id could do.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trio

import kvs
import kvs.sync
import resp
from kvs.sync import transport
from tests.faultproxy import FaultProxy
from tests.peers import Handler, Peer, peer, sentinel_and_master


def bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


def counter() -> Handler:
    count = iter(range(1, 1000))

    def handle(argv: list[bytes], server: Peer) -> bytes:
        n = next(count)
        return b":%d\r\n:666\r\n" % n if n == 1 else b":%d\r\n" % n

    return handle


def test_an_extra_reply_with_the_reply_is_never_lent() -> None:
    with peer(counter()) as server, kvs.sync.connect(server.url) as db:
        assert db.incr("n") == 1  # the caller keeps its own reply
        assert db.incr("n") == 2  # and the 666 that came with it went with the connection
        assert db.incr("n") == 3
        assert len(server.connections) == 2


def test_a_reply_sent_to_an_idle_connection_is_never_lent() -> None:
    def handle(argv: list[bytes], server: Peer) -> bytes:
        if argv[0].upper() == b"GET":
            sock = server.connections[-1]
            threading.Timer(0.05, sock.sendall, (b":666\r\n",)).start()
            return bulk(b"a")
        return b":%d\r\n" % len(server.calls)

    with peer(handle) as server, kvs.sync.connect(server.url) as db:
        assert db.get("k") == "a"
        time.sleep(0.3)
        assert db.incr("n") == 2


def test_a_push_before_a_reply_is_not_a_reply() -> None:
    def handle(argv: list[bytes], server: Peer) -> bytes:
        if argv[0].upper() == b"SET":
            return b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n+OK\r\n"
        return bulk(argv[1])

    with peer(handle) as server, kvs.sync.connect(server.url) as db:
        for i in range(3):
            assert db.set("k", "v") is True
            assert db.execute("ECHO", f"mine-{i}") == f"mine-{i}"
        assert db._backend.pushes == 3  # type: ignore[union-attr]
        assert len(server.connections) == 1  # a push does not cost the connection


def test_a_push_after_a_reply_keeps_the_connection() -> None:
    def handle(argv: list[bytes], server: Peer) -> bytes:
        return bulk(argv[1]) + b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"

    with peer(handle) as server, kvs.sync.connect(server.url) as db:
        for i in range(3):
            assert db.execute("ECHO", f"mine-{i}") == f"mine-{i}"
        assert db._backend.pushes == 3  # type: ignore[union-attr]
        assert len(server.connections) == 1


def test_a_reply_after_a_push_after_a_reply_is_never_lent() -> None:
    def handle(argv: list[bytes], server: Peer) -> bytes:
        push = b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"
        return bulk(argv[1]) + push + b":666\r\n"

    with peer(handle) as server, kvs.sync.connect(server.url) as db:
        assert db.execute("ECHO", "mine-0") == "mine-0"
        assert db.execute("ECHO", "mine-1") == "mine-1"
        assert len(server.connections) == 2


def test_part_of_an_extra_reply_is_never_lent() -> None:
    def handle(argv: list[bytes], server: Peer) -> bytes:
        return bulk(b"a") + b"$5\r\nha" if len(server.calls) == 1 else bulk(b"b")

    with peer(handle) as server, kvs.sync.connect(server.url) as db:
        assert db.get("k") == "a"
        assert db.get("k") == "b"
        assert len(server.connections) == 2


def test_a_protocol_error_says_the_command_was_sent() -> None:
    with peer(lambda argv, server: b"?what\r\n") as server, \
            kvs.sync.connect(server.url) as db:
        with pytest.raises(kvs.ProtocolError) as info:
            db.incr("n")
        assert info.value.sent is True
        assert len(server.calls) == 1


LOADING = b"-LOADING Redis is loading the dataset in memory\r\n"


def test_loading_is_retried_for_a_safe_command() -> None:
    def handle(argv: list[bytes], server: Peer) -> bytes:
        return LOADING if len(server.calls) <= 3 else bulk(b"v")

    with peer(handle) as server, kvs.sync.connect(server.url) as db:
        assert db.get("k") == "v"
        assert len(server.calls) == 4


def test_loading_is_not_retried_for_a_command_that_may_run_twice() -> None:
    with peer(lambda argv, server: LOADING) as server, kvs.sync.connect(server.url) as db:
        with pytest.raises(kvs.ResponseError) as info:
            db.incr("n")
        assert info.value.code == "LOADING"
        assert len(server.calls) == 1


def test_loading_gives_up_within_the_timeout() -> None:
    with peer(lambda argv, server: LOADING) as server, \
            kvs.sync.connect(server.url, timeout=0.5) as db:
        started = time.monotonic()
        with pytest.raises(kvs.ResponseError) as info:
            db.get("k")
        elapsed = time.monotonic() - started
        assert info.value.code == "LOADING"
        assert 0.2 < elapsed < 1.5
        assert len(server.calls) > 2


class RawRedis:
    """One plain connection to a real Redis, for what the client must not do itself."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=5)
        self.parser = resp.Parser()

    def __call__(self, *argv: str | bytes | int) -> Any:
        self.sock.sendall(resp.encode_command(*argv))
        while (reply := self.parser.next_reply()) is resp.NEED_DATA:
            self.parser.feed(self.sock.recv(65536))
        return reply

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw(redis_server: Any, redis_url: str) -> Iterator[RawRedis]:
    conn = RawRedis(redis_server.host, redis_server.port)
    yield conn
    conn.close()


def test_invalidation_pushes_redirected_to_us_are_not_replies(redis_url: str,
                                                              raw: RawRedis) -> None:
    with kvs.sync.connect(redis_url) as db:
        ours = db.execute("CLIENT", "ID")
        assert raw("CLIENT", "TRACKING", "on", "REDIRECT", ours) == "OK"
        for i in range(9):
            db.set(f"other{i}", f"value{i}")
            raw("GET", f"k{i}")  # the stranger tracks k{i}: changing it pushes to us
            assert db.set(f"k{i}", f"v{i}") is True
            assert db.get(f"other{i}") == f"value{i}"
            assert db.get(f"k{i}") == f"v{i}"
        assert db._backend.pushes >= 9  # type: ignore[union-attr]


def test_a_blocking_command_gets_its_own_timeout_on_top(redis_url: str) -> None:
    with kvs.sync.connect(redis_url, timeout=0.5) as db:
        started = time.monotonic()
        assert db.execute("BLPOP", "queue", "1.5") is None
        assert time.monotonic() - started >= 1.4
        assert db.get("after") is None  # the connection is still good


def test_a_blocking_command_with_timeout_0_waits_for_ever(redis_url: str) -> None:
    with kvs.sync.connect(redis_url, timeout=0.3) as db:
        threading.Timer(1.0, db.rpush, ("queue", "job")).start()
        assert db.execute("BLPOP", "queue", "0") == ["queue", "job"]
        threading.Timer(0.8, db.rpush, ("queue", "job2")).start()
        assert db.execute("BLMPOP", "0", "1", "queue", "LEFT") == ["queue", ["job2"]]


def test_a_plain_command_still_times_out() -> None:
    def slow(argv: list[bytes], server: Peer) -> bytes:
        time.sleep(1.0)
        return b"+OK\r\n"

    with peer(slow) as server, kvs.sync.connect(server.url, timeout=0.3) as db:
        started = time.monotonic()
        with pytest.raises(kvs.TimeoutError):
            db.execute("LPUSH", "q", "x")
        assert time.monotonic() - started < 0.9


@pytest.mark.parametrize("fixture", ["redis_url", "memcached_single_url"])
def test_a_blocking_call_inside_trio_run_warns_once(fixture: str, request: pytest.FixtureRequest,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "_warned_trio", False)
    with kvs.sync.connect(request.getfixturevalue(fixture)) as db:
        db.set("k", "v")  # trio is imported but not running here: no warning

        async def inside() -> None:
            with pytest.warns(RuntimeWarning, match="use kvs"):
                assert db.get("k") == "v"
            assert db.get("k") == "v"  # once: filterwarnings=error would fail a second

        trio.run(inside)


def test_the_cheap_trio_detection_agrees_with_trio_in_and_out_of_a_run() -> None:
    inside = transport._trio_detector(trio)
    assert inside is not None
    assert inside.__name__ == "inside"  # the fast path: trio's run context was found
    seen: list[tuple[bool, bool]] = [(inside(), trio.lowlevel.in_trio_run())]

    async def main() -> None:
        seen.append((inside(), trio.lowlevel.in_trio_run()))
        seen.append(await trio.to_thread.run_sync(
            lambda: (inside(), trio.lowlevel.in_trio_run())))  # another thread: outside

    trio.run(main)
    seen.append((inside(), trio.lowlevel.in_trio_run()))
    assert seen == [(False, False), (True, True), (False, False), (False, False)]


def test_a_real_server_loading_its_dataset(redis_server_factory: Callable[..., Any]) -> None:
    server = redis_server_factory(args=(
        "--enable-debug-command", "yes",
        "--key-load-delay", "100",  # microseconds per key: 20,000 keys load for ~2 s
        "--loading-process-events-interval-bytes", "1024"))  # answer (LOADING) while loading
    assert server.command("DEBUG", "POPULATE", "20000") == "OK"
    assert server.command("SAVE") == "OK"
    server.restart()
    with kvs.sync.connect(server.url) as db:
        with pytest.raises(kvs.ResponseError) as info:
            db.incr("counter")  # not safe to send twice: the error at once
        assert info.value.code == "LOADING"
        started = time.monotonic()
        assert db.get("key:7") == "value:7"  # safe: waited for, within the timeout
        assert time.monotonic() - started > 0.2
        assert db.incr("counter") == 1


async def test_an_idle_half_open_connection_is_checked_before_it_is_lent(
        redis_proxy: FaultProxy) -> None:
    url = redis_proxy.url_for("redis")

    def scenario() -> str | None:
        with kvs.sync.connect(url, timeout=0.3, health_check_interval=0.1) as db:
            db.set("k", "v")
            trio.from_thread.run_sync(redis_proxy.blackhole)
            time.sleep(0.2)  # idle for longer than the interval
            return db.get("k")  # the PING goes unanswered: a new connection serves it

    assert await trio.to_thread.run_sync(scenario) == "v"
    assert redis_proxy.connections == 2


async def test_a_healthy_idle_connection_is_kept(redis_proxy: FaultProxy) -> None:
    url = redis_proxy.url_for("redis")

    def scenario() -> str | None:
        with kvs.sync.connect(url, health_check_interval=0.1) as db:
            db.set("k", "v")
            time.sleep(0.2)
            return db.get("k")

    assert await trio.to_thread.run_sync(scenario) == "v"
    assert redis_proxy.connections == 1


def test_a_push_before_a_blocking_reply_is_not_the_reply() -> None:
    answer = (b">3\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n$1\r\nx\r\n"  # a push first
              b"*2\r\n$5\r\nqueue\r\n$3\r\njob\r\n")
    with peer(lambda argv, _: answer if argv[0].upper() == b"BLPOP" else b"+OK\r\n") as server, \
            kvs.sync.connect(server.url, timeout=2) as db:
        for _ in range(3):
            assert db.blpop("queue", 1) == ("queue", "job")


def test_a_reply_nobody_asked_for_after_a_blocking_reply_is_never_the_next_reply() -> None:
    answers = iter((b"*2\r\n$5\r\nqueue\r\n$4\r\njob1\r\n:666\r\n",  # and one nobody asked for
                    b"*2\r\n$5\r\nqueue\r\n$4\r\njob2\r\n"))
    with peer(lambda argv, _: next(answers) if argv[0].upper() == b"BLPOP" else b"+OK\r\n") \
            as server, kvs.sync.connect(server.url, timeout=2) as db:
        assert db.blpop("queue", 1) == ("queue", "job1")
        assert db.blpop("queue", 1) == ("queue", "job2")


def test_a_blocking_command_on_a_silent_server_times_out() -> None:
    with peer(lambda argv, _: b"") as server, kvs.sync.connect(server.url, timeout=0.2) as db:
        started = time.monotonic()
        with pytest.raises(kvs.TimeoutError):
            db.execute("BLPOP", "empty-list", "0.3")
        assert time.monotonic() - started >= 0.45


@pytest.mark.parametrize("protocol", [2, 3])
def test_an_idle_connection_that_answers_more_than_pong_is_not_lent(protocol: int) -> None:
    job = b"*2\r\n$1\r\nq\r\n$3\r\njob\r\n"
    with peer(lambda argv, _: job if argv[0].upper() == b"BLPOP" else b"+OK\r\n") as server, \
            kvs.sync.connect(server.url, health_check_interval=0.1, timeout=2,
                             protocol=protocol) as db:
        assert db.blpop("q", 1) == ("q", "job")
        assert len(server.connections) == 1
        server.pongs[0] = b"+PONG\r\n:666\r\n"  # the check's reply, and one nobody asked for
        time.sleep(0.3)
        assert db.blpop("q", 1) == ("q", "job")  # never the 666
        assert len(server.connections) == 2  # the checked connection was closed, not lent


@pytest.mark.parametrize("url_tail", ["", "/3", "?protocol=2"])
def test_a_handshake_reply_followed_by_another_fails_the_open(url_tail: str) -> None:
    with peer(lambda argv, _: b"$3\r\nval\r\n") as server:
        server.hello += b":666\r\n"  # nobody asked for it
        server.pongs[0] = b"+PONG\r\n:666\r\n"  # the RESP2 handshake's last step: the same
        client = kvs.sync.connect(server.url + url_tail, retries=0)
        with pytest.raises(kvs.ProtocolError, match="more than the reply"):
            client.open()



def test_a_role_reply_followed_by_another_fails_the_open() -> None:
    # The ROLE reply, and one nobody asked for.
    with peer(sentinel_and_master(b"*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n:666\r\n")) as server:
        client = kvs.sync.connect(f"redis+sentinel://127.0.0.1:{server.port}/svc", retries=0,
                                  connect_timeout=2)
        with pytest.raises(kvs.ProtocolError, match="more than the reply to ROLE"):
            client.open()


def test_a_watch_block_whose_server_sent_more_than_asked_stops_there() -> None:
    def answer(argv: list[bytes], _: Peer) -> bytes:
        if argv[0].upper() == b"WATCH":
            return b"+OK\r\n:1\r\n:2\r\n"  # the reply, and two nobody asked for
        return b"$3\r\nval\r\n"

    with peer(answer) as server, kvs.sync.connect(server.url, timeout=2) as db:
        with db.watch("k") as w:
            with pytest.raises(kvs.ConnectionError, match="out of step") as caught:
                w.get("k")  # never 1 or 2
            assert caught.value.sent is False
            with pytest.raises(kvs.WatchError, match="lost"):
                w.transaction().set("k", "v").execute()
        assert db.get("k") == "val"  # the shared connection was never out of step


def test_a_server_silent_during_the_handshake_times_out_the_open() -> None:
    with peer(lambda argv, _: b"+OK\r\n") as server:
        server.hello = b""  # accepts the connection, never answers HELLO
        client = kvs.sync.connect(server.url, retries=0, connect_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(kvs.TimeoutError):
            client.open()
        assert 0.25 <= time.monotonic() - started < 3
