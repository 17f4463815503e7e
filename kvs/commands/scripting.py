"""Operations on Lua scripts and functions: EVAL and EVALSHA (and their read-only forms),
SCRIPT LOAD/EXISTS/FLUSH, FUNCTION LOAD/LIST/DELETE/FLUSH, FCALL and FCALL_RO.

A script's reply is the Lua value as the server converted it (a Lua number becomes an
integer, a table an array, ``{ok=...}`` a status, ...), decoded as `execute` decodes replies.
A script or function that may have run is never sent twice: EVAL, EVALSHA and FCALL are not
idempotent; the ``_ro`` forms only read (the server refuses a write in them) and are.  Their
keys are the ``numkeys`` arguments after the script, found by `traits.argv_keys`, so a
cluster can route them.
"""

from __future__ import annotations

from typing import Any

from ._args import choice, key_list, value_bytes, value_list
from ._call import NO_KEYS, Call, operation
from ._decode import as_parsed, ok_true, ones_are_true
from .types import Keys, Value, Values

__all__ = [
    "eval_", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro", "function_delete",
    "function_flush", "function_list", "function_load", "script_exists", "script_flush",
    "script_load", "sha_text",
]


def _invocation(op: str, verb: bytes, head: object, what: str, *, keys: Keys,
                args: Values) -> tuple[bytes, ...]:
    checked = key_list(op, keys)
    return (verb, value_bytes(op, head, what), b"%d" % len(checked), *checked,
            *value_list(op, args, "args"))


@operation
def eval_(script: Value, keys: Keys = (), args: Values = ()) -> Call[Any]:
    """Run the Lua `script` with ``KEYS`` = `keys` and ``ARGV`` = `args`; return its reply
    as the server converted it (decoded unless ``decode=False``).  Never sent twice.

    Example::

        await db.eval("return redis.call('INCR', KEYS[1])", ["hits"])   # 1
    """
    argv = _invocation("eval", b"EVAL", script, "script", keys=keys, args=args)
    return Call(argv, as_parsed, False, None)


@operation
def eval_ro(script: Value, keys: Keys = (), args: Values = ()) -> Call[Any]:
    """`eval` of a script that only reads (the server refuses its writes); retried as a
    read."""
    argv = _invocation("eval_ro", b"EVAL_RO", script, "script", keys=keys, args=args)
    return Call(argv, as_parsed, True, None)


@operation
def evalsha(sha: str, keys: Keys = (), args: Values = ()) -> Call[Any]:
    """Run the script cached under `sha` (see `script_load`); NOSCRIPT when the server does
    not hold it.  Never sent twice."""
    argv = _invocation("evalsha", b"EVALSHA", sha, "sha", keys=keys, args=args)
    return Call(argv, as_parsed, False, None)


@operation
def evalsha_ro(sha: str, keys: Keys = (), args: Values = ()) -> Call[Any]:
    """`evalsha` of a script that only reads; retried as a read."""
    argv = _invocation("evalsha_ro", b"EVALSHA_RO", sha, "sha", keys=keys, args=args)
    return Call(argv, as_parsed, True, None)


def sha_text(reply: Any, decode: bool) -> str:
    """A SHA1 digest (bulk string) as text, whatever ``decode`` says."""
    if type(reply) is bytes:
        return reply.decode()
    return as_parsed(reply, True)  # type: ignore[no-any-return]


@operation
def script_load(script: Value) -> Call[str]:
    """Cache `script` on the server without running it; return its SHA1 (hex, ``str``),
    the name `evalsha` takes."""
    return Call((b"SCRIPT", b"LOAD", value_bytes("script_load", script, "script")), sha_text,
                True, NO_KEYS)


@operation
def script_exists(*shas: str) -> Call[list[bool]]:
    """Whether the server holds a script for each of `shas`, in order."""
    if not shas:
        raise TypeError("script_exists: at least one sha is required")
    return Call((b"SCRIPT", b"EXISTS", *(value_bytes("script_exists", s, "sha") for s in shas)),
                ones_are_true, True, NO_KEYS)


def _flush_mode(op: str, mode: str | None) -> tuple[bytes, ...]:
    return () if mode is None else (choice(op, mode, "mode", ("SYNC", "ASYNC")),)


