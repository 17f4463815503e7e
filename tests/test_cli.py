"""The ``kvs`` command: one-shot commands, the shell, ``kvs demo`` and ``kvs bench``."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import kvs.sync
from kvs.cli.format import format_reply
from kvs.cli.main import main
from kvs.cli.options import AUTH_WARNING

ROOT = Path(__file__).resolve().parent.parent
_names = itertools.count()

HEADINGS = (
    "== 1. Session cache with expiry ==",
    "== 2. Page-view counter and ranking ==",
    "== 3. Task queue (FIFO, producer and worker) ==",
    "== 4. Rate limiter (10 per window) ==",
    "== 5. Cache-aside for a slow query ==",
    "== 6. Reliable queue on a stream (consumer group, crash, reclaim) ==",
    "== 7. Reliable queue (a worker crashes, its job is not lost) ==",
)


def _url() -> str:
    return f"memory://test-cli-{os.getpid()}-{next(_names)}"


def _run(capsys: pytest.CaptureFixture[str], url: str, *words: str) -> tuple[int, str, str]:
    status = main(["--no-raw", "--url", url, *words])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _kvs(*args: str, stdin: str = "", timeout: float = 30,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if name != "KVS_URL"}
    environment.update(PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "kvs", *args], check=False, input=stdin,
                          text=True, capture_output=True, timeout=timeout, cwd=ROOT,
                          env=environment)


# -- one-shot commands -------------------------------------------------------------------------


def test_strings_and_counters(capsys: pytest.CaptureFixture[str]) -> None:
    url = _url()
    assert _run(capsys, url, "set", "user:1", "Alice") == (0, "OK\n", "")
    assert _run(capsys, url, "GET", "user:1") == (0, '"Alice"\n', "")
    assert _run(capsys, url, "get", "missing") == (0, "(nil)\n", "")
    assert _run(capsys, url, "set", "user:1", "Bob", "NX") == (0, "(nil)\n", "")
    assert _run(capsys, url, "set", "user:1", "Bob", "xx") == (0, "OK\n", "")
    assert _run(capsys, url, "incr", "n") == (0, "(integer) 1\n", "")
    assert _run(capsys, url, "incrby", "n", "5") == (0, "(integer) 6\n", "")
    assert _run(capsys, url, "decrby", "n", "10") == (0, "(integer) -4\n", "")
    assert _run(capsys, url, "decr", "n") == (0, "(integer) -5\n", "")
    assert _run(capsys, url, "exists", "user:1", "n", "nope") == (0, "(integer) 2\n", "")
    assert _run(capsys, url, "mset", "a", "1", "b", "two") == (0, "OK\n", "")
    assert _run(capsys, url, "mget", "a", "b", "c") == (0, '1) "1"\n2) "two"\n3) (nil)\n', "")
    assert _run(capsys, url, "del", "a", "b", "c") == (0, "(integer) 2\n", "")
    assert _run(capsys, url, "delete", "n") == (0, "(integer) 1\n", "")
    assert _run(capsys, url, "keys", "*") == (0, '1) "user:1"\n', "")
    assert _run(capsys, url, "ping") == (0, "PONG\n", "")


def test_expiry(capsys: pytest.CaptureFixture[str]) -> None:
    url = _url()
    assert _run(capsys, url, "set", "s", "v", "EX", "100") == (0, "OK\n", "")
    assert _run(capsys, url, "ttl", "s") == (0, "(integer) 100\n", "")
    assert _run(capsys, url, "expire", "s", "500") == (0, "(integer) 1\n", "")
    assert _run(capsys, url, "ttl", "s") == (0, "(integer) 500\n", "")
    assert _run(capsys, url, "set", "p", "v", "px", "100000") == (0, "OK\n", "")
    assert _run(capsys, url, "ttl", "p") == (0, "(integer) 100\n", "")
    assert _run(capsys, url, "ttl", "nope") == (0, "(integer) -2\n", "")
    assert _run(capsys, url, "expire", "nope", "5") == (0, "(integer) 0\n", "")


def test_collections(capsys: pytest.CaptureFixture[str]) -> None:
    url = _url()
    assert _run(capsys, url, "rpush", "q", "a", "b", "c") == (0, "(integer) 3\n", "")
    assert _run(capsys, url, "lpush", "q", "z") == (0, "(integer) 4\n", "")
    assert _run(capsys, url, "lrange", "q", "0", "-1") == (
        0, '1) "z"\n2) "a"\n3) "b"\n4) "c"\n', "")
    assert _run(capsys, url, "lpop", "q") == (0, '"z"\n', "")
    assert _run(capsys, url, "rpop", "q") == (0, '"c"\n', "")
    assert _run(capsys, url, "lrange", "none", "0", "-1") == (0, "(empty array)\n", "")
    assert _run(capsys, url, "hset", "h", "name", "Alice", "age", "30") == (
        0, "(integer) 2\n", "")
    assert _run(capsys, url, "hset", "h", "age", "31") == (0, "(integer) 0\n", "")
    assert _run(capsys, url, "hget", "h", "age") == (0, '"31"\n', "")
    assert _run(capsys, url, "hgetall", "h") == (
        0, '1# "name" => "Alice"\n2# "age" => "31"\n', "")
    assert _run(capsys, url, "hgetall", "none") == (0, "(empty hash)\n", "")
    assert _run(capsys, url, "sadd", "s", "b", "a", "b") == (0, "(integer) 2\n", "")
    assert _run(capsys, url, "smembers", "s") == (0, '1~ "a"\n2~ "b"\n', "")
    assert _run(capsys, url, "smembers", "none") == (0, "(empty set)\n", "")


def test_other_commands_go_through_execute(capsys: pytest.CaptureFixture[str]) -> None:
    url = _url()
    assert _run(capsys, url, "set", "k", "hello") == (0, "OK\n", "")
    assert _run(capsys, url, "STRLEN", "k") == (0, "(integer) 5\n", "")
    assert _run(capsys, url, "type", "k") == (0, "string\n", "")
    assert _run(capsys, url, "rpush", "q", "a", "b", "c") == (0, "(integer) 3\n", "")
    # more arguments than the method takes: the Redis command itself
    assert _run(capsys, url, "lpop", "q", "2") == (0, '1) "a"\n2) "b"\n', "")


def test_quoting_of_bulk_strings(capsys: pytest.CaptureFixture[str]) -> None:
    url = _url()
    assert _run(capsys, url, "set", "k", 'say "hi"\n\u20ac') == (0, "OK\n", "")
    assert _run(capsys, url, "get", "k") == (0, '"say \\"hi\\"\\n\\xe2\\x82\\xac"\n', "")


def test_error_replies_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    url = _url()
    assert _run(capsys, url, "set", "s", "text")[0] == 0
    assert _run(capsys, url, "lpush", "s", "x") == (
        1, "(error) WRONGTYPE Operation against a key holding the wrong kind of value\n", "")
    assert _run(capsys, url, "incr", "s") == (
        1, "(error) ERR value is not an integer or out of range\n", "")
    assert _run(capsys, url, "get") == (
        1, "(error) ERR wrong number of arguments for 'get' command\n", "")
    assert _run(capsys, url, "expire", "s", "soon") == (
        1, "(error) ERR value is not an integer or out of range\n", "")
    assert _run(capsys, url, "mset", "a", "1", "b") == (
        1, "(error) ERR wrong number of arguments for 'mset' command\n", "")


def test_unsupported_command(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, _url(), "nosuchcommand", "x")
    assert (status, out) == (1, "")
    assert err.startswith("kvs: error: ")
    assert "NOSUCHCOMMAND" in err.upper()
    assert err.count("\n") == 1


def test_bad_url_masks_password(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "http://alice:s3cret@example.com", "get", "k")
    assert (status, out) == (1, "")
    assert err == (AUTH_WARNING + "\n"
                   "kvs: error: Unsupported KVS URL: http://alice:***@example.com\n")
    assert "s3cret" not in err


def test_connection_failure(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.servers import free_port

    url = f"redis://:hunter2@127.0.0.1:{free_port()}?connect_timeout=2"
    status, out, err = _run(capsys, url, "get", "k")
    assert (status, out) == (1, "")
    warning, failure = err.splitlines()
    assert warning == AUTH_WARNING
    assert failure.startswith("kvs: error: cannot connect to 127.0.0.1:")
    assert "hunter2" not in err


def test_unknown_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--bogus", "get", "k"]) == 2
    err = capsys.readouterr().err
    assert "Unrecognized option or bad number of args for: '--bogus'" in err
    assert main(["-p"]) == 2  # an option without its value
    assert "for: '-p'" in capsys.readouterr().err
    assert main(["-p", "port", "ping"]) == 2
    assert "Invalid value for port" in capsys.readouterr().err
    assert main(["bench", "--tests", "get,nope"]) == 2
    assert "unknown test nope" in capsys.readouterr().err
    assert main(["bench", "--clients", "0"]) == 2
    assert "must be at least 1" in capsys.readouterr().err


def test_default_url_from_environment(capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    url = _url()
    monkeypatch.setenv("KVS_URL", url)
    assert main(["set", "k", "from-env"]) == 0
    assert main(["--url", url, "get", "k"]) == 0
    assert capsys.readouterr().out == 'OK\nfrom-env\n'  # raw: stdout is no terminal
    monkeypatch.setenv("KVS_URL", "nope://x")
    assert main(["get", "k"]) == 1
    assert capsys.readouterr().err == "kvs: error: Unsupported KVS URL: nope://x\n"


def test_format_of_nested_and_resp3_values() -> None:
    assert format_reply([b"a", [b"b", 1], []]) == (
        '1) "a"\n2) 1) "b"\n   2) (integer) 1\n3) (empty array)')
    # a map's value starts on its own line only when it spans lines, as in redis-cli
    assert format_reply({b"k": {b"x": 1.5}}) == '1# "k" => 1# "x" => (double) 1.5'
    assert format_reply({b"k": {b"x": 1, b"y": 2}}) == (
        '1# "k" => \n   1# "x" => (integer) 1\n   2# "y" => (integer) 2')
    assert format_reply([True, False, None]) == "1) (true)\n2) (false)\n3) (nil)"
    assert format_reply(list(range(10))).splitlines()[9] == "10) (integer) 9"
    assert format_reply(list(range(10))).splitlines()[0] == " 1) (integer) 0"


# -- the shell ---------------------------------------------------------------------------------


def test_shell_on_piped_input() -> None:
    lines = ["set a 1", "get a", 'set greeting "hello world"', "get greeting", "lpush a x",
             "help get", "", "quit", "get a"]
    result = _kvs("--no-raw", "--url", ":memory:", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        'OK\n"1"\nOK\n"hello world"\n'
        "(error) WRONGTYPE Operation against a key holding the wrong kind of value\n"
        "\n  GET key\n  group: string\n\n")
    raw = _kvs("--url", ":memory:", stdin="\n".join(lines[:5]) + "\n")
    assert raw.stdout == ("OK\n1\nOK\nhello world\n"
                          "WRONGTYPE Operation against a key holding the wrong kind of value\n\n")


def test_shell_ends_at_end_of_input() -> None:
    result = _kvs("--no-raw", "--url", ":memory:", stdin="incr n\nincr n\nexit\n")
    assert (result.returncode, result.stdout) == (0, "(integer) 1\n(integer) 2\n")
    result = _kvs("--url", ":memory:", stdin="ping\nget 'unbalanced\nget \"a\"b\n")
    assert result.returncode == 0
    assert result.stdout == "PONG\nInvalid argument(s)\nInvalid argument(s)\n"


def test_shell_help_lists_commands() -> None:
    result = _kvs(stdin="help\n", env={"KVS_URL": ":memory:"})
    assert result.returncode == 0
    for word in ("help COMMAND", "lrange", "quit"):
        assert word in result.stdout
    result = _kvs(stdin="help set\nhelp client setname\n", env={"KVS_URL": ":memory:"})
    assert "SET key value [NX|XX] [GET]" in result.stdout
    assert "CLIENT SETNAME connection-name" in result.stdout


def test_one_shot_does_not_import_trio() -> None:
    code = ("import sys; from kvs.cli.main import main; assert main(['--url', ':memory:', 'ping']) "
            "== 0; assert 'trio' not in sys.modules, 'trio imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True)


# -- demo and bench ----------------------------------------------------------------------------


def test_demo_on_memory() -> None:
    started = time.monotonic()
    result = _kvs("demo", timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("kvs demo on :memory:\n")
    for heading in HEADINGS:
        assert heading in result.stdout
    assert "refused" in result.stdout
    assert "skipped" not in result.stdout
    assert elapsed < 10


def test_demo_on_redis(redis_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--url", redis_url, "demo"]) == 0
    out = capsys.readouterr().out
    for heading in HEADINGS:
        assert heading in out
    assert "skipped" not in out
    assert re.search(r"\nremoved the \d+ keys the demo left \(of \d+ it used\)\n$", out)
    with kvs.sync.connect(redis_url) as db:
        assert db.keys("kvs-demo:*") == []  # the demo removed what it created
        assert db.dbsize() == 0
    # A rerun on the same server starts clean: the counters count from 1 again.
    assert main(["demo", "--url", redis_url]) == 0
    again = capsys.readouterr().out
    assert _section(again, 2) == _section(out, 2)
    assert _section(again, 4) == _section(out, 4)
    assert "rpush resize-image:1                 -> 1" in _section(again, 3)


def _section(out: str, number: int) -> str:
    after = out.split(HEADINGS[number - 1])[1]
    return after.split(HEADINGS[number])[0] if number < len(HEADINGS) else after


def test_demo_on_memcached_skips_the_queues(memcached_url: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("kvs.memcached.driver", reason="memcached backend not built yet")
    assert main(["--url", memcached_url, "demo"]) == 0
    out = capsys.readouterr().out
    assert "skipped on this backend" in _section(out, 3)
    assert "skipped on this backend" in _section(out, 6)
    assert out.count("skipped") == 3  # the three queues: lists and streams
    assert "refused" in out


def test_bench_on_memory(capsys: pytest.CaptureFixture[str]) -> None:
    url = _url()
    status = main(["bench", "--url", url, "--requests", "200", "--clients", "4",
                   "--tests", "get,set"])
    out = capsys.readouterr().out
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"kvs bench on {url} (4 clients, 200 requests")
    assert lines[1].split() == ["test", "ops/s", "p50", "ms", "p95", "ms", "p99", "ms", "max",
                                "ms", "errors"]
    assert [line.split()[0] for line in lines[2:]] == ["GET", "SET"]
    for line in lines[2:]:
        numbers = [float(cell.replace(",", "")) for cell in line.split()[1:]]
        assert len(numbers) == 6
        assert numbers[0] > 0
        assert numbers[1] <= numbers[2] <= numbers[3] <= numbers[4]
        assert numbers[5] == 0
    assert main(["--no-raw", "--url", url, "keys", "*"]) == 0  # the bench cleaned up
    assert capsys.readouterr().out == "(empty array)\n"


def test_bench_pipeline_and_every_test(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--url", _url(), "bench", "-n", "300", "-c", "3", "-P", "4", "-d", "64"])
    out = capsys.readouterr().out
    assert status == 0
    assert [line.split()[0] for line in out.splitlines()[2:]] == [
        "PING", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD", "HSET", "SPOP",
        "ZADD", "ZPOPMIN", "LRANGE_100", "MSET", "MGET"]
    assert all(line.split()[-1] == "0" for line in out.splitlines()[2:])  # no errors


def test_bench_quiet_csv_and_random_keys(capsys: pytest.CaptureFixture[str]) -> None:
    url = _url()
    assert main(["--url", url, "bench", "-q", "-n", "100", "-c", "2", "-t", "set,lpop",
                 "-r", "50"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["SET", "LPOP"]
    assert all(re.fullmatch(r"[A-Z_]+: \d+\.\d\d requests per second, p50=\d+\.\d{3} msec",
                            line) for line in lines)
    assert main(["--url", url, "bench", "--csv", "-n", "50", "-c", "2", "-t", "incr"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.startswith('"test","rps","avg_latency_ms"')
    assert row.startswith('"INCR","')
    assert len(row.split(",")) == 8
    assert main(["--no-raw", "--url", url, "keys", "*"]) == 0  # random keys removed too
    assert capsys.readouterr().out == "(empty array)\n"


def test_bench_on_memcached_names_what_it_skips(memcached_single_url: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "-u", memcached_single_url, "-q", "-n", "50", "-c", "2",
                 "-t", "set,lpush,zadd,get"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("SET: ")
    assert lines[1].startswith("LPUSH: skipped: lpush is not supported")
    assert lines[2].startswith("ZADD: skipped: zadd is not supported")
    assert lines[3].startswith("GET: ")


def _stat(redis_url: str, name: str) -> int:
    with kvs.sync.connect(redis_url) as db:
        info = db.execute("INFO", "stats")
    text = info.decode() if isinstance(info, bytes) else str(info)
    return int(text.split(f"{name}:")[1].split()[0])


def test_bench_pipeline_sends_many_commands_per_read(redis_url: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """-P really pipelines: with one task, Redis reads 20 commands at a time, not one."""
    port = redis_url.rsplit(":", 1)[1]
    reads = []
    for pipeline in ("1", "20"):
        before = _stat(redis_url, "total_reads_processed")
        assert main(["-p", port, "bench", "-q", "-c", "1", "-n", "400", "-P", pipeline,
                     "-t", "set"]) == 0
        reads.append(_stat(redis_url, "total_reads_processed") - before)
    capsys.readouterr()
    assert reads[0] >= 400
    assert reads[1] < 400 / 20 * 3  # about one read per pipeline (and a few of the setup)


def test_bench_on_redis_with_connections(redis_url: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    port = redis_url.rsplit(":", 1)[1]

    before = _stat(redis_url, "total_connections_received")
    assert main(["-p", port, "bench", "-n", "200", "-c", "8", "-P", "5", "--connections", "3",
                 "-t", "set,get,lrange_100"]) == 0
    assert _stat(redis_url, "total_connections_received") - before >= 1 + 3 + 1  # and _stat's
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "each test on one multiplexed connection, then on 3 connections"
    labels = [line[:22].strip() for line in out[3:]]
    assert labels == ["SET", "SET (3 conns)", "GET", "GET (3 conns)", "LRANGE_100",
                      "LRANGE_100 (3 conns)"]
    with kvs.sync.connect(redis_url) as db:
        assert db.keys("kvs-bench:*") == []


async def test_bench_progress_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from kvs.cli import bench as _bench

    monkeypatch.setattr(_bench, "PROGRESS_INTERVAL", 0.0)  # redraw at every scheduling turn
    out, progress = io.StringIO(), io.StringIO()
    options = _bench.BenchOptions(_url(), clients=2, requests=500, tests=("get", "incr"))
    assert await _bench.run_bench(options, out, progress, live=True) == 0
    drawn = progress.getvalue()
    assert "\rGET" not in drawn  # every redraw first clears the line
    assert "\r\x1b[KGET: " in drawn
    assert "\r\x1b[KINCR: " in drawn
    assert "/500 (" in drawn
    assert drawn.endswith("\r\x1b[K")  # cleared before the summary row
    assert "\x1b" not in out.getvalue()
    quiet = io.StringIO()
    assert await _bench.run_bench(options, io.StringIO(), quiet) == 0  # not a terminal
    assert quiet.getvalue() == ""


async def test_bench_survives_a_timed_out_set_while_filling(redis_proxy: Any) -> None:
    """The one SET that gives GET its value times out (its reply is swallowed): the bench
    says so, sets it again on a new connection and runs the test."""
    import io

    import trio

    from kvs.cli import bench as _bench

    url = redis_proxy.url_for("redis") + "?timeout=2"
    up, down = redis_proxy.bytes_up, redis_proxy.bytes_down
    async with kvs.connect(url) as db:  # how many bytes a connection's handshake takes
        await db.ping()
        handshake_up = redis_proxy.bytes_up - up - len(b"*1\r\n$4\r\nPING\r\n")
        handshake_down = redis_proxy.bytes_down - down - len(b"+PONG\r\n")
    up, down = redis_proxy.bytes_up, redis_proxy.bytes_down
    out, notes = io.StringIO(), io.StringIO()
    options = _bench.BenchOptions(url, clients=2, requests=50, tests=("get",))

    async def swallow_the_first_command() -> None:  # once the handshake is through
        await redis_proxy.wait_bytes_up(up + handshake_up)
        await redis_proxy.wait_bytes_down(down + handshake_down)
        redis_proxy.blackhole()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(swallow_the_first_command)
        with trio.fail_after(30):
            assert await _bench.run_bench(options, out, notes) == 0
    assert "kvs bench: filling the GET key failed (TimeoutError" in notes.getvalue()
    assert "trying again" in notes.getvalue()
    row = out.getvalue().splitlines()[2]
    assert row.split()[0] == "GET"
    assert row.split()[-1] == "0"  # no error while measuring
