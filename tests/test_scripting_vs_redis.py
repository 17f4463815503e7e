"""Differential test of Lua scripts and functions: the store's EVAL, SCRIPT, FUNCTION and FCALL
against a real redis-server (7.0), reply for reply and error text for error text.

Each case starts from an empty keyspace on both sides, runs the same setup commands, then
the script (EVAL, and EVALSHA after it) or the function calls; every reply must be equal:
same type, same value, and for an error the same text (Redis's ``script: <sha>, on
@user_script:<line>.`` suffix included, since the SHA1 and the line are the same).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from kvs.memory.store import Store
from resp import ReplyError
from tests.test_memory_vs_redis import RawRedis
from tests.test_memory_vs_redis import redis as redis  # noqa: PLC0414 - the fixture

pytest.importorskip("lupa", reason="the memory store's scripts need the kvs[lua] extra")

# (setup commands, script, keys, args)
Case = tuple[list[tuple[bytes, ...]], str, list[bytes], list[bytes]]

COUNTER = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
RATE_LIMIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('TTL', KEYS[1])}
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""
SET_IF_GREATER = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-inf')
if tonumber(ARGV[1]) > current then
    redis.call('SET', KEYS[1], ARGV[1])
    return 1
end
return 0
"""

CASES: list[Case] = [
    # counters, conditional writes, the recipes
    ([], COUNTER, [b"n"], [b"5"]),
    ([(b"SET", b"n", b"10")], COUNTER, [b"n"], [b"-3"]),
    ([(b"SET", b"n", b"x")], COUNTER, [b"n"], [b"1"]),
    ([], RATE_LIMIT, [b"rl"], [b"60"]),
    ([(b"SET", b"rl", b"4", b"EX", b"30")], RATE_LIMIT, [b"rl"], [b"60"]),
    ([(b"SET", b"lock", b"tok")], RELEASE, [b"lock"], [b"tok"]),
    ([(b"SET", b"lock", b"other")], RELEASE, [b"lock"], [b"tok"]),
    ([], RELEASE, [b"lock"], [b"tok"]),
    ([(b"SET", b"hi", b"5")], SET_IF_GREATER, [b"hi"], [b"7"]),
    ([(b"SET", b"hi", b"9")], SET_IF_GREATER, [b"hi"], [b"7"]),
    ([], "return redis.call('SET', KEYS[1], ARGV[1], 'NX')", [b"k"], [b"v"]),
    ([(b"SET", b"k", b"v")], "return redis.call('SET', KEYS[1], ARGV[1], 'NX')", [b"k"], [b"w"]),
    # every Lua type on the way out
    ([], "return 42", [], []),
    ([], "return 3.99", [], []),
    ([], "return -3.99", [], []),
    ([], "return 'text'", [], []),
    ([], "return true", [], []),
    ([], "return false", [], []),
    ([], "return nil", [], []),
    ([], "return {1, 'two', 3.7, {4, {5}}, true, false, 'after false'}", [], []),
    ([], "return {1, 2, nil, 4}", [], []),
    ([], "return {}", [], []),
    ([], "return {a = 1, b = 2}", [], []),
    ([], "return {ok = 'FINE'}", [], []),
    ([], "return {err = 'MYERR something failed'}", [], []),
    ([], "return {err = 1}", [], []),
    ([], "return redis.status_reply('DONE')", [], []),
    ([], "return redis.error_reply('CODE message')", [], []),
    ([], "return redis.error_reply('-OTHER message')", [], []),
    ([], "return redis.error_reply('plain')", [], []),
    ([], "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", [b"a", b"b"], [b"x", b"y"]),
    # commands' replies on the way in (RESP2 shapes) and out
    ([(b"RPUSH", b"l", b"a", b"b")], "return redis.call('LRANGE', KEYS[1], 0, -1)", [b"l"], []),
    ([(b"HSET", b"h", b"f", b"v")], "return redis.call('HGETALL', KEYS[1])", [b"h"], []),
    ([], "return redis.call('GET', 'missing')", [], []),
    ([], "return type(redis.call('GET', 'missing'))", [], []),
    ([(b"ZADD", b"z", b"1.5", b"m")], "return redis.call('ZSCORE', KEYS[1], 'm')", [b"z"], []),
    ([], "return redis.call('PING')", [], []),
    ([], "local t = redis.call('TIME') return {#t, type(t[1]), type(t[2])}", [], []),
    ([], "return redis.call('TIME', 'extra')", [], []),
    ([], "return type(redis.call('PING'))", [], []),
    ([], "return redis.call('SET', 'k', 1.5)", [], []),
    ([], "redis.call('SET', 'k', 0.1) return redis.call('GET', 'k')", [], []),
    ([], "redis.call('SET', 'k', 2^53) return redis.call('GET', 'k')", [], []),
    # RESP3 after redis.setresp(3)
    ([(b"HSET", b"h", b"f", b"v")],
     "redis.setresp(3) local m = redis.call('HGETALL', KEYS[1]) return m.map.f", [b"h"], []),
    ([(b"HSET", b"h", b"f", b"v")], "redis.setresp(3) return redis.call('HGETALL', KEYS[1])",
     [b"h"], []),
    ([(b"SADD", b"s", b"m")], "redis.setresp(3) return redis.call('SMEMBERS', KEYS[1])",
     [b"s"], []),
    ([(b"ZADD", b"z", b"1.5", b"m")], "redis.setresp(3) return redis.call('ZSCORE', KEYS[1], 'm')",
     [b"z"], []),
    ([], "redis.setresp(3) return redis.call('GET', 'missing') == nil", [], []),
    ([], "redis.setresp(3) return true", [], []),
    ([], "redis.setresp(3) return false", [], []),
    ([], "redis.setresp(3) return {double = 3.5}", [], []),
    ([], "redis.setresp(3) return {map = {a = 1}}", [], []),
    ([], "redis.setresp(3) return {set = {a = true}}", [], []),
    ([], "redis.setresp(3) return {big_number = '123456789012345678901234567890'}", [], []),
    ([], "return redis.setresp(4)", [], []),
    # errors: pcall catches them, without pcall they end the script
    ([(b"SET", b"s", b"v")], "return redis.pcall('LPUSH', KEYS[1], 'x')", [b"s"], []),
    ([(b"SET", b"s", b"v")], "return redis.call('LPUSH', KEYS[1], 'x')", [b"s"], []),
    ([(b"SET", b"s", b"v")],
     "local ok, e = pcall(redis.call, 'LPUSH', KEYS[1], 'x') return {tostring(ok), e}",
     [b"s"], []),
    ([(b"SET", b"s", b"v")],
     "local t = redis.pcall('INCR', KEYS[1]) return t.err", [b"s"], []),
    ([], "error('boom')", [], []),
    ([], "error({err = 'CUSTOM table error'})", [], []),
    ([], "local ok, e = pcall(error, 'caught') return e", [], []),
    ([], "local ok, e = pcall(function() error({err = 'X y'}) end) return e", [], []),
    ([], "\n\nlocal x = nil + 1", [], []),
    ([], "return redis.call('NOSUCHCOMMAND')", [], []),
    ([], "return redis.pcall('NOSUCHCOMMAND')", [], []),
    ([], "return redis.call('GET')", [], []),
    ([], "return redis.call('GET', 'a', 'b')", [], []),
    ([], "return redis.call()", [], []),
    ([], "return redis.call('GET', {})", [], []),
    ([], "return redis.call('GET', nil)", [], []),
    ([], "return redis.call('BLPOP', 'q', 0)", [], []),
    ([], "return redis.call('EVAL', 'return 1', 0)", [], []),
    ([], "return redis.call('MULTI')", [], []),
    ([], "return 1 +", [], []),
    # the sandbox
    ([], "x = 1", [], []),
    ([], "return undefined_thing", [], []),
    ([], "return os.time()", [], []),
    ([], "return loadfile", [], []),
    ([], "return dofile", [], []),
    ([], "return print", [], []),
    ([], "string.custom = 1", [], []),
    ([], "redis.call = nil", [], []),
    ([], "return type(io)", [], []),
    # libraries
    ([], "return redis.sha1hex('')", [], []),
    ([], "return redis.sha1hex('abc')", [], []),
    ([], "return redis.sha1hex()", [], []),
    ([], "return cjson.encode({1, 2, {a = 1}})", [], []),
    ([], "return cjson.encode({a = {1, 2}})", [], []),
    ([], "return cjson.encode('x/y\\n')", [], []),
    ([], "return cjson.encode({})", [], []),
    ([], "return cjson.encode(0.1)", [], []),
    ([], "return cjson.encode({[1] = 1, [100] = 2})", [], []),
    ([], "return cjson.encode(function() end)", [], []),
    ([], "return cjson.encode(newproxy())", [], []),
    ([], "return cjson.encode({a = {1, 2}, b = 'x/y', c = 1.5, d = true, e = cjson.null})",
     [], []),
    ([], "return cjson.encode(cjson.decode('{\"k1\":1,\"k2\":[true,false,null],"
         "\"k3\":{\"x\":\"y\"}}'))", [], []),
    ([], "return cjson.encode({1, 2, nil, 4})", [], []),
    ([], "return cjson.encode('\\1\\127\\200')", [], []),
    ([], "return cjson.decode('[1, 2, {\"a\": 1.5}]')[3].a", [], []),
    ([], "return cjson.decode('{\"a\": [1, \"x\", true]}').a", [], []),
    ([], "return tostring(cjson.decode('{\"a\": null}').a == cjson.null)", [], []),
    ([], "return bit.band(7, 3)", [], []),
    ([], "return {bit.bor(1, 2), bit.bxor(5, 1), bit.lshift(1, 4), bit.rshift(-1, 28)}", [], []),
    ([], "return {bit.bnot(0), bit.tobit(2^32 + 1), bit.arshift(-16, 2)}", [], []),
    ([], "return bit.tohex(255)", [], []),
    ([], "return bit.band('x')", [], []),
    ([], "return struct.pack('>I2', 258)", [], []),
    ([], "return struct.pack('<i4hbc3s', -2, 5, -1, 'abcd', 'zz')", [], []),
    ([], "return struct.pack('!8 b d', 1, 1.5)", [], []),
    ([], "return {struct.size('!4 b i d'), struct.size('bhl')}", [], []),
    ([], "return {struct.unpack('<I4', '\\1\\0\\0\\0')}", [], []),
    ([], "return {struct.unpack('>hs', struct.pack('>hs', -7, 'x'))}", [], []),
    ([], "return {struct.unpack('b c0', struct.pack('b', 3) .. 'abcdef')}", [], []),
    ([], "return struct.unpack('I4', 'ab')", [], []),
    ([], "return struct.pack('z')", [], []),
    ([], "return struct.pack('i', 'x')", [], []),
    ([], "return struct.pack('c5', 'ab')", [], []),
    ([], "return struct.size('s')", [], []),
    ([], "return cmsgpack.pack({1, 2, 3}, 'abc', 1.5, 0.1, -1, -200, 70000, 2^40, true, nil)",
     [], []),
    ([], "return cmsgpack.pack({a = 1}, {}, string.rep('x', 40), string.rep('y', 300))", [], []),
    ([], "return {cmsgpack.unpack(cmsgpack.pack({1, {2, 'x'}}, 'y', -5, 0.25))}", [], []),
    ([], "local t = cmsgpack.unpack(cmsgpack.pack({k = 'v'})) return t.k", [], []),
    ([], "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2))}", [], []),
    ([], "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 1)}", [], []),
    ([], "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}", [], []),
    ([], "return cmsgpack.unpack('\\205')", [], []),
    ([], "return cmsgpack.unpack('\\193')", [], []),
    ([], "return cmsgpack.pack()", [], []),
    ([], "return tostring(0.1) .. ' ' .. tostring(1e100)", [], []),
    ([], "return string.format('%5.2f|%s', 3.14159, 'x')", [], []),
    ([], "return table.concat({'a', 'b'}, ',')", [], []),
    ([], "return math.floor(3.7)", [], []),
    ([], "redis.log(redis.LOG_WARNING, 'from a script') return 1", [], []),
    ([], "return redis.log()", [], []),
    ([], "return {redis.REPL_ALL, redis.REPL_NONE, redis.LOG_NOTICE}", [], []),
    ([], "redis.set_repl(redis.REPL_ALL) return 1", [], []),
    ([], "redis.replicate_commands() return 1", [], []),
    ([], "return redis.setresp()", [], []),
    # the globals Redis 7.0 has, and their types
    ([], "return {type(getfenv), type(setfenv), type(newproxy)}", [], []),
    ([], "return getfenv(1)", [], []),
    ([], "return {type(redis.call), type(redis.pcall), type(cjson.encode), type(bit.band), "
         "type(struct.pack), type(cjson.null), type(__redis__err__handler)}", [], []),
    ([], "return {cjson._NAME, cjson._VERSION, cjson.encode_max_depth(), "
         "cjson.encode_number_precision()}", [], []),
    ([], "return {redis.acl_check_cmd('get', 'x'), redis.acl_check_cmd('set')}", [], []),
    ([], "return redis.acl_check_cmd('nosuch')", [], []),
    ([], "return redis.acl_check_cmd()", [], []),
    # EVAL's shebang (Redis 7): flags, and line numbers that count the shebang
    ([], "#!lua\nreturn redis.call('INCR', KEYS[1])", [b"n"], []),
    ([], "#!lua flags=no-writes\nreturn redis.call('INCR', KEYS[1])", [b"n"], []),
    ([], "#!lua flags=no-writes,allow-stale\nreturn 1", [], []),
    ([], "#!lua\n\nerror('line three')", [], []),
    ([], "#!lua flags=bogus\nreturn 1", [], []),
    ([], "#!lua color=red\nreturn 1", [], []),
    ([], "#!python\nreturn 1", [], []),
    ([], "#!lua", [], []),
]

