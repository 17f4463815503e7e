"""A Redis subscription over a blocking socket: one connection of its own, reopened when it
breaks.

The rules are `kvs.redis.subscription.SubscriberState`'s, shared with the trio subscriber;
this module moves bytes with threads: one thread reads (`receive`), any thread may write
(`command`, under a lock).  A read waits with ``poll`` (never with the socket's timeout,
which another thread's write shares), within the caller's timeout.  `close` shuts the socket
down, which wakes a thread waiting in `receive`.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable

from resp import NEED_DATA, encode_command
from resp import ProtocolError as RespProtocolError

from .._errors import ConnectionError, ProtocolError
from .._errors import TimeoutError as KvsTimeoutError
from .._url import Config
from ..commands.pubsub import Message
from ..sync.transport import BlockingConnection, translated
from .subscription import PING, SubscriberState

__all__ = ["RedisSubscriber"]


class RedisSubscriber(SubscriberState):
    """One subscription's own blocking connection to Redis."""

    def __init__(self, config: Config, opener: Callable[[], BlockingConnection]) -> None:
        super().__init__(config)
        self._opener = opener
        self._conn: BlockingConnection | None = None
        self._lock = threading.Lock()

    def open(self) -> None:
        self._connect()

    def close(self) -> None:
        self.closed = True
        conn, self._conn = self._conn, None
        if conn is not None:
            _shut(conn)

    def command(self, verb: bytes, names: tuple[bytes, ...]) -> None:
        with self._lock:
            self.holdings.apply(verb, names)
            conn = self._conn
            if conn is None:
                return  # the next connection subscribes to what is held
            try:
                conn.sock.sendall(encode_command(verb, *names))
            except (OSError, ssl.SSLError):
                self._drop(conn)  # the reader reconnects

    def receive(self, timeout: float | None) -> Message | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.closed:
            conn = self._conn
            if conn is None:
                if not self._reconnect(deadline):
                    return None
                continue
            try:
                event = self.next_event()
            except RespProtocolError:
                self._drop(conn)
                continue
            if event is not NEED_DATA:
                return event
            state = self._fill(conn, deadline)
            if state == "timeout":
                return None
            if state == "broken":
                self._drop(conn)
        return None

    def _fill(self, conn: BlockingConnection, deadline: float | None) -> str:
        """Wait for bytes and feed them: ``"data"``, ``"timeout"`` or ``"broken"``."""
        sock = conn.sock
        try:
            while True:
                limit = self.wait_until()
                until = limit if deadline is None or (limit is not None and limit < deadline) \
                    else deadline
                if _readable(sock, None if until is None else until - time.monotonic()):
                    received = sock.recv_into(self.buffer)
                    if not received:
                        return "broken"
                    self.heard(received, time.monotonic())
                    return "data"
                now = time.monotonic()
                if limit is not None and now >= limit:
                    if self.silent(now):
                        return "broken"  # no answer to the PING: half-open or stuck
                    with self._lock:
                        sock.sendall(PING)
                elif deadline is not None and now >= deadline:
                    return "timeout"
        except (OSError, ValueError, ssl.SSLError):
            return "broken"

    def _drop(self, conn: BlockingConnection) -> None:
        if self._conn is conn:
            self._conn = None
        _shut(conn)

    def _reconnect(self, deadline: float | None) -> bool:
        """Reopen and resubscribe; False when `deadline` passed first (or it was closed)."""
        while not self.closed:
            delay = self.backoff()
            if deadline is not None and time.monotonic() + delay >= deadline:
                time.sleep(max(0.0, deadline - time.monotonic()))
                return False
            time.sleep(delay)
            try:
                self._connect()
            except (ConnectionError, KvsTimeoutError, ProtocolError) as exc:
                self.reconnect_failed(exc)
                continue
            self.reconnected()
            return True
        return False

    def _connect(self) -> None:
        """Open a connection, subscribe it to everything held and wait until the server
        confirmed each name (the socket's own timeout bounds each read)."""
        conn = self._opener()
        reader = self.new_reader()
        early: list[Message] = []
        try:
            with self._lock:
                payload, expected = self.resubscribe()
                if payload:
                    with translated(self.name, f"{self.name} did not confirm the "
                                    "subscription in time"):
                        conn.sock.sendall(payload)
                        while expected := self.confirm(reader, expected, early):
                            self.confirming(reader, conn.sock.recv_into(self.buffer))
                self.adopt(reader, early, time.monotonic())
                self._conn = conn
        except BaseException:
            conn.close()
            raise


def _shut(conn: BlockingConnection) -> None:
    with contextlib.suppress(OSError):
        conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()


def _readable(sock: socket.socket, seconds: float | None) -> bool:
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True  # decrypted bytes already wait in the TLS layer
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
    wait = None if seconds is None else int(max(0.0, seconds) * 1000) + 1
    return bool(poller.poll(wait))
