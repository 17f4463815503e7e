"""FUNCTION and FCALL for the in-process store, as Redis 7.0 runs them: FUNCTION LOAD,
DELETE, FLUSH, LIST, and FCALL and FCALL_RO, over the Lua engine of `kvs.memory.scripting`.

Libraries (``#!lua name=<name>`` and the code that registers its functions) are kept per
store with their functions, flags and code; a function runs as an EVAL script does (under the
store's lock, its commands checked as commands from scripts), a ``no-writes`` function is the
only kind FCALL_RO runs.
"""

from __future__ import annotations

import fnmatch
import shlex
from collections.abc import Sequence
from typing import Any

from kvs.memory.keyspace import CommandError
from kvs.memory.numbers import parse_int
from kvs.memory.scripting import _WRITE_FLAG, ScriptingCommands, _subcommand
from resp import ReplyError

__all__ = ["FunctionCommands"]

_LIBRARY_NAME = ("Library names can only contain letters, numbers, or underscores(_) and must "
                 "be at least one character long")


class _Library:
    __slots__ = ("code", "functions", "name")

    def __init__(self, name: bytes, code: bytes,
                 functions: dict[bytes, tuple[Any, frozenset[bytes], Any]]) -> None:
        self.name = name
        self.code = code
        self.functions = functions


class FunctionCommands(ScriptingCommands):
    """The store's FUNCTION and FCALL commands, on top of its scripting commands."""

    @property
    def _library_table(self) -> dict[bytes, _Library]:
        return self.__dict__.setdefault("_libraries", {})  # type: ignore[no-any-return]

    def _cmd_function(self, argv: Sequence[bytes]) -> Any:
        engine = self._engine_or_refuse("function " + argv[1].decode(errors="replace"))
        sub = _subcommand(argv)
        libraries = self._library_table
        if sub == b"LOAD":
            return self._function_load(engine, argv)
        if sub == b"DELETE":
            if libraries.pop(argv[2], None) is None:
                raise CommandError("ERR Library not found")
            return "OK"
        if sub == b"FLUSH":
            if len(argv) > 3 or (len(argv) == 3 and argv[2].upper() not in (b"SYNC", b"ASYNC")):
                raise CommandError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
            libraries.clear()
            return "OK"
        if sub == b"LIST":
            return self._function_list(argv)
        return ReplyError("NOTBUSY No scripts in execution right now.")

    def _function_load(self, engine: Any, argv: Sequence[bytes]) -> Any:
        from kvs.memory.lua import ScriptError

        replace = False
        for option in argv[2:-1]:
            if option.upper() != b"REPLACE":
                raise CommandError(f"ERR Unknown option given: {option.decode(errors='replace')}")
            replace = True
        code = argv[-1]
        name, body = _library_metadata(code)
        libraries = self._library_table
        if name in libraries and not replace:
            raise CommandError(f"ERR Library '{name.decode(errors='replace')}' already exists")
        try:
            function = engine.compile(body, b"@user_function")
        except ScriptError as exc:
            raise CommandError(f"ERR Error compiling function: {exc}") from None
        try:
            registered = engine.load_library(function)
        except ScriptError as exc:
            raise CommandError(f"ERR {exc}") from None
        if not registered:
            raise CommandError("ERR No functions registered")
        for function_name, *_ in registered:
            for library in libraries.values():
                if library.name != name and function_name in library.functions:
                    raise CommandError(
                        f"ERR Function {function_name.decode(errors='replace')} already exists")
        libraries[name] = _Library(name, code, {
            fname: (callback, flags, description)
            for fname, callback, flags, description in registered})
        return name

    def _function_list(self, argv: Sequence[bytes]) -> Any:
        pattern: bytes | None = None
        withcode = False
        i = 2
        while i < len(argv):
            word = argv[i].upper()
            if word == b"WITHCODE" and not withcode:
                withcode = True
            elif word == b"LIBRARYNAME" and pattern is None:
                if i + 1 >= len(argv):
                    raise CommandError("ERR library name argument was not given")
                pattern = argv[i + 1]
                i += 1
            else:
                raise CommandError(f"ERR Unknown argument {argv[i].decode(errors='replace')}")
            i += 1
        result = []
        for library in self._library_table.values():
            if pattern is not None and not fnmatch.fnmatchcase(
                    library.name.decode("latin-1"), pattern.decode("latin-1")):
                continue
            entry: dict[bytes, Any] = {
                b"library_name": library.name, b"engine": b"LUA",
                b"functions": [
                    {b"name": fname, b"description": description,
                     b"flags": {flag.decode() for flag in flags}}
                    for fname, (_, flags, description) in library.functions.items()],
            }
            if withcode:
                entry[b"library_code"] = library.code
            result.append(entry)
        return result

    def _fcall(self, argv: Sequence[bytes], *, readonly: bool) -> Any:
        engine = self._engine_or_refuse(argv[0].decode(errors="replace"))
        found = None
        for library in self._library_table.values():
            found = library.functions.get(argv[1])
            if found is not None:
                break
        if found is None:
            raise CommandError("ERR Function not found")
        count = parse_int(argv[2])
        if count is None:
            raise CommandError("ERR Bad number of keys provided")
        if count > len(argv) - 3:
            raise CommandError("ERR Number of keys can't be greater than number of args")
        if count < 0:
            raise CommandError("ERR Number of keys can't be negative")
        callback, flags, _ = found
        no_writes = b"no-writes" in flags
        if readonly and not no_writes:
            raise CommandError(_WRITE_FLAG)
        keys, args = argv[3 : 3 + count], argv[3 + count :]
        with self._lock:
            return engine.run(callback, argv[1].decode(errors="replace"), keys, args,
                              readonly=readonly or no_writes, eval_mode=False)

    def _cmd_fcall(self, argv: Sequence[bytes]) -> Any:
        return self._fcall(argv, readonly=False)

    def _cmd_fcall_ro(self, argv: Sequence[bytes]) -> Any:
        return self._fcall(argv, readonly=True)


def _library_metadata(code: bytes) -> tuple[bytes, bytes]:
    """The library name of ``#!lua name=<name>`` and the code after that line (from its
    newline, so that line numbers count from the shebang)."""
    if not code.startswith(b"#!"):
        raise CommandError("ERR Missing library metadata")
    end = code.find(b"\n")
    if end < 0:
        raise CommandError("ERR Invalid library metadata")
    try:
        parts = shlex.split(code[:end].decode("utf-8", "surrogateescape"))
    except ValueError:
        raise CommandError("ERR Invalid library metadata") from None
    if not parts:
        raise CommandError("ERR Invalid library metadata")
    engine = parts[0][2:]
    name: str | None = None
    for part in parts[1:]:
        if part[:5].lower() == "name=":
            if name is not None:
                raise CommandError("ERR Invalid metadata value, name argument was given "
                                   "multiple times")
            name = part[5:]
            continue
        raise CommandError(f"ERR Invalid metadata value given: {part}")
    if name is None:
        raise CommandError("ERR Library name was not given")
    if not name or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
        raise CommandError(f"ERR {_LIBRARY_NAME}")
    if engine.upper() != "LUA":
        raise CommandError(f"ERR Engine '{engine}' not found")
    return name.encode("utf-8", "surrogateescape"), code[end:]
