"""The in-process store seen from threads: the store's commands run inline, under its lock."""

from __future__ import annotations

from typing import Any

from .._url import Config
from .store import Store, get_store

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """The blocking driver of the in-process store."""

    def __init__(self, config: Config) -> None:
        self.store: Store = get_store(config.name)
        self._execute = self.store.execute

    def open(self) -> None:
        pass

    def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        return self._execute(argv)

    def close(self) -> None:
        pass
