"""Hash commands of the in-process store.

A hash is a ``dict`` of field to value, created by the first write and deleted by the command
that empties it.  Fields keep insertion order, where Redis's order is unspecified.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from kvs.memory.keyspace import (
    NOT_INTEGER,
    OUT_OF_RANGE,
    SYNTAX,
    CommandError,
    Keyspace,
    arity_error,
    int_arg,
    option,
    random_sample,
)
from kvs.memory.numbers import (
    INT64_MAX,
    INT64_MIN,
    LongDouble,
    format_long_double,
    parse_int,
    parse_long_double,
    round_ld,
)

__all__ = ["HashCommands"]


class HashCommands(Keyspace):
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

    def _cmd_hincrbyfloat(self, argv: Sequence[bytes]) -> Any:
        key, field = argv[1], argv[2]
        increment = parse_long_double(argv[3])
        if increment is None:
            raise CommandError("ERR value is not a valid float")
        if isinstance(increment, float):
            raise CommandError("ERR value is NaN or Infinity")
        fields = self._get_hash(key)
        current: LongDouble = Fraction(0)
        if fields is not None and (old := fields.get(field)) is not None:
            parsed = parse_long_double(old)
            if parsed is None:
                raise CommandError("ERR hash value is not a float")
            current = parsed
        if isinstance(current, float):  # the field holds "inf": the sum is inf or nan
            raise CommandError("ERR increment would produce NaN or Infinity")
        total = round_ld(current + increment)
        if isinstance(total, float):
            raise CommandError("ERR increment would produce NaN or Infinity")
        text = format_long_double(total)
        if fields is None:
            fields = self._data[key] = {}
        fields[field] = text
        return text

    def _cmd_hstrlen(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        value = None if fields is None else fields.get(argv[2])
        return 0 if value is None else len(value)

    def _cmd_hmset(self, argv: Sequence[bytes]) -> Any:
        if len(argv) % 2 == 1:
            raise arity_error("hmset")
        self._cmd_hset(argv)
        return "OK"

    def _cmd_hrandfield(self, argv: Sequence[bytes]) -> Any:
        if len(argv) == 2:
            fields = self._get_hash(argv[1])
            return None if fields is None else random_sample(fields, -1)[0]
        count = parse_int(argv[2])
        if count is None:
            raise CommandError(NOT_INTEGER)
        if count == INT64_MIN:
            raise CommandError(OUT_OF_RANGE)
        withvalues = len(argv) == 4
        if len(argv) > 4 or (withvalues and option(argv[3]) != b"WITHVALUES"):
            raise CommandError(SYNTAX)
        if withvalues and not -INT64_MAX // 2 <= count <= INT64_MAX // 2:
            raise CommandError("ERR value is out of range")
        fields = self._get_hash(argv[1])
        if fields is None or count == 0:
            return []
        chosen = random_sample(fields, count)
        if withvalues:
            return [[field, fields[field]] for field in chosen]
        return chosen
