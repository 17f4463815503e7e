"""Same URL, one connection: the backends shared inside one trio run.

A `trio.lowlevel.RunVar` holds, for the current run, one backend per `Config` (configs that
differ only in how the URL was spelled compare equal) with a count of the clients using it.
The first client opens it, the last one closes it.  Nothing here outlives the run.
"""

from __future__ import annotations

from typing import Any

import trio

from .._url import Config, load_driver

__all__ = ["acquire", "release"]


class _Entry:
    __slots__ = ("backend", "refs")

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.refs = 0


_REGISTRY: trio.lowlevel.RunVar[dict[Config, _Entry]] = trio.lowlevel.RunVar("kvs_backends")


def _registry() -> dict[Config, _Entry]:
    try:
        return _REGISTRY.get()
    except LookupError:
        registry: dict[Config, _Entry] = {}
        _REGISTRY.set(registry)
        return registry


def _make(config: Config) -> Any:
    return load_driver(config, "trio")(config)


async def acquire(config: Config) -> Any:
    """Join (or open) the shared backend of `config` in this run."""
    registry = _registry()
    entry = registry.get(config)
    if entry is None:
        entry = registry[config] = _Entry(_make(config))
    entry.refs += 1
    try:
        await entry.backend.open()
    except BaseException:
        await release(config, entry.backend)
        raise
    return entry.backend


async def release(config: Config, backend: Any) -> None:
    """Leave the shared backend; the last one out closes it."""
    registry = _registry()
    entry = registry.get(config)
    if entry is None or entry.backend is not backend:
        return
    entry.refs -= 1
    if entry.refs == 0:
        del registry[config]
        with trio.CancelScope(shield=True):
            await backend.aclose()
