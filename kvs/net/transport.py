"""Byte transports for the trio connections: a raw socket, or any trio stream (TLS).

A `SocketTransport` drives a connected, non-blocking standard-library socket with trio's
low-level waits (`wait_readable`, `wait_writable`).  That saves the scheduler passes a trio
`SocketStream` spends on every call (its successful sends and receives each end with a full
checkpoint) and lets a connection:

- write a small request at once from the caller's task (`try_send`, never blocks, never
  cancelled half-way), so a lone request does not wait for the writer task to be scheduled;
- receive into one preallocated buffer (`receive_into`) instead of a fresh 256 KiB `bytes`
  per read.

A `StreamTransport` wraps any `trio.abc.Stream` (TLS is a `trio.SSLStream`): it cannot write
from the caller's task, so its `try_send` writes nothing and the writer task does it all.

OS errors are left as they are here: `kvs.net.multiplexed` translates them, once.
"""

from __future__ import annotations

import select
import socket

import trio

__all__ = ["SocketTransport", "StreamTransport", "Transport", "enable_keepalive", "open_tcp",
           "open_unix"]


class SocketTransport:
    """A connected non-blocking socket, owned by the connection that uses it."""

    can_send_now = True

    def __init__(self, tsock: trio.socket.SocketType, sock: socket.socket) -> None:
        self._tsock = tsock  # trio's wrapper: connect, and a close that wakes waiters
        self._sock = sock

    def try_send(self, data: bytes | memoryview) -> int:
        """Send what the kernel takes now without blocking; return how many bytes."""
        try:
            return self._sock.send(data)
        except BlockingIOError:
            return 0

    async def send_all(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        sock = self._sock
        while view:
            try:
                sent = sock.send(view)
            except BlockingIOError:
                await trio.lowlevel.wait_writable(sock)
                continue
            view = view[sent:]

    def try_receive_into(self, buffer: bytearray) -> int:
        """Read what has already arrived, without waiting; 0 when nothing (or an error,
        which the next `receive_into` reports)."""
        try:
            return self._sock.recv_into(buffer)
        except OSError:
            return 0

    def idle_ok(self) -> bool:
        """Whether an idle socket may be used again: nothing to read, not closed (a readable
        idle socket was closed by the peer, or holds bytes nobody asked for)."""
        try:
            if self._sock.fileno() < 0:
                return False
            poller = select.poll()
            poller.register(self._sock, select.POLLIN | select.POLLERR | select.POLLHUP)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False

    async def receive_into(self, buffer: bytearray) -> int:
        """Wait until bytes arrive and read them into `buffer`; 0 means end of stream."""
        sock = self._sock
        while True:
            try:
                return sock.recv_into(buffer)
            except BlockingIOError:
                await trio.lowlevel.wait_readable(sock)

    async def wait_receive_into(self, buffer: bytearray) -> int:
        """`receive_into` that always waits for the socket to be readable first: always one
        scheduler pass, even when the bytes are there already."""
        sock = self._sock
        while True:
            await trio.lowlevel.wait_readable(sock)
            try:
                return sock.recv_into(buffer)
            except BlockingIOError:
                continue

    async def receive_some(self, max_bytes: int) -> bytes:
        """Wait until bytes arrive and return up to `max_bytes` of them; b"" at the end."""
        sock = self._sock
        while True:
            try:
                return sock.recv(max_bytes)
            except BlockingIOError:
                await trio.lowlevel.wait_readable(sock)

    def as_stream(self) -> trio.SocketStream:
        """The same socket as a trio stream (to layer TLS on it); the transport gives it up."""
        return trio.SocketStream(self._tsock)

    async def aclose(self) -> None:
        self._tsock.close()
        await trio.lowlevel.checkpoint()


class StreamTransport:
    """Any trio stream; every write goes through the connection's writer task."""

    can_send_now = False

    def __init__(self, stream: trio.abc.Stream) -> None:
        self._stream = stream

    def try_send(self, data: bytes | memoryview) -> int:
        return 0

    def try_receive_into(self, buffer: bytearray) -> int:
        return 0

    def idle_ok(self) -> bool:
        return True  # a TLS stream cannot be polled cheaply: the health-check PING tells

    async def send_all(self, data: bytes | memoryview) -> None:
        await self._stream.send_all(data)

    async def receive_some(self, max_bytes: int) -> bytes:
        return bytes(await self._stream.receive_some(max_bytes))

    async def receive_into(self, buffer: bytearray) -> int:
        data = await self._stream.receive_some(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    async def wait_receive_into(self, buffer: bytearray) -> int:
        return await self.receive_into(buffer)  # a trio stream's receive always yields

    async def aclose(self) -> None:
        await trio.aclose_forcefully(self._stream)


Transport = SocketTransport | StreamTransport


async def open_tcp(host: str, port: int) -> SocketTransport:
    """Connect to the first address of `host` that answers, with TCP_NODELAY."""
    infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    error: OSError | None = None
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        tsock = trio.socket.from_stdlib_socket(sock)
        try:
            await tsock.connect(address)
        except OSError as exc:
            tsock.close()
            error = exc
            continue
        except BaseException:
            tsock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        enable_keepalive(sock)
        return SocketTransport(tsock, sock)
    raise error or OSError(f"no address found for {host}")


def enable_keepalive(sock: socket.socket, idle: int = 60, interval: int = 10,
                     count: int = 3) -> None:
    """TCP keepalive: a peer that vanished without closing is noticed by the kernel (after
    `idle` seconds of silence, `count` probes `interval` seconds apart) even with no request
    in flight."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in (("TCP_KEEPIDLE", idle), ("TCP_KEEPINTVL", interval),
                          ("TCP_KEEPCNT", count)):
        if hasattr(socket, option):  # Linux; other systems keep their defaults
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)


async def open_unix(path: str) -> SocketTransport:
    """Connect to a unix socket."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tsock = trio.socket.from_stdlib_socket(sock)
    try:
        await tsock.connect(path)
    except BaseException:
        tsock.close()
        raise
    return SocketTransport(tsock, sock)
