"""What both Memcached drivers share, with no I/O: servers, plans, health, refusals.

Theory of operation.  A command reaches Memcached as a `Plan` (``plan.py``): the requests
it needs on each server and how their replies combine into the Redis-shaped answer.  Both
drivers, `kvs.memcached.driver` (trio) and `kvs.memcached.blocking`, derive from
`MemcachedCore`, which owns everything that does not wait: the server names of the URL, the
planner (with GET's shortcut, which skips building a plan), the merged plan of a pipeline,
and `Health`, the servers that failed lately (a command for one of their keys fails at once
instead of waiting out a reconnection; after a second one command tries again).

The drivers differ only in how bytes move, which is why the core is shared rather than the
blocking driver generated from the trio one: the trio driver runs the parts of a
multi-server plan as concurrent tasks on multiplexed connections, the blocking one writes
every server's part before reading any reply (one round trip for a multi-server MGET with
no threads), which a mechanical copy of the trio code would not do.

Dead servers.  `Health` remembers the servers that could not be reached: for `retry_after`
seconds, commands for them fail at once with `ServerDown` instead of each waiting out the
reconnection backoff; then one command tries the server again while the others keep
failing fast, and a success clears the mark.  Both transports share it, with their clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from .._errors import ConnectionError, TimeoutError, UnsupportedOperation
from .._url import Config
from .batch import merge_plans
from .plan import Plan, Planner

__all__ = ["NO_PUBSUB", "NO_TRANSACTION", "NO_WATCH", "ConnectTimeout", "Health", "MemcachedCore",
           "ServerDown", "server_name"]

NO_PUBSUB = "subscribe, psubscribe and ssubscribe are not supported by the memcached backend"
NO_TRANSACTION = "transaction is not supported by the memcached backend"
NO_WATCH = "watch is not supported by the memcached backend"


def server_name(host: str, port: int) -> str:
    """The ``host:port`` name of a server on the hash ring (``[v6]:port`` for IPv6)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class ServerDown(ConnectionError):
    """A server could not be reached (a `kvs.ConnectionError`; nothing was sent)."""


class ConnectTimeout(ServerDown, TimeoutError):
    """A server did not accept the connection in time: both a `kvs.ConnectionError` (the
    server is unreachable) and a `kvs.TimeoutError`."""


class Health:
    """Servers that failed to connect lately, and when each may be tried again."""

    def __init__(self, retry_after: float = 1.0) -> None:
        self.retry_after = retry_after
        self.down: dict[str, float] = {}  # server -> time of the next attempt

    def check(self, server: str, now: float) -> None:
        """Raise `ServerDown` while `server` is marked down; past the mark, let this caller
        try it (and keep failing the others fast for another `retry_after`)."""
        until = self.down.get(server)
        if until is None:
            return
        if now < until:
            raise ServerDown(f"memcached://{server} is down (no connection); next attempt in "
                             f"{until - now:.2f}s")
        self.down[server] = now + self.retry_after

    def failed(self, server: str, now: float) -> None:
        self.down[server] = now + self.retry_after

    def succeeded(self, server: str) -> None:
        self.down.pop(server, None)


class MemcachedCore:
    """The planner, the servers and their health, for one `memcached://` configuration."""

    transactions = False  # pipelines only (one round trip per server, not atomic)

    def __init__(self, config: Config) -> None:
        self._config = config
        self._timeout = config.timeout
        self._retries = config.retries
        self.name = config.display
        names = [server_name(host, port) for host, port in config.servers]
        self.servers = dict(zip(names, config.servers, strict=True))  # name -> (host, port)
        self._planner = Planner(names)
        self._get = self._planner.get
        self._health = Health()

    def subscriber(self) -> Any:
        """Memcached has no pub/sub: refused before any I/O."""
        raise UnsupportedOperation(NO_PUBSUB)

    def _plan(self, argv: tuple[bytes, ...], idempotent: bool) -> tuple[Plan, bool]:
        """The plan of one command, and whether running it again is harmless."""
        plan = self._planner.plan(argv, now=time.time())
        return plan, idempotent and plan.idempotent

    def _plan_many(self, argvs: Sequence[tuple[bytes, ...]],
                   idempotent: bool) -> tuple[Plan, bool]:
        """A pipeline's commands as one plan: each server's parts joined into one request."""
        now = time.time()
        merged = merge_plans([self._planner.plan(argv, now=now) for argv in argvs])
        return merged, idempotent and merged.idempotent

    # -- health: `clock` is the driver's (read only while some server is down) ---------

    def _check(self, server: str, clock: Callable[[], float]) -> None:
        """Raise `ServerDown` at once while `server` is marked down."""
        if self._health.down:
            self._health.check(server, clock())

    def _failed(self, server: str, now: float) -> None:
        self._health.failed(server, now)

    def _succeeded(self, server: str) -> None:
        if self._health.down:
            self._health.succeeded(server)
