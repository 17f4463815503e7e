"""Scripts and functions on the blocking client (`kvs.sync`), on Redis and `:memory:`: the same
methods as the trio client, `kvs.sync.Script`, scripts in pipelines and transactions, a store
shared by threads, and the memory store without lupa."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import kvs
import kvs.sync
from resp import ReplyError

pytest.importorskip("lupa", reason="the memory store's scripts need the kvs[lua] extra")

LIBRARY = """#!lua name=kvs_sync_test
redis.register_function('ks_echo', function(keys, args) return {keys[1], args[1]} end)
redis.register_function{function_name = 'ks_len', callback = function(keys)
    return redis.call('STRLEN', keys[1])
end, flags = {'no-writes'}}
"""


@pytest.fixture(params=["redis", "memory"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "redis":
        yield request.getfixturevalue("redis_url")
    else:
        yield f"memory://scripting-sync-{uuid.uuid4().hex}"


def test_every_method_blocking(url: str) -> None:
    with kvs.sync.connect(url) as db:
        assert db.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", ["n"], [3]) == 3
        assert db.eval_ro("return redis.call('GET', KEYS[1])", ["n"]) == "3"
        sha = db.script_load("return #KEYS + #ARGV")
        assert sha == hashlib.sha1(b"return #KEYS + #ARGV").hexdigest()
        assert db.script_exists(sha) == [True]
        assert db.evalsha(sha, ["a"], ["b", "c"]) == 3
        assert db.evalsha_ro(sha) == 0
        assert db.script_flush() is True
        with pytest.raises(kvs.ResponseError) as info:
            db.evalsha(sha)
        assert info.value.code == "NOSCRIPT"
        db.function_flush()
        assert db.function_load(LIBRARY) == "kvs_sync_test"
        assert db.fcall("ks_echo", ["k"], ["v"]) == ["k", "v"]
        assert db.fcall_ro("ks_len", ["n"]) == 1
        assert db.function_list()[0]["library_name"] == "kvs_sync_test"
        assert db.function_delete("kvs_sync_test") is True
        assert db.function_list() == []


def test_registered_script_blocking(url: str) -> None:
    with kvs.sync.connect(url) as db:
        add = db.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        assert isinstance(add, kvs.sync.Script)
        db.script_flush()
        assert add(keys=["n"], args=[2]) == 2
        db.script_flush()
        assert db.pipeline().run_script(add, ["n"], [1]).get("n").execute() == [3, "3"]
        db.script_flush()
        assert db.transaction().run_script(add, ["n"], [1]).execute() == [4]
        with pytest.raises(kvs.ResponseError, match="user_script:1: attempt to perform "
                           "arithmetic"):
            db.eval("return nil + 1")


def test_scripts_are_atomic_across_threads() -> None:
    """Each script reads then writes; no other thread's command lands in between, so no
    increment is lost."""
    url = f"memory://scripting-threads-{uuid.uuid4().hex}"
    script = "local v = tonumber(redis.call('GET', KEYS[1]) or '0') " \
             "redis.call('SET', KEYS[1], v + 1) return v + 1"
    with kvs.sync.connect(url) as db:
        bump = db.register_script(script)

        def work() -> None:
            for _ in range(200):
                bump(keys=["n"])

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert db.get("n") == "800"


def test_runaway_script_is_stopped() -> None:
    from kvs.memory.store import get_store

    url = f"memory://scripting-runaway-{uuid.uuid4().hex}"
    with kvs.sync.connect(url) as db:
        db.eval("return 1")
        get_store(url)._lua.time_limit = 0.2  # type: ignore[attr-defined]
        with pytest.raises(kvs.ResponseError, match="ran longer than the memory store's "
                           "script time limit"):
            db.eval("while true do end")
        with pytest.raises(kvs.ResponseError, match="time limit"):
            db.eval("while true do pcall(function() while true do end end) end")
        assert db.eval("return 2") == 2  # the store is free again


def test_memory_store_without_lupa() -> None:
    """With lupa missing, every scripting call raises UnsupportedOperation naming kvs[lua],
    everything else works, and so does the demo (its rate limiter falls back)."""
    code = """
