"""Unit tests of the store's key, string, list, hash and set commands added for SPEC §7.

Expected replies are redis-server 7.0's (``test_memory_vs_redis_collections.py`` compares the
same commands with a real server); a fake clock makes the TTL rules exact.
"""

from __future__ import annotations

import pytest

from kvs._errors import UnsupportedOperation
from kvs.memory.store import Store
from resp import ReplyError
from tests.test_memory_store import FakeClock, clock, run, store

__all__ = ["clock", "store"]  # the fixtures, shared with test_memory_store

WRONGTYPE = ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value")
SYNTAX = ReplyError("ERR syntax error")
NOT_INT = ReplyError("ERR value is not an integer or out of range")


# -- keys -----------------------------------------------------------------------------------


def test_rename_moves_value_and_ttl(store: Store, clock: FakeClock) -> None:
    run(store, "SET", "a", "1", "EX", 100)
    run(store, "RPUSH", "b", "x")
    assert run(store, "RENAME", "a", "b") == "OK"
    assert run(store, "GET", "b") == b"1"
    assert run(store, "TTL", "b") == 100
    assert run(store, "EXISTS", "a") == 0
    clock.now += 101
    assert run(store, "GET", "b") is None
    assert run(store, "RENAME", "a", "c") == ReplyError("ERR no such key")
    run(store, "SET", "s", "v")
    assert run(store, "RENAME", "s", "s") == "OK"
    assert run(store, "RENAMENX", "s", "s") == 0
    run(store, "SET", "t", "w")
    assert run(store, "RENAMENX", "s", "t") == 0
    assert run(store, "RENAMENX", "s", "u") == 1
    assert run(store, "GET", "u") == b"v"


def test_copy(store: Store) -> None:
    run(store, "HSET", "h", "f", "1")
    run(store, "EXPIRE", "h", 50)
    assert run(store, "COPY", "h", "h2") == 1
    assert run(store, "TTL", "h2") == 50
    run(store, "HSET", "h2", "f", "2")  # a copy, not the same hash
    assert run(store, "HGET", "h", "f") == b"1"
    assert run(store, "COPY", "h", "h2") == 0
    assert run(store, "COPY", "h", "h2", "replace") == 1
    assert run(store, "HGET", "h2", "f") == b"1"
    assert run(store, "COPY", "missing", "x") == 0
    assert run(store, "COPY", "h", "h") == ReplyError(
        "ERR source and destination objects are the same"
    )
    assert run(store, "COPY", "h", "x", "DB", "16") == ReplyError("ERR DB index is out of range")
    assert run(store, "COPY", "h", "x", "DB", "x") == NOT_INT
    assert run(store, "COPY", "h", "x", "DB") == SYNTAX
    assert run(store, "COPY", "h", "x", "DB", "0") == 1
    with pytest.raises(UnsupportedOperation, match="only database 0"):
        run(store, "COPY", "h", "y", "DB", "1")


def test_touch_randomkey_type(store: Store) -> None:
    assert run(store, "RANDOMKEY") is None
    run(store, "SET", "a", "1")
    run(store, "SADD", "b", "m")
    assert run(store, "TOUCH", "a", "b", "c", "a") == 3
    assert {run(store, "RANDOMKEY") for _ in range(50)} == {b"a", b"b"}
    assert run(store, "TYPE", "b") == "set"


# -- strings --------------------------------------------------------------------------------


def test_getex(store: Store, clock: FakeClock) -> None:
    run(store, "SET", "k", "v")
    assert run(store, "GETEX", "k", "EX", 10) == b"v"
    assert run(store, "TTL", "k") == 10
    assert run(store, "GETEX", "k", "PX", 20000, "PX", 30000) == b"v"
    assert run(store, "PTTL", "k") == 30000
    assert run(store, "GETEX", "k", "PERSIST") == b"v"
    assert run(store, "TTL", "k") == -1
    assert run(store, "GETEX", "k", "PERSIST", "EX", 1) == SYNTAX
    assert run(store, "GETEX", "k", "KEEPTTL") == SYNTAX
    assert run(store, "GETEX", "k", "EX", 0) == ReplyError(
        "ERR invalid expire time in 'getex' command"
    )
    assert run(store, "GETEX", "missing", "EX", "x") is None  # the key is looked up first
    assert run(store, "GETEX", "k", "EXAT", 1) == b"v"  # a past time deletes it
    assert run(store, "EXISTS", "k") == 0
    run(store, "LPUSH", "l", "x")
    assert run(store, "GETEX", "l") == WRONGTYPE


def test_getset_clears_ttl(store: Store) -> None:
    assert run(store, "GETSET", "k", "1") is None
    run(store, "EXPIRE", "k", 100)
    assert run(store, "GETSET", "k", "2") == b"1"
    assert run(store, "TTL", "k") == -1


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [(0, -1, b"abc"), (0, -100, b"a"), (-1, -5, b""), (-5, -1, b"abc"), (1, 1, b"b"),
     (5, 10, b""), (2, 100, b"c")],
)  # fmt: skip
def test_getrange(store: Store, start: int, end: int, expected: bytes) -> None:
    run(store, "SET", "s", "abc")
    assert run(store, "GETRANGE", "s", start, end) == expected


