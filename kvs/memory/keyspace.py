"""The keyspace of the in-process store: values, expiry deadlines and typed lookups.

Theory of operation: ``_data`` maps each key to its value, whose Python type is its Redis
type: ``bytes`` (string), ``deque`` (list), ``dict`` (hash), ``set`` (set), ``ZSet`` (sorted
set), ``Stream`` (stream); `TYPE_NAMES` gives the name TYPE replies for each, and every type
but ``bytes`` (immutable, so shared) has a ``copy()`` that COPY uses.  A container is never
empty in ``_data``: the command that empties one deletes the key, as Redis does; a stream is
the exception, as in Redis (it keeps its last id and groups when its last entry goes).

``_expires`` maps a key that has a time to live to its deadline, in whole milliseconds on the
store's clock; a key expires once the clock is *past* its deadline (at the deadline it is
still alive, with a TTL of 0), as in Redis.  Every lookup checks the deadline (lazy expiry),
and ``_heap`` orders the deadlines so that a sweep every few commands removes the keys that
died unseen, a bounded number at a time.  Heap entries whose key has since been deleted or
given another deadline are stale: a sweep drops them, and the heap is rebuilt from
``_expires`` when stale entries outnumber live ones.

``_now`` is read once per command, so a command sees one instant, as in Redis.  Absolute
times (EXPIREAT, SET ... EXAT) are Unix times, converted to the clock with an offset taken
when the store is created.
"""

from __future__ import annotations

import heapq
import random
import time
from collections import deque
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from kvs.memory.numbers import INT64_MAX, parse_int
from kvs.memory.streamdata import Stream
from kvs.memory.zindex import ZSet

__all__ = [
    "TYPE_NAMES",
    "CommandError",
    "Keyspace",
    "Value",
    "arity_error",
    "copy_value",
    "error_arg",
    "int_arg",
    "option",
    "random_sample",
    "type_name",
]

Value = bytes | deque[bytes] | dict[bytes, bytes] | set[bytes] | ZSet | Stream

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
OUT_OF_RANGE = (
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)

MAX_SECONDS = INT64_MAX // 1000  # the largest time in seconds that fits in milliseconds

_SWEEP_EVERY = 32  # commands between two sweeps of expired keys
_SWEEP_LIMIT = 64  # keys removed at most by one sweep


# The name TYPE gives each Python type a value can have.
TYPE_NAMES: dict[type, str] = {
    bytes: "string", deque: "list", dict: "hash", set: "set", ZSet: "zset", Stream: "stream",
}


def type_name(value: Any) -> str:
    """What TYPE replies for a live value."""
    return TYPE_NAMES[type(value)]


def copy_value(value: Any) -> Any:
    """A copy of a value that shares nothing mutable with it (for COPY)."""
    return value if type(value) is bytes else value.copy()


_T = TypeVar("_T")


def random_sample(items: Collection[_T], count: int) -> list[_T]:
    """``count`` distinct elements drawn at random (all of them if fewer), or for a negative
    ``count``, ``-count`` draws that may repeat: the rule of SRANDMEMBER and HRANDFIELD."""
    population = list(items)
    if count < 0:
        return random.choices(population, k=-count)
    if count >= len(population):
        random.shuffle(population)
        return population
    return random.sample(population, count)


class CommandError(Exception):
    """Raised inside a command to make it reply with the error text given."""


def arity_error(name: str) -> CommandError:
    """The error Redis gives for a wrong number of arguments to ``name`` (lower case)."""
    return CommandError(f"ERR wrong number of arguments for '{name}' command")


def error_arg(arg: bytes) -> str:
    """An argument ending an error text, as Redis shows it.

    Redis formats it as a C string (it stops at a NUL byte), trims line breaks off the end of
    the text and turns the others into spaces.
    """
    text = arg.split(b"\0", 1)[0].rstrip(b"\r\n").replace(b"\r", b" ").replace(b"\n", b" ")
    return text.decode("utf-8", "surrogateescape")


def option(arg: bytes) -> bytes:
    """An option word, compared as Redis compares it: as a C string, case-insensitively."""
    return arg.partition(b"\0")[0].upper()


def int_arg(arg: bytes) -> int:
    """An integer argument parsed as Redis's ``string2ll`` does, or Redis's error."""
    value = parse_int(arg)
    if value is None:
        raise CommandError(NOT_INTEGER)
    return value


