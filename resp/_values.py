"""Building reply values: aggregate kinds, and the scalar types that need checks.

The parser keeps partial aggregates as frames tagged with one of the kinds
below; ``build`` turns a finished frame's items into the Python value.
"""

from __future__ import annotations

import re
from typing import Any, Final

from resp._types import ProtocolError, Push, Verbatim

ARRAY: Final = 0
MAP: Final = 1
SET: Final = 2
PUSH: Final = 3
ATTR: Final = 4
STREAMED: Final = 8  # added to ARRAY/MAP/SET for ``*?``, ``%?``, ``~?``
STRING: Final = 16  # streamed string ``$?``

_DOUBLE: Final = re.compile(rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_SPECIAL_DOUBLES: Final = {
    b"inf": float("inf"),
    b"+inf": float("inf"),
    b"-inf": float("-inf"),
    b"nan": float("nan"),
    b"-nan": float("nan"),
}


class _Reject:
    """Stands in for the item list of a streamed string: only ``;`` chunks go there."""

    __slots__ = ()

    def append(self, value: object) -> None:
        raise ProtocolError("a streamed string may contain only ';' chunks")


REJECT: Final = _Reject()


class _Nothing:
    """Marks "no value": what a finished attribute or a string chunk yields."""

    __slots__ = ()


NOTHING: Final = _Nothing()


def build(kind: int, items: list[Any]) -> Any:
    """The value of a complete aggregate that need not be hashable."""
    if kind == ARRAY:
        return items
    if kind == MAP:
        it = iter(items)
        return dict(zip(it, it, strict=False))
    if kind == SET:
        return set(items)
    return Push(items)


def verbatim(payload: bytes) -> Verbatim:
    """A verbatim string's value from its payload ``fmt:text``."""
    if len(payload) < 4 or payload[3] != 58:
        raise ProtocolError("verbatim string without a 'fmt:' prefix")
    return Verbatim(
        payload[4:].decode("utf-8", "surrogateescape"),
        payload[:3].decode("utf-8", "surrogateescape"),
    )


def double(line: bytes) -> float:
    """A RESP3 double: digits with optional fraction and exponent, inf, -inf, nan.

    Redis before 7.2 could also send ``-nan`` or ``nan(...)``; both read as NaN.
    """
    if _DOUBLE.fullmatch(line):
        return float(line)
    lower = line.lower()
    special = _SPECIAL_DOUBLES.get(lower)
    if special is None:
        if lower.startswith(b"nan(") and lower.endswith(b")"):
            return float("nan")
        raise ProtocolError(f"bad double {line!r}")
    return special
