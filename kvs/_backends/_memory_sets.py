"""Set commands of the in-process store.

A set is a Python ``set`` of members, created by the first SADD and deleted by the command
that empties it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kvs._backends._memory_base import Core

__all__ = ["SetCommands"]


class SetCommands(Core):
    """Commands on sets."""

    # -- sets ---------------------------------------------------------------------------

    def _cmd_sadd(self, argv: Sequence[bytes]) -> Any:
        key = argv[1]
        members = self._get_set(key)
        if members is None:
            members = self._data[key] = set()
        before = len(members)
        members.update(argv[2:])
        return len(members) - before

    def _cmd_srem(self, argv: Sequence[bytes]) -> Any:
        key = argv[1]
        members = self._get_set(key)
        if members is None:
            return 0
        before = len(members)
        members.difference_update(argv[2:])
        removed = before - len(members)
        self._drop_if_empty(key, members)
        return removed

    def _cmd_smembers(self, argv: Sequence[bytes]) -> Any:
        members = self._get_set(argv[1])
        return set() if members is None else set(members)

    def _cmd_sismember(self, argv: Sequence[bytes]) -> Any:
        members = self._get_set(argv[1])
        return int(members is not None and argv[2] in members)

    def _cmd_scard(self, argv: Sequence[bytes]) -> Any:
        members = self._get_set(argv[1])
        return 0 if members is None else len(members)
