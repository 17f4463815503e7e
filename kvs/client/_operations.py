# Generated from kvs/commands by scripts/generate.py: do not edit; edit the operation and run
# `python scripts/generate.py && python scripts/unasync.py`.
"""The operation methods of the clients and of the pipeline builders, one per operation of
`kvs.commands`, each building its `Call` there."""

from __future__ import annotations

from typing import Any, Generic, Self, TypeVar

from ..commands import Call
from ..commands import hashes as _hashes
from ..commands import keys as _keys
from ..commands import lists as _lists
from ..commands import pubsub as _pubsub
from ..commands import server as _server
from ..commands import sets as _sets
from ..commands import strings as _strings
from ..commands.types import Duration, Key, Keys, Seconds, Value, ValueMapping

__all__ = ["Operations", "QueuedOperations", "R"]

R = TypeVar("R", str, bytes)
T = TypeVar("T")


class Operations(Generic[R]):
    """Every operation as an awaitable method; `_run` sends the call."""

    __slots__ = ()

    async def _run(self, call: Call[T]) -> T:
        raise NotImplementedError

    async def hset(self, key: Key, field: Key, value: Value) -> bool:
        """Set a hash field; True when the field is new, False when it was updated."""
        call: Call[bool] = _hashes.hset(key, field, value)
        return await self._run(call)

    async def hget(self, key: Key, field: Key) -> R | None:
        """Return a hash field, or None."""
        call: Call[R | None] = _hashes.hget(key, field)
        return await self._run(call)

    async def hgetall(self, key: Key) -> dict[R, R]:
        """Return the whole hash as a dict ({} when missing)."""
        call: Call[dict[R, R]] = _hashes.hgetall(key)
        return await self._run(call)

    async def delete(self, *keys: Key) -> int:
        """Delete `keys`; return how many existed."""
        call: Call[int] = _keys.delete(*keys)
        return await self._run(call)

    async def exists(self, key: Key) -> bool:
        """Return whether `key` exists."""
        call: Call[bool] = _keys.exists(key)
        return await self._run(call)

    async def keys(self, pattern: Key = '*') -> list[R]:
        """Return the keys matching a Redis glob pattern (``*``, ``?``, ``[a-z]``, ``\\``)."""
        call: Call[list[R]] = _keys.keys(pattern)
        return await self._run(call)

    async def expire(self, key: Key, seconds: Seconds) -> bool:
        """Set a time to live on `key`; False when the key is missing.  ``seconds <= 0``
        deletes the key.
        """
        call: Call[bool] = _keys.expire(key, seconds)
        return await self._run(call)

    async def ttl(self, key: Key) -> int:
        """Seconds left before `key` expires; -1 without expiry; -2 when missing."""
        call: Call[int] = _keys.ttl(key)
        return await self._run(call)

    async def lpush(self, key: Key, *values: Value) -> int:
        """Prepend `values` to the list at `key`; return its new length."""
        call: Call[int] = _lists.lpush(key, *values)
        return await self._run(call)

    async def rpush(self, key: Key, *values: Value) -> int:
        """Append `values` to the list at `key`; return its new length."""
        call: Call[int] = _lists.rpush(key, *values)
        return await self._run(call)

    async def lpop(self, key: Key) -> R | None:
        """Remove and return the first element of the list, or None when empty."""
        call: Call[R | None] = _lists.lpop(key)
        return await self._run(call)

    async def rpop(self, key: Key) -> R | None:
        """Remove and return the last element of the list, or None when empty."""
        call: Call[R | None] = _lists.rpop(key)
        return await self._run(call)

    async def lrange(self, key: Key, start: int, stop: int) -> list[R]:
        """Return elements `start` to `stop` inclusive; negative indexes count from the end."""
        call: Call[list[R]] = _lists.lrange(key, start, stop)
        return await self._run(call)

    async def publish(self, channel: Key, message: Value) -> int:
        """Send `message` to every subscriber of `channel` (and of the patterns matching it).

        Returns:
            How many subscriptions received it: a client subscribed by channel and by a
            matching pattern counts twice (Redis's count).  Messages are not stored: with no
            subscriber the message is gone.

        Example::

            await db.publish("news", "hello")   # 1
        """
        call: Call[int] = _pubsub.publish(channel, message)
        return await self._run(call)

    async def spublish(self, channel: Key, message: Value) -> int:
        """Send `message` to the subscribers of the shard channel `channel` (Redis 7).

        Returns:
            How many shard subscriptions received it.
        """
        call: Call[int] = _pubsub.spublish(channel, message)
        return await self._run(call)

    async def ping(self) -> bool:
        """Return True when the backend answers."""
        call: Call[bool] = _server.ping()
        return await self._run(call)

    async def execute(self, *args: object) -> Any:
        """Run any command and return its reply as parsed (bulk strings decoded unless
        ``decode=False``).  Error replies raise `kvs.ResponseError`.

        Example::

            await db.execute("ZADD", "ranking", 3, "page:1")   # 1 (on Redis)
        """
        call: Call[Any] = _server.execute(*args)
        return await self._run(call)

    async def sadd(self, key: Key, *members: Value) -> int:
        """Add members to the set at `key`; return how many were new."""
        call: Call[int] = _sets.sadd(key, *members)
        return await self._run(call)

    async def smembers(self, key: Key) -> set[R]:
        """Return the set at `key` (empty when missing)."""
        call: Call[set[R]] = _sets.smembers(key)
        return await self._run(call)

    async def set(self, key: Key, value: Value, *, ex: Duration = None, px: Duration = None, nx: bool = False, xx: bool = False) -> bool:
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
        call: Call[bool] = _strings.set_(key, value, ex=ex, px=px, nx=nx, xx=xx)
        return await self._run(call)

    async def get(self, key: Key) -> R | None:
        """Return the value at `key`, or None when it is missing."""
        call: Call[R | None] = _strings.get(key)
        return await self._run(call)

    async def incr(self, key: Key, amount: int = 1) -> int:
        """Add `amount` to the integer at `key` (a missing key starts at 0); return it."""
        call: Call[int] = _strings.incr(key, amount)
        return await self._run(call)

    async def decr(self, key: Key, amount: int = 1) -> int:
        """Subtract `amount` from the integer at `key`; return the new value."""
        call: Call[int] = _strings.decr(key, amount)
        return await self._run(call)

    async def mget(self, keys: Keys) -> list[R | None]:
        """Return the values of `keys`, aligned with them, None where missing."""
        call: Call[list[R | None]] = _strings.mget(keys)
        return await self._run(call)

    async def mset(self, mapping: ValueMapping) -> bool:
        """Set every key of `mapping` at once; return True."""
        call: Call[bool] = _strings.mset(mapping)
        return await self._run(call)


