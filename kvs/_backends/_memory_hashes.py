"""Hash commands of the in-process store.

A hash is a ``dict`` of field to value, created by the first write and deleted by the command
that empties it.  Fields keep insertion order, where Redis's order is unspecified.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kvs._backends._memory_base import CommandError, Core, arity_error, int_arg
from kvs._backends._memory_numbers import INT64_MAX, INT64_MIN, parse_int

__all__ = ["HashCommands"]


class HashCommands(Core):
    """Commands on hashes."""

    # -- hashes -------------------------------------------------------------------------

    def _cmd_hset(self, argv: Sequence[bytes]) -> Any:
        if len(argv) % 2 == 1:
            raise arity_error("hset")
        key = argv[1]
        fields = self._get_hash(key)
        if fields is None:
            fields = self._data[key] = {}
        before = len(fields)
        for i in range(2, len(argv), 2):
            fields[argv[i]] = argv[i + 1]
        return len(fields) - before

    def _cmd_hsetnx(self, argv: Sequence[bytes]) -> Any:
        key, field = argv[1], argv[2]
        fields = self._get_hash(key)
        if fields is None:
            fields = self._data[key] = {}
        elif field in fields:
            return 0
        fields[field] = argv[3]
        return 1

    def _cmd_hget(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return None if fields is None else fields.get(argv[2])

    def _cmd_hmget(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        if fields is None:
            return [None] * (len(argv) - 2)
        return [fields.get(field) for field in argv[2:]]

    def _cmd_hgetall(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return {} if fields is None else dict(fields)

    def _cmd_hdel(self, argv: Sequence[bytes]) -> Any:
        key = argv[1]
        fields = self._get_hash(key)
        if fields is None:
            return 0
        removed = 0
        for field in argv[2:]:
            if fields.pop(field, None) is not None:
                removed += 1
        self._drop_if_empty(key, fields)
        return removed

    def _cmd_hexists(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return int(fields is not None and argv[2] in fields)

    def _cmd_hlen(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return 0 if fields is None else len(fields)

    def _cmd_hkeys(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return [] if fields is None else list(fields)

    def _cmd_hvals(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return [] if fields is None else list(fields.values())

    def _cmd_hincrby(self, argv: Sequence[bytes]) -> Any:
        key, field = argv[1], argv[2]
        delta = int_arg(argv[3])
        fields = self._get_hash(key)
        current = 0
        if fields is not None and (old := fields.get(field)) is not None:
            parsed = parse_int(old)
            if parsed is None:
                raise CommandError("ERR hash value is not an integer")
            current = parsed
        current += delta
        if not INT64_MIN <= current <= INT64_MAX:
            raise CommandError("ERR increment or decrement would overflow")
        if fields is None:
            fields = self._data[key] = {}
        fields[field] = b"%d" % current
        return current
