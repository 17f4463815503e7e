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
from typing import Any

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
    "info keyspace",  # a report: printed as it is, in every mode
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
    "info keyspace",
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


def _both(server: RedisServer, *args: str, stdin: bytes = b"") -> tuple[
        subprocess.CompletedProcess[bytes], subprocess.CompletedProcess[bytes]]:
    assert REDIS_CLI is not None
    results = []
    for command in ([REDIS_CLI], [sys.executable, "-m", "kvs"]):
        _load(server)
        results.append(subprocess.run([*command, "-p", str(server.port), *args], input=stdin,
                                      capture_output=True, check=False, timeout=60,
                                      env=_env(), cwd=ROOT))
    return results[0], results[1]


def test_scan_eval_stdin_and_repeat_as_redis_cli(server: RedisServer, tmp_path: Path) -> None:
    script = tmp_path / "script.lua"
    script.write_text("return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}")
    cases: list[tuple[list[str], bytes]] = [
        (["--scan", "--pattern", "*s*"], b""),
        (["--no-raw", "--scan"], b""),
        (["--eval", str(script), "k1", "k2", ",", "a1", "a2"], b""),
        (["--eval", str(script), "only-a-key"], b""),
        (["-x", "set", "from-stdin"], b"line one\nline two\n\x00"),
        (["-r", "3", "incr", "counter"], b""),
        (["-r", "2", "-i", "0.05", "--no-raw", "lrange", "list", "0", "1"], b""),
    ]
    for args, stdin in cases:
        expected, got = _both(server, *args, stdin=stdin)
        out, kvs_out = expected.stdout, got.stdout
        if "--scan" in args:  # SCAN's order depends on the table: compare the set of lines
            out, kvs_out = b"".join(sorted(out.splitlines(True))), \
                b"".join(sorted(kvs_out.splitlines(True)))
        assert (kvs_out, got.returncode) == (out, expected.returncode), args
    _load(server)
    assert subprocess.run([sys.executable, "-m", "kvs", "-p", str(server.port), "-x", "set",
                           "k"], input=b"\x00\xff\n", env=_env(), cwd=ROOT,
                          check=True, capture_output=True).stdout == b"OK\n"
    assert server.command("GET", "k") in (b"\x00\xff\n", "\x00\xff\n")


def test_pipe_mode_as_redis_cli(server: RedisServer) -> None:
    from resp import encode_command

    stream = b"".join(encode_command("SET", f"mass:{i}", f"v{i}") for i in range(2000))
    stream += encode_command("LPUSH", "mass:1", "x")  # one error
    stream += b"PING\r\nSET inline-key inline-value\r\n"  # inline commands too
    expected, got = _both(server, "--pipe", stdin=stream)
    assert expected.stdout == (b"All data transferred. Waiting for the last reply...\n"
                               b"Last reply received from server.\n"
                               b"errors: 1, replies: 2003\n")
    assert (got.stdout, got.returncode) == (expected.stdout, expected.returncode) == (
        expected.stdout, 1)
    assert got.stderr.splitlines()[-1] == expected.stderr.splitlines()[-1]
    assert server.command("GET", "inline-key") in ("inline-value", b"inline-value")
    assert server.command("DBSIZE") == 2000 + 1 + len(SETUP)  # and the SETUP keys


def test_connection_flags(server: RedisServer, redis_server_factory: Any) -> None:
    port = str(server.port)

    def kvs(*args: str, env: dict[str, str] | None = None) -> Any:
        return subprocess.run([sys.executable, "-m", "kvs", *args], capture_output=True,
                              env=env or _env(), cwd=ROOT, timeout=60, check=False)

    result = kvs("-h", "127.0.0.1", "-p", port, "ping")
    assert (result.returncode, result.stdout) == (0, b"PONG\n")
    result = kvs("-p", port, "-n", "5", "set", "in5", "five")
    assert result.stdout == b"OK\n"
    assert server.command("GET", "in5") is None
    result = kvs("-u", f"redis://127.0.0.1:{port}/5", "get", "in5")
    assert result.stdout == b"five\n"
    secured = redis_server_factory(password="s3cret", acl_users={"bob": "b0b"})
    result = kvs("-p", str(secured.port), "-a", "s3cret", "ping")
    assert result.stdout == b"PONG\n"
    assert result.stderr.decode().splitlines() == [
        "Warning: Using a password with '-a' or '-u' option on the command line interface "
        "may not be safe."]
    result = kvs("-p", str(secured.port), "--user", "bob", "-a", "b0b", "--no-auth-warning",
                 "acl", "whoami")
    assert (result.stdout, result.stderr) == (b"bob\n", b"")
    result = kvs("-p", str(secured.port), "ping")
    assert result.stdout.startswith(b"NOAUTH")
    result = kvs("-p", str(secured.port), "ping", env={**_env(), "REDISCLI_AUTH": "s3cret"})
    assert (result.stdout, result.stderr) == (b"PONG\n", b"")
    result = kvs("--help")
    assert result.returncode == 0
    assert b"-h <hostname>" in result.stdout


QUOTING = [
    'echo "a\\nb\\x41"',
    "echo 'it\\'s' 'back\\\\slash' 'no \\n escape'",
    'echo "\\x4" "\\xZZ" "\\q" "\\\\"',
    'echo a"b c"',
    'echo "glued"word',
    "echo 'glued'word",
    'echo "unterminated',
    "echo 'unterminated",
    'echo   spaced\t\tout   ',
    'echo "\\a\\b\\t\\r"',
    "echo ''",
    'echo "\\xe2\\x82\\xac"',
]


@pytest.mark.parametrize("mode", [[], ["--no-raw"]], ids=["raw", "tty"])
def test_lines_split_as_redis_cli_splits_them(server: RedisServer, mode: list[str]) -> None:
    script = ("\n".join(QUOTING) + "\n").encode()
    expected = _redis_cli(server, *mode, stdin=script)
    assert b"Invalid argument(s)" in expected
    assert _kvs(server, *mode, stdin=script) == expected


def test_tls_flags(redis_server_factory: Any) -> None:
    secured = redis_server_factory(tls=True)

    def kvs(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "kvs", "--tls", "-p", str(secured.port),
                               *args], capture_output=True, env=_env(), cwd=ROOT, timeout=60,
                              check=False)

    result = kvs("-h", "localhost", "--cacert", str(secured.ca_path), "ping")
    assert (result.returncode, result.stdout) == (0, b"PONG\n"), result.stderr
    result = kvs("-h", "127.0.0.1", "--insecure", "-n", "1", "set", "k", "v")
    assert (result.returncode, result.stdout) == (0, b"OK\n"), result.stderr
    result = kvs("-h", "localhost", "ping")
    assert result.returncode == 1  # the server's certificate is not trusted by default
    assert b"certificate" in result.stderr
