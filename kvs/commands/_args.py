"""Argument checks shared by the operations: each turns a caller's value into argv bytes or
raises a `TypeError`/`ValueError` that names the call and the argument."""

from __future__ import annotations

import datetime
import math

__all__ = ["integer_arg", "key_bytes", "positive_duration", "value_bytes"]


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
