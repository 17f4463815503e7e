"""The non-interactive modes of ``kvs`` on a Redis `Session`: one command (``-r``, ``-i``,
``-x``), ``--scan``, ``--eval`` and ``--pipe``, each printing what redis-cli prints.
"""

from __future__ import annotations

import os
import secrets
import select
import sys
import time
from collections.abc import Sequence
from typing import Any, BinaryIO, Protocol

from resp import NEED_DATA, ReplyError

from .format import Mode, render, shown_verbatim
from .quoting import quote
from .session import SUBSCRIBE, Session

__all__ = ["ByteSink", "eval_args", "run_one_shot", "run_pipe", "run_scan", "stdout_bytes", "write"]


class ByteSink(Protocol):
    def write(self, data: bytes, /) -> int: ...
    def flush(self) -> None: ...


def stdout_bytes() -> ByteSink:
    """Standard output as bytes (its buffer), flushed of any text written before."""
    stream = sys.stdout
    stream.flush()
    buffer: ByteSink | None = getattr(stream, "buffer", None)
    return buffer if buffer is not None else _TextBytes()


class _TextBytes:
    """Bytes written to a text-only stdout (a test's capture), decoded."""

    def write(self, data: bytes) -> int:
        return sys.stdout.write(data.decode("utf-8", "surrogateescape"))

    def flush(self) -> None:
        sys.stdout.flush()


def write(data: bytes, stream: Any = None) -> None:
    out = stdout_bytes() if stream is None else stream
    out.write(data)
    out.flush()


def _print_reply(reply: Any, mode: Mode, error_exit: bool, verbatim: bool) -> bool:
    """Print `reply`; with ``-e`` an error goes to stderr instead.  Return whether it was an
    error reply."""
    failed = isinstance(reply, ReplyError)
    if failed and error_exit:
        print(str(reply), file=sys.stderr, flush=True)
    else:
        write(render(reply, mode, verbatim=verbatim))
    return failed


def run_one_shot(session: Session, argv: list[bytes], mode: Mode, *, repeat: int = 1,
                 interval: float = 0.0, error_exit: bool = False) -> int:
    """Run `argv` `repeat` times (-1: for ever), `interval` seconds apart; return the exit
    status: 1 when the last reply was an error, else 0.

    A SUBSCRIBE (or MONITOR) prints its messages until interrupted.
    """
    failed = False
    done = 0
    name = argv[0].lower()
    streaming = name in SUBSCRIBE or name == b"monitor"
    verbatim = shown_verbatim(argv)
    while repeat < 0 or done < repeat:
        if name in SUBSCRIBE and mode != "raw":
            write(b"Reading messages... (press Ctrl-C to quit)\n")
        for reply in session.run(argv):
            failed = _print_reply(reply, mode, error_exit, verbatim)
            if failed and error_exit:
                return 1
        if streaming and not failed:
            for message in session.messages():
                write(render(message, mode))
        done += 1
        if interval and (repeat < 0 or done < repeat):
            time.sleep(interval)
    return 1 if failed else 0


def run_scan(session: Session, pattern: str, mode: Mode, *, count: int | None = None,
             interval: float = 0.0) -> int:
    """``--scan``: every key matching `pattern`, one a line (quoted on a terminal)."""
    cursor = b"0"
    while True:
        argv = [b"SCAN", cursor, b"MATCH", pattern.encode("utf-8", "surrogateescape")]
        if count is not None:
            argv += [b"COUNT", str(count).encode()]
        reply = session.call(argv)
        if isinstance(reply, ReplyError):
            write(render(reply, mode))
            return 1
        cursor, keys = bytes(reply[0]), reply[1]
        out = bytearray()
        for key in keys:
            out += (quote(bytes(key)).encode("ascii") if mode == "tty" else bytes(key)) + b"\n"
        write(bytes(out))
        if cursor == b"0":
            return 0
        if interval:
            time.sleep(interval)


def eval_args(script: bytes, words: Sequence[bytes]) -> list[bytes]:
    """``EVAL script numkeys keys... args...`` from ``keys , args`` as redis-cli reads them
    (the first lone ``,`` separates the keys from the arguments)."""
    keys: list[bytes] = []
    args: list[bytes] = []
    comma = False
    for word in words:
        if not comma and word == b",":
            comma = True
        elif comma:
            args.append(word)
        else:
            keys.append(word)
    return [b"EVAL", script, str(len(keys)).encode(), *keys, *args]


PIPE_CHUNK = 16 * 1024


def run_pipe(session: Session, source: BinaryIO, *, timeout: float = 30.0) -> int:
    """``--pipe``: send the bytes of `source` (RESP, or inline commands: Redis reads both)
    as they are, read the replies meanwhile, then an ECHO of a random marker; print
    redis-cli's summary.  Error replies are printed on stderr.  Return 1 when any command
    failed (or the replies stopped for `timeout` seconds), else 0."""
    if not session.connected:
        session.connect()
    sock_fd = session.fileno()
    in_fd = source.fileno()
    errors = replies = 0
    magic = secrets.token_bytes(20)
    pending = b""
    eof = False
    done = False
    last_read = time.monotonic()
    out = stdout_bytes()
    while not done:
        wants_write = not eof or bool(pending)
        readable, writable, _ = select.select(
            [sock_fd] + ([in_fd] if not pending and not eof else []),
            [sock_fd] if pending else [], [], 1.0)
        if in_fd in readable:
            chunk = os.read(in_fd, PIPE_CHUNK)
            if chunk:
                pending = chunk
            else:
                eof = True
                pending = b"\r\n" + b"*2\r\n$4\r\nECHO\r\n$20\r\n" + magic + b"\r\n"
                out.write(b"All data transferred. Waiting for the last reply...\n")
                out.flush()
        if sock_fd in writable and pending:
            session.send_bytes(pending)
            pending = b""
        if sock_fd in readable:
            reply = session.read()
            while reply is not NEED_DATA:
                last_read = time.monotonic()
                if isinstance(reply, ReplyError):
                    print(str(reply), file=sys.stderr, flush=True)
                    errors += 1
                    replies += 1
                elif eof and reply == magic:
                    out.write(b"Last reply received from server.\n")
                    out.flush()
                    done = True
                else:
                    replies += 1
                reply = session.pending()
        if eof and not pending and timeout > 0 and time.monotonic() - last_read > timeout:
            print(f"No replies for {timeout:g} seconds: exiting.", file=sys.stderr)
            errors += 1
            break
        del wants_write
    out.write(b"errors: %d, replies: %d\n" % (errors, replies))
    out.flush()
    return 1 if errors else 0
