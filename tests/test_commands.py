"""Each operation's encoding, decoding and retry rule, with no network at all."""

from __future__ import annotations

import datetime

import pytest

from kvs.commands import strings as cmd
from resp import Push


def test_set_encodings_and_idempotency() -> None:
    call = cmd.set_("k", "v")
    assert call.argv == (b"SET", b"k", b"v")
    assert call.idempotent is True
    call = cmd.set_("k", 5, ex=10, nx=True)
    assert call.argv == (b"SET", b"k", b"5", b"EX", b"10", b"NX")
    assert call.idempotent is False  # a second run would answer False
    assert call.decode(None, True) is False
    assert call.decode("OK", True) is True
    assert cmd.set_("k", True, px=datetime.timedelta(seconds=2)).argv == (
        b"SET", b"k", b"1", b"PX", b"2000")
    assert cmd.set_("k", 1.5).argv[2] == b"1.5"
    assert cmd.set_("k", float("inf")).argv[2] == b"inf"
    with pytest.raises(ValueError, match="ex must be positive"):
        cmd.set_("k", "v", ex=0)
    with pytest.raises(ValueError, match="NaN"):
        cmd.set_("k", float("nan"))
    with pytest.raises(TypeError, match="set: ex must be int, not float"):
        cmd.set_("k", "v", ex=1.5)


@pytest.mark.parametrize(
    ("call", "idempotent"),
    [
        (cmd.get("k"), True), (cmd.exists("k"), True), (cmd.keys("*"), True),
        (cmd.ttl("k"), True), (cmd.lrange("k", 0, -1), True), (cmd.hget("k", "f"), True),
        (cmd.hgetall("k"), True), (cmd.smembers("k"), True), (cmd.mget(["a"]), True),
        (cmd.mset({"a": 1}), True), (cmd.expire("k", 5), True), (cmd.ping(), True),
        (cmd.incr("k", 1), False), (cmd.decr("k", 1), False), (cmd.delete(("k",)), False),
        (cmd.push("lpush", "k", ("v",)), False), (cmd.push("rpush", "k", ("v",)), False),
        (cmd.pop("lpop", "k"), False), (cmd.pop("rpop", "k"), False),
        (cmd.hset("k", "f", "v"), False), (cmd.sadd("k", ("m",)), False),
        (cmd.execute(("GET", "k")), True), (cmd.execute(("INCR", "k")), False),
        (cmd.execute(("SET", "k", "v")), True), (cmd.execute(("set", "k", "v", "nx")), False),
        (cmd.execute(("LPUSH", "k", "v")), False), (cmd.execute(("EVAL", "x", 0)), False),
    ],
)
def test_idempotency_table(call: cmd.Call[object], idempotent: bool) -> None:
    assert call.idempotent is idempotent


def test_decoders_accept_resp2_and_resp3_shapes() -> None:
    assert cmd.hgetall("h").decode({b"a": b"1"}, True) == {"a": "1"}
    assert cmd.hgetall("h").decode([b"a", b"1", b"b", b"2"], True) == {"a": "1", "b": "2"}
    assert cmd.hgetall("h").decode([b"a", b"1"], False) == {b"a": b"1"}
    assert cmd.smembers("s").decode({b"x"}, True) == {"x"}
    assert cmd.smembers("s").decode([b"x", b"y"], False) == {b"x", b"y"}
    assert cmd.mget(["a", "b"]).decode([b"1", None], True) == ["1", None]
    assert cmd.exists("k").decode(1, True) is True
    assert cmd.ping().decode("PONG", True) is True
    push = Push(["message", b"ch", b"hi"])
    decoded = cmd.execute(("X",)).decode(push, True)
    assert isinstance(decoded, Push)
    assert decoded == ["message", "ch", "hi"]


def test_unexpected_reply_is_a_protocol_error() -> None:
    import kvs

    with pytest.raises(kvs.ProtocolError):
        cmd.get("k").decode(42, True)
    with pytest.raises(kvs.ProtocolError):
        cmd.hgetall("h").decode([b"odd"], True)


def test_argument_checks_name_the_call() -> None:
    with pytest.raises(TypeError, match="get: key must be str or bytes, not int"):
        cmd.get(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="hset: field must be str or bytes"):
        cmd.hset("k", 1, "v")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lpush: at least one value"):
        cmd.push("lpush", "k", ())
    with pytest.raises(TypeError, match="lpush: value must be"):
        cmd.push("lpush", "k", (None,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lrange: start must be int"):
        cmd.lrange("k", "0", 1)
    with pytest.raises(TypeError, match="mset: mapping must be a mapping"):
        cmd.mset([("a", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="execute: arguments must be"):
        cmd.execute(("GET", None))
    with pytest.raises(TypeError, match="delete: at least one key"):
        cmd.delete(())
