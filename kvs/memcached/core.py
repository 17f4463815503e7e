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
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from .._errors import UnsupportedOperation
from .._url import Config
from .batch import merge_plans
from .plan import Health, Plan, Planner, server_name

__all__ = ["NO_PUBSUB", "NO_TRANSACTION", "NO_WATCH", "MemcachedCore"]

NO_PUBSUB = "subscribe, psubscribe and ssubscribe are not supported by the memcached backend"
NO_TRANSACTION = "transaction is not supported by the memcached backend"
NO_WATCH = "watch is not supported by the memcached backend"


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
        """Raise `kvs.memcached.plan.ServerDown` at once while `server` is marked down."""
        if self._health.down:
            self._health.check(server, clock())

    def _failed(self, server: str, now: float) -> None:
        self._health.failed(server, now)

    def _succeeded(self, server: str) -> None:
        if self._health.down:
            self._health.succeeded(server)
