"""The Lua libraries Redis links into its interpreter and lupa's Lua lacks: ``cjson``,
``bit`` and ``struct``, written in Python over lupa's table objects.

``cjson`` follows lua-cjson 2.1 as Redis builds it: ``encode`` writes a table whose keys
are all positive integers as an array (an empty table as ``{}``), refuses an excessively
sparse array, escapes ``/``, writes numbers with ``%.14g``; ``decode`` gives arrays and
objects as tables and JSON ``null`` as ``cjson.null``.  ``bit`` is LuaBitOp: every operand
and result a signed 32-bit integer.  ``struct`` packs and unpacks binary strings by format
(``<``/``>`` byte order, ``!`` alignment, ``bBhHlLT iI[n] f d c[n] s x``), little-endian by
default as on the machines Redis runs on.  Nothing here imports lupa: the engine passes its
runtime in.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from typing import Any

__all__ = ["BIT_FUNCTIONS", "STRUCT_FUNCTIONS", "LuaLibraryError", "cjson_decode", "cjson_encode",
           "lua_type_name"]


class LuaLibraryError(Exception):
    """A library function refused its arguments; the engine raises it as a Lua error."""


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


# -- struct: Roberto Ierusalimschy's struct library as Redis links it ------------------------

_STRUCT_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8, "f": 4, "d": 8, "x": 1}
_MAX_INT_SIZE = 32
_MAX_ALIGN = 8


def _argerror(index: int, name: str, message: str) -> LuaLibraryError:
    return LuaLibraryError(f"bad argument #{index} to '{name}' ({message})")


def _digits(fmt: bytes, i: int, default: int) -> tuple[int, int]:
    j = i
    while j < len(fmt) and 0x30 <= fmt[j] <= 0x39:
        j += 1
    if j == i:
        return default, i
    value = int(fmt[i:j])
    if value > 2**31 - 1:
        raise LuaLibraryError("integral size overflow")
    return value, j


def _struct_format(fmt: bytes, name: str) -> list[tuple[str, int, bool, int]]:
    """The items of a format: (option, size, big endian, max alignment)."""
    items = []
    big, align, i = False, 1, 0
    while i < len(fmt):
        opt = chr(fmt[i])
        i += 1
        if opt in _STRUCT_SIZES:
            items.append((opt, _STRUCT_SIZES[opt], big, align))
        elif opt == "c":
            size, i = _digits(fmt, i, 1)
            items.append((opt, size, big, align))
        elif opt in "iI":
            size, i = _digits(fmt, i, 4)
            if size > _MAX_INT_SIZE:
                raise LuaLibraryError(f"integral size {size} is larger than limit of "
                                      f"{_MAX_INT_SIZE}")
            items.append((opt, size, big, align))
        elif opt == "s":
            items.append((opt, 0, big, align))
        elif opt == " ":
            continue
        elif opt in "<>":
            big = opt == ">"
        elif opt == "!":
            align, i = _digits(fmt, i, _MAX_ALIGN)
            if align <= 0 or align & (align - 1):
                raise LuaLibraryError(f"alignment {align} is not a power of 2")
        else:
            raise _argerror(1, name, f"invalid format option '{opt}'")
    return items


def _padding(position: int, opt: str, size: int, align: int) -> int:
    if size == 0 or opt == "c":
        return 0
    size = min(size, align)
    return (size - (position & (size - 1))) & (size - 1)


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


def _number_arg(args: tuple[Any, ...], index: int, name: str) -> float:
    value = args[index - 1] if index - 1 < len(args) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _argerror(index, name, f"number expected, got {lua_type_name(value)}")
    return value


def struct_pack(fmt: Any, *args: Any) -> bytes:
    """struct.pack(fmt, ...)."""
    if type(fmt) is not bytes:
        raise _argerror(1, "pack", f"string expected, got {lua_type_name(fmt)}")
    out = bytearray()
    arg = 2
    for opt, size, big, align in _struct_format(fmt, "pack"):
        out += bytes(_padding(len(out), opt, size, align))
        if opt in "bBhHlLTiI":
            number = _number_arg((fmt, *args), arg, "pack")
            arg += 1
            value = int(number) & (2**64 - 1)
            raw = value.to_bytes(max(size, 8), "little")[:size]
            out += raw[::-1] if big else raw
        elif opt == "x":
            out += b"\0"
        elif opt in "fd":
            number = _number_arg((fmt, *args), arg, "pack")
            arg += 1
            code = (">" if big else "<") + opt
            try:
                out += struct.pack(code, number)
            except OverflowError:
                out += struct.pack(code, math.copysign(math.inf, number))
        else:  # c, s
            given: Any = (fmt, *args)[arg - 1] if arg - 1 < len(args) + 1 else None
            arg += 1
            if isinstance(given, int | float) and not isinstance(given, bool):
                given = f"{given:.14g}".encode()
            if type(given) is not bytes:
                raise _argerror(arg - 1, "pack", f"string expected, got "
                                f"{lua_type_name(given)}")
            length = size or len(given)
            if len(given) < length:  # Redis names the next argument here
                raise _argerror(arg, "pack", "string too short")
            out += given[:length]
            if opt == "s":
                out += b"\0"
    return bytes(out)


def struct_unpack(fmt: Any, data: Any = None, init: Any = 1) -> tuple[Any, ...]:
    """struct.unpack(fmt, data [, init]): the values, then the next position."""
    if type(fmt) is not bytes:
        raise _argerror(1, "unpack", f"string expected, got {lua_type_name(fmt)}")
    if type(data) is not bytes:
        raise _argerror(2, "unpack", f"string expected, got {lua_type_name(data)}")
    if init is None:
        init = 1
    if isinstance(init, bool) or not isinstance(init, int | float):
        raise _argerror(3, "unpack", f"number expected, got {lua_type_name(init)}")
    position = int(init)
    if position <= 0:
        raise _argerror(3, "unpack", "offset must be 1 or greater")
    position -= 1
    results: list[Any] = []
    for opt, width, big, align in _struct_format(fmt, "unpack"):
        size = width
        position += _padding(position, opt, size, align)
        if size > len(data) or position > len(data) - size:
            raise _argerror(2, "unpack", "data string too short")
        chunk = data[position:position + size]
        if opt in "bBhHlLTiI":
            value = int.from_bytes(chunk, "big" if big else "little")
            if opt.islower() and size and value >> (size * 8 - 1):
                value -= 1 << (size * 8)
            results.append(value)
        elif opt in "fd":
            results.append(struct.unpack((">" if big else "<") + opt, chunk)[0])
        elif opt == "c":
            if size == 0:
                if not results or not isinstance(results[-1], int | float):
                    raise LuaLibraryError("format 'c0' needs a previous size")
                size = int(results.pop())
                if size > len(data) or position > len(data) - size:
                    raise _argerror(2, "unpack", "data string too short")
            results.append(data[position:position + size])
        elif opt == "s":
            end = data.find(b"\0", position)
            if end < 0:
                raise LuaLibraryError("unfinished string in data")
            size = end - position + 1
            results.append(data[position:end])
        position += size
    return (*results, position + 1)


def struct_size(fmt: Any) -> int:
    """struct.size(fmt)."""
    if type(fmt) is not bytes:
        raise _argerror(1, "size", f"string expected, got {lua_type_name(fmt)}")
    position = 0
    for opt, size, _, align in _struct_format(fmt, "size"):
        position += _padding(position, opt, size, align)
        if opt == "s":
            raise _argerror(1, "size", "option 's' has no fixed size")
        if opt == "c" and size == 0:
            raise _argerror(1, "size", "option 'c0' has no fixed size")
        position += size
    return position


STRUCT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "pack": struct_pack, "unpack": struct_unpack, "size": struct_size,
}
