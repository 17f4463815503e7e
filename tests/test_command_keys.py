"""Every command knows its keys: the key-position table against ``COMMAND GETKEYS`` of a real
Redis, for every command the table knows, and each operation's `KeySpec`."""

from __future__ import annotations

from typing import Any

import pytest

import kvs.sync
from kvs.commands import OPERATIONS, keys_of
from kvs.commands.traits import _MOVABLE, KEY_POSITIONS, argv_keys

# Command lines whose keys move with their arguments, with their keys spread around.
MOVABLE_SAMPLES: list[list[bytes]] = [
    line.split() for line in (
        b"EVAL s 2 k1 k2 a1", b"EVAL_RO s 1 k1 a1", b"EVALSHA s 0 a1", b"EVALSHA_RO s 1 k1",
        b"FCALL f 2 k1 k2 a1", b"FCALL_RO f 1 k1",
        b"LMPOP 2 k1 k2 LEFT", b"ZMPOP 1 k1 MIN COUNT 2", b"SINTERCARD 2 k1 k2 LIMIT 1",
        b"ZINTERCARD 3 k1 k2 k3", b"ZDIFF 2 k1 k2 WITHSCORES", b"ZINTER 2 k1 k2",
        b"ZUNION 1 k1", b"BLMPOP 0 2 k1 k2 RIGHT", b"BZMPOP 1 1 k1 MAX",
        b"ZDIFFSTORE d 2 k1 k2", b"ZINTERSTORE d 1 k1", b"ZUNIONSTORE d 3 k1 k2 k3 WEIGHTS 1 2 3",
        b"XREAD COUNT 2 STREAMS k1 k2 0 0", b"XREADGROUP GROUP g c STREAMS k1 >",
        b"XREAD BLOCK 0 STREAMS k1 $",
        b"SORT k1 BY w* GET o* STORE d", b"SORT k1 LIMIT 0 1", b"SORT_RO k1 BY w*",
        b"GEORADIUS k1 0 0 1 km STORE d", b"GEORADIUSBYMEMBER k1 m 1 km STOREDIST d",
        b"GEORADIUS k1 0 0 1 km WITHDIST",
    )
]
MOVABLE_SAMPLES += [
    [b"MIGRATE", b"h", b"1", b"k1", b"0", b"100"],
    [b"MIGRATE", b"h", b"1", b"", b"0", b"100", b"COPY", b"KEYS", b"k1", b"k2"],
]


@pytest.fixture(scope="module")
def server_keys(redis_server: Any) -> Any:
    with kvs.sync.connect(f"redis://127.0.0.1:{redis_server.port}", decode=False) as db:
        arities = {}
        for entry in db.execute("COMMAND"):
            arities[entry[0].upper()] = entry[1]
            for sub in entry[9] if len(entry) > 9 else []:
                arities[sub[0].upper()] = sub[1]

        def getkeys(argv: list[bytes]) -> list[bytes] | None:
            try:
                return list(db.execute("COMMAND", "GETKEYS", *argv))
            except kvs.ResponseError as exc:
                if "no key arguments" in exc.message:
                    return []
                return None  # the server cannot say for this line

        yield arities, getkeys


def _samples(name: bytes, arity: int) -> list[list[bytes]]:
    words = name.split(b"|")
    count = abs(arity) - len(words)
    lengths = [count] if arity > 0 else [count, count + 1, count + 2, count + 4]
    return [words + [b"a%d" % i for i in range(n)] for n in lengths]


def test_the_position_table_matches_command_getkeys(server_keys: Any) -> None:
    arities, getkeys = server_keys
    compared: dict[bytes, int] = {}
    wrong: list[Any] = []
    for name in KEY_POSITIONS:
        if name in _MOVABLE:
            continue
        for argv in _samples(name, arities[name]):
            expected = getkeys(argv)
            if expected is None:
                continue
            if argv_keys(argv) != expected:
                wrong.append((argv, argv_keys(argv), expected))
            compared[name] = compared.get(name, 0) + 1
    assert not wrong
    missing = set(KEY_POSITIONS) - set(_MOVABLE) - set(compared)
    assert not missing, f"no sample line the server could answer for {sorted(missing)}"


@pytest.mark.parametrize("argv", MOVABLE_SAMPLES, ids=lambda a: b" ".join(a).decode())
def test_commands_whose_keys_move_match_command_getkeys(server_keys: Any,
                                                        argv: list[bytes]) -> None:
    _, getkeys = server_keys
    assert argv_keys(argv) == getkeys(argv)


