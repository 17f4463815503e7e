"""Redis over TCP, TLS or a unix socket, on trio.

Opening a connection: the stream (TCP with TCP_NODELAY, TLS with verification on by default,
or a unix socket), then the handshake, written and read in order before the connection is
shared: ``HELLO 3 [AUTH user pass] [SETNAME name]``; a server without HELLO (or with
``protocol=2``) gets ``AUTH`` and ``CLIENT SETNAME`` instead, and ``SELECT db`` when the URL
names a database.  Then the stream becomes a multiplexed `Pipe` shared by every client of the
URL.

Commands that would block the shared connection (BLPOP and friends) get a connection of
their own for the call; commands that change the state of a connection (MULTI, SUBSCRIBE,
SELECT, ...) are refused by `execute`, since every task shares that state.
"""

from __future__ import annotations

import ssl
from typing import Any

import trio

from resp import NEED_DATA, Parser, encode_command
from resp import ProtocolError as RespProtocolError

from .._commands import SPECIAL, is_blocking, refuse_connection_state
from .._connection import Pipe
from .._errors import (
    ConnectionError,
    ProtocolError,
    TimeoutError,
)
from .._handshake import handshake
from .._reconnect import Link
from .._tls import ssl_context
from .._url import Config

__all__ = ["RedisBackend"]

class RedisBackend:
    """The Redis backend: a reconnecting multiplexed connection plus dedicated ones."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._timeout = config.timeout
        self.name = config.display
        self._link = Link(self._open_pipe, retries=config.retries, name=config.display)

    async def open(self) -> None:
        await self._link.connect()

    async def aclose(self) -> None:
        await self._link.aclose()

    async def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        if argv[0].upper() in SPECIAL:
            refuse_connection_state(argv)
            if is_blocking(argv):
                return await self._dedicated(argv)
        payload = encode_command(*argv)
        if self._timeout is None:
            return (await self._link.request(payload, 1, idempotent=idempotent))[0]
        with trio.move_on_after(self._timeout) as scope:
            return (await self._link.request(payload, 1, idempotent=idempotent))[0]
        assert scope.cancelled_caught
        raise TimeoutError(f"{argv[0].decode(errors='replace')} timed out after "
                           f"{self._timeout}s on {self.name}")

    async def _dedicated(self, argv: tuple[bytes, ...]) -> Any:
        """Run a blocking command on a connection of its own, closed afterwards."""
        stream, parser = await self._open_stream()
        try:
            async with stream:
                return await _roundtrip(stream, parser, encode_command(*argv), self.name)
        except (OSError, trio.BrokenResourceError) as exc:
            raise ConnectionError(f"connection to {self.name} lost: {exc}", sent=True) from exc

    async def _open_pipe(self) -> Pipe:
        stream, parser = await self._open_stream()
        return Pipe.start(stream, parser, self.name)

    async def _open_stream(self) -> tuple[trio.abc.Stream, Parser]:
        config = self._config
        with trio.move_on_after(config.connect_timeout or float("inf")) as scope:
            try:
                stream = await self._connect_stream()
            except (OSError, trio.BrokenResourceError, ssl.SSLError) as exc:
                raise ConnectionError(f"cannot connect to {self.name}: {exc}") from exc
            try:
                parser = await self._handshake(stream)
            except BaseException:
                await trio.aclose_forcefully(stream)
                raise
            return stream, parser
        assert scope.cancelled_caught
        raise TimeoutError(f"connecting to {self.name} timed out after {config.connect_timeout}s")

    async def _connect_stream(self) -> trio.abc.Stream:
        config = self._config
        if config.path is not None:
            return await trio.open_unix_socket(config.path)
        stream: trio.abc.Stream = await trio.open_tcp_stream(config.host, config.port)
        if config.tls:
            tls = trio.SSLStream(stream, ssl_context(config), server_hostname=config.host,
                                 https_compatible=False)
            try:
                await tls.do_handshake()
            except BaseException:
                await trio.aclose_forcefully(stream)
                raise
            stream = tls
        return stream

    async def _handshake(self, stream: trio.abc.Stream) -> Parser:
        try:
            return await self._negotiate(stream, Parser())
        except (OSError, trio.BrokenResourceError) as exc:
            raise ConnectionError(f"connection to {self.name} lost during the handshake: "
                                  f"{exc}") from exc
        except RespProtocolError as exc:
            raise ProtocolError(f"{self.name}: {exc}") from exc

    async def _negotiate(self, stream: trio.abc.Stream, parser: Parser) -> Parser:
        steps = handshake(self._config)
        try:
            argv = next(steps)
            while True:
                reply = await _roundtrip(stream, parser, encode_command(*argv), self.name)
                argv = steps.send(reply)
        except StopIteration:
            return parser


async def _roundtrip(stream: trio.abc.Stream, parser: Parser, payload: bytes, name: str) -> Any:
    await stream.send_all(payload)
    while True:
        reply = parser.next_reply()
        if reply is not NEED_DATA:
            return reply
        data = await stream.receive_some(65536)
        if not data:
            raise ConnectionError(f"connection to {name} closed by the server", sent=True)
        parser.feed(data)
