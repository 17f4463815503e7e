"""Each operation's encoding, decoding and retry rule, with no network at all."""

from __future__ import annotations

import datetime

import pytest

from kvs.commands import Call, hashes, keys, lists, server, sets, strings
from resp import Push


def test_set_encodings_and_idempotency() -> None:
    call = strings.set_("k", "v")
    assert call.argv == (b"SET", b"k", b"v")
    assert call.idempotent is True
    call = strings.set_("k", 5, ex=10, nx=True)
    assert call.argv == (b"SET", b"k", b"5", b"EX", b"10", b"NX")
    assert call.idempotent is False  # a second run would answer False
    assert call.decode(None, True) is False
    assert call.decode("OK", True) is True
    assert strings.set_("k", True, px=datetime.timedelta(seconds=2)).argv == (
        b"SET", b"k", b"1", b"PX", b"2000")
    assert strings.set_("k", 1.5).argv[2] == b"1.5"
    assert strings.set_("k", float("inf")).argv[2] == b"inf"
    with pytest.raises(ValueError, match="ex must be positive"):
        strings.set_("k", "v", ex=0)
    with pytest.raises(ValueError, match="NaN"):
        strings.set_("k", float("nan"))
    with pytest.raises(TypeError, match="set: ex must be int, not float"):
        strings.set_("k", "v", ex=1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "idempotent"),
    [
        (strings.get("k"), True), (keys.exists("k"), True), (keys.keys("*"), True),
        (keys.ttl("k"), True), (lists.lrange("k", 0, -1), True), (hashes.hget("k", "f"), True),
        (hashes.hgetall("k"), True), (sets.smembers("k"), True), (strings.mget(["a"]), True),
        (strings.mset({"a": 1}), True), (keys.expire("k", 5), True), (server.ping(), True),
        (strings.incr("k", 1), False), (strings.decr("k", 1), False), (keys.delete("k"), False),
        (lists.lpush("k", "v"), False), (lists.rpush("k", "v"), False),
        (lists.lpop("k"), False), (lists.rpop("k"), False),
        (hashes.hset("k", "f", "v"), False), (sets.sadd("k", "m"), False),
        (server.execute("GET", "k"), True), (server.execute("INCR", "k"), False),
        (server.execute("SET", "k", "v"), True), (server.execute("set", "k", "v", "nx"), False),
        (server.execute("LPUSH", "k", "v"), False), (server.execute("EVAL", "x", 0), False),
    ],
)
def test_idempotency_table(call: Call[object], idempotent: bool) -> None:
    assert call.idempotent is idempotent


def test_decoders_accept_resp2_and_resp3_shapes() -> None:
    assert hashes.hgetall("h").decode({b"a": b"1"}, True) == {"a": "1"}
    assert hashes.hgetall("h").decode([b"a", b"1", b"b", b"2"], True) == {"a": "1", "b": "2"}
    assert hashes.hgetall("h").decode([b"a", b"1"], False) == {b"a": b"1"}
    assert sets.smembers("s").decode({b"x"}, True) == {"x"}
    assert sets.smembers("s").decode([b"x", b"y"], False) == {b"x", b"y"}
    assert strings.mget(["a", "b"]).decode([b"1", None], True) == ["1", None]
    assert keys.exists("k").decode(1, True) is True
    assert server.ping().decode("PONG", True) is True
    push = Push(["message", b"ch", b"hi"])
    decoded = server.execute("X").decode(push, True)
    assert isinstance(decoded, Push)
    assert decoded == ["message", "ch", "hi"]


def test_unexpected_reply_is_a_protocol_error() -> None:
    import kvs

    with pytest.raises(kvs.ProtocolError):
        strings.get("k").decode(42, True)
    with pytest.raises(kvs.ProtocolError):
        hashes.hgetall("h").decode([b"odd"], True)


def test_argument_checks_name_the_call() -> None:
    with pytest.raises(TypeError, match="get: key must be str or bytes, not int"):
        strings.get(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="hset: field must be str or bytes"):
        hashes.hset("k", 1, "v")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lpush: at least one value"):
        lists.lpush("k")
    with pytest.raises(TypeError, match="lpush: value must be"):
        lists.lpush("k", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lrange: start must be int"):
        lists.lrange("k", "0", 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mset: mapping must be a mapping"):
        strings.mset([("a", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="execute: arguments must be"):
        server.execute("GET", None)
    with pytest.raises(TypeError, match="delete: at least one key"):
        keys.delete()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"SET k v", strings.SetOptions()),
        (b"SET k v nx ex 10", strings.SetOptions(nx=True, unit=b"EX", expire=b"10")),
        (b"SET k v XX GET KEEPTTL", strings.SetOptions(xx=True, get=True, keepttl=True)),
        (b"SET k v PXAT 5 PXAT 6", strings.SetOptions(unit=b"PXAT", expire=b"6")),
        (b"SET k v Nx\0junk", strings.SetOptions(nx=True)),  # words are C strings
        (b"SET k v NX XX", None), (b"SET k v EX 1 PX 2", None), (b"SET k v KEEPTTL EX 1", None),
        (b"SET k v EX 1 KEEPTTL", None), (b"SET k v EX", None), (b"SET k v BOGUS", None),
    ],
)
def test_set_options_are_read_once_as_redis_reads_them(
        line: bytes, expected: strings.SetOptions | None) -> None:
    assert strings.parse_set_options(line.split(b" ")) == expected
