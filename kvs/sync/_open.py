"""The blocking side of opening a backend: one shared backend per configuration per process.

Clients of the same URL and options, in any thread, share one backend (a pool of blocking
connections for Redis and Memcached, the store itself in memory); the last client to close
closes it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

from .._url import Config, load_driver

__all__ = ["Backend", "Dedicated", "close_backend", "open_backend"]


class Backend(Protocol):
    transactions: bool  # False: transaction() and watch() are unsupported

    def open(self) -> None: ...
    def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any: ...
    def subscriber(self) -> Any: ...  # a pub/sub connection of its own, not opened yet
    def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                     idempotent: bool) -> list[Any]: ...
    def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]: ...
    def dedicated(self) -> Dedicated: ...
    def close(self) -> None: ...


class Dedicated(Protocol):
    """A connection held by one WATCH block (``Backend.dedicated``)."""

    @property
    def lost(self) -> bool: ...
    def execute(self, argv: tuple[bytes, ...]) -> Any: ...
    def watch(self, keys: Sequence[bytes]) -> Any: ...
    def unwatch(self) -> Any: ...
    def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]: ...
    def release(self, *, clean: bool = False) -> None: ...


_lock = threading.Lock()
_shared: dict[Config, tuple[Backend, int]] = {}


def _make(config: Config) -> Backend:
    backend: Backend = load_driver(config, "blocking")(config)
    return backend


def open_backend(config: Config) -> Backend:
    """Join (or create) the process-wide backend of `config`, opening a first connection."""
    with _lock:
        backend, refs = _shared.get(config, (None, 0))
        if backend is None:
            backend = _make(config)
        _shared[config] = (backend, refs + 1)
    try:
        if refs == 0:
            backend.open()
    except BaseException:
        close_backend(config, backend)
        raise
    return backend


def close_backend(config: Config, backend: Backend) -> None:
    """Leave the shared backend; the last client closes it."""
    with _lock:
        current, refs = _shared.get(config, (None, 0))
        if current is not backend:
            return
        if refs > 1:
            _shared[config] = (backend, refs - 1)
            return
        del _shared[config]
    backend.close()
