"""Self-tests of the test infrastructure: the server helpers, the fixtures, the fault proxy.

Everything here talks raw RESP or the memcached text protocol over plain sockets, so
these tests do not depend on ``resp`` or ``kvs``.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable
from functools import partial

import pytest
import trio

from tests.faultproxy import FaultProxy
from tests.servers import (
    MemcachedServer,
    RedisReplyError,
    RedisServer,
    ServerError,
    free_port,
)

PING = b"*1\r\n$4\r\nPING\r\n"


def resp(*args: str) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def recv_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def ask(sock: socket.socket, request: bytes) -> bytes:
    sock.sendall(request)
    return recv_line(sock)


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


# -- redis --------------------------------------------------------------------------------


def test_redis_server_answers_ping(redis_server: RedisServer) -> None:
    with socket.create_connection((redis_server.host, redis_server.port), timeout=5) as sock:
        assert ask(sock, PING) == b"+PONG\r\n"
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}"


def test_redis_url_starts_empty(redis_server: RedisServer, redis_url: str) -> None:
    assert redis_url == redis_server.url
    assert redis_server.command("DBSIZE") == 0
    assert redis_server.command("SET", "infra:key", "v") == "OK"
    assert redis_server.command("GET", "infra:key") == b"v"
    with pytest.raises(RedisReplyError, match="WRONGTYPE"):
        redis_server.command("LPUSH", "infra:key", "x")


def test_restart_keeps_port_and_folder(
    redis_server_factory: Callable[..., RedisServer],
) -> None:
    server = redis_server_factory()
    port, folder, pid = server.port, server.dir, server.pid
    server.restart()
    assert (server.port, server.dir) == (port, folder)
    assert server.pid != pid
    assert server.command("PING") == "PONG"


def test_kill_breaks_connections_and_refuses_new_ones(
    redis_server_factory: Callable[..., RedisServer],
) -> None:
    server = redis_server_factory()
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        assert ask(sock, PING) == b"+PONG\r\n"
        server.kill()
        assert not server.running
        try:
            sock.sendall(PING)
            assert sock.recv(100) == b""
        except ConnectionError:
            pass
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=5).close()
    server.start()  # a killed server starts again on its port
    assert server.command("PING") == "PONG"


def test_stop_is_idempotent(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory()
    server.stop()
    server.stop()
    assert server.pid is None
    assert not server.running


def test_password(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory(password="s3cret")
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        assert ask(sock, PING).startswith(b"-NOAUTH")
        assert ask(sock, resp("AUTH", "wrong")).startswith(b"-WRONGPASS")
        assert ask(sock, resp("AUTH", "s3cret")) == b"+OK\r\n"
        assert ask(sock, PING) == b"+PONG\r\n"
    assert server.command("PING") == "PONG"  # the helper authenticates itself
    assert server.make_url(password="s3cret", db=3) == (
        f"redis://:s3cret@127.0.0.1:{server.port}/3"
    )


def test_acl_user_can_auth(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory(acl_users={"alice": "wonderland"})
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        assert ask(sock, resp("AUTH", "alice", "nope")).startswith(b"-WRONGPASS")
        assert ask(sock, resp("AUTH", "alice", "wonderland")) == b"+OK\r\n"
        sock.sendall(resp("ACL", "WHOAMI"))
        assert recv_line(sock) == b"$5\r\nalice\r\n"
        assert ask(sock, resp("SET", "k", "v")) == b"+OK\r\n"
    assert server.make_url(username="alice", password="wonderland") == (
        f"redis://alice:wonderland@127.0.0.1:{server.port}"
    )


def test_acl_user_name_is_checked() -> None:
    with pytest.raises(ValueError, match="ACL user"):
        RedisServer(acl_users={"al ice": "pw"})


def test_tls_handshake_with_the_trustme_ca(
    redis_server_factory: Callable[..., RedisServer],
) -> None:
    server = redis_server_factory(tls=True)
    assert server.ca_path is not None
    assert server.url == server.tls_url == f"rediss://localhost:{server.port}"
    context = ssl.create_default_context(cafile=server.ca_path)
    for name in ("localhost", "127.0.0.1"):
        with (
            socket.create_connection((server.host, server.port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=name) as sock,
        ):
            assert sock.version() in ("TLSv1.2", "TLSv1.3")
            assert ask(sock, PING) == b"+PONG\r\n"
    # Without the CA the certificate does not verify.
    with (
        socket.create_connection((server.host, server.port), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")


def test_unix_socket_answers(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory(unixsocket=True)
    assert server.unix_path is not None
    assert server.unix_url == f"unix://{server.unix_path}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(server.unix_path)
        assert ask(sock, PING) == b"+PONG\r\n"
    assert server.command("PING", unix=True) == "PONG"


def test_client_count(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory()
    assert server.client_count() == 0
    socks = [socket.create_connection((server.host, server.port), timeout=5) for _ in range(2)]
    try:
        wait_for(lambda: server.client_count() == 2)
    finally:
        for sock in socks:
            sock.close()
    wait_for(lambda: server.client_count() == 0)


def test_extra_args_and_start_errors(redis_server_factory: Callable[..., RedisServer]) -> None:
    server = redis_server_factory(args=("--maxmemory", "12345678"))
    assert server.command("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"12345678"]
    with pytest.raises(ServerError, match="bogus"):
        redis_server_factory(args=("--bogus-option", "1"))


def test_fixed_port_in_use_is_reported() -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        for server in (RedisServer(port=port), MemcachedServer(port=port)):
            with pytest.raises(ServerError, match="in use"), server:
                pass
            assert not server.dir.exists()


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


# -- memcached ----------------------------------------------------------------------------


def test_memcached_servers_answer_version(memcached_servers: list[MemcachedServer]) -> None:
    assert len(memcached_servers) == 3
    assert len({server.port for server in memcached_servers}) == 3
    for server in memcached_servers:
        assert server.address == f"127.0.0.1:{server.port}"
        with socket.create_connection((server.host, server.port), timeout=5) as sock:
            assert ask(sock, b"version\r\n").startswith(b"VERSION ")


def test_memcached_url_lists_every_server_and_flushes(
    memcached_servers: list[MemcachedServer], memcached_url: str
) -> None:
    assert memcached_url == "memcached://" + ",".join(s.address for s in memcached_servers)
    first = memcached_servers[0]
    with socket.create_connection((first.host, first.port), timeout=5) as sock:
        assert ask(sock, b"get infra-key\r\n") == b"END\r\n"
        assert ask(sock, b"set infra-key 0 0 2\r\nhi\r\n") == b"STORED\r\n"
        sock.sendall(b"get infra-key\r\n")
        data = b""
        while not data.endswith(b"END\r\n"):
            data += sock.recv(4096)
        assert data == b"VALUE infra-key 0 2\r\nhi\r\nEND\r\n"


def test_memcached_single_url(
    memcached_servers: list[MemcachedServer], memcached_single_url: str
) -> None:
    assert memcached_single_url == f"memcached://{memcached_servers[0].address}"


def test_memcached_restart_and_kill(
    memcached_factory: Callable[..., MemcachedServer],
) -> None:
    server = memcached_factory()
    port = server.port
    server.restart()
    assert server.port == port
    assert server.command("version").startswith("VERSION")
    server.kill()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=5).close()


# -- the fault proxy ----------------------------------------------------------------------


class Target:
    """A trio TCP server that records what it receives, and echoes it when asked to."""

    def __init__(self) -> None:
        self.port = 0
        self.echo = False
        self.received = bytearray()
        self.chunks: list[bytes] = []
        self.closed = trio.Event()

    async def handle(self, stream: trio.SocketStream) -> None:
        try:
            async for chunk in stream:
                self.received += chunk
                self.chunks.append(bytes(chunk))
                if self.echo:
                    await stream.send_all(chunk)
        except trio.BrokenResourceError:
            pass
        finally:
            self.closed.set()


@pytest.fixture
async def target(nursery: trio.Nursery) -> Target:
    target = Target()
    listeners = await nursery.start(partial(trio.serve_tcp, target.handle, 0, host="127.0.0.1"))
    target.port = listeners[0].socket.getsockname()[1]
    return target


async def read_to_eof(stream: trio.SocketStream) -> bytes:
    data = bytearray()
    try:
        while chunk := await stream.receive_some(65536):
            data += chunk
    except trio.BrokenResourceError:
        pass  # a reset also ends the stream
    return bytes(data)


async def read_exactly(stream: trio.SocketStream, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = await stream.receive_some(size - len(data))
        assert chunk, f"stream ended after {bytes(data)!r}"
        data += chunk
    return bytes(data)


async def test_proxy_forwards_to_redis(redis_proxy: FaultProxy) -> None:
    with trio.fail_after(10):
        assert redis_proxy.address == f"127.0.0.1:{redis_proxy.port}"
        assert redis_proxy.url_for("redis") == f"redis://127.0.0.1:{redis_proxy.port}"
        stream = await trio.open_tcp_stream(redis_proxy.host, redis_proxy.port)
        async with stream:
            await stream.send_all(PING)
            assert await read_exactly(stream, 7) == b"+PONG\r\n"
            # The counters move once a write has returned, which may be just after the
            # reader saw the bytes.
            await redis_proxy.wait_bytes_down(7)
            assert (redis_proxy.connections, redis_proxy.active) == (1, 1)
            assert (redis_proxy.bytes_up, redis_proxy.bytes_down) == (len(PING), 7)
        await redis_proxy.wait_until(lambda: redis_proxy.active == 0)
        assert redis_proxy.connections == 1


async def test_proxy_split_into_one_byte_writes(
    target: Target, redis_server: RedisServer, redis_url: str
) -> None:
    with trio.fail_after(10):
        async with FaultProxy("127.0.0.1", target.port) as proxy:
            proxy.split(1, interval=0.02)
            stream = await trio.open_tcp_stream(proxy.host, proxy.port)
            async with stream:
                await stream.send_all(b"hello")
                await proxy.wait_bytes_up(5)
                await trio.testing.wait_all_tasks_blocked()
        assert bytes(target.received) == b"hello"
        assert target.chunks == [b"h", b"e", b"l", b"l", b"o"]

        # Redis still answers when every byte travels alone, both ways.
        async with FaultProxy(redis_server.host, redis_server.port) as proxy:
            proxy.split(1)
            stream = await trio.open_tcp_stream(proxy.host, proxy.port)
            async with stream:
                request = resp("SET", "split", "value") + resp("GET", "split")
                await stream.send_all(request)
                assert await read_exactly(stream, 16) == b"+OK\r\n$5\r\nvalue\r\n"
            assert proxy.bytes_up == len(request)


async def test_proxy_cut_after_up_is_exact(target: Target) -> None:
    with trio.fail_after(10):
        async with FaultProxy("127.0.0.1", target.port) as proxy:
            proxy.cut_after(4, direction="up")
            stream = await trio.open_tcp_stream(proxy.host, proxy.port)
            async with stream:
                await stream.send_all(b"0123456789")
                await target.closed.wait()
                assert await read_to_eof(stream) == b""
            assert bytes(target.received) == b"0123"
            assert proxy.bytes_up == 4
            await proxy.wait_until(lambda: proxy.active == 0)


async def test_proxy_cut_after_down_is_exact(target: Target) -> None:
    target.echo = True
    with trio.fail_after(10):
        async with FaultProxy("127.0.0.1", target.port) as proxy:
            proxy.cut_after(4, direction="down")
            stream = await trio.open_tcp_stream(proxy.host, proxy.port)
            async with stream:
                await stream.send_all(b"abcdefghij")
                assert await read_to_eof(stream) == b"abcd"
            assert proxy.bytes_down == 4
            # The rule fired once; the next connection forwards everything.
            stream = await trio.open_tcp_stream(proxy.host, proxy.port)
            async with stream:
                await stream.send_all(b"xyz")
                assert await read_exactly(stream, 3) == b"xyz"


async def test_proxy_cut_counts_bytes_across_chunks(target: Target) -> None:
    with trio.fail_after(10):
        async with FaultProxy("127.0.0.1", target.port) as proxy:
            proxy.cut_after(5, direction="up")
            stream = await trio.open_tcp_stream(proxy.host, proxy.port)
            async with stream:
                await stream.send_all(b"abc")
                await proxy.wait_bytes_up(3)
                await stream.send_all(b"defg")
                await target.closed.wait()
            assert bytes(target.received) == b"abcde"


async def test_request_reaches_server_but_reply_is_lost(
    redis_proxy: FaultProxy, redis_server: RedisServer
) -> None:
    with trio.fail_after(10):
        redis_proxy.cut_after(0, direction="down")
        stream = await trio.open_tcp_stream(redis_proxy.host, redis_proxy.port)
        async with stream:
            await stream.send_all(resp("INCR", "lost-reply"))
            assert await read_to_eof(stream) == b""
        assert redis_server.command("GET", "lost-reply") == b"1"


async def test_proxy_cut_all(redis_proxy: FaultProxy) -> None:
    with trio.fail_after(10):
        streams = [await trio.open_tcp_stream("127.0.0.1", redis_proxy.port) for _ in range(2)]
        for stream in streams:
            await stream.send_all(PING)
            assert await read_exactly(stream, 7) == b"+PONG\r\n"
        assert redis_proxy.active == 2
        redis_proxy.cut_all()
        for stream in streams:
            assert await read_to_eof(stream) == b""
            await stream.aclose()
        await redis_proxy.wait_until(lambda: redis_proxy.active == 0)
        async with await trio.open_tcp_stream("127.0.0.1", redis_proxy.port) as stream:
            await stream.send_all(PING)
            assert await read_exactly(stream, 7) == b"+PONG\r\n"
        assert redis_proxy.connections == 3


async def test_proxy_delay(redis_proxy: FaultProxy) -> None:
    with trio.fail_after(10):
        async with await trio.open_tcp_stream("127.0.0.1", redis_proxy.port) as stream:
            redis_proxy.delay(0.3, direction="down")
            start = trio.current_time()
            await stream.send_all(PING)
            assert await read_exactly(stream, 7) == b"+PONG\r\n"
            assert trio.current_time() - start >= 0.3
            redis_proxy.delay(0)
            start = trio.current_time()
            await stream.send_all(PING)
            assert await read_exactly(stream, 7) == b"+PONG\r\n"
            assert trio.current_time() - start < 0.3


async def test_proxy_wait_bytes_up(redis_proxy: FaultProxy) -> None:
    with trio.fail_after(10):
        redis_proxy.delay(0.1, direction="up")
        async with await trio.open_tcp_stream("127.0.0.1", redis_proxy.port) as stream:
            await stream.send_all(PING)
            assert redis_proxy.bytes_up == 0
            await redis_proxy.wait_bytes_up(len(PING))
            assert redis_proxy.bytes_up == len(PING)
            await redis_proxy.wait_bytes_down(7)
            assert await read_exactly(stream, 7) == b"+PONG\r\n"


async def test_proxy_pause_refuses_and_resume_reopens(redis_proxy: FaultProxy) -> None:
    with trio.fail_after(10):
        async with await trio.open_tcp_stream("127.0.0.1", redis_proxy.port) as kept:
            redis_proxy.pause()
            assert redis_proxy.paused
            with pytest.raises(OSError):
                await trio.open_tcp_stream("127.0.0.1", redis_proxy.port)
            await kept.send_all(PING)  # open connections keep working
            assert await read_exactly(kept, 7) == b"+PONG\r\n"
            redis_proxy.resume()
            async with await trio.open_tcp_stream("127.0.0.1", redis_proxy.port) as stream:
                await stream.send_all(PING)
                assert await read_exactly(stream, 7) == b"+PONG\r\n"
        assert redis_proxy.connections == 2


async def test_proxy_to_a_dead_target_closes_the_client() -> None:
    with trio.fail_after(10):
        async with FaultProxy("127.0.0.1", free_port()) as proxy:
            async with await trio.open_tcp_stream("127.0.0.1", proxy.port) as stream:
                assert await read_to_eof(stream) == b""
            await proxy.wait_until(lambda: proxy.active == 0)
            assert proxy.connections == 1


async def test_proxy_exit_closes_open_connections(target: Target) -> None:
    target.echo = True
    with trio.fail_after(10):
        async with FaultProxy("127.0.0.1", target.port) as proxy:
            stream = await trio.open_tcp_stream("127.0.0.1", proxy.port)
            await stream.send_all(b"x")
            assert await read_exactly(stream, 1) == b"x"
        async with stream:
            assert await read_to_eof(stream) == b""
        with pytest.raises(OSError):
            await trio.open_tcp_stream("127.0.0.1", proxy.port)


async def test_proxy_passes_the_body_exception_through(target: Target) -> None:
    with pytest.raises(KeyError):
        async with FaultProxy("127.0.0.1", target.port):
            raise KeyError("from the body")


async def test_proxy_rejects_bad_fault_arguments(target: Target) -> None:
    async with FaultProxy("127.0.0.1", target.port) as proxy:
        with pytest.raises(ValueError, match="direction"):
            proxy.cut_after(1, direction="both")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="direction"):
            proxy.delay(1, direction="sideways")  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            proxy.split(-1)
        proxy.split(3)
        proxy.delay(1)
        proxy.cut_after(2)
        proxy.clear_faults()
        async with await trio.open_tcp_stream("127.0.0.1", proxy.port) as stream:
            await stream.send_all(b"abcdef")
            await proxy.wait_bytes_up(6)


async def test_tls_through_the_proxy(
    redis_server_factory: Callable[..., RedisServer],
) -> None:
    server = redis_server_factory(tls=True)
    with trio.fail_after(10):
        async with FaultProxy(server.host, server.port) as proxy:
            proxy.split(7)
            tcp = await trio.open_tcp_stream("127.0.0.1", proxy.port)
            tls = trio.SSLStream(tcp, server.ssl_context(), server_hostname="localhost")
            async with tls:
                await tls.send_all(PING)
                data = b""
                while len(data) < 7:
                    data += await tls.receive_some(100)
                assert data == b"+PONG\r\n"
