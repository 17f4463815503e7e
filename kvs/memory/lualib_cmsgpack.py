"""Lua's ``cmsgpack`` library as Redis's lua_cmsgpack writes and reads MessagePack: a number
that is an integer as the smallest integer code, else float32 when exact, else float64; a
table with keys 1..n as an array, any other as a map; nesting past 16 as nil.  Errors are
`kvs.memory.lualibs.LuaLibraryError`; the engine passes its runtime's table constructor in.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

from .lualibs import LuaLibraryError

__all__ = ["cmsgpack_pack", "cmsgpack_unpack_one"]

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
