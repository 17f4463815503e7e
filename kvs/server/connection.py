"""The connection commands of a ``kvs serve`` session: AUTH, HELLO, PING, QUIT, RESET and
SELECT, answered as Redis 7.0 answers them, and the checks they share (the default user's
password, CLIENT SETNAME's rule for names).

`ConnectionCommands` is the part of `kvs.server.session.Session` that holds them; it reads
and sets the session's protocol, name and authentication (see that module for the theory of
operation).  A handler returns a RESP3-shaped value or a `ReplyError`, as every command of
the session does.
"""

from __future__ import annotations

import secrets
from typing import Any

from resp import ReplyError

from ..memory.numbers import parse_int
from ..memory.transactions import Session as TransactionSession
from .pubsub import Subscriptions
from .request import RequestReader
from .state import REDIS_VERSION, ServerState

__all__ = ["ConnectionCommands"]


class ConnectionCommands:
    """AUTH, HELLO, PING, QUIT, RESET and SELECT, for `kvs.server.session.Session`."""

    state: ServerState
    reader: RequestReader
    transaction: TransactionSession
    pubsub: Subscriptions | None
    id: int
    name: bytes | None
    protocol: int
    authenticated: bool
    closing: bool

    @property
    def subscribed(self) -> bool:
        """Whether the connection holds any channel, pattern or shard channel."""
        return self.pubsub is not None and self.pubsub.count() > 0

    def _check_password(self, user: bytes, password: bytes) -> bool:
        if user != b"default":
            return False
        expected = self.state.password
        return expected is None or secrets.compare_digest(
            password, expected.encode("utf-8", "surrogateescape"))

    def _authenticate(self) -> None:
        self.authenticated = self.reader.authenticated = True

    def cmd_auth(self, argv: list[bytes]) -> Any:
        if len(argv) > 3:
            return ReplyError("ERR syntax error")
        if len(argv) == 2:
            if self.state.password is None:
                return ReplyError(
                    "ERR AUTH <password> called without any password configured for the "
                    "default user. Are you sure your configuration is correct?")
            user, password = b"default", argv[1]
        else:
            user, password = argv[1], argv[2]
        if not self._check_password(user, password):
            return ReplyError("WRONGPASS invalid username-password pair or user is disabled.")
        self._authenticate()
        return "OK"

    def cmd_hello(self, argv: list[bytes]) -> Any:
        version = 0
        if len(argv) >= 2:
            parsed = parse_int(argv[1])
            if parsed is None:
                return ReplyError("ERR Protocol version is not an integer or out of range")
            if not 2 <= parsed <= 3:
                return ReplyError("NOPROTO unsupported protocol version")
            version = parsed
        credentials: tuple[bytes, bytes] | None = None
        name: bytes | None = None
        i = 2
        while i < len(argv):
            option, more = argv[i].upper(), len(argv) - 1 - i
            if option == b"AUTH" and more >= 2:
                credentials = (argv[i + 1], argv[i + 2])
                i += 3
            elif option == b"SETNAME" and more >= 1:
                name = argv[i + 1]
                i += 2
            else:
                text = argv[i].decode("utf-8", "replace")
                return ReplyError(f"ERR Syntax error in HELLO option '{text}'")
        if credentials is not None:
            if not self._check_password(*credentials):
                return ReplyError(
                    "WRONGPASS invalid username-password pair or user is disabled.")
            self._authenticate()
        if not self.authenticated:
            return ReplyError(
                "NOAUTH HELLO must be called with the client already authenticated, otherwise "
                "the HELLO AUTH <user> <pass> option can be used to authenticate the "
                "client and select the RESP protocol version at the same time")
        if name is not None:
            refused = self.set_name(name)
            if refused is not None:
                return refused
        if version:
            self.protocol = version
        return {b"server": b"redis", b"version": REDIS_VERSION.encode(),
                b"proto": self.protocol, b"id": self.id, b"mode": b"standalone",
                b"role": b"master", b"modules": []}

    def set_name(self, name: bytes) -> ReplyError | None:
        """CLIENT SETNAME's rule: printable ASCII without spaces; empty clears the name."""
        if any(not 33 <= byte <= 126 for byte in name):
            return ReplyError(
                "ERR Client names cannot contain spaces, newlines or special characters.")
        self.name = name or None
        return None

    def cmd_ping(self, argv: list[bytes]) -> Any:
        if len(argv) > 2:
            return ReplyError("ERR wrong number of arguments for 'ping' command")
        if self.protocol == 2 and self.subscribed:  # Redis's pub/sub-mode answer
            return [b"pong", argv[1] if len(argv) == 2 else b""]
        return "PONG" if len(argv) == 1 else argv[1]

    def cmd_quit(self, argv: list[bytes]) -> Any:
        self.closing = True
        return "OK"

    def cmd_reset(self, argv: list[bytes]) -> Any:
        self.transaction.close()  # RESET discards MULTI and unwatches, as in Redis
        if self.pubsub is not None:
            self.pubsub.reset()  # and unsubscribes from everything, silently
        self.protocol = 2
        self.name = None
        self.authenticated = self.reader.authenticated = self.state.password is None
        return "RESET"

    def cmd_select(self, argv: list[bytes]) -> Any:
        index = parse_int(argv[1])
        if index is None:
            return ReplyError("ERR value is not an integer or out of range")
        if index != 0:  # only database 0 exists (CONFIG GET databases: 1)
            return ReplyError("ERR DB index is out of range")
        return "OK"