class Keyspace:
    """The keyspace and its expiry; the command mixins build on it."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._data: dict[bytes, Any] = {}
        self._expires: dict[bytes, int] = {}
        self._heap: list[tuple[int, bytes]] = []
        self._now = int(clock() * 1000)
        self._wall_offset = int(time.time() * 1000) - self._now
        self._countdown = _SWEEP_EVERY
        # Counts the times keys left ``_data`` (by every path below: deletion, expiry, an
        # emptied container, FLUSHDB), so SCAN knows when a snapshot's keys are all still live.
        self._removals = 0

    # -- time ---------------------------------------------------------------------------

    def _sweep_some(self) -> None:
        """Called every few commands (after ``_now`` is set): remove some expired keys."""
        self._countdown = _SWEEP_EVERY
        self._sweep(_SWEEP_LIMIT)

    def _unix_ms(self) -> int:
        return self._now + self._wall_offset

    def _sweep(self, limit: int | None) -> None:
        """Delete keys whose deadline has passed, at most ``limit`` of them (None: all)."""
        heap, expires, now = self._heap, self._expires, self._now
        removed = 0
        while heap and heap[0][0] < now and (limit is None or removed < limit):
            deadline, key = heapq.heappop(heap)
            if expires.get(key) == deadline:
                del expires[key]
                del self._data[key]
                removed += 1
        self._removals += removed
        if len(heap) > 2 * len(expires) + 1024:
            self._heap = [(deadline, key) for key, deadline in expires.items()]
            heapq.heapify(self._heap)

    # -- keys ---------------------------------------------------------------------------

    def _lookup(self, key: bytes) -> Any:
        """The live value of ``key``, or None; deletes it first if it has expired."""
        value = self._data.get(key)
        if value is not None and self._expires:
            deadline = self._expires.get(key)
            if deadline is not None and self._now > deadline:
                del self._data[key]
                del self._expires[key]
                self._removals += 1
                return None
        return value

    def _delete(self, key: bytes) -> bool:
        if self._lookup(key) is None:
            return False
        del self._data[key]
        self._removals += 1
        if self._expires:
            self._expires.pop(key, None)
        return True

    def _set_value(self, key: bytes, value: Value) -> None:
        """Store ``value`` under ``key``, replacing any value and clearing its TTL."""
        self._data[key] = value
        if self._expires:
            self._expires.pop(key, None)

    def _set_deadline(self, key: bytes, deadline: int) -> None:
        """Give a live key a deadline (ms on the clock); a past one deletes it at once."""
        if deadline < self._now:
            self._delete(key)
            return
        self._expires[key] = deadline
        heapq.heappush(self._heap, (deadline, key))

    def _deadline_from_unix(self, unix_ms: int) -> int:
        return unix_ms - self._wall_offset

    def _flush(self) -> None:
        """Empty the keyspace (FLUSHDB); a mixin keeping state about keys extends it."""
        self._data.clear()
        self._removals += 1
        self._expires.clear()
        self._heap.clear()

    def _live_keys(self) -> list[bytes]:
        self._sweep(None)
        return list(self._data)

    # -- typed lookups --------------------------------------------------------------------

    def _get_string(self, key: bytes) -> bytes | None:
        value = self._data.get(key)
        if value is not None and self._expires:  # the common case skips a call
            value = self._lookup(key)
        if value is None or type(value) is bytes:
            return value
        raise CommandError(WRONGTYPE)

    def _get_list(self, key: bytes) -> deque[bytes] | None:
        value = self._lookup(key)
        if value is None or type(value) is deque:
            return value
        raise CommandError(WRONGTYPE)

    def _get_hash(self, key: bytes) -> dict[bytes, bytes] | None:
        value = self._lookup(key)
        if value is None or type(value) is dict:
            return value
        raise CommandError(WRONGTYPE)

    def _get_set(self, key: bytes) -> set[bytes] | None:
        value = self._lookup(key)
        if value is None or type(value) is set:
            return value
        raise CommandError(WRONGTYPE)

    def _drop_if_empty(self, key: bytes, container: Value) -> None:
        if not container:
            del self._data[key]
            self._removals += 1
            if self._expires:
                self._expires.pop(key, None)
