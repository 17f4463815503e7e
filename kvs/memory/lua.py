"""The Lua interpreter of the in-process store: Redis 7.0's scripting environment over lupa.

Theory of operation
-------------------
One `LuaEngine` per store holds one lupa runtime (Lua 5.1, ``lupa.lua51``, as Redis embeds
5.1; lupa's default Lua when that module is missing).  A Lua bootstrap chunk
(`kvs.memory.lua_sandbox.BOOTSTRAP`) builds, once, what Redis 7.0 gives a script:

- the globals: Lua's base functions Redis keeps, ``string``, ``table``, ``math``, ``cjson``,
  ``bit``, ``struct`` and ``cmsgpack`` (Python, `kvs.memory.lualibs`), and ``redis``
  (``call``, ``pcall``, ``error_reply``, ``status_reply``, ``sha1hex``, ``log`` and
  ``LOG_*``, ``setresp``, ``set_repl`` and ``REPL_*``, ``replicate_commands``,
  ``breakpoint``, ``debug``, ``acl_check_cmd``, ``REDIS_VERSION``). Reading a missing global
  raises Redis's "Script attempted to access nonexistent global variable"; writing any
  global, or a field of a library table, raises "Attempt to modify a readonly table". Stock
  Lua has no read-only tables, so each library is reached through an empty proxy table whose
  metatable reads from the real one and refuses writes; scripts run with such a proxy as
  their environment, and ``loadstring``, ``load`` and ``_G`` all lead back to it, never to
  the real globals (which lupa itself needs); ``getfenv`` and ``setfenv`` are gone, as in
  Redis 7.0.
- ``pcall`` that turns a Redis error table into its message (Redis 7 raises tables);
- the error handler Redis installs (``__redis__err__handler``): a string error becomes
  ``{err="ERR <msg>"}``, and the source and line of the script's frame are added;
- a count hook that asks Python, every 100,000 instructions, whether the script ran past its
  time limit; from then on the hook fires on every line and raises, so no ``pcall`` loop
  outlives it.

The Python functions (``redis.call`` and the rest) are lupa's callable userdata, called
directly: a C call to Lua, so an error one raises keeps the calling script's frame and line
(a Lua wrapper would lose it to tail calls), as Redis's C functions do.  lupa's attribute
access on them is refused and ``getmetatable`` hides their metatable, so a script cannot
climb from a function into Python.  They signal a Lua error by raising a Python exception;
the error handler and ``pcall`` turn it back into Redis's error table (``py.take``).
`redis.call` converts its arguments and the command's raw reply as
Redis's ``luaArgsToRedisArgv`` and ``redisProtocolToLuaType`` do (RESP2 shapes, or RESP3
after ``redis.setresp(3)``); `LuaEngine.reply` converts a script's result as
``luaReplyToRedisReply`` does.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from resp import ReplyError, Verbatim

from .lua_sandbox import BOOTSTRAP
from .lualibs import (
    BIT_FUNCTIONS,
    STRUCT_FUNCTIONS,
    LuaLibraryError,
    cjson_decode,
    cjson_encode,
    cmsgpack_pack,
    cmsgpack_unpack_one,
    lua_type_name,
)

__all__ = ["LuaEngine", "LuaUnavailable", "ScriptError", "load_lupa"]

logger = logging.getLogger("kvs.memory.lua")

# How long a script may run before it is stopped (Redis has busy-reply-threshold, 5 s).
TIME_LIMIT = 5.0
KILLED = "ERR Script killed: it ran longer than the memory store's script time limit"



class LuaUnavailable(Exception):
    """lupa is not installed: the store cannot run scripts."""


class ScriptError(Exception):
    """A script that did not compile or load (the text is Redis's error reply)."""


def load_lupa() -> Any:
    """lupa's Lua 5.1 module, else its default one; `LuaUnavailable` without lupa."""
    try:
        return importlib.import_module("lupa.lua51")
    except ImportError:
        pass
    try:
        return importlib.import_module("lupa")
    except ImportError as exc:
        raise LuaUnavailable from exc


def _no_attributes(obj: Any, name: Any, setting: bool) -> Any:
    raise AttributeError("Python attributes are not reachable from scripts")


def _sha1hex(value: Any) -> bytes:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = _number_text(value)
    if not isinstance(value, bytes):
        value = b""
    return hashlib.sha1(value).hexdigest().encode()


def _number_text(value: float) -> bytes:
    """A Lua number as Redis writes it into a command argument (``%.17g``)."""
    return b"%.17g" % float(value)


def _lua_number_text(value: float) -> bytes:
    """A Lua number as Lua's ``tostring`` writes it (``%.14g``)."""
    return b"%.14g" % float(value)


class LuaEngine:
    """The Lua side of one store: compile scripts and run them with `execute` as redis.call.

    Args:
        execute: runs one Redis command of the script (``argv`` and the read-only flag) and
            returns its raw reply, or raises `kvs.UnsupportedOperation`.
        knows: whether a command name is a Redis command (``redis.acl_check_cmd``).
    """

    def __init__(self, execute: Callable[[list[bytes], bool], Any],
                 knows: Callable[[bytes], bool] = lambda name: True) -> None:
        lupa = load_lupa()
        self.lua_version = "Lua 5.1" if lupa.__name__.endswith("lua51") else "default"
        self._execute = execute
        self._knows = knows
        self._runtime = lupa.LuaRuntime(
            encoding=None, unpack_returned_tuples=True, register_eval=False,
            register_builtins=False, attribute_filter=_no_attributes)
        self._resp = 2
        self._readonly = False
        self._deadline = float("inf")
        self._registered: list[tuple[Any, ...]] | None = None
        self.time_limit = TIME_LIMIT
        self.pending: BaseException | None = None  # an exception to raise after the script
        py = self._runtime.table_from({
            b"call": self._call, b"pcall": self._pcall, b"sha1hex": self._sha1hex,
            b"log": self._log, b"setresp": self._setresp, b"set_repl": self._set_repl,
            b"hook": self._hook, b"killed": KILLED.encode(), b"take": _take,
            b"error_table": self._error_table, b"register": self._register,
            b"acl_check_cmd": self._acl_check_cmd,
            b"cjson_encode": self._cjson_encode, b"cjson_decode": self._cjson_decode,
            b"bit": self._runtime.table_from({
                name.encode(): self._guard(name, fn) for name, fn in BIT_FUNCTIONS.items()}),
            b"cmsgpack": self._runtime.table_from({
                b"pack": self._msgpack_pack, b"unpack": self._msgpack_unpack,
                b"unpack_one": self._msgpack_unpack_one,
                b"unpack_limit": self._msgpack_unpack_limit}),
            b"struct": self._runtime.table_from({
                name.encode(): self._raising(fn) for name, fn in STRUCT_FUNCTIONS.items()}),
        })
        loader = self._runtime.globals()[b"loadstring"]
        self._internal = loader(BOOTSTRAP.encode(), b"=kvs")(py)
        self._table = self._internal[b"table"]
        self._type = self._internal[b"type"]
        self._err_string = self._internal[b"err_string"]
        self._fields = self._internal[b"fields"]
        self._items = self._internal[b"items"]
        self._raw = self._internal[b"raw"]
        self._null = self._internal[b"null"]
        self._is_null = self._internal[b"is_null"]
        self._list = self._runtime.table_from

    # -- compiling and running -------------------------------------------------------------

    def compile(self, body: bytes, name: bytes) -> Any:
        """The Lua function of `body`; `ScriptError` with Lua's message when it does not
        compile."""
        function, error = self._internal[b"compile"](body, name)
        if function is None:
            raise ScriptError(error.decode("utf-8", "replace"))
        return function

    def run(self, function: Any, funcname: str, keys: Sequence[bytes],
            args: Sequence[bytes], *, readonly: bool, eval_mode: bool) -> Any:
        """Run a compiled script (EVAL: ``KEYS``/``ARGV`` globals) or a function (FCALL:
        ``keys, args`` arguments) and return its raw reply (a `ReplyError` for an error)."""
        self._resp = 2
        self._readonly = readonly
        self._deadline = time.monotonic() + self.time_limit
        self.pending = None
        lua_keys = self._list(keys)
        lua_args = self._list(args)
        if eval_mode:
            ok, value = self._internal[b"run"](function, lua_keys, lua_args)
        else:
            ok, value = self._internal[b"call"](function, lua_keys, lua_args)
        pending, self.pending = self.pending, None
        if pending is not None:
            raise pending
        if not ok:
            return self._failure(value, funcname)
        return self.reply(value)

    def _failure(self, error: Any, funcname: str) -> ReplyError:
        if self._type(error) != b"table":
            text = error.decode("utf-8", "replace") if isinstance(error, bytes) else "failure"
            return ReplyError(f"ERR Error running script {funcname}, {text[:100]}")
        message = self._raw(error, b"err")
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else (
            _lua_number_text(message).decode() if isinstance(message, int | float) else "")
        source, line = self._raw(error, b"source"), self._raw(error, b"line")
        if source is not None and line is not None:
            line_text = _lua_number_text(line).decode() if isinstance(line, int | float) \
                else line.decode("utf-8", "replace")
            text += f" script: {funcname}, on {source.decode('utf-8', 'replace')}:{line_text}."
        return ReplyError(text)

    def load_library(self, function: Any) -> list[tuple[Any, ...]]:
        """Run a library's code; the functions it registered: (name, callback, flags)."""
        self._registered = []
        self._deadline = time.monotonic() + self.time_limit
        try:
            ok, error = self._internal[b"load_library"](function)
            if not ok:
                message = self._err_string(error) if self._type(error) == b"table" else None
                if message is None:
                    message = error if isinstance(error, bytes) else b"ERR unknown error"
                raise ScriptError("Error registering functions: "
                                  + message.decode("utf-8", "replace"))
            return self._registered
        finally:
            self._registered = None

    # -- conversions -------------------------------------------------------------------------

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

    # -- the Python side of redis.* ------------------------------------------------------------

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

    def _command(self, args: tuple[Any, ...]) -> Any:
        argv = self._argv(args)
        if type(argv) is ReplyError:
            return argv, True
        try:
            return self._execute(argv, self._readonly), False  # type: ignore[arg-type]
        except BaseException as exc:  # raised after the script, once Lua has unwound
            self.pending = exc
            return ReplyError("ERR the memory store cannot run this command"), True

    def _call(self, *args: Any) -> Any:
        reply, refused = self._command(args)
        converted = self.to_lua(reply)
        if refused or type(reply) is ReplyError:
            raise _RedisError(converted)
        return converted

    def _pcall(self, *args: Any) -> Any:
        reply, _ = self._command(args)
        return self.to_lua(reply)

    def _acl_check_cmd(self, *args: Any) -> bool:
        """redis.acl_check_cmd: the store has one user, who may run every command."""
        argv = self._argv(args)
        if type(argv) is ReplyError:
            self._fail(argv.message)
        if not self._knows(argv[0]):  # type: ignore[index]
            self._fail("ERR Invalid command passed to redis.acl_check_cmd()")
        return True

    def _fail(self, message: str) -> NoReturn:
        raise _RedisError(self._table_of(b"err", message.encode()))

    def _sha1hex(self, *args: Any) -> bytes:
        if len(args) != 1:
            self._fail("ERR wrong number of arguments")
        return _sha1hex(args[0])

    def _error_table(self, text: bytes) -> Any:
        """redis.error_reply: ``-CODE msg``, or ``msg`` read as ``-msg`` (as luaPushErrorBuff
        reads it: a word with no space after it takes the code ERR)."""
        if not text.startswith(b"-"):
            text = b"-" + text
        code, space, message = text[1:].partition(b" ")
        if not space:
            code, message = b"ERR", text[1:]
        return self._table_of(b"err", code + b" " + message.strip(b"\r\n"))

    def _log(self, *args: Any) -> None:
        if len(args) < 2:
            self._fail("ERR redis.log() requires two arguments or more.")
        level = args[0]
        if not _is_number(level):
            self._fail("ERR First argument must be a number (log level).")
        if not 0 <= int(level) <= 3:
            self._fail("ERR Invalid debug level.")
        words = [p if isinstance(p, bytes) else _lua_number_text(p)
                 for p in args[1:] if type(p) is bytes or _is_number(p)]
        levels = (logging.DEBUG, logging.DEBUG, logging.INFO, logging.WARNING)
        logger.log(levels[int(level)], "%s", b" ".join(words).decode("utf-8", "replace"))

    def _setresp(self, *args: Any) -> None:
        if len(args) != 1:
            self._fail("ERR redis.setresp() requires one argument.")
        version = int(args[0]) if _is_number(args[0]) else 0
        if version not in (2, 3):
            self._fail("ERR RESP version must be 2 or 3.")
        self._resp = version

    def _set_repl(self, *args: Any) -> None:
        if len(args) != 1:
            self._fail("ERR redis.set_repl() requires two arguments.")
        flags = int(args[0]) if _is_number(args[0]) else 0
        if flags & ~3:
            self._fail("ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or "
                       "REPL_NONE.")

    def _hook(self) -> bool:
        return time.monotonic() > self._deadline

    def _register(self, *args: Any) -> None:
        if self._registered is None:
            self._fail("ERR redis.register_function can only be called on FUNCTION LOAD "
                       "command")
        registration = self._registration(args)
        if isinstance(registration, bytes):
            self._fail("ERR " + registration.decode())
        name = registration[0]
        if any(entry[0] == name for entry in self._registered):
            self._fail("ERR Function already exists in the library")
        self._registered.append(registration)

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


class _RedisError(Exception):
    """Raised by redis.call (and the redis.* helpers): Lua's error value is `table`."""

    def __init__(self, table: Any) -> None:
        super().__init__("redis error")
        self.table = table


class _LuaError(Exception):
    """Raised by a library function (cjson, bit): Lua's error value is `message`."""

    def __init__(self, message: bytes) -> None:
        super().__init__(message.decode("utf-8", "replace"))
        self.message = message


def _take(error: Any) -> Any:
    """The Lua error value a Python exception of ours stands for (None for any other)."""
    if isinstance(error, _RedisError):
        return error.table
    if isinstance(error, _LuaError):
        return error.message
    return None


def _is_number(value: Any) -> bool:
    return (type(value) is int or type(value) is float)


_FUNCTION_FLAGS = frozenset({b"no-writes", b"allow-oom", b"allow-stale", b"no-cluster",
                             b"allow-cross-slot-keys"})


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