READ_ONLY: list[Case] = [
    ([(b"SET", b"k", b"v")], "return redis.call('GET', KEYS[1])", [b"k"], []),
    ([], "return redis.call('SET', KEYS[1], 'v')", [b"k"], []),
    ([], "return redis.pcall('DEL', KEYS[1])", [b"k"], []),
    ([], "#!lua\nreturn 1", [], []),
    ([(b"SET", b"k", b"v")], "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])",
     [b"k"], []),
]

LIBRARY = """#!lua name=kvs_test
local function incr(keys, args)
    return redis.call('INCRBY', keys[1], args[1])
end
redis.register_function('kt_incr', incr)
redis.register_function{function_name = 'kt_read', callback = function(keys)
    return redis.call('GET', keys[1])
end, flags = {'no-writes'}}
redis.register_function{function_name = 'kt_sneaky', callback = function(keys)
    return redis.call('SET', keys[1], 'x')
end, flags = {'no-writes'}}
redis.register_function('kt_fail', function() error('bad') end)
redis.register_function('kt_args', function(keys, args) return {#keys, #args, args[1]} end)
"""

BAD_LIBRARIES = [
    "return 1",
    "#!lua\nredis.register_function('f', function() return 1 end)",
    "#!lua name=bad foo=bar\nx",
    "#!py name=bad\nx",
    "#!lua name=bad\nreturn 1",
    "#!lua name=bad\nlocal x =",
    "#!lua name=bad\nredis.call('PING')",
    "#!lua name=bad\nredis.register_function('f')",
    "#!lua name=bad\nredis.register_function{function_name='f', callback=function() end, "
    "flags={'bogus'}}",
    "#!lua name=bad\nredis.register_function('kt_incr', function() return 1 end)",
    "#!lua name=kvs_test\nredis.register_function('other', function() return 1 end)",
]

