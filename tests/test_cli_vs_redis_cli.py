"""The same commands through ``redis-cli`` and ``kvs`` print the same bytes.

A corpus of replies (strings with escapes and binary bytes, integers, nil, arrays, nested
arrays, errors, transactions, RESP3 maps, sets, doubles and booleans) is run through both
programs against one real redis-server, in each output mode (raw when piped, ``--no-raw``,
``--csv``, ``--json``), both as a script on standard input (the shell) and as one-shot
commands; the outputs are compared byte for byte.  The server is flushed and the same data
loaded before each program runs, so both see the same keys.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import RedisServer

ROOT = Path(__file__).resolve().parent.parent
REDIS_CLI = shutil.which("redis-cli")

pytestmark = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli is not installed")

SETUP = [
    'set plain "hello world"',
    'set escapes "a\\nb\\r\\t\\x00\\xff\\x41\\"q\\"\\\\ end"',
    "set utf8 \"\\xe2\\x82\\xac caf\\xc3\\xa9\"",
    "set empty ''",
    "set 'single quoted' 'it\\'s'",
    "rpush list one two 'three four' \"\\x01\"",
    "hset hash field value other 12",
    "sadd set m1",
    "zadd zset 1.5 a 2 b -3.25 c",
    "set counter 41",
]

CORPUS = [
    "get plain",
    "get escapes",
    "get utf8",
    "get empty",
    "get 'single quoted'",
    "get missing",
    "incr counter",
    "lrange list 0 -1",
    "lrange missing 0 -1",
    "hgetall hash",
    "hget hash other",
    "smembers set",
    "zrange zset 0 -1 withscores",
    "zscore zset a",
    "mget plain missing counter",
    "lpush plain x",
    "nosuchcommand a b",
    "exists plain missing",
    "type list",
    "multi",
    "incr counter",
    "get plain",
    "lpush plain x",
    "exec",
    "eval \"return {1, 'two', {3, {'four'}}, redis.status_reply('FINE')}\" 0",
    "eval \"return redis.error_reply('CUSTOM failure')\" 0",
    "eval \"return {1, false, nil, 4}\" 0",
    "object encoding counter",
    "echo \"tab\\there\"",
    "ping",
    "ping 'with words'",
    "select 3",
    "set in3 three",
    "get in3",
    "select 0",
    "get in3",
]

RESP3_CORPUS = [
    "hgetall hash",
    "hgetall missing",
    "smembers set",
    "zscore zset a",
    "zscore zset missing",
    "zrange zset 0 -1 withscores",
    "eval \"return redis.setresp(3) and {double=3.5}\" 0",
    "eval \"redis.setresp(3); return {map={a=1}}\" 0",
    "eval \"redis.setresp(3); return true\" 0",
    "lrange list 0 -1",
    "get escapes",
]


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with RedisServer() as redis:
        yield redis


def _load(server: RedisServer) -> None:
    assert REDIS_CLI is not None
    subprocess.run([REDIS_CLI, "-p", str(server.port), "flushall"], check=True,
                   capture_output=True)
    subprocess.run([REDIS_CLI, "-p", str(server.port)], input="\n".join(SETUP).encode(),
                   check=True, capture_output=True)


def _env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if name not in ("KVS_URL", "REDISCLI_AUTH")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _redis_cli(server: RedisServer, *args: str, stdin: bytes = b"") -> bytes:
    _load(server)
    assert REDIS_CLI is not None
    return subprocess.run([REDIS_CLI, "-p", str(server.port), *args], input=stdin,
                          capture_output=True, check=False, timeout=30).stdout


def _kvs(server: RedisServer, *args: str, stdin: bytes = b"") -> bytes:
    _load(server)
    return subprocess.run([sys.executable, "-m", "kvs", "-p", str(server.port), *args],
                          input=stdin, capture_output=True, check=False, timeout=60,
                          env=_env(), cwd=ROOT).stdout


MODES = [[], ["--no-raw"], ["--csv"], ["--json"]]


@pytest.mark.parametrize("mode", MODES, ids=["raw", "tty", "csv", "json"])
def test_shell_script_prints_what_redis_cli_prints(server: RedisServer,
                                                   mode: list[str]) -> None:
    script = ("\n".join(CORPUS) + "\n").encode()
    expected = _redis_cli(server, *mode, stdin=script)
    assert expected  # redis-cli ran
    assert _kvs(server, *mode, stdin=script) == expected


@pytest.mark.parametrize("mode", MODES, ids=["raw", "tty", "csv", "json"])
def test_resp3_replies_print_what_redis_cli_prints(server: RedisServer,
                                                   mode: list[str]) -> None:
    script = ("\n".join(RESP3_CORPUS) + "\n").encode()
    expected = _redis_cli(server, "-3", *mode, stdin=script)
    assert expected
    assert _kvs(server, "-3", *mode, stdin=script) == expected


ONE_SHOT = [
    ["get", "escapes"],
    ["lrange", "list", "0", "-1"],
    ["hgetall", "hash"],
    ["get", "missing"],
    ["lpush", "plain", "x"],
    ["set", "k", "a\\nb\\x41"],  # command-line words are taken as they are, never unescaped
    ["mget", "plain", "k"],
]


@pytest.mark.parametrize("words", ONE_SHOT, ids=[" ".join(w) for w in ONE_SHOT])
@pytest.mark.parametrize("mode", [[], ["--no-raw"]], ids=["raw", "tty"])
def test_one_shot_prints_what_redis_cli_prints(server: RedisServer, words: list[str],
                                               mode: list[str]) -> None:
    expected = _redis_cli(server, *mode, *words)
    assert _kvs(server, *mode, *words) == expected


def test_the_printed_form_pastes_back(server: RedisServer) -> None:
    """What the shell prints for a value, typed back, means the same bytes."""
    _load(server)
    value = bytes(range(256))
    from kvs.cli.quoting import quote

    script = f"set k {quote(value)}\nstrlen k\nget k\n".encode()
    out = _kvs(server, "--no-raw", stdin=script)
    printed = out.splitlines()[2].decode()
    assert out.splitlines()[:2] == [b"OK", b"(integer) 256"]
    assert printed == quote(value)
    again = _kvs(server, "--no-raw", stdin=f"set j {printed}\nget j\n".encode())
    assert again.splitlines()[1].decode() == printed
    assert _kvs(server, "--raw", stdin=script).endswith(value + b"\n")
