"""The tests ``kvs bench`` runs, as redis-benchmark names them: each test's command on a
client or a pipeline, the run's key names (``-r``'s random suffixes under one prefix), and
the data a test that reads or pops is given first, a failed filling command retried once and
then reported and skipped.  `kvs.cli.bench` measures them.
"""

from __future__ import annotations

import functools
import random
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

import kvs

__all__ = ["DEFAULT_TESTS", "TESTS", "Operation"]

TESTS = ("ping", "set", "get", "incr", "lpush", "rpush", "lpop", "rpop", "sadd", "hset",
         "spop", "zadd", "zpopmin", "lrange_100", "mset", "mget")
DEFAULT_TESTS = TESTS

MULTI_KEYS = 10  # keys per MSET and MGET
LRANGE_LENGTH = 100
FILL_CHUNK = 1000  # values per command when filling a list, set or sorted set
FILL_ATTEMPTS = 2  # tries of one filling command before it is reported and skipped
TRANSIENT = (kvs.TimeoutError, kvs.ConnectionError)

# Called on a client it returns an awaitable; on a pipeline it queues (same method names).
Operation = Callable[[Any], Any]


class _Keys:
    """The run's key names under one random prefix; ``-r`` picks a random suffix."""

    def __init__(self, keyspace: int | None) -> None:
        self.prefix = f"kvs-bench:{secrets.token_hex(4)}:"
        self.keyspace = keyspace
        self.used: set[str] = set()

    def name(self, base: str, *, fixed: bool = False) -> str:
        suffix = ("__rand_int__" if self.keyspace is None or fixed
                  else f"{random.randrange(self.keyspace):012d}")
        key = f"{self.prefix}{base}:{suffix}"
        if self.keyspace is None or fixed or len(self.used) < 100_000:
            self.used.add(key)
        return key

    def member(self) -> str:
        return ("element:__rand_int__" if self.keyspace is None
                else f"element:{random.randrange(self.keyspace):012d}")


def _operations(keys: _Keys, value: bytes) -> dict[str, Operation]:
    return {
        "ping": lambda db: db.ping(),
        "set": lambda db: db.set(keys.name("key"), value),
        "get": lambda db: db.get(keys.name("key")),
        "incr": lambda db: db.incr(keys.name("counter")),
        "lpush": lambda db: db.lpush(keys.name("mylist"), value),
        "rpush": lambda db: db.rpush(keys.name("mylist"), value),
        "lpop": lambda db: db.lpop(keys.name("mylist", fixed=True)),
        "rpop": lambda db: db.rpop(keys.name("mylist", fixed=True)),
        "sadd": lambda db: db.sadd(keys.name("myset"), keys.member()),
        "hset": lambda db: db.hset(keys.name("myhash"), keys.member(), value),
        "spop": lambda db: db.spop(keys.name("myset", fixed=True)),
        "zadd": lambda db: db.zadd(keys.name("myzset"),
                                   {keys.member(): random.randrange(1_000_000)}),
        "zpopmin": lambda db: db.zpopmin(keys.name("myzset", fixed=True)),
        "lrange_100": lambda db: db.lrange(keys.name("lrange", fixed=True), 0,
                                           LRANGE_LENGTH - 1),
        "mset": lambda db: db.mset({keys.name(f"key{i}"): value for i in range(MULTI_KEYS)}),
        "mget": lambda db: db.mget([keys.name(f"key{i}", fixed=True)
                                    for i in range(MULTI_KEYS)]),
    }


class _Filler:
    """Runs the commands that give a test its data, surviving a failed one."""

    def __init__(self, note: TextIO) -> None:
        self.failed = 0
        self._note = note

    async def run(self, call: Callable[[], Awaitable[Any]], what: str) -> None:
        for attempt in range(1, FILL_ATTEMPTS + 1):
            try:
                await call()
                return
            except TRANSIENT as exc:
                self.failed += 1
                again = "trying again" if attempt < FILL_ATTEMPTS else "going on without it"
                print(f"kvs bench: filling {what} failed ({type(exc).__name__}: {exc}); "
                      f"{again}", file=self._note, flush=True)


async def _prepare(db: kvs.Client[str], test: str, keys: _Keys, value: bytes, *,
                   requests: int, filler: _Filler) -> None:
    """Give the test something to read or pop."""
    if test == "get":
        key = keys.name("key", fixed=True)
        await filler.run(lambda: db.set(key, value), "the GET key")
    elif test == "mget":
        mapping = {keys.name(f"key{i}", fixed=True): value for i in range(MULTI_KEYS)}
        await filler.run(lambda: db.mset(mapping), "the MGET keys")
    elif test in ("lpop", "rpop", "lrange_100"):
        key = keys.name("lrange" if test == "lrange_100" else "mylist", fixed=True)
        total = LRANGE_LENGTH if test == "lrange_100" else requests
        await db.delete(key)
        for start in range(0, total, FILL_CHUNK):
            chunk = [value] * min(FILL_CHUNK, total - start)
            await filler.run(functools.partial(db.rpush, key, *chunk), f"the list {key}")
    elif test in ("spop", "zpopmin"):
        key = keys.name("myset" if test == "spop" else "myzset", fixed=True)
        await db.delete(key)
        for start in range(0, requests, FILL_CHUNK):
            members = [f"m{i}" for i in range(start, min(start + FILL_CHUNK, requests))]
            if test == "spop":
                await filler.run(functools.partial(db.sadd, key, *members), key)
            else:
                scores = {member: float(i) for i, member in enumerate(members, start)}
                await filler.run(functools.partial(db.zadd, key, scores), key)
