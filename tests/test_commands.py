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


def test_data_type_decoders_give_one_result_for_both_protocols() -> None:
    from kvs.commands import zsetops, zsets

    resp3 = [[b"a", 1.5], [b"b", float("inf")]]
    resp2 = [b"a", b"1.5", b"b", b"inf"]
    for reply in (resp3, resp2):
        assert zsets.zrange("z", 0, -1, withscores=True).decode(reply, True) == [
            ("a", 1.5), ("b", float("inf"))]
    assert zsetops.zpopmin("z").decode([b"a", 1.0], True) == [("a", 1.0)]  # RESP3, no count
    assert zsetops.zpopmin("z").decode([b"a", b"1"], False) == [(b"a", 1.0)]
    assert zsetops.zpopmin("z").decode([], True) == []
    assert zsets.zscore("z", "m").decode(b"-inf", True) == float("-inf")
    assert zsets.zscore("z", "m").decode(2.5, True) == 2.5
    assert zsets.zscore("z", "m").decode(None, True) is None
    assert zsets.zmscore("z", ["a", "b"]).decode([b"1", None], True) == [1.0, None]
    assert zsetops.zscan("z").decode([b"7", [b"m", b"2"]], True) == (7, [("m", 2.0)])
    assert hashes.hscan("h").decode([b"0", [b"f", b"v"]], False) == (0, {b"f": b"v"})
    assert hashes.hrandfield("h", 1, withvalues=True).decode([[b"f", b"v"]], True) == [
        ("f", "v")]
    assert hashes.hrandfield("h", 1, withvalues=True).decode([b"f", b"v"], True) == [("f", "v")]
    assert lists.lmpop(["a"]).decode([b"a", [b"x"]], True) == ("a", ["x"])
    assert sets.smismember("s", ["a", "b"]).decode([1, 0], True) == [True, False]
    assert keys.type_("k").decode("zset", False) == "zset"
    assert strings.incrbyfloat("k", 1).decode(b"1.1", True) == 1.1
    import kvs

    with pytest.raises(kvs.ProtocolError):
        zsets.zrange("z", 0, 1, withscores=True).decode([b"a"], True)
    with pytest.raises(kvs.ProtocolError):
        zsets.zscore("z", "m").decode(b"not a float", True)
    with pytest.raises(kvs.ProtocolError):
        keys.scan().decode([b"x", []], True)


@pytest.mark.parametrize(
    ("call", "idempotent"),
    [
        (keys.rename("a", "b"), False), (keys.persist("k"), False), (keys.pexpire("k", 5), True),
        (keys.copy("a", "b"), False), (keys.copy("a", "b", replace=True), True),
        (keys.flushdb(), True), (keys.scan(), True), (strings.set_("k", "v", get=True), False),
        (strings.getex("k", ex=5), True), (strings.setex("k", 5, "v"), True),
        (strings.setrange("k", 0, "v"), True), (strings.append("k", "v"), False),
        (strings.incrbyfloat("k", 1), False), (lists.lset("l", 0, "v"), True),
        (lists.ltrim("l", 1, -1), False), (lists.lmove("a", "b"), False),
        (hashes.hset("h", mapping={"f": 1}), False), (hashes.hmget("h", ["f"]), True),
        (sets.spop("s"), False), (sets.sunionstore("d", "a"), False),
        (sets.srandmember("s", 2), True),
    ],
)
def test_idempotency_of_the_data_types(call: Call[object], idempotent: bool) -> None:
    assert call.idempotent is idempotent


def test_idempotency_of_sorted_sets_and_hyperloglog() -> None:
    from kvs.commands import hll, zsetops, zsets

    assert zsets.zadd("z", {"m": 1}).idempotent is False
    assert zsets.zrange("z", 0, -1).idempotent is True
    assert zsetops.zunionstore("d", ["a", "d"]).idempotent is False  # dest may be a source
    assert zsetops.zpopmin("z").idempotent is False
    assert hll.pfadd("p", "x").idempotent is False  # the second run answers False
    assert hll.pfmerge("d", "p").idempotent is True
    assert hll.pfcount("p").idempotent is True


def test_data_type_encodings() -> None:
    from kvs.commands import zsetops, zsets

    assert zsets.zadd("z", {"a": 1, "b": 2.5}, gt=True, ch=True).argv == (
        b"ZADD", b"z", b"GT", b"CH", b"1", b"a", b"2.5", b"b")
    assert zsets.zrange("z", "(1", "+inf", byscore=True, rev=True, offset=0, count=5,
                        withscores=True).argv == (
        b"ZRANGE", b"z", b"(1", b"+inf", b"BYSCORE", b"REV", b"LIMIT", b"0", b"5",
        b"WITHSCORES")
    assert zsetops.zunionstore("d", {"a": 2, "b": 0.5}, aggregate="max").argv == (
        b"ZUNIONSTORE", b"d", b"2", b"a", b"b", b"WEIGHTS", b"2", b"0.5", b"AGGREGATE", b"MAX")
    assert zsets.zrangebyscore("z", float("-inf"), 3).argv == (
        b"ZRANGEBYSCORE", b"z", b"-inf", b"3")
    assert strings.set_("k", "v", exat=datetime.datetime.fromtimestamp(
        100, datetime.UTC), get=True).argv == (b"SET", b"k", b"v", b"EXAT", b"100", b"GET")
    assert keys.scan(5, match="a*", count=10, type="hash").argv == (
        b"SCAN", b"5", b"MATCH", b"a*", b"COUNT", b"10", b"TYPE", b"hash")
    assert lists.lpos("l", "x", rank=-1, count=0).argv == (
        b"LPOS", b"l", b"x", b"RANK", b"-1", b"COUNT", b"0")
    assert sets.sintercard(["a", "b"], limit=3).argv == (
        b"SINTERCARD", b"2", b"a", b"b", b"LIMIT", b"3")
    assert keys.pexpire("k", datetime.timedelta(seconds=1.5)).argv == (
        b"PEXPIRE", b"k", b"1500")
    with pytest.raises(ValueError, match="zadd: mapping must not be empty"):
        zsets.zadd("z", {})
    with pytest.raises(ValueError, match="zadd: score must not be NaN"):
        zsets.zadd("z", {"a": float("nan")})
    with pytest.raises(TypeError, match="zadd: score must be int or float, not bool"):
        zsets.zadd("z", {"a": True})
    with pytest.raises(ValueError, match="give offset and count together"):
        zsets.zrange("z", 0, 1, byscore=True, offset=1)
    with pytest.raises(TypeError, match="lmpop: keys must be a list of keys, not str"):
        lists.lmpop("a")
    with pytest.raises(ValueError, match="scan: cursor must not be negative"):
        keys.scan(-1)
