"""A Redis subscription over a blocking socket: one connection of its own, reopened when it
breaks.

The same rules as the trio subscriber (`kvs.redis.subscriber`), with threads: one thread reads
(`receive`), any thread may write (`command`, under a lock).  A read waits with ``poll`` (never
with the socket's timeout, which another thread's write shares), one 64 KiB buffer at a time,
only when the reader (`kvs.redis.frames`) holds no complete reply.  Idle for
``health_check_interval``: a PING, and ``timeout`` seconds for an answer, else the connection
counts as broken.  A broken connection is reopened with backoff (within the caller's
timeout), everything held is subscribed again and confirmed by the server, and `GAP` is
returned before anything from the new connection.  `close` shuts the socket down, which wakes
a thread waiting in `receive`.
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

from resp import NEED_DATA, ReplyError, encode_command
from resp import ProtocolError as RespProtocolError

from .._errors import ConnectionError, ProtocolError, response_error
from .._errors import TimeoutError as KvsTimeoutError
from .._log import get_logger
from .._retry import backoff_delay
from .._url import Config
from ..commands.pubsub import GAP, Holdings, Message, is_confirmation
from ..sync.transport import BlockingConnection
from .frames import SubscriptionReader

__all__ = ["RedisSubscriber"]

_log = get_logger("kvs.pubsub")

_PING = encode_command("PING")
_BUFFER = 65536


class RedisSubscriber:
    """One subscription's own blocking connection to Redis."""

    def __init__(self, config: Config, opener: Callable[[], BlockingConnection]) -> None:
        self._opener = opener
        self.name = config.display
        self._decode = config.decode
        self._interval = config.health_check_interval
        self._ping_timeout = config.timeout or config.health_check_interval or 10.0
        self.holdings = Holdings()
        self._conn: BlockingConnection | None = None
        self._reader = SubscriptionReader(config.decode)
        self._buffer = bytearray(_BUFFER)
        self._view = memoryview(self._buffer)
        self._lock = threading.Lock()
        self._gap = False
        self._failures = 0
        self._closed = False
        self._heard = 0.0
        self._ping_sent: float | None = None
        self._early: collections.deque[Message] = collections.deque()  # read while confirming
        self.reconnects = 0

    def open(self) -> None:
        self._connect()

    def close(self) -> None:
        self._closed = True
        conn, self._conn = self._conn, None
        if conn is not None:
            self._shut(conn)

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
        while not self._closed:
            conn = self._conn
            if conn is None:
                if not self._reconnect(deadline):
                    return None
                continue
            if self._gap:
                self._gap = False
                return GAP
            if self._early:
                return self._early.popleft()
            try:
                reply = self._reader.next()
            except RespProtocolError:
                self._drop(conn)
                continue
            if type(reply) is Message:
                return reply
            if reply is NEED_DATA:
                state = self._fill(conn, deadline)
                if state == "timeout":
                    return None
                if state == "broken":
                    self._drop(conn)
                continue
            if type(reply) is ReplyError:  # a refused (un)subscribe, e.g. NOPERM
                raise response_error(reply)
        return None

    def _fill(self, conn: BlockingConnection, deadline: float | None) -> str:
        """Wait for bytes and feed them: ``"data"``, ``"timeout"`` or ``"broken"``."""
        sock = conn.sock
        try:
            while True:
                now = time.monotonic()
                if self._ping_sent is not None:
                    limit: float | None = self._ping_sent + self._ping_timeout
                elif self._interval is not None:
                    limit = self._heard + self._interval
                else:
                    limit = None
                until = limit if deadline is None or (limit is not None and limit < deadline) \
                    else deadline
                if _readable(sock, None if until is None else max(0.0, until - now)):
                    received = sock.recv_into(self._buffer)
                    if not received:
                        return "broken"
                    self._reader.feed(self._view[:received])
                    self._heard = time.monotonic()
                    self._ping_sent = None
                    return "data"
                now = time.monotonic()
                if limit is not None and now >= limit:
                    if self._ping_sent is not None:
                        return "broken"  # no answer to the PING: half-open or stuck
                    with self._lock:
                        sock.sendall(_PING)
                    self._ping_sent = now
                elif deadline is not None and now >= deadline:
                    return "timeout"
        except (OSError, ValueError, ssl.SSLError):
            return "broken"

    def _drop(self, conn: BlockingConnection) -> None:
        if self._conn is conn:
            self._conn = None
        self._shut(conn)

    @staticmethod
    def _shut(conn: BlockingConnection) -> None:
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_RDWR)
        conn.close()

    def _reconnect(self, deadline: float | None) -> bool:
        """Reopen and resubscribe; False when `deadline` passed first (or it was closed)."""
        while not self._closed:
            delay = backoff_delay(self._failures)
            if deadline is not None and time.monotonic() + delay >= deadline:
                time.sleep(max(0.0, deadline - time.monotonic()))
                return False
            time.sleep(delay)
            try:
                self._connect()
            except (ConnectionError, KvsTimeoutError, ProtocolError) as exc:
                self._failures += 1
                _log.warning("subscription to %s: cannot reconnect (%d failed in a row): %s",
                             self.name, self._failures, exc)
                continue
            self._failures = 0
            self.reconnects += 1
            self._gap = True
            _log.warning("subscription to %s reconnected: what was published while it was "
                         "away is lost (a gap)", self.name)
            return True
        return False

    def _connect(self) -> None:
        """Open a connection, subscribe it to everything held and wait until the server
        confirmed each name (see the trio subscriber)."""
        conn = self._opener()
        reader = SubscriptionReader(self._decode)
        try:
            with self._lock:
                commands = self.holdings.commands()
                if commands:
                    try:
                        conn.sock.sendall(b"".join(encode_command(*argv) for argv in commands))
                        self._early.extend(self._confirm(
                            conn, reader, sum(len(argv) - 1 for argv in commands)))
                    except TimeoutError as exc:  # the builtin: the socket's timeout
                        raise KvsTimeoutError(f"{self.name} did not confirm the subscription "
                                              "in time") from exc
                    except (OSError, ssl.SSLError) as exc:
                        raise ConnectionError(f"connection to {self.name} lost: {exc}",
                                              sent=True) from exc
                if self._closed:
                    raise ConnectionError(f"subscription to {self.name} is closed")
                self._conn, self._reader = conn, reader
                self._heard = time.monotonic()
                self._ping_sent = None
        except BaseException:
            self._early.clear()
            conn.close()
            raise

    def _confirm(self, conn: BlockingConnection, reader: SubscriptionReader, expected: int,
                 ) -> list[Message]:
        """Read until `expected` subscribe confirmations came; the messages read meanwhile.
        (The socket's own timeout bounds each read.)"""
        early: list[Message] = []
        while expected:
            try:
                reply = reader.next()
            except RespProtocolError as exc:
                raise ProtocolError(f"{self.name}: {exc}", sent=True) from exc
            if reply is NEED_DATA:
                received = conn.sock.recv_into(self._buffer)
                if not received:
                    raise ConnectionError(f"connection to {self.name} closed by the server",
                                          sent=True)
                reader.feed(self._view[:received])
            elif type(reply) is Message:
                early.append(reply)
            elif is_confirmation(reply):
                expected -= 1
            elif type(reply) is ReplyError:
                raise response_error(reply)
        return early

def _readable(sock: socket.socket, seconds: float | None) -> bool:
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True  # decrypted bytes already wait in the TLS layer
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(None if seconds is None else int(seconds * 1000) + 1))