FCALLS: list[tuple[bytes, ...]] = [
    (b"FCALL", b"kt_incr", b"1", b"n", b"5"),
    (b"FCALL", b"kt_incr", b"1", b"n", b"5"),
    (b"FCALL_RO", b"kt_incr", b"1", b"n", b"5"),
    (b"FCALL_RO", b"kt_read", b"1", b"n"),
    (b"FCALL", b"kt_read", b"1", b"n"),
    (b"FCALL_RO", b"kt_sneaky", b"1", b"n"),
    (b"FCALL", b"kt_sneaky", b"1", b"n"),
    (b"FCALL", b"kt_fail", b"0"),
    (b"FCALL", b"kt_args", b"2", b"a", b"b", b"x"),
    (b"FCALL", b"kt_nosuch", b"0"),
    (b"FCALL", b"kt_incr", b"x"),
    (b"FCALL", b"kt_incr", b"5", b"a"),
    (b"FCALL", b"kt_incr", b"-1"),
]


def _same(mine: Any, theirs: Any) -> bool:
    if isinstance(theirs, ReplyError):
        return isinstance(mine, ReplyError) and mine.message == theirs.message
    return type(mine) is type(theirs) and mine == theirs


def _both(redis: RawRedis, store: Store, *argv: bytes) -> tuple[Any, Any]:
    return store.execute(argv), redis.call(*argv)


