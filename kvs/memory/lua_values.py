"""The values a Lua script exchanges with the store, converted both ways as Redis 7.0 does:
a script's result as a raw reply (``luaReplyToRedisReply``), a command's raw reply as
redis.call hands it to Lua (``redisProtocolToLuaType``; RESP2 shapes, or RESP3 after
``redis.setresp(3)``) and redis.call's arguments as a command line (``luaArgsToRedisArgv``).

`LuaValues` is the part of `kvs.memory.lua.LuaEngine` that does this; it reads the engine's
runtime, its Lua helpers and the script's RESP version (see that module for the theory of
operation).
"""

from __future__ import annotations

import math
from typing import Any

from resp import ReplyError, Verbatim

__all__ = ["LuaValues"]


def _number_text(value: float) -> bytes:
    """A Lua number as Redis writes it into a command argument (``%.17g``)."""
    return b"%.17g" % float(value)


def _lua_number_text(value: float) -> bytes:
    """A Lua number as Lua's ``tostring`` writes it (``%.14g``)."""
    return b"%.14g" % float(value)


class LuaValues:
    """Conversions between Lua values and raw replies, for `kvs.memory.lua.LuaEngine`."""

    _runtime: Any
    _resp: int
    _type: Any
    _fields: Any
    _items: Any
    _raw: Any
    _list: Any

    def reply(self, value: Any) -> Any:
        """A script's Lua result as the raw reply Redis would send (``luaReplyToRedisReply``)."""
        kind = type(value)
        if kind is bytes:
            return value
        if kind is bool:
            if self._resp == 2:
                return 1 if value else None
            return value
        if kind is int:
            return value
        if kind is float:
            return int(value) if not math.isnan(value) and abs(value) < 2**63 else 0
        if value is None or self._type(value) != b"table":
            return None
        error, ok, double, big, verbatim, mapping, members, first = self._fields(value)
        if type(error) is bytes:
            return ReplyError(error.decode("utf-8", "replace"))
        if type(ok) is bytes:
            return ok.decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")
        if type(double) in (int, float):
            return float(double)
        if type(big) is bytes:
            try:
                return int(big)
            except ValueError:
                return big.decode("utf-8", "replace")
        if verbatim is not None and self._type(verbatim) == b"table":
            fmt, text = self._raw(verbatim, b"format"), self._raw(verbatim, b"string")
            if type(fmt) is bytes and type(text) is bytes:
                return Verbatim(text.decode("utf-8", "replace"), fmt.decode())
        if mapping is not None and self._type(mapping) == b"table":
            return {_hashable(self.reply(k)): self.reply(v) for k, v in mapping.items()}
        if members is not None and self._type(members) == b"table":
            return {_hashable(self.reply(k)) for k in members}
        if first is None:
            return []
        items = self._items(value)
        reply = self.reply
        return [reply(item) for item in items[1:]]

    def to_lua(self, reply: Any) -> Any:
        """A command's raw reply as redis.call gives it to Lua (``redisProtocolToLuaType``)."""
        kind = type(reply)
        if kind is bytes or kind is int:
            return reply
        if reply is None:
            return None if self._resp == 3 else False
        if kind is str:
            return self._table_of(b"ok", reply.encode())
        if kind is ReplyError:
            return self._table_of(b"err", reply.message.encode())
        if kind is list:
            return self._list([self.to_lua(item) for item in reply])
        if kind is bool:
            return reply if self._resp == 3 else int(reply)
        if kind is float:
            if self._resp == 3:
                return self._table_of(b"double", reply)
            return _double_text(reply)
        if kind is dict:
            if self._resp == 3:
                inner = self._runtime.table()
                for key, item in reply.items():
                    inner[self.to_lua(key)] = self.to_lua(item)
                return self._table_of(b"map", inner)
            flat: list[Any] = []
            for key, item in reply.items():
                flat += (self.to_lua(key), self.to_lua(item))
            return self._list(flat)
        if kind is set:
            if self._resp == 3:
                inner = self._runtime.table()
                for member in reply:
                    inner[self.to_lua(member)] = True
                return self._table_of(b"set", inner)
            return self._list([self.to_lua(member) for member in reply])
        if isinstance(reply, Verbatim):
            if self._resp == 3:
                inner = self._runtime.table_from({b"format": reply.format.encode(),
                                                  b"string": str(reply).encode()})
                return self._table_of(b"verbatim_string", inner)
            return str(reply).encode()
        if isinstance(reply, str):
            return self._table_of(b"ok", str(reply).encode())
        if isinstance(reply, list):
            return self._list([self.to_lua(item) for item in reply])
        return None

    def _table_of(self, field: bytes, value: Any) -> Any:
        table = self._runtime.table()
        table[field] = value
        return table

    def _argv(self, args: tuple[Any, ...]) -> list[bytes] | ReplyError:
        if not args:
            return ReplyError("ERR Please specify at least one argument for this redis lib call")
        argv = []
        for arg in args:
            kind = type(arg)
            if kind is bytes:
                argv.append(arg)
            elif kind is int or kind is float:
                argv.append(_number_text(arg))
            else:
                return ReplyError("ERR Lua redis lib command arguments must be strings or "
                                  "integers")
        return argv


def _is_number(value: Any) -> bool:
    return (type(value) is int or type(value) is float)



def _double_text(value: float) -> bytes:
    if math.isnan(value):
        return b"nan"
    if value in (float("inf"), float("-inf")):
        return b"inf" if value > 0 else b"-inf"
    return b"%.17g" % value


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict | set):
        return tuple(sorted(map(repr, value)))
    return value
