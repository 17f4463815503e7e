"""The shell driven as a person drives it: through a pseudo-terminal, against a real
redis-server.  Prompt with the database and ``(TX)``, history (arrow keys and the history
file, passwords kept out), Tab completion and hints, and Ctrl-C leaving a subscription."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import kvs.sync
from tests.servers import RedisServer

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


class Terminal:
    """A ``kvs`` process on a pseudo-terminal: type into it, wait for what it shows."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: its terminal is the pty
            os.chdir(ROOT)
            os.execve(sys.executable, [sys.executable, "-m", "kvs", *args], env)
        self.pid = pid
        self.fd = fd
        self.seen = b""
        self.ended = False

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def expect(self, pattern: str | bytes, timeout: float = 15.0) -> bytes:
        """Wait until the output since the last match contains `pattern` (a regex); return
        what came up to and including it."""
        regex = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.seen)
            if match:
                upto, self.seen = self.seen[:match.end()], self.seen[match.end():]
                return upto
            left = deadline - time.monotonic()
            assert left > 0, f"never saw {pattern!r}; the terminal shows {self.seen!r}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # the child is gone
                    chunk = b""
                assert chunk, f"the shell ended; it showed {self.seen!r}"
                self.seen += chunk

    def close(self) -> None:
        if self.ended:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)
        os.close(self.fd)

    def wait(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with_pid, status = os.waitpid(self.pid, os.WNOHANG)
            if with_pid:
                self.ended = True
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            with_data, _, _ = select.select([self.fd], [], [], 0.05)
            if with_data:
                with contextlib.suppress(OSError):
                    self.seen += os.read(self.fd, 65536)
        raise AssertionError("the shell did not end")


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with RedisServer() as redis:
        yield redis


@pytest.fixture
def shell(server: RedisServer, tmp_path: Path) -> Iterator[tuple[Terminal, Path, str]]:
    server.flushall()
    history = tmp_path / "history"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "TERM": "xterm",
           "HOME": str(tmp_path), "KVS_HISTFILE": str(history)}
    terminal = Terminal(["-p", str(server.port)], env)
    prompt = f"127.0.0.1:{server.port}"
    terminal.expect(re.escape(prompt + "> "))
    yield terminal, history, prompt
    terminal.close()


def test_prompt_shows_the_database_and_the_transaction(
        shell: tuple[Terminal, Path, str], server: RedisServer) -> None:
    term, _, prompt = shell
    term.type("select 2\r")
    term.expect(r"OK\r\n")
    term.expect(re.escape(f"{prompt}[2]> "))
    term.type("set only-in-2 yes\r")
    term.expect(r"OK\r\n")
    term.type("multi\r")
    term.expect(re.escape(f"{prompt}[2](TX)> "))
    term.type("incr n\r")
    term.expect(r"QUEUED\r\n")
    term.type("exec\r")
    term.expect(r"1\) \(integer\) 1\r\n")
    term.expect(re.escape(f"{prompt}[2]> "))
    term.type("client setname me\r")
    term.expect(r"OK\r\n")
    term.type("client getname\r")
    term.expect(r'"me"\r\n')
    with kvs.sync.connect(f"{server.url}/2") as db:
        assert db.get("only-in-2") == "yes"
    with kvs.sync.connect(server.url) as db:
        assert db.get("only-in-2") is None
    term.type("quit\r")
    assert term.wait() == 0


def test_history_recalls_lines_and_keeps_passwords_out(
        shell: tuple[Terminal, Path, str]) -> None:
    term, history, prompt = shell
    term.type('set greeting "hi there"\r')
    term.expect(r"OK\r\n")
    term.type("auth not-my-password\r")
    term.expect(r"\(error\)")
    term.type("get greeting\r")
    term.expect(r'"hi there"\r\n')
    term.expect(re.escape(prompt + "> "))
    term.type("\x1b[A\x1b[A\r")  # up twice: past get, to set (auth was never kept)
    term.expect(r"OK\r\n")
    term.type("quit\r")
    assert term.wait() == 0
    lines = history.read_text().splitlines()
    assert 'set greeting "hi there"' in lines
    assert "get greeting" in lines
    assert not any("not-my-password" in line for line in lines)


def test_tab_completes_commands_and_shows_hints(shell: tuple[Terminal, Path, str]) -> None:
    term, _, _prompt = shell
    term.type("clie\t")
    term.expect(r"client ")
    term.type("setn\t")
    term.expect(r"setname ")
    term.type("\x15")  # Ctrl-U: clear the line
    term.type("set k v \t")
    term.expect(re.escape("SET key value [NX|XX] [GET]"))
    term.type("n\t")
    term.expect(r"nx ")
    term.type("\r")
    term.expect(r"OK\r\n")
    term.type("quit\r")
    assert term.wait() == 0


def test_ctrl_c_leaves_a_subscription(shell: tuple[Terminal, Path, str],
                                      server: RedisServer) -> None:
    term, _, prompt = shell
    term.type("select 1\r")
    term.expect(re.escape(f"{prompt}[1]> "))
    term.type("subscribe news\r")
    term.expect(r"Reading messages\.\.\. \(press Ctrl-C to quit\)\r\n")
    term.expect(r'3\) \(integer\) 1\r\n')
    with kvs.sync.connect(server.url) as db:
        deadline = time.monotonic() + 10
        while db.publish("news", "extra! extra!") == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    term.expect(r'3\) "extra! extra!"\r\n')
    term.type("\x03")  # Ctrl-C
    term.expect(re.escape(f"{prompt}[1]> "))  # back, on the same database
    term.type("ping\r")
    term.expect(r"PONG\r\n")
    term.type("quit\r")
    assert term.wait() == 0


def test_not_connected_then_connected(tmp_path: Path) -> None:
    """With no server the prompt says so; once the server is up the next command connects."""
    from tests.servers import free_port

    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "TERM": "xterm",
           "HOME": str(tmp_path), "KVS_HISTFILE": str(tmp_path / "history")}
    term = Terminal(["-p", str(port)], env)
    try:
        term.expect(r"Could not connect")
        term.expect(r"not connected> ")
        term.type("ping\r")
        term.expect(r"Error: cannot connect")
        term.expect(r"not connected> ")
        with RedisServer(port=port):
            term.type("ping\r")
            term.expect(r"PONG\r\n")
            term.expect(re.escape(f"127.0.0.1:{port}> "))
            term.type("quit\r")
            assert term.wait() == 0
    finally:
        term.close()


def test_memory_shell_subscribes_until_ctrl_c(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "TERM": "xterm",
           "HOME": str(tmp_path), "KVS_HISTFILE": str(tmp_path / "history")}
    term = Terminal(["-u", ":memory:"], env)
    try:
        term.expect(r":memory:> ")
        term.type("set kept yes\r")
        term.expect(r"OK\r\n")
        term.type("subscribe news\r")
        term.expect(r'3\) \(integer\) 1\r\n')
        term.type("\x03")
        term.expect(r":memory:> ")
        term.type("get kept\r")  # the same store: the shell's client lives on
        term.expect(r'"yes"\r\n')
        term.type("quit\r")
        assert term.wait() == 0
    finally:
        term.close()
