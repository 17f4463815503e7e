"""Clients blocked on keys of the in-process store, and how they are served.

Theory of operation
-------------------
A blocking command's handler raises `WouldBlock` when it has nothing to serve
(`kvs.memory.waiting`).  What happens then depends on how it was called:

- through `Store.execute`, or nested in anything (a pipeline under one hold, EXEC, a script),
  the command cannot block: it answers its ``timeout_reply`` at once, as Redis does;
- through `execute_or_wait(argv, waiter)`, the one entry that may block, the `Waiter` is
  queued (under the store's lock) at the end of the queue of each key it waits on, and
  `execute_or_wait` returns the waiter itself.  The caller then waits on it in its own way
  (a trio task, a thread) and removes it with `forget` when it gives up.

Serving: while some client waits (``_waiting`` is not empty; otherwise commands pay one
dict test), every command notes which of its keys have waiters (``_ready``, in the order
they were noted, each once).  When the outermost command (or pipeline, or EXEC: ``_hold``
counts the nesting) is done, `_serve` takes the ready keys in order and, for each, retries
its waiters' ``retry`` argv in the order they started waiting, until the key is gone: the
first one gets the first element, and a waiter served removes itself from every key it
waited on.  A retry that raises `WouldBlock` again leaves its waiter in place; a retry that
answers (an element, or an error) serves it: the reply is deposited in the waiter and
`Waiter.wake` is called, still under the lock.  A retry is a command like any other, so
BLMOVE's push to its destination makes that key ready in turn and its waiters are served
in the same pass, as Redis does.  A retry answering WRONGTYPE leaves the waiter waiting
(Redis 7.0 serves a list waiter only from a list).

A waiter is served at most once and forgotten at most once, both under the lock: whoever
gives up waiting (timeout, cancellation) takes the lock and either finds the reply already
deposited (and must take it: the element is popped) or removes the waiter, after which no
command can serve it.  Nothing is lost either way.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from kvs._errors import UnsupportedOperation
from kvs.commands.traits import argv_keys
from kvs.memory.keyspace import CommandError, Keyspace
from kvs.memory.waiting import WouldBlock
from resp import ReplyError

__all__ = ["BlockedClients", "Waiter"]


class Waiter:
    """One client waiting for a blocking command to be served.

    The store fills ``keys``, ``timeout``, ``retry`` and ``timeout_reply`` from the
    `WouldBlock` when it queues the waiter, and ``reply`` / ``served`` when it serves it, then
    calls `wake` (under its lock: `wake` must not block nor call the store).
    """

    __slots__ = ("keys", "reply", "retry", "served", "timeout", "timeout_reply")

    def __init__(self) -> None:
        self.keys: tuple[bytes, ...] = ()
        self.retry: tuple[bytes, ...] = ()
        self.timeout: float | None = None
        self.timeout_reply: Any = None
        self.reply: Any = None
        self.served = False

    def wake(self) -> None:
        """Called once, under the store's lock, after ``reply`` was deposited."""