@operation
def script_flush(mode: str | None = None) -> Call[bool]:
    """Empty the server's script cache (`mode` ``"SYNC"`` or ``"ASYNC"``); True."""
    return Call((b"SCRIPT", b"FLUSH", *_flush_mode("script_flush", mode)), ok_true, True,
                NO_KEYS)


def _library_name(reply: Any, decode: bool) -> str:
    return sha_text(reply, decode)


@operation
def function_load(code: Value, replace: bool = False) -> Call[str]:
    """Load a library of functions; `code` starts with ``#!lua name=<library>`` and calls
    ``redis.register_function``.  Return the library's name.  With `replace`, a library of
    that name is replaced; without, loading it again is an error.

    Example::

        await db.function_load("#!lua name=lib\\n"
                               "redis.register_function('hi', function() return 'hi' end)")
    """
    option = (b"REPLACE",) if replace else ()
    return Call((b"FUNCTION", b"LOAD", *option, value_bytes("function_load", code, "code")),
                _library_name, bool(replace), NO_KEYS)


def _text(value: Any) -> Any:
    return value.decode() if type(value) is bytes else value


def _fields(entry: Any) -> dict[str, Any]:
    """A RESP3 map or a RESP2 flat list of name/value pairs, with text names."""
    if isinstance(entry, dict):
        items = list(entry.items())
    else:
        items = list(zip(entry[::2], entry[1::2], strict=True))
    return {_text(name): value for name, value in items}


def _library(entry: Any, decode: bool) -> dict[str, Any]:
    library = _fields(entry)
    result: dict[str, Any] = {}
    for name, value in library.items():
        if name == "functions":
            functions = []
            for function in value:
                fields = _fields(function)
                fields["name"] = _text(fields.get("name"))
                if fields.get("description") is not None and decode:
                    fields["description"] = _text(fields["description"])
                fields["flags"] = {_text(flag) for flag in fields.get("flags") or ()}
                functions.append(fields)
            result[name] = functions
        elif name in ("library_name", "engine"):
            result[name] = _text(value)
        else:
            result[name] = as_parsed(value, decode)
    return result


def _libraries(reply: Any, decode: bool) -> list[dict[str, Any]]:
    return [_library(entry, decode) for entry in reply]


@operation
def function_list(library: str | None = None, withcode: bool = False) -> Call[list[dict[str, Any]]]:
    """The loaded libraries (those whose name matches the glob `library`): each a dict with
    ``library_name``, ``engine``, ``functions`` (dicts of ``name``, ``description``,
    ``flags`` as a set) and, with `withcode`, ``library_code``."""
    argv: tuple[bytes, ...] = (b"FUNCTION", b"LIST")
    if library is not None:
        argv += (b"LIBRARYNAME", value_bytes("function_list", library, "library"))
    if withcode:
        argv += (b"WITHCODE",)
    return Call(argv, _libraries, True, NO_KEYS)


@operation
def function_delete(library: str) -> Call[bool]:
    """Delete the library `library` and its functions; True (an error when missing)."""
    return Call((b"FUNCTION", b"DELETE", value_bytes("function_delete", library, "library")),
                ok_true, False, NO_KEYS)


@operation
def function_flush(mode: str | None = None) -> Call[bool]:
    """Delete every library (`mode` ``"SYNC"`` or ``"ASYNC"``); True."""
    return Call((b"FUNCTION", b"FLUSH", *_flush_mode("function_flush", mode)), ok_true, True,
                NO_KEYS)


@operation
def fcall(function: str, keys: Keys = (), args: Values = ()) -> Call[Any]:
    """Call the loaded function `function` with `keys` and `args`; its reply as the server
    converted it.  Never sent twice."""
    argv = _invocation("fcall", b"FCALL", function, "function", keys=keys, args=args)
    return Call(argv, as_parsed, False, None)


@operation
def fcall_ro(function: str, keys: Keys = (), args: Values = ()) -> Call[Any]:
    """`fcall` of a function flagged ``no-writes``; retried as a read."""
    argv = _invocation("fcall_ro", b"FCALL_RO", function, "function", keys=keys, args=args)
    return Call(argv, as_parsed, True, None)