def _fresh(redis: RawRedis, setup: list[tuple[bytes, ...]]) -> Store:
    redis.call(b"FLUSHALL")
    redis.call(b"SCRIPT", b"FLUSH")
    store = Store()
    for argv in setup:
        assert _same(*_both(redis, store, *argv))
    return store


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(("setup", "script", "keys", "args"), CASES,
                         ids=[case[1].strip()[:50] for case in CASES])
def test_script_replies_like_redis(redis: RawRedis, setup: list[tuple[bytes, ...]],
                                   script: str, keys: list[bytes], args: list[bytes]) -> None:
    store = _fresh(redis, setup)
    numkeys = b"%d" % len(keys)
    body = script.encode()
    mine, theirs = _both(redis, store, b"EVAL", body, numkeys, *keys, *args)
    assert _same(mine, theirs), (mine, theirs)
    # the state the script left, and EVALSHA of the now cached script
    for key in keys:
        assert _same(*_both(redis, store, b"TYPE", key))
        assert _same(*_both(redis, store, b"TTL", key))
    sha = hashlib.sha1(body).hexdigest().encode()
    exists = _both(redis, store, b"SCRIPT", b"EXISTS", sha)
    assert _same(*exists), exists
    if exists[1] == [1]:
        store2 = _fresh(redis, setup)
        store2.execute((b"SCRIPT", b"LOAD", body))
        redis.call(b"SCRIPT", b"LOAD", body)
        mine, theirs = _both(redis, store2, b"EVALSHA", sha, numkeys, *keys, *args)
        assert _same(mine, theirs), (mine, theirs)


