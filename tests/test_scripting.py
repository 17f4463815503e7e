"""Scripts and functions on the trio client (SPEC §8), on Redis and `:memory:`: every method,
`kvs.Script` with NOSCRIPT after SCRIPT FLUSH, scripts in pipelines and transactions, Lua's
errors as `kvs.ResponseError` with Redis's text, retry safety, and memcached's refusal."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import pytest

import kvs
import resp
from tests.faultproxy import FaultProxy
from tests.servers import RedisServer

pytest.importorskip("lupa", reason="the memory store's scripts need the kvs[lua] extra")

LIBRARY = """#!lua name=kvs_client_test
redis.register_function('kc_incr', function(keys, args)
    return redis.call('INCRBY', keys[1], args[1])
end)
redis.register_function{function_name = 'kc_get', callback = function(keys)
    return redis.call('GET', keys[1])
end, flags = {'no-writes'}}
"""

RELEASE = ("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
           "end return 0")


@pytest.fixture(params=["redis", "memory"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "redis":
        yield request.getfixturevalue("redis_url")
    else:
        yield f"memory://scripting-{uuid.uuid4().hex}"


async def test_eval_returns_the_converted_reply(url: str) -> None:
    async with kvs.connect(url) as db:
        assert await db.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", ["n"], [5]) == 5
        assert await db.eval("return {1, 'two', 3.9, {ok = 'S'}, true, false, 'x'}") == [
            1, "two", 3, "S", 1, None, "x"]
        assert await db.eval("return {KEYS[1], ARGV[1], ARGV[2]}", ["k"], ["a", 2.5]) == [
            "k", "a", "2.5"]
        assert await db.eval("return nil") is None
        assert await db.eval_ro("return redis.call('GET', KEYS[1])", ["n"]) == "5"
    async with kvs.connect(url, decode=False) as raw:
        assert await raw.eval("return {ARGV[1], 'x'}", [], [b"\xff"]) == [b"\xff", b"x"]


async def test_script_errors_keep_redis_text(url: str) -> None:
    async with kvs.connect(url) as db:
        await db.set("s", "text")
        with pytest.raises(kvs.ResponseError) as info:
            await db.eval("error('boom')")
        sha = hashlib.sha1(b"error('boom')").hexdigest()
        assert info.value.message == f"ERR user_script:1: boom script: {sha}, on @user_script:1."
        assert info.value.code == "ERR"
        with pytest.raises(kvs.ResponseError) as info:
            await db.eval("return redis.call('LPUSH', KEYS[1], 'x')", ["s"])
        assert info.value.code == "WRONGTYPE"
        with pytest.raises(kvs.ResponseError, match="Attempt to modify a readonly table"):
            await db.eval("x = 1")
        with pytest.raises(kvs.ResponseError, match="Write commands are not allowed from "
                           "read-only scripts"):
            await db.eval_ro("return redis.call('SET', KEYS[1], 'v')", ["k"])


async def test_pcall_error_reply_is_raised_by_the_client(url: str) -> None:
    async with kvs.connect(url) as db:
        await db.set("s", "text")
        with pytest.raises(kvs.ResponseError) as info:
            await db.eval("return redis.pcall('INCR', KEYS[1])", ["s"])
        assert info.value.message == "ERR value is not an integer or out of range"


async def test_script_cache(url: str) -> None:
    async with kvs.connect(url) as db:
        body = "return ARGV[1] .. '!'"
        sha = await db.script_load(body)
        assert sha == hashlib.sha1(body.encode()).hexdigest()
        assert await db.script_exists(sha, "0" * 40) == [True, False]
        assert await db.evalsha(sha, [], ["hi"]) == "hi!"
        assert await db.evalsha_ro(sha, [], ["ro"]) == "ro!"
        assert await db.script_flush() is True
        assert await db.script_exists(sha) == [False]
        with pytest.raises(kvs.ResponseError) as info:
            await db.evalsha(sha, [], ["hi"])
        assert info.value.code == "NOSCRIPT"
        assert await db.script_flush("SYNC") is True
    async with kvs.connect(url, decode=False) as raw:
        assert await raw.script_load(body) == sha  # a sha is text whatever decode says


async def test_registered_script_loads_itself_after_a_flush(url: str) -> None:
    async with kvs.connect(url) as db:
        release = db.register_script(RELEASE)
        assert isinstance(release, kvs.Script)
        assert release.sha == hashlib.sha1(RELEASE.encode()).hexdigest()
        await db.script_flush()
        await db.set("lock", "token-1")
        assert await release(keys=["lock"], args=["other"]) == 0
        assert await db.script_exists(release.sha) == [True]
        await db.script_flush()
        assert await release(keys=["lock"], args=["token-1"]) == 1
        assert await db.get("lock") is None
        with pytest.raises(kvs.ResponseError, match="user_script:1"):
            await db.register_script("error('no')")()


async def test_scripts_in_pipelines_and_transactions(url: str) -> None:
    async with kvs.connect(url) as db:
        incr = db.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        await db.script_flush()
        p = db.pipeline()
        assert p.run_script(incr, ["n"], [2]).get("n").run_script(incr, ["n"], [3]) is p
        assert await p.execute() == [2, "2", 5]
        await db.script_flush()
        tx = db.transaction().run_script(incr, ["n"], [1]).eval("return 7")
        assert await tx.execute() == [6, 7]
        assert await db.script_exists(incr.sha) == [True]
        await db.script_flush()
        async with db.watch("n") as w:
            value = int(await w.get("n") or 0)
            tx = w.transaction().run_script(incr, ["n"], [value])
            assert await tx.execute() == [12]
        with pytest.raises(TypeError, match=r"run_script: script must be a kvs\.Script"):
            db.pipeline().run_script("return 1")  # type: ignore[arg-type]


async def test_functions(url: str) -> None:
    async with kvs.connect(url) as db:
        await db.function_flush()
        assert await db.function_load(LIBRARY) == "kvs_client_test"
        with pytest.raises(kvs.ResponseError, match="already exists"):
            await db.function_load(LIBRARY)
        assert await db.function_load(LIBRARY, replace=True) == "kvs_client_test"
        assert await db.fcall("kc_incr", ["n"], [4]) == 4
        assert await db.fcall_ro("kc_get", ["n"]) == "4"
        with pytest.raises(kvs.ResponseError, match="Can not execute a script with write flag"):
            await db.fcall_ro("kc_incr", ["n"], [1])
        listed = await db.function_list()
        assert [lib["library_name"] for lib in listed] == ["kvs_client_test"]
        functions = {f["name"]: f["flags"] for f in listed[0]["functions"]}
        assert functions == {"kc_incr": set(), "kc_get": {"no-writes"}}
        assert "library_code" not in listed[0]
        with_code = await db.function_list("kvs_client_*", withcode=True)
        assert with_code[0]["library_code"] == LIBRARY
        assert await db.function_list("other*") == []
        assert await db.function_delete("kvs_client_test") is True
        with pytest.raises(kvs.ResponseError, match="Library not found"):
            await db.function_delete("kvs_client_test")
        with pytest.raises(kvs.ResponseError, match="Function not found"):
            await db.fcall("kc_incr", ["n"], [1])
        await db.function_load(LIBRARY)
        assert await db.function_flush() is True
        assert await db.function_list() == []


async def test_script_arguments_are_checked_before_any_io() -> None:
    db = kvs.connect("memory://scripting-args")
    async with db:
        with pytest.raises(TypeError, match="eval: keys must be a list of keys, not str"):
            await db.eval("return 1", "k")
        with pytest.raises(TypeError, match="eval: args must be a list, not str"):
            await db.eval("return 1", [], "a")
        with pytest.raises(TypeError, match="script_exists: at least one sha"):
            await db.script_exists()
        with pytest.raises(ValueError, match="script_flush"):
            await db.script_flush("LATER")


async def test_eval_is_never_sent_twice(redis_server: RedisServer,
                                        redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis")) as db:
        assert await db.ping() is True
        script = "return redis.call('INCR', KEYS[1])"
        redis_proxy.cut_after(len(resp.encode_command("EVAL", script, 1, "counter")), "up")
        with pytest.raises(kvs.ConnectionError):
            await db.eval(script, ["counter"])
        assert redis_server.command("GET", "counter") == b"1"


async def test_read_only_script_is_retried(redis_proxy: FaultProxy) -> None:
    async with kvs.connect(redis_proxy.url_for("redis")) as db:
        await db.set("k", "v")
        script = "return redis.call('GET', KEYS[1])"
        redis_proxy.cut_after(len(resp.encode_command("EVAL_RO", script, 1, "k")), "up")
        assert await db.eval_ro(script, ["k"]) == "v"
        assert redis_proxy.connections == 2


async def test_memcached_refuses_scripts(memcached_url: str) -> None:
    async with kvs.connect(memcached_url) as db:
        for call in (db.eval("return 1"), db.evalsha("0" * 40), db.script_load("return 1"),
                     db.fcall("f"), db.function_load("#!lua name=x\n"), db.script_flush()):
            with pytest.raises(kvs.UnsupportedOperation, match="memcached"):
                await call
        with pytest.raises(kvs.UnsupportedOperation, match="memcached"):
            await db.register_script("return 1")()


async def test_scripts_through_execute(url: str) -> None:
    async with kvs.connect(url) as db:
        assert await db.execute("EVAL", "return {1, ARGV[1]}", 0, "a") == [1, "a"]
        assert await db.execute("SCRIPT", "EXISTS", "0" * 40) == [0]
