"""Memcached over blocking sockets: a connection pool per server, the shared core.

The rules are `kvs.memcached.core.MemcachedCore`'s, shared with the trio driver, so an
unsupported command raises `kvs.UnsupportedOperation` before any I/O; this module moves the
bytes.  A one-part plan is one request on a pooled connection of its server.  A plan over
several servers writes every part first, then reads each server's replies, so a
multi-server MGET costs one round trip, not one per server.  A part that fails is retried
alone under the usual rules (never written, or idempotent); the command then fails with that
part's error once every other part is done.

`open()` succeeds when at least one server answers.  A server that cannot be reached is
marked down for a second (the core's `Health`): commands for its keys fail at once with
`kvs.ConnectionError`, then one command tries it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from .._errors import ConnectionError, KvsError, UnsupportedOperation
from .._errors import TimeoutError as KvsTimeoutError
from .._retry import may_retry
from .._url import Config
from ..sync.transport import BlockingConnection, Pool, open_socket
from .core import NO_TRANSACTION, NO_WATCH, ConnectTimeout, MemcachedCore, ServerDown
from .plan import MAX_VALUE_SIZE, Part, Plan, get_reply
from .protocol import NEED_DATA, Parser, ProtocolError

__all__ = ["MemcachedBackend"]


class MemcachedBackend(MemcachedCore):
    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._pools = {
            name: Pool(_opener(host, port, name, config), retries=config.retries,
                       name=f"memcached://{name}")
            for name, (host, port) in self.servers.items()
        }

    def open(self) -> None:
        errors: list[KvsError] = []
        for server, pool in self._pools.items():
            try:
                pool.put(pool.get())
            except KvsError as exc:
                self._failed(server, time.monotonic())
                errors.append(exc)
        if len(errors) == len(self._pools):
            raise errors[0]

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()

    def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        if argv[0] == b"GET" and len(argv) == 2:  # the most common command, without a Plan
            server, payload = self._get(argv[1])
            return get_reply(self._run_one(server, payload, 1, idempotent)[0])
        plan, idempotent = self._plan(argv, idempotent)
        parts = plan.parts
        if len(parts) == 1:
            return plan.combine((self._run(parts[0], idempotent),))
        if not parts:
            return plan.combine(())
        return self._scatter(plan, idempotent)

    def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                     idempotent: bool) -> list[Any]:
        """A pipeline: one round trip per server, every command's reply in order (not
        atomic)."""
        merged, idempotent = self._plan_many(argvs, idempotent)
        result: list[Any] = self._scatter(merged, idempotent)
        return result

    def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        raise UnsupportedOperation(NO_TRANSACTION)

    def dedicated(self) -> Any:
        raise UnsupportedOperation(NO_WATCH)

    def _scatter(self, plan: Plan, idempotent: bool) -> Any:
        """Write every part, then read every part; a failed part is retried alone."""
        parts = plan.parts
        results: list[list[Any]] = [[] for _ in parts]
        conns: list[BlockingConnection | None] = [None] * len(parts)
        retry: list[int] = []
        errors: list[KvsError] = []

        def failed(i: int, exc: KvsError) -> None:
            sent = exc.sent if isinstance(exc, ConnectionError) else True
            if isinstance(exc, ConnectionError) and may_retry(
                    sent=sent, idempotent=idempotent, attempt=0, retries=self._retries):
                retry.append(i)
            else:
                errors.append(exc)

        try:
            for i, part in enumerate(parts):
                try:
                    self._check(part.server, time.monotonic)
                    conn = self._pools[part.server].get()
                except ServerDown as exc:
                    self._failed(part.server, time.monotonic())
                    errors.append(exc)
                    continue
                except KvsError as exc:
                    failed(i, exc)
                    continue
                try:
                    conn.send(part.payload, NEED_DATA)
                except KvsError as exc:
                    conn.close()
                    failed(i, exc)
                    continue
                conns[i] = conn
            for i, part in enumerate(parts):
                pending, conns[i] = conns[i], None
                if pending is None:
                    continue
                try:
                    results[i] = pending.request(b"", part.count, NEED_DATA)
                except KvsError as exc:
                    pending.close()
                    failed(i, exc)
                    continue
                self._pools[part.server].put(pending)
        finally:
            for leftover in conns:
                if leftover is not None:
                    leftover.close()
        for i in retry:
            try:
                results[i] = self._run(parts[i], idempotent)
            except KvsError as exc:
                errors.append(exc)
        if errors:
            raise errors[0]
        return plan.combine(results)

    def _run(self, part: Part, idempotent: bool) -> list[Any]:
        return self._run_one(part.server, part.payload, part.count, idempotent)

    def _run_one(self, server: str, payload: bytes, count: int, idempotent: bool) -> list[Any]:
        self._check(server, time.monotonic)
        try:
            replies = self._pools[server].run(payload, count, idempotent=idempotent,
                                              sentinel=NEED_DATA)
        except ServerDown:
            self._failed(server, time.monotonic())
            raise
        self._succeeded(server)
        return replies


def _opener(host: str, port: int, name: str,
            config: Config) -> Callable[[], BlockingConnection]:
    display = f"memcached://{name}"

    def open_connection() -> BlockingConnection:
        try:
            sock = open_socket(host, port, None, timeout=config.connect_timeout, tls=None,
                               name=display)
        except KvsTimeoutError as exc:
            raise ConnectTimeout(str(exc)) from exc
        except ConnectionError as exc:
            raise ServerDown(str(exc)) from exc
        conn = BlockingConnection(sock, Parser(max_value_size=MAX_VALUE_SIZE), display,
                                  ProtocolError)
        conn.settimeout(config.timeout)
        return conn

    return open_connection
