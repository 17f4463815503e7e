"""Replies as ``redis-cli`` prints them: on a terminal, raw, as CSV or as JSON.

The CLI reads with ``decode=False``, so a reply keeps the distinctions redis-cli draws: a bulk
string (``bytes``) is quoted and escaped on a terminal, ``"Alice"``; a simple string (``str``)
is shown bare, ``OK``; a verbatim string (`resp.Verbatim`) is shown as its text.

The four modes (`render`, each ending with a newline as redis-cli's do):

- ``tty``: integers ``(integer) 3``, a null ``(nil)``, an error ``(error) WRONGTYPE ...``,
  RESP3 doubles and booleans ``(double) 1.5`` and ``(true)``; aggregates numbered one element
  per line, nested ones indented under their number: lists ``1) ...``, maps
  ``1# "field" => "value"``, sets ``1~ "member"`` (members sorted: the client reads a RESP3
  set into a Python set, so the server's order is gone).
- ``raw`` (the default when standard output is not a terminal): the bytes themselves, no
  quotes, a null as nothing, one line per element, a map's key and value on one line
  separated by a space, an error as its text.
- ``csv``: one line per reply, elements comma-separated, strings quoted as on a terminal,
  ``NULL``, ``ERROR,"..."``.
- ``json``: one JSON value per reply; bytes that are not UTF-8 are written as they are, as
  redis-cli writes them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

from .quoting import quote

__all__ = ["Mode", "format_reply", "quote", "render", "shown_verbatim"]

Mode = Literal["tty", "raw", "csv", "json"]

_AGGREGATES = (list, tuple, dict, set, frozenset)


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


def format_reply(reply: Any) -> str:
    """Return the text ``redis-cli`` prints for `reply` on a terminal (no trailing newline)."""
    return render(reply, "tty").decode("utf-8", "surrogateescape").removesuffix("\n")


def shown_verbatim(argv: Sequence[bytes]) -> bool:
    """Whether redis-cli prints the reply to `argv` as it is, in every mode: the reports
    meant to be read as text (``INFO``, ``CLIENT LIST``, ``MEMORY DOCTOR``...)."""
    if not argv:
        return False
    name = bytes(argv[0]).lower()
    sub = bytes(argv[1]).lower() if len(argv) > 1 else b""
    if name in (b"info", b"lolwut"):
        return True
    if name == b"debug":
        return sub in (b"htstats", b"htstats-key", b"client-eviction")
    if name == b"memory":
        return sub in (b"malloc-stats", b"doctor")
    if name == b"cluster":
        return len(argv) == 2 and sub in (b"nodes", b"info")
    if name == b"client":
        return sub in (b"list", b"info")
    if name == b"latency":
        return (len(argv) == 3 and sub == b"graph") or (len(argv) == 2 and sub == b"doctor")
    return name == b"proxy" and sub == b"info"


def render(reply: Any, mode: Mode, *, verbatim: bool = False) -> bytes:
    """The bytes redis-cli writes for `reply` in `mode`, final newline included; with
    `verbatim` (see `shown_verbatim`) the raw form with no newline added, as redis-cli."""
    if verbatim:
        return _raw(reply)
    if mode == "tty":
        return _tty(reply, "")
    if mode == "raw":
        return _raw(reply) + b"\n"
    if mode == "csv":
        return _csv(reply) + b"\n"
    return _json(reply) + b"\n"


def _double(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value).removesuffix(".0")


def _sorted(members: Any) -> list[Any]:
    return sorted(members, key=lambda item: (type(item).__name__, repr(item)))


def _entries(reply: Any) -> tuple[list[Any], str, bytes] | None:
    """A container's elements (a map's flattened), its number marker and its empty text."""
    if isinstance(reply, dict):
        flat = [part for pair in reply.items() for part in pair]
        return flat, "#", b"(empty hash)\n"
    if isinstance(reply, set | frozenset):
        return _sorted(reply), "~", b"(empty set)\n"
    if isinstance(reply, list | tuple):
        return list(reply), ")", b"(empty array)\n"
    return None


def _multiline(reply: Any) -> bool:
    """Whether the terminal form of `reply` spans lines (a map's value then starts on its own
    line)."""
    if isinstance(reply, dict):
        if len(reply) > 1:
            return True
        return bool(reply) and _multiline(next(iter(reply.values())))
    if isinstance(reply, _AGGREGATES):
        if len(reply) > 1:
            return True
        return bool(reply) and _multiline(next(iter(reply)))
    return False


def _tty_scalar(reply: Any) -> bytes | None:
    if reply is None:
        return b"(nil)"
    if isinstance(reply, bool):
        return b"(true)" if reply else b"(false)"
    if isinstance(reply, int):
        return b"(integer) %d" % reply
    if isinstance(reply, float):
        return b"(double) " + _double(reply).encode()
    if isinstance(reply, bytes | bytearray | memoryview):
        return quote(bytes(reply)).encode("ascii")
    if isinstance(reply, str):  # a simple string, or a verbatim one's text
        return _text(reply)
    if isinstance(reply, Exception):
        return b"(error) " + _text(str(reply))
    return None


def _tty(reply: Any, prefix: str) -> bytes:
    scalar = _tty_scalar(reply)
    if scalar is not None:
        return scalar + b"\n"
    found = _entries(reply)
    if found is None:
        return _text(repr(reply)) + b"\n"
    items, marker, empty = found
    if not items:
        return empty
    is_map = marker == "#"
    count = len(items) // 2 if is_map else len(items)
    width = len(str(count))
    inner = prefix + " " * (width + 2)
    out = bytearray()
    step = 2 if is_map else 1
    for index in range(0, len(items), step):
        number = index // step + 1
        out += f"{prefix if index else ''}{number:>{width}}{marker} ".encode()
        out += _tty(items[index], inner)
        if is_map:
            del out[-1:]
            out += b" => "
            value = items[index + 1]
            if _multiline(value):
                out += b"\n" + inner.encode()
            out += _tty(value, inner)
    return bytes(out)


def _raw(reply: Any) -> bytes:
    if reply is None:
        return b""
    if isinstance(reply, bool):
        return b"(true)" if reply else b"(false)"
    if isinstance(reply, int):
        return b"%d" % reply
    if isinstance(reply, float):
        return _double(reply).encode()
    if isinstance(reply, bytes | bytearray | memoryview):
        return bytes(reply)
    if isinstance(reply, str):
        return _text(reply)
    if isinstance(reply, Exception):  # redis-cli ends an error with a newline of its own
        return _text(str(reply)) + b"\n"
    if isinstance(reply, dict):
        return b"\n".join(_raw(key) + b" " + _raw(value) for key, value in reply.items())
    found = _entries(reply)
    if found is None:
        return _text(repr(reply))
    return b"\n".join(_raw(item) for item in found[0])


def _csv(reply: Any) -> bytes:
    if reply is None:
        return b"NULL"
    if isinstance(reply, bool):
        return b"true" if reply else b"false"
    if isinstance(reply, int):
        return b"%d" % reply
    if isinstance(reply, float):
        return _double(reply).encode()
    if isinstance(reply, bytes | bytearray | memoryview):
        return quote(bytes(reply)).encode("ascii")
    if isinstance(reply, str):
        return quote(_text(reply)).encode("ascii")
    if isinstance(reply, Exception):
        return b"ERROR," + quote(_text(str(reply))).encode("ascii")
    found = _entries(reply)
    if found is None:
        return quote(_text(repr(reply))).encode("ascii")
    return b",".join(_csv(item) for item in found[0])


_JSON_ESCAPES = {
    ord("\\"): b"\\\\", ord('"'): b'\\"', ord("\n"): b"\\n", 0x0C: b"\\f", ord("\r"): b"\\r",
    ord("\t"): b"\\t", 0x08: b"\\b",
}  # fmt: skip


def _json_string(data: bytes) -> bytes:
    out = bytearray(b'"')
    for byte in data:
        escape = _JSON_ESCAPES.get(byte)
        if escape is not None:
            out += escape
        elif byte <= 0x1F:
            out += b"\\u%04x" % byte
        else:
            out.append(byte)
    out += b'"'
    return bytes(out)


def _json(reply: Any) -> bytes:
    if reply is None:
        return b"null"
    if isinstance(reply, bool):
        return b"true" if reply else b"false"
    if isinstance(reply, int | float):
        return _raw(reply)
    if isinstance(reply, bytes | bytearray | memoryview):
        return _json_string(bytes(reply))
    if isinstance(reply, str):
        return _json_string(_text(reply))
    if isinstance(reply, Exception):
        return b"error:" + _json_string(_text(str(reply)))
    if isinstance(reply, dict):
        parts = []
        for key, value in reply.items():
            text = _json(key)
            if not text.startswith(b'"'):
                text = b'"' + text + b'"'
            parts.append(text + b":" + _json(value))
        return b"{" + b",".join(parts) + b"}"
    found = _entries(reply)
    if found is None:
        return _json_string(_text(repr(reply)))
    return b"[" + b",".join(_json(item) for item in found[0]) + b"]"