def test_setrange(store: Store) -> None:
    assert run(store, "SETRANGE", "n", 3, "ab") == 5
    assert run(store, "GET", "n") == b"\0\0\0ab"
    assert run(store, "SETRANGE", "n", 1, "XYZW") == 5
    assert run(store, "GET", "n") == b"\0XYZW"
    assert run(store, "SETRANGE", "missing", 5, "") == 0
    assert run(store, "EXISTS", "missing") == 0
    assert run(store, "SETRANGE", "n", -1, "x") == ReplyError("ERR offset is out of range")
    assert run(store, "SETRANGE", "n", 536870911, "ab") == ReplyError(
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    )


# -- lists ----------------------------------------------------------------------------------


def test_lset_linsert_lrem_ltrim(store: Store) -> None:
    run(store, "RPUSH", "l", "a", "b", "a", "c", "a")
    assert run(store, "LSET", "l", -1, "z") == "OK"
    assert run(store, "LSET", "l", 9, "z") == ReplyError("ERR index out of range")
    assert run(store, "LSET", "nokey", 0, "z") == ReplyError("ERR no such key")
    assert run(store, "LINSERT", "l", "BEFORE", "b", "X") == 6
    assert run(store, "LINSERT", "l", "after", "nope", "X") == -1
    assert run(store, "LINSERT", "l", "MIDDLE", "b", "X") == SYNTAX
    assert run(store, "LRANGE", "l", 0, -1) == [b"a", b"X", b"b", b"a", b"c", b"z"]
    assert run(store, "LREM", "l", -1, "a") == 1
    assert run(store, "LRANGE", "l", 0, -1) == [b"a", b"X", b"b", b"c", b"z"]
    assert run(store, "LTRIM", "l", 1, -2) == "OK"
    assert run(store, "LRANGE", "l", 0, -1) == [b"X", b"b", b"c"]
    assert run(store, "LTRIM", "l", 5, 1) == "OK"
    assert run(store, "EXISTS", "l") == 0


def test_lpos(store: Store) -> None:
    run(store, "RPUSH", "l", "a", "b", "a", "c", "a")
    assert run(store, "LPOS", "l", "a") == 0
    assert run(store, "LPOS", "l", "a", "RANK", 2) == 2
    assert run(store, "LPOS", "l", "a", "RANK", -1, "COUNT", 2) == [4, 2]
    assert run(store, "LPOS", "l", "a", "COUNT", 0) == [0, 2, 4]
    assert run(store, "LPOS", "l", "a", "COUNT", 0, "MAXLEN", 3) == [0, 2]
    assert run(store, "LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", 1) == [4, 2, 0]
    assert run(store, "LPOS", "l", "zz") is None
    assert run(store, "LPOS", "nokey", "a", "COUNT", 1) == []
    assert run(store, "LPOS", "l", "a", "COUNT", "x") == ReplyError("ERR COUNT can't be negative")
    assert run(store, "LPOS", "l", "a", "RANK", 0) == ReplyError(
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
        "or use negative to start from the end of the list"
    )


def test_lmove_rpoplpush_lmpop(store: Store) -> None:
    run(store, "RPUSH", "src", "a", "b", "c")
    assert run(store, "LMOVE", "src", "dst", "LEFT", "RIGHT") == b"a"
    assert run(store, "RPOPLPUSH", "src", "dst") == b"c"
    assert run(store, "LRANGE", "dst", 0, -1) == [b"c", b"a"]
    assert run(store, "LMOVE", "src", "src", "LEFT", "RIGHT") == b"b"  # one element: stays
    assert run(store, "LMOVE", "src", "dst", "UP", "LEFT") == SYNTAX
    assert run(store, "LMOVE", "nokey", "dst", "LEFT", "LEFT") is None
    run(store, "SET", "str", "v")
    assert run(store, "LMOVE", "dst", "str", "LEFT", "LEFT") == WRONGTYPE
    assert run(store, "LMPOP", 3, "nokey", "dst", "src", "RIGHT", "COUNT", 5) == [
        b"dst", [b"a", b"c"]
    ]
    assert run(store, "EXISTS", "dst") == 0
    assert run(store, "LMPOP", 1, "nokey", "LEFT") is None
    assert run(store, "LMPOP", 2, "str", "src", "LEFT") == WRONGTYPE
    assert run(store, "LMPOP", 0, "src", "LEFT") == ReplyError(
        "ERR numkeys should be greater than 0"
    )
    assert run(store, "LMPOP", 1, "src", "LEFT", "COUNT", 0) == ReplyError(
        "ERR count should be greater than 0"
    )
    assert run(store, "LMPOP", 2, "src", "LEFT") == SYNTAX


# -- hashes ---------------------------------------------------------------------------------


