"""Unit tests of the in-process store, through `Store.execute` with a fake clock.

Expected replies and error texts are those of redis-server 7.0 (the differential test in
``test_memory_vs_redis.py`` checks the same behaviour against a real server).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from kvs._errors import UnsupportedOperation
from kvs.memory import store as memory
from kvs.memory.glob import match
from kvs.memory.store import Store, get_store
from resp import ReplyError

WRONGTYPE = ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value")
NOT_INT = ReplyError("ERR value is not an integer or out of range")
SYNTAX = ReplyError("ERR syntax error")


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> Store:
    return Store(clock)


def run(store: Store, *args: str | bytes | int) -> Any:
    argv = tuple(a if isinstance(a, bytes) else str(a).encode() for a in args)
    return store.execute(argv)


def arity(name: str) -> ReplyError:
    return ReplyError(f"ERR wrong number of arguments for '{name}' command")


# -- dispatch -------------------------------------------------------------------------------


def test_names_are_case_insensitive(store: Store) -> None:
    assert run(store, "set", "k", "v") == "OK"
    assert run(store, "GeT", "k") == b"v"


def test_unknown_command_raises_unsupported(store: Store) -> None:
    with pytest.raises(UnsupportedOperation, match="object is not supported by the memory backend"):
        run(store, "object", "encoding", "k")


def test_select_zero_only(store: Store) -> None:
    assert run(store, "SELECT", 0) == "OK"
    assert run(store, "SELECT", 16) == ReplyError("ERR DB index is out of range")
    assert run(store, "SELECT", "x") == NOT_INT
    with pytest.raises(UnsupportedOperation):
        run(store, "SELECT", 1)


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (("GET",), "get"),
        (("GET", "a", "b"), "get"),
        (("SET", "k"), "set"),
        (("MSET", "a", "1", "b"), "mset"),
        (("MSETNX", "a"), "msetnx"),
        (("HSET", "h", "f", "v", "g"), "hset"),
        (("PING", "a", "b"), "ping"),
        (("LPOP", "l", "1", "2"), "lpop"),
        (("EXISTS",), "exists"),
        (("DBSIZE", "x"), "dbsize"),
    ],
)
def test_wrong_arity(store: Store, argv: tuple[str, ...], name: str) -> None:
    assert run(store, *argv) == arity(name)


def test_ping_echo(store: Store) -> None:
    assert run(store, "PING") == "PONG"
    assert run(store, "PING", "hi") == b"hi"
    assert run(store, "ECHO", b"\x00\xff") == b"\x00\xff"


# -- strings --------------------------------------------------------------------------------


def test_set_get_and_options(store: Store) -> None:
    assert run(store, "GET", "k") is None
    assert run(store, "SET", "k", "v", "NX") == "OK"
    assert run(store, "SET", "k", "w", "NX") is None
    assert run(store, "SET", "k", "w", "XX", "GET") == b"v"
    assert run(store, "SET", "missing", "w", "XX") is None
    assert run(store, "SET", "k", "x", "NX", "GET") == b"w"
    assert run(store, "GET", "k") == b"w"
    assert run(store, "SET", "k", "v", "NX", "XX") == SYNTAX
    assert run(store, "SET", "k", "v", "EX", 10, "PX", 10) == SYNTAX
    assert run(store, "SET", "k", "v", "KEEPTTL", "EX", 10) == SYNTAX
    assert run(store, "SET", "k", "v", "EX") == SYNTAX
    assert run(store, "SET", "k", "v", "EX", 10, "EX", 20) == "OK"
    assert run(store, "TTL", "k") == 20


@pytest.mark.parametrize(
    ("args", "reply"),
    [
        (("EX", "0"), ReplyError("ERR invalid expire time in 'set' command")),
        (("PX", "-5"), ReplyError("ERR invalid expire time in 'set' command")),
        (("EX", "abc"), NOT_INT),
        (("EX", "9223372036854775807"), ReplyError("ERR invalid expire time in 'set' command")),
        (("PX", "9223372036854775807"), ReplyError("ERR invalid expire time in 'set' command")),
        (("EXAT", "9223372036854775807"), ReplyError("ERR invalid expire time in 'set' command")),
        (("PXAT", "9223372036854775807"), "OK"),
    ],
)
def test_set_expire_errors(store: Store, args: tuple[str, str], reply: Any) -> None:
    assert run(store, "SET", "k", "v", *args) == reply


def test_set_get_on_wrong_type_changes_nothing(store: Store) -> None:
    run(store, "LPUSH", "l", "a")
    assert run(store, "SET", "l", "v", "GET") == WRONGTYPE
    assert run(store, "TYPE", "l") == "list"
    assert run(store, "SET", "l", "v") == "OK"  # plain SET replaces any type
    assert run(store, "TYPE", "l") == "string"


def test_setex_psetex_setnx(store: Store) -> None:
    assert run(store, "SETEX", "k", 0, "v") == ReplyError(
        "ERR invalid expire time in 'setex' command"
    )
    assert run(store, "PSETEX", "k", -1, "v") == ReplyError(
        "ERR invalid expire time in 'psetex' command"
    )
    assert run(store, "SETEX", "k", 100, "v") == "OK"
    assert run(store, "PTTL", "k") == 100_000
    assert run(store, "SETNX", "k", "w") == 0
    assert run(store, "SETNX", "j", "w") == 1
    assert run(store, "GETDEL", "j") == b"w"
    assert run(store, "GETDEL", "j") is None


def test_mget_mset_msetnx(store: Store) -> None:
    run(store, "LPUSH", "l", "x")
    assert run(store, "MSET", "a", "1", "b", "2") == "OK"
    assert run(store, "MGET", "a", "l", "zz", "b") == [b"1", None, None, b"2"]
    assert run(store, "MSETNX", "c", "3", "a", "9") == 0
    assert run(store, "GET", "c") is None
    assert run(store, "MSETNX", "c", "3", "d", "4") == 1
    assert run(store, "MGET", "c", "d") == [b"3", b"4"]


def test_append_strlen(store: Store) -> None:
    assert run(store, "APPEND", "k", "ab") == 2
    assert run(store, "APPEND", "k", "cd") == 4
    assert run(store, "STRLEN", "k") == 4
    assert run(store, "STRLEN", "nope") == 0
    run(store, "SADD", "s", "m")
    assert run(store, "APPEND", "s", "x") == WRONGTYPE
    assert run(store, "STRLEN", "s") == WRONGTYPE


# -- counters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "ok"),
    [
        ("0", True),
        ("-1", True),
        ("9223372036854775807", True),
        ("-9223372036854775808", True),
        ("9223372036854775808", False),
        ("+1", False),
        (" 1", False),
        ("1 ", False),
        ("01", False),
        ("-0", False),
        ("", False),
        ("1.0", False),
        ("0x10", False),
    ],
)
def test_integer_parsing_is_strict(store: Store, stored: str, ok: bool) -> None:
    run(store, "SET", "k", stored)
    reply = run(store, "INCRBY", "k", 0)
    assert (reply == int(stored)) if ok else (reply == NOT_INT)
    assert run(store, "INCRBY", "other", stored) == (int(stored) if ok else NOT_INT)


def test_incr_decr(store: Store) -> None:
    assert run(store, "INCR", "n") == 1
    assert run(store, "INCRBY", "n", 10) == 11
    assert run(store, "DECR", "n") == 10
    assert run(store, "DECRBY", "n", 20) == -10
    assert run(store, "GET", "n") == b"-10"
    assert run(store, "DECRBY", "n", "-9223372036854775808") == ReplyError(
        "ERR decrement would overflow"
    )
    run(store, "SET", "n", "9223372036854775807")
    assert run(store, "INCR", "n") == ReplyError("ERR increment or decrement would overflow")
    run(store, "SET", "s", "abc")
    assert run(store, "INCR", "s") == NOT_INT
    run(store, "RPUSH", "l", "a")
    assert run(store, "INCR", "l") == WRONGTYPE
    assert run(store, "INCRBY", "l", "x") == NOT_INT  # the increment is parsed first


def test_incr_keeps_ttl(store: Store) -> None:
    run(store, "SET", "n", "1", "EX", 100)
    assert run(store, "INCR", "n") == 2
    assert run(store, "TTL", "n") == 100


@pytest.mark.parametrize(
    ("start", "incr", "reply"),
    [
        ("10.5", "0.1", b"10.6"),
        ("0", "2.5e-3", b"0.0025"),
        ("5", ".5", b"5.5"),
        ("5", "5.", b"10"),
        ("1", "+5", b"6"),
        ("1", "0x1p3", b"9"),
        ("3", "-3", b"0"),
        ("0", "-0.000000000000000001", b"0"),
        ("1", "1e-4960", None),
        ("1", "1e5000", None),
        ("1", "5 ", None),
        ("1", " 5", None),
        ("1", "abc", None),
        ("1", "nan", None),
        ("abc", "1", None),
    ],
)
def test_incrbyfloat(store: Store, start: str, incr: str, reply: bytes | None) -> None:
    run(store, "SET", "f", start)
    expected = reply if reply is not None else ReplyError("ERR value is not a valid float")
    assert run(store, "INCRBYFLOAT", "f", incr) == expected


def test_incrbyfloat_long_double_digits(store: Store) -> None:
    run(store, "SET", "f", "10.6")
    big = run(store, "INCRBYFLOAT", "f", "1e300")
    assert big.startswith(b"10000000000000000000089973240795591938705239442")
    assert len(big) == 301
    assert run(store, "INCRBYFLOAT", "g", "inf") == ReplyError(
        "ERR increment would produce NaN or Infinity"
    )
    run(store, "LPUSH", "l", "a")
    assert run(store, "INCRBYFLOAT", "l", "abc") == WRONGTYPE



@pytest.mark.parametrize(
    ("start", "incr"),
    [("inf", "1e4000"), ("1e4000", "inf"), ("inf", "-1e4000"), ("-inf", "1"), ("inf", "-inf")],
)
def test_incrbyfloat_infinity_with_a_value_beyond_a_double(store: Store, start: str,
                                                           incr: str) -> None:
    # An infinity on either side: Redis's long double sum is inf or nan, an error, even when
    # the other side is too large for a double (found by the differential test).
    run(store, "SET", "f", start)
    assert run(store, "INCRBYFLOAT", "f", incr) == ReplyError(
        "ERR increment would produce NaN or Infinity"
    )
    assert run(store, "GET", "f") == start.encode()

# -- keys, types, expiry --------------------------------------------------------------------


def test_del_exists_type(store: Store) -> None:
    run(store, "MSET", "a", "1", "b", "2")
    run(store, "HSET", "h", "f", "v")
    run(store, "SADD", "s", "m")
    run(store, "RPUSH", "l", "x")
    assert [run(store, "TYPE", k) for k in "abhslz"] == [
        "string", "string", "hash", "set", "list", "none",
    ]  # fmt: skip
    assert run(store, "EXISTS", "a", "a", "z", "h") == 3
    assert run(store, "DEL", "a", "z", "h") == 2
    assert run(store, "UNLINK", "b", "b") == 1
    assert run(store, "DBSIZE") == 2
    assert run(store, "FLUSHDB", "x") == SYNTAX
    assert run(store, "FLUSHALL", "async") == "OK"
    assert run(store, "DBSIZE") == 0


def test_ttl_rounding_and_expiry(store: Store, clock: FakeClock) -> None:
    assert run(store, "TTL", "k") == -2
    run(store, "SET", "k", "v")
    assert run(store, "TTL", "k") == -1
    assert run(store, "PEXPIRE", "k", 1499) == 1
    assert run(store, "TTL", "k") == 1  # (1499 + 500) // 1000
    assert run(store, "PEXPIRE", "k", 1500) == 1
    assert run(store, "TTL", "k") == 2
    clock.advance(1.5)
    assert run(store, "PTTL", "k") == 0  # at the deadline the key is still alive
    assert run(store, "TTL", "k") == 0
    clock.advance(0.001)
    assert run(store, "GET", "k") is None
    assert run(store, "TTL", "k") == -2


def test_expire_zero_or_negative_deletes(store: Store) -> None:
    run(store, "SET", "a", "1")
    run(store, "SET", "b", "1")
    assert run(store, "EXPIRE", "a", 0) == 1
    assert run(store, "EXPIRE", "b", -10) == 1
    assert run(store, "EXISTS", "a", "b") == 0
    assert run(store, "EXPIRE", "a", 10) == 0


def test_expire_options(store: Store) -> None:
    run(store, "SET", "k", "v")
    assert run(store, "EXPIRE", "k", 10, "XX") == 0
    assert run(store, "EXPIRE", "k", 10, "GT") == 0
    assert run(store, "EXPIRE", "k", 10, "NX") == 1
    assert run(store, "EXPIRE", "k", 20, "NX") == 0
    assert run(store, "EXPIRE", "k", 5, "GT") == 0
    assert run(store, "EXPIRE", "k", 50, "gt") == 1
    assert run(store, "EXPIRE", "k", 60, "LT") == 0
    assert run(store, "EXPIRE", "k", 30, "LT") == 1
    assert run(store, "TTL", "k") == 30
    assert run(store, "EXPIRE", "k", 1, "foo") == ReplyError("ERR Unsupported option foo")
    assert run(store, "EXPIRE", "k", 1, b"a\r\nb\r\n\0c") == ReplyError(
        "ERR Unsupported option a  b"
    )
    # Options compare as C strings: a NUL byte ends them.
    assert run(store, "EXPIRE", "k", 1, b"XX\0junk") == 1
    assert run(store, "SET", "j", "v", b"nx\0junk") == "OK"
    assert run(store, "SET", "j", "v", b"nx\0junk") is None
    assert run(store, "EXPIRE", "k", 1, "NX", "XX") == ReplyError(
        "ERR NX and XX, GT or LT options at the same time are not compatible"
    )
    assert run(store, "EXPIRE", "k", 1, "GT", "LT") == ReplyError(
        "ERR GT and LT options at the same time are not compatible"
    )
    assert run(store, "EXPIRE", "k", "1x") == NOT_INT
    assert run(store, "EXPIRE", "k", "9223372036854775807") == ReplyError(
        "ERR invalid expire time in 'expire' command"
    )
    assert run(store, "PEXPIRE", "k", "9223372036854775807") == ReplyError(
        "ERR invalid expire time in 'pexpire' command"
    )
    assert run(store, "PERSIST", "k") == 1
    assert run(store, "PERSIST", "k") == 0
    assert run(store, "TTL", "k") == -1


def test_expireat_uses_unix_time(store: Store) -> None:
    run(store, "SET", "k", "v")
    assert run(store, "EXPIREAT", "k", int(time.time()) + 100) == 1
    assert 99 <= run(store, "TTL", "k") <= 100
    assert abs(run(store, "EXPIRETIME", "k") - (time.time() + 100)) < 2
    assert run(store, "PEXPIREAT", "k", 1) == 1
    assert run(store, "EXISTS", "k") == 0
    run(store, "SET", "k", "v", "EXAT", 1)
    assert run(store, "GET", "k") is None


def test_set_clears_ttl_unless_keepttl(store: Store) -> None:
    run(store, "SET", "k", "v", "EX", 100)
    run(store, "SET", "k", "w", "KEEPTTL")
    assert run(store, "TTL", "k") == 100
    run(store, "SET", "k", "x")
    assert run(store, "TTL", "k") == -1


def test_expired_keys_are_swept_without_access(store: Store, clock: FakeClock) -> None:
    for i in range(500):
        run(store, "SET", f"k{i}", "v", "PX", 10)
    run(store, "SET", "keep", "v")
    assert store.key_count() == 501
    clock.advance(1)
    for _ in range(400):
        run(store, "GET", "keep")
    assert store.key_count() == 1
    assert run(store, "KEYS", "*") == [b"keep"]


def test_dbsize_and_keys_never_count_expired(store: Store, clock: FakeClock) -> None:
    run(store, "SET", "a", "1", "PX", 5)
    run(store, "SET", "b", "1")
    clock.advance(0.006)
    assert run(store, "KEYS", "*") == [b"b"]
    assert run(store, "DBSIZE") == 1


def test_ttl_heap_does_not_grow_with_rewrites(store: Store) -> None:
    for i in range(5000):
        run(store, "EXPIRE", "k", 100 + i) if i else run(store, "SET", "k", "v", "EX", 100)
    assert len(store._heap) < 3000


# -- lists ----------------------------------------------------------------------------------


def test_list_push_pop(store: Store) -> None:
    assert run(store, "LPUSH", "l", "a", "b", "c") == 3
    assert run(store, "RPUSH", "l", "d") == 4
    assert run(store, "LRANGE", "l", 0, -1) == [b"c", b"b", b"a", b"d"]
    assert run(store, "LPUSHX", "nope", "a") == 0
    assert run(store, "RPUSHX", "l", "e") == 5
    assert run(store, "LPOP", "l") == b"c"
    assert run(store, "RPOP", "l", 2) == [b"e", b"d"]
    assert run(store, "LPOP", "l", 0) == []
    assert run(store, "LPOP", "l", 10) == [b"b", b"a"]
    assert run(store, "EXISTS", "l") == 0
    assert run(store, "LPOP", "l") is None
    assert run(store, "LPOP", "l", 3) is None
    must_be_positive = ReplyError("ERR value is out of range, must be positive")
    assert run(store, "LPOP", "l", -1) == must_be_positive
    assert run(store, "RPOP", "l", "x") == must_be_positive


@pytest.mark.parametrize(
    ("start", "stop", "expected"),
    [
        (0, -1, "abcde"),
        (1, 2, "bc"),
        (-2, -1, "de"),
        (-100, 1, "ab"),
        (3, 100, "de"),
        (4, 3, ""),
        (5, 10, ""),
        (-1, -2, ""),
        (0, 0, "a"),
        (-6, -5, "a"),
        (2, -2, "cd"),
    ],
)
def test_lrange_clamping(store: Store, start: int, stop: int, expected: str) -> None:
    run(store, "RPUSH", "l", *"abcde")
    assert run(store, "LRANGE", "l", start, stop) == [c.encode() for c in expected]


def test_lindex_llen(store: Store) -> None:
    run(store, "RPUSH", "l", "a", "b")
    assert run(store, "LINDEX", "l", -1) == b"b"
    assert run(store, "LINDEX", "l", 2) is None
    assert run(store, "LINDEX", "l", "x") == NOT_INT
    assert run(store, "LINDEX", "nope", "x") is None  # the key is looked up first
    assert run(store, "LRANGE", "nope", "x", 1) == NOT_INT  # the indexes are parsed first
    assert run(store, "LLEN", "l") == 2
    run(store, "SET", "s", "v")
    assert run(store, "LPUSH", "s", "x") == WRONGTYPE
    assert run(store, "LLEN", "s") == WRONGTYPE


# -- hashes and sets ------------------------------------------------------------------------


def test_hashes(store: Store) -> None:
    assert run(store, "HSET", "h", "a", "1", "b", "2") == 2
    assert run(store, "HSET", "h", "a", "9", "c", "3") == 1
    assert run(store, "HSETNX", "h", "a", "x") == 0
    assert run(store, "HSETNX", "h", "d", "4") == 1
    assert run(store, "HGET", "h", "a") == b"9"
    assert run(store, "HMGET", "h", "a", "zz") == [b"9", None]
    assert run(store, "HMGET", "nope", "a") == [None]
    assert run(store, "HGETALL", "h") == {b"a": b"9", b"b": b"2", b"c": b"3", b"d": b"4"}
    assert run(store, "HGETALL", "nope") == {}
    assert run(store, "HKEYS", "h") == [b"a", b"b", b"c", b"d"]
    assert run(store, "HVALS", "h") == [b"9", b"2", b"3", b"4"]
    assert run(store, "HLEN", "h") == 4
    assert run(store, "HEXISTS", "h", "a") == 1
    assert run(store, "HDEL", "h", "a", "b", "zz") == 2
    assert run(store, "HDEL", "h", "c", "d") == 2
    assert run(store, "EXISTS", "h") == 0


def test_hincrby(store: Store) -> None:
    assert run(store, "HINCRBY", "h", "n", 5) == 5
    assert run(store, "HINCRBY", "h", "n", -7) == -2
    run(store, "HSET", "h", "s", "abc", "m", "9223372036854775807")
    assert run(store, "HINCRBY", "h", "s", 1) == ReplyError("ERR hash value is not an integer")
    assert run(store, "HINCRBY", "h", "m", 1) == ReplyError(
        "ERR increment or decrement would overflow"
    )
    assert run(store, "HINCRBY", "h", "n", "x") == NOT_INT
    run(store, "SET", "str", "v")
    assert run(store, "HINCRBY", "str", "n", "x") == NOT_INT
    assert run(store, "HINCRBY", "str", "n", 1) == WRONGTYPE


def test_sets(store: Store) -> None:
    assert run(store, "SADD", "s", "a", "b", "a") == 2
    assert run(store, "SMEMBERS", "s") == {b"a", b"b"}
    assert run(store, "SMEMBERS", "nope") == set()
    assert run(store, "SISMEMBER", "s", "a") == 1
    assert run(store, "SCARD", "s") == 2
    assert run(store, "SREM", "s", "a", "z") == 1
    assert run(store, "SREM", "s", "b") == 1
    assert run(store, "EXISTS", "s") == 0
    run(store, "HSET", "h", "f", "v")
    assert run(store, "SADD", "h", "x") == WRONGTYPE


def test_replies_are_copies(store: Store) -> None:
    run(store, "SADD", "s", "a")
    run(store, "HSET", "h", "f", "v")
    run(store, "SMEMBERS", "s").add(b"z")
    run(store, "HGETALL", "h")[b"g"] = b"w"
    assert run(store, "SCARD", "s") == 1
    assert run(store, "HLEN", "h") == 1


# -- glob -----------------------------------------------------------------------------------

GLOB_CASES = [
    (b"*", b"anything", True),
    (b"h?llo", b"hello", True),
    (b"h?llo", b"hllo", False),
    (b"h*llo", b"hllo", True),
    (b"h*llo", b"heeeello", True),
    (b"h[ae]llo", b"hallo", True),
    (b"h[ae]llo", b"hillo", False),
    (b"h[^e]llo", b"hallo", True),
    (b"h[^e]llo", b"hello", False),
    (b"h[a-b]llo", b"hbllo", True),
    (b"h[b-a]llo", b"hbllo", True),  # reversed range
    (b"h[z-a]llo", b"hmllo", True),
    (b"h\\*llo", b"h*llo", True),
    (b"h\\*llo", b"hello", False),
    (b"[\\]]", b"]", True),
    (b"[\\-]", b"-", True),
    (b"[a-]", b"^", True),  # the range a..] swallows the bracket
    (b"[a-]", b"-", False),
    (b"[abc", b"b", True),  # unclosed set ends with the pattern
    (b"[abc", b"bx", False),
    (b"[", b"[", False),
    (b"[^", b"x", True),
    (b"[]", b"]", False),
    (b"ab\\", b"ab\\", True),  # trailing backslash is literal
    (b"a*", b"a", True),
    (b"a**b", b"ab", True),
    (b"*a*b*", b"xxaxxbxx", True),
    (b"*a*b", b"xxaxxbxxc", False),
    (b"**", b"", False),  # an empty key matches only the empty pattern
    (b"", b"", True),
    (b"", b"a", False),
    (b"[a-\xff]", b"\xff", True),  # signed chars: the range is \xff (-1) .. a
    (b"[a-\xff]", b"\x00", True),
    (b"[a-\xff]", b"\x80", False),
    (b"[a-\xff]", b"b", False),
    (b"[\x80-\xff]", b"\x90", True),
    (b"?", b"\x00", True),
    (b"a*a*a*a*a*a*a*a*b", b"a" * 60, False),
]


@pytest.mark.parametrize(("pattern", "key", "expected"), GLOB_CASES)
def test_glob(pattern: bytes, key: bytes, expected: bool) -> None:
    assert match(pattern, key) is expected


def test_keys_star_includes_empty_key(store: Store) -> None:
    run(store, "SET", b"", "v")
    run(store, "SET", "a", "v")
    assert sorted(run(store, "KEYS", "*")) == [b"", b"a"]
    assert run(store, "KEYS", "**") == [b"a"]
    assert run(store, "KEYS", "[") == []


# -- sharing and threads --------------------------------------------------------------------


def test_get_store_registry() -> None:
    assert get_store(":memory:") is get_store(":memory:")
    assert get_store("memory://t-reg") is get_store("t-reg")
    assert get_store("memory://t-reg") is not get_store(":memory:")
    assert memory.DEFAULT_NAME == ":memory:"


def test_concurrent_incr_is_exact() -> None:
    store = Store()
    threads = [
        threading.Thread(target=lambda: [store.execute((b"INCR", b"n")) for _ in range(10_000)])
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.execute((b"GET", b"n")) == b"40000"


def test_mset_is_atomic_to_readers() -> None:
    store = Store()
    keys = [b"k%d" % i for i in range(50)]
    stop = threading.Event()
    torn: list[list[Any]] = []

    def writer() -> None:
        i = 0
        while not stop.is_set():
            value = b"%d" % i
            argv = [b"MSET"]
            for key in keys:
                argv += [key, value]
            store.execute(argv)
            i += 1

    def reader() -> None:
        for _ in range(2000):
            values = store.execute([b"MGET", *keys])
            if len(set(values)) != 1:
                torn.append(values)

    w = threading.Thread(target=writer)
    w.start()
    try:
        reader()
    finally:
        stop.set()
        w.join()
    assert torn == []
