"""The ``kvs`` command: one-shot commands, the shell, ``kvs demo`` and ``kvs bench``.

    kvs [--url URL] COMMAND [ARGS...]   run one command, print its reply like redis-cli
    kvs [--url URL] subscribe CH...     print messages until interrupted (psubscribe PAT...,
                                        ssubscribe CH... likewise); publish CH MESSAGE
    kvs [--url URL]                     the interactive shell
    kvs demo [--url URL]                the practical examples of kvs.examples
    kvs bench [--url URL] [options]     a load generator
    kvs serve [--url memory://NAME] [--host H] [--port P] [--unix PATH] [--password P]
                                        the memory store as a Redis server

One-shot commands and the shell use the blocking client (`kvs.sync`), so they never import
trio; ``demo`` and ``bench`` run on trio and import it only when chosen.  The URL is
``--url``, else ``$KVS_URL``, else ``:memory:``.

Exit status: 0 on success; 1 when the command failed (an ``(error)`` reply, a bad URL, a
connection failure, an operation the backend cannot do), with a one-line message; 2 for a
command line argparse cannot read.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from .._errors import KvsError, ResponseError
from .._url import DEFAULT_URL, mask_url

__all__ = ["main"]

PROG = "kvs"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value <= 512 * 2**20:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 536870912")
    return value


def _url_option(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument(
        "--url", default=default, metavar="URL",
        help="redis://, rediss://, unix://, memcached://, memory://NAME or :memory: "
             "(default: $KVS_URL, else :memory:)")


def _main_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run a key-value command, open a shell (no COMMAND), "
                    "'kvs demo' for the examples or 'kvs bench' for a load test.",
        epilog="COMMAND is get, set, del, exists, keys, expire, ttl, incr, incrby, decr, decrby, "
               "lpush, rpush, lpop, rpop, lrange, hset, hget, hgetall, sadd, smembers, mget, "
               "mset, ping (any backend), publish, subscribe, psubscribe, ssubscribe (Redis and "
               ":memory:), or any other Redis command (sent as is).",
    )
    _url_option(parser, None)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("command", nargs="?", metavar="COMMAND",
                        help="the command to run; none opens the shell")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                        help="the command's arguments")
    return parser


def _demo_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} demo",
        description="Run the practical examples (session cache, page-view counter and "
                    "ranking, task queue, rate limiter, query cache) and show each step.")
    _url_option(parser, None)
    return parser


BENCH_TESTS = ("get", "set", "incr", "lpush", "lpop", "mget")


def _tests(text: str) -> list[str]:
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in BENCH_TESTS]
    if unknown or not names:
        what = f"unknown test {', '.join(unknown)}" if unknown else "no test given"
        raise argparse.ArgumentTypeError(f"{what}; choose from {','.join(BENCH_TESTS)}")
    return list(dict.fromkeys(names))


def _bench_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} bench",
        description="A load generator: N client tasks share one trio client.")
    _url_option(parser, None)
    parser.add_argument("--clients", type=_positive, default=50, metavar="N",
                        help="concurrent client tasks (default 50)")
    parser.add_argument("--requests", type=_positive, default=10_000, metavar="N",
                        help="commands per test (default 10000)")
    parser.add_argument("--pipeline", type=_positive, default=1, metavar="N",
                        help="commands per task and step, sent as one pipeline (default 1)")
    parser.add_argument("--data-size", type=_size, default=3, metavar="N",
                        help="bytes per value written (default 3)")
    parser.add_argument("--tests", type=_tests, default=list(BENCH_TESTS), metavar="LIST",
                        help=f"comma-separated tests (default {','.join(BENCH_TESTS)})")
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
    parsed = _parse(_main_parser(), args)
    if isinstance(parsed, int):
        return parsed
    url: str = parsed.url or os.environ.get("KVS_URL") or DEFAULT_URL
    command: str | None = parsed.command
    rest: list[str] = parsed.args
    try:
        if command is not None and command.lower() == "demo":
            sub = _parse(_demo_parser(), rest)
            return sub if isinstance(sub, int) else _demo(sub.url or url)
        if command is not None and command.lower() == "serve":
            sub = _parse(_serve_parser(), rest)
            return sub if isinstance(sub, int) else _serve(sub)
        if command is not None and command.lower() == "bench":
            sub = _parse(_bench_parser(), rest)
            return sub if isinstance(sub, int) else _bench(sub.url or url, sub)
        if command is None:
            from .shell import run_shell

            return run_shell(url)
        if command.lower() in ("subscribe", "psubscribe", "ssubscribe"):
            from .subscribe import run_subscribe

            return run_subscribe(url, command.lower(), rest)
        return _one_shot(url, [command, *rest])
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


def _one_shot(url: str, words: list[str], out: TextIO | None = None) -> int:
    from .. import sync
    from .commands import run_command
    from .format import format_reply

    stream = sys.stdout if out is None else out
    with sync.connect(url, decode=False) as db:
        try:
            reply = run_command(db, words)
        except ResponseError as exc:
            print(f"(error) {exc}", file=stream)
            return 1
    print(format_reply(reply), file=stream)
    return 0


def _demo(url: str) -> int:
    import trio

    from ..examples import run_demo

    status: int = trio.run(run_demo, url)
    return status


def _bench(url: str, options: argparse.Namespace) -> int:
    import trio

    from .bench import BenchOptions, run_bench

    settings = BenchOptions(
        url=url, clients=options.clients, requests=options.requests,
        pipeline=options.pipeline, data_size=options.data_size, tests=tuple(options.tests))
    status: int = trio.run(run_bench, settings)
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
