"""Argument checks shared by the operations: each turns a caller's value into argv bytes or
raises a `TypeError`/`ValueError` that names the call and the argument."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable

__all__ = [
    "blocking_timeout", "choice", "float_arg", "integer_arg", "key_bytes", "key_list",
    "lex_bound", "moment", "one_or_more_keys", "positive_duration", "score_bound",
    "value_bytes", "value_list",
]


def key_bytes(op: str, key: object, what: str = "key") -> bytes:
    """A key as bytes; str is UTF-8.  Anything else is a TypeError naming the call."""
    if type(key) is str:
        return key.encode()
    if type(key) is bytes:
        return key
    if isinstance(key, str):
        return str(key).encode()
    if isinstance(key, bytes):
        return bytes(key)
    raise TypeError(f"{op}: {what} must be str or bytes, not {type(key).__name__}")


def value_bytes(op: str, value: object, what: str = "value") -> bytes:
    """A value as bytes: str UTF-8, int and float in decimal, bool as b"1"/b"0"."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, bool):
        return b"1" if value else b"0"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError(f"{op}: {what} must not be NaN")
        return repr(value).encode()
    raise TypeError(f"{op}: {what} must be str, bytes, int, float or bool, not "
                    f"{type(value).__name__}")


def integer_arg(op: str, value: object, what: str) -> int:
    """An int argument (bool refused: ``True`` is no count)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{op}: {what} must be int, not {type(value).__name__}")
    return value


def positive_duration(op: str, value: object, what: str, unit: float) -> int:
    """A positive duration as an int count of `unit` seconds (timedelta accepted)."""
    if isinstance(value, datetime.timedelta):
        count = int(value.total_seconds() / unit)
    else:
        count = integer_arg(op, value, what)
    if count <= 0:
        raise ValueError(f"{op}: {what} must be positive, not {count}")
    return count


def float_arg(op: str, value: object, what: str) -> bytes:
    """A number (int or float, not bool, not NaN) as Redis reads a double: ``inf`` and
    ``-inf`` included."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{op}: {what} must be int or float, not {type(value).__name__}")
    if isinstance(value, int):
        return b"%d" % value
    if math.isnan(value):
        raise ValueError(f"{op}: {what} must not be NaN")
    return repr(value).encode()


def score_bound(op: str, value: object, what: str) -> bytes:
    """A score range bound: a number, or Redis's own spelling (``"(1.5"``, ``"-inf"``)."""
    if isinstance(value, str | bytes):
        return key_bytes(op, value, what)
    return float_arg(op, value, what)


def lex_bound(op: str, value: object, what: str) -> bytes:
    """A lexicographic bound: ``[a`` (inclusive), ``(a`` (exclusive), ``-`` or ``+``."""
    if not isinstance(value, str | bytes):
        raise TypeError(f"{op}: {what} must be str or bytes, not {type(value).__name__}")
    raw = key_bytes(op, value, what)
    if raw not in (b"-", b"+") and raw[:1] not in (b"[", b"("):
        raise ValueError(f"{op}: {what} must start with '[' or '(', or be '-' or '+', "
                         f"not {raw!r}")
    return raw


def moment(op: str, value: object, what: str, unit: float) -> bytes:
    """A point in time as Unix time in `unit` seconds: an int, or a datetime (a naive one is
    local time, as `datetime.timestamp` reads it)."""
    if isinstance(value, datetime.datetime):
        return b"%d" % int(value.timestamp() / unit)
    return b"%d" % integer_arg(op, value, what)


def key_list(op: str, keys: object, what: str = "keys") -> list[bytes]:
    """An iterable of keys (a lone str or bytes is refused: it is one key, not several)."""
    if isinstance(keys, str | bytes) or not isinstance(keys, Iterable):
        raise TypeError(f"{op}: {what} must be a list of keys, not {type(keys).__name__}")
    return [key_bytes(op, k, what[:-1] if what.endswith("s") else what) for k in keys]


def value_list(op: str, values: object, what: str) -> list[bytes]:
    """An iterable of values (a lone str or bytes is refused)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"{op}: {what} must be a list, not {type(values).__name__}")
    single = what[:-1] if what.endswith("s") else what
    return [value_bytes(op, v, single) for v in values]


def choice(op: str, value: object, what: str, allowed: tuple[str, ...]) -> bytes:
    """One word of `allowed`, given in any case, as upper-case bytes."""
    if not isinstance(value, str):
        raise TypeError(f"{op}: {what} must be str, not {type(value).__name__}")
    word = value.upper()
    if word not in allowed:
        raise ValueError(f"{op}: {what} must be one of {', '.join(allowed)}, not {value!r}")
    return word.encode()


def blocking_timeout(op: str, value: object) -> bytes:
    """A blocking command's timeout in seconds (int or float, 0 for ever), as Redis reads it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{op}: timeout must be int or float, not {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{op}: timeout must be a finite number of seconds, not {value!r}")
    if value < 0:
        raise ValueError(f"{op}: timeout must not be negative, not {value!r}")
    return b"%d" % value if isinstance(value, int) else repr(value).encode()


def one_or_more_keys(op: str, keys: object) -> list[bytes]:
    """One key (str or bytes) or an iterable of them, at least one."""
    names = [key_bytes(op, keys)] if isinstance(keys, str | bytes) else key_list(op, keys)
    if not names:
        raise ValueError(f"{op}: at least one key is required")
    return names
