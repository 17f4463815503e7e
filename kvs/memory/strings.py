"""String and counter commands of the in-process store.

Each ``_cmd_<name>`` method takes the whole argv (arity already checked by the dispatcher)
and returns the raw reply, or raises `CommandError` with Redis's exact error text.  The order
of the checks inside a command follows Redis, since it decides which error a bad command gets
(e.g. INCRBY parses its increment before looking at the key, INCRBYFLOAT the other way round).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kvs.commands.strings import parse_set_options
from kvs.memory.keyspace import (
    MAX_SECONDS,
    NOT_INTEGER,
    SYNTAX,
    WRONGTYPE,
    CommandError,
    Keyspace,
    arity_error,
    error_arg,
    int_arg,
    option,
)
from kvs.memory.numbers import (
    INT64_MAX,
    INT64_MIN,
    format_long_double,
    parse_int,
    parse_long_double,
    round_ld,
)

# arity_error and error_arg moved to _memory_base; they stay importable from here.
__all__ = ["StringCommands", "arity_error", "error_arg"]

_MAX_STRING = 512 * 1024 * 1024
_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
_NOT_FINITE = "ERR increment would produce NaN or Infinity"
_OVERFLOW = "ERR increment or decrement would overflow"
_NOT_FLOAT = "ERR value is not a valid float"
_SET_EXPIRES = frozenset((b"EX", b"PX", b"EXAT", b"PXAT"))


class StringCommands(Keyspace):
    """Commands on strings and counters."""

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

    def _cmd_getex(self, argv: Sequence[bytes]) -> Any:
        n = len(argv)
        persist = False
        unit = expire = b""
        i = 2
        while i < n:
            opt = option(argv[i])
            if opt == b"PERSIST" and not unit:
                persist = True
            elif opt in _SET_EXPIRES and not persist and unit in (b"", opt) and i + 1 < n:
                unit, expire = opt, argv[i + 1]
                i += 1
            else:
                raise CommandError(SYNTAX)
            i += 1
        key = argv[1]
        value = self._get_string(key)
        if value is None:
            return None
        if unit:
            deadline = self._set_expiry(expire, unit, "getex")
            if deadline <= self._now:  # an EXAT or PXAT already past
                self._delete(key)
            else:
                self._set_deadline(key, deadline)
        elif persist and self._expires:
            self._expires.pop(key, None)
        return value

    def _cmd_getset(self, argv: Sequence[bytes]) -> Any:
        old = self._get_string(argv[1])
        self._set_value(argv[1], argv[2])
        return old

    def _cmd_set(self, argv: Sequence[bytes]) -> Any:
        key, value = argv[1], argv[2]
        n = len(argv)
        if n == 3:
            self._set_value(key, value)
            return "OK"
        options = parse_set_options(argv)
        if options is None:
            raise CommandError(SYNTAX)
        nx, xx, get, keepttl, unit, expire = options
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
        ms = int_arg(arg)
        seconds = unit in (b"EX", b"EXAT")
        if ms <= 0 or (seconds and ms > MAX_SECONDS):
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
            raise CommandError(_TOO_LONG)
        new = old + argv[2]
        self._data[key] = new  # in place: the TTL stays
        return len(new)

    def _cmd_strlen(self, argv: Sequence[bytes]) -> Any:
        value = self._get_string(argv[1])
        return 0 if value is None else len(value)

    def _cmd_getrange(self, argv: Sequence[bytes]) -> Any:
        start, end = int_arg(argv[2]), int_arg(argv[3])
        value = self._get_string(argv[1])
        if value is None:
            return b""
        length = len(value)
        if start < 0 and end < 0 and start > end:
            return b""
        # Redis clamps a negative end to 0, not to "before the start": "abc" 0 -100 is "a".
        start = max(start + length if start < 0 else start, 0)
        end = min(max(end + length if end < 0 else end, 0), length - 1)
        if start > end or length == 0:
            return b""
        return value[start : end + 1]

    def _cmd_setrange(self, argv: Sequence[bytes]) -> Any:
        key, patch = argv[1], argv[3]
        offset = int_arg(argv[2])
        if offset < 0:
            raise CommandError("ERR offset is out of range")
        old = self._get_string(key)
        if not patch:
            return 0 if old is None else len(old)
        if offset + len(patch) > _MAX_STRING:
            raise CommandError(_TOO_LONG)
        old = old or b""
        if len(old) < offset:
            old += bytes(offset - len(old))
        new = old[:offset] + patch + old[offset + len(patch) :]
        self._data[key] = new  # in place: the TTL stays
        return len(new)

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
        return self._incr_by(argv[1], int_arg(argv[2]))

    def _cmd_decrby(self, argv: Sequence[bytes]) -> Any:
        delta = int_arg(argv[2])
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
            # An infinity (the only float parse_long_double returns) on either side makes the
            # sum inf or nan, whatever the other side; adding them could overflow instead (a
            # float plus a Fraction beyond a double's range).
            raise CommandError(_NOT_FINITE)
        total = round_ld(value + increment)
        if isinstance(total, float):
            raise CommandError(_NOT_FINITE)
        text = format_long_double(total)
        self._data[key] = text  # the TTL stays
        return text
