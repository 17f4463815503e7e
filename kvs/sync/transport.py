"""Blocking connections and the thread-safe pool the blocking backends share.

A `BlockingConnection` is one socket and one incremental parser; one thread uses it at a time.
The `Pool` lends idle connections to threads (opening more as needed, keeping at most
``max_idle``) and, before lending one, checks that the server has not closed it while it sat
idle: a readable idle socket is a closed (or confused) one, and is replaced.  So a request is
written on a connection that looked alive, and a failure after that counts as "may have
reached the server" for the retry rules of `kvs._retry`.

A reply is never handed to the wrong caller.  A RESP3 push read while waiting for a reply is
not a reply: it goes to the connection's push handler.  A connection whose parser still holds
anything once its caller has its replies (the server sent more than was asked: a complete
reply or part of one) is closed when it comes back, never lent again; the caller keeps the
reply that was its own.  And an idle connection whose socket is readable is closed too.

A blocking call made on a thread that is running `trio.run` blocks that event loop; the
first such call warns (`RuntimeWarning`), without importing trio.

OS errors become kvs errors here, once, with the cause kept.
"""

from __future__ import annotations

import collections
import contextlib
import select
import socket
import ssl
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from .._errors import ConnectionError, KvsError, ProtocolError
from .._errors import TimeoutError as KvsTimeoutError
from .._log import get_logger
from .._retry import backoff_delay, may_retry

__all__ = ["BlockingConnection", "Pool", "open_socket", "translated", "warn_if_in_trio"]

_log = get_logger("kvs.net")

RECEIVE_SIZE = 256 * 1024


class _Parser(Protocol):
    def feed(self, data: bytes | bytearray | memoryview) -> None: ...
    def next_reply(self) -> Any: ...
    @property
    def buffered(self) -> bool: ...


_warned_trio = False
_inside_trio: Callable[[], bool] | None = None  # set once trio is imported


def _trio_detector(trio: Any) -> Callable[[], bool] | None:
    """Whether this thread runs ``trio.run``, as cheaply as the installed trio allows (None
    while trio is still being imported).

    ``trio.lowlevel.in_trio_run()`` is ``hasattr`` on a thread-local, which costs a caught
    AttributeError (~0.65 us) on every call made outside a run, the common case.  The same
    question asked of that thread-local's ``__dict__`` costs ~0.08 us; where trio's run
    context is not where it is looked for, the public function answers (and the tests check
    that both give the same answer in and out of a run).
    """
    context = getattr(getattr(getattr(trio, "_core", None), "_run", None),
                      "GLOBAL_RUN_CONTEXT", None)
    if isinstance(context, threading.local):
        def inside() -> bool:
            return "runner" in context.__dict__
        return inside
    lowlevel = getattr(trio, "lowlevel", None)
    if lowlevel is None:
        return None
    in_trio_run: Callable[[], bool] | None = getattr(lowlevel, "in_trio_run", None)
    if in_trio_run is not None:
        return in_trio_run

    def has_root_task() -> bool:  # trio < 0.26
        try:
            return lowlevel.current_root_task() is not None
        except RuntimeError:
            return False
    return has_root_task


def warn_if_in_trio() -> None:
    """Warn once per process when a blocking call runs on a thread inside `trio.run`."""
    global _warned_trio, _inside_trio
    if _warned_trio:
        return
    inside = _inside_trio
    if inside is None:
        trio = sys.modules.get("trio")
        if trio is None:
            return
        inside = _inside_trio = _trio_detector(trio)
        if inside is None:
            return
    if not inside():
        return  # trio is imported, but this thread is not running it
    _warned_trio = True
    warnings.warn("kvs.sync blocks: this call runs inside trio.run and stops the event loop "
                  "while it waits; use kvs (the trio client) there", RuntimeWarning,
                  stacklevel=6)


