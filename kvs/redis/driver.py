"""Redis over TCP, TLS or a unix socket, on trio.

Opening a connection: the stream (TCP with TCP_NODELAY, TLS with verification on by default,
or a unix socket), then the handshake, written and read in order before the connection is
shared: ``HELLO 3 [AUTH user pass] [SETNAME name]``; a server without HELLO (or with
``protocol=2``) gets ``AUTH`` and ``CLIENT SETNAME`` instead, and ``SELECT db`` when the URL
names a database.  Then the stream becomes a `MultiplexedConnection` shared by every client of
the URL.

Commands that would block the shared connection (BLPOP and friends, XREAD ... BLOCK) get a
connection of their own for the call, from a small pool of plain connections that are
reused (`kvs.net.dedicated.StreamPool`); commands that change the state of a connection
(MULTI, SUBSCRIBE, SELECT, ...) are refused by `execute`, since every task shares that state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import trio

from resp import Parser, encode_command
from resp import ProtocolError as RespProtocolError

from .._errors import (
    ConnectionError,
    KvsError,
    ProtocolError,
    TimeoutError,
)
from .._retry import is_transient, transient_delay
from .._url import Config
from ..commands.traits import SPECIAL, blocking_seconds, is_blocking, refuse_connection_state
from ..net.dedicated import DedicatedConnection, DedicatedPool, StreamConnection, StreamPool
from ..net.errors import STREAM_ERRORS, deadline, lost
from ..net.multiplexed import MultiplexedConnection
from ..net.reconnecting import ReconnectingConnection
from ..net.transport import StreamTransport, Transport, open_tcp, open_unix
from .batch import UNWATCH, command_payload, pipeline_payload, transaction_payload
from .handshake import handshake, next_step
from .tls import ssl_context

__all__ = ["RedisBackend"]

_PING = encode_command("PING")

class RedisBackend:
    """The Redis backend: a reconnecting multiplexed connection plus dedicated ones."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._timeout = config.timeout
        self.name = config.display
        self._link = ReconnectingConnection(self._open_pipe, retries=config.retries,
                                            name=config.display)
        self._dedicated_pool = DedicatedPool(self._open_pipe, reset=UNWATCH,
                                             timeout=config.timeout)
        # Blocking commands: plain connections, one call at a time (kvs.net.dedicated).
        self._blocking_pool = StreamPool(self._open_transport, check=self._answers_ping,
                                         check_after=config.health_check_interval)

    async def open(self) -> None:
        await self._link.connect()

    async def aclose(self) -> None:
        await self._link.aclose()
        await self._dedicated_pool.aclose()
        await self._blocking_pool.aclose()

    async def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        if argv[0].upper() in SPECIAL:
            refuse_connection_state(argv)
            if is_blocking(argv):
                return await self._dedicated(argv)
        payload = encode_command(*argv)
        try:
            reply = (await self._link.request(payload, 1, idempotent=idempotent,
                                              timeout=self._timeout))[0]
            if idempotent and is_transient(reply):
                reply = await self._wait_out(payload, reply)
        except TimeoutError:
            raise TimeoutError(f"{argv[0].decode(errors='replace')} timed out after "
                               f"{self._timeout}s on {self.name}") from None
        return reply

    # -- pipelines, transactions and WATCH (kvs.redis.batch) -------------------------------

    transactions = True

    async def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                           idempotent: bool) -> list[Any]:
        """A pipeline: every command in one write on the shared connection, their raw
        replies in order; sent again after a broken connection only as `may_retry` says."""
        return await self._batch(pipeline_payload(argvs), len(argvs), idempotent)

    async def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        """MULTI, `argvs`, EXEC in one write: the raw replies of all of them; never sent
        again once it may have been written."""
        return await self._batch(transaction_payload(argvs), len(argvs) + 2, False)

    async def _batch(self, payload: bytes, count: int, idempotent: bool) -> list[Any]:
        try:
            return await self._link.request(payload, count, idempotent=idempotent,
                                            timeout=self._timeout)
        except TimeoutError:
            raise TimeoutError(f"a pipeline of {count} replies timed out after "
                               f"{self._timeout}s on {self.name} (it may have run)") from None

    async def dedicated(self) -> DedicatedRedis:
        """A connection of its own (from a small pool), for a WATCH block."""
        return DedicatedRedis(await self._dedicated_pool.acquire())

    async def _wait_out(self, payload: bytes, reply: Any) -> Any:
        """Send a command that is safe to repeat again while the server says it cannot
        answer yet (LOADING), within ``timeout``; then return the last reply."""
        timeout = self._timeout
        give_up = None if timeout is None else trio.current_time() + timeout
        attempt = 0
        while is_transient(reply):
            left = None if give_up is None else give_up - trio.current_time()
            delay = transient_delay(attempt, left=left)
            if delay is None:
                break
            await trio.sleep(delay)
            attempt += 1
            reply = (await self._link.request(payload, 1, idempotent=True, timeout=timeout))[0]
        return reply

    async def _dedicated(self, argv: tuple[bytes, ...]) -> Any:
        """Run a blocking command on a connection of its own, from the blocking pool.

        Its deadline is the command's own blocking time plus ``timeout`` (none when either
        is unlimited).  The connection goes back to the pool only after a whole reply: once
        the request may have been written, a timeout, a cancellation or an error closes it,
        so a late reply never reaches another call (and the server stops waiting).  A call
        on a warm pool makes one scheduler pass, its wait for the reply
        (`kvs.net.dedicated.StreamPool.acquire` only checks for cancellation), and its deadline
        costs no cancel scope (`kvs.net.dedicated.StreamPool.exchange`).
        """
        wait = blocking_seconds(argv)
        limit = None if wait is None or self._timeout is None else wait + self._timeout
        payload = encode_command(*argv)
        pool = self._blocking_pool
        conn = await pool.acquire()
        kept = False
        try:
            try:
                reply = await pool.exchange(conn, payload, self.name, limit)
            except TimeoutError:
                raise TimeoutError(
                    f"{_name(argv)} got no reply within {limit}s on {self.name}; its "
                    "connection was closed: it may have run (an element may have been popped "
                    "and its reply lost)") from None
            except STREAM_ERRORS as exc:
                if isinstance(exc, KvsError):  # already ours (kvs errors are OSErrors)
                    raise
                raise ConnectionError(
                    f"connection to {self.name} lost during {_name(argv)}: it may have "
                    f"run (an element may have been popped and its reply lost): {exc}",
                    sent=True) from exc
            kept = not conn.parser.buffered and pool.release(conn)
            return reply
        finally:
            if not kept:
                with trio.CancelScope(shield=True):
                    await conn.transport.aclose()

    async def _answers_ping(self, conn: StreamConnection) -> bool:
        return await conn.exchange(_PING, self.name) in ("PONG", b"PONG")

    async def _open_pipe(self) -> MultiplexedConnection:
        transport, parser = await self._open_transport()
        config = self._config
        return MultiplexedConnection.start(transport, parser, self.name, ping=_PING,
                          health_check_interval=config.health_check_interval,
                          stall_timeout=config.timeout)

    async def _open_transport(self, config: Config | None = None) -> tuple[Transport, Parser]:
        """A connection, handshake done, to the server of `config` (default: the URL's)."""
        config = config or self._config
        with deadline(config.connect_timeout,
                      f"connecting to {config.display} timed out after "
                      f"{config.connect_timeout}s"):
            with lost(f"cannot connect to {config.display}", sent=False):
                transport = await self._connect(config)
            try:
                parser = await self._handshake(transport, config)
            except BaseException:
                with trio.CancelScope(shield=True):
                    await transport.aclose()
                raise
        return transport, parser

    async def _connect(self, config: Config) -> Transport:
        if config.path is not None:
            return await open_unix(config.path)
        transport = await open_tcp(config.host, config.port)
        if not config.tls:
            return transport
        stream = trio.SSLStream(transport.as_stream(), ssl_context(config),
                                server_hostname=config.host, https_compatible=False)
        try:
            await stream.do_handshake()
        except BaseException:
            await trio.aclose_forcefully(stream)
            raise
        return StreamTransport(stream)

    async def _handshake(self, transport: Transport, config: Config) -> Parser:
        parser = Parser()
        steps = handshake(config)
        try:
            # The request the connection is opened for was not written yet: sent=False.
            with lost(f"connection to {config.display} lost during the handshake",
                      sent=False):
                argv: tuple[bytes | str | int, ...] | None = next(steps)
                while argv is not None:
                    reply = await _roundtrip(transport, parser, encode_command(*argv),
                                             config.display)
                    argv = next_step(steps, argv, reply, parser.buffered, config.display)
        except RespProtocolError as exc:
            raise ProtocolError(f"{config.display}: {exc}") from exc
        return parser

    # -- pub/sub ---------------------------------------------------------------------------

    def subscriber(self) -> Any:
        """A subscription's own connection (`kvs.redis.subscriber`), not opened yet."""
        from .subscriber import subscriber_for

        return subscriber_for(self)


class DedicatedRedis:
    """A pooled connection held by one WATCH block; ``lost`` once its state is unknown
    (it broke or timed out), and then closed on `release` rather than pooled."""

    def __init__(self, conn: DedicatedConnection) -> None:
        self._conn = conn

    @property
    def lost(self) -> bool:
        return self._conn.broken

    async def execute(self, argv: tuple[bytes, ...]) -> Any:
        return (await self._conn.request(command_payload(argv), 1))[0]

    async def watch(self, keys: Sequence[bytes]) -> Any:
        return (await self._conn.request(encode_command(b"WATCH", *keys), 1))[0]

    async def unwatch(self) -> Any:
        return (await self._conn.request(UNWATCH, 1))[0]

    async def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        return await self._conn.request(transaction_payload(argvs), len(argvs) + 2)

    async def release(self, *, clean: bool = False) -> None:
        await self._conn.pool.release(self._conn, clean=clean)


def _name(argv: tuple[bytes, ...]) -> str:
    return argv[0].decode(errors="replace")


async def _roundtrip(transport: Transport, parser: Parser, payload: bytes, name: str) -> Any:
    """One request and its reply, on a transport nobody else uses yet."""
    return await StreamConnection(transport, parser).exchange(payload, name)
