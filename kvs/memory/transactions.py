"""MULTI/EXEC/DISCARD/WATCH/UNWATCH for the in-process store, as Redis 7.0 runs them.

Theory of operation
-------------------
A transaction belongs to a connection, and the store has none: a `Session` is one client's
connection state (its MULTI queue and its watched keys).  Every command of the session goes
through `Session.execute`; anything that is not a transaction command, outside MULTI, is a
plain `Store.execute`.  Inside MULTI a command is checked as Redis checks it at queue time
(known, right arity): a refused one answers its error and flags the transaction, whose EXEC
then answers EXECABORT; an accepted one answers ``QUEUED``.  EXEC runs the queue under the
store's one lock, so no command of any other client, thread or event loop lands between two
of its commands.

WATCH follows Redis's "touched key" rule rather than comparing values: a watched key is
touched by a command that modifies it (Redis's ``signalModifiedKey``), whichever client runs
it, even when the new value equals the old one (``SET k v`` over ``v``), but not by a command
that changes nothing (``DEL`` of a missing key, ``SET ... NX`` over a key, ``SADD`` of a
member already there).  The store keeps ``_watchers`` (key -> the sessions watching it);
while it is empty commands pay one dict test.  When a command names a watched key,
`TransactionCommands._apply_watched` takes the key's logical state (its value, or nothing
when absent or expired, and its deadline) before and after the command: a change touches
the key, and so does a successful command of `_ALWAYS_TOUCH` (they write even the same value).
FLUSHDB/FLUSHALL touch every watched key that existed.

Expiry: a key that was alive when watched and is gone (or expired) at EXEC, with no command
having touched it, expired meanwhile; that aborts the EXEC as in Redis 7.0.  A key already
expired when watched counts as absent, and its later removal changes nothing.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from kvs._errors import UnsupportedOperation
from kvs.commands.traits import argv_keys
from kvs.memory.keyspace import CommandError, Keyspace
from resp import ReplyError

__all__ = ["EXECABORT", "SESSION_COMMANDS", "Session", "TransactionCommands", "Watcher"]

EXECABORT = "EXECABORT Transaction discarded because of previous errors."

Entry = tuple[Callable[[Sequence[bytes]], Any], int, str, bool]

# Commands Redis counts as a modification whenever they succeed, even when the value stays
# the same; the EXPIRE family only when it answers 1.
_ALWAYS_TOUCH = frozenset({
    b"SET", b"SETEX", b"PSETEX", b"MSET", b"GETSET", b"SETRANGE", b"APPEND", b"INCR", b"DECR",
    b"INCRBY", b"DECRBY", b"INCRBYFLOAT", b"HSET", b"HMSET", b"HINCRBY", b"HINCRBYFLOAT",
    b"LSET",
})
_EXPIRE = frozenset({b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT"})
_FLUSH = frozenset({b"FLUSHDB", b"FLUSHALL"})
SESSION_COMMANDS = {b"MULTI": 1, b"EXEC": 1, b"DISCARD": 1, b"WATCH": -2, b"UNWATCH": 1}


def _ok(argv: Sequence[bytes]) -> str:
    return "OK"


# EXEC unwatches anyway, so an UNWATCH queued inside MULTI answers OK and does nothing else.
_UNWATCH_QUEUED: Entry = (_ok, 1, "unwatch", False)


class Watcher:
    """One session's watched keys: whether each was alive when watched, and whether any
    was touched since."""

    __slots__ = ("dirty", "keys")

    def __init__(self) -> None:
        self.keys: dict[bytes, bool] = {}
        self.dirty = False


class TransactionCommands(Keyspace):
    """The store's side of transactions: watched keys, and running a queue atomically.

    The store's reentrant ``_lock``, ``_resolve`` and ``execute`` (in `kvs.memory.store`)
    do the rest.
    """

    _watchers: dict[bytes, set[Watcher]]
    _lock: Any
    hold: Callable[[], Any]  # kvs.memory.blocked

    def _resolve(self, argv: Sequence[bytes]) -> Entry | ReplyError:
        raise NotImplementedError

    def execute(self, argv: Sequence[bytes]) -> Any:
        raise NotImplementedError

    def watch_keys(self, watcher: Watcher, keys: Sequence[bytes]) -> None:
        """Start watching `keys` for `watcher`."""
        with self._lock:
            self._now = int(self._clock() * 1000)
            for key in keys:
                if key not in watcher.keys:
                    watcher.keys[key] = self._lookup(key) is not None
                    self._watchers.setdefault(key, set()).add(watcher)

    def unwatch_keys(self, watcher: Watcher) -> None:
        """Forget every key `watcher` watches."""
        with self._lock:
            self._forget(watcher)

    def _forget(self, watcher: Watcher) -> None:
        for key in watcher.keys:
            watching = self._watchers.get(key)
            if watching is not None:
                watching.discard(watcher)
                if not watching:
                    del self._watchers[key]
        watcher.keys.clear()
        watcher.dirty = False

    def exec_queued(self, queued: Sequence[tuple[Entry, Sequence[bytes]]],
                    watcher: Watcher) -> list[Any] | None:
        """Run a transaction's commands under the lock: their replies, or None when a
        watched key was touched or has expired (nothing runs then).  Unwatches."""
        with self._lock:
            self._now = int(self._clock() * 1000)
            aborted = watcher.dirty or any(
                alive and self._lookup(key) is None for key, alive in watcher.keys.items())
            self._forget(watcher)
            if aborted:
                return None
            with self.hold():  # blocked clients are served once the whole queue ran
                return ["OK" if entry is _UNWATCH_QUEUED else self.execute(argv)
                        for entry, argv in queued]

    def _apply_watched(self, handler: Callable[[Sequence[bytes]], Any],
                       argv: Sequence[bytes]) -> Any:
        """Run a command while some key is watched (lock held), touching the watched keys
        it modifies."""
        name = argv[0].upper()
        watchers = self._watchers
        if name in _FLUSH:
            keys = [key for key in watchers if self._lookup(key) is not None]
        else:
            try:
                keys = [key for key in argv_keys(argv) if key in watchers]
            except UnsupportedOperation:
                keys = []
        before = [self._state(key) for key in keys]
        try:
            reply = handler(argv)
        except CommandError as exc:
            return ReplyError(exc.args[0])
        if keys and type(reply) is not ReplyError:
            always = (name in _ALWAYS_TOUCH and reply is not None) or (
                name in _EXPIRE and reply == 1) or name in _FLUSH
            for key, state in zip(keys, before, strict=True):
                if always or self._state(key) != state:
                    for watcher in watchers.get(key, ()):
                        watcher.dirty = True
        return reply

    def _state(self, key: bytes) -> tuple[Any, int | None]:
        """The logical state of `key`: a copy of its value (None when absent or expired)
        and its deadline."""
        value = self._lookup(key)
        if value is None:
            return None, None
        if type(value) is bytes:
            snapshot: Any = value
        elif type(value) is deque:
            snapshot = tuple(value)
        elif type(value) is dict or type(value) is set:
            snapshot = value.copy()
        else:  # a type with no cheap copy: compare a deep copy (==, or never equal)
            snapshot = copy.deepcopy(value)
        return snapshot, self._expires.get(key)


class Session:
    """One client's connection to a store: its MULTI queue and its watched keys.

    Example:
        >>> from kvs.memory.store import Store
        >>> session = Session(Store())
        >>> [session.execute(argv) for argv in ((b"MULTI",), (b"INCR", b"n"), (b"EXEC",))]
        ['OK', 'QUEUED', [1]]
    """

    def __init__(self, store: Any) -> None:
        self._store = store
        self._queue: list[tuple[Entry, Sequence[bytes]]] | None = None
        self._refused = False
        self._watcher = Watcher()

    @property
    def in_multi(self) -> bool:
        """Whether a MULTI is open."""
        return self._queue is not None

    @property
    def queued(self) -> list[Sequence[bytes]]:
        """The commands queued since MULTI (empty outside MULTI)."""
        return [argv for _, argv in self._queue or ()]

    def execute(self, argv: Sequence[bytes]) -> Any:
        """Run one command of this connection and return its raw reply, as Redis would.

        Raises:
            kvs.UnsupportedOperation: the store does not implement the command (inside
                MULTI the transaction is then refused at EXEC, as for an unknown command).
        """
        name = argv[0].upper()
        arity = SESSION_COMMANDS.get(name)
        if arity is None:
            if self._queue is None:
                return self._store.execute(argv)
            return self._enqueue(argv)
        if (len(argv) != arity) if arity > 0 else (len(argv) < -arity):
            message = f"wrong number of arguments for '{name.decode().lower()}' command"
            if name == b"EXEC":  # Redis aborts the transaction, in MULTI or not
                self._queue = None
                self._store.unwatch_keys(self._watcher)
                return ReplyError(f"EXECABORT Transaction discarded because of: {message}")
            if self._queue is not None:
                self._refused = True
            return ReplyError(f"ERR {message}")
        if name == b"MULTI":
            if self._queue is not None:
                return ReplyError("ERR MULTI calls can not be nested")
            self._queue = []
            self._refused = False
            return "OK"
        if name == b"EXEC":
            return self._exec()
        if name == b"DISCARD":
            if self._queue is None:
                return ReplyError("ERR DISCARD without MULTI")
            self._queue = None
            self._store.unwatch_keys(self._watcher)
            return "OK"
        if name == b"WATCH":
            if self._queue is not None:
                return ReplyError("ERR WATCH inside MULTI is not allowed")
            self._store.watch_keys(self._watcher, argv[1:])
            return "OK"
        if self._queue is not None:  # UNWATCH inside MULTI is queued, and does nothing
            self._queue.append((_UNWATCH_QUEUED, argv))
            return "QUEUED"
        self._store.unwatch_keys(self._watcher)
        return "OK"

    def _enqueue(self, argv: Sequence[bytes]) -> Any:
        assert self._queue is not None
        try:
            entry = self._store._resolve(argv)
        except UnsupportedOperation:
            self._refused = True
            raise
        if isinstance(entry, ReplyError):
            self._refused = True
            return entry
        self._queue.append((entry, argv))
        return "QUEUED"

    def _exec(self) -> Any:
        queue, self._queue = self._queue, None
        if queue is None:
            return ReplyError("ERR EXEC without MULTI")
        if self._refused:
            self._store.unwatch_keys(self._watcher)
            return ReplyError(EXECABORT)
        return self._store.exec_queued(queue, self._watcher)

    def close(self) -> None:
        """End the session: drop its queue and its watched keys."""
        self._queue = None
        self._store.unwatch_keys(self._watcher)