class BlockedClients(Keyspace):
    """The store's side of blocking commands (a mixin of `kvs.memory.store.Store`)."""

    _lock: Any

    def _init_blocked(self) -> None:
        self._waiting: dict[bytes, deque[Waiter]] = {}
        self._ready: dict[bytes, None] = {}  # keys that may serve a waiter, in order
        self._hold = 0  # nesting of commands run under one hold: serve when it is back to 0
        self._waitable: Sequence[bytes] | None = None  # the argv that may block right now
        self._blocked: WouldBlock | None = None

    def execute(self, argv: Sequence[bytes]) -> Any:
        raise NotImplementedError

    # -- entering and leaving ------------------------------------------------------------

    def execute_or_wait(self, argv: Sequence[bytes], waiter: Waiter) -> Any:
        """Run a command that may block: its reply, or `waiter` itself, now queued.

        Raises:
            kvs.UnsupportedOperation: as `Store.execute`.
        """
        with self._lock:
            blocked, reply = self._attempt(argv)
            if blocked is None:
                return reply
            waiter.keys = blocked.keys
            waiter.timeout = blocked.timeout
            waiter.retry = blocked.retry
            waiter.timeout_reply = blocked.timeout_reply
            waiting = self._waiting
            for key in dict.fromkeys(blocked.keys):
                queue = waiting.get(key)
                if queue is None:
                    queue = waiting[key] = deque()
                queue.append(waiter)
            return waiter

    def forget(self, waiter: Waiter) -> bool:
        """Stop waiting: True when `waiter` was removed unserved, False when it was served
        already (its ``reply`` is then the caller's to take)."""
        with self._lock:
            if waiter.served:
                return False
            self._unqueue(waiter)
            return True

    def blocked_count(self) -> int:
        """How many clients wait (INFO's ``blocked_clients``)."""
        with self._lock:
            return len({id(w) for queue in self._waiting.values() for w in queue})

    def _unqueue(self, waiter: Waiter) -> None:
        waiting = self._waiting
        for key in dict.fromkeys(waiter.keys):
            queue = waiting.get(key)
            if queue is None:
                continue
            try:
                queue.remove(waiter)
            except ValueError:
                continue
            if not queue:
                del waiting[key]
                self._ready.pop(key, None)

    # -- the store's hooks -----------------------------------------------------------------

    def _attempt(self, argv: Sequence[bytes]) -> tuple[WouldBlock | None, Any]:
        """Run `argv` where it may block (lock held): (the WouldBlock, None) or (None, reply)."""
        self._waitable = argv
        self._blocked = None
        try:
            reply = self.execute(argv)
        finally:
            self._waitable = None
        blocked, self._blocked = self._blocked, None
        return blocked, reply

    def _would_block(self, argv: Sequence[bytes], exc: WouldBlock) -> Any:
        """What `execute` answers for a command that would block (lock held)."""
        if argv is self._waitable:
            self._waitable = None  # only the command itself, never what it runs nested
            self._blocked = exc
            return None
        return exc.timeout_reply

    def _run_waking(self, run: Any, argv: Sequence[bytes]) -> Any:
        """Run a command while clients wait (lock held): note the keys it may have made
        ready, and serve them once the outermost command is done."""
        self._hold += 1
        blocked = False
        try:
            reply = run(argv)
        except CommandError as exc:
            reply = ReplyError(exc.args[0])
        except WouldBlock as exc:
            blocked = True
            reply = self._would_block(argv, exc)
        finally:
            self._hold -= 1
        if not blocked and type(reply) is not ReplyError:
            self._note(argv)
        if not self._hold and self._ready:
            self._serve()
        return reply

    def _note(self, argv: Sequence[bytes]) -> None:
        waiting = self._waiting
        try:
            keys = argv_keys(argv)
        except UnsupportedOperation:
            return
        for key in keys:
            if key in waiting:
                self._ready[key] = None

    def hold(self) -> _Hold:
        """A context (lock held) in which commands serve no waiter until it ends: EXEC's
        queue and a pipeline run under one hold."""
        return _Hold(self)

    def _serve(self) -> None:
        self._hold += 1
        try:
            waiting = self._waiting
            while self._ready:
                ready = list(self._ready)
                self._ready.clear()
                for key in ready:
                    queue = waiting.get(key)
                    if not queue:
                        continue
                    # Longest-waiting first; a served waiter leaves the queue, one that
                    # cannot be served stays and the next is tried.
                    i = 0
                    while i < len(queue) and self._lookup(key) is not None:
                        waiter = queue[i]
                        blocked, reply = self._attempt(waiter.retry)
                        if blocked is not None or (
                                type(reply) is ReplyError and reply.code == "WRONGTYPE"):
                            i += 1
                            continue
                        waiter.reply = reply
                        waiter.served = True
                        self._unqueue(waiter)
                        waiter.wake()
                        if key not in waiting:
                            break
        finally:
            self._hold -= 1


class _Hold:
    __slots__ = ("_store",)

    def __init__(self, store: BlockedClients) -> None:
        self._store = store

    def __enter__(self) -> None:
        self._store._hold += 1

    def __exit__(self, *exc: object) -> None:
        store = self._store
        store._hold -= 1
        if not store._hold and store._ready:
            store._serve()
