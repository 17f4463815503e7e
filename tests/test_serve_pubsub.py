"""Pub/sub through ``kvs serve``: byte-exact against redis-server, then real clients.

The corpus runs the same exchanges, over one or more connections, against a real
redis-server and against sessions of one `ServerState` (sans-IO), and every connection must
receive the same bytes.  The rest drives the server through redis-py (blocking and asyncio),
redis-cli and kvs's own clients, with messages crossing between TCP clients and in-process
clients of the same ``memory://NAME`` store, and checks that a subscriber that stops reading
is dropped without holding anyone up.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import socket
import threading
from typing import Any

import pytest
import redis
import redis.asyncio
import trio

import kvs
import kvs.sync
import resp
from kvs.memory.store import Store
from kvs.server import ServerState, Session
from kvs.server.pubsub import Outbox, parse_output_limit
from tests.servers import RedisServer
from tests.serving import BackgroundServer, dispatch  # noqa: F401
from tests.test_serve_session import masked

pytestmark = pytest.mark.usefixtures("dispatch")

_names = itertools.count()
REDIS_CLI = shutil.which("redis-cli") or "redis-cli"


def _name() -> str:
    return f"memory://serve-pubsub-{os.getpid()}-{next(_names)}"


def _count(data: bytes) -> int:
    parser = resp.Parser()
    parser.feed(data)
    n = 0
    while parser.next_reply() is not resp.NEED_DATA:
        n += 1
    return n


# An exchange: steps of (connection, bytes sent, replies each connection then receives).
Step = tuple[int, bytes, dict[int, int]]

EXCHANGES: dict[str, list[Step]] = {
    "subscribe, ping, refused commands, unsubscribe": [
        (0, b"SUBSCRIBE ps:a ps:b ps:a\r\n", {0: 3}),
        (0, b"PING\r\nPING hi\r\nPING a b\r\nGET k\r\nSET k v\r\nPUBLISH ps:a m\r\n", {0: 6}),
        (0, b"CONFIG GET maxmemory\r\nCLIENT ID\r\nHELLO 3\r\nFOO\r\nGET\r\n", {0: 5}),
        (0, b"CONFIG FOO\r\nCONFIG GET\r\nCONFIG\r\nCLIENT HELP\r\nOBJECT ENCODING k\r\n",
         {0: 5}),
        (0, b"UNSUBSCRIBE ps:a\r\nPING\r\nUNSUBSCRIBE\r\nPING\r\nGET k\r\n", {0: 5}),
    ],
    "patterns and shard channels": [
        (0, b"PSUBSCRIBE ps:* ps:?\r\nSSUBSCRIBE ps:s1 ps:s2\r\n", {0: 4}),
        (0, b"SUNSUBSCRIBE ps:s1\r\nPUNSUBSCRIBE ps:nothing\r\nPUNSUBSCRIBE\r\n", {0: 4}),
        (0, b"PING\r\nSUNSUBSCRIBE\r\nPING\r\n", {0: 3}),
    ],
    "unsubscribing with nothing held": [
        (0, b"UNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nSUNSUBSCRIBE\r\nUNSUBSCRIBE x\r\nPING\r\n",
         {0: 5}),
        (0, b"SUBSCRIBE\r\nPSUBSCRIBE\r\nSSUBSCRIBE\r\n", {0: 3}),
    ],
    "reset and quit leave pub/sub mode": [
        (0, b"SUBSCRIBE ps:a\r\nRESET\r\nGET k\r\nPING\r\nPUBLISH ps:a x\r\n", {0: 5}),
        (0, b"PSUBSCRIBE ps:*\r\nQUIT\r\n", {0: 2}),
    ],
    "resp3: every command runs while subscribed": [
        (0, b"HELLO 3\r\n", {0: 1}),
        (0, b"SUBSCRIBE ps:a\r\nGET k\r\nSET k v\r\nPING\r\nPING x\r\nHGETALL nokey\r\n", {0: 6}),
        (0, b"UNSUBSCRIBE\r\nUNSUBSCRIBE\r\nRESET\r\nPING\r\n", {0: 4}),
    ],
    "messages to another connection, resp2": [
        (0, b"SUBSCRIBE ps:c\r\nPSUBSCRIBE ps:*\r\nSSUBSCRIBE ps:s\r\n", {0: 3}),
        (1, b"PUBLISH ps:c hello\r\n", {0: 2, 1: 1}),
        (1, b"PUBLISH ps:other x\r\nSPUBLISH ps:s shard\r\nSPUBLISH ps:c no\r\n", {0: 2, 1: 3}),
        (1, b"PUBSUB NUMSUB ps:c ps:none\r\nPUBSUB NUMPAT\r\nPUBSUB CHANNELS ps:*\r\n"
            b"PUBSUB SHARDCHANNELS\r\nPUBSUB SHARDNUMSUB ps:s ps:c\r\nPUBSUB CHANNELS\r\n",
         {1: 6}),
        (0, b"UNSUBSCRIBE ps:c\r\n", {0: 1}),
        (1, b"PUBLISH ps:c again\r\nPUBSUB NUMSUB ps:c\r\n", {0: 1, 1: 2}),
    ],
    "messages to another connection, resp3": [
        (0, b"HELLO 3\r\n", {0: 1}),
        (0, b"SUBSCRIBE ps:c\r\nPSUBSCRIBE ps:c*\r\n", {0: 2}),
        (1, b"PUBLISH ps:c \"two words\"\r\n", {0: 2, 1: 1}),
        (0, b"GET k\r\n", {0: 1}),
        (1, b"PUBLISH ps:cc x\r\n", {0: 1, 1: 1}),
    ],
    "a resp3 subscriber publishing to itself": [
        (0, b"HELLO 3\r\nSUBSCRIBE ps:self\r\n", {0: 2}),
        (0, b"PUBLISH ps:self me\r\nPING\r\n", {0: 3}),
    ],
    "pubsub introspection and help": [
        (0, b"PUBSUB\r\nPUBSUB HELP\r\nPUBSUB FOO\r\nPUBSUB NUMPAT x\r\nPUBSUB NUMSUB\r\n",
         {0: 5}),
        (0, b"PUBSUB CHANNELS a b\r\nPUBLISH a\r\nSPUBLISH\r\n", {0: 3}),
    ],
}


def _from_redis(server: RedisServer, steps: list[Step]) -> list[bytes]:
    conns = max(step[0] for step in steps) + 1
    socks = [socket.create_connection((server.host, server.port), timeout=5)
             for _ in range(conns)]
    got = [b""] * conns
    try:
        for conn, data, expected in steps:
            socks[conn].sendall(data)
            for target, n in expected.items():
                want = _count(got[target]) + n
                while _count(got[target]) < want:
                    chunk = socks[target].recv(65536)
                    if not chunk:
                        break
                    got[target] += chunk
    finally:
        for sock in socks:
            sock.close()
    return got


def _from_sessions(steps: list[Step], bytewise: bool = False) -> list[bytes]:
    state = ServerState(Store())
    conns = max(step[0] for step in steps) + 1
    sessions = [Session(state) for _ in range(conns)]
    got = [b""] * conns
    for conn, data, _ in steps:
        chunks = [data[i : i + 1] for i in range(len(data))] if bytewise else [data]
        for chunk in chunks:
            got[conn] += sessions[conn].receive(chunk)
        for i, session in enumerate(sessions):
            got[i] += session.pushes()
    for session in sessions:
        session.close()
    return got


@pytest.mark.parametrize("name", list(EXCHANGES))
def test_same_bytes_as_redis(redis_url: str, redis_server: RedisServer, name: str) -> None:
    steps = EXCHANGES[name]
    expected = [masked(data) for data in _from_redis(redis_server, steps)]
    assert [masked(data) for data in _from_sessions(steps)] == expected
    assert [masked(data) for data in _from_sessions(steps, bytewise=True)] == expected


# -- the session: state that the bytes above do not show ------------------------------------

def test_subscriptions_show_in_client_list_and_info() -> None:
    state = ServerState(Store())
    sub, other = Session(state), Session(state)
    sub.receive(b"SUBSCRIBE a b\r\nPSUBSCRIBE p*\r\nSSUBSCRIBE s\r\n")
    line = other.receive(b"CLIENT LIST TYPE pubsub\r\n").decode()
    assert f"id={sub.id} " in line and " flags=P " in line
    assert " sub=2 psub=1 ssub=1 " in line
    assert f"id={other.id} " in other.receive(b"CLIENT LIST TYPE normal\r\n").decode()
    info = other.receive(b"INFO stats\r\n").decode()
    assert "pubsub_channels:2\r\n" in info and "pubsub_patterns:1\r\n" in info
    sub.receive(b"RESET\r\n")
    assert other.receive(b"PUBSUB NUMSUB a\r\nPUBSUB NUMPAT\r\n") == (
        b"*2\r\n$1\r\na\r\n:0\r\n:0\r\n")
    sub.receive(b"SUBSCRIBE a\r\n")
    sub.close()  # a connection that ends holds nothing
    assert other.receive(b"PUBLISH a x\r\n") == b":0\r\n"


def test_subscribe_is_refused_inside_multi() -> None:
    session = Session(ServerState(Store()))
    out = session.receive(b"MULTI\r\nSUBSCRIBE a\r\nDISCARD\r\nSUBSCRIBE a\r\n")
    assert out == (b"+OK\r\n-ERR Command not allowed inside a transaction\r\n+OK\r\n"
                   b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")


def test_messages_from_any_thread_wake_the_session() -> None:
    store = Store()
    woken = threading.Event()
    session = Session(ServerState(store), on_push=woken.set)
    session.receive(b"SUBSCRIBE t\r\n")
    thread = threading.Thread(target=store.execute, args=((b"PUBLISH", b"t", b"x"),))
    thread.start()
    thread.join()
    assert woken.wait(5)
    assert session.pushes() == b"*3\r\n$7\r\nmessage\r\n$1\r\nt\r\n$1\r\nx\r\n"
    assert session.pushes() == b""


def test_a_mailbox_overflow_drops_the_client() -> None:
    store = Store()
    session = Session(ServerState(store))
    session.receive(b"SUBSCRIBE t\r\n")
    assert session.pubsub is not None
    limit = 65536
    for _ in range(limit + 1):  # never drained: the server's thread was busy elsewhere
        store.execute((b"PUBLISH", b"t", b"x"))
    assert session.pushes() == b"" and session.closing


def test_outbox_limits_as_redis_counts_them() -> None:
    box = Outbox(hard=100, soft=50, seconds=60)
    assert box.add(b"x" * 60, now=0.0)  # over the soft limit: the clock starts
    assert box.add(b"x" * 10, now=59.0)
    assert not box.add(b"x", now=60.0)  # 60 seconds over the soft limit
    box = Outbox(hard=100, soft=50, seconds=60)
    assert box.add(b"ab" * 30, now=0.0)
    assert box.peek(4) == b"abab" and len(box) == 60  # counted until written
    box.consume(20)
    assert len(box) == 40 and box.peek(2) == b"ab"
    assert box.add(b"x" * 20, now=100.0)  # under the limit in between: a new clock
    assert box.add(b"x" * 30, now=120.0)
    assert not box.add(b"x" * 11, now=121.0)  # over the hard limit at once
    unlimited = Outbox(hard=0, soft=0, seconds=0)
    assert unlimited.add(b"x" * 10**6, now=0.0)


def test_output_limit_parsing() -> None:
    assert parse_output_limit(
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60") == (
        32 * 2**20, 8 * 2**20, 60)
    assert parse_output_limit("pubsub 1mb 256kb 10") == (2**20, 256 * 1024, 10)
    assert parse_output_limit("nonsense") == (32 * 2**20, 8 * 2**20, 60)


# -- real clients over TCP ------------------------------------------------------------------

def test_redis_py_blocking_with_in_process_publishers() -> None:
    name = _name()
    with BackgroundServer(name) as server, kvs.sync.connect(name) as local:
        for protocol in (2, 3):
            client = redis.Redis(port=server.port, protocol=protocol)
            pubsub = client.pubsub()  # type: ignore[no-untyped-call]
            pubsub.subscribe("news")
            pubsub.psubscribe("n*")
            kinds = [pubsub.get_message(timeout=5)["type"] for _ in range(2)]
            assert kinds == ["subscribe", "psubscribe"]
            assert local.publish("news", "from the store") == 2  # in-process -> TCP
            got = [pubsub.get_message(timeout=5) for _ in range(2)]
            assert [(m["type"], m["channel"], m["data"]) for m in got] == [
                ("message", b"news", b"from the store"),
                ("pmessage", b"news", b"from the store")]
            with local.subscribe("back") as sub:  # TCP -> in-process
                assert client.publish("back", "from redis-py") == 1
                message = sub.get(timeout=5)
                assert message == kvs.Message("message", "back", "from redis-py")
            pubsub.close()
            client.close()


def test_redis_py_asyncio() -> None:
    name = _name()

    async def main(port: int) -> list[Any]:
        client = redis.asyncio.Redis(port=port, protocol=3)
        pubsub = client.pubsub()
        await pubsub.subscribe("c")
        assert (await pubsub.get_message(timeout=5))["type"] == "subscribe"
        await client.publish("c", "one")
        with kvs.sync.connect(name) as local:
            local.publish("c", "two")
        got = [await pubsub.get_message(timeout=5) for _ in range(2)]
        assert await client.get("missing") is None  # a command while subscribed, RESP3
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await client.aclose()
        return [m["data"] for m in got]

    with BackgroundServer(name) as server:
        assert asyncio.run(main(server.port)) == [b"one", b"two"]


async def test_redis_cli_subscribe() -> None:
    name = _name()
    async with kvs.serve(name) as server, kvs.connect(name) as local:
        assert server.port is not None
        process = await trio.lowlevel.open_process(
            [REDIS_CLI, "-p", str(server.port), "SUBSCRIBE", "cli"],
            stdout=-1, stderr=-1)
        assert process.stdout is not None
        seen = b""
        try:
            with trio.fail_after(10):
                while b"subscribe\ncli\n1\n" not in seen:
                    seen += await process.stdout.receive_some()
                assert await local.publish("cli", "hello from the store") == 1
                while b"hello from the store\n" not in seen:
                    seen += await process.stdout.receive_some()
        finally:
            process.kill()
            await process.wait()
        assert seen.endswith(b"message\ncli\nhello from the store\n")


@pytest.mark.parametrize("protocol", [2, 3])
async def test_kvs_client_over_tcp_and_in_process(protocol: int) -> None:
    name = _name()
    async with kvs.serve(name) as server, kvs.connect(name) as local, \
            kvs.connect(f"{server.url}?protocol={protocol}") as remote:
        async with remote.subscribe("to-tcp") as sub:
            await sub.psubscribe("pat:*")
            with trio.fail_after(5):
                while await local.execute("PUBSUB", "NUMPAT") != 1:
                    await trio.sleep(0.005)
            assert await local.publish("to-tcp", "a") == 1
            assert await local.publish("pat:1", "b") == 1
            got = [await sub.get(timeout=5) for _ in range(2)]
            assert got == [kvs.Message("message", "to-tcp", "a"),
                           kvs.Message("pmessage", "pat:1", "b", "pat:*")]
        async with local.subscribe("to-store") as sub:
            await sub.ssubscribe("shard")
            assert await remote.publish("to-store", "c") == 1
            assert await remote.spublish("shard", "d") == 1
            got = [await sub.get(timeout=5) for _ in range(2)]
            assert got == [kvs.Message("message", "to-store", "c"),
                           kvs.Message("smessage", "shard", "d")]


@pytest.mark.parametrize("protocol", [2, 3])
def test_blocking_kvs_client_over_tcp(protocol: int) -> None:
    name = _name()
    with BackgroundServer(name) as server, kvs.sync.connect(name) as local, \
            kvs.sync.connect(f"{server.url}?protocol={protocol}") as remote, \
            remote.subscribe("c") as sub:
        assert local.publish("c", "x") == 1
        assert sub.get(timeout=5) == kvs.Message("message", "c", "x")
        assert remote.execute("PUBSUB", "NUMSUB", "c") == ["c", 1]


async def test_a_subscriber_that_stops_reading_is_dropped_and_blocks_nobody() -> None:
    name = _name()
    async with kvs.serve(name) as server, kvs.connect(server.url) as publisher:
        assert server.port is not None
        await publisher.execute("CONFIG", "SET", "client-output-buffer-limit",
                                "pubsub 1mb 256kb 60")
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(("127.0.0.1", server.port))
        stuck.sendall(b"SUBSCRIBE slow\r\n")
        reader = socket.create_connection(("127.0.0.1", server.port))  # one that keeps up
        reader.sendall(b"SUBSCRIBE slow\r\n")
        with trio.fail_after(5):
            while await publisher.execute("PUBSUB", "NUMSUB", "slow") != ["slow", 2]:
                await trio.sleep(0.005)
        payload = "x" * 65536
        sent = 0
        with trio.fail_after(30):  # every PUBLISH is answered: nobody waits for `stuck`
            while await publisher.publish("slow", payload) == 2:
                sent += 1
                await trio.to_thread.run_sync(_read_some, reader)
                assert sent < 2000, "the slow subscriber was never dropped"
        assert (sent + 1) * len(payload) > 2**20  # dropped only past the hard limit
        assert await publisher.execute("PUBSUB", "NUMSUB", "slow") == ["slow", 1]
        clients = await publisher.execute("CLIENT", "LIST", "TYPE", "pubsub")
        assert clients.count("id=") == 1
        await trio.to_thread.run_sync(_drain_until_closed, stuck)
        assert await publisher.publish("slow", "still served") == 1
        stuck.close()
        reader.close()


def _read_some(sock: socket.socket) -> None:
    sock.settimeout(5)
    sock.recv(1 << 20)


def _drain_until_closed(sock: socket.socket) -> None:
    sock.settimeout(10)
    while sock.recv(1 << 20):
        pass


async def test_quit_while_subscribed_answers_then_closes() -> None:
    async with kvs.serve(_name()) as server:
        assert server.port is not None

        def exchange(port: int) -> bytes:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"SUBSCRIBE a\r\nPING\r\nQUIT\r\n")
                got = b""
                while chunk := sock.recv(65536):
                    got += chunk
                return got

        got = await trio.to_thread.run_sync(exchange, server.port)
        assert got == (b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
                       b"*2\r\n$4\r\npong\r\n$0\r\n\r\n+OK\r\n")
