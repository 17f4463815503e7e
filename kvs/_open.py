"""The trio side of opening a backend: every backend shared per trio run (`kvs.net.sharing`),
its driver taken from the scheme table (`kvs._url.SCHEMES`).

Nothing here imports trio at module level, so `import kvs` stays light and `import kvs.sync`
never pulls trio in; the trio modules are imported on first open.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ._url import Config

__all__ = ["Backend", "Dedicated", "close_backend", "open_backend"]


class Backend(Protocol):
    transactions: bool  # False: transaction() and watch() are unsupported

    async def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any: ...
    def subscriber(self) -> Any: ...  # a pub/sub connection of its own, not opened yet
    async def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                           idempotent: bool) -> list[Any]: ...
    async def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]: ...
    async def dedicated(self) -> Dedicated: ...


class Dedicated(Protocol):
    """A connection held by one WATCH block (``Backend.dedicated``)."""

    @property
    def lost(self) -> bool: ...
    async def execute(self, argv: tuple[bytes, ...]) -> Any: ...
    async def watch(self, keys: Sequence[bytes]) -> Any: ...
    async def unwatch(self) -> Any: ...
    async def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]: ...
    async def release(self, *, clean: bool = False) -> None: ...


async def open_backend(config: Config) -> Backend:
    """Open the backend of `config`, or join the one this run already shares.

    Raises:
        RuntimeError: not called from inside ``trio.run`` (kvs's async API runs on trio).
    """
    import trio

    if not trio.lowlevel.in_trio_run():
        raise RuntimeError("kvs runs on trio: open the client inside trio.run(); for "
                           "blocking code (or another event loop's threads) use kvs.sync")
    from .net.sharing import acquire

    backend: Backend = await acquire(config)
    return backend


async def close_backend(config: Config, backend: Backend) -> None:
    """Leave the backend; the last client of a shared one closes it."""
    from .net.sharing import release

    await release(config, backend)
