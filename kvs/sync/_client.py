# Generated from kvs/_client.py by scripts/unasync.py: do not edit; edit the source and
# run `python scripts/unasync.py`.
"""The blocking client: one short method per operation, over any backend.

This file is the source of the blocking client too: ``scripts/unasync.py`` rewrites it into
``kvs/sync/_client.py`` (coroutines become plain functions, the trio backend opener is swapped
for the blocking one), and CI fails when the two drift.  So it holds no trio import and nothing
that only one transport understands: the operations come from ``_commands``, the transport
from ``_open``.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any, TypeVar

from resp import ReplyError

from .. import _commands as cmd
from .._commands import Call, Key, Value, ValueMapping
from .._errors import response_error
from .._url import Config
from ._open import Backend, close_backend, open_backend

__all__ = ["Client"]

T = TypeVar("T")
# Method names shadow these builtins inside the class body.
SetOf = set
DictOf = dict
ListOf = list


class Client:
    """A key-value client; get one from `kvs.sync.connect` and open it with ``with``.

    Clients of the same URL and options share their backend connections, and any number of
    tasks may use one client at once.  Values read are `str` by default,
    `bytes` with ``decode=False``.
    """

    def __init__(self, config: Config) -> None:
        self._config = config
        self._decode = config.decode
        self._backend: Backend | None = None
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._backend else "not open"
        return f"<kvs.sync.Client {self._config.display} ({state})>"

    @property
    def url(self) -> str:
        """The URL this client was made from, with any password masked."""
        return self._config.display

    def __enter__(self) -> Client:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Open the backend (or join the shared connection of this URL).

        Raises:
            kvs.ConnectionError: the server could not be reached.
            kvs.TimeoutError: the connection did not open within ``connect_timeout``.
        """
        if self._closed:
            raise RuntimeError("this client is closed; call kvs.sync.connect() again")
        if self._backend is None:
            self._backend = open_backend(self._config)

    def close(self) -> None:
        """Leave the shared connection; the last client of a URL closes it."""
        backend, self._backend = self._backend, None
        self._closed = True
        if backend is not None:
            close_backend(self._config, backend)

    def _run(self, call: Call[T]) -> T:
        backend = self._backend
        if backend is None:
            raise RuntimeError(
                "this client is closed" if self._closed
                else "this client is not open: use `with kvs.sync.connect(url) as db`")
        if not call.argv:  # nothing to ask the server (e.g. mset({}))
            return call.decode(None, self._decode)
        reply = backend.execute(call.argv, idempotent=call.idempotent)
        if type(reply) is ReplyError:
            raise response_error(reply)
        return call.decode(reply, self._decode)

    def set(self, key: Key, value: Value, *, ex: object = None, px: object = None,
                  nx: bool = False, xx: bool = False) -> bool:
        """Store `value` at `key`.

        Args:
            key: str or bytes.
            value: str, bytes, int, float or bool (True is stored as ``"1"``).
            ex: expiry in seconds (int or timedelta); px: in milliseconds.
            nx: only if the key does not exist; xx: only if it exists.

        Returns:
            True, or False when `nx` or `xx` stopped it.

        Example::

            db.set("session:1", "alice", ex=3600)   # True
        """
        return self._run(cmd.set_(key, value, ex=ex, px=px, nx=nx, xx=xx))

    def get(self, key: Key) -> Any:
        """Return the value at `key`, or None when it is missing."""
        return self._run(cmd.get(key))

    def delete(self, *keys: Key) -> int:
        """Delete `keys`; return how many existed."""
        return self._run(cmd.delete(keys))

    def exists(self, key: Key) -> bool:
        """Return whether `key` exists."""
        return self._run(cmd.exists(key))

    def keys(self, pattern: Key = "*") -> ListOf[Any]:
        """Return the keys matching a Redis glob pattern (``*``, ``?``, ``[a-z]``, ``\\``)."""
        return self._run(cmd.keys(pattern))

    def expire(self, key: Key, seconds: object) -> bool:
        """Set a time to live on `key`; False when the key is missing.  ``seconds <= 0``
        deletes the key."""
        return self._run(cmd.expire(key, seconds))

    def ttl(self, key: Key) -> int:
        """Seconds left before `key` expires; -1 without expiry; -2 when missing."""
        return self._run(cmd.ttl(key))

    def incr(self, key: Key, amount: int = 1) -> int:
        """Add `amount` to the integer at `key` (a missing key starts at 0); return it."""
        return self._run(cmd.incr(key, amount))

    def decr(self, key: Key, amount: int = 1) -> int:
        """Subtract `amount` from the integer at `key`; return the new value."""
        return self._run(cmd.decr(key, amount))

    def lpush(self, key: Key, *values: Value) -> int:
        """Prepend `values` to the list at `key`; return its new length."""
        return self._run(cmd.push("lpush", key, values))

    def rpush(self, key: Key, *values: Value) -> int:
        """Append `values` to the list at `key`; return its new length."""
        return self._run(cmd.push("rpush", key, values))

    def lpop(self, key: Key) -> Any:
        """Remove and return the first element of the list, or None when empty."""
        return self._run(cmd.pop("lpop", key))

    def rpop(self, key: Key) -> Any:
        """Remove and return the last element of the list, or None when empty."""
        return self._run(cmd.pop("rpop", key))

    def lrange(self, key: Key, start: int, stop: int) -> ListOf[Any]:
        """Return elements `start` to `stop` inclusive; negative indexes count from the end."""
        return self._run(cmd.lrange(key, start, stop))

    def hset(self, key: Key, field: Key, value: Value) -> bool:
        """Set a hash field; True when the field is new, False when it was updated."""
        return self._run(cmd.hset(key, field, value))

    def hget(self, key: Key, field: Key) -> Any:
        """Return a hash field, or None."""
        return self._run(cmd.hget(key, field))

    def hgetall(self, key: Key) -> DictOf[Any, Any]:
        """Return the whole hash as a dict ({} when missing)."""
        return self._run(cmd.hgetall(key))

    def sadd(self, key: Key, *members: Value) -> int:
        """Add members to the set at `key`; return how many were new."""
        return self._run(cmd.sadd(key, members))

    def smembers(self, key: Key) -> SetOf[Any]:
        """Return the set at `key` (empty when missing)."""
        return self._run(cmd.smembers(key))

    def mget(self, keys: Iterable[Key]) -> ListOf[Any]:
        """Return the values of `keys`, aligned with them, None where missing."""
        return self._run(cmd.mget(keys))

    def mset(self, mapping: ValueMapping) -> bool:
        """Set every key of `mapping` at once; return True."""
        return self._run(cmd.mset(mapping))

    def ping(self) -> bool:
        """Return True when the backend answers."""
        return self._run(cmd.ping())

    def execute(self, *args: object) -> Any:
        """Run any command and return its reply as parsed (bulk strings decoded unless
        ``decode=False``).  Error replies raise `kvs.ResponseError`.

        Example::

            db.execute("ZADD", "ranking", 3, "page:1")   # 1 (on Redis)
        """
        return self._run(cmd.execute(args))
