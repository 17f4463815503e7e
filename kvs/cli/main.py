"""The ``kvs`` command: one-shot commands, the shell, ``kvs demo``, ``kvs bench`` and
``kvs serve``, with redis-cli's command line (`kvs.cli.options`).

    kvs [OPTIONS] COMMAND [ARGS...]     run one command, print its reply as redis-cli does
    kvs [OPTIONS]                       the interactive shell
    kvs [OPTIONS] --scan | --pipe | --eval FILE keys , args
    kvs demo [--url URL]                the practical examples of kvs.examples
    kvs bench [OPTIONS]                 a load generator with redis-benchmark's options
    kvs serve [--url memory://NAME] [--host H] [--port P] [--unix PATH] [--password P]
                                        the memory store as a Redis server

On a Redis URL, one-shot commands and the shell hold a connection of their own
(`kvs.cli.session`), so they print exactly what redis-cli prints; on the other backends they
run on the blocking client (`kvs.sync`).  Neither imports trio; ``demo``, ``bench`` and
``serve`` run on trio and import it only when chosen.

Exit status: 0 on success; 1 when the command failed (an error reply, a bad URL, a
connection failure, an operation the backend cannot do); 2 for a command line that cannot
be read.  redis-cli exits 0 after an error reply unless given ``-e``: a script that runs
``kvs`` learns of the failure without it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import cast

from .._errors import KvsError, ResponseError
from .._url import Config, mask_url
from .commands import run_command
from .format import Mode, render
from .options import Options, UsageError, auth_warning, compose_url, parse_options, usage

__all__ = ["main"]

PROG = "kvs"


def _url_option(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument(
        "--url", default=default, metavar="URL",
        help="redis://, rediss://, unix://, memcached://, memory://NAME or :memory: "
             "(default: $KVS_URL, else :memory:)")


def _demo_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} demo",
        description="Run the practical examples (session cache, page-view counter and "
                    "ranking, task queue, rate limiter, query cache) and show each step.")
    _url_option(parser, None)
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace | int:
    try:
        return parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 1


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return mask_url(text.splitlines()[0] if text.strip() else text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kvs`` command with `argv` (default ``sys.argv[1:]``); return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        options = parse_options(args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        print(f"Try '{PROG} --help' for more information.", file=sys.stderr)
        return 2
    if options.help:
        print(usage(), end="")
        return 0
    if options.version:
        from .. import __version__

        print(f"{PROG} {__version__}")
        return 0
    words = options.words
    command = words[0].lower() if words else None
    rest = words[1:]
    try:
        url = compose_url(options)
        if command == "demo":
            sub = _parse(_demo_parser(), rest)
            return sub if isinstance(sub, int) else _demo(sub.url or url)
        if command == "serve":
            sub = _parse(_serve_parser(), rest)
            return sub if isinstance(sub, int) else _serve(sub)
        if command == "bench":
            from .bench import bench_main

            return bench_main(rest, url)
        warning = auth_warning(options)
        if warning is not None:
            print(warning, file=sys.stderr)
        return _run(options, url)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (`kvs keys '*' | head`): nothing to report
        _silence_stdout()
        return 1
    except (KvsError, OSError, TypeError, ValueError) as exc:
        return _fail(_error_text(exc))
    except ExceptionGroup as group:  # from a trio nursery in demo or bench
        leaves = _leaves(group)
        if all(isinstance(leaf, KvsError | OSError) for leaf in leaves):
            return _fail(_error_text(leaves[0]))
        raise


def _mode(options: Options) -> Mode:
    if options.output is not None:
        return cast("Mode", options.output)
    return "tty" if sys.stdout.isatty() else "raw"


def _command_argv(options: Options) -> list[bytes]:
    """The command to send: the words, the standard input with ``-x``, an EVAL with
    ``--eval``."""
    from .commands import to_bytes
    from .run import eval_args

    argv = [to_bytes(word) for word in options.words]
    if options.stdin_last_arg:
        argv.append(sys.stdin.buffer.read())
    if options.eval_file is not None:
        with open(options.eval_file, "rb") as file:
            argv = eval_args(file.read(), argv)
    return argv


def _run(options: Options, url: str) -> int:
    """Everything but demo, bench and serve: a Redis URL gets a session of its own."""
    from .._url import parse_url

    config = parse_url(url, decode=False)
    mode = _mode(options)
    argv = _command_argv(options)
    if config.backend == "redis":
        return _run_redis(options, config, mode, argv)
    return _run_client(options, url, mode, argv)


def _run_redis(options: Options, config: Config, mode: Mode, argv: list[bytes]) -> int:
    from .run import run_one_shot, run_pipe, run_scan
    from .session import Session
    from .shell import run_shell

    protocol = options.protocol or (3 if mode == "json" else 2)  # as redis-cli
    session = Session(config, protocol=protocol)
    if not argv and not options.pipe and not options.scan:
        return run_shell(config.display, mode, session)
    try:
        session.connect()
        if options.pipe:
            return run_pipe(session, sys.stdin.buffer, timeout=options.pipe_timeout)
        if options.scan:
            return run_scan(session, options.pattern, mode, count=options.count,
                            interval=options.interval)
        return run_one_shot(session, argv, mode, repeat=options.repeat,
                            interval=options.interval, error_exit=options.error_exit)
    finally:
        session.close()


def _run_client(options: Options, url: str, mode: Mode, argv: list[bytes]) -> int:
    """The other backends, on the blocking client (the mapped commands work on all)."""
    import time

    from .. import sync
    from .._errors import UnsupportedOperation
    from .run import write
    from .shell import run_shell

    if options.pipe:
        raise UnsupportedOperation("--pipe needs a Redis server (a redis:// URL)")
    if not argv and not options.scan:
        return run_shell(url, mode)
    name = argv[0].lower() if argv else b""
    if name in (b"subscribe", b"psubscribe", b"ssubscribe"):
        from .subscribe import run_subscribe

        return run_subscribe(url, name.decode(), [a.decode("utf-8", "surrogateescape")
                                                  for a in argv[1:]], mode=mode)
    with sync.connect(url, decode=False) as db:
        if options.scan:
            keys = db.scan_iter(match=options.pattern.encode("utf-8", "surrogateescape"),
                                count=options.count)
            for key in keys:
                write(render(key, "tty" if mode == "tty" else "raw"))
            return 0
        status = 0
        done = 0
        while options.repeat < 0 or done < options.repeat:
            try:
                write(render(run_command(db, argv), mode))
                status = 0
            except ResponseError as exc:
                if options.error_exit:
                    print(str(exc), file=sys.stderr)
                    return 1
                write(render(exc, mode))
                status = 1
            done += 1
            if options.interval and (options.repeat < 0 or done < options.repeat):
                time.sleep(options.interval)
    return status


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    found: list[BaseException] = []
    for exc in group.exceptions:
        found.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return found


def _silence_stdout() -> None:
    # Python flushes stdout at exit; pointing it at /dev/null keeps that flush from failing.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # stdout is not a real file (tests capture it): nothing to do


def _demo(url: str) -> int:
    import trio

    from ..examples import run_demo

    status: int = trio.run(run_demo, url)
    return status


# -- kvs serve ---------------------------------------------------------------------------------

def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 65535")
    return value


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} serve",
        description="Serve the memory store over RESP2/RESP3, for redis-cli, "
                    "redis-benchmark and any Redis client (see docs/serve.md).")
    parser.add_argument("--url", default=":memory:", metavar="URL",
                        help=":memory: or memory://NAME (default :memory:)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: loopback only)")
    parser.add_argument("--port", type=_port, default=6379, help="TCP port (default 6379)")
    parser.add_argument("--unix", metavar="PATH", help="also listen on this Unix socket")
    parser.add_argument("--password", metavar="P",
                        help="require AUTH with this password (default: $KVS_SERVE_PASSWORD)")
    return parser


def _serve(options: argparse.Namespace) -> int:
    import signal

    import trio

    from ..server import serve

    password = options.password or os.environ.get("KVS_SERVE_PASSWORD") or None

    async def run() -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with serve(options.url, host=options.host, port=options.port,
                             unix=options.unix, password=password) as server:
                where = [mask_url(server.url)] if server.port is not None else []
                where += [f"unix://{server.unix}"] if server.unix and server.port else []
                print(f"{PROG} serve: {options.url} at {', '.join(where)}",
                      file=sys.stderr, flush=True)
                async for signum in signals:
                    print(f"{PROG} serve: {signal.Signals(signum).name}, shutting down",
                          file=sys.stderr, flush=True)
                    break

    trio.run(run)
    return 0
