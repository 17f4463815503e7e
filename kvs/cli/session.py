"""The command's own connection to a Redis server, as redis-cli holds one.

The client library pools and multiplexes connections, which is right for programs and wrong
for a person at a prompt: ``SELECT 2``, ``AUTH``, ``CLIENT SETNAME``, ``MULTI``, ``MONITOR``
and ``SUBSCRIBE`` change the state of *one* connection, and the next line must run on that
same connection.  A `Session` is one socket and one `resp.Parser`, opened with the handshake
redis-cli does (``HELLO 3`` for RESP3, else ``AUTH`` when a password is set; then ``SELECT``
when a database is), and it keeps what redis-cli keeps of the connection's state: the
database, whether a transaction is open, whether it is subscribed.

RESP2 is the default, as for redis-cli, so replies print as redis-cli prints them; ``-3``
asks for RESP3.  Replies are read with no time limit (``BLPOP k 0``, ``MONITOR``); only
connecting has a timeout.
"""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from resp import NEED_DATA, Parser, ProtocolError, Push, ReplyError, encode_command

from .._errors import ConnectionError
from .._url import Config

__all__ = ["Session"]

RECEIVE_SIZE = 64 * 1024
SUBSCRIBE = frozenset({b"subscribe", b"psubscribe", b"ssubscribe"})
UNSUBSCRIBE = frozenset({b"unsubscribe", b"punsubscribe", b"sunsubscribe"})


