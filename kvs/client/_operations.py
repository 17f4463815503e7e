# Generated from kvs/commands by scripts/generate.py: do not edit; edit the operation and run
# `python scripts/generate.py && python scripts/unasync.py`.
"""The operation methods of the clients and of the pipeline builders, one per operation of
`kvs.commands`, each building its `Call` there."""

from __future__ import annotations

from typing import Any, Generic, Literal, Self, TypeVar, overload

from ..commands import Call
from ..commands import hashes as _hashes
from ..commands import hll as _hll
from ..commands import keys as _keys
from ..commands import lists as _lists
from ..commands import pubsub as _pubsub
from ..commands import scripting as _scripting
from ..commands import server as _server
from ..commands import sets as _sets
from ..commands import streamgroups as _streamgroups
from ..commands import streams as _streams
from ..commands import strings as _strings
from ..commands import zsetops as _zsetops
from ..commands import zsets as _zsets
from ..commands.types import (
    Duration,
    Key,
    Keys,
    LexBound,
    RangeBound,
    ScoreBound,
    ScoreMapping,
    Seconds,
    StreamId,
    StreamIds,
    Streams,
    Timeout,
    Value,
    ValueMapping,
    Values,
    Weights,
    When,
)

__all__ = ["Operations", "QueuedOperations", "R"]

R = TypeVar("R", str, bytes)
T = TypeVar("T")


