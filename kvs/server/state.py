"""What the sessions of one server share: the store, the password, CONFIG, clients and stats.

Theory of operation: a `ServerState` is plain data with no I/O; the listener makes one per
``kvs.serve`` and every `Session` holds it.  CONFIG parameters are kept as Redis keeps them
(text, under their lower-case names) with Redis 7.0's defaults; the ones the server acts on
(``requirepass``, ``proto-max-bulk-len``, ``client-query-buffer-limit``) are read back through
properties, so ``CONFIG SET`` takes effect for the next request.  The others are kept and
echoed, so tools that read or set them see what they expect.
"""

from __future__ import annotations

import itertools
import os
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..memory.store import Store

if TYPE_CHECKING:
    from .session import Session

__all__ = ["REDIS_VERSION", "CommandStats", "ServerState", "parse_memory"]

REDIS_VERSION = "7.0.0"  # the Redis whose semantics the store follows

# Redis 7.0's defaults for the parameters clients and tools read; ``databases`` is 1 here
# (only database 0 exists), the limits are Redis's.
_DEFAULTS: dict[str, str] = {
    "bind": "127.0.0.1", "port": "6379", "unixsocket": "", "requirepass": "",
    "databases": "1", "save": "", "appendonly": "no", "appendfsync": "everysec",
    "dir": "", "dbfilename": "dump.rdb", "maxmemory": "0", "maxmemory-policy": "noeviction",
    "maxmemory-samples": "5", "maxclients": "10000", "timeout": "0", "tcp-keepalive": "300",
    "proto-max-bulk-len": str(512 * 2**20), "client-query-buffer-limit": str(2**30),
    "hz": "10", "loglevel": "notice", "notify-keyspace-events": "",
    "slowlog-log-slower-than": "10000", "slowlog-max-len": "128", "lua-time-limit": "5000",
    "busy-reply-threshold": "5000", "io-threads": "1", "cluster-enabled": "no",
    "protected-mode": "yes", "lfu-log-factor": "10", "lfu-decay-time": "1",
    "list-max-listpack-size": "-2", "hash-max-listpack-entries": "128",
    "hash-max-listpack-value": "64", "set-max-intset-entries": "512",
    "zset-max-listpack-entries": "128", "zset-max-listpack-value": "64",
    "replica-read-only": "yes", "min-replicas-to-write": "0", "daemonize": "no",
    "client-output-buffer-limit":
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
}  # fmt: skip

IMMUTABLE = frozenset({"port", "unixsocket", "databases", "io-threads", "cluster-enabled",
                       "daemonize", "bind"})
MEMORY = frozenset({"maxmemory", "proto-max-bulk-len", "client-query-buffer-limit"})
MIN_LIMIT = 1024 * 1024  # Redis's minimum for both limits

_UNITS = {b"": 1, b"b": 1, b"k": 1000, b"kb": 1024, b"m": 1000**2, b"mb": 1024**2,
          b"g": 1000**3, b"gb": 1024**3}  # fmt: skip


def parse_memory(text: bytes) -> int | None:
    """A memory value as Redis's ``memtoull`` reads it (``100``, ``1kb``, ``2GB``), or None."""
    lower = text.lower()
    digits = lower.rstrip(b"bkmg")
    unit = _UNITS.get(lower[len(digits) :])
    if unit is None or not digits.isdigit():
        return None
    return int(digits) * unit


class CommandStats:
    """Calls, microseconds and failures of one command (INFO commandstats)."""

    __slots__ = ("calls", "failed", "rejected", "usec")

    def __init__(self) -> None:
        self.calls = self.usec = self.failed = self.rejected = 0


class ServerState:
    """The state every session of one server shares.

    Args:
        store: the store the server serves.
        password: the ``default`` user's password (``requirepass``); None: no password.
        host, port, unix: where the server listens, as CONFIG GET and INFO report it.
        clock: wall-clock seconds (tests pass a fake one).
    """

    def __init__(
        self,
        store: Store,
        *,
        password: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        unix: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.clock = clock
        self.started = clock()
        self.run_id = secrets.token_hex(20)
        self.config = dict(_DEFAULTS)
        self.config.update(bind=host, port=str(port), unixsocket=unix or "", dir=os.getcwd(),
                           requirepass=password or "")
        self.clients: dict[int, Session] = {}
        self._ids = itertools.count(1)
        self.commands: dict[str, CommandStats] = {}
        self.errors: dict[str, int] = {}
        self.connections_received = 0
        self.commands_processed = 0
        self.net_input = 0
        self.net_output = 0

    def next_id(self) -> int:
        """A new client id (CLIENT ID), never reused."""
        return next(self._ids)

    @property
    def password(self) -> str | None:
        """The ``default`` user's password, or None when none is required."""
        return self.config["requirepass"] or None

    @property
    def max_bulk_len(self) -> int:
        """``proto-max-bulk-len``: the longest bulk string a request may carry."""
        return int(self.config["proto-max-bulk-len"])

    @property
    def query_buffer_limit(self) -> int:
        """``client-query-buffer-limit``: unread request bytes above which a client is closed."""
        return int(self.config["client-query-buffer-limit"])

    @property
    def pubsub_output_limit(self) -> tuple[int, int, int]:
        """``client-output-buffer-limit``'s pub/sub class: (hard, soft bytes, soft seconds)."""
        from .pubsub import parse_output_limit

        return parse_output_limit(self.config["client-output-buffer-limit"])

    def stats_for(self, name: str) -> CommandStats:
        """The counters of command `name` (lower case, ``container|sub``)."""
        stats = self.commands.get(name)
        if stats is None:
            stats = self.commands[name] = CommandStats()
        return stats

    def count_error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    def reset_stats(self) -> None:
        """CONFIG RESETSTAT: forget command and error counters and the traffic totals."""
        self.commands.clear()
        self.errors.clear()
        self.connections_received = self.commands_processed = 0
        self.net_input = self.net_output = 0

    def set_config(self, name: str, value: bytes) -> str | None:
        """Set one parameter for CONFIG SET; returns Redis's reason for refusing, or None."""
        if name not in self.config:
            return None  # the caller reports an unknown option
        if name in IMMUTABLE:
            return "can't set immutable config"
        text = value.decode("utf-8", "surrogateescape")
        if name in MEMORY:
            number = parse_memory(value)
            if number is None:
                return "argument must be a memory value"
            if name != "maxmemory" and not MIN_LIMIT <= number <= 2**63 - 1:
                return f"argument must be between {MIN_LIMIT} and {2**63 - 1} inclusive"
            text = str(number)
        self.config[name] = text
        return None
