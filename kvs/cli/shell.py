"""The interactive shell of ``kvs``, as redis-cli's.

On a Redis URL the shell holds a connection of its own (`kvs.cli.session.Session`), so
``SELECT``, ``AUTH``, ``CLIENT SETNAME``, ``MULTI``/``EXEC``, ``MONITOR`` and ``SUBSCRIBE``
work as in redis-cli: the prompt shows the database and an open transaction
(``127.0.0.1:6379[2](TX)> ``), and a subscription or MONITOR prints what arrives until
Ctrl-C, which brings the prompt back on a fresh connection (same database).  On the other
backends the shell runs on one blocking client (`kvs.sync`) and the prompt is the URL.

Lines are split as redis-cli splits them (`kvs.cli.quoting.split_args`): what the shell
prints for a string can be pasted back.  ``N command`` runs it N times, as in redis-cli.
On a terminal: readline history in ``~/.kvs_history`` (``$KVS_HISTFILE`` to choose another
file; lines with a password, ``AUTH ...``, ``HELLO ... AUTH ...``, are never kept), and Tab
completes command names, subcommands and option tokens from the command table; Tab after a
complete command name shows its arguments (the hint).  With input from a pipe there is no
prompt and no banner, only replies.

readline is imported only for a terminal: on some systems importing it writes escape
sequences to stdout, which would corrupt piped output.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from .._errors import KvsError
from .command_table import COMMAND_TABLE
from .commands import COMMANDS, run_command
from .format import Mode, render, shown_verbatim
from .quoting import split_args
from .run import ByteSink, stdout_bytes
from .session import SUBSCRIBE

if TYPE_CHECKING:
    from ..sync import Client
    from .session import Session

__all__ = ["complete_line", "hint", "is_secret", "run_shell"]

HISTORY_FILE = os.path.join("~", ".kvs_history")
HISTORY_LENGTH = 1000
QUIT_WORDS = ("quit", "exit")
SLOW = 0.5  # seconds: a slower command shows its time, as redis-cli does

CONTAINERS = frozenset(name.split()[0] for name in COMMAND_TABLE if " " in name)


def hint(words: list[str]) -> str | None:
    """The argument synopsis of the command `words` start with (``SET key value ...``)."""
    if not words:
        return None
    name = words[0].upper()
    if name in CONTAINERS and len(words) > 1:
        sub = f"{name} {words[1].upper()}"
        if sub in COMMAND_TABLE:
            return f"{sub} {COMMAND_TABLE[sub][2]}".rstrip()
    entry = COMMAND_TABLE.get(name)
    if entry is not None:
        return f"{name} {entry[2]}".rstrip()
    mapped = COMMANDS.get(words[0].lower())
    return mapped.synopsis if mapped is not None else None


def _tokens(synopsis: str) -> list[str]:
    """The option words of a synopsis (``NX``, ``EX``...): upper-case words."""
    found: dict[str, None] = {}
    for raw in synopsis.replace("|", " ").replace("[", " ").replace("]", " ").split():
        word = raw.strip("<>")
        if len(word) > 1 and word.isupper() and word.replace("_", "").replace("-", "").isalpha():
            found[word] = None
    return list(found)


def _same_case(candidate: str, typed: str) -> str:
    return candidate.lower() if typed == typed.lower() else candidate


def complete_line(before: str, text: str) -> list[str]:
    """Completions of `text`, the word being typed, after the line's first part `before`."""
    words = before.split()
    if not words:
        names = sorted({*(n.split()[0] for n in COMMAND_TABLE), *(n.upper() for n in COMMANDS),
                        "HELP", "QUIT", "EXIT"})
        return [_same_case(n, text) + " " for n in names if n.lower().startswith(text.lower())]
    name = words[0].upper()
    if len(words) == 1 and name in CONTAINERS:
        subs = sorted(n.split()[1] for n in COMMAND_TABLE if n.startswith(name + " "))
        return [_same_case(s, text) + " " for s in subs if s.lower().startswith(text.lower())]
    synopsis = hint(words) or ""
    if not text:
        return []
    return [_same_case(t, text) + " " for t in _tokens(synopsis)
            if t.lower().startswith(text.lower())]


