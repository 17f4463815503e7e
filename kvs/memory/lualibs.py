"""The Lua libraries Redis links into its interpreter and lupa's Lua lacks: ``cjson``,
``bit``, ``struct`` and ``cmsgpack``, written in Python over lupa's table objects.

``cjson`` follows lua-cjson 2.1 as Redis builds it: ``encode`` writes a table whose keys
are all positive integers as an array (an empty table as ``{}``), refuses an excessively
sparse array, escapes ``/``, writes numbers with ``%.14g``; ``decode`` gives arrays and
objects as tables and JSON ``null`` as ``cjson.null``.  ``bit`` is LuaBitOp: every operand
and result a signed 32-bit integer.  ``struct`` packs and unpacks binary strings by format
(``<``/``>`` byte order, ``!`` alignment, ``bBhHlLT iI[n] f d c[n] s x``), little-endian by
default as on the machines Redis runs on.  ``cmsgpack`` writes MessagePack as lua_cmsgpack
does (a number that is an integer as the smallest integer code, else float32 when exact, else
float64; a table with keys 1..n as an array, any other as a map; nesting past 16 as nil).
Nothing here imports lupa: the engine passes its runtime in.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from typing import Any

__all__ = ["BIT_FUNCTIONS", "STRUCT_FUNCTIONS", "LuaLibraryError", "cjson_decode", "cjson_encode",
           "cmsgpack_pack", "cmsgpack_unpack_one", "lua_type_name"]


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


# -- cmsgpack: MessagePack as Redis's lua_cmsgpack writes and reads it -------------------------

_MAX_NESTING = 16


def _pack_number(value: float, out: bytearray) -> None:
    if not math.isinf(value) and not math.isnan(value) and -2**63 <= value < 2**63 \
            and int(value) == value:
        _pack_int(int(value), out)
    elif value == struct.unpack(">f", struct.pack(">f", value))[0] or math.isnan(value):
        out += b"\xca" + struct.pack(">f", value)
    else:
        out += b"\xcb" + struct.pack(">d", value)


def _pack_int(n: int, out: bytearray) -> None:
    if n >= 0:
        if n <= 127:
            out.append(n)
        elif n <= 0xFF:
            out += b"\xcc" + n.to_bytes(1, "big")
        elif n <= 0xFFFF:
            out += b"\xcd" + n.to_bytes(2, "big")
        elif n <= 0xFFFFFFFF:
            out += b"\xce" + n.to_bytes(4, "big")
        else:
            out += b"\xcf" + n.to_bytes(8, "big")
    elif n >= -32:
        out.append(n & 0xFF)
    elif n >= -128:
        out += b"\xd0" + n.to_bytes(1, "big", signed=True)
    elif n >= -32768:
        out += b"\xd1" + n.to_bytes(2, "big", signed=True)
    elif n >= -2**31:
        out += b"\xd2" + n.to_bytes(4, "big", signed=True)
    else:
        out += b"\xd3" + n.to_bytes(8, "big", signed=True)


def _pack_header(n: int, fix: int, codes: tuple[int, int], out: bytearray) -> None:
    if n <= 15:
        out.append(fix | n)
    elif n <= 0xFFFF:
        out += bytes((codes[0],)) + n.to_bytes(2, "big")
    else:
        out += bytes((codes[1],)) + n.to_bytes(4, "big")


def cmsgpack_pack(value: Any, kind: Callable[[Any], bytes], out: bytearray,
                  level: int = 0) -> None:
    """Append `value` (a lupa value) to `out` as MessagePack."""
    if value is None or (level == _MAX_NESTING and kind(value) == b"table"):
        out.append(0xC0)
    elif value is True or value is False:
        out.append(0xC3 if value else 0xC2)
    elif isinstance(value, int | float):
        _pack_number(value, out)
    elif isinstance(value, bytes):
        n = len(value)
        if n < 32:
            out.append(0xA0 | n)
        elif n <= 0xFF:
            out += b"\xd9" + n.to_bytes(1, "big")
        elif n <= 0xFFFF:
            out += b"\xda" + n.to_bytes(2, "big")
        else:
            out += b"\xdb" + n.to_bytes(4, "big")
        out += value
    elif kind(value) == b"table":
        items = list(value.items())
        keys = [k for k, _ in items]
        is_array = all(isinstance(k, int | float) and not isinstance(k, bool) and k > 0
                       and int(k) == k for k in keys) and (max(keys, default=0) == len(keys))
        if is_array:
            _pack_header(len(keys), 0x90, (0xDC, 0xDD), out)
            mapping = dict(items)
            for i in range(1, len(keys) + 1):
                cmsgpack_pack(mapping.get(i), kind, out, level + 1)
        else:
            _pack_header(len(items), 0x80, (0xDE, 0xDF), out)
            for key, item in items:
                cmsgpack_pack(key, kind, out, level + 1)
                cmsgpack_pack(item, kind, out, level + 1)
    else:
        out.append(0xC0)


class _Missing(LuaLibraryError):
    def __init__(self) -> None:
        super().__init__("Missing bytes in input.")


def _take_bytes(data: bytes, at: int, n: int) -> bytes:
    if at + n > len(data):
        raise _Missing
    return data[at:at + n]


_FIXED = {0xCC: (1, False), 0xCD: (2, False), 0xCE: (4, False), 0xCF: (8, False),
          0xD0: (1, True), 0xD1: (2, True), 0xD2: (4, True), 0xD3: (8, True)}
_SIZED = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4}


def cmsgpack_unpack_one(data: bytes, at: int, table: Callable[[], Any]) -> tuple[Any, int]:
    """One MessagePack value of `data` from `at`, as a lupa value, and where the next starts."""
    code = _take_bytes(data, at, 1)[0]
    at += 1
    if code <= 0x7F:
        return code, at
    if code >= 0xE0:
        return code - 0x100, at
    if 0xA0 <= code <= 0xBF:
        n = code & 0x1F
        return _take_bytes(data, at, n), at + n
    if 0x90 <= code <= 0x9F or 0x80 <= code <= 0x8F or code in (0xDC, 0xDD, 0xDE, 0xDF):
        if code <= 0x9F:
            n = code & 0x0F
        else:
            width = 2 if code in (0xDC, 0xDE) else 4
            n = int.from_bytes(_take_bytes(data, at, width), "big")
            at += width
        result = table()
        if code in (0xDE, 0xDF) or 0x80 <= code <= 0x8F:
            for _ in range(n):
                key, at = cmsgpack_unpack_one(data, at, table)
                item, at = cmsgpack_unpack_one(data, at, table)
                if key is not None:
                    result[key] = item
        else:
            for i in range(1, n + 1):
                item, at = cmsgpack_unpack_one(data, at, table)
                result[i] = item
        return result, at
    if code == 0xC0:
        return None, at
    if code in (0xC2, 0xC3):
        return code == 0xC3, at
    if code in _FIXED:
        width, signed = _FIXED[code]
        return int.from_bytes(_take_bytes(data, at, width), "big", signed=signed), at + width
    if code == 0xCA:
        return struct.unpack(">f", _take_bytes(data, at, 4))[0], at + 4
    if code == 0xCB:
        return struct.unpack(">d", _take_bytes(data, at, 8))[0], at + 8
    if code in _SIZED:
        width = _SIZED[code]
        n = int.from_bytes(_take_bytes(data, at, width), "big")
        at += width
        return _take_bytes(data, at, n), at + n
    raise LuaLibraryError("Bad data format in input.")