class Operations(Generic[R]):
    """Every operation as an awaitable method; `_run` sends the call."""

    __slots__ = ()

    async def _run(self, call: Call[T]) -> T:
        raise NotImplementedError

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

    async def unlink(self, *keys: Key) -> int:
        """Delete `keys`, freeing their memory in the background; return how many existed."""
        call: Call[int] = _keys.unlink(*keys)
        return await self._run(call)

    async def type(self, key: Key) -> str:
        """The type of the value at `key`: ``"string"``, ``"list"``, ``"hash"``, ``"set"``,
        ``"zset"``, ``"stream"``, or ``"none"`` when missing (always a str).
        """
        call: Call[str] = _keys.type_(key)
        return await self._run(call)

    async def rename(self, src: Key, dst: Key) -> bool:
        """Rename `src` to `dst` (replacing it); True.  A missing `src` raises
        `kvs.ResponseError` (``ERR no such key``).
        """
        call: Call[bool] = _keys.rename(src, dst)
        return await self._run(call)

    async def renamenx(self, src: Key, dst: Key) -> bool:
        """Rename `src` to `dst` only if `dst` does not exist; True when renamed."""
        call: Call[bool] = _keys.renamenx(src, dst)
        return await self._run(call)

    async def persist(self, key: Key) -> bool:
        """Remove the time to live of `key`; True when it had one."""
        call: Call[bool] = _keys.persist(key)
        return await self._run(call)

    async def pexpire(self, key: Key, milliseconds: Seconds) -> bool:
        """Set a time to live in milliseconds (int, or a timedelta); False when the key is
        missing.  ``milliseconds <= 0`` deletes the key.
        """
        call: Call[bool] = _keys.pexpire(key, milliseconds)
        return await self._run(call)

    async def pttl(self, key: Key) -> int:
        """Milliseconds left before `key` expires; -1 without expiry; -2 when missing."""
        call: Call[int] = _keys.pttl(key)
        return await self._run(call)

    async def expireat(self, key: Key, when: When) -> bool:
        """Expire `key` at `when` (Unix time in seconds, or a datetime); False when the key is
        missing.  A moment in the past deletes the key.
        """
        call: Call[bool] = _keys.expireat(key, when)
        return await self._run(call)

    async def expiretime(self, key: Key) -> int:
        """The Unix time in seconds at which `key` expires; -1 without expiry; -2 when
        missing.
        """
        call: Call[int] = _keys.expiretime(key)
        return await self._run(call)

    async def copy(self, src: Key, dst: Key, *, destination_db: int | None = None, replace: bool = False) -> bool:
        """Copy the value (and time to live) of `src` to `dst`; True when copied, False when
        `src` is missing or `dst` exists (unless `replace`).
        """
        call: Call[bool] = _keys.copy(src, dst, destination_db=destination_db, replace=replace)
        return await self._run(call)

    async def dbsize(self) -> int:
        """The number of keys in the database."""
        call: Call[int] = _keys.dbsize()
        return await self._run(call)

    async def flushdb(self, asynchronous: bool = False) -> bool:
        """Delete every key of the database (in the background with `asynchronous`); True."""
        call: Call[bool] = _keys.flushdb(asynchronous)
        return await self._run(call)

    async def scan(self, cursor: int = 0, *, match: Key | None = None, count: int | None = None, type: str | None = None) -> tuple[int, list[R]]:
        """One page of SCAN: the next cursor (0 when the scan is over) and some keys.
        `scan_iter` runs the whole scan.
        """
        call: Call[tuple[int, list[R]]] = _keys.scan(cursor, match=match, count=count, type=type)
        return await self._run(call)

    async def hset(self, key: Key, field: Key | None = None, value: Value | None = None, *, mapping: ValueMapping | None = None) -> int:
        """Set one hash field (`field`, `value`) and/or every field of `mapping`.

        Returns:
            For one field, True when it is new and False when it was updated; with `mapping`,
            the number of new fields.
        """
        call: Call[int] = _hashes.hset(key, field, value, mapping=mapping)
        return await self._run(call)

    async def hget(self, key: Key, field: Key) -> R | None:
        """Return a hash field, or None."""
        call: Call[R | None] = _hashes.hget(key, field)
        return await self._run(call)

    async def hgetall(self, key: Key) -> dict[R, R]:
        """Return the whole hash as a dict ({} when missing)."""
        call: Call[dict[R, R]] = _hashes.hgetall(key)
        return await self._run(call)

    async def hdel(self, key: Key, *fields: Key) -> int:
        """Delete `fields` from the hash; return how many existed."""
        call: Call[int] = _hashes.hdel(key, *fields)
        return await self._run(call)

    async def hexists(self, key: Key, field: Key) -> bool:
        """Whether the hash has `field`."""
        call: Call[bool] = _hashes.hexists(key, field)
        return await self._run(call)

    async def hlen(self, key: Key) -> int:
        """The number of fields of the hash (0 when missing)."""
        call: Call[int] = _hashes.hlen(key)
        return await self._run(call)

    async def hkeys(self, key: Key) -> list[R]:
        """The fields of the hash."""
        call: Call[list[R]] = _hashes.hkeys(key)
        return await self._run(call)

    async def hvals(self, key: Key) -> list[R]:
        """The values of the hash."""
        call: Call[list[R]] = _hashes.hvals(key)
        return await self._run(call)

    async def hmget(self, key: Key, fields: Keys) -> list[R | None]:
        """The values of `fields`, aligned with them, None where missing."""
        call: Call[list[R | None]] = _hashes.hmget(key, fields)
        return await self._run(call)

    async def hincrby(self, key: Key, field: Key, amount: int = 1) -> int:
        """Add `amount` to the integer in `field` (a missing one starts at 0); return it."""
        call: Call[int] = _hashes.hincrby(key, field, amount)
        return await self._run(call)

    async def hincrbyfloat(self, key: Key, field: Key, amount: float = 1.0) -> float:
        """Add `amount` to the number in `field` (a missing one starts at 0); return it."""
        call: Call[float] = _hashes.hincrbyfloat(key, field, amount)
        return await self._run(call)

    async def hsetnx(self, key: Key, field: Key, value: Value) -> bool:
        """Set `field` only if it does not exist; True when set."""
        call: Call[bool] = _hashes.hsetnx(key, field, value)
        return await self._run(call)

    @overload
    async def hrandfield(self, key: Key, count: None = None, withvalues: Literal[False] = False) -> R | None: ...

    @overload
    async def hrandfield(self, key: Key, count: int, withvalues: Literal[False] = False) -> list[R]: ...

    @overload
    async def hrandfield(self, key: Key, count: int, withvalues: Literal[True]) -> list[tuple[R, R]]: ...

    @overload
    async def hrandfield(self, key: Key, count: int | None = None, withvalues: bool = False) -> R | list[R] | list[tuple[R, R]] | None: ...

    async def hrandfield(self, key: Key, count: int | None = None, withvalues: bool = False) -> R | list[R] | list[tuple[R, R]] | None:
        """Random fields of the hash: without `count`, one field (None when missing); with it,
        a list of up to `count` distinct fields (a negative count allows repeats and gives
        exactly ``-count``); with `withvalues`, ``(field, value)`` tuples.
        """
        call: Call[R | list[R] | list[tuple[R, R]] | None] = _hashes.hrandfield(key, count, withvalues)
        return await self._run(call)

    async def hscan(self, key: Key, cursor: int = 0, *, match: Key | None = None, count: int | None = None) -> tuple[int, dict[R, R]]:
        """One page of HSCAN: the next cursor (0 when done) and some fields with their values.
        `hscan_iter` runs the whole scan.
        """
        call: Call[tuple[int, dict[R, R]]] = _hashes.hscan(key, cursor, match=match, count=count)
        return await self._run(call)

    async def pfadd(self, key: Key, *elements: Value) -> bool:
        """Add `elements` to the HyperLogLog at `key` (created when missing); True when its
        estimate changed (or it was created).
        """
        call: Call[bool] = _hll.pfadd(key, *elements)
        return await self._run(call)

    async def pfcount(self, *keys: Key) -> int:
        """The estimated number of distinct elements added to the HyperLogLogs `keys` (of their
        union, for several).
        """
        call: Call[int] = _hll.pfcount(*keys)
        return await self._run(call)

    async def pfmerge(self, dest: Key, *sources: Key) -> bool:
        """Merge the HyperLogLogs `sources` (and `dest` itself) into `dest`; True."""
        call: Call[bool] = _hll.pfmerge(dest, *sources)
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

    async def llen(self, key: Key) -> int:
        """The length of the list at `key` (0 when missing)."""
        call: Call[int] = _lists.llen(key)
        return await self._run(call)

    async def lindex(self, key: Key, index: int) -> R | None:
        """The element at `index` (negative counts from the end), or None when out of range."""
        call: Call[R | None] = _lists.lindex(key, index)
        return await self._run(call)

    async def lset(self, key: Key, index: int, value: Value) -> bool:
        """Replace the element at `index`; True.  An index out of range (or a missing key)
        raises `kvs.ResponseError`.
        """
        call: Call[bool] = _lists.lset(key, index, value)
        return await self._run(call)

    async def linsert(self, key: Key, where: str, refvalue: Value, value: Value) -> int:
        """Insert `value` ``"before"`` or ``"after"`` (`where`) the first `refvalue`; return the
        new length, -1 when `refvalue` is not there, 0 when the key is missing.
        """
        call: Call[int] = _lists.linsert(key, where, refvalue, value)
        return await self._run(call)

    async def lrem(self, key: Key, count: int, value: Value) -> int:
        """Remove `count` occurrences of `value` (from the tail when negative, all when 0);
        return how many were removed.
        """
        call: Call[int] = _lists.lrem(key, count, value)
        return await self._run(call)

    async def ltrim(self, key: Key, start: int, end: int) -> bool:
        """Keep only elements `start` to `end` inclusive; True."""
        call: Call[bool] = _lists.ltrim(key, start, end)
        return await self._run(call)

    @overload
    async def lpos(self, key: Key, value: Value, rank: int | None = None, count: None = None, maxlen: int | None = None) -> int | None: ...

    @overload
    async def lpos(self, key: Key, value: Value, rank: int | None = None, *, count: int, maxlen: int | None = None) -> list[int]: ...

    @overload
    async def lpos(self, key: Key, value: Value, rank: int | None = None, count: int | None = None, maxlen: int | None = None) -> int | list[int] | None: ...

    async def lpos(self, key: Key, value: Value, rank: int | None = None, count: int | None = None, maxlen: int | None = None) -> int | list[int] | None:
        """The index of `value` in the list, or None; with `count`, a list of up to `count`
        indexes (0: all).  `rank` picks the n-th match (negative: from the tail); `maxlen`
        compares at most that many elements.
        """
        call: Call[int | list[int] | None] = _lists.lpos(key, value, rank, count, maxlen)
        return await self._run(call)

    async def lmove(self, first_list: Key, second_list: Key, src: str = 'LEFT', dest: str = 'RIGHT') -> R | None:
        """Pop an element from the `src` end (``"left"``/``"right"``) of `first_list`, push it at
        the `dest` end of `second_list` and return it; None when `first_list` is empty.
        """
        call: Call[R | None] = _lists.lmove(first_list, second_list, src, dest)
        return await self._run(call)

    async def lmpop(self, keys: Keys, direction: str = 'LEFT', *, count: int | None = None) -> tuple[R, list[R]] | None:
        """Pop up to `count` (default 1) elements from the `direction` end of the first
        non-empty list of `keys`; return ``(key, elements)``, or None when all are empty.
        """
        call: Call[tuple[R, list[R]] | None] = _lists.lmpop(keys, direction, count=count)
        return await self._run(call)

    async def blpop(self, keys: Key | Keys, timeout: Timeout = 0) -> tuple[R, R] | None:
        """Pop the first element of the first non-empty list of `keys`, waiting up to `timeout`
        seconds (0: for ever) for one; return ``(key, element)``, or None when none came.

        Waiting clients are served in the order they started waiting, one element each.
        Example: ``await db.blpop(["jobs:high", "jobs:low"], timeout=5)``.
        """
        call: Call[tuple[R, R] | None] = _lists.blpop(keys, timeout)
        return await self._run(call)

    async def brpop(self, keys: Key | Keys, timeout: Timeout = 0) -> tuple[R, R] | None:
        """`blpop` from the tail: ``(key, last element)``, or None when none came in time."""
        call: Call[tuple[R, R] | None] = _lists.brpop(keys, timeout)
        return await self._run(call)

    async def blmove(self, first_list: Key, second_list: Key, timeout: Timeout, src: str = 'LEFT', dest: str = 'RIGHT') -> R | None:
        """`lmove` that waits up to `timeout` seconds (0: for ever) for `first_list` to have an
        element; return the element moved, or None when none came.
        """
        call: Call[R | None] = _lists.blmove(first_list, second_list, timeout, src, dest)
        return await self._run(call)

    async def blmpop(self, timeout: Timeout, keys: Key | Keys, direction: str = 'LEFT', *, count: int | None = None) -> tuple[R, list[R]] | None:
        """`lmpop` that waits up to `timeout` seconds (0: for ever) for one of `keys` to have
        elements; return ``(key, elements)``, or None when none came.
        """
        call: Call[tuple[R, list[R]] | None] = _lists.blmpop(timeout, keys, direction, count=count)
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

    async def eval(self, script: Value, keys: Keys = (), args: Values = ()) -> Any:
        """Run the Lua `script` with ``KEYS`` = `keys` and ``ARGV`` = `args`; return its reply
        as the server converted it (decoded unless ``decode=False``).  Never sent twice.

        Example::

            await db.eval("return redis.call('INCR', KEYS[1])", ["hits"])   # 1
        """
        call: Call[Any] = _scripting.eval_(script, keys, args)
        return await self._run(call)

    async def eval_ro(self, script: Value, keys: Keys = (), args: Values = ()) -> Any:
        """`eval` of a script that only reads (the server refuses its writes); retried as a
        read.
        """
        call: Call[Any] = _scripting.eval_ro(script, keys, args)
        return await self._run(call)

    async def evalsha(self, sha: str, keys: Keys = (), args: Values = ()) -> Any:
        """Run the script cached under `sha` (see `script_load`); NOSCRIPT when the server does
        not hold it.  Never sent twice.
        """
        call: Call[Any] = _scripting.evalsha(sha, keys, args)
        return await self._run(call)

    async def evalsha_ro(self, sha: str, keys: Keys = (), args: Values = ()) -> Any:
        """`evalsha` of a script that only reads; retried as a read."""
        call: Call[Any] = _scripting.evalsha_ro(sha, keys, args)
        return await self._run(call)

    async def script_load(self, script: Value) -> str:
        """Cache `script` on the server without running it; return its SHA1 (hex, ``str``),
        the name `evalsha` takes.
        """
        call: Call[str] = _scripting.script_load(script)
        return await self._run(call)

    async def script_exists(self, *shas: str) -> list[bool]:
        """Whether the server holds a script for each of `shas`, in order."""
        call: Call[list[bool]] = _scripting.script_exists(*shas)
        return await self._run(call)

    async def script_flush(self, mode: str | None = None) -> bool:
        """Empty the server's script cache (`mode` ``"SYNC"`` or ``"ASYNC"``); True."""
        call: Call[bool] = _scripting.script_flush(mode)
        return await self._run(call)

    async def function_load(self, code: Value, replace: bool = False) -> str:
        """Load a library of functions; `code` starts with ``#!lua name=<library>`` and calls
        ``redis.register_function``.  Return the library's name.  With `replace`, a library of
        that name is replaced; without, loading it again is an error.

        Example::

            await db.function_load("#!lua name=lib\\n"
                                   "redis.register_function('hi', function() return 'hi' end)")
        """
        call: Call[str] = _scripting.function_load(code, replace)
        return await self._run(call)

    async def function_list(self, library: str | None = None, withcode: bool = False) -> list[dict[str, Any]]:
        """The loaded libraries (those whose name matches the glob `library`): each a dict with
        ``library_name``, ``engine``, ``functions`` (dicts of ``name``, ``description``,
        ``flags`` as a set) and, with `withcode`, ``library_code``.
        """
        call: Call[list[dict[str, Any]]] = _scripting.function_list(library, withcode)
        return await self._run(call)

    async def function_delete(self, library: str) -> bool:
        """Delete the library `library` and its functions; True (an error when missing)."""
        call: Call[bool] = _scripting.function_delete(library)
        return await self._run(call)

    async def function_flush(self, mode: str | None = None) -> bool:
        """Delete every library (`mode` ``"SYNC"`` or ``"ASYNC"``); True."""
        call: Call[bool] = _scripting.function_flush(mode)
        return await self._run(call)

    async def fcall(self, function: str, keys: Keys = (), args: Values = ()) -> Any:
        """Call the loaded function `function` with `keys` and `args`; its reply as the server
        converted it.  Never sent twice.
        """
        call: Call[Any] = _scripting.fcall(function, keys, args)
        return await self._run(call)

    async def fcall_ro(self, function: str, keys: Keys = (), args: Values = ()) -> Any:
        """`fcall` of a function flagged ``no-writes``; retried as a read."""
        call: Call[Any] = _scripting.fcall_ro(function, keys, args)
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

    async def srem(self, key: Key, *members: Value) -> int:
        """Remove members from the set; return how many were there."""
        call: Call[int] = _sets.srem(key, *members)
        return await self._run(call)

    async def sismember(self, key: Key, member: Value) -> bool:
        """Whether `member` is in the set."""
        call: Call[bool] = _sets.sismember(key, member)
        return await self._run(call)

    async def smismember(self, key: Key, members: Values) -> list[bool]:
        """Whether each of `members` is in the set, aligned with them."""
        call: Call[list[bool]] = _sets.smismember(key, members)
        return await self._run(call)

    async def scard(self, key: Key) -> int:
        """The number of members of the set (0 when missing)."""
        call: Call[int] = _sets.scard(key)
        return await self._run(call)

    @overload
    async def spop(self, key: Key, count: None = None) -> R | None: ...

    @overload
    async def spop(self, key: Key, count: int) -> set[R]: ...

    @overload
    async def spop(self, key: Key, count: int | None = None) -> R | set[R] | None: ...

    async def spop(self, key: Key, count: int | None = None) -> R | set[R] | None:
        """Remove and return a random member (None when the set is empty); with `count`, a set
        of up to `count` members.
        """
        call: Call[R | set[R] | None] = _sets.spop(key, count)
        return await self._run(call)

    @overload
    async def srandmember(self, key: Key, number: None = None) -> R | None: ...

    @overload
    async def srandmember(self, key: Key, number: int) -> list[R]: ...

    @overload
    async def srandmember(self, key: Key, number: int | None = None) -> R | list[R] | None: ...

    async def srandmember(self, key: Key, number: int | None = None) -> R | list[R] | None:
        """A random member (None when the set is empty); with `number`, a list of up to
        `number` distinct members (a negative number allows repeats and gives exactly
        ``-number``).
        """
        call: Call[R | list[R] | None] = _sets.srandmember(key, number)
        return await self._run(call)

    async def smove(self, src: Key, dst: Key, member: Value) -> bool:
        """Move `member` from the set `src` to the set `dst`; True when it was in `src`."""
        call: Call[bool] = _sets.smove(src, dst, member)
        return await self._run(call)

    async def sinter(self, *keys: Key) -> set[R]:
        """The members present in every set of `keys`."""
        call: Call[set[R]] = _sets.sinter(*keys)
        return await self._run(call)

    async def sunion(self, *keys: Key) -> set[R]:
        """The members of any set of `keys`."""
        call: Call[set[R]] = _sets.sunion(*keys)
        return await self._run(call)

    async def sdiff(self, *keys: Key) -> set[R]:
        """The members of the first set that are in none of the others."""
        call: Call[set[R]] = _sets.sdiff(*keys)
        return await self._run(call)

    async def sinterstore(self, dest: Key, *keys: Key) -> int:
        """Store `sinter(*keys)` at `dest`; return its size."""
        call: Call[int] = _sets.sinterstore(dest, *keys)
        return await self._run(call)

    async def sunionstore(self, dest: Key, *keys: Key) -> int:
        """Store `sunion(*keys)` at `dest`; return its size."""
        call: Call[int] = _sets.sunionstore(dest, *keys)
        return await self._run(call)

    async def sdiffstore(self, dest: Key, *keys: Key) -> int:
        """Store `sdiff(*keys)` at `dest`; return its size."""
        call: Call[int] = _sets.sdiffstore(dest, *keys)
        return await self._run(call)

    async def sintercard(self, keys: Keys, *, limit: int = 0) -> int:
        """The size of the intersection of the sets `keys`, counting up to `limit` (0: no
        limit).
        """
        call: Call[int] = _sets.sintercard(keys, limit=limit)
        return await self._run(call)

    async def sscan(self, key: Key, cursor: int = 0, *, match: Key | None = None, count: int | None = None) -> tuple[int, list[R]]:
        """One page of SSCAN: the next cursor (0 when done) and some members.  `sscan_iter`
        runs the whole scan.
        """
        call: Call[tuple[int, list[R]]] = _sets.sscan(key, cursor, match=match, count=count)
        return await self._run(call)

    async def xadd(self, key: Key, fields: ValueMapping, *, id: StreamId = '*', maxlen: int | None = None, minid: StreamId | None = None, approximate: bool = True, nomkstream: bool = False, limit: int | None = None) -> R | None:
        """Append an entry to the stream at `key`; return its id.

        Args:
            fields: the entry's fields and values (not empty).
            id: ``"*"`` (the server picks it), ``"ms-*"``, or an explicit ``"ms-seq"``.
            maxlen, minid: trim the stream after adding (one of them), exactly or, with
                `approximate` (the default), by whole internal nodes, at most `limit` entries.
            nomkstream: do not create a missing stream; the result is None then.

        Example: ``await db.xadd("jobs", {"task": "resize"}, maxlen=10_000)`` returns an id such
        as ``"1700000000000-0"``.
        """
        call: Call[R | None] = _streams.xadd(key, fields, id=id, maxlen=maxlen, minid=minid, approximate=approximate, nomkstream=nomkstream, limit=limit)
        return await self._run(call)

    async def xlen(self, key: Key) -> int:
        """The number of entries of the stream (0 when missing)."""
        call: Call[int] = _streams.xlen(key)
        return await self._run(call)

    async def xrange(self, key: Key, min: StreamId = '-', max: StreamId = '+', count: int | None = None) -> list[tuple[R, dict[R, R]]]:
        """The entries from `min` to `max` (inclusive; ``"(id"`` excludes), oldest first,
        at most `count`.
        """
        call: Call[list[tuple[R, dict[R, R]]]] = _streams.xrange(key, min, max, count)
        return await self._run(call)

    async def xrevrange(self, key: Key, max: StreamId = '+', min: StreamId = '-', count: int | None = None) -> list[tuple[R, dict[R, R]]]:
        """The entries from `max` down to `min`, newest first, at most `count`."""
        call: Call[list[tuple[R, dict[R, R]]]] = _streams.xrevrange(key, max, min, count)
        return await self._run(call)

    async def xdel(self, key: Key, *ids: StreamId) -> int:
        """Delete entries by id; return how many were there."""
        call: Call[int] = _streams.xdel(key, *ids)
        return await self._run(call)

    async def xtrim(self, key: Key, *, maxlen: int | None = None, minid: StreamId | None = None, approximate: bool = True, limit: int | None = None) -> int:
        """Trim the stream to `maxlen` entries or to ids from `minid` (one of them); with
        `approximate`, only whole internal nodes go (at most `limit` entries).  Returns how
        many entries were removed.
        """
        call: Call[int] = _streams.xtrim(key, maxlen=maxlen, minid=minid, approximate=approximate, limit=limit)
        return await self._run(call)

    @overload
    async def xread(self, streams: Streams, *, count: int | None = None, block: None = None) -> dict[R, list[tuple[R, dict[R, R]]]]: ...

    @overload
    async def xread(self, streams: Streams, *, count: int | None = None, block: int) -> dict[R, list[tuple[R, dict[R, R]]]] | None: ...

    @overload
    async def xread(self, streams: Streams, *, count: int | None = None, block: int | None = None) -> dict[R, list[tuple[R, dict[R, R]]]] | None: ...

    async def xread(self, streams: Streams, *, count: int | None = None, block: int | None = None) -> dict[R, list[tuple[R, dict[R, R]]]] | None:
        """Read entries after the given ids from one or more streams.

        Args:
            streams: key -> the last id seen (``"$"``: only entries added from now on).
            count: at most this many entries per stream.
            block: wait up to this many milliseconds (0: for ever) for an entry, on a
                connection of its own.

        Returns:
            key -> its entries, for the streams that had some; ``{}`` when none had (without
            `block`), None when `block` ran out.
        """
        call: Call[dict[R, list[tuple[R, dict[R, R]]]] | None] = _streams.xread(streams, count=count, block=block)
        return await self._run(call)

    async def xgroup_create(self, key: Key, group: Key, id: StreamId = '$', mkstream: bool = False, entries_read: int | None = None) -> bool:
        """Create consumer group `group` starting after `id` (``"$"``: the last entry);
        `mkstream` creates a missing stream.  True; an existing group raises
        `kvs.ResponseError` (BUSYGROUP).
        """
        call: Call[bool] = _streamgroups.xgroup_create(key, group, id, mkstream, entries_read)
        return await self._run(call)

    async def xgroup_destroy(self, key: Key, group: Key) -> bool:
        """Delete a consumer group and its pending entries; True when it existed."""
        call: Call[bool] = _streamgroups.xgroup_destroy(key, group)
        return await self._run(call)

    async def xgroup_createconsumer(self, key: Key, group: Key, consumer: Key) -> bool:
        """Create a consumer in a group; True when it is new."""
        call: Call[bool] = _streamgroups.xgroup_createconsumer(key, group, consumer)
        return await self._run(call)

    async def xgroup_delconsumer(self, key: Key, group: Key, consumer: Key) -> int:
        """Delete a consumer; return how many pending entries it had (they are dropped)."""
        call: Call[int] = _streamgroups.xgroup_delconsumer(key, group, consumer)
        return await self._run(call)

    async def xgroup_setid(self, key: Key, group: Key, id: StreamId, entries_read: int | None = None) -> bool:
        """Set a group's last delivered id (``"$"``: the last entry); True."""
        call: Call[bool] = _streamgroups.xgroup_setid(key, group, id, entries_read)
        return await self._run(call)

    @overload
    async def xreadgroup(self, group: Key, consumer: Key, streams: Streams, *, count: int | None = None, block: None = None, noack: bool = False) -> dict[R, list[tuple[R, dict[R, R] | None]]]: ...

    @overload
    async def xreadgroup(self, group: Key, consumer: Key, streams: Streams, *, count: int | None = None, block: int, noack: bool = False) -> dict[R, list[tuple[R, dict[R, R] | None]]] | None: ...

    @overload
    async def xreadgroup(self, group: Key, consumer: Key, streams: Streams, *, count: int | None = None, block: int | None = None, noack: bool = False) -> dict[R, list[tuple[R, dict[R, R] | None]]] | None: ...

    async def xreadgroup(self, group: Key, consumer: Key, streams: Streams, *, count: int | None = None, block: int | None = None, noack: bool = False) -> dict[R, list[tuple[R, dict[R, R] | None]]] | None:
        """Read as `consumer` of `group`: with id ``">"``, entries never delivered to the group
        (recorded as pending for `consumer` unless `noack`); with another id, the consumer's
        own pending entries after it (fields None for an entry deleted since).

        Never retried once it may have reached the server: it changes the group's state.
        Returns what `xread` returns.
        """
        call: Call[dict[R, list[tuple[R, dict[R, R] | None]]] | None] = _streamgroups.xreadgroup(group, consumer, streams, count=count, block=block, noack=noack)
        return await self._run(call)

    async def xack(self, key: Key, group: Key, *ids: StreamId) -> int:
        """Acknowledge entries (remove them from the group's pending list); return how many
        were pending.
        """
        call: Call[int] = _streamgroups.xack(key, group, *ids)
        return await self._run(call)

    @overload
    async def xpending(self, key: Key, group: Key, min: None = None, max: None = None, count: None = None, *, consumer: None = None, idle: None = None) -> dict[str, Any]: ...

    @overload
    async def xpending(self, key: Key, group: Key, min: StreamId, max: StreamId, count: int, *, consumer: Key | None = None, idle: int | None = None) -> list[dict[str, Any]]: ...

    @overload
    async def xpending(self, key: Key, group: Key, min: StreamId | None = None, max: StreamId | None = None, count: int | None = None, *, consumer: Key | None = None, idle: int | None = None) -> dict[str, Any] | list[dict[str, Any]]: ...

    async def xpending(self, key: Key, group: Key, min: StreamId | None = None, max: StreamId | None = None, count: int | None = None, *, consumer: Key | None = None, idle: int | None = None) -> dict[str, Any] | list[dict[str, Any]]:
        """The pending entries of a group.

        Without a range, a summary: ``{"pending": n, "min": id, "max": id, "consumers":
        [{"name": ..., "pending": n}, ...]}``.  With `min`, `max` and `count` (and optionally
        one `consumer`'s, and only those idle for at least `idle` ms), up to `count` dicts
        ``{"message_id", "consumer", "time_since_delivered", "times_delivered"}``.
        """
        call: Call[dict[str, Any] | list[dict[str, Any]]] = _streamgroups.xpending(key, group, min, max, count, consumer=consumer, idle=idle)
        return await self._run(call)

    @overload
    async def xclaim(self, key: Key, group: Key, consumer: Key, min_idle_time: int, ids: StreamIds, *, idle: int | None = None, time: int | None = None, retrycount: int | None = None, force: bool = False, justid: Literal[False] = False) -> list[tuple[R, dict[R, R]]]: ...

    @overload
    async def xclaim(self, key: Key, group: Key, consumer: Key, min_idle_time: int, ids: StreamIds, *, idle: int | None = None, time: int | None = None, retrycount: int | None = None, force: bool = False, justid: Literal[True]) -> list[R]: ...

    @overload
    async def xclaim(self, key: Key, group: Key, consumer: Key, min_idle_time: int, ids: StreamIds, *, idle: int | None = None, time: int | None = None, retrycount: int | None = None, force: bool = False, justid: bool = False) -> list[tuple[R, dict[R, R]]] | list[R]: ...

    async def xclaim(self, key: Key, group: Key, consumer: Key, min_idle_time: int, ids: StreamIds, *, idle: int | None = None, time: int | None = None, retrycount: int | None = None, force: bool = False, justid: bool = False) -> list[tuple[R, dict[R, R]]] | list[R]:
        """Give `consumer` the pending entries `ids` idle for at least `min_idle_time` ms.

        Args:
            idle, time: set the entries' idle time (ms) or last delivery (Unix ms).
            retrycount: set their delivery count (otherwise it grows by one, but with `justid`).
            force: claim ids that exist in the stream even if no one has them pending.
            justid: return the ids only.

        Returns:
            The claimed entries (ids with `justid`); ids deleted from the stream are dropped
            from the pending list and left out.
        """
        call: Call[list[tuple[R, dict[R, R]]] | list[R]] = _streamgroups.xclaim(key, group, consumer, min_idle_time, ids, idle=idle, time=time, retrycount=retrycount, force=force, justid=justid)
        return await self._run(call)

    @overload
    async def xautoclaim(self, key: Key, group: Key, consumer: Key, min_idle_time: int, start: StreamId = '0-0', *, count: int | None = None, justid: Literal[False] = False) -> tuple[R, list[tuple[R, dict[R, R]]], list[R]]: ...

    @overload
    async def xautoclaim(self, key: Key, group: Key, consumer: Key, min_idle_time: int, start: StreamId = '0-0', *, count: int | None = None, justid: Literal[True]) -> tuple[R, list[R], list[R]]: ...

    @overload
    async def xautoclaim(self, key: Key, group: Key, consumer: Key, min_idle_time: int, start: StreamId = '0-0', *, count: int | None = None, justid: bool = False) -> tuple[R, list[Any], list[R]]: ...

    async def xautoclaim(self, key: Key, group: Key, consumer: Key, min_idle_time: int, start: StreamId = '0-0', *, count: int | None = None, justid: bool = False) -> tuple[R, list[Any], list[R]]:
        """Claim for `consumer` up to `count` (default 100) pending entries idle for at least
        `min_idle_time` ms, scanning the pending list from `start`.

        Returns:
            ``(cursor, claimed, deleted)``: the id to start the next call from (``"0-0"`` when
            the scan is done), the claimed entries (ids with `justid`), and the ids that were
            pending but deleted from the stream (now dropped from the pending list).
        """
        call: Call[tuple[R, list[Any], list[R]]] = _streamgroups.xautoclaim(key, group, consumer, min_idle_time, start, count=count, justid=justid)
        return await self._run(call)

    async def xinfo_stream(self, key: Key, full: bool = False) -> dict[str, Any]:
        """XINFO STREAM: the stream's length, ids, counters and first and last entries as
        ``(id, fields)``; with `full`, every entry, group, pending entry and consumer.  Field
        names are Redis's (``"entries-added"``, ``"recorded-first-entry-id"``, ...).
        """
        call: Call[dict[str, Any]] = _streamgroups.xinfo_stream(key, full)
        return await self._run(call)

    async def xinfo_groups(self, key: Key) -> list[dict[str, Any]]:
        """XINFO GROUPS: one dict per group (``name``, ``consumers``, ``pending``,
        ``last-delivered-id``, ``entries-read``, ``lag``).
        """
        call: Call[list[dict[str, Any]]] = _streamgroups.xinfo_groups(key)
        return await self._run(call)

    async def xinfo_consumers(self, key: Key, group: Key) -> list[dict[str, Any]]:
        """XINFO CONSUMERS: one dict per consumer (``name``, ``pending``, ``idle`` ms)."""
        call: Call[list[dict[str, Any]]] = _streamgroups.xinfo_consumers(key, group)
        return await self._run(call)

    @overload
    async def set(self, key: Key, value: Value, *, ex: Duration = None, px: Duration = None, nx: bool = False, xx: bool = False, keepttl: bool = False, get: Literal[False] = False, exat: When | None = None, pxat: When | None = None) -> bool: ...

    @overload
    async def set(self, key: Key, value: Value, *, ex: Duration = None, px: Duration = None, nx: bool = False, xx: bool = False, keepttl: bool = False, get: Literal[True], exat: When | None = None, pxat: When | None = None) -> R | None: ...

    @overload
    async def set(self, key: Key, value: Value, *, ex: Duration = None, px: Duration = None, nx: bool = False, xx: bool = False, keepttl: bool = False, get: bool = False, exat: When | None = None, pxat: When | None = None) -> bool | R | None: ...

    async def set(self, key: Key, value: Value, *, ex: Duration = None, px: Duration = None, nx: bool = False, xx: bool = False, keepttl: bool = False, get: bool = False, exat: When | None = None, pxat: When | None = None) -> bool | R | None:
        """Store `value` at `key`.

        Args:
            key: str or bytes.
            value: str, bytes, int, float or bool (True is stored as ``"1"``).
            ex: expiry in seconds (int or timedelta); px: in milliseconds.
            nx: only if the key does not exist; xx: only if it exists.
            keepttl: keep the key's time to live.
            get: return the old value instead of True/False.
            exat: expire at this Unix time in seconds (int or datetime); pxat: in milliseconds.

        Returns:
            True, or False when `nx` or `xx` stopped it; with `get`, the old value (or None).

        Example::

            await db.set("session:1", "alice", ex=3600)   # True
        """
        call: Call[bool | R | None] = _strings.set_(key, value, ex=ex, px=px, nx=nx, xx=xx, keepttl=keepttl, get=get, exat=exat, pxat=pxat)
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

    async def msetnx(self, mapping: ValueMapping) -> bool:
        """Set every key of `mapping` only if none of them exists; True when set."""
        call: Call[bool] = _strings.msetnx(mapping)
        return await self._run(call)

    async def getdel(self, key: Key) -> R | None:
        """Return the value at `key` and delete it; None when missing."""
        call: Call[R | None] = _strings.getdel(key)
        return await self._run(call)

    async def getex(self, key: Key, *, ex: Duration = None, px: Duration = None, exat: When | None = None, pxat: When | None = None, persist: bool = False) -> R | None:
        """Return the value at `key` (None when missing) and set or remove its time to live:
        `ex`/`px` (seconds/milliseconds from now), `exat`/`pxat` (Unix time), `persist`.
        """
        call: Call[R | None] = _strings.getex(key, ex=ex, px=px, exat=exat, pxat=pxat, persist=persist)
        return await self._run(call)

    async def getset(self, key: Key, value: Value) -> R | None:
        """Store `value` at `key` and return the old value (None when missing)."""
        call: Call[R | None] = _strings.getset(key, value)
        return await self._run(call)

    async def setnx(self, key: Key, value: Value) -> bool:
        """Store `value` at `key` only if it does not exist; True when stored."""
        call: Call[bool] = _strings.setnx(key, value)
        return await self._run(call)

    async def setex(self, key: Key, time: Seconds, value: Value) -> bool:
        """Store `value` at `key` with a time to live of `time` seconds (int or timedelta);
        True.
        """
        call: Call[bool] = _strings.setex(key, time, value)
        return await self._run(call)

    async def append(self, key: Key, value: Value) -> int:
        """Append `value` to the string at `key` (created when missing); return its length."""
        call: Call[int] = _strings.append(key, value)
        return await self._run(call)

    async def strlen(self, key: Key) -> int:
        """The length in bytes of the string at `key` (0 when missing)."""
        call: Call[int] = _strings.strlen(key)
        return await self._run(call)

    async def getrange(self, key: Key, start: int, end: int) -> R:
        """Bytes `start` to `end` inclusive of the string at `key`; negative offsets count from
        the end ("" when out of range or missing).
        """
        call: Call[R] = _strings.getrange(key, start, end)
        return await self._run(call)

    async def setrange(self, key: Key, offset: int, value: Value) -> int:
        """Overwrite the string at `key` from byte `offset` (padding with zero bytes); return
        its new length.
        """
        call: Call[int] = _strings.setrange(key, offset, value)
        return await self._run(call)

    async def incrbyfloat(self, key: Key, amount: float = 1.0) -> float:
        """Add `amount` to the number at `key` (a missing key starts at 0); return it."""
        call: Call[float] = _strings.incrbyfloat(key, amount)
        return await self._run(call)

    async def zpopmin(self, key: Key, count: int | None = None) -> list[tuple[R, float]]:
        """Remove and return the `count` (default 1) lowest-scored members, as
        ``(member, score)`` tuples ([] when empty).
        """
        call: Call[list[tuple[R, float]]] = _zsetops.zpopmin(key, count)
        return await self._run(call)

    async def zpopmax(self, key: Key, count: int | None = None) -> list[tuple[R, float]]:
        """Remove and return the `count` (default 1) highest-scored members, as
        ``(member, score)`` tuples ([] when empty).
        """
        call: Call[list[tuple[R, float]]] = _zsetops.zpopmax(key, count)
        return await self._run(call)

    async def bzpopmin(self, keys: Key | Keys, timeout: Timeout = 0) -> tuple[R, R, float] | None:
        """Pop the lowest-scored member of the first non-empty sorted set of `keys`, waiting up
        to `timeout` seconds (0: for ever); return ``(key, member, score)``, or None when none
        came.
        """
        call: Call[tuple[R, R, float] | None] = _zsetops.bzpopmin(keys, timeout)
        return await self._run(call)

    async def bzpopmax(self, keys: Key | Keys, timeout: Timeout = 0) -> tuple[R, R, float] | None:
        """`bzpopmin` for the highest-scored member."""
        call: Call[tuple[R, R, float] | None] = _zsetops.bzpopmax(keys, timeout)
        return await self._run(call)

    @overload
    async def zrandmember(self, key: Key, count: None = None, withscores: Literal[False] = False) -> R | None: ...

    @overload
    async def zrandmember(self, key: Key, count: int, withscores: Literal[False] = False) -> list[R]: ...

    @overload
    async def zrandmember(self, key: Key, count: int, withscores: Literal[True]) -> list[tuple[R, float]]: ...

    @overload
    async def zrandmember(self, key: Key, count: int | None = None, withscores: bool = False) -> R | list[R] | list[tuple[R, float]] | None: ...

    async def zrandmember(self, key: Key, count: int | None = None, withscores: bool = False) -> R | list[R] | list[tuple[R, float]] | None:
        """A random member (None when missing); with `count`, a list of up to `count` distinct
        members (a negative count allows repeats and gives exactly ``-count``); with
        `withscores`, ``(member, score)`` tuples.
        """
        call: Call[R | list[R] | list[tuple[R, float]] | None] = _zsetops.zrandmember(key, count, withscores)
        return await self._run(call)

    async def zunionstore(self, dest: Key, keys: Weights, aggregate: str | None = None) -> int:
        """Store the union of the sorted sets `keys` at `dest`; return its size.  `keys` may
        map each key to a weight; `aggregate` is ``"sum"`` (default), ``"min"`` or ``"max"``.
        """
        call: Call[int] = _zsetops.zunionstore(dest, keys, aggregate)
        return await self._run(call)

    async def zinterstore(self, dest: Key, keys: Weights, aggregate: str | None = None) -> int:
        """Store the intersection of the sorted sets `keys` at `dest`; return its size.  `keys`
        may map each key to a weight; `aggregate` is ``"sum"`` (default), ``"min"`` or
        ``"max"``.
        """
        call: Call[int] = _zsetops.zinterstore(dest, keys, aggregate)
        return await self._run(call)

    async def zdiffstore(self, dest: Key, keys: Keys) -> int:
        """Store the members of the first sorted set of `keys` that are in none of the others
        at `dest` (with their scores); return its size.
        """
        call: Call[int] = _zsetops.zdiffstore(dest, keys)
        return await self._run(call)

    async def zscan(self, key: Key, cursor: int = 0, *, match: Key | None = None, count: int | None = None) -> tuple[int, list[tuple[R, float]]]:
        """One page of ZSCAN: the next cursor (0 when done) and ``(member, score)`` tuples.
        `zscan_iter` runs the whole scan.
        """
        call: Call[tuple[int, list[tuple[R, float]]]] = _zsetops.zscan(key, cursor, match=match, count=count)
        return await self._run(call)

    async def zadd(self, key: Key, mapping: ScoreMapping, *, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False, ch: bool = False) -> int:
        """Add the members of `mapping` (member -> score) or update their scores.

        Args:
            nx: only add new members; xx: only update existing ones.
            gt, lt: only update when the new score is greater (less) than the current one.
            ch: count changed members too, not only added ones.

        Returns:
            The number of members added (with `ch`, added or changed).
        """
        call: Call[int] = _zsets.zadd(key, mapping, nx=nx, xx=xx, gt=gt, lt=lt, ch=ch)
        return await self._run(call)

    async def zincrby(self, key: Key, amount: float, member: Value) -> float:
        """Add `amount` to the score of `member` (a new member starts at 0); return the score."""
        call: Call[float] = _zsets.zincrby(key, amount, member)
        return await self._run(call)

    async def zrem(self, key: Key, *members: Value) -> int:
        """Remove members; return how many were there."""
        call: Call[int] = _zsets.zrem(key, *members)
        return await self._run(call)

    async def zscore(self, key: Key, member: Value) -> float | None:
        """The score of `member`, or None."""
        call: Call[float | None] = _zsets.zscore(key, member)
        return await self._run(call)

    async def zmscore(self, key: Key, members: Values) -> list[float | None]:
        """The scores of `members`, aligned with them, None where missing."""
        call: Call[list[float | None]] = _zsets.zmscore(key, members)
        return await self._run(call)

    async def zcard(self, key: Key) -> int:
        """The number of members (0 when missing)."""
        call: Call[int] = _zsets.zcard(key)
        return await self._run(call)

    async def zcount(self, key: Key, min: ScoreBound, max: ScoreBound) -> int:
        """The number of members with a score between `min` and `max` (inclusive unless
        written ``"(x"``).
        """
        call: Call[int] = _zsets.zcount(key, min, max)
        return await self._run(call)

    async def zlexcount(self, key: Key, min: LexBound, max: LexBound) -> int:
        """The number of members between the lexicographic bounds `min` and `max` (for members
        that share one score).
        """
        call: Call[int] = _zsets.zlexcount(key, min, max)
        return await self._run(call)

    async def zrank(self, key: Key, member: Value) -> int | None:
        """The rank of `member` by ascending score (0 first), or None."""
        call: Call[int | None] = _zsets.zrank(key, member)
        return await self._run(call)

    async def zrevrank(self, key: Key, member: Value) -> int | None:
        """The rank of `member` by descending score (0 first), or None."""
        call: Call[int | None] = _zsets.zrevrank(key, member)
        return await self._run(call)

    @overload
    async def zrange(self, key: Key, start: RangeBound, stop: RangeBound, *, byscore: bool = False, bylex: bool = False, rev: bool = False, offset: int | None = None, count: int | None = None, withscores: Literal[False] = False) -> list[R]: ...

    @overload
    async def zrange(self, key: Key, start: RangeBound, stop: RangeBound, *, byscore: bool = False, bylex: bool = False, rev: bool = False, offset: int | None = None, count: int | None = None, withscores: Literal[True]) -> list[tuple[R, float]]: ...

    @overload
    async def zrange(self, key: Key, start: RangeBound, stop: RangeBound, *, byscore: bool = False, bylex: bool = False, rev: bool = False, offset: int | None = None, count: int | None = None, withscores: bool = False) -> list[R] | list[tuple[R, float]]: ...

    async def zrange(self, key: Key, start: RangeBound, stop: RangeBound, *, byscore: bool = False, bylex: bool = False, rev: bool = False, offset: int | None = None, count: int | None = None, withscores: bool = False) -> list[R] | list[tuple[R, float]]:
        """Members from `start` to `stop` inclusive: by rank (ints; negative counts from the
        end), by score (`byscore`: score bounds) or lexicographically (`bylex`: lex bounds).

        Args:
            rev: descending order; with `byscore`/`bylex`, `start` is then the upper bound, as
                Redis takes it.
            offset, count: skip `offset` matches and return at most `count` (a negative count:
                all); only with `byscore` or `bylex`.
            withscores: ``(member, score)`` tuples instead of members (not with `bylex`).

        Example::

            await db.zrange("board", 0, 2, rev=True, withscores=True)   # the top three
        """
        call: Call[list[R] | list[tuple[R, float]]] = _zsets.zrange(key, start, stop, byscore=byscore, bylex=bylex, rev=rev, offset=offset, count=count, withscores=withscores)
        return await self._run(call)

    async def zrangestore(self, dest: Key, name: Key, start: RangeBound, stop: RangeBound, *, byscore: bool = False, bylex: bool = False, rev: bool = False, offset: int | None = None, count: int | None = None) -> int:
        """Store what `zrange(name, start, stop, ...)` would return at `dest`; return its size."""
        call: Call[int] = _zsets.zrangestore(dest, name, start, stop, byscore=byscore, bylex=bylex, rev=rev, offset=offset, count=count)
        return await self._run(call)

    @overload
    async def zrangebyscore(self, key: Key, min: ScoreBound, max: ScoreBound, *, start: int | None = None, num: int | None = None, withscores: Literal[False] = False) -> list[R]: ...

    @overload
    async def zrangebyscore(self, key: Key, min: ScoreBound, max: ScoreBound, *, start: int | None = None, num: int | None = None, withscores: Literal[True]) -> list[tuple[R, float]]: ...

    @overload
    async def zrangebyscore(self, key: Key, min: ScoreBound, max: ScoreBound, *, start: int | None = None, num: int | None = None, withscores: bool = False) -> list[R] | list[tuple[R, float]]: ...

    async def zrangebyscore(self, key: Key, min: ScoreBound, max: ScoreBound, *, start: int | None = None, num: int | None = None, withscores: bool = False) -> list[R] | list[tuple[R, float]]:
        """Members with a score between `min` and `max`, ascending; `start` and `num` skip and
        limit (give both); with `withscores`, ``(member, score)`` tuples.
        """
        call: Call[list[R] | list[tuple[R, float]]] = _zsets.zrangebyscore(key, min, max, start=start, num=num, withscores=withscores)
        return await self._run(call)

    @overload
    async def zrevrange(self, key: Key, start: int, end: int, withscores: Literal[False] = False) -> list[R]: ...

    @overload
    async def zrevrange(self, key: Key, start: int, end: int, withscores: Literal[True]) -> list[tuple[R, float]]: ...

    @overload
    async def zrevrange(self, key: Key, start: int, end: int, withscores: bool = False) -> list[R] | list[tuple[R, float]]: ...

    async def zrevrange(self, key: Key, start: int, end: int, withscores: bool = False) -> list[R] | list[tuple[R, float]]:
        """Members by rank from `start` to `end` inclusive, by descending score."""
        call: Call[list[R] | list[tuple[R, float]]] = _zsets.zrevrange(key, start, end, withscores)
        return await self._run(call)

    async def zremrangebyrank(self, key: Key, min: int, max: int) -> int:
        """Remove the members ranked `min` to `max` inclusive; return how many."""
        call: Call[int] = _zsets.zremrangebyrank(key, min, max)
        return await self._run(call)

    async def zremrangebyscore(self, key: Key, min: ScoreBound, max: ScoreBound) -> int:
        """Remove the members with a score between `min` and `max`; return how many."""
        call: Call[int] = _zsets.zremrangebyscore(key, min, max)
        return await self._run(call)