def is_secret(line: str) -> bool:
    """Whether `line` carries a password: ``AUTH ...``, ``HELLO ... AUTH ...``, ``ACL
    SETUSER``, ``CONFIG SET masterauth ...``, ``MIGRATE ... AUTH ...``."""
    words = [w.lower() for w in line.split()]
    if words and words[0].isdigit() and len(words) > 1:
        words = words[1:]  # the repeat count
    if not words:
        return False
    first = words[0]
    if first == "auth":
        return True
    if first in ("hello", "migrate"):
        return any(w in ("auth", "auth2") for w in words)
    if first == "acl" and len(words) > 1 and words[1] == "setuser":
        return True
    return first == "config" and len(words) > 2 and words[1] == "set" and any(
        w in ("masterauth", "masteruser", "requirepass") for w in words[2:])


def _history_path() -> str:
    return os.environ.get("KVS_HISTFILE") or os.path.expanduser(HISTORY_FILE)


def _setup_readline(prompt: Callable[[], str]) -> str | None:
    """Enable history, completion and hints; return the history file to save, if any."""
    try:
        import readline
    except ImportError:  # some Python builds have no readline
        return None

    def complete(text: str, state: int) -> str | None:
        line = readline.get_line_buffer()
        before = line[: readline.get_begidx()]
        matches = complete_line(before, text)
        if state == 0 and not matches and not text and before.strip():
            shown = hint(before.split())
            if shown is not None:  # the hint, under the line, then the line again
                sys.stdout.write(f"\n{shown}\n{prompt()}{line}")
                sys.stdout.flush()
        return matches[state] if state < len(matches) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" \t")
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    readline.set_history_length(HISTORY_LENGTH)
    path = _history_path()
    if path == os.devnull:
        return None
    with contextlib.suppress(OSError):  # no history yet, or unreadable: start without
        readline.read_history_file(path)
    directory = os.path.dirname(path) or "."
    writable = os.access(path, os.W_OK) if os.path.exists(path) else os.access(directory, os.W_OK)
    return path if writable else None


def _forget_last_line() -> None:
    try:
        import readline
    except ImportError:
        return
    length = readline.get_current_history_length()
    if length:
        readline.remove_history_item(length - 1)


def _save_history(path: str) -> None:
    import readline

    with contextlib.suppress(OSError):  # losing history is not worth an error
        readline.write_history_file(path)


def _help(words: list[str]) -> str:
    if len(words) > 1:
        shown = hint(words[1:])
        if shown is None:
            return f"{words[1]}: unknown command; it is sent to the server as is"
        entry = COMMAND_TABLE.get(shown.split()[0])
        group = f"\n  group: {entry[1]}" if entry is not None and entry[1] else ""
        return f"\n  {shown}{group}\n"
    return ("kvs shell: type a Redis command (Tab completes, and after a command shows its\n"
            "arguments). 'help COMMAND' shows one command's arguments.\n"
            "'N COMMAND' runs it N times. 'quit', 'exit' or Ctrl-D leaves.\n"
            "On every backend these work: "
            + ", ".join(sorted(COMMANDS)) + ".")


class _Target:
    """What runs the lines: a Redis session, or a blocking client."""

    def __init__(self, session: Session | None, client: Client[bytes] | None,
                 url: str) -> None:
        self.session = session
        self.client = client
        self.url = url

    def prompt(self) -> str:
        if self.session is not None:  # as redis-cli: the next command tries again
            return self.session.prompt() if self.session.connected else "not connected> "
        return f"{self.url}> "

    def run(self, argv: list[bytes]) -> Iterator[Any]:
        if self.session is not None:
            yield from self.session.run(argv)
            return
        assert self.client is not None
        try:
            yield run_command(self.client, argv)
        except (KvsError, TypeError, ValueError) as exc:
            yield exc

    @property
    def streaming(self) -> bool:
        return self.session is not None and self.session.subscribed


def _out() -> ByteSink:
    return stdout_bytes()


def _stream_until_interrupted(target: _Target, mode: Mode, out: ByteSink) -> None:
    """Print a subscription's messages (or MONITOR's lines) until Ctrl-C, then reconnect."""
    session = target.session
    assert session is not None
    try:
        for message in session.messages():
            out.write(render(message, mode))
            out.flush()
    except KeyboardInterrupt:
        pass
    finally:
        session.close()
    with contextlib.suppress(KvsError):
        session.connect()