import sys
sys.modules["lupa"] = None
import kvs, kvs.sync, kvs.memory.store
with kvs.sync.connect("memory://no-lupa") as db:
    assert db.set("k", "v") is True and db.get("k") == "v"
    for call in (lambda: db.eval("return 1"), lambda: db.script_load("return 1"),
                 lambda: db.evalsha("0" * 40), lambda: db.fcall("f"),
                 lambda: db.function_list(), lambda: db.register_script("return 1")(),
                 lambda: db.script_exists("0" * 40)):
        try:
            call()
        except kvs.UnsupportedOperation as exc:
            assert "kvs[lua]" in str(exc), exc
        else:
            raise AssertionError("no UnsupportedOperation")
    assert db.incr("n") == 1
from kvs.cli.main import main   # the demo's rate limiter falls back to SET NX EX + INCR
assert main(["--url", "memory://no-lupa-demo", "demo"]) == 0
assert "lupa" not in sys.modules or sys.modules["lupa"] is None
print("ok")
"""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "ok"
    assert "refused (429)" in done.stdout


def test_nothing_imports_lupa_before_a_script() -> None:
    code = ("import sys, kvs, kvs.sync, kvs.memory.store, kvs.server\n"
            "with kvs.sync.connect('memory://lazy') as db: db.set('k', 1)\n"
            "print('lupa' in sys.modules)")
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("script", [
    "return redis.call.__class__",
    "return redis.call.__globals__",
    "return getfenv(0).debug",
    "return loadstring('return debug')()",
    "return load(function() return nil end) and debug",
    "rawset(_G, 'leak', 1)",
    "setmetatable(_G, {})",
    "string.rep = nil",
    "redis.call = function() end",
    "getmetatable('').__index = {}",
    "return coroutine.wrap(function() return getfenv(0).io end)()",
    "return python",
])
def test_scripts_cannot_leave_the_sandbox(script: str) -> None:
    """None of these reaches Python, the real globals or a shared table: each fails, and
    the next script still sees an intact environment."""
    with kvs.sync.connect(f"memory://sandbox-{uuid.uuid4().hex}") as db:
        with pytest.raises(kvs.ResponseError):
            db.eval(script)
        check = ("return {('x'):rep(2), type(string.rep), type(redis.call), "
                 "rawget(_G, 'leak') == nil and 1 or 0, redis.call('PING')}")
        assert db.eval(check) == ["xx", "function", "function", 1, "PONG"]


def test_time_from_a_script(url: str) -> None:
    import time

    with kvs.sync.connect(url) as db:
        seconds, micros = db.eval("return redis.call('TIME')")
        assert abs(int(seconds) - time.time()) < 5
        assert 0 <= int(micros) < 1_000_000


def test_a_command_that_would_block_answers_at_once_in_a_script() -> None:
    """A blocking command of the store (the `WouldBlock` contract of kvs.memory.waiting) gives
    its timeout's answer at once inside a script, as Redis's scripts never block."""
    from kvs.memory.store import Store
    from kvs.memory.waiting import WouldBlock

    store = Store()

    def would_block(argv: Sequence[bytes]) -> Any:
        raise WouldBlock([argv[3]], None, argv, timeout_reply=None)

    store._table[b"BLMPOP"] = (would_block, -5, "blmpop", False)
    script = b"return tostring(redis.call('BLMPOP', 0, 1, KEYS[1], 'LEFT'))"
    assert store.execute((b"EVAL", script, b"1", b"queue")) == b"false"
    assert store.execute((b"EVAL", b"return redis.pcall('BLPOP', 'q', 0)", b"0")) == ReplyError(
        "ERR This Redis command is not allowed from script")
