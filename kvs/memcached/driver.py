"""Memcached over the meta protocol, on trio, across one or many servers.

The rules are `kvs.memcached.core.MemcachedCore`'s, shared with the blocking driver; this
module moves the bytes.  Each server of the URL gets one `ReconnectingConnection`: a
`MultiplexedConnection` (the `kvs.memcached.protocol` parser on a raw TCP socket from
`kvs.net.transport.open_tcp`) that reopens itself with backoff.  A command is planned first,
with no I/O: an unsupported one raises `kvs.UnsupportedOperation` before anything is
written.  A plan with one part (every single-key command) is one request on its server's
link; GET, the most common, goes there without building a plan.  A plan over several
servers runs its parts concurrently and combines the replies once all are in.  A part that
fails (the server is down, the connection broke) fails the command with that error after the
other parts have finished, so a multi-server write is never cut short on the healthy
servers; commands whose keys live elsewhere are not affected at all.

`open()` connects to every server at once and succeeds when at least one answers.  A server
that cannot be reached (at open or later) is marked down for a second (the core's
`Health`).  A connect timeout counts as unreachable too: its error is both a
`kvs.ConnectionError` and a `kvs.TimeoutError`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import trio

from .._errors import KvsError, TimeoutError, UnsupportedOperation
from .._url import Config
from ..net.errors import deadline, lost
from ..net.multiplexed import MultiplexedConnection
from ..net.reconnecting import ReconnectingConnection
from ..net.transport import open_tcp
from .core import NO_TRANSACTION, NO_WATCH, ConnectTimeout, MemcachedCore, ServerDown
from .plan import MAX_VALUE_SIZE, Part, Plan, get_reply
from .protocol import NEED_DATA, Parser

__all__ = ["MemcachedBackend"]


class MemcachedBackend(MemcachedCore):
    """The memcached backend: a reconnecting multiplexed connection per server."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._links = {
            name: ReconnectingConnection(
                _opener(host, port, name, config.connect_timeout, config.timeout),
                retries=config.retries, name=f"memcached://{name}")
            for name, (host, port) in self.servers.items()
        }

    async def open(self) -> None:
        errors: list[KvsError] = []

        async def connect(server: str, link: ReconnectingConnection) -> None:
            try:
                await link.connect()
            except KvsError as exc:
                self._failed(server, trio.current_time())
                errors.append(exc)

        async with trio.open_nursery() as nursery:
            for server, link in self._links.items():
                nursery.start_soon(connect, server, link)
        if len(errors) == len(self._links):
            raise errors[0]

    async def aclose(self) -> None:
        for link in self._links.values():
            await link.aclose()

    async def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        if argv[0] == b"GET" and len(argv) == 2:
            server, payload = self._get(argv[1])  # the most common command, without a Plan
            return get_reply((await self._request_one(server, payload, 1, idempotent))[0])
        plan, idempotent = self._plan(argv, idempotent)
        try:
            return await self._run(plan, idempotent)
        except TimeoutError:
            raise TimeoutError(f"{argv[0].decode(errors='replace')} timed out after "
                               f"{self._timeout}s on {self.name}") from None

    async def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                           idempotent: bool) -> list[Any]:
        """A pipeline: one round trip per server, every command's reply in order (not
        atomic)."""
        merged, idempotent = self._plan_many(argvs, idempotent)
        result: list[Any] = await self._run(merged, idempotent)
        return result

    async def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        raise UnsupportedOperation(NO_TRANSACTION)

    async def dedicated(self) -> Any:
        raise UnsupportedOperation(NO_WATCH)

    async def _run(self, plan: Plan, idempotent: bool) -> Any:
        parts = plan.parts
        if len(parts) == 1:
            return plan.combine((await self._request(parts[0], idempotent),))
        if not parts:
            await trio.lowlevel.checkpoint()
            return plan.combine(())
        results: list[list[Any]] = [[] for _ in parts]
        errors: list[KvsError] = []

        async def run_part(index: int, part: Part) -> None:
            try:
                results[index] = await self._request(part, idempotent)
            except KvsError as exc:
                errors.append(exc)

        async with trio.open_nursery() as nursery:
            for index, part in enumerate(parts):
                nursery.start_soon(run_part, index, part)
        if errors:
            raise errors[0]
        return plan.combine(results)

    async def _request(self, part: Part, idempotent: bool) -> list[Any]:
        return await self._request_one(part.server, part.payload, part.count, idempotent)

    async def _request_one(self, server: str, payload: bytes, count: int,
                           idempotent: bool) -> list[Any]:
        self._check(server, trio.current_time)
        try:
            replies = await self._links[server].request(payload, count, idempotent=idempotent,
                                                        timeout=self._timeout)
        except ServerDown:
            self._failed(server, trio.current_time())
            raise
        self._succeeded(server)
        return replies


def _opener(host: str, port: int, name: str, connect_timeout: float | None,
            stall_timeout: float | None) -> Callable[[], Awaitable[MultiplexedConnection]]:
    display = f"memcached://{name}"

    async def open_pipe() -> MultiplexedConnection:
        with deadline(connect_timeout,
                      f"connecting to {display} timed out after {connect_timeout}s",
                      ConnectTimeout), \
                lost(f"cannot connect to {display}", sent=False, error=ServerDown):
            transport = await open_tcp(host, port)
        return MultiplexedConnection.start(
            transport, Parser(max_value_size=MAX_VALUE_SIZE), display,
            need_data=NEED_DATA, stall_timeout=stall_timeout)

    return open_pipe
