"""The Python side of what a Lua script calls beyond redis.call: the cjson, bit, struct and
cmsgpack libraries (Lua's argument checks and errors around `kvs.memory.lualibs` and the
``lualib_*`` modules) and the checks of ``redis.register_function``'s arguments (FUNCTION LOAD).

`LuaLibraries` is the part of `kvs.memory.lua.LuaEngine` that does this; a library function
signals a Lua error by raising `_LuaError`, whose message the engine's error handler hands to
Lua as it is (see `kvs.memory.lua` for the theory of operation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from .lua_values import _is_number
from .lualib_cmsgpack import cmsgpack_pack, cmsgpack_unpack_one
from .lualibs import LuaLibraryError, cjson_decode, cjson_encode, lua_type_name

__all__ = ["LuaLibraries"]

_FUNCTION_FLAGS = frozenset({b"no-writes", b"allow-oom", b"allow-stale", b"no-cluster",
                             b"allow-cross-slot-keys"})


class _LuaError(Exception):
    """Raised by a library function (cjson, bit): Lua's error value is `message`."""

    def __init__(self, message: bytes) -> None:
        super().__init__(message.decode("utf-8", "replace"))
        self.message = message


class LuaLibraries:
    """The library functions and register_function's checks, for `kvs.memory.lua.LuaEngine`."""

    _runtime: Any
    _internal: Any
    _type: Any
    _table: Any
    _null: Any
    _is_null: Any
    _raw: Any

    def _registration(self, args: tuple[Any, ...]) -> tuple[Any, ...] | bytes:
        is_function = self._internal[b"is_function"]
        if len(args) == 1:
            if self._type(args[0]) != b"table":
                return (b"calling redis.register_function with a single argument is only "
                        b"applicable to Lua table (representing named arguments).")
            name = callback = None
            flags: set[bytes] = set()
            for key, value in args[0].items():
                if type(key) is not bytes:
                    return b"named argument key given to redis.register_function is not a string"
                word = key.lower()
                if word == b"function_name":
                    if type(value) is not bytes:
                        return (b"function_name argument given to redis.register_function "
                                b"must be a string")
                    name = value
                elif word == b"description":
                    if type(value) is not bytes:
                        return (b"description argument given to redis.register_function must "
                                b"be a string")
                elif word == b"callback":
                    if not is_function(value):
                        return (b"callback argument given to redis.register_function must be "
                                b"a function")
                    callback = value
                elif word == b"flags":
                    if self._type(value) != b"table":
                        return (b"flags argument to redis.register_function must be a table "
                                b"representing function flags")
                    for flag in value.values():
                        if flag not in _FUNCTION_FLAGS:
                            return b"unknown flag given"
                        flags.add(flag)
                else:
                    return b"unknown argument given to redis.register_function"
            if name is None:
                return b"redis.register_function must get a function name argument"
            if callback is None:
                return b"redis.register_function must get a callback argument"
        elif len(args) == 2:
            name, callback = args
            if type(name) is not bytes:
                return b"first argument to redis.register_function must be a string"
            if not is_function(callback):
                return b"second argument to redis.register_function must be a function"
            flags = set()
        else:
            return b"wrong number of arguments to redis.register_function"
        if not name or not all(bytes((c,)).isalnum() or c == 0x5F for c in name):
            return (b"Library names can only contain letters, numbers, or underscores(_) and "
                    b"must be at least one character long")
        description = self._raw(args[0], b"description") if len(args) == 1 else None
        return name, callback, frozenset(flags), description

    def _library_error(self, message: str) -> NoReturn:
        where = self._internal[b"where"]().decode("utf-8", "replace")
        raise _LuaError((where + message).encode())

    def _guard(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(*args: Any) -> Any:
            for index, arg in enumerate(args[:1] if name == "tohex" else args, 1):
                if not _is_number(arg):
                    self._library_error(f"bad argument #{index} to '{name}' (number expected, "
                                        f"got {self._lua_type(arg)})")
            if not args:
                self._library_error(f"bad argument #1 to '{name}' (number expected, got no "
                                    "value)")
            try:
                return fn(*args)
            except (LuaLibraryError, TypeError) as exc:
                self._library_error(str(exc))
        return guarded

    def _raising(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def raising(*args: Any) -> Any:
            try:
                return fn(*args)
            except LuaLibraryError as exc:
                self._library_error(str(exc))
        return raising

    def _lua_type(self, value: Any) -> str:
        return lua_type_name(value, "nil", self._type)

    def _cjson_encode(self, *args: Any) -> bytes:
        if len(args) != 1:
            self._library_error("bad argument #1 to 'encode' (expected 1 argument)")
        try:
            return cjson_encode(args[0], self._type, self._is_null).encode("latin-1")
        except LuaLibraryError as exc:
            self._library_error(str(exc))

    def _msgpack_pack(self, *args: Any) -> bytes:
        if not args:
            self._library_error("bad argument #0 to 'pack' (MessagePack pack needs input.)")
        out = bytearray()
        for value in args:
            cmsgpack_pack(value, self._type, out)
        return bytes(out)

    def _msgpack_unpack_full(self, data: Any, limit: int, offset: int) -> tuple[Any, ...]:
        if type(data) is not bytes:
            self._library_error("bad argument #1 to 'unpack' (string expected, got "
                                f"{self._lua_type(data)})")
        decode_all = not limit and not offset
        if offset < 0 or limit < 0:
            self._library_error(f"Invalid request to unpack with offset of {offset} and "
                                f"limit of {len(data)}.")
        if offset > len(data):
            self._library_error(f"Start offset {offset} greater than input length "
                                f"{len(data)}.")
        values: list[Any] = []
        at = offset
        try:
            while at < len(data) and (decode_all or len(values) < limit):
                value, at = cmsgpack_unpack_one(data, at, self._runtime.table)
                values.append(value)
        except LuaLibraryError as exc:
            self._library_error(str(exc))
        if decode_all:
            return tuple(values)
        return (-1 if at >= len(data) else at, *values)

    def _msgpack_unpack(self, data: Any = None) -> tuple[Any, ...]:
        return self._msgpack_unpack_full(data, 0, 0)

    def _msgpack_unpack_one(self, data: Any = None, offset: Any = 0) -> tuple[Any, ...]:
        return self._msgpack_unpack_full(data, 1, int(offset or 0))

    def _msgpack_unpack_limit(self, data: Any = None, limit: Any = 0,
                              offset: Any = 0) -> tuple[Any, ...]:
        return self._msgpack_unpack_full(data, int(limit or 0), int(offset or 0))

    def _cjson_decode(self, *args: Any) -> Any:
        if len(args) != 1 or type(args[0]) is not bytes:
            self._library_error("bad argument #1 to 'decode' (string expected, got "
                                f"{self._lua_type(args[0]) if args else 'no value'})")
        try:
            return cjson_decode(args[0], self._table, self._null)
        except LuaLibraryError as exc:
            self._library_error(str(exc))
