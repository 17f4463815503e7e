"""``kvs subscribe`` / ``psubscribe`` / ``ssubscribe`` print messages as redis-cli does until
interrupted; ``kvs publish`` prints the receivers' count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kvs.sync
from kvs.cli.main import main

ROOT = Path(__file__).resolve().parent.parent


def _start(url: str, *words: str, raw: bool = False) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    output = [] if raw else ["--no-raw"]
    return subprocess.Popen([sys.executable, "-m", "kvs", *output, "--url", url, *words],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=ROOT)


def _lines(proc: subprocess.Popen[str], n: int) -> list[str]:
    assert proc.stdout is not None
    return [proc.stdout.readline().rstrip("\n") for _ in range(n)]


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - only when the test already failed
        proc.kill()
        proc.communicate()
    return proc.returncode


def _publish_until_heard(url: str, channel: str, data: str) -> None:
    with kvs.sync.connect(url) as db:
        deadline = time.monotonic() + 15
        while db.publish(channel, data) == 0:
            assert time.monotonic() < deadline, "the subscriber never subscribed"
            time.sleep(0.02)


def test_subscribe_prints_like_redis_cli(redis_url: str) -> None:
    proc = _start(redis_url, "subscribe", "news", "sport")
    try:
        assert _lines(proc, 7) == [
            "Reading messages... (press Ctrl-C to quit)",
            '1) "subscribe"', '2) "news"', "3) (integer) 1",
            '1) "subscribe"', '2) "sport"', "3) (integer) 2",
        ]
        _publish_until_heard(redis_url, "news", "hello world")
        assert _lines(proc, 3) == ['1) "message"', '2) "news"', '3) "hello world"']
    finally:
        status = _stop(proc)
    assert status == 130


def test_subscribe_raw_when_piped(redis_url: str) -> None:
    proc = _start(redis_url, "subscribe", "news", raw=True)
    try:
        assert _lines(proc, 3) == ["subscribe", "news", "1"]
        _publish_until_heard(redis_url, "news", "a\nb")
        assert _lines(proc, 4) == ["message", "news", "a", "b"]
    finally:
        assert _stop(proc) == 130


def test_psubscribe_shows_the_pattern(redis_url: str) -> None:
    proc = _start(redis_url, "psubscribe", "alert:*")
    try:
        assert _lines(proc, 4)[1:] == ['1) "psubscribe"', '2) "alert:*"', "3) (integer) 1"]
        _publish_until_heard(redis_url, "alert:fire", "\x00")
        assert _lines(proc, 4) == ['1) "pmessage"', '2) "alert:*"', '3) "alert:fire"',
                                   '4) "\\x00"']
    finally:
        assert _stop(proc) == 130


def test_publish_and_errors(redis_url: str, memcached_single_url: str,
                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--no-raw", "--url", redis_url, "publish", "news", "x"]) == 0
    assert capsys.readouterr().out == "(integer) 0\n"
    assert main(["--no-raw", "--url", redis_url, "subscribe"]) == 1
    assert capsys.readouterr().out == (  # as redis-cli prints it (which exits 0)
        "Reading messages... (press Ctrl-C to quit)\n"
        "(error) ERR wrong number of arguments for 'subscribe' command\n")
    assert main(["--url", memcached_single_url, "subscribe", "news"]) == 1
    assert "not supported by the memcached backend" in capsys.readouterr().err
    assert main(["--url", memcached_single_url, "publish", "news", "x"]) == 1
    assert "publish is not supported by the memcached backend" in capsys.readouterr().err
