"""Passwords never shown: URL masking over every reserved character, and the shell's history."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kvs
import kvs.sync
from kvs._url import mask_url, parse_url
from kvs.cli.main import main
from kvs.cli.shell import is_secret

ROOT = Path(__file__).resolve().parent.parent
MARK = "zq9secret"
RESERVED = "@/:?#%[] "
passwords = st.text(alphabet=RESERVED + "abcXYZ019!$&'()*+,;=~-._", max_size=12)


def _shown(url: str) -> list[str]:
    """Everything a user can be shown about `url`: repr, .url, the error message."""
    try:
        config = parse_url(url)
    except kvs.InvalidURL as exc:
        return [str(exc), repr(exc)]
    client = kvs.connect(url)
    blocking = kvs.sync.connect(url)
    return [repr(config), config.display, repr(client), client.url, repr(blocking),
            blocking.url]


@settings(max_examples=300, deadline=None)
@given(before=passwords, after=passwords, user=st.sampled_from(["", "alice"]),
       encode=st.booleans(), tail=st.sampled_from(["", ":6380", "/2", ":6380/1?timeout=3"]))
def test_password_is_never_shown(before: str, after: str, user: str, encode: bool,
                                 tail: str) -> None:
    password = before + MARK + after
    written = quote(password, safe="") if encode else password
    url = f"redis://{user}:{written}@host.example{tail}"
    for text in _shown(url):
        assert MARK not in text, text
    if encode:  # a percent-encoded password always parses, and back to itself
        config = parse_url(url)
        assert config.password == password
        assert config.username == (user or None)
        assert config.host == "host.example"


def test_the_issue_examples() -> None:
    config = parse_url("redis://:hunter2@zq9secret@host")
    assert config.password == "hunter2@zq9secret"
    assert config.display == "redis://:***@host"
    with pytest.raises(kvs.InvalidURL) as info:
        parse_url("redis://:hunter2/zq9secret@host")
    assert "zq9secret" not in str(info.value)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("url", [
    "redis://:pa/ss@host", "redis://u:pa?ss@host", "redis://u:pa#ss@host", "redis://:pa[ss@host",
    "redis://:pa]ss@host", "memcached://u:pass@host", "memory://u:pass@name",
    "unix://:pass@/tmp/x.sock?bogus=1", "redis2://u:pass@host",
])
def test_unparsable_urls_hide_the_password(url: str) -> None:
    for text in _shown(url):
        assert "pass" not in text and "ss@" not in text, text


def test_user_name_without_password_is_kept() -> None:
    assert mask_url("redis://alice@host:1/0") == "redis://alice@host:1/0"
    assert mask_url("redis://alice:pw@host") == "redis://alice:***@host"
    assert mask_url("cannot connect to redis://:pw@h:1: refused") == \
        "cannot connect to redis://:***@h:1: refused"


def test_cli_output_hides_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    for url in ("redis://:hunter2@zq9secret@127.0.0.1:1", "redis://:zq9/secret@127.0.0.1:1",
                "redis://:zq9secret@127.0.0.1:1/0?bogus=1"):
        status = main(["--url", url, "get", "k"])
        captured = capsys.readouterr()
        assert status == 1
        assert "zq9" not in captured.out + captured.err
        assert "secret" not in captured.out + captured.err


@pytest.mark.parametrize(("line", "secret"), [
    ("AUTH default hunter2", True), ("auth hunter2", True), ("  Auth x", True),
    ("HELLO 3 AUTH default hunter2", True), ("hello 3 setname x auth u p", True),
    ("HELLO 3", False), ("get auth", False), ("set k auth", False), ("", False),
])
def test_which_lines_carry_a_password(line: str, secret: bool) -> None:
    assert is_secret(line) is secret


def _drain(fd: int, until: bytes, deadline: float) -> bytes:
    seen = b""
    while until not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_shell_history_leaves_out_auth(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "TERM": "dumb", "PYTHONPATH": str(ROOT)}
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "kvs", "--url", "memory://history-test"],
                            stdin=secondary, stdout=secondary, stderr=secondary, env=env,
                            cwd=ROOT)
    os.close(secondary)
    try:
        deadline = time.monotonic() + 30
        _drain(primary, b"> ", deadline)
        for line in ("set visible 1", "AUTH default zq9secret", "HELLO 3 AUTH default zq9secret",
                     "get visible"):
            os.write(primary, line.encode() + b"\r")
            _drain(primary, b"> ", deadline)
        os.write(primary, b"quit\r")
        _drain(primary, b"\x00never", time.monotonic() + 2)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(primary)
    history = (home / ".kvs_history").read_text()
    assert "set visible 1" in history
    assert "get visible" in history
    assert "zq9secret" not in history