def _execute_line(target: _Target, line: bytes | str, mode: Mode, interactive: bool) -> bool:
    """Run one input line; return False when the user asked to leave."""
    out = _out()
    words = split_args(line)
    if words is None:
        out.write(b"Invalid argument(s)\n")
        out.flush()
        return True
    if not words:
        return True
    repeat = 1
    if len(words) > 1 and words[0].isdigit():
        repeat = int(words[0])
        words = words[1:]
        if repeat <= 0:
            out.write(b"Invalid redis-cli repeat command option value.\n")
            out.flush()
            return True
    name = words[0].lower()
    if name in (b"quit", b"exit"):
        return False
    if name in (b"help", b"?"):
        text = [w.decode("utf-8", "surrogateescape") for w in words]
        out.write(_help(text).encode("utf-8", "surrogateescape") + b"\n")
        out.flush()
        return True
    if name in SUBSCRIBE and target.session is None:  # the client's own subscriber
        from .subscribe import run_subscribe

        try:
            run_subscribe(target.url, name.decode(), [w.decode("utf-8", "surrogateescape")
                                                      for w in words[1:]], mode=mode)
        except KeyboardInterrupt:
            pass
        except KvsError as exc:
            out.write(render(exc, mode))
            out.flush()
        return True
    started = time.monotonic()
    subscribing = name in SUBSCRIBE and target.session is not None
    verbatim = shown_verbatim(words)
    for _ in range(repeat):
        if subscribing and interactive and mode != "raw":  # first, as redis-cli
            out.write(b"Reading messages... (press Ctrl-C to quit)\n")
            out.flush()
        try:
            for reply in target.run(words):
                out.write(render(reply, mode, verbatim=verbatim))
                out.flush()
        except KvsError as exc:  # the connection failed: say so, reconnect on the next line
            out.write(f"Error: {exc}\n".encode("utf-8", "surrogateescape"))
            out.flush()
            return True
        monitor = name == b"monitor" and target.session is not None
        if target.streaming or monitor:
            _stream_until_interrupted(target, mode, out)
            break
    elapsed = time.monotonic() - started
    if interactive and mode == "tty" and elapsed >= SLOW:
        out.write(f"({elapsed:.2f}s)\n".encode())
        out.flush()
    return True


def run_shell(url: str, mode: Mode = "tty", session: Session | None = None,
              stdin: BinaryIO | None = None) -> int:
    """Run the shell until ``quit``, ``exit`` or end of input; return 0.

    Args:
        url: the URL (used as the prompt, and opened when there is no `session`).
        mode: how replies print.
        session: a Redis connection of the shell's own; None runs on a blocking client.
        stdin: where lines come from when standard input is not a terminal.

    Raises:
        kvs.InvalidURL: `url` is not valid.
        kvs.KvsError: the backend could not be opened.
    """
    from .. import sync

    interactive = sys.stdin.isatty() and stdin is None
    client_cm: Any = contextlib.nullcontext(None)
    if session is None:
        client_cm = sync.connect(url, decode=False)
    with client_cm as client:
        target = _Target(session, client, client.url if client is not None else url)
        if session is not None:
            try:
                session.connect()
            except KvsError as exc:
                print(f"Could not connect: {exc}", file=sys.stderr)
        if not interactive:
            source = stdin if stdin is not None else sys.stdin.buffer
            for raw in source:
                if not _execute_line(target, raw.rstrip(b"\r\n"), mode, False):
                    break
            return 0
        history = _setup_readline(target.prompt)
        if session is None:
            print(f"kvs shell on {target.url}; 'help' for help, 'quit' leaves.")
            if target.url == ":memory:" or target.url.startswith("memory://"):
                print("The in-process store lives as long as this shell.")
        try:
            while True:
                try:
                    line = input(target.prompt())
                except KeyboardInterrupt:  # drop the line being typed
                    print()
                    continue
                except EOFError:
                    print()
                    break
                if is_secret(line):
                    _forget_last_line()
                if not _execute_line(target, line, mode, True):
                    break
                if history is not None and not is_secret(line):
                    _save_history(history)
        finally:
            if history is not None:
                _save_history(history)
            if session is not None:
                session.close()
    return 0
