"""Keyspace commands of the in-process store: keys as a whole, and their time to live.

Same conventions as the string commands: ``_cmd_<name>(argv)`` returns the raw reply or raises
`CommandError` with Redis's exact text, checks in Redis's order.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import islice
from typing import Any

from kvs._errors import UnsupportedOperation
from kvs.memory import glob
from kvs.memory.keyspace import (
    MAX_SECONDS,
    SYNTAX,
    CommandError,
    Keyspace,
    arity_error,
    copy_value,
    error_arg,
    int_arg,
    option,
    type_name,
)
from kvs.memory.numbers import INT64_MAX, INT64_MIN

__all__ = ["KeyCommands"]

_EXPIRE_OPTIONS = frozenset((b"NX", b"XX", b"GT", b"LT"))
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_OUT_OF_INT_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"
# C's LLONG_MIN / 1000 truncates toward zero.
_MIN_SECONDS = -(-INT64_MIN // 1000)


class KeyCommands(Keyspace):
    """Commands on the keyspace as a whole, and on expiry."""

    # -- connection ---------------------------------------------------------------------

    def _cmd_ping(self, argv: Sequence[bytes]) -> Any:
        if len(argv) > 2:
            raise arity_error("ping")
        return argv[1] if len(argv) == 2 else "PONG"

    def _cmd_echo(self, argv: Sequence[bytes]) -> Any:
        return argv[1]

    # -- keys ---------------------------------------------------------------------------

    def _cmd_del(self, argv: Sequence[bytes]) -> Any:
        return sum(self._delete(key) for key in argv[1:])

    _cmd_unlink = _cmd_del

    def _cmd_exists(self, argv: Sequence[bytes]) -> Any:
        return sum(self._lookup(key) is not None for key in argv[1:])

    def _cmd_type(self, argv: Sequence[bytes]) -> Any:
        value = self._lookup(argv[1])
        return "none" if value is None else type_name(value)

    def _cmd_touch(self, argv: Sequence[bytes]) -> Any:
        return sum(self._lookup(key) is not None for key in argv[1:])

    def _cmd_randomkey(self, argv: Sequence[bytes]) -> Any:
        self._sweep(None)  # so that the key drawn is alive
        if not self._data:
            return None
        return next(islice(self._data, random.randrange(len(self._data)), None))

    def _cmd_keys(self, argv: Sequence[bytes]) -> Any:
        pattern = argv[1]
        keys = self._live_keys()
        if pattern == b"*":
            return keys
        return [key for key in keys if glob.match(pattern, key)]

    def _cmd_dbsize(self, argv: Sequence[bytes]) -> Any:
        self._sweep(None)
        return len(self._data)

    def _cmd_flushdb(self, argv: Sequence[bytes]) -> Any:
        if len(argv) > 2 or (len(argv) == 2 and option(argv[1]) not in (b"SYNC", b"ASYNC")):
            raise CommandError(SYNTAX)
        self._flush()
        return "OK"

    _cmd_flushall = _cmd_flushdb

    def _rename(self, argv: Sequence[bytes], nx: bool) -> Any:
        source, destination = argv[1], argv[2]
        value = self._lookup(source)
        if value is None:
            raise CommandError("ERR no such key")
        if source == destination:
            return 0 if nx else "OK"
        if self._lookup(destination) is not None:
            if nx:
                return 0
            self._delete(destination)
        deadline = self._expires.get(source) if self._expires else None
        self._delete(source)
        self._data[destination] = value  # the same object: a scan of it carries on
        if deadline is not None:
            self._set_deadline(destination, deadline)
        return 1 if nx else "OK"

    def _cmd_rename(self, argv: Sequence[bytes]) -> Any:
        return self._rename(argv, nx=False)

    def _cmd_renamenx(self, argv: Sequence[bytes]) -> Any:
        return self._rename(argv, nx=True)

    def _cmd_copy(self, argv: Sequence[bytes]) -> Any:
        replace = False
        db = 0
        i = 3
        while i < len(argv):
            opt = option(argv[i])
            if opt == b"REPLACE":
                replace = True
            elif opt == b"DB" and i + 1 < len(argv):
                db = int_arg(argv[i + 1])
                if not INT32_MIN <= db <= INT32_MAX:
                    raise CommandError(_OUT_OF_INT_RANGE)
                if not 0 <= db < 16:
                    raise CommandError("ERR DB index is out of range")
                i += 1
            else:
                raise CommandError(SYNTAX)
            i += 1
        if db != 0:
            raise UnsupportedOperation("memory backend has only database 0")
        source, destination = argv[1], argv[2]
        if source == destination:
            raise CommandError("ERR source and destination objects are the same")
        value = self._lookup(source)
        if value is None:
            return 0
        if self._lookup(destination) is not None:
            if not replace:
                return 0
            self._delete(destination)
        deadline = self._expires.get(source) if self._expires else None
        self._data[destination] = copy_value(value)
        if deadline is not None:
            self._set_deadline(destination, deadline)
        return 1

    # -- expiry -------------------------------------------------------------------------

    def _expire(self, argv: Sequence[bytes], absolute: bool, seconds: bool, name: str) -> int:
        nx = xx = gt = lt = False
        for arg in argv[3:]:
            opt = option(arg)
            if opt not in _EXPIRE_OPTIONS:
                raise CommandError(f"ERR Unsupported option {error_arg(arg)}")
            nx, xx = nx or opt == b"NX", xx or opt == b"XX"
            gt, lt = gt or opt == b"GT", lt or opt == b"LT"
        if nx and (xx or gt or lt):
            raise CommandError(
                "ERR NX and XX, GT or LT options at the same time are not compatible"
            )
        if gt and lt:
            raise CommandError("ERR GT and LT options at the same time are not compatible")
        when = int_arg(argv[2])
        invalid = f"ERR invalid expire time in '{name}' command"
        if seconds:
            if when > MAX_SECONDS or when < _MIN_SECONDS:
                raise CommandError(invalid)
            when *= 1000
        now = self._unix_ms()
        base = 0 if absolute else now
        if when > INT64_MAX - base:
            raise CommandError(invalid)
        when += base
        key = argv[1]
        if self._lookup(key) is None:
            return 0
        if nx or xx or gt or lt:
            deadline = self._expires.get(key)
            current = -1 if deadline is None else deadline + self._wall_offset
            if (nx and current != -1) or (xx and current == -1):
                return 0
            if gt and (current == -1 or when <= current):
                return 0
            if lt and current != -1 and when >= current:
                return 0
        if when <= now:
            self._delete(key)
        else:
            self._set_deadline(key, self._deadline_from_unix(when))
        return 1

    def _cmd_expire(self, argv: Sequence[bytes]) -> Any:
        return self._expire(argv, absolute=False, seconds=True, name="expire")

    def _cmd_pexpire(self, argv: Sequence[bytes]) -> Any:
        return self._expire(argv, absolute=False, seconds=False, name="pexpire")

    def _cmd_expireat(self, argv: Sequence[bytes]) -> Any:
        return self._expire(argv, absolute=True, seconds=True, name="expireat")

    def _cmd_pexpireat(self, argv: Sequence[bytes]) -> Any:
        return self._expire(argv, absolute=True, seconds=False, name="pexpireat")

    def _ttl(self, key: bytes, ms: bool, absolute: bool) -> int:
        if self._lookup(key) is None:
            return -2
        deadline = self._expires.get(key)
        if deadline is None:
            return -1
        left = max(deadline + self._wall_offset if absolute else deadline - self._now, 0)
        return left if ms else (left + 500) // 1000

    def _cmd_ttl(self, argv: Sequence[bytes]) -> Any:
        return self._ttl(argv[1], ms=False, absolute=False)

    def _cmd_pttl(self, argv: Sequence[bytes]) -> Any:
        return self._ttl(argv[1], ms=True, absolute=False)

    def _cmd_expiretime(self, argv: Sequence[bytes]) -> Any:
        return self._ttl(argv[1], ms=False, absolute=True)

    def _cmd_pexpiretime(self, argv: Sequence[bytes]) -> Any:
        return self._ttl(argv[1], ms=True, absolute=True)

    def _cmd_persist(self, argv: Sequence[bytes]) -> Any:
        if self._lookup(argv[1]) is None:
            return 0
        return int(self._expires.pop(argv[1], None) is not None)