def test_every_movable_command_has_a_sample() -> None:
    assert {argv[0] for argv in MOVABLE_SAMPLES} == set(_MOVABLE)


def test_commands_without_keys_and_unknown_ones() -> None:
    assert argv_keys([b"PING"]) == []
    assert argv_keys([b"NOSUCHCOMMAND", b"x"]) == []
    assert argv_keys([]) == []
    assert argv_keys([b"object", b"encoding", b"k"]) == [b"k"]  # case-insensitive, containers


class Kw(dict[str, Any]):
    """Keyword arguments ending a sample (for keyword-only options)."""


def _sample_call(name: str) -> Any:
    *args, last = OPERATION_SAMPLES[name] or (None,)
    if isinstance(last, Kw):
        return OPERATIONS[name](*args, **last)
    return OPERATIONS[name](*OPERATION_SAMPLES[name])


# Arguments for every operation (a new operation must add a line).
OPERATION_SAMPLES: dict[str, tuple[Any, ...]] = {
    "get": ("k",), "set": ("k", "v"), "delete": ("a", "b"), "exists": ("k",), "keys": ("*",),
    "expire": ("k", 5), "ttl": ("k",), "incr": ("k",), "decr": ("k", 2),
    "mget": (["a", "b"],), "mset": ({"a": 1, "b": 2},), "lpush": ("l", "x", "y"),
    "rpush": ("l", "x"), "lpop": ("l",), "rpop": ("l",), "lrange": ("l", 0, -1),
    "hset": ("h", "f", "v"), "hget": ("h", "f"), "hgetall": ("h",), "sadd": ("s", "m", "n"),
    "smembers": ("s",), "ping": (), "execute": ("MSET", "a", 1, "b", 2),
    "publish": ("news", "hi"), "spublish": ("news", "hi"),
    # keys and strings
    "unlink": ("a", "b"), "type": ("k",), "rename": ("a", "b"), "renamenx": ("a", "b"),
    "persist": ("k",), "pexpire": ("k", 500), "pttl": ("k",), "expireat": ("k", 2_000_000_000),
    "expiretime": ("k",), "copy": ("a", "b"), "dbsize": (), "flushdb": (), "scan": (0,),
    "getdel": ("k",), "getex": ("k",), "getset": ("k", "v"), "setnx": ("k", "v"),
    "setex": ("k", 5, "v"), "append": ("k", "v"), "strlen": ("k",), "getrange": ("k", 0, -1),
    "setrange": ("k", 2, "v"), "incrbyfloat": ("k", 1.5), "msetnx": ({"a": 1, "b": 2},),
    # lists, hashes, sets
    "llen": ("l",), "lindex": ("l", 0), "lset": ("l", 0, "v"),
    "linsert": ("l", "before", "a", "b"), "lrem": ("l", 0, "v"), "ltrim": ("l", 0, -1),
    "lpos": ("l", "v"), "lmove": ("a", "b"), "lmpop": (["a", "b"],), "hdel": ("h", "f"),
    "blpop": (["a", "b"], 1), "brpop": ("a", 0.5), "blmove": ("a", "b", 1),
    "blmpop": (1, ["a", "b"]), "bzpopmin": (["a", "b"], 1), "bzpopmax": ("z", 0),
    "hexists": ("h", "f"), "hlen": ("h",), "hkeys": ("h",), "hvals": ("h",),
    "hmget": ("h", ["f", "g"]), "hincrby": ("h", "f"), "hincrbyfloat": ("h", "f", 0.5),
    "hsetnx": ("h", "f", "v"), "hrandfield": ("h",), "hscan": ("h",), "srem": ("s", "m"),
    "sismember": ("s", "m"), "smismember": ("s", ["m", "n"]), "scard": ("s",), "spop": ("s",),
    "srandmember": ("s",), "smove": ("a", "b", "m"), "sinter": ("a", "b"), "sunion": ("a", "b"),
    "sdiff": ("a", "b"), "sinterstore": ("d", "a", "b"), "sunionstore": ("d", "a", "b"),
    "sdiffstore": ("d", "a", "b"), "sintercard": (["a", "b"],), "sscan": ("s",),
    # sorted sets
    "zadd": ("z", {"m": 1}), "zincrby": ("z", 1, "m"), "zrem": ("z", "m"),
    "zscore": ("z", "m"), "zmscore": ("z", ["m"]), "zcard": ("z",), "zcount": ("z", 0, "+inf"),
    "zlexcount": ("z", "-", "+"), "zrank": ("z", "m"), "zrevrank": ("z", "m"),
    "zrange": ("z", 0, -1), "zrangestore": ("d", "z", 0, -1),
    "zrangebyscore": ("z", "-inf", 5), "zrevrange": ("z", 0, -1),
    "zremrangebyrank": ("z", 0, 1), "zremrangebyscore": ("z", 0, 1), "zpopmin": ("z",),
    "zpopmax": ("z", 2), "zrandmember": ("z",), "zunionstore": ("d", {"a": 1, "b": 2}),
    "zinterstore": ("d", ["a", "b"]), "zdiffstore": ("d", ["a", "b"]), "zscan": ("z",),
    # HyperLogLog
    "pfadd": ("p", "x"), "pfcount": ("p", "q"), "pfmerge": ("d", "p", "q"),
    # scripts and functions
    "eval": ("return 1", ["k1", "k2"], ["a"]), "eval_ro": ("return 1", ["k"]),
    "evalsha": ("0" * 40, ["k"], ["a"]), "evalsha_ro": ("0" * 40, [], ["a"]),
    "script_load": ("return 1",), "script_exists": ("0" * 40,), "script_flush": (),
    "function_load": ("#!lua name=l\n",), "function_list": (), "function_delete": ("l",),
    "function_flush": (), "fcall": ("f", ["k1", "k2"], ["a"]), "fcall_ro": ("f", ["k"]),
    # streams
    "xadd": ("s", {"f": 1}), "xlen": ("s",), "xrange": ("s",), "xrevrange": ("s",),
    "xdel": ("s", "1-1"), "xtrim": ("s", Kw(maxlen=5)), "xread": ({"s": "0", "t": "$"},),
    "xgroup_create": ("s", "g"), "xgroup_destroy": ("s", "g"),
    "xgroup_createconsumer": ("s", "g", "c"), "xgroup_delconsumer": ("s", "g", "c"),
    "xgroup_setid": ("s", "g", "0"), "xreadgroup": ("g", "c", {"s": ">", "t": "0"}),
    "xack": ("s", "g", "1-1"), "xpending": ("s", "g"), "xclaim": ("s", "g", "c", 0, ["1-1"]),
    "xautoclaim": ("s", "g", "c", 0), "xinfo_stream": ("s",), "xinfo_groups": ("s",),
    "xinfo_consumers": ("s", "g"),
}


