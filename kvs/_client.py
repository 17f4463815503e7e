"""The trio client: one short method per operation, over any backend.

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

from . import _commands as cmd
from ._commands import Call, Key, Value, ValueMapping
from ._errors import response_error
from ._open import Backend, close_backend, open_backend
from ._url import Config

__all__ = ["Client"]

T = TypeVar("T")
# Method names shadow these builtins inside the class body.
SetOf = set
DictOf = dict
ListOf = list


class Client:
    """A key-value client; get one from `kvs.connect` and open it with ``async with``.

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
        return f"<kvs.Client {self._config.display} ({state})>"

    @property
    def url(self) -> str:
        """The URL this client was made from, with any password masked."""
        return self._config.display

    async def __aenter__(self) -> Client:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def open(self) -> None:
        """Open the backend (or join the shared connection of this URL).

        Raises:
            kvs.ConnectionError: the server could not be reached.
            kvs.TimeoutError: the connection did not open within ``connect_timeout``.
        """
        if self._closed:
            raise RuntimeError("this client is closed; call kvs.connect() again")
        if self._backend is None:
            self._backend = await open_backend(self._config)

    async def aclose(self) -> None:
        """Leave the shared connection; the last client of a URL closes it."""
        backend, self._backend = self._backend, None
        self._closed = True
        if backend is not None:
            await close_backend(self._config, backend)

    async def _run(self, call: Call[T]) -> T:
        backend = self._backend
        if backend is None:
            raise RuntimeError(
                "this client is closed" if self._closed
                else "this client is not open: use `async with kvs.connect(url) as db`")
        if not call.argv:  # nothing to ask the server (e.g. mset({}))
            return call.decode(None, self._decode)
        reply = await backend.execute(call.argv, idempotent=call.idempotent)
        if type(reply) is ReplyError:
            raise response_error(reply)
        return call.decode(reply, self._decode)

    async def set(self, key: Key, value: Value, *, ex: object = None, px: object = None,
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

            await db.set("session:1", "alice", ex=3600)   # True
        """
        return await self._run(cmd.set_(key, value, ex=ex, px=px, nx=nx, xx=xx))

    async def get(self, key: Key) -> Any:
        """Return the value at `key`, or None when it is missing."""
        return await self._run(cmd.get(key))

    async def delete(self, *keys: Key) -> int:
        """Delete `keys`; return how many existed."""
        return await self._run(cmd.delete(keys))

    async def exists(self, key: Key) -> bool:
        """Return whether `key` exists."""
        return await self._run(cmd.exists(key))

    async def keys(self, pattern: Key = "*") -> ListOf[Any]:
        """Return the keys matching a Redis glob pattern (``*``, ``?``, ``[a-z]``, ``\\``)."""
        return await self._run(cmd.keys(pattern))

    async def expire(self, key: Key, seconds: object) -> bool:
        """Set a time to live on `key`; False when the key is missing.  ``seconds <= 0``
        deletes the key."""
        return await self._run(cmd.expire(key, seconds))

    async def ttl(self, key: Key) -> int:
        """Seconds left before `key` expires; -1 without expiry; -2 when missing."""
        return await self._run(cmd.ttl(key))

    async def incr(self, key: Key, amount: int = 1) -> int:
        """Add `amount` to the integer at `key` (a missing key starts at 0); return it."""
        return await self._run(cmd.incr(key, amount))

    async def decr(self, key: Key, amount: int = 1) -> int:
        """Subtract `amount` from the integer at `key`; return the new value."""
        return await self._run(cmd.decr(key, amount))

    async def lpush(self, key: Key, *values: Value) -> int:
        """Prepend `values` to the list at `key`; return its new length."""
        return await self._run(cmd.push("lpush", key, values))

    async def rpush(self, key: Key, *values: Value) -> int:
        """Append `values` to the list at `key`; return its new length."""
        return await self._run(cmd.push("rpush", key, values))

    async def lpop(self, key: Key) -> Any:
        """Remove and return the first element of the list, or None when empty."""
        return await self._run(cmd.pop("lpop", key))

    async def rpop(self, key: Key) -> Any:
        """Remove and return the last element of the list, or None when empty."""
        return await self._run(cmd.pop("rpop", key))

    async def lrange(self, key: Key, start: int, stop: int) -> ListOf[Any]:
        """Return elements `start` to `stop` inclusive; negative indexes count from the end."""
        return await self._run(cmd.lrange(key, start, stop))

    async def hset(self, key: Key, field: Key, value: Value) -> bool:
        """Set a hash field; True when the field is new, False when it was updated."""
        return await self._run(cmd.hset(key, field, value))

    async def hget(self, key: Key, field: Key) -> Any:
        """Return a hash field, or None."""
        return await self._run(cmd.hget(key, field))

    async def hgetall(self, key: Key) -> DictOf[Any, Any]:
        """Return the whole hash as a dict ({} when missing)."""
        return await self._run(cmd.hgetall(key))

    async def sadd(self, key: Key, *members: Value) -> int:
        """Add members to the set at `key`; return how many were new."""
        return await self._run(cmd.sadd(key, members))

    async def smembers(self, key: Key) -> SetOf[Any]:
        """Return the set at `key` (empty when missing)."""
        return await self._run(cmd.smembers(key))

    async def mget(self, keys: Iterable[Key]) -> ListOf[Any]:
        """Return the values of `keys`, aligned with them, None where missing."""
        return await self._run(cmd.mget(keys))

    async def mset(self, mapping: ValueMapping) -> bool:
        """Set every key of `mapping` at once; return True."""
        return await self._run(cmd.mset(mapping))

    async def ping(self) -> bool:
        """Return True when the backend answers."""
        return await self._run(cmd.ping())

    async def execute(self, *args: object) -> Any:
        """Run any command and return its reply as parsed (bulk strings decoded unless
        ``decode=False``).  Error replies raise `kvs.ResponseError`.

        Example::

            await db.execute("ZADD", "ranking", 3, "page:1")   # 1 (on Redis)
        """
        return await self._run(cmd.execute(args))
