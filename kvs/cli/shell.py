"""The interactive shell of ``kvs``: a read-eval-print loop over one blocking client.

Lines are split like a POSIX shell (``set greeting "hello world"``) and run by
`run_command`, so the shell takes the same commands as ``kvs COMMAND``.  On a terminal it
shows a prompt with the URL (password masked), keeps readline history in ``~/.kvs_history``
when that file can be written, and completes command names with Tab.  Lines that carry a
password (``AUTH ...``, ``HELLO ... AUTH ...``) are taken out of the history as soon as they
are read, as redis-cli does, so they are never written to that file.  With input from a pipe
it prints no prompt and no banner, only the replies, so it can be scripted.

readline is imported only for a terminal: on some systems importing it writes escape
sequences to stdout, which would corrupt piped output.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from typing import TYPE_CHECKING

from .._errors import KvsError
from .commands import COMMANDS, run_command
from .format import format_reply

if TYPE_CHECKING:
    from ..sync import Client

__all__ = ["is_secret", "run_shell"]

HISTORY_FILE = os.path.join("~", ".kvs_history")
HISTORY_LENGTH = 1000
QUIT_WORDS = ("quit", "exit")


def _help(words: list[str]) -> str:
    if len(words) > 1:
        command = COMMANDS.get(words[1].lower())
        if command is None:
            return f"{words[1]}: not a kvs operation; it is sent to the server as a Redis command"
        return command.synopsis
    lines = ["Commands (they work on every backend):"]
    lines += [f"  {command.synopsis}" for command in COMMANDS.values()]
    lines += [
        "Any other word is sent as a Redis command (Redis URLs; :memory: knows many of them).",
        "help [COMMAND]   this text, or one command's synopsis",
        "quit, exit       leave the shell (or Ctrl-D)",
    ]
    return "\n".join(lines)


def _setup_readline() -> str | None:
    """Enable history and completion; return the history file to save, if any."""
    try:
        import readline
    except ImportError:  # some Python builds have no readline
        return None
    names = sorted({*COMMANDS, "help", *QUIT_WORDS})

    def complete(text: str, state: int) -> str | None:
        if readline.get_line_buffer()[: readline.get_begidx()].strip():
            return None  # only the first word is a command name
        matches = [name + " " for name in names if name.startswith(text.lower())]
        return matches[state] if state < len(matches) else None

    readline.set_completer(complete)
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    readline.set_history_length(HISTORY_LENGTH)
    path = os.path.expanduser(HISTORY_FILE)
    with contextlib.suppress(OSError):  # no history yet, or unreadable: start without
        readline.read_history_file(path)
    directory = os.path.dirname(path) or "."
    writable = os.access(path, os.W_OK) if os.path.exists(path) else os.access(directory, os.W_OK)
    return path if writable else None


def is_secret(line: str) -> bool:
    """Whether `line` carries a password: ``AUTH ...`` or ``HELLO ... AUTH ...``."""
    words = line.split()
    if not words:
        return False
    first = words[0].lower()
    return first == "auth" or (first == "hello" and any(w.lower() == "auth" for w in words))


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


def _execute_line(db: Client[bytes], line: str) -> bool:
    """Run one input line; return False when the user asked to leave."""
    try:
        words = shlex.split(line)
    except ValueError:
        print("(error) ERR invalid argument(s): unbalanced quotes")
        return True
    if not words:
        return True
    name = words[0].lower()
    if name in QUIT_WORDS:
        return False
    if name == "help":
        print(_help(words))
        return True
    try:
        print(format_reply(run_command(db, words)))
    except (KvsError, TypeError, ValueError) as exc:  # an (error) reply, or the backend's
        print(f"(error) {exc}")
    sys.stdout.flush()
    return True


def run_shell(url: str) -> int:
    """Run the shell on `url` until ``quit``, ``exit`` or end of input; return 0.

    Raises:
        kvs.InvalidURL: `url` is not valid.
        kvs.KvsError: the backend could not be opened.
    """
    from .. import sync

    interactive = sys.stdin.isatty()
    with sync.connect(url, decode=False) as db:
        history = _setup_readline() if interactive else None
        prompt = f"{db.url}> " if interactive else ""
        if interactive:
            print(f"kvs shell on {db.url}; 'help' lists the commands, 'quit' leaves.")
            if db.url == ":memory:" or db.url.startswith("memory://"):
                print("The in-process store lives as long as this shell.")
        try:
            while True:
                try:
                    line = input(prompt)
                except KeyboardInterrupt:  # drop the line being typed, like Python's REPL
                    print()
                    continue
                except EOFError:
                    if interactive:
                        print()
                    break
                if interactive and is_secret(line):
                    _forget_last_line()
                if not _execute_line(db, line):
                    break
        finally:
            if history is not None:
                _save_history(history)
    return 0
