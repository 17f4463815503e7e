"""The Lua interpreter of the in-process store: Redis 7.0's scripting environment over lupa.

Theory of operation
-------------------
One `LuaEngine` per store holds one lupa runtime (Lua 5.1, ``lupa.lua51``, as Redis embeds
5.1; lupa's default Lua when that module is missing).  A Lua bootstrap chunk
(`kvs.memory.lua_sandbox.BOOTSTRAP`) builds, once, what Redis 7.0 gives a script:

- the globals: Lua's base functions Redis keeps, ``string``, ``table``, ``math``, ``cjson``,
  ``bit``, ``struct`` and ``cmsgpack`` (Python: `kvs.memory.lualibs`, `lualib_struct`,
  `lualib_cmsgpack`), and ``redis`` (``call``, ``pcall``, ``error_reply``, ``status_reply``,
  ``sha1hex``, ``log`` and
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

The conversions live in `kvs.memory.lua_values`, the library functions' argument checks and
register_function's in `kvs.memory.lua_libraries`; `LuaEngine` joins them.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from resp import ReplyError

from .lua_libraries import LuaLibraries, _LuaError
from .lua_sandbox import BOOTSTRAP
from .lua_values import LuaValues, _is_number, _lua_number_text, _number_text
from .lualib_struct import STRUCT_FUNCTIONS
from .lualibs import BIT_FUNCTIONS

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


class LuaEngine(LuaValues, LuaLibraries):
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

    # -- the Python side of redis.* ------------------------------------------------------------

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

class _RedisError(Exception):
    """Raised by redis.call (and the redis.* helpers): Lua's error value is `table`."""

    def __init__(self, table: Any) -> None:
        super().__init__("redis error")
        self.table = table


def _take(error: Any) -> Any:
    """The Lua error value a Python exception of ours stands for (None for any other)."""
    if isinstance(error, _RedisError):
        return error.table
    if isinstance(error, _LuaError):
        return error.message
    return None