class QueuedOperations:
    """Every operation as a method that queues the call and returns the builder."""

    __slots__ = ()

    def _queue(self, call: Call[Any]) -> Self:
        raise NotImplementedError

    def hset(self, key: Key, field: Key, value: Value) -> Self:
        """Set a hash field; True when the field is new, False when it was updated."""
        return self._queue(_hashes.hset(key, field, value))

    def hget(self, key: Key, field: Key) -> Self:
        """Return a hash field, or None."""
        return self._queue(_hashes.hget(key, field))

    def hgetall(self, key: Key) -> Self:
        """Return the whole hash as a dict ({} when missing)."""
        return self._queue(_hashes.hgetall(key))

    def delete(self, *keys: Key) -> Self:
        """Delete `keys`; return how many existed."""
        return self._queue(_keys.delete(*keys))

    def exists(self, key: Key) -> Self:
        """Return whether `key` exists."""
        return self._queue(_keys.exists(key))

    def keys(self, pattern: Key = '*') -> Self:
        """Return the keys matching a Redis glob pattern (``*``, ``?``, ``[a-z]``, ``\\``)."""
        return self._queue(_keys.keys(pattern))

    def expire(self, key: Key, seconds: Seconds) -> Self:
        """Set a time to live on `key`; False when the key is missing.  ``seconds <= 0``
        deletes the key.
        """
        return self._queue(_keys.expire(key, seconds))

    def ttl(self, key: Key) -> Self:
        """Seconds left before `key` expires; -1 without expiry; -2 when missing."""
        return self._queue(_keys.ttl(key))

    def lpush(self, key: Key, *values: Value) -> Self:
        """Prepend `values` to the list at `key`; return its new length."""
        return self._queue(_lists.lpush(key, *values))

    def rpush(self, key: Key, *values: Value) -> Self:
        """Append `values` to the list at `key`; return its new length."""
        return self._queue(_lists.rpush(key, *values))

    def lpop(self, key: Key) -> Self:
        """Remove and return the first element of the list, or None when empty."""
        return self._queue(_lists.lpop(key))

    def rpop(self, key: Key) -> Self:
        """Remove and return the last element of the list, or None when empty."""
        return self._queue(_lists.rpop(key))

    def lrange(self, key: Key, start: int, stop: int) -> Self:
        """Return elements `start` to `stop` inclusive; negative indexes count from the end."""
        return self._queue(_lists.lrange(key, start, stop))

    def publish(self, channel: Key, message: Value) -> Self:
        """Send `message` to every subscriber of `channel` (and of the patterns matching it).

        Returns:
            How many subscriptions received it: a client subscribed by channel and by a
            matching pattern counts twice (Redis's count).  Messages are not stored: with no
            subscriber the message is gone.

        Example::

            await db.publish("news", "hello")   # 1
        """
        return self._queue(_pubsub.publish(channel, message))

    def spublish(self, channel: Key, message: Value) -> Self:
        """Send `message` to the subscribers of the shard channel `channel` (Redis 7).

        Returns:
            How many shard subscriptions received it.
        """
        return self._queue(_pubsub.spublish(channel, message))

    def ping(self) -> Self:
        """Return True when the backend answers."""
        return self._queue(_server.ping())

    def execute_command(self, *args: object) -> Self:
        """Run any command and return its reply as parsed (bulk strings decoded unless
        ``decode=False``).  Error replies raise `kvs.ResponseError`.

        Example::

            await db.execute("ZADD", "ranking", 3, "page:1")   # 1 (on Redis)
        """
        return self._queue(_server.execute(*args))

    def sadd(self, key: Key, *members: Value) -> Self:
        """Add members to the set at `key`; return how many were new."""
        return self._queue(_sets.sadd(key, *members))

    def smembers(self, key: Key) -> Self:
        """Return the set at `key` (empty when missing)."""
        return self._queue(_sets.smembers(key))

    def set(self, key: Key, value: Value, *, ex: Duration = None, px: Duration = None, nx: bool = False, xx: bool = False) -> Self:
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
        return self._queue(_strings.set_(key, value, ex=ex, px=px, nx=nx, xx=xx))

    def get(self, key: Key) -> Self:
        """Return the value at `key`, or None when it is missing."""
        return self._queue(_strings.get(key))

    def incr(self, key: Key, amount: int = 1) -> Self:
        """Add `amount` to the integer at `key` (a missing key starts at 0); return it."""
        return self._queue(_strings.incr(key, amount))

    def decr(self, key: Key, amount: int = 1) -> Self:
        """Subtract `amount` from the integer at `key`; return the new value."""
        return self._queue(_strings.decr(key, amount))

    def mget(self, keys: Keys) -> Self:
        """Return the values of `keys`, aligned with them, None where missing."""
        return self._queue(_strings.mget(keys))

    def mset(self, mapping: ValueMapping) -> Self:
        """Set every key of `mapping` at once; return True."""
        return self._queue(_strings.mset(mapping))
