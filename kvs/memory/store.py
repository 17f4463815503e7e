"""The in-process store: a Redis command interpreter with Redis's exact semantics.

Theory of operation: a `Store` takes the same argv a Redis server would get (a sequence of
``bytes``) and returns the raw reply ``resp.Parser`` would produce from Redis 7 over RESP3:
``bytes``, ``str`` for simple strings, ``int``, ``float``, ``None``, ``list``, ``dict``,
``set``, or a ``resp.ReplyError`` *returned* for an error reply.  A command the store does not
implement raises `kvs.UnsupportedOperation` instead, so a caller can tell "Redis would refuse
this" from "this backend cannot do it".

The command name is looked up, upper-cased, in a table of bound methods built once per store,
together with its Redis arity (positive: exact; negative: at least).  One lock
(`threading.RLock`) is held for the whole command, so every command is atomic with respect to
every other, whichever threads or event loops they come from; a pipeline or an EXEC holds it
across all of its commands (``kvs.memory.batch``, ``kvs.memory.transactions``, which also
keeps WATCH's touched keys).

The keyspace and expiry live in ``keyspace``, the commands in one module per family
(``keys``, ``strings``, ``lists``, ``hashes``, ``sets``, ``zsets`` and ``zsetops`` over the
ordered index of ``zindex``, ``hll``, ``streams`` and ``streamgroups`` over the
``streamdata`` value, and SCAN with its cursors in ``scan``), the glob matcher
of KEYS in ``glob`` and Redis's number parsing and ``long double`` arithmetic in ``numbers``.

`get_store` returns the process-wide store for a URL, so that every client of ``:memory:``
(or of the same ``memory://NAME``) sees the same data, as clients of one server would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kvs._errors import UnsupportedOperation
from kvs.memory.blocked import BlockedClients
from kvs.memory.blocking_pops import BlockingPopCommands
from kvs.memory.functions import FunctionCommands
from kvs.memory.hashes import HashCommands
from kvs.memory.hll import HllCommands
from kvs.memory.keys import KeyCommands
from kvs.memory.keyspace import NOT_INTEGER, CommandError
from kvs.memory.lists import ListCommands
from kvs.memory.numbers import parse_int
from kvs.memory.pubsub import Broker, PubSubCommands
from kvs.memory.scan import ScanCommands
from kvs.memory.scripting import SCRIPTING_COMMANDS
from kvs.memory.sets import SetCommands
from kvs.memory.streamgroups import StreamGroupCommands
from kvs.memory.strings import StringCommands
from kvs.memory.transactions import Entry, TransactionCommands, Watcher
from kvs.memory.waiting import WouldBlock
from kvs.memory.zsetops import ZSetOpCommands
from kvs.memory.zsets import ZSetCommands
from resp import ReplyError

__all__ = ["COMMANDS", "DEFAULT_NAME", "Store", "get_store"]

# Every command the store implements, with Redis 7.0's arity.
COMMANDS: dict[str, int] = {
    "PING": -1, "ECHO": 2, "SELECT": 2, "DBSIZE": 1, "FLUSHDB": -1, "FLUSHALL": -1,
    "GET": 2, "SET": -3, "GETDEL": 2, "GETEX": -2, "GETSET": 3, "SETNX": 3, "SETEX": 4,
    "PSETEX": 4, "MGET": -2, "MSET": -3, "MSETNX": -3, "APPEND": 3, "STRLEN": 2,
    "GETRANGE": 4, "SETRANGE": 4,
    "INCR": 2, "DECR": 2, "INCRBY": 3, "DECRBY": 3, "INCRBYFLOAT": 3,
    "DEL": -2, "UNLINK": -2, "EXISTS": -2, "TOUCH": -2, "TYPE": 2, "KEYS": 2,
    "RANDOMKEY": 1, "RENAME": 3, "RENAMENX": 3, "COPY": -3,
    "EXPIRE": -3, "PEXPIRE": -3, "EXPIREAT": -3, "PEXPIREAT": -3,
    "TTL": 2, "PTTL": 2, "EXPIRETIME": 2, "PEXPIRETIME": 2, "PERSIST": 2,
    "LPUSH": -3, "RPUSH": -3, "LPUSHX": -3, "RPUSHX": -3, "LPOP": -2, "RPOP": -2,
    "LRANGE": 4, "LLEN": 2, "LINDEX": 3, "LSET": 4, "LINSERT": 5, "LREM": 4, "LTRIM": 4,
    "LPOS": -3, "LMOVE": 5, "RPOPLPUSH": 3, "LMPOP": -4,
    "HSET": -4, "HMSET": -4, "HSETNX": 4, "HGET": 3, "HMGET": -3, "HGETALL": 2, "HDEL": -3,
    "HEXISTS": 3, "HLEN": 2, "HSTRLEN": 3, "HKEYS": 2, "HVALS": 2, "HINCRBY": 4,
    "HINCRBYFLOAT": 4, "HRANDFIELD": -2,
    "SADD": -3, "SREM": -3, "SMEMBERS": 2, "SISMEMBER": 3, "SMISMEMBER": -3, "SCARD": 2,
    "SPOP": -2, "SRANDMEMBER": -2, "SMOVE": 4, "SINTER": -2, "SUNION": -2, "SDIFF": -2,
    "SINTERSTORE": -3, "SUNIONSTORE": -3, "SDIFFSTORE": -3, "SINTERCARD": -3,
    "SCAN": -2, "HSCAN": -3, "SSCAN": -3, "ZSCAN": -3,
    # sorted sets and HyperLogLog
    "ZADD": -4, "ZINCRBY": 4, "ZREM": -3, "ZSCORE": 3, "ZMSCORE": -3, "ZCARD": 2,
    "ZCOUNT": 4, "ZLEXCOUNT": 4, "ZRANK": 3, "ZREVRANK": 3, "ZRANGE": -4, "ZRANGESTORE": -5,
    "ZRANGEBYSCORE": -4, "ZREVRANGEBYSCORE": -4, "ZRANGEBYLEX": -4, "ZREVRANGEBYLEX": -4,
    "ZREVRANGE": -4, "ZREMRANGEBYRANK": 4, "ZREMRANGEBYSCORE": 4, "ZREMRANGEBYLEX": 4,
    "ZPOPMIN": -2, "ZPOPMAX": -2, "ZRANDMEMBER": -2, "ZUNIONSTORE": -4, "ZINTERSTORE": -4,
    "ZDIFFSTORE": -4, "ZUNION": -3, "ZINTER": -3, "ZDIFF": -3, "ZINTERCARD": -3,
    "PFADD": -2, "PFCOUNT": -2, "PFMERGE": -2,
    "PUBLISH": 3, "SPUBLISH": 3, "PUBSUB": -2,  # kvs.memory.pubsub
    # streams (kvs.memory.streams, streamreads, streampending, streamgroups)
    "XADD": -5, "XLEN": 2, "XRANGE": -4, "XREVRANGE": -4, "XDEL": -3, "XTRIM": -4,
    "XSETID": -3, "XREAD": -4, "XREADGROUP": -7, "XGROUP": -2, "XACK": -4, "XPENDING": -3,
    "XCLAIM": -6, "XAUTOCLAIM": -6, "XINFO": -2,
    **SCRIPTING_COMMANDS,  # kvs.memory.scripting
    # blocking commands (kvs.memory.blocking_pops, kvs.memory.blocked)
    "BLPOP": -3, "BRPOP": -3, "BRPOPLPUSH": 4, "BLMOVE": 6, "BLMPOP": -5,
    "BZPOPMIN": -3, "BZPOPMAX": -3, "BZMPOP": -5,
}  # fmt: skip

# The commands that read the clock even when no key has a deadline: they may set one.
_TIMED = frozenset(
    ("SET", "SETEX", "PSETEX", "GETEX", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT",
     # streams: automatic ids, delivery and idle times
     "XADD", "XREADGROUP", "XGROUP", "XPENDING", "XCLAIM", "XAUTOCLAIM", "XINFO")
)

DEFAULT_NAME = ":memory:"
T = TypeVar("T")


class Store(
    KeyCommands,
    StringCommands,
    ListCommands,
    HashCommands,
    SetCommands,
    ScanCommands,
    ZSetCommands,
    ZSetOpCommands,
    HllCommands,
    StreamGroupCommands,
    PubSubCommands,
    TransactionCommands,
    FunctionCommands,
    BlockingPopCommands,
    BlockedClients,
):
    """An in-process keyspace that answers Redis commands exactly as Redis 7.0 does.

    Args:
        clock: returns the current time in seconds; only its differences matter for TTLs.
            Tests pass a fake clock to make expiry instant.

    Example:
        >>> store = Store()
        >>> store.execute((b"SET", b"k", b"1", b"EX", b"10"))
        'OK'
        >>> store.execute((b"INCR", b"k")), store.execute((b"TTL", b"k"))
        (2, 10)
        >>> store.execute((b"LPUSH", b"k", b"x"))
        ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value')
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        # Reentrant: a pipeline or an EXEC runs its commands through `execute` under one hold.
        self._lock = threading.RLock()
        self._watchers: dict[bytes, set[Watcher]] = {}  # kvs.memory.transactions
        self._init_blocked()  # kvs.memory.blocked: clients waiting on keys
        self.broker = Broker()  # pub/sub: every subscriber of this store
        self._table: dict[bytes, Entry] = {}
        for name, arity in COMMANDS.items():
            handler = getattr(self, "_cmd_" + name.lower())
            entry = (handler, arity, name.lower(), name in _TIMED)
            self._table[name.encode()] = self._table[name.lower().encode()] = entry

    def execute(self, argv: Sequence[bytes]) -> Any:
        """Run one command and return its raw reply.

        Args:
            argv: the command name and its arguments, each ``bytes``.

        Returns:
            The reply as ``resp.Parser`` would give it for Redis 7 over RESP3; an error reply
            is returned as a ``resp.ReplyError``, not raised.

        Raises:
            kvs.UnsupportedOperation: the store does not implement this command.
        """
        # The common case inline (a call costs as much as a small command): an upper-case
        # name of the table with the right arity; `_resolve` handles the rest.
        entry = self._table.get(argv[0]) if argv else None
        if entry is None or (
                (len(argv) != entry[1]) if entry[1] > 0 else (len(argv) < -entry[1])):
            resolved = self._resolve(argv)
            if isinstance(resolved, ReplyError):
                return resolved
            entry = resolved
        handler, _, _, timed = entry
        with self._lock:
            # Time matters only to keys with a deadline and to the commands that set one.
            if timed or self._expires:
                self._now = int(self._clock() * 1000)
                self._countdown -= 1
                if self._countdown <= 0:
                    self._sweep_some()
            if self._waiting:
                return self._run_waking(
                    self._watched(handler) if self._watchers else handler, argv)
            if self._watchers:
                try:
                    return self._apply_watched(handler, argv)
                except WouldBlock as exc:
                    return self._would_block(argv, exc)
            try:
                return handler(argv)
            except CommandError as exc:
                return ReplyError(exc.args[0])
            except WouldBlock as exc:
                return self._would_block(argv, exc)

    def _watched(self, handler: Callable[[Sequence[bytes]], Any]) -> Any:
        return lambda argv: self._apply_watched(handler, argv)

    def _resolve(self, argv: Sequence[bytes]) -> Entry | ReplyError:
        """The table entry of a command, or the error reply of a wrong arity."""
        if not argv:
            raise UnsupportedOperation("memory backend got an empty command")
        name = argv[0]
        entry = self._table.get(name)  # the table holds upper- and lower-case names
        if entry is None:
            entry = self._table.get(name.upper())
            if entry is None:
                shown = name.decode("utf-8", "replace").lower()
                raise UnsupportedOperation(f"{shown} is not supported by the memory backend")
        arity = entry[1]
        n = len(argv)
        if (n != arity) if arity > 0 else (n < -arity):
            return ReplyError(f"ERR wrong number of arguments for '{entry[2]}' command")
        return entry

    def key_count(self) -> int:
        """The number of keys held, expired or not (expired keys are removed lazily)."""
        with self._lock:
            return len(self._data)

    def expires_count(self) -> int:
        """The number of keys with a time to live (expired ones are removed lazily)."""
        with self._lock:
            return len(self._expires)

    def peek(self, key: bytes, inspect: Callable[[Any], T]) -> T | None:
        """``inspect(value)`` for the live value of `key`, under the lock; None when missing.

        For servers that report on values (OBJECT ENCODING): the value is the store's own
        (``bytes``, ``deque``, ``dict``, ``set``...) and must not be changed or kept.
        """
        with self._lock:
            self._now = int(self._clock() * 1000)
            value = self._lookup(key)
            return None if value is None else inspect(value)

    def _cmd_select(self, argv: Sequence[bytes]) -> Any:
        index = parse_int(argv[1])
        if index is None:
            raise CommandError(NOT_INTEGER)
        if not 0 <= index < 16:
            raise CommandError("ERR DB index is out of range")
        if index != 0:
            raise UnsupportedOperation("memory backend has only database 0")
        return "OK"


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def get_store(name: str) -> Store:
    """The process-wide store for ``name``, created on first use.

    ``":memory:"`` names the default store; for ``memory://NAME`` pass ``NAME``, or the whole
    URL.  Every client of one name shares one store, as clients of one server share its data.

    Args:
        name: ``":memory:"``, a URL ``memory://NAME``, or a bare ``NAME``.

    Returns:
        The `Store` for that name; always the same object for the same name.
    """
    if name.startswith("memory://"):
        name = name.removeprefix("memory://")
    with _stores_lock:
        store = _stores.get(name)
        if store is None:
            store = _stores[name] = Store()
        return store