@contextlib.contextmanager
def translated(name: str, timeout_message: str) -> Iterator[None]:
    """A block whose socket failures become kvs errors: the socket's timeout
    `kvs.TimeoutError` (`timeout_message`), any other OS or TLS error `kvs.ConnectionError`
    (``sent=True``: what was written may have reached the server); kvs errors pass."""
    try:
        yield
    except KvsError:
        raise
    except TimeoutError as exc:  # the builtin: socket.timeout
        raise KvsTimeoutError(timeout_message) from exc
    except (OSError, ssl.SSLError) as exc:
        raise ConnectionError(f"connection to {name} lost: {exc}", sent=True) from exc


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
                 parse_error: type[Exception], *, push_type: type | None = None,
                 on_push: Callable[[Any], None] | None = None) -> None:
        self.sock = sock
        self.parser = parser
        self.name = name
        self._parse_error = parse_error
        self._push_type = push_type
        self._on_push = on_push
        self._buffer = bytearray(RECEIVE_SIZE)
        self._view = memoryview(self._buffer)
        self._timeout: float | None = sock.gettimeout()
        self.stale = False  # the server sent a reply nobody asked for: never lend it again
        # When it was last lent (or opened): its idle time is counted from there, a little
        # longer than the truth, so a health check is never later than it should be, and
        # returning it reads no clock.
        self.idle_since = time.monotonic()
        self._poller = select.poll()  # made once: `idle_ok` runs before every lending
        self._poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)

    def settimeout(self, timeout: float | None) -> None:
        self._timeout = timeout
        self.sock.settimeout(timeout)

    def send(self, payload: bytes, sentinel: object) -> None:
        """Write `payload` and read nothing yet (`request` with ``b""`` reads the replies
        later: the scatter of a multi-server command); errors as for `request`."""
        self.request(payload, 0, sentinel)

    def request(self, payload: bytes, count: int, sentinel: object, *,
                extra_timeout: float | None = 0.0) -> list[Any]:
        """Send `payload` and read `count` replies, pushes set aside.

        Args:
            extra_timeout: seconds the server may take on top of the timeout (a blocking
                command's own timeout); None: wait for ever.

        Raises:
            kvs.ConnectionError: with ``sent=True``: the request may have reached the server.
            kvs.TimeoutError: no reply within the timeout (the connection is then unusable).
            kvs.ProtocolError: the server's bytes broke the protocol (``sent=True``).
        """
        if extra_timeout != 0.0:
            self.sock.settimeout(None if extra_timeout is None or self._timeout is None
                                 else self._timeout + extra_timeout)
        try:
            self.sock.sendall(payload)
            replies: list[Any] = []
            parser = self.parser
            push_type = self._push_type
            streaming = False
            while len(replies) < count:
                reply = parser.next_reply()
                if reply is not sentinel:
                    if push_type is not None and type(reply) is push_type:
                        if self._on_push is not None:
                            self._on_push(reply)
                        continue
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
            if push_type is not None and parser.buffered:
                self._drain_pushes(sentinel)
            return replies
        except TimeoutError as exc:  # the builtin: socket.timeout
            raise KvsTimeoutError(f"no reply from {self.name} within {self.sock.gettimeout()}s") \
                from exc
        except ConnectionError:
            raise
        except (OSError, ssl.SSLError) as exc:
            raise ConnectionError(f"connection to {self.name} lost: {exc}", sent=True) from exc
        except self._parse_error as exc:
            raise ProtocolError(f"{self.name}: {exc}", sent=True) from exc
        finally:
            if extra_timeout != 0.0:
                with contextlib.suppress(OSError):
                    self.sock.settimeout(self._timeout)

    def _drain_pushes(self, sentinel: object) -> None:
        """Hand complete pushes that came after the replies to the push handler; stop at
        anything else, which leaves the parser non-empty and the connection not reusable."""
        parser = self.parser
        while parser.buffered:
            reply = parser.next_reply()
            if reply is sentinel:
                return
            if type(reply) is not self._push_type:
                self.stale = True
                return
            if self._on_push is not None:
                self._on_push(reply)

    @property
    def out_of_step(self) -> bool:
        """Whether the server sent more than was asked: a reply nobody asked for (`stale`),
        or bytes the parser still holds after the last reply read.  What comes next on
        such a connection would be taken for the next request's reply."""
        return self.stale or self.parser.buffered

    def idle_ok(self) -> bool:
        """Whether an idle connection may be lent: its socket has nothing to read and is not
        closed.  (Its parser was empty when it came back: `Pool.put` closes it otherwise,
        and nothing feeds the parser of an idle connection.)"""
        try:
            if self.stale or self.sock.fileno() < 0:
                return False
            return not self._poller.poll(0)
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class Pool:
    """Idle connections lent to one thread at a time; reopened with backoff."""

    def __init__(self, opener: Callable[[], BlockingConnection], *, retries: int, name: str,
                 max_idle: int = 64,
                 health_check: Callable[[BlockingConnection], bool] | None = None,
                 health_check_interval: float | None = None) -> None:
        """`health_check` (e.g. a PING answered in time) is run on a connection that sat idle
        for more than `health_check_interval` seconds before it is lent again; a connection
        that fails it is closed, so a half-open one is found before a caller writes on it."""
        self._opener = opener
        self._health_check = health_check if health_check_interval is not None else None
        self._health_check_interval = health_check_interval or 0.0
        self._retries = retries
        self.name = name
        self._idle: collections.deque[BlockingConnection] = collections.deque()
        self._max_idle = max_idle
        self._lock = threading.Lock()
        self._failures = 0
        self._closed = False

    def get(self) -> BlockingConnection:
        """An idle connection that still looks alive, or a new one."""
        warn_if_in_trio()
        while True:
            try:
                conn = self._idle.pop()
            except IndexError:
                break
            if conn.idle_ok() and self._healthy(conn):
                return conn
            _log.info("dropped an idle connection to %s: closed by the server, out of step, "
                      "or no answer to a health check", self.name)
            conn.close()
        if self._closed:
            raise ConnectionError(f"connection to {self.name} is closed")
        with self._lock:
            failures = self._failures
        if failures:
            time.sleep(backoff_delay(failures))
        try:
            conn = self._opener()
        except ConnectionError as exc:
            with self._lock:
                self._failures += 1
                failures = self._failures
            _log.warning("cannot connect to %s (%d failed in a row): %s", self.name, failures,
                         exc)
            raise
        except Exception as exc:  # a refusal (a wrong password ...): not counted
            _log.warning("cannot connect to %s: %s", self.name, exc)
            raise
        with self._lock:
            failures, self._failures = self._failures, 0
        if failures:
            _log.info("connected to %s again", self.name)
        else:
            _log.debug("opened a connection to %s", self.name)
        return conn

    def _healthy(self, conn: BlockingConnection) -> bool:
        check = self._health_check
        if check is None:
            return True
        now = time.monotonic()  # the one clock read of a call
        if now - conn.idle_since < self._health_check_interval:
            conn.idle_since = now
            return True
        try:
            healthy = check(conn)
        except KvsError:
            return False
        conn.idle_since = time.monotonic()
        # Anything after the check's reply (a reply nobody asked for, or the start of one)
        # would be taken for the next caller's reply: such a connection is not lent.
        return healthy and not conn.out_of_step and conn.idle_ok()

    def put(self, conn: BlockingConnection) -> None:
        """Take back a connection whose caller is done; one out of step is closed."""
        if self._closed or len(self._idle) >= self._max_idle or conn.out_of_step:
            conn.close()
        else:
            self._idle.append(conn)

    def run(self, payload: bytes, count: int, *, idempotent: bool, sentinel: object,
            extra_timeout: float | None = 0.0) -> list[Any]:
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
                replies = conn.request(payload, count, sentinel, extra_timeout=extra_timeout)
            except ConnectionError as exc:
                conn.close()
                _log.warning("%s", exc)
                if self._closed or not may_retry(sent=exc.sent, idempotent=idempotent,
                                                 attempt=attempt, retries=self._retries):
                    raise
                attempt += 1
                _log.info("retrying a request to %s (retry %d of %d)", self.name, attempt,
                          self._retries)
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