@pytest.mark.parametrize(("setup", "script", "keys", "args"), READ_ONLY)
def test_read_only_scripts_like_redis(redis: RawRedis, setup: list[tuple[bytes, ...]],
                                      script: str, keys: list[bytes], args: list[bytes]) -> None:
    store = _fresh(redis, setup)
    mine, theirs = _both(redis, store, b"EVAL_RO", script.encode(), b"%d" % len(keys), *keys,
                         *args)
    assert _same(mine, theirs), (mine, theirs)


@pytest.mark.parametrize("argv", [
    (b"EVALSHA", b"ffffffffffffffffffffffffffffffffffffffff", b"0"),
    (b"EVALSHA", b"abc", b"0"),
    (b"EVAL", b"return 1", b"x"),
    (b"EVAL", b"return 1", b"2", b"a"),
    (b"EVAL", b"return 1", b"-1"),
    (b"SCRIPT", b"EXISTS", b"e0e1f9fabfc9d4800c877a703b823ac0578ff8db", b"nope"),
    (b"SCRIPT", b"LOAD", b"return 1"),
    (b"SCRIPT", b"LOAD", b"return +"),
    (b"SCRIPT", b"FLUSH", b"ASYNC"),
    (b"SCRIPT", b"FLUSH", b"LATER"),
    (b"SCRIPT", b"NOSUCH"),
])
def test_script_commands_like_redis(redis: RawRedis, argv: tuple[bytes, ...]) -> None:
    store = _fresh(redis, [])
    mine, theirs = _both(redis, store, *argv)
    assert _same(mine, theirs), (mine, theirs)


