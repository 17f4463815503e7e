"""Lua's ``struct`` library as Redis links it (Roberto Ierusalimschy's): binary strings
packed and unpacked by format (``<``/``>`` byte order, ``!`` alignment,
``bBhHlLT iI[n] f d c[n] s x``), little-endian by default as on the machines Redis runs on.
`STRUCT_FUNCTIONS` is the table the engine gives scripts as ``struct``; errors are
`kvs.memory.lualibs.LuaLibraryError`.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

from .lualibs import LuaLibraryError, lua_type_name

__all__ = ["STRUCT_FUNCTIONS", "struct_pack", "struct_size", "struct_unpack"]

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