class QueuedOperations:
    """Every operation as a method that queues the call and returns the builder."""

    __slots__ = ()

    def _queue(self, call: Call[Any]) -> Self:
        raise NotImplementedError

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

    def unlink(self, *keys: Key) -> Self:
        """Delete `keys`, freeing their memory in the background; return how many existed."""
        return self._queue(_keys.unlink(*keys))

    def type(self, key: Key) -> Self:
        """The type of the value at `key`: ``"string"``, ``"list"``, ``"hash"``, ``"set"``,
        ``"zset"``, ``"stream"``, or ``"none"`` when missing (always a str).
        """
        return self._queue(_keys.type_(key))

    def rename(self, src: Key, dst: Key) -> Self:
        """Rename `src` to `dst` (replacing it); True.  A missing `src` raises
        `kvs.ResponseError` (``ERR no such key``).
        """
        return self._queue(_keys.rename(src, dst))

    def renamenx(self, src: Key, dst: Key) -> Self:
        """Rename `src` to `dst` only if `dst` does not exist; True when renamed."""
        return self._queue(_keys.renamenx(src, dst))

    def persist(self, key: Key) -> Self:
        """Remove the time to live of `key`; True when it had one."""
        return self._queue(_keys.persist(key))

    def pexpire(self, key: Key, milliseconds: Seconds) -> Self:
        """Set a time to live in milliseconds (int, or a timedelta); False when the key is
        missing.  ``milliseconds <= 0`` deletes the key.
        """
        return self._queue(_keys.pexpire(key, milliseconds))

    def pttl(self, key: Key) -> Self:
        """Milliseconds left before `key` expires; -1 without expiry; -2 when missing."""
        return self._queue(_keys.pttl(key))

    def expireat(self, key: Key, when: When) -> Self:
        """Expire `key` at `when` (Unix time in seconds, or a datetime); False when the key is
        missing.  A moment in the past deletes the key.
        """
        return self._queue(_keys.expireat(key, when))

    def expiretime(self, key: Key) -> Self:
        """The Unix time in seconds at which `key` expires; -1 without expiry; -2 when
        missing.
        """
        return self._queue(_keys.expiretime(key))

    def copy(self, src: Key, dst: Key, *, destination_db: int | None = None, replace: bool = False) -> Self:
        """Copy the value (and time to live) of `src` to `dst`; True when copied, False when
        `src` is missing or `dst` exists (unless `replace`).
        """
        return self._queue(_keys.copy(src, dst, destination_db=destination_db, replace=replace))

    def dbsize(self) -> Self:
        """The number of keys in the database."""
        return self._queue(_keys.dbsize())

    def flushdb(self, asynchronous: bool = False) -> Self:
        """Delete every key of the database (in the background with `asynchronous`); True."""
        return self._queue(_keys.flushdb(asynchronous))

    def scan(self, cursor: int = 0, *, match: Key | None = None, count: int | None = None, type: str | None = None) -> Self:
        """One page of SCAN: the next cursor (0 when the scan is over) and some keys.
        `scan_iter` runs the whole scan.
        """
        return self._queue(_keys.scan(cursor, match=match, count=count, type=type))

    def hset(self, key: Key, field: Key | None = None, value: Value | None = None, *, mapping: ValueMapping | None = None) -> Self:
        """Set one hash field (`field`, `value`) and/or every field of `mapping`.

        Returns:
            For one field, True when it is new and False when it was updated; with `mapping`,
            the number of new fields.
        """
        return self._queue(_hashes.hset(key, field, value, mapping=mapping))

    def hget(self, key: Key, field: Key) -> Self:
        """Return a hash field, or None."""
        return self._queue(_hashes.hget(key, field))

    def hgetall(self, key: Key) -> Self:
        """Return the whole hash as a dict ({} when missing)."""
        return self._queue(_hashes.hgetall(key))

    def hdel(self, key: Key, *fields: Key) -> Self:
        """Delete `fields` from the hash; return how many existed."""
        return self._queue(_hashes.hdel(key, *fields))

    def hexists(self, key: Key, field: Key) -> Self:
        """Whether the hash has `field`."""
        return self._queue(_hashes.hexists(key, field))

    def hlen(self, key: Key) -> Self:
        """The number of fields of the hash (0 when missing)."""
        return self._queue(_hashes.hlen(key))

    def hkeys(self, key: Key) -> Self:
        """The fields of the hash."""
        return self._queue(_hashes.hkeys(key))

    def hvals(self, key: Key) -> Self:
        """The values of the hash."""
        return self._queue(_hashes.hvals(key))

    def hmget(self, key: Key, fields: Keys) -> Self:
        """The values of `fields`, aligned with them, None where missing."""
        return self._queue(_hashes.hmget(key, fields))

    def hincrby(self, key: Key, field: Key, amount: int = 1) -> Self:
        """Add `amount` to the integer in `field` (a missing one starts at 0); return it."""
        return self._queue(_hashes.hincrby(key, field, amount))

    def hincrbyfloat(self, key: Key, field: Key, amount: float = 1.0) -> Self:
        """Add `amount` to the number in `field` (a missing one starts at 0); return it."""
        return self._queue(_hashes.hincrbyfloat(key, field, amount))

    def hsetnx(self, key: Key, field: Key, value: Value) -> Self:
        """Set `field` only if it does not exist; True when set."""
        return self._queue(_hashes.hsetnx(key, field, value))

    def hrandfield(self, key: Key, count: int | None = None, withvalues: bool = False) -> Self:
        """Random fields of the hash: without `count`, one field (None when missing); with it,
        a list of up to `count` distinct fields (a negative count allows repeats and gives
        exactly ``-count``); with `withvalues`, ``(field, value)`` tuples.
        """
        return self._queue(_hashes.hrandfield(key, count, withvalues))

    def hscan(self, key: Key, cursor: int = 0, *, match: Key | None = None, count: int | None = None) -> Self:
        """One page of HSCAN: the next cursor (0 when done) and some fields with their values.
        `hscan_iter` runs the whole scan.
        """
        return self._queue(_hashes.hscan(key, cursor, match=match, count=count))

    def pfadd(self, key: Key, *elements: Value) -> Self:
        """Add `elements` to the HyperLogLog at `key` (created when missing); True when its
        estimate changed (or it was created).
        """
        return self._queue(_hll.pfadd(key, *elements))

    def pfcount(self, *keys: Key) -> Self:
        """The estimated number of distinct elements added to the HyperLogLogs `keys` (of their
        union, for several).
        """
        return self._queue(_hll.pfcount(*keys))

    def pfmerge(self, dest: Key, *sources: Key) -> Self:
        """Merge the HyperLogLogs `sources` (and `dest` itself) into `dest`; True."""
        return self._queue(_hll.pfmerge(dest, *sources))

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

    def llen(self, key: Key) -> Self:
        """The length of the list at `key` (0 when missing)."""
        return self._queue(_lists.llen(key))

    def lindex(self, key: Key, index: int) -> Self:
        """The element at `index` (negative counts from the end), or None when out of range."""
        return self._queue(_lists.lindex(key, index))

    def lset(self, key: Key, index: int, value: Value) -> Self:
        """Replace the element at `index`; True.  An index out of range (or a missing key)
        raises `kvs.ResponseError`.
        """
        return self._queue(_lists.lset(key, index, value))

    def linsert(self, key: Key, where: str, refvalue: Value, value: Value) -> Self:
        """Insert `value` ``"before"`` or ``"after"`` (`where`) the first `refvalue`; return the
        new length, -1 when `refvalue` is not there, 0 when the key is missing.
        """
        return self._queue(_lists.linsert(key, where, refvalue, value))

    def lrem(self, key: Key, count: int, value: Value) -> Self:
        """Remove `count` occurrences of `value` (from the tail when negative, all when 0);
        return how many were removed.
        """
        return self._queue(_lists.lrem(key, count, value))

    def ltrim(self, key: Key, start: int, end: int) -> Self:
        """Keep only elements `start` to `end` inclusive; True."""
        return self._queue(_lists.ltrim(key, start, end))

    def lpos(self, key: Key, value: Value, rank: int | None = None, count: int | None = None, maxlen: int | None = None) -> Self:
        """The index of `value` in the list, or None; with `count`, a list of up to `count`
        indexes (0: all).  `rank` picks the n-th match (negative: from the tail); `maxlen`
        compares at most that many elements.
        """
        return self._queue(_lists.lpos(key, value, rank, count, maxlen))

    def lmove(self, first_list: Key, second_list: Key, src: str = 'LEFT', dest: str = 'RIGHT') -> Self:
        """Pop an element from the `src` end (``"left"``/``"right"``) of `first_list`, push it at
        the `dest` end of `second_list` and return it; None when `first_list` is empty.
        """
        return self._queue(_lists.lmove(first_list, second_list, src, dest))

    def lmpop(self, keys: Keys, direction: str = 'LEFT', *, count: int | None = None) -> Self:
        """Pop up to `count` (default 1) elements from the `direction` end of the first
        non-empty list of `keys`; return ``(key, elements)``, or None when all are empty.
        """
        return self._queue(_lists.lmpop(keys, direction, count=count))

    def blpop(self, keys: Key | Keys, timeout: Timeout = 0) -> Self:
        """Pop the first element of the first non-empty list of `keys`, waiting up to `timeout`
        seconds (0: for ever) for one; return ``(key, element)``, or None when none came.

        Waiting clients are served in the order they started waiting, one element each.
        Example: ``await db.blpop(["jobs:high", "jobs:low"], timeout=5)``.
        """
        return self._queue(_lists.blpop(keys, timeout))

    def brpop(self, keys: Key | Keys, timeout: Timeout = 0) -> Self:
        """`blpop` from the tail: ``(key, last element)``, or None when none came in time."""
        return self._queue(_lists.brpop(keys, timeout))

    def blmove(self, first_list: Key, second_list: Key, timeout: Timeout, src: str = 'LEFT', dest: str = 'RIGHT') -> Self:
        """`lmove` that waits up to `timeout` seconds (0: for ever) for `first_list` to have an
        element; return the element moved, or None when none came.
        """
        return self._queue(_lists.blmove(first_list, second_list, timeout, src, dest))

    def blmpop(self, timeout: Timeout, keys: Key | Keys, direction: str = 'LEFT', *, count: int | None = None) -> Self:
        """`lmpop` that waits up to `timeout` seconds (0: for ever) for one of `keys` to have
        elements; return ``(key, elements)``, or None when none came.
        """
        return self._queue(_lists.blmpop(timeout, keys, direction, count=count))

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

    def eval(self, script: Value, keys: Keys = (), args: Values = ()) -> Self:
        """Run the Lua `script` with ``KEYS`` = `keys` and ``ARGV`` = `args`; return its reply
        as the server converted it (decoded unless ``decode=False``).  Never sent twice.

        Example::

            await db.eval("return redis.call('INCR', KEYS[1])", ["hits"])   # 1
        """
        return self._queue(_scripting.eval_(script, keys, args))

    def eval_ro(self, script: Value, keys: Keys = (), args: Values = ()) -> Self:
        """`eval` of a script that only reads (the server refuses its writes); retried as a
        read.
        """
        return self._queue(_scripting.eval_ro(script, keys, args))

    def evalsha(self, sha: str, keys: Keys = (), args: Values = ()) -> Self:
        """Run the script cached under `sha` (see `script_load`); NOSCRIPT when the server does
        not hold it.  Never sent twice.
        """
        return self._queue(_scripting.evalsha(sha, keys, args))

    def evalsha_ro(self, sha: str, keys: Keys = (), args: Values = ()) -> Self:
        """`evalsha` of a script that only reads; retried as a read."""
        return self._queue(_scripting.evalsha_ro(sha, keys, args))

    def script_load(self, script: Value) -> Self:
        """Cache `script` on the server without running it; return its SHA1 (hex, ``str``),
        the name `evalsha` takes.
        """
        return self._queue(_scripting.script_load(script))

    def script_exists(self, *shas: str) -> Self:
        """Whether the server holds a script for each of `shas`, in order."""
        return self._queue(_scripting.script_exists(*shas))

    def script_flush(self, mode: str | None = None) -> Self:
        """Empty the server's script cache (`mode` ``"SYNC"`` or ``"ASYNC"``); True."""
        return self._queue(_scripting.script_flush(mode))

    def function_load(self, code: Value, replace: bool = False) -> Self:
        """Load a library of functions; `code` starts with ``#!lua name=<library>`` and calls
        ``redis.register_function``.  Return the library's name.  With `replace`, a library of
        that name is replaced; without, loading it again is an error.

        Example::

            await db.function_load("#!lua name=lib\\n"
                                   "redis.register_function('hi', function() return 'hi' end)")
        """
        return self._queue(_scripting.function_load(code, replace))

    def function_list(self, library: str | None = None, withcode: bool = False) -> Self:
        """The loaded libraries (those whose name matches the glob `library`): each a dict with
        ``library_name``, ``engine``, ``functions`` (dicts of ``name``, ``description``,
        ``flags`` as a set) and, with `withcode`, ``library_code``.
        """
        return self._queue(_scripting.function_list(library, withcode))

    def function_delete(self, library: str) -> Self:
        """Delete the library `library` and its functions; True (an error when missing)."""
        return self._queue(_scripting.function_delete(library))

    def function_flush(self, mode: str | None = None) -> Self:
        """Delete every library (`mode` ``"SYNC"`` or ``"ASYNC"``); True."""
        return self._queue(_scripting.function_flush(mode))

    def fcall(self, function: str, keys: Keys = (), args: Values = ()) -> Self:
        """Call the loaded function `function` with `keys` and `args`; its reply as the server
        converted it.  Never sent twice.
        """
        return self._queue(_scripting.fcall(function, keys, args))

    def fcall_ro(self, function: str, keys: Keys = (), args: Values = ()) -> Self:
        """`fcall` of a function flagged ``no-writes``; retried as a read."""
        return self._queue(_scripting.fcall_ro(function, keys, args))

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

    def srem(self, key: Key, *members: Value) -> Self:
        """Remove members from the set; return how many were there."""
        return self._queue(_sets.srem(key, *members))

    def sismember(self, key: Key, member: Value) -> Self:
        """Whether `member` is in the set."""
        return self._queue(_sets.sismember(key, member))

    def smismember(self, key: Key, members: Values) -> Self:
        """Whether each of `members` is in the set, aligned with them."""
        return self._queue(_sets.smismember(key, members))

    def scard(self, key: Key) -> Self:
        """The number of members of the set (0 when missing)."""
        return self._queue(_sets.scard(key))

    def spop(self, key: Key, count: int | None = None) -> Self:
        """Remove and return a random member (None when the set is empty); with `count`, a set
        of up to `count` members.
        """
        return self._queue(_sets.spop(key, count))

    def srandmember(self, key: Key, number: int | None = None) -> Self:
        """A random member (None when the set is empty); with `number`, a list of up to
        `number` distinct members (a negative number allows repeats and gives exactly
        ``-number``).
        """
        return self._queue(_sets.srandmember(key, number))

    def smove(self, src: Key, dst: Key, member: Value) -> Self:
        """Move `member` from the set `src` to the set `dst`; True when it was in `src`."""
        return self._queue(_sets.smove(src, dst, member))

    def sinter(self, *keys: Key) -> Self:
        """The members present in every set of `keys`."""
        return self._queue(_sets.sinter(*keys))

    def sunion(self, *keys: Key) -> Self:
        """The members of any set of `keys`."""
        return self._queue(_sets.sunion(*keys))

    def sdiff(self, *keys: Key) -> Self:
        """The members of the first set that are in none of the others."""
        return self._queue(_sets.sdiff(*keys))

    def sinterstore(self, dest: Key, *keys: Key) -> Self:
        """Store `sinter(*keys)` at `dest`; return its size."""
        return self._queue(_sets.sinterstore(dest, *keys))

    def sunionstore(self, dest: Key, *keys: Key) -> Self:
        """Store `sunion(*keys)` at `dest`; return its size."""
        return self._queue(_sets.sunionstore(dest, *keys))

    def sdiffstore(self, dest: Key, *keys: Key) -> Self:
        """Store `sdiff(*keys)` at `dest`; return its size."""
        return self._queue(_sets.sdiffstore(dest, *keys))

    def sintercard(self, keys: Keys, *, limit: int = 0) -> Self:
        """The size of the intersection of the sets `keys`, counting up to `limit` (0: no
        limit).
        """
        return self._queue(_sets.sintercard(keys, limit=limit))

    def sscan(self, key: Key, cursor: int = 0, *, match: Key | None = None, count: int | None = None) -> Self:
        """One page of SSCAN: the next cursor (0 when done) and some members.  `sscan_iter`
        runs the whole scan.
        """
        return self._queue(_sets.sscan(key, cursor, match=match, count=count))

    def xadd(self, key: Key, fields: ValueMapping, *, id: StreamId = '*', maxlen: int | None = None, minid: StreamId | None = None, approximate: bool = True, nomkstream: bool = False, limit: int | None = None) -> Self:
        """Append an entry to the stream at `key`; return its id.

        Args:
            fields: the entry's fields and values (not empty).
            id: ``"*"`` (the server picks it), ``"ms-*"``, or an explicit ``"ms-seq"``.
            maxlen, minid: trim the stream after adding (one of them), exactly or, with
                `approximate` (the default), by whole internal nodes, at most `limit` entries.
            nomkstream: do not create a missing stream; the result is None then.

        Example: ``await db.xadd("jobs", {"task": "resize"}, maxlen=10_000)`` returns an id such
        as ``"1700000000000-0"``.
        """
        return self._queue(_streams.xadd(key, fields, id=id, maxlen=maxlen, minid=minid, approximate=approximate, nomkstream=nomkstream, limit=limit))

    def xlen(self, key: Key) -> Self:
        """The number of entries of the stream (0 when missing)."""
        return self._queue(_streams.xlen(key))

    def xrange(self, key: Key, min: StreamId = '-', max: StreamId = '+', count: int | None = None) -> Self:
        """The entries from `min` to `max` (inclusive; ``"(id"`` excludes), oldest first,
        at most `count`.
        """
        return self._queue(_streams.xrange(key, min, max, count))

    def xrevrange(self, key: Key, max: StreamId = '+', min: StreamId = '-', count: int | None = None) -> Self:
        """The entries from `max` down to `min`, newest first, at most `count`."""
        return self._queue(_streams.xrevrange(key, max, min, count))

    def xdel(self, key: Key, *ids: StreamId) -> Self:
        """Delete entries by id; return how many were there."""
        return self._queue(_streams.xdel(key, *ids))

    def xtrim(self, key: Key, *, maxlen: int | None = None, minid: StreamId | None = None, approximate: bool = True, limit: int | None = None) -> Self:
        """Trim the stream to `maxlen` entries or to ids from `minid` (one of them); with
        `approximate`, only whole internal nodes go (at most `limit` entries).  Returns how
        many entries were removed.
        """
        return self._queue(_streams.xtrim(key, maxlen=maxlen, minid=minid, approximate=approximate, limit=limit))

    def xread(self, streams: Streams, *, count: int | None = None, block: int | None = None) -> Self:
        """Read entries after the given ids from one or more streams.

        Args:
            streams: key -> the last id seen (``"$"``: only entries added from now on).
            count: at most this many entries per stream.
            block: wait up to this many milliseconds (0: for ever) for an entry, on a
                connection of its own.

        Returns:
            key -> its entries, for the streams that had some; ``{}`` when none had (without
            `block`), None when `block` ran out.
        """
        return self._queue(_streams.xread(streams, count=count, block=block))

    def xgroup_create(self, key: Key, group: Key, id: StreamId = '$', mkstream: bool = False, entries_read: int | None = None) -> Self:
        """Create consumer group `group` starting after `id` (``"$"``: the last entry);
        `mkstream` creates a missing stream.  True; an existing group raises
        `kvs.ResponseError` (BUSYGROUP).
        """
        return self._queue(_streamgroups.xgroup_create(key, group, id, mkstream, entries_read))

    def xgroup_destroy(self, key: Key, group: Key) -> Self:
        """Delete a consumer group and its pending entries; True when it existed."""
        return self._queue(_streamgroups.xgroup_destroy(key, group))

    def xgroup_createconsumer(self, key: Key, group: Key, consumer: Key) -> Self:
        """Create a consumer in a group; True when it is new."""
        return self._queue(_streamgroups.xgroup_createconsumer(key, group, consumer))

    def xgroup_delconsumer(self, key: Key, group: Key, consumer: Key) -> Self:
        """Delete a consumer; return how many pending entries it had (they are dropped)."""
        return self._queue(_streamgroups.xgroup_delconsumer(key, group, consumer))

    def xgroup_setid(self, key: Key, group: Key, id: StreamId, entries_read: int | None = None) -> Self:
        """Set a group's last delivered id (``"$"``: the last entry); True."""
        return self._queue(_streamgroups.xgroup_setid(key, group, id, entries_read))

    def xreadgroup(self, group: Key, consumer: Key, streams: Streams, *, count: int | None = None, block: int | None = None, noack: bool = False) -> Self:
        """Read as `consumer` of `group`: with id ``">"``, entries never delivered to the group
        (recorded as pending for `consumer` unless `noack`); with another id, the consumer's
        own pending entries after it (fields None for an entry deleted since).

        Never retried once it may have reached the server: it changes the group's state.
        Returns what `xread` returns.
        """
        return self._queue(_streamgroups.xreadgroup(group, consumer, streams, count=count, block=block, noack=noack))

    def xack(self, key: Key, group: Key, *ids: StreamId) -> Self:
        """Acknowledge entries (remove them from the group's pending list); return how many
        were pending.
        """
        return self._queue(_streamgroups.xack(key, group, *ids))

    def xpending(self, key: Key, group: Key, min: StreamId | None = None, max: StreamId | None = None, count: int | None = None, *, consumer: Key | None = None, idle: int | None = None) -> Self:
        """The pending entries of a group.

        Without a range, a summary: ``{"pending": n, "min": id, "max": id, "consumers":
        [{"name": ..., "pending": n}, ...]}``.  With `min`, `max` and `count` (and optionally
        one `consumer`'s, and only those idle for at least `idle` ms), up to `count` dicts
        ``{"message_id", "consumer", "time_since_delivered", "times_delivered"}``.
        """
        return self._queue(_streamgroups.xpending(key, group, min, max, count, consumer=consumer, idle=idle))

    def xclaim(self, key: Key, group: Key, consumer: Key, min_idle_time: int, ids: StreamIds, *, idle: int | None = None, time: int | None = None, retrycount: int | None = None, force: bool = False, justid: bool = False) -> Self:
        """Give `consumer` the pending entries `ids` idle for at least `min_idle_time` ms.

        Args:
            idle, time: set the entries' idle time (ms) or last delivery (Unix ms).
            retrycount: set their delivery count (otherwise it grows by one, but with `justid`).
            force: claim ids that exist in the stream even if no one has them pending.
            justid: return the ids only.

        Returns:
            The claimed entries (ids with `justid`); ids deleted from the stream are dropped
            from the pending list and left out.
        """
        return self._queue(_streamgroups.xclaim(key, group, consumer, min_idle_time, ids, idle=idle, time=time, retrycount=retrycount, force=force, justid=justid))

    def xautoclaim(self, key: Key, group: Key, consumer: Key, min_idle_time: int, start: StreamId = '0-0', *, count: int | None = None, justid: bool = False) -> Self:
        """Claim for `consumer` up to `count` (default 100) pending entries idle for at least
        `min_idle_time` ms, scanning the pending list from `start`.

        Returns:
            ``(cursor, claimed, deleted)``: the id to start the next call from (``"0-0"`` when
            the scan is done), the claimed entries (ids with `justid`), and the ids that were
            pending but deleted from the stream (now dropped from the pending list).
        """
        return self._queue(_streamgroups.xautoclaim(key, group, consumer, min_idle_time, start, count=count, justid=justid))

    def xinfo_stream(self, key: Key, full: bool = False) -> Self:
        """XINFO STREAM: the stream's length, ids, counters and first and last entries as
        ``(id, fields)``; with `full`, every entry, group, pending entry and consumer.  Field
        names are Redis's (``"entries-added"``, ``"recorded-first-entry-id"``, ...).
        """
        return self._queue(_streamgroups.xinfo_stream(key, full))

    def xinfo_groups(self, key: Key) -> Self:
        """XINFO GROUPS: one dict per group (``name``, ``consumers``, ``pending``,
        ``last-delivered-id``, ``entries-read``, ``lag``).
        """
        return self._queue(_streamgroups.xinfo_groups(key))

    def xinfo_consumers(self, key: Key, group: Key) -> Self:
        """XINFO CONSUMERS: one dict per consumer (``name``, ``pending``, ``idle`` ms)."""
        return self._queue(_streamgroups.xinfo_consumers(key, group))

    def set(self, key: Key, value: Value, *, ex: Duration = None, px: Duration = None, nx: bool = False, xx: bool = False, keepttl: bool = False, get: bool = False, exat: When | None = None, pxat: When | None = None) -> Self:
        """Store `value` at `key`.

        Args:
            key: str or bytes.
            value: str, bytes, int, float or bool (True is stored as ``"1"``).
            ex: expiry in seconds (int or timedelta); px: in milliseconds.
            nx: only if the key does not exist; xx: only if it exists.
            keepttl: keep the key's time to live.
            get: return the old value instead of True/False.
            exat: expire at this Unix time in seconds (int or datetime); pxat: in milliseconds.

        Returns:
            True, or False when `nx` or `xx` stopped it; with `get`, the old value (or None).

        Example::

            await db.set("session:1", "alice", ex=3600)   # True
        """
        return self._queue(_strings.set_(key, value, ex=ex, px=px, nx=nx, xx=xx, keepttl=keepttl, get=get, exat=exat, pxat=pxat))

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

    def msetnx(self, mapping: ValueMapping) -> Self:
        """Set every key of `mapping` only if none of them exists; True when set."""
        return self._queue(_strings.msetnx(mapping))

    def getdel(self, key: Key) -> Self:
        """Return the value at `key` and delete it; None when missing."""
        return self._queue(_strings.getdel(key))

    def getex(self, key: Key, *, ex: Duration = None, px: Duration = None, exat: When | None = None, pxat: When | None = None, persist: bool = False) -> Self:
        """Return the value at `key` (None when missing) and set or remove its time to live:
        `ex`/`px` (seconds/milliseconds from now), `exat`/`pxat` (Unix time), `persist`.
        """
        return self._queue(_strings.getex(key, ex=ex, px=px, exat=exat, pxat=pxat, persist=persist))

    def getset(self, key: Key, value: Value) -> Self:
        """Store `value` at `key` and return the old value (None when missing)."""
        return self._queue(_strings.getset(key, value))

    def setnx(self, key: Key, value: Value) -> Self:
        """Store `value` at `key` only if it does not exist; True when stored."""
        return self._queue(_strings.setnx(key, value))

    def setex(self, key: Key, time: Seconds, value: Value) -> Self:
        """Store `value` at `key` with a time to live of `time` seconds (int or timedelta);
        True.
        """
        return self._queue(_strings.setex(key, time, value))

    def append(self, key: Key, value: Value) -> Self:
        """Append `value` to the string at `key` (created when missing); return its length."""
        return self._queue(_strings.append(key, value))

    def strlen(self, key: Key) -> Self:
        """The length in bytes of the string at `key` (0 when missing)."""
        return self._queue(_strings.strlen(key))

    def getrange(self, key: Key, start: int, end: int) -> Self:
        """Bytes `start` to `end` inclusive of the string at `key`; negative offsets count from
        the end ("" when out of range or missing).
        """
        return self._queue(_strings.getrange(key, start, end))

    def setrange(self, key: Key, offset: int, value: Value) -> Self:
        """Overwrite the string at `key` from byte `offset` (padding with zero bytes); return
        its new length.
        """
        return self._queue(_strings.setrange(key, offset, value))

    def incrbyfloat(self, key: Key, amount: float = 1.0) -> Self:
        """Add `amount` to the number at `key` (a missing key starts at 0); return it."""
        return self._queue(_strings.incrbyfloat(key, amount))

    def zpopmin(self, key: Key, count: int | None = None) -> Self:
        """Remove and return the `count` (default 1) lowest-scored members, as
        ``(member, score)`` tuples ([] when empty).
        """
        return self._queue(_zsetops.zpopmin(key, count))

    def zpopmax(self, key: Key, count: int | None = None) -> Self:
        """Remove and return the `count` (default 1) highest-scored members, as
        ``(member, score)`` tuples ([] when empty).
        """
        return self._queue(_zsetops.zpopmax(key, count))

    def bzpopmin(self, keys: Key | Keys, timeout: Timeout = 0) -> Self:
        """Pop the lowest-scored member of the first non-empty sorted set of `keys`, waiting up
        to `timeout` seconds (0: for ever); return ``(key, member, score)``, or None when none
        came.
        """
        return self._queue(_zsetops.bzpopmin(keys, timeout))

    def bzpopmax(self, keys: Key | Keys, timeout: Timeout = 0) -> Self:
        """`bzpopmin` for the highest-scored member."""
        return self._queue(_zsetops.bzpopmax(keys, timeout))

    def zrandmember(self, key: Key, count: int | None = None, withscores: bool = False) -> Self:
        """A random member (None when missing); with `count`, a list of up to `count` distinct
        members (a negative count allows repeats and gives exactly ``-count``); with
        `withscores`, ``(member, score)`` tuples.
        """
        return self._queue(_zsetops.zrandmember(key, count, withscores))

    def zunionstore(self, dest: Key, keys: Weights, aggregate: str | None = None) -> Self:
        """Store the union of the sorted sets `keys` at `dest`; return its size.  `keys` may
        map each key to a weight; `aggregate` is ``"sum"`` (default), ``"min"`` or ``"max"``.
        """
        return self._queue(_zsetops.zunionstore(dest, keys, aggregate))

    def zinterstore(self, dest: Key, keys: Weights, aggregate: str | None = None) -> Self:
        """Store the intersection of the sorted sets `keys` at `dest`; return its size.  `keys`
        may map each key to a weight; `aggregate` is ``"sum"`` (default), ``"min"`` or
        ``"max"``.
        """
        return self._queue(_zsetops.zinterstore(dest, keys, aggregate))

    def zdiffstore(self, dest: Key, keys: Keys) -> Self:
        """Store the members of the first sorted set of `keys` that are in none of the others
        at `dest` (with their scores); return its size.
        """
        return self._queue(_zsetops.zdiffstore(dest, keys))

    def zscan(self, key: Key, cursor: int = 0, *, match: Key | None = None, count: int | None = None) -> Self:
        """One page of ZSCAN: the next cursor (0 when done) and ``(member, score)`` tuples.
        `zscan_iter` runs the whole scan.
        """
        return self._queue(_zsetops.zscan(key, cursor, match=match, count=count))

    def zadd(self, key: Key, mapping: ScoreMapping, *, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False, ch: bool = False) -> Self:
        """Add the members of `mapping` (member -> score) or update their scores.

        Args:
            nx: only add new members; xx: only update existing ones.
            gt, lt: only update when the new score is greater (less) than the current one.
            ch: count changed members too, not only added ones.

        Returns:
            The number of members added (with `ch`, added or changed).
        """
        return self._queue(_zsets.zadd(key, mapping, nx=nx, xx=xx, gt=gt, lt=lt, ch=ch))

    def zincrby(self, key: Key, amount: float, member: Value) -> Self:
        """Add `amount` to the score of `member` (a new member starts at 0); return the score."""
        return self._queue(_zsets.zincrby(key, amount, member))

    def zrem(self, key: Key, *members: Value) -> Self:
        """Remove members; return how many were there."""
        return self._queue(_zsets.zrem(key, *members))

    def zscore(self, key: Key, member: Value) -> Self:
        """The score of `member`, or None."""
        return self._queue(_zsets.zscore(key, member))

    def zmscore(self, key: Key, members: Values) -> Self:
        """The scores of `members`, aligned with them, None where missing."""
        return self._queue(_zsets.zmscore(key, members))

    def zcard(self, key: Key) -> Self:
        """The number of members (0 when missing)."""
        return self._queue(_zsets.zcard(key))

    def zcount(self, key: Key, min: ScoreBound, max: ScoreBound) -> Self:
        """The number of members with a score between `min` and `max` (inclusive unless
        written ``"(x"``).
        """
        return self._queue(_zsets.zcount(key, min, max))

    def zlexcount(self, key: Key, min: LexBound, max: LexBound) -> Self:
        """The number of members between the lexicographic bounds `min` and `max` (for members
        that share one score).
        """
        return self._queue(_zsets.zlexcount(key, min, max))

    def zrank(self, key: Key, member: Value) -> Self:
        """The rank of `member` by ascending score (0 first), or None."""
        return self._queue(_zsets.zrank(key, member))

    def zrevrank(self, key: Key, member: Value) -> Self:
        """The rank of `member` by descending score (0 first), or None."""
        return self._queue(_zsets.zrevrank(key, member))

    def zrange(self, key: Key, start: RangeBound, stop: RangeBound, *, byscore: bool = False, bylex: bool = False, rev: bool = False, offset: int | None = None, count: int | None = None, withscores: bool = False) -> Self:
        """Members from `start` to `stop` inclusive: by rank (ints; negative counts from the
        end), by score (`byscore`: score bounds) or lexicographically (`bylex`: lex bounds).

        Args:
            rev: descending order; with `byscore`/`bylex`, `start` is then the upper bound, as
                Redis takes it.
            offset, count: skip `offset` matches and return at most `count` (a negative count:
                all); only with `byscore` or `bylex`.
            withscores: ``(member, score)`` tuples instead of members (not with `bylex`).

        Example::

            await db.zrange("board", 0, 2, rev=True, withscores=True)   # the top three
        """
        return self._queue(_zsets.zrange(key, start, stop, byscore=byscore, bylex=bylex, rev=rev, offset=offset, count=count, withscores=withscores))

    def zrangestore(self, dest: Key, name: Key, start: RangeBound, stop: RangeBound, *, byscore: bool = False, bylex: bool = False, rev: bool = False, offset: int | None = None, count: int | None = None) -> Self:
        """Store what `zrange(name, start, stop, ...)` would return at `dest`; return its size."""
        return self._queue(_zsets.zrangestore(dest, name, start, stop, byscore=byscore, bylex=bylex, rev=rev, offset=offset, count=count))

    def zrangebyscore(self, key: Key, min: ScoreBound, max: ScoreBound, *, start: int | None = None, num: int | None = None, withscores: bool = False) -> Self:
        """Members with a score between `min` and `max`, ascending; `start` and `num` skip and
        limit (give both); with `withscores`, ``(member, score)`` tuples.
        """
        return self._queue(_zsets.zrangebyscore(key, min, max, start=start, num=num, withscores=withscores))

    def zrevrange(self, key: Key, start: int, end: int, withscores: bool = False) -> Self:
        """Members by rank from `start` to `end` inclusive, by descending score."""
        return self._queue(_zsets.zrevrange(key, start, end, withscores))

    def zremrangebyrank(self, key: Key, min: int, max: int) -> Self:
        """Remove the members ranked `min` to `max` inclusive; return how many."""
        return self._queue(_zsets.zremrangebyrank(key, min, max))

    def zremrangebyscore(self, key: Key, min: ScoreBound, max: ScoreBound) -> Self:
        """Remove the members with a score between `min` and `max`; return how many."""
        return self._queue(_zsets.zremrangebyscore(key, min, max))