def test_script_flush_forgets_scripts_like_redis(redis: RawRedis) -> None:
    store = _fresh(redis, [])
    sha = _both(redis, store, b"SCRIPT", b"LOAD", b"return 7")
    assert _same(*sha)
    assert _same(*_both(redis, store, b"EVALSHA", sha[1], b"0"))
    assert _same(*_both(redis, store, b"SCRIPT", b"FLUSH"))
    mine, theirs = _both(redis, store, b"EVALSHA", sha[1], b"0")
    assert _same(mine, theirs) and isinstance(mine, ReplyError), (mine, theirs)


def test_functions_like_redis(redis: RawRedis) -> None:
    store = _fresh(redis, [])
    redis.call(b"FUNCTION", b"FLUSH")
    assert _same(*_both(redis, store, b"FUNCTION", b"LOAD", LIBRARY.encode()))
    for code in BAD_LIBRARIES:
        mine, theirs = _both(redis, store, b"FUNCTION", b"LOAD", code.encode())
        assert _same(mine, theirs), (code, mine, theirs)
    for argv in FCALLS:
        mine, theirs = _both(redis, store, *argv)
        assert _same(mine, theirs), (argv, mine, theirs)
    listed = _both(redis, store, b"FUNCTION", b"LIST", b"WITHCODE")
    assert _normalise(listed[0]) == _normalise(listed[1])
    assert _same(*_both(redis, store, b"FUNCTION", b"LOAD", b"REPLACE", LIBRARY.encode()))
    assert _same(*_both(redis, store, b"FUNCTION", b"LOAD", LIBRARY.encode()))
    assert _same(*_both(redis, store, b"FUNCTION", b"DELETE", b"kvs_test"))
    assert _same(*_both(redis, store, b"FUNCTION", b"DELETE", b"kvs_test"))
    assert _same(*_both(redis, store, b"FCALL", b"kt_incr", b"1", b"n", b"1"))
    assert _same(*_both(redis, store, b"FUNCTION", b"LOAD", LIBRARY.encode()))
    assert _same(*_both(redis, store, b"FUNCTION", b"FLUSH"))
    assert _same(*_both(redis, store, b"FUNCTION", b"LIST"))


def _normalise(reply: Any) -> Any:
    """FUNCTION LIST with its functions in name order (Redis lists them in hash order)."""
    libraries = []
    for library in reply:
        entry = dict(library)
        entry[b"functions"] = sorted((sorted(f.items()) for f in entry[b"functions"]),
                                     key=repr)
        libraries.append(sorted(entry.items()))
    return sorted(libraries, key=repr)


def test_script_writes_are_seen_by_watch() -> None:
    from kvs.memory.transactions import Session

    store = Store()
    watching = Session(store)
    assert watching.execute((b"WATCH", b"k")) == "OK"
    assert store.execute((b"EVAL", b"return redis.call('SET', KEYS[1], 'x')", b"1", b"k")) == "OK"
    assert watching.execute((b"MULTI",)) == "OK"
    assert watching.execute((b"GET", b"k")) == "QUEUED"
    assert watching.execute((b"EXEC",)) is None
