"""String, counter and keyspace commands of the in-process store.

Each ``_cmd_<name>`` method takes the whole argv (arity already checked by the dispatcher)
and returns the raw reply, or raises `CommandError` with Redis's exact error text.  The order
of the checks inside a command follows Redis, since it decides which error a bad command gets
(e.g. INCRBY parses its increment before looking at the key, INCRBYFLOAT the other way round).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from kvs.memory import glob
from kvs.memory.keyspace import NOT_INTEGER, SYNTAX, WRONGTYPE, CommandError, Core
from kvs.memory.numbers import (
    INT64_MAX,
    INT64_MIN,
    format_long_double,
    parse_int,
    parse_long_double,
    round_ld,
)

__all__ = ["StringCommands", "arity_error", "error_arg"]

_MAX_STRING = 512 * 1024 * 1024
_OVERFLOW = "ERR increment or decrement would overflow"
_NOT_FLOAT = "ERR value is not a valid float"
_EXPIRE_OPTIONS = frozenset((b"NX", b"XX", b"GT", b"LT"))
_SET_EXPIRES = frozenset((b"EX", b"PX", b"EXAT", b"PXAT"))
# C's LLONG_MIN / 1000 truncates toward zero.
_MIN_SECONDS = -(-INT64_MIN // 1000)
_MAX_SECONDS = INT64_MAX // 1000


def arity_error(name: str) -> CommandError:
    """The error Redis gives for a wrong number of arguments to ``name`` (lower case)."""
    return CommandError(f"ERR wrong number of arguments for '{name}' command")


def error_arg(arg: bytes) -> str:
    """An argument ending an error text, as Redis shows it.

    Redis formats it as a C string (it stops at a NUL byte), trims line breaks off the end of
    the text and turns the others into spaces.
    """
    text = arg.split(b"\0", 1)[0].rstrip(b"\r\n").replace(b"\r", b" ").replace(b"\n", b" ")
    return text.decode("utf-8", "surrogateescape")


def _option(arg: bytes) -> bytes:
    """An option word, compared as Redis compares it: as a C string, case-insensitively."""
    return arg.partition(b"\0")[0].upper()


def _int_arg(arg: bytes) -> int:
    value = parse_int(arg)
    if value is None:
        raise CommandError(NOT_INTEGER)
    return value


class StringCommands(Core):
    """Commands on strings, counters, expiry and the keyspace as a whole."""

    # -- connection ---------------------------------------------------------------------

    def _cmd_ping(self, argv: Sequence[bytes]) -> Any:
        if len(argv) > 2:
            raise arity_error("ping")
        return argv[1] if len(argv) == 2 else "PONG"

    def _cmd_echo(self, argv: Sequence[bytes]) -> Any:
        return argv[1]

    # -- strings ------------------------------------------------------------------------

    def _cmd_get(self, argv: Sequence[bytes]) -> Any:
        key = argv[1]
        value = self._data.get(key)
        if value is not None and self._expires:
            value = self._lookup(key)
        if value is None or type(value) is bytes:
            return value
        raise CommandError(WRONGTYPE)

    def _cmd_getdel(self, argv: Sequence[bytes]) -> Any:
        value = self._get_string(argv[1])
        if value is not None:
            self._delete(argv[1])
        return value

    def _cmd_set(self, argv: Sequence[bytes]) -> Any:
        key, value = argv[1], argv[2]
        n = len(argv)
        if n == 3:
            self._set_value(key, value)
            return "OK"
        nx = xx = get = keepttl = False
        unit = b""
        expire = b""
        i = 3
        while i < n:
            opt = _option(argv[i])
            if opt == b"NX" and not xx:
                nx = True
            elif opt == b"XX" and not nx:
                xx = True
            elif opt == b"GET":
                get = True
            elif opt == b"KEEPTTL" and not unit:
                keepttl = True
            elif opt in _SET_EXPIRES and not keepttl and unit in (b"", opt) and i + 1 < n:
                unit, expire = opt, argv[i + 1]
                i += 1
            else:
                raise CommandError(SYNTAX)
            i += 1
        deadline = self._set_expiry(expire, unit, "set") if unit else None
        old = self._get_string(key) if get else None
        found = self._lookup(key) is not None
        if (nx and found) or (xx and not found):
            return old if get else None
        if keepttl:
            self._data[key] = value
        else:
            self._set_value(key, value)
        if deadline is not None:
            self._set_deadline(key, deadline)
        return old if get else "OK"

    def _set_expiry(self, arg: bytes, unit: bytes, command: str) -> int:
        """The deadline (ms on the clock) of SET's EX/PX/EXAT/PXAT, checked as Redis does."""
        ms = _int_arg(arg)
        seconds = unit in (b"EX", b"EXAT")
        if ms <= 0 or (seconds and ms > _MAX_SECONDS):
            raise CommandError(f"ERR invalid expire time in '{command}' command")
        if seconds:
            ms *= 1000
        if unit in (b"EX", b"PX"):
            ms += self._unix_ms()
            if ms > INT64_MAX:  # Redis sees the sum wrap around to a negative number
                raise CommandError(f"ERR invalid expire time in '{command}' command")
        return self._deadline_from_unix(ms)

    def _set_with_ttl(self, argv: Sequence[bytes], unit: bytes, command: str) -> Any:
        deadline = self._set_expiry(argv[2], unit, command)
        self._set_value(argv[1], argv[3])
        self._set_deadline(argv[1], deadline)
        return "OK"

    def _cmd_setex(self, argv: Sequence[bytes]) -> Any:
        return self._set_with_ttl(argv, b"EX", "setex")

    def _cmd_psetex(self, argv: Sequence[bytes]) -> Any:
        return self._set_with_ttl(argv, b"PX", "psetex")

    def _cmd_setnx(self, argv: Sequence[bytes]) -> Any:
        if self._lookup(argv[1]) is not None:
            return 0
        self._set_value(argv[1], argv[2])
        return 1

    def _cmd_mget(self, argv: Sequence[bytes]) -> Any:
        result = []
        for key in argv[1:]:
            value = self._lookup(key)
            result.append(value if type(value) is bytes else None)
        return result

    def _cmd_mset(self, argv: Sequence[bytes]) -> Any:
        if len(argv) % 2 == 0:
            raise arity_error("mset")
        for i in range(1, len(argv), 2):
            self._set_value(argv[i], argv[i + 1])
        return "OK"

    def _cmd_msetnx(self, argv: Sequence[bytes]) -> Any:
        if len(argv) % 2 == 0:
            raise arity_error("msetnx")
        if any(self._lookup(argv[i]) is not None for i in range(1, len(argv), 2)):
            return 0
        for i in range(1, len(argv), 2):
            self._set_value(argv[i], argv[i + 1])
        return 1

    def _cmd_append(self, argv: Sequence[bytes]) -> Any:
        key = argv[1]
        old = self._get_string(key)
        if old is None:
            self._data[key] = argv[2]
            return len(argv[2])
        if len(old) + len(argv[2]) > _MAX_STRING:
            raise CommandError("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        new = old + argv[2]
        self._data[key] = new  # in place: the TTL stays
        return len(new)

    def _cmd_strlen(self, argv: Sequence[bytes]) -> Any:
        value = self._get_string(argv[1])
        return 0 if value is None else len(value)

    # -- counters -----------------------------------------------------------------------

    def _incr_by(self, key: bytes, delta: int) -> int:
        current = self._get_string(key)
        if current is None:
            number = 0
        else:
            parsed = parse_int(current)
            if parsed is None:
                raise CommandError(NOT_INTEGER)
            number = parsed
        number += delta
        if not INT64_MIN <= number <= INT64_MAX:
            raise CommandError(_OVERFLOW)
        self._data[key] = b"%d" % number  # the TTL stays
        return number

    def _cmd_incr(self, argv: Sequence[bytes]) -> Any:
        return self._incr_by(argv[1], 1)

    def _cmd_decr(self, argv: Sequence[bytes]) -> Any:
        return self._incr_by(argv[1], -1)

    def _cmd_incrby(self, argv: Sequence[bytes]) -> Any:
        return self._incr_by(argv[1], _int_arg(argv[2]))

    def _cmd_decrby(self, argv: Sequence[bytes]) -> Any:
        delta = _int_arg(argv[2])
        if delta == INT64_MIN:
            raise CommandError("ERR decrement would overflow")
        return self._incr_by(argv[1], -delta)

    def _cmd_incrbyfloat(self, argv: Sequence[bytes]) -> Any:
        key = argv[1]
        current = self._get_string(key)
        value = parse_long_double(current) if current is not None else 0
        increment = parse_long_double(argv[2])
        if value is None or increment is None:
            raise CommandError(_NOT_FLOAT)
        if isinstance(value, float) or isinstance(increment, float):
            total = value + increment  # an infinity is involved: inf or nan
        else:
            total = round_ld(value + increment)
        if isinstance(total, float) and not math.isfinite(total):
            raise CommandError("ERR increment would produce NaN or Infinity")
        assert not isinstance(total, float)
        text = format_long_double(total)
        self._data[key] = text  # the TTL stays
        return text

    # -- keys ---------------------------------------------------------------------------

    def _cmd_del(self, argv: Sequence[bytes]) -> Any:
        return sum(self._delete(key) for key in argv[1:])

    _cmd_unlink = _cmd_del

    def _cmd_exists(self, argv: Sequence[bytes]) -> Any:
        return sum(self._lookup(key) is not None for key in argv[1:])

    def _cmd_type(self, argv: Sequence[bytes]) -> Any:
        value = self._lookup(argv[1])
        if value is None:
            return "none"
        return _TYPE_NAMES[type(value).__name__]

    def _cmd_keys(self, argv: Sequence[bytes]) -> Any:
        pattern = argv[1]
        keys = self._live_keys()
        if pattern == b"*":
            return keys
        return [key for key in keys if glob.match(pattern, key)]

    def _cmd_dbsize(self, argv: Sequence[bytes]) -> Any:
        return len(self._live_keys())

    def _cmd_flushdb(self, argv: Sequence[bytes]) -> Any:
        if len(argv) > 2 or (len(argv) == 2 and _option(argv[1]) not in (b"SYNC", b"ASYNC")):
            raise CommandError(SYNTAX)
        self._data.clear()
        self._expires.clear()
        self._heap.clear()
        return "OK"

    _cmd_flushall = _cmd_flushdb

    # -- expiry -------------------------------------------------------------------------

    def _expire(self, argv: Sequence[bytes], absolute: bool, seconds: bool, name: str) -> int:
        nx = xx = gt = lt = False
        for arg in argv[3:]:
            opt = _option(arg)
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
        when = _int_arg(argv[2])
        invalid = f"ERR invalid expire time in '{name}' command"
        if seconds:
            if when > _MAX_SECONDS or when < _MIN_SECONDS:
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


_TYPE_NAMES = {"bytes": "string", "deque": "list", "dict": "hash", "set": "set", "ZSet": "zset"}