def test_each_operation_names_its_keys_as_the_command_table_does() -> None:
    assert set(OPERATION_SAMPLES) == set(OPERATIONS)
    for name in OPERATIONS:
        call = _sample_call(name)
        assert keys_of(call) == argv_keys(call.argv), name
    assert keys_of(OPERATIONS["mset"]({"a": 1, "b": 2})) == [b"a", b"b"]
    assert keys_of(OPERATIONS["delete"]("a", "b")) == [b"a", b"b"]
    assert keys_of(OPERATIONS["keys"]("*")) == []
    assert keys_of(OPERATIONS["zunionstore"]("d", ["a", "b"])) == [b"d", b"a", b"b"]
    assert keys_of(OPERATIONS["lmpop"](["a", "b"])) == [b"a", b"b"]
    assert keys_of(OPERATIONS["msetnx"]({"a": 1, "b": 2})) == [b"a", b"b"]


def test_each_operation_names_its_keys_as_the_server_does(server_keys: Any) -> None:
    _, getkeys = server_keys
    for name in OPERATIONS:
        call = _sample_call(name)
        expected = getkeys(list(call.argv))
        if expected is not None:
            assert keys_of(call) == expected, name


def test_each_typing_variant_has_the_parameters_of_its_operation() -> None:
    import inspect

    from kvs.commands import VARIANTS

    assert set(VARIANTS) <= set(OPERATIONS)
    for name, variants in VARIANTS.items():
        expected = list(inspect.signature(OPERATIONS[name]).parameters)
        for fn in variants:
            assert list(inspect.signature(fn).parameters) == expected, (name, fn.__name__)
            with pytest.raises(NotImplementedError):  # a signature, never an operation
                fn(*(None,) * sum(p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD
                                  for p in inspect.signature(fn).parameters.values()),
                   **{p.name: None for p in inspect.signature(fn).parameters.values()
                      if p.default is p.empty and p.kind is p.KEYWORD_ONLY})
