"""Replies as text, the way ``redis-cli`` shows them on a terminal.

The CLI reads with ``decode=False``, so the raw reply keeps the distinction ``redis-cli``
draws: a bulk string (``bytes``) is quoted and escaped, ``"Alice"``; a simple string
(``str``) is shown bare, ``OK``.  Integers read ``(integer) 3``, a null ``(nil)``, an error
``(error) WRONGTYPE ...``, RESP3 doubles and booleans ``(double) 1.5`` and ``(true)``.
Aggregates are numbered one element per line, nested ones indented under their number:
lists ``1) ...``, maps ``1# "field" => "value"``, sets ``1~ "member"`` (members sorted, so
the output is stable).
"""

from __future__ import annotations

import math
from typing import Any

from resp import ReplyError

__all__ = ["format_reply", "quote"]

# Bytes with a short escape in redis-cli's quoting.
_ESCAPES = {
    ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r",
    ord("\t"): "\\t", 0x07: "\\a", 0x08: "\\b",
}  # fmt: skip


def quote(data: bytes) -> str:
    """Return `data` in double quotes, non-printable bytes escaped as ``\\xHH``."""
    parts = ['"']
    for byte in data:
        escape = _ESCAPES.get(byte)
        if escape is not None:
            parts.append(escape)
        elif 0x20 <= byte < 0x7F:
            parts.append(chr(byte))
        else:
            parts.append(f"\\x{byte:02x}")
    parts.append('"')
    return "".join(parts)


def format_reply(reply: Any) -> str:
    """Return the text ``redis-cli`` would print for `reply` (no trailing newline)."""
    return _format(reply, "")


def _scalar(reply: Any) -> str | None:
    if reply is None:
        return "(nil)"
    if isinstance(reply, bool):
        return "(true)" if reply else "(false)"
    if isinstance(reply, int):
        return f"(integer) {reply}"
    if isinstance(reply, float):
        return f"(double) {_double(reply)}"
    if isinstance(reply, bytes | bytearray | memoryview):
        return quote(bytes(reply))
    if isinstance(reply, str):
        return reply
    if isinstance(reply, ReplyError | Exception):
        return f"(error) {reply}"
    return None


def _double(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return repr(value).removesuffix(".0")


def _sort_key(item: Any) -> tuple[str, str]:
    return (type(item).__name__, repr(item))


def _format(reply: Any, prefix: str) -> str:
    scalar = _scalar(reply)
    if scalar is not None:
        return scalar
    if isinstance(reply, dict):
        entries: list[tuple[Any, Any]] = list(reply.items())
        marker, empty = "#", "(empty hash)"
    elif isinstance(reply, set | frozenset):
        entries = [(member, None) for member in sorted(reply, key=_sort_key)]
        marker, empty = "~", "(empty set)"
    elif isinstance(reply, list | tuple):
        entries = [(item, None) for item in reply]
        marker, empty = ")", "(empty array)"
    else:
        return repr(reply)
    if not entries:
        return empty
    width = len(str(len(entries)))
    inner = prefix + " " * (width + 2)
    lines = []
    for number, (item, value) in enumerate(entries, 1):
        head = f"{prefix if number > 1 else ''}{number:>{width}}{marker} "
        text = head + _format(item, inner)
        if marker == "#":
            shown = _format(value, inner)
            if isinstance(value, dict | list | tuple | set | frozenset) and value:
                text += " => \n" + inner + shown
            else:
                text += " => " + shown
        lines.append(text)
    return "\n".join(lines)
