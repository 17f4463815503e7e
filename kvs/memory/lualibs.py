"""The Lua libraries Redis links into its interpreter and lupa's Lua lacks, written in Python
over lupa's table objects: here ``cjson`` and ``bit``, the error they raise and Lua's type
names; ``struct`` in `kvs.memory.lualib_struct`, ``cmsgpack`` in `kvs.memory.lualib_cmsgpack`.

``cjson`` follows lua-cjson 2.1 as Redis builds it: ``encode`` writes a table whose keys
are all positive integers as an array (an empty table as ``{}``), refuses an excessively
sparse array, escapes ``/``, writes numbers with ``%.14g``; ``decode`` gives arrays and
objects as tables and JSON ``null`` as ``cjson.null``.  ``bit`` is LuaBitOp: every operand
and result a signed 32-bit integer.  Nothing here imports lupa: the engine passes its
runtime in.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

__all__ = ["BIT_FUNCTIONS", "LuaLibraryError", "cjson_decode", "cjson_encode", "lua_type_name"]


class LuaLibraryError(Exception):
    """A library function refused its arguments; the engine raises it as a Lua error."""


def lua_type_name(value: Any, missing: str = "no value",
                  kind: Callable[[Any], bytes] | None = None) -> str:
    """Lua's name of the type of a lupa value, as an argument error gives it (`missing` for
    None: an absent argument is "no value", a nil one "nil"; `kind` names Lua objects)."""
    if value is None:
        return missing
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, bytes):
        return "string"
    if isinstance(value, int | float):
        return "number"
    if kind is not None:
        return kind(value).decode()
    return "table" if hasattr(value, "items") else "userdata"


_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n",
            "\r": "\\r", "\t": "\\t"}


def _string(value: bytes) -> str:
    text = value.decode("latin-1")  # bytes pass through as they are, as lua-cjson does
    out = []
    for char in text:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _number(value: float) -> str:
    if math.isinf(value) or math.isnan(value):
        raise LuaLibraryError("Cannot serialise number: must not be NaN or Inf")
    return f"{value:.14g}"


def cjson_encode(value: Any, kind: Callable[[Any], bytes], is_null: Callable[[Any], bool],
                 depth: int = 0) -> str:
    """`value` (a lupa value) as JSON text; `kind` gives a Lua object's type name, `is_null`
    tells ``cjson.null``."""
    if depth > 1000:
        raise LuaLibraryError("Cannot serialise, excessive nesting (1001)")
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, bytes):
        return _string(value)
    lua_type = kind(value)
    if lua_type != b"table":
        if is_null(value):
            return "null"
        raise LuaLibraryError(f"Cannot serialise {lua_type.decode()}: type not supported")
    items = list(value.items())
    keys = [key for key, _ in items]
    if all(isinstance(k, int | float) and not isinstance(k, bool) and k >= 1 and k == int(k)
           for k in keys) and keys:
        top = int(max(keys))
        if top > 10 and top > 2 * len(keys):
            raise LuaLibraryError("Cannot serialise table: excessively sparse array")
        mapping = {int(k): v for k, v in items}
        return "[" + ",".join(cjson_encode(mapping.get(i), kind, is_null, depth + 1)
                              for i in range(1, top + 1)) + "]"
    parts = []
    for key, item in items:
        if isinstance(key, bytes):
            name = _string(key)
        elif isinstance(key, int | float) and not isinstance(key, bool):
            name = '"' + _number(key) + '"'
        else:
            raise LuaLibraryError("Cannot serialise table: table key must be a number or "
                                  "string")
        parts.append(name + ":" + cjson_encode(item, kind, is_null, depth + 1))
    return "{" + ",".join(parts) + "}"


def cjson_decode(text: bytes, table: Callable[..., Any], null: Any) -> Any:
    """JSON `text` as lupa values: objects and arrays as tables, null as `null`."""
    try:
        parsed = json.loads(text.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError) as exc:
        raise LuaLibraryError(f"Expected value but found invalid token at character "
                              f"{getattr(exc, 'pos', 0) + 1}") from None

    def convert(item: Any) -> Any:
        if item is None:
            return null
        if isinstance(item, str):
            return item.encode("utf-8", "surrogateescape")
        if isinstance(item, bool):
            return item
        if isinstance(item, int):
            return float(item) if abs(item) >= 2**53 else item
        if isinstance(item, list):
            return table(*[convert(v) for v in item])
        if isinstance(item, dict):
            result = table()
            for key, v in item.items():
                result[key.encode("utf-8", "surrogateescape")] = convert(v)
            return result
        return item

    return convert(parsed)


def _tobit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LuaLibraryError("bad argument (number expected)")
    number = math.floor(value + 0.5) if isinstance(value, float) else value
    number &= 0xFFFFFFFF
    return number - (1 << 32) if number & 0x80000000 else number


def _fold(op: Callable[[int, int], int]) -> Callable[..., int]:
    def apply(first: Any, *rest: Any) -> int:
        result = _tobit(first)
        for value in rest:
            result = _tobit(op(result, _tobit(value)))
        return result
    return apply


def _shift(op: Callable[[int, int], int]) -> Callable[[Any, Any], int]:
    def apply(value: Any, count: Any) -> int:
        return _tobit(op(_tobit(value) & 0xFFFFFFFF, _tobit(count) & 31))
    return apply


def _arshift(value: Any, count: Any) -> int:
    return _tobit(_tobit(value) >> (_tobit(count) & 31))


def _rol(value: Any, count: Any) -> int:
    v, n = _tobit(value) & 0xFFFFFFFF, _tobit(count) & 31
    return _tobit((v << n) | (v >> (32 - n)))


def _ror(value: Any, count: Any) -> int:
    v, n = _tobit(value) & 0xFFFFFFFF, _tobit(count) & 31
    return _tobit((v >> n) | (v << (32 - n)))


def _tohex(value: Any, digits: Any = 8) -> bytes:
    v, n = _tobit(value) & 0xFFFFFFFF, _tobit(digits)
    upper = n < 0
    n = min(abs(n), 8)
    text = f"{v:08x}"[8 - n:] if n else ""
    return (text.upper() if upper else text).encode()


def _bswap(value: Any) -> int:
    return _tobit(int.from_bytes((_tobit(value) & 0xFFFFFFFF).to_bytes(4, "little"), "big"))


BIT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "tobit": _tobit,
    "bnot": lambda value: _tobit(~_tobit(value)),
    "band": _fold(lambda a, b: a & b),
    "bor": _fold(lambda a, b: a | b),
    "bxor": _fold(lambda a, b: a ^ b),
    "lshift": _shift(lambda a, n: a << n),
    "rshift": _shift(lambda a, n: a >> n),
    "arshift": _arshift,
    "rol": _rol,
    "ror": _ror,
    "tohex": _tohex,
    "bswap": _bswap,
}
