"""Scripts through ``kvs serve``: redis-py (RESP2, as most clients speak) and our client run
EVAL, EVALSHA, SCRIPT, FUNCTION and FCALL against the memory store and get Redis's replies
and errors."""

from __future__ import annotations

import itertools
import os

import pytest
import redis
import trio

import kvs

pytest.importorskip("lupa", reason="the memory store's scripts need the kvs[lua] extra")

_names = itertools.count()

LIBRARY = """#!lua name=served
redis.register_function('served_add', function(keys, args)
    return redis.call('INCRBY', keys[1], args[1])
end)
"""


def _name() -> str:
    return f"memory://serve-scripting-{os.getpid()}-{next(_names)}"


def _with_redis_py(port: int) -> None:
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        assert client.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, "k", "v") == b"OK"
        assert client.eval("return {1, 'a', 2.5, {ok='S'}}", 0) == [1, b"a", 2, b"S"]
        sha = client.script_load("return ARGV[1]")
        assert client.script_exists(sha, "0" * 40) == [True, False]
        assert client.evalsha(sha, 0, "x") == b"x"
        script = client.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        client.script_flush()
        assert script(keys=["n"], args=[3]) == 3  # redis-py reloads it after NOSCRIPT
        pipe = client.pipeline()
        script(keys=["n"], args=[1], client=pipe)
        pipe.get("n")
        assert pipe.execute() == [4, b"4"]
        with pytest.raises(redis.ResponseError, match="user_script:1: boom"):
            client.eval("error('boom')", 0)
        with pytest.raises(redis.exceptions.NoScriptError):
            client.evalsha("0" * 40, 0)
        assert client.function_load(LIBRARY) == b"served"
        assert client.fcall("served_add", 1, "n", 10) == 14
        assert client.function_list()[0][1] == b"served"
        assert client.eval("redis.setresp(3) return {double = 1.5}", 0) == 1.5
    finally:
        client.close()


async def test_redis_py_runs_scripts_through_serve() -> None:
    async with kvs.serve(_name()) as server:
        port = server.port
        assert port is not None
        await trio.to_thread.run_sync(_with_redis_py, port)


async def test_our_client_runs_scripts_through_serve_both_protocols() -> None:
    async with kvs.serve(_name()) as server:
        for suffix in ("", "?protocol=2"):
            async with kvs.connect(server.url + suffix) as db:
                assert await db.eval("redis.setresp(3) return {map = {a = 1}}") in (
                    {"a": 1}, ["a", 1])
                release = db.register_script(
                    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                    "return redis.call('DEL', KEYS[1]) end return 0")
                await db.set("lock", "t")
                assert await release(keys=["lock"], args=["t"]) == 1
                assert await db.transaction().run_script(release, ["lock"], ["t"]).execute() \
                    == [0]
