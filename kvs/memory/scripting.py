"""EVAL, EVALSHA, SCRIPT, FUNCTION and FCALL for the in-process store, as Redis 7.0 runs them.

Theory of operation
-------------------
A script runs inside the store's ``execute``, so under the store's lock for its whole run:
atomic against every other client, thread and event loop.  ``redis.call`` goes back through
``Store.execute`` (the lock is reentrant), so a script's writes touch WATCHed keys exactly as
the same commands sent one by one would.  Before a command runs, `ScriptingCommands._from_script`
applies Redis's checks for commands from scripts, with Redis's messages: unknown command,
wrong arity, a command scripts may not call (blocking ones, MULTI, EVAL, ...), a write from a
read-only script (EVAL_RO, FCALL_RO, a ``no-writes`` function).  A command that would block
(BLMPOP, XREAD ... BLOCK) answers at once, as in Redis.

The Lua side (`kvs.memory.lua`) needs the optional extra ``kvs[lua]`` (lupa), imported on
the first script: without it every scripting command raises `kvs.UnsupportedOperation`
naming the extra, and nothing else in the store changes.

Scripts are cached per store by SHA1 (EVAL caches too, as Redis 7.0 does); SCRIPT FLUSH
empties the cache.  Libraries (FUNCTION LOAD) are kept per store with their functions: FUNCTION
and FCALL are in `kvs.memory.functions`, on top of these commands.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import Any

from kvs._errors import UnsupportedOperation
from kvs.commands.traits import BLOCKING, CONNECTION_STATE, IDEMPOTENT, KEY_POSITIONS
from kvs.memory.keyspace import NOT_INTEGER, CommandError, Keyspace
from kvs.memory.numbers import parse_int
from kvs.memory.waiting import WouldBlock
from resp import ReplyError

__all__ = ["NOSCRIPT", "SCRIPTING_COMMANDS", "ScriptingCommands", "WRITE_COMMANDS"]

SCRIPTING_COMMANDS: dict[str, int] = {
    "EVAL": -3, "EVALSHA": -3, "EVAL_RO": -3, "EVALSHA_RO": -3, "SCRIPT": -2,
    "FUNCTION": -2, "FCALL": -3, "FCALL_RO": -3,
}

NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."

# Redis 7.0's commands flagged "write" (refused from read-only scripts).
WRITE_COMMANDS = frozenset(b"""
APPEND COPY DECR DECRBY DEL EXPIRE EXPIREAT FLUSHALL FLUSHDB GETDEL GETEX GETSET HDEL HINCRBY
HINCRBYFLOAT HMSET HSET HSETNX INCR INCRBY INCRBYFLOAT LINSERT LMOVE LMPOP LPOP LPUSH LPUSHX
LREM LSET LTRIM MSET MSETNX PERSIST PEXPIRE PEXPIREAT PFADD PFMERGE PSETEX RENAME RENAMENX RPOP
RPOPLPUSH RPUSH RPUSHX SADD SDIFFSTORE SET SETEX SETNX SETRANGE SINTERSTORE SMOVE SPOP SREM
SUNIONSTORE UNLINK ZADD ZDIFFSTORE ZINCRBY ZINTERSTORE ZPOPMAX ZPOPMIN ZRANGESTORE ZREM
ZREMRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZUNIONSTORE BLMPOP BZMPOP ZMPOP SETBIT BITOP
BITFIELD GEOADD GEOSEARCHSTORE MOVE RESTORE SORT XADD XDEL XTRIM XACK XCLAIM XAUTOCLAIM
XGROUP XREADGROUP XSETID
""".split())

# Redis 7.0's commands flagged "noscript", and the script commands themselves.
_NOSCRIPT = frozenset(b"""
AUTH BLMOVE BLPOP BRPOP BRPOPLPUSH BZPOPMAX BZPOPMIN DISCARD EVAL EVALSHA EVALSHA_RO EVAL_RO
EXEC FCALL FCALL_RO HELLO MONITOR MULTI PSUBSCRIBE PUNSUBSCRIBE QUIT RESET SSUBSCRIBE
SUBSCRIBE SUNSUBSCRIBE UNSUBSCRIBE UNWATCH WAIT WATCH SCRIPT FUNCTION SYNC PSYNC
""".split())

# Commands Redis has that the store may lack: asked for from a script, they raise
# `UnsupportedOperation` rather than Redis's "Unknown Redis command".
_KNOWN = frozenset(
    name.split(b"|")[0] for name in (*KEY_POSITIONS, *IDEMPOTENT, *BLOCKING, *CONNECTION_STATE)
) | {b"CLIENT", b"CONFIG", b"INFO", b"TIME", b"RANDOMKEY", b"DBSIZE", b"LASTSAVE", b"ROLE",
     b"COMMAND", b"XREAD", b"XINFO", b"PUBSUB", b"PUBLISH", b"SPUBLISH", b"ZMPOP", b"BZMPOP",
     b"BLMPOP", b"ZRANDMEMBER", b"LCS", b"SORT", b"OBJECT", b"MEMORY", b"DUMP", b"RESTORE"}

_UNKNOWN = "ERR Unknown Redis command called from script"
_ARITY = "ERR Wrong number of args calling Redis command from script"
_NOT_ALLOWED = "ERR This Redis command is not allowed from script"
_READONLY = "ERR Write commands are not allowed from read-only scripts."
_WRITE_FLAG = "ERR Can not execute a script with write flag using *_ro command."
# Redis 7.0's arities of the subcommands (the ones the store lacks raise UnsupportedOperation).
_SUBCOMMANDS: dict[bytes, dict[bytes, int]] = {
    b"SCRIPT": {b"LOAD": 3, b"EXISTS": -3, b"FLUSH": -2, b"KILL": 2, b"HELP": 2, b"DEBUG": 3},
    b"FUNCTION": {b"LOAD": -3, b"DELETE": 3, b"FLUSH": -2, b"LIST": -2, b"KILL": 2,
                  b"STATS": 2, b"DUMP": 2, b"RESTORE": -3, b"HELP": 2},
}
_HANDLED = {b"SCRIPT": {b"LOAD", b"EXISTS", b"FLUSH", b"KILL"},
            b"FUNCTION": {b"LOAD", b"DELETE", b"FLUSH", b"LIST", b"KILL"}}


def _subcommand(argv: Sequence[bytes]) -> bytes:
    """The upper-cased subcommand of SCRIPT/FUNCTION, checked as Redis checks it."""
    container, sub = argv[0].upper(), argv[1].upper()
    arity = _SUBCOMMANDS[container].get(sub)
    if arity is None:
        raise CommandError(f"ERR unknown subcommand '{argv[1].decode(errors='replace')}'. Try "
                           f"{container.decode()} HELP.")
    if (len(argv) != arity) if arity > 0 else (len(argv) < -arity):
        raise CommandError(f"ERR wrong number of arguments for "
                           f"'{container.decode().lower()}|{sub.decode().lower()}' command")
    if sub not in _HANDLED[container]:
        raise UnsupportedOperation(f"{container.decode().lower()} {sub.decode().lower()} is not "
                                   "supported by the memory backend")
    return sub
class ScriptingCommands(Keyspace):
    """The store's scripting commands; the Lua engine is made on the first script."""

    _lock: Any
    _table: dict[bytes, Any]

    def execute(self, argv: Sequence[bytes]) -> Any:
        raise NotImplementedError

    def _engine_or_refuse(self, command: str) -> Any:
        engine = self.__dict__.get("_lua")
        if engine is None:
            from kvs.memory.lua import LuaEngine, LuaUnavailable

            try:
                engine = LuaEngine(self._from_script, self._is_command)
            except LuaUnavailable:
                raise UnsupportedOperation(
                    f"{command.lower()} on the memory backend needs Lua: install the optional "
                    "extra kvs[lua], which brings the lupa package "
                    "(pip install 'resp-kvs[lua]')") from None
            self.__dict__["_lua"] = engine
            self.__dict__.setdefault("_scripts", {})
            self.__dict__.setdefault("_libraries", {})
        return engine

    @property
    def _script_cache(self) -> dict[str, tuple[bytes, Any, frozenset[bytes] | None]]:
        return self.__dict__.setdefault("_scripts", {})  # type: ignore[no-any-return]

    # -- commands from a script ---------------------------------------------------------------

    def _is_command(self, name: bytes) -> bool:
        upper = name.upper()
        return upper in self._table or upper in _KNOWN or upper in _NOSCRIPT or upper == b"TIME"

    def _from_script(self, argv: list[bytes], readonly: bool) -> Any:
        """One ``redis.call``: Redis's checks for commands from scripts, then the command."""
        name = argv[0].upper()
        entry = self._table.get(name)
        if entry is None:
            if name == b"TIME":  # the store has no TIME of its own; scripts often ask for it
                if len(argv) != 1:
                    return ReplyError(_ARITY)
                micros = time.time_ns() // 1000
                return [b"%d" % (micros // 1_000_000), b"%d" % (micros % 1_000_000)]
            if name in _NOSCRIPT:
                return ReplyError(_NOT_ALLOWED)
            if name in _KNOWN:
                raise UnsupportedOperation(
                    f"{name.decode(errors='replace').lower()} is not supported by the memory "
                    "backend")
            return ReplyError(_UNKNOWN)
        arity = entry[1]
        if (len(argv) != arity) if arity > 0 else (len(argv) < -arity):
            return ReplyError(_ARITY)
        if name in _NOSCRIPT:
            return ReplyError(_NOT_ALLOWED)
        if readonly and name in WRITE_COMMANDS:
            return ReplyError(_READONLY)
        try:
            return self.execute(argv)
        except WouldBlock as blocked:  # scripts never block: the timeout's answer at once
            return blocked.timeout_reply

    # -- EVAL and EVALSHA ---------------------------------------------------------------------

    def _numkeys(self, argv: Sequence[bytes]) -> int:
        count = parse_int(argv[2])
        if count is None:
            raise CommandError(NOT_INTEGER)
        if count > len(argv) - 3:
            raise CommandError("ERR Number of keys can't be greater than number of args")
        if count < 0:
            raise CommandError("ERR Number of keys can't be negative")
        return count

    def _compiled(self, engine: Any, body: bytes) -> tuple[str, Any, frozenset[bytes] | None]:
        """The script's SHA1, its function and its shebang flags (None without a shebang),
        compiled once and cached."""
        sha = hashlib.sha1(body).hexdigest()
        cached = self._script_cache.get(sha)
        if cached is None:
            from kvs.memory.lua import ScriptError

            flags, start = _shebang_flags(body)
            try:  # past the shebang, from its newline: line numbers stay the user's
                function = engine.compile(body[start:], b"@user_script")
            except ScriptError as exc:
                raise CommandError(f"ERR Error compiling script (new function): {exc}") from None
            cached = self._script_cache[sha] = (body, function, flags)
        return sha, cached[1], cached[2]

    def _run_script(self, argv: Sequence[bytes], *, by_sha: bool, readonly: bool) -> Any:
        engine = self._engine_or_refuse(argv[0].decode(errors="replace"))
        numkeys = self._numkeys(argv)
        if by_sha:
            sha = argv[1].decode("latin-1").lower()
            cached = self._script_cache.get(sha)
            if cached is None:
                return ReplyError(NOSCRIPT)
            function, flags = cached[1], cached[2]
        else:
            sha, function, flags = self._compiled(engine, argv[1])
        no_writes = flags is not None and b"no-writes" in flags
        if readonly and flags is not None and not no_writes:
            raise CommandError(_WRITE_FLAG)
        keys, args = argv[3 : 3 + numkeys], argv[3 + numkeys :]
        with self._lock:
            return engine.run(function, sha, keys, args, readonly=readonly or no_writes,
                              eval_mode=True)

    def _cmd_eval(self, argv: Sequence[bytes]) -> Any:
        return self._run_script(argv, by_sha=False, readonly=False)

    def _cmd_eval_ro(self, argv: Sequence[bytes]) -> Any:
        return self._run_script(argv, by_sha=False, readonly=True)

    def _cmd_evalsha(self, argv: Sequence[bytes]) -> Any:
        return self._run_script(argv, by_sha=True, readonly=False)

    def _cmd_evalsha_ro(self, argv: Sequence[bytes]) -> Any:
        return self._run_script(argv, by_sha=True, readonly=True)

    # -- SCRIPT -------------------------------------------------------------------------------

    def _cmd_script(self, argv: Sequence[bytes]) -> Any:
        engine = self._engine_or_refuse("script " + argv[1].decode(errors="replace"))
        sub = _subcommand(argv)
        if sub == b"LOAD":
            sha, _, _ = self._compiled(engine, argv[2])
            return sha.encode()
        if sub == b"EXISTS":
            cache = self._script_cache
            return [int(arg.decode("latin-1").lower() in cache) for arg in argv[2:]]
        if sub == b"FLUSH":
            if len(argv) > 3 or (len(argv) == 3 and argv[2].upper() not in (b"SYNC", b"ASYNC")):
                raise CommandError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
            self._script_cache.clear()
            return "OK"
        return ReplyError("NOTBUSY No scripts in execution right now.")

_SCRIPT_FLAGS = frozenset({b"no-writes", b"allow-oom", b"allow-stale", b"no-cluster",
                           b"allow-cross-slot-keys"})


def _shebang_flags(body: bytes) -> tuple[frozenset[bytes] | None, int]:
    """An EVAL script's ``#!lua flags=...`` line: its flags (None without a shebang, Redis's
    compatibility mode) and where the code starts (at the shebang's newline)."""
    if not body.startswith(b"#!"):
        return None, 0
    end = body.find(b"\n")
    if end < 0:
        raise CommandError("ERR Invalid script shebang")
    parts = body[:end].split()
    if not parts:
        raise CommandError("ERR Invalid engine in script shebang")
    if parts[0] != b"#!lua":
        raise CommandError("ERR Unexpected engine in script shebang: "
                           + parts[0].decode(errors="replace"))
    flags: set[bytes] = set()
    for part in parts[1:]:
        if not part.startswith(b"flags="):
            raise CommandError("ERR Unknown lua shebang option: " + part.decode(errors="replace"))
        for flag in part[6:].split(b","):
            if flag not in _SCRIPT_FLAGS:
                raise CommandError("ERR Unexpected flag in script shebang: "
                                   + flag.decode(errors="replace"))
            flags.add(flag)
    return frozenset(flags), end