class Session:
    """One connection to the Redis server of `config`, with redis-cli's view of its state."""

    def __init__(self, config: Config, *, protocol: int = 2) -> None:
        self.config = config
        self.protocol = protocol
        self.db = config.db
        self.in_multi = False
        self.subscribed = False
        self._pre_multi_db = self.db
        self._sock: socket.socket | None = None
        self._parser = Parser()
        self._buffer = bytearray(RECEIVE_SIZE)

    # -- the connection ------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._sock is not None

    @property
    def address(self) -> str:
        """``host:port`` or the socket path, as redis-cli's prompt shows it."""
        config = self.config
        if config.path is not None:
            return f"redis {config.path}"
        host = f"[{config.host}]" if ":" in config.host else config.host
        return f"{host}:{config.port}"

    def prompt(self) -> str:
        """redis-cli's prompt: ``127.0.0.1:6379[2](TX)> ``."""
        text = self.address
        if self.db:
            text += f"[{self.db}]"
        if self.in_multi:
            text += "(TX)"
        return text + "> "

    def connect(self) -> None:
        """Open the socket and run the handshake.  A refused AUTH or SELECT is reported on
        stderr, as redis-cli reports it, and the session goes on (the database is then 0).

        Raises:
            kvs.ConnectionError: the server cannot be reached.
        """
        from ..sync.transport import open_socket

        self.close()
        config = self.config
        tls = None
        if config.tls:
            from ..redis.tls import ssl_context

            tls = ssl_context(config)
        name = self.address
        self._sock = open_socket(config.host, config.port, config.path, tls=tls,
                                 timeout=config.connect_timeout, name=name)
        self._sock.settimeout(None)
        self._parser = Parser()
        steps: list[list[bytes]] = []
        if self.protocol == 3:
            hello = [b"HELLO", b"3"]
            if config.password is not None:
                hello += [b"AUTH", (config.username or "default").encode(),
                          config.password.encode()]
            steps.append(hello)
        elif config.password is not None:
            auth = [b"AUTH"]
            if config.username:
                auth.append(config.username.encode())
            steps.append([*auth, config.password.encode()])
        if self.db:
            steps.append([b"SELECT", str(self.db).encode()])
        for argv in steps:
            reply = self.call(argv)
            if isinstance(reply, ReplyError):  # as redis-cli: say so, and go on
                if argv[0] == b"SELECT":
                    print(f"SELECT {self.db} failed: {reply}", file=sys.stderr)
                    self.db = 0
                else:
                    print(f"AUTH failed: {reply}", file=sys.stderr)

    def close(self) -> None:
        if self._sock is not None:
            sock, self._sock = self._sock, None
            with contextlib.suppress(OSError):
                sock.close()
        self.subscribed = False
        self.in_multi = False

    def fileno(self) -> int:
        return -1 if self._sock is None else self._sock.fileno()

    # -- commands ------------------------------------------------------------------------------

    def send(self, argv: Sequence[bytes]) -> None:
        self.send_bytes(encode_command(*argv))

    def send_bytes(self, payload: bytes) -> None:
        if self._sock is None:
            self.connect()
        assert self._sock is not None
        try:
            self._sock.sendall(payload)
        except OSError as exc:
            self.close()
            raise ConnectionError(f"writing to {self.address}: {exc}") from exc

    def pending(self) -> Any:
        """A reply already buffered, or `resp.NEED_DATA`."""
        try:
            return self._parser.next_reply()
        except ProtocolError as exc:
            self.close()
            raise ConnectionError(f"{self.address} sent bad RESP: {exc}") from exc

    def read(self) -> Any:
        """The next reply (an error reply is returned as `resp.ReplyError`, not raised)."""
        while True:
            reply = self.pending()
            if reply is not NEED_DATA:
                return reply
            if self._sock is None:
                raise ConnectionError(f"not connected to {self.address}")
            try:
                count = self._sock.recv_into(self._buffer)
            except OSError as exc:
                self.close()
                raise ConnectionError(f"reading from {self.address}: {exc}") from exc
            if not count:
                self.close()
                raise ConnectionError(f"{self.address} closed the connection")
            self._parser.feed(memoryview(self._buffer)[:count])

    def call(self, argv: Sequence[bytes]) -> Any:
        """Send one command and return its reply (pushes read meanwhile are dropped)."""
        self.send(argv)
        while True:
            reply = self.read()
            if not isinstance(reply, Push):
                return reply

    def run(self, argv: Sequence[bytes]) -> Iterator[Any]:
        """Send `argv` and yield what redis-cli prints for it: its reply, or for
        ``SUBSCRIBE`` one confirmation per name, and keep the session's state
        (database, transaction, subscription) as redis-cli does."""
        name = argv[0].lower()
        self.send(argv)
        if name in SUBSCRIBE or name in UNSUBSCRIBE:
            expected = max(len(argv) - 1, 1)
            while expected:
                reply = self.read()
                if _is_pubsub(reply) and bytes(reply[0]).lower() == name:
                    expected -= 1
                    if name in SUBSCRIBE:
                        self.subscribed = True
                    elif reply[2] == 0:
                        self.subscribed = False
                elif isinstance(reply, ReplyError):
                    expected = 0
                elif isinstance(reply, Push) or _is_pubsub(reply):
                    continue
                yield reply
            return
        while True:
            reply = self.read()
            if isinstance(reply, Push) and not self.subscribed:
                continue  # client-side caching invalidations and the like: not ours
            break
        self._track(name, argv, reply)
        yield reply

    def _track(self, name: bytes, argv: Sequence[bytes], reply: Any) -> None:
        failed = isinstance(reply, ReplyError)
        if name == b"select" and len(argv) == 2 and not failed:
            self.db = int(argv[1])
        elif name == b"multi" and len(argv) == 1 and not failed:
            self.in_multi = True
            self._pre_multi_db = self.db
        elif name == b"exec" and len(argv) == 1 and self.in_multi:
            self.in_multi = False
            if failed or reply is None:
                self.db = self._pre_multi_db
        elif name == b"discard" and len(argv) == 1 and not failed:
            self.in_multi = False
            self.db = self._pre_multi_db
        elif name == b"reset" and len(argv) == 1 and not failed:
            self.in_multi = False
            self.subscribed = False
            self.db = 0
            self.protocol = 2
        elif name == b"hello" and not failed:
            self.protocol = 3 if isinstance(reply, dict) else 2

    def messages(self) -> Iterator[Any]:
        """Replies as they come (a subscription's messages, MONITOR's lines), for ever."""
        while True:
            yield self.read()


def _is_pubsub(reply: Any) -> bool:
    if not isinstance(reply, list) or len(reply) < 3 or not isinstance(reply[0], bytes):
        return False
    kind = reply[0].lower()
    return kind.endswith((b"message", b"subscribe"))
