"""Blocking connections and the thread-safe pool the blocking backends share.

A `BlockingConnection` is one socket and one incremental parser; one thread uses it at a time.
The `Pool` lends idle connections to threads (opening more as needed, keeping at most
``max_idle``) and, before lending one, checks that the server has not closed it while it sat
idle: a readable idle socket is a closed (or confused) one, and is replaced.  So a request is
written on a connection that looked alive, and a failure after that counts as "may have
reached the server" for the retry rules of `kvs._retry`.

OS errors become kvs errors here, once, with the cause kept.
"""

from __future__ import annotations

import collections
import contextlib
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from .._errors import ConnectionError, ProtocolError
from .._errors import TimeoutError as KvsTimeoutError
from .._retry import backoff_delay, may_retry

__all__ = ["BlockingConnection", "Pool", "open_socket"]

RECEIVE_SIZE = 256 * 1024


class _Parser(Protocol):
    def feed(self, data: bytes | bytearray | memoryview) -> None: ...
    def next_reply(self) -> Any: ...


def open_socket(host: str, port: int, path: str | None, *, timeout: float | None,
                tls: ssl.SSLContext | None, name: str) -> socket.socket:
    """Connect a TCP (TCP_NODELAY), TLS or unix socket, translating failures."""
    try:
        if path is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(path)
            except BaseException:
                sock.close()
                raise
        else:
            sock = socket.create_connection((host, port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                sock = tls.wrap_socket(sock, server_hostname=host)
    except TimeoutError as exc:  # the builtin: socket.timeout
        raise KvsTimeoutError(f"connecting to {name} timed out after {timeout}s") from exc
    except (OSError, ssl.SSLError) as exc:
        raise ConnectionError(f"cannot connect to {name}: {exc}") from exc
    return sock


class BlockingConnection:
    """One socket, one parser, one thread at a time."""

    def __init__(self, sock: socket.socket, parser: _Parser, name: str,
                 parse_error: type[Exception]) -> None:
        self.sock = sock
        self.parser = parser
        self.name = name
        self._parse_error = parse_error
        self._buffer = bytearray(RECEIVE_SIZE)
        self._view = memoryview(self._buffer)

    def settimeout(self, timeout: float | None) -> None:
        self.sock.settimeout(timeout)

    def request(self, payload: bytes, count: int, sentinel: object) -> list[Any]:
        """Send `payload` and read `count` replies.

        Raises:
            kvs.ConnectionError: with ``sent=True``: the request may have reached the server.
            kvs.TimeoutError: no reply within the timeout (the connection is then unusable).
            kvs.ProtocolError: the server's bytes broke the protocol.
        """
        try:
            self.sock.sendall(payload)
            replies: list[Any] = []
            parser = self.parser
            streaming = False
            while len(replies) < count:
                reply = parser.next_reply()
                if reply is not sentinel:
                    replies.append(reply)
                    continue
                if streaming:
                    # A large reply: fresh bytes the parser keeps without copying beat one
                    # more copy out of the shared buffer.
                    data = self.sock.recv(RECEIVE_SIZE)
                    n = len(data)
                    parser.feed(data)
                else:
                    n = self.sock.recv_into(self._buffer)
                    parser.feed(self._view[:n])
                    streaming = n == RECEIVE_SIZE
                if n == 0:
                    raise ConnectionError(f"connection to {self.name} closed by the server",
                                          sent=True)
            return replies
        except TimeoutError as exc:  # the builtin: socket.timeout
            raise KvsTimeoutError(f"no reply from {self.name} within {self.sock.gettimeout()}s") \
                from exc
        except ConnectionError:
            raise
        except (OSError, ssl.SSLError) as exc:
            raise ConnectionError(f"connection to {self.name} lost: {exc}", sent=True) from exc
        except self._parse_error as exc:
            raise ProtocolError(f"{self.name}: {exc}") from exc

    def idle_ok(self) -> bool:
        """Whether an idle connection still looks usable (nothing to read, not closed)."""
        try:
            if self.sock.fileno() < 0:
                return False
            poller = select.poll()
            poller.register(self.sock, select.POLLIN | select.POLLERR | select.POLLHUP)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class Pool:
    """Idle connections lent to one thread at a time; reopened with backoff."""

    def __init__(self, opener: Callable[[], BlockingConnection], *, retries: int, name: str,
                 max_idle: int = 64) -> None:
        self._opener = opener
        self._retries = retries
        self.name = name
        self._idle: collections.deque[BlockingConnection] = collections.deque()
        self._max_idle = max_idle
        self._lock = threading.Lock()
        self._failures = 0
        self._closed = False

    def get(self) -> BlockingConnection:
        """An idle connection that still looks alive, or a new one."""
        while True:
            try:
                conn = self._idle.pop()
            except IndexError:
                break
            if conn.idle_ok():
                return conn
            conn.close()
        if self._closed:
            raise ConnectionError(f"connection to {self.name} is closed")
        with self._lock:
            failures = self._failures
        if failures:
            time.sleep(backoff_delay(failures))
        try:
            conn = self._opener()
        except ConnectionError:
            with self._lock:
                self._failures += 1
            raise
        with self._lock:
            self._failures = 0
        return conn

    def put(self, conn: BlockingConnection) -> None:
        if self._closed or len(self._idle) >= self._max_idle:
            conn.close()
        else:
            self._idle.append(conn)

    def run(self, payload: bytes, count: int, *, idempotent: bool, sentinel: object) -> list[Any]:
        """Send a request on a pooled connection, retrying as far as it is safe."""
        attempt = 0
        while True:
            try:
                conn = self.get()
            except ConnectionError:
                if not may_retry(sent=False, idempotent=idempotent, attempt=attempt,
                                 retries=self._retries):
                    raise
                attempt += 1
                continue
            try:
                replies = conn.request(payload, count, sentinel)
            except ConnectionError as exc:
                conn.close()
                if self._closed or not may_retry(sent=exc.sent, idempotent=idempotent,
                                                 attempt=attempt, retries=self._retries):
                    raise
                attempt += 1
                continue
            except BaseException:
                conn.close()  # a timeout or a protocol error leaves it in an unknown state
                raise
            self.put(conn)
            return replies

    def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()