def test_hincrbyfloat_hstrlen_hmset(store: Store) -> None:
    assert run(store, "HMSET", "h", "f", "10.5", "g", "abc") == "OK"
    assert run(store, "HMSET", "h", "f") == ReplyError(
        "ERR wrong number of arguments for 'hmset' command"
    )
    assert run(store, "HINCRBYFLOAT", "h", "f", "0.1") == b"10.6"
    assert run(store, "HINCRBYFLOAT", "h", "new", "5.0e3") == b"5000"
    assert run(store, "HINCRBYFLOAT", "h", "g", "1") == ReplyError("ERR hash value is not a float")
    assert run(store, "HINCRBYFLOAT", "h", "f", "inf") == ReplyError("ERR value is NaN or Infinity")
    assert run(store, "HINCRBYFLOAT", "h", "f", "x") == ReplyError("ERR value is not a valid float")
    assert run(store, "HSTRLEN", "h", "g") == 3
    assert run(store, "HSTRLEN", "h", "missing") == 0
    assert run(store, "HSET", "h", "a", "1", "b", "2", "f", "3") == 2


def test_hrandfield(store: Store) -> None:
    assert run(store, "HRANDFIELD", "nokey") is None
    assert run(store, "HRANDFIELD", "nokey", 3) == []
    run(store, "HSET", "h", "f", "1", "g", "2", "h", "3")
    assert run(store, "HRANDFIELD", "h") in (b"f", b"g", b"h")
    assert sorted(run(store, "HRANDFIELD", "h", 5)) == [b"f", b"g", b"h"]
    two = run(store, "HRANDFIELD", "h", 2)
    assert len(set(two)) == 2
    assert len(run(store, "HRANDFIELD", "h", -7)) == 7
    pairs = run(store, "HRANDFIELD", "h", -4, "WITHVALUES")
    assert len(pairs) == 4 and all(run(store, "HGET", "h", f) == v for f, v in pairs)
    assert run(store, "HRANDFIELD", "h", 1, "BAD") == SYNTAX
    assert run(store, "HRANDFIELD", "h", "9223372036854775807", "WITHVALUES") == ReplyError(
        "ERR value is out of range"
    )


# -- sets -----------------------------------------------------------------------------------


def test_spop_srandmember(store: Store) -> None:
    run(store, "SADD", "s", "a", "b", "c")
    assert run(store, "SPOP", "nokey") is None
    assert run(store, "SPOP", "nokey", 2) == set()
    popped = run(store, "SPOP", "s", 2)
    assert isinstance(popped, set) and len(popped) == 2
    assert run(store, "SCARD", "s") == 1
    assert run(store, "SPOP", "s", 5) | popped == {b"a", b"b", b"c"}
    assert run(store, "EXISTS", "s") == 0
    run(store, "SADD", "s", "a", "b", "c")
    assert len(run(store, "SRANDMEMBER", "s", -5)) == 5
    assert sorted(run(store, "SRANDMEMBER", "s", 9)) == [b"a", b"b", b"c"]
    assert run(store, "SRANDMEMBER", "s", 1, 2) == SYNTAX
    assert run(store, "SPOP", "s", "x") == ReplyError(
        "ERR value is out of range, must be positive"
    )
    assert run(store, "SCARD", "s") == 3


def test_smove_smismember(store: Store) -> None:
    run(store, "SADD", "a", "x", "y")
    assert run(store, "SMOVE", "a", "b", "x") == 1
    assert run(store, "SMOVE", "a", "b", "nope") == 0
    assert run(store, "SMOVE", "a", "a", "y") == 1
    assert run(store, "SMOVE", "a", "b", "y") == 1
    assert run(store, "EXISTS", "a") == 0
    assert run(store, "SMISMEMBER", "b", "x", "z", "y") == [1, 0, 1]
    run(store, "SET", "str", "v")
    assert run(store, "SMOVE", "b", "str", "x") == WRONGTYPE
    assert run(store, "SMOVE", "missing", "str", "x") == 0


def test_set_algebra(store: Store) -> None:
    run(store, "SADD", "a", "1", "2", "3")
    run(store, "SADD", "b", "2", "3", "4")
    run(store, "SET", "str", "v")
    assert run(store, "SINTER", "a", "b") == {b"2", b"3"}
    assert run(store, "SUNION", "a", "b", "missing") == {b"1", b"2", b"3", b"4"}
    assert run(store, "SDIFF", "a", "b") == {b"1"}
    assert run(store, "SINTER", "missing", "str") == WRONGTYPE  # every key is type-checked
    assert run(store, "SINTERSTORE", "dst", "a", "b") == 2
    run(store, "EXPIRE", "dst", 100)
    assert run(store, "SUNIONSTORE", "dst", "a", "b") == 4
    assert run(store, "TTL", "dst") == -1
    assert run(store, "SDIFFSTORE", "dst", "a", "a") == 0
    assert run(store, "EXISTS", "dst") == 0
    assert run(store, "SINTERCARD", 2, "a", "b") == 2
    assert run(store, "SINTERCARD", 2, "a", "b", "LIMIT", 1) == 1
    assert run(store, "SINTERCARD", 3, "a") == ReplyError(
        "ERR Number of keys can't be greater than number of args"
    )
    assert run(store, "SINTERCARD", 1, "a", "LIMIT", -1) == ReplyError(
        "ERR LIMIT can't be negative"
    )
