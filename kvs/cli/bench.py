"""``kvs bench``: a load generator with redis-benchmark's options, on the trio client.

For each test, ``clients`` tasks take commands from a common budget of ``requests`` until it
is spent.  By default they share one `kvs.Client` (one multiplexed connection, automatic
pipelining); ``--connections N`` runs every test a second time with the tasks spread over N
clients of their own connection each, so both ways are measured side by side.  With
``pipeline`` N, a task queues N commands on one `kvs.Pipeline` and sends them in one write
(``execute()``), as ``redis-benchmark -P N`` does.  Every command's latency is measured from
the call (the pipeline's start) to its result.

The tests are redis-benchmark's: ping, set, get, incr, lpush, rpush, lpop, rpop, sadd, hset,
spop, zadd, zpopmin, lrange_100 (the first 100 elements of a 100-element list), mset and mget
(10 keys each).  With ``-r N`` keys are picked at random among N (``key:000000000042``), as
redis-benchmark's ``__rand_int__``.  Tests that read are given data first (a value for GET,
full lists, sets and sorted sets for the pops, 100 elements for LRANGE); a command that fails
while filling (a timeout) is retried and, failing again, reported and skipped, so the run goes
on.  A command that fails while measured counts as an error in its test's row.  A test the
backend cannot run (lists on Memcached) is reported by name as skipped.

Output: a table (ops/s, p50/p95/p99/max latency in ms, errors); ``-q`` one line per test as
redis-benchmark's (``SET: 41234.57 requests per second, p50=0.735 msec``); ``--csv`` its CSV.
``-l`` loops for ever.  While a test runs, a progress line is redrawn on stderr every 0.2 s
when stderr is a terminal.  Keys live under a fresh ``kvs-bench:<random>:`` prefix and are
deleted at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

import trio

import kvs

from .._url import parse_url
from .benchtests import (
    DEFAULT_TESTS,
    TESTS,
    TRANSIENT,
    Operation,
    _Filler,
    _Keys,
    _operations,
    _prepare,
)

__all__ = ["BenchOptions", "Result", "bench_main", "run_bench"]

PROGRESS_INTERVAL = 0.2  # seconds between redraws of the progress line


@dataclass(frozen=True)
class BenchOptions:
    """What to run: see ``kvs bench --help``."""

    url: str
    clients: int = 50
    requests: int = 10_000
    pipeline: int = 1
    data_size: int = 3
    tests: tuple[str, ...] = DEFAULT_TESTS
    keyspace: int | None = None  # -r: random keys among this many
    connections: int | None = None  # also measure over this many connections
    quiet: bool = False
    csv: bool = False
    loop: bool = False


@dataclass
class Result:
    """One test's measurements (latencies in seconds, sorted), or why it was skipped."""

    test: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    skipped: str | None = None

    @property
    def ops_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, percent: float) -> float:
        """The nearest-rank percentile of the latencies, in seconds."""
        if not self.latencies:
            return 0.0
        rank = math.ceil(percent / 100 * len(self.latencies))
        return self.latencies[min(max(rank, 1), len(self.latencies)) - 1]


async def _measure(clients: list[kvs.Client[str]], result: Result, operation: Operation,
                   options: BenchOptions, progress: TextIO | None) -> None:
    latencies = result.latencies
    issued = 0

    async def one(db: kvs.Client[str]) -> None:
        started = time.perf_counter()
        try:
            await operation(db)
        except TRANSIENT:
            result.errors += 1
            return
        latencies.append(time.perf_counter() - started)

    async def pipelined(db: kvs.Client[str], batch: int) -> None:
        started = time.perf_counter()
        pipe = db.pipeline()
        for _ in range(batch):
            operation(pipe)
        try:
            await pipe.execute()
        except TRANSIENT:
            result.errors += batch
            return
        latencies.extend([time.perf_counter() - started] * batch)

    async def client(db: kvs.Client[str]) -> None:
        nonlocal issued
        while issued < options.requests:
            batch = min(options.pipeline, options.requests - issued)
            issued += batch  # no await since the check: the budget is never overspent
            if batch == 1:
                await one(db)
            else:
                await pipelined(db, batch)

    started = time.perf_counter()
    async with trio.open_nursery() as nursery:
        if progress is not None:
            nursery.start_soon(_show_progress, result, options.requests, started, progress)
        async with trio.open_nursery() as tasks:
            for index in range(options.clients):
                tasks.start_soon(client, clients[index % len(clients)])
        nursery.cancel_scope.cancel()
    result.seconds = time.perf_counter() - started
    result.latencies.sort()
    if progress is not None:
        progress.write("\r\x1b[K")
        progress.flush()


async def _show_progress(result: Result, total: int, started: float, stream: TextIO) -> None:
    while True:
        await trio.sleep(PROGRESS_INTERVAL)
        done = len(result.latencies)
        rate = done / max(time.perf_counter() - started, 1e-9)
        stream.write(f"\r\x1b[K{result.test.upper()}: {done}/{total} ({rate:,.0f} ops/s)")
        stream.flush()


_HEADER = (f"{'test':<22}{'ops/s':>12}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
           f"{'max ms':>10}{'errors':>8}")
CSV_HEADER = ('"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",'
              '"p95_latency_ms","p99_latency_ms","max_latency_ms"')


def _row(result: Result, label: str) -> str:
    if result.skipped is not None:
        return f"{label:<22}  skipped: {result.skipped}"
    cells = [result.percentile(p) * 1000 for p in (50, 95, 99, 100)]
    return (f"{label:<22}{result.ops_per_second:>12,.0f}"
            + "".join(f"{cell:>10.3f}" for cell in cells) + f"{result.errors:>8}")


def _quiet(result: Result, label: str) -> str:
    if result.skipped is not None:
        return f"{label}: skipped: {result.skipped}"
    return (f"{label}: {result.ops_per_second:.2f} requests per second, "
            f"p50={result.percentile(50) * 1000:.3f} msec")


def _csv(result: Result, label: str) -> str:
    if result.skipped is not None:
        return f'"{label}","skipped: {result.skipped.replace(chr(34), chr(39))}"'
    lat = result.latencies
    average = sum(lat) / len(lat) * 1000 if lat else 0.0
    cells = [result.ops_per_second, average, (lat[0] if lat else 0.0) * 1000,
             *(result.percentile(p) * 1000 for p in (50, 95, 99, 100))]
    return ",".join([f'"{label}"', *(f'"{cell:.3f}"' for cell in cells)])


async def run_bench(options: BenchOptions, out: TextIO | None = None,
                    progress: TextIO | None = None, *, live: bool | None = None) -> int:
    """Run the tests of `options`, print the results; return an exit status (0).

    Args:
        options: URL, clients, requests, pipeline, data size, tests and the rest.
        out: where the results go (default stdout).
        progress: where the progress line and notes go (default stderr).
        live: show the progress line; by default only when `progress` is a terminal.

    Raises:
        kvs.InvalidURL: the URL is not valid.
        kvs.KvsError: the backend could not be opened.
    """
    out = sys.stdout if out is None else out
    progress = sys.stderr if progress is None else progress
    if live is None:
        live = progress.isatty()
    keys = _Keys(options.keyspace)
    value = b"x" * options.data_size
    operations = _operations(keys, value)
    filler = _Filler(progress)
    async with contextlib.AsyncExitStack() as stack:
        db = await stack.enter_async_context(kvs.connect(options.url))
        layouts: list[tuple[str, list[kvs.Client[str]]]] = [("", [db])]
        if options.connections and parse_url(options.url).backend != "redis":
            print(f"kvs bench: --connections is for Redis; {db.url} is measured on its one "
                  f"client", file=progress, flush=True)
        elif options.connections:
            own = [await stack.enter_async_context(
                kvs.connect(options.url, client_name=f"kvs-bench-{index}"))
                for index in range(options.connections)]
            layouts.append((f" ({options.connections} conns)", own))
        if options.csv:
            print(CSV_HEADER, file=out, flush=True)
        elif not options.quiet:
            print(f"kvs bench on {db.url} ({options.clients} clients, {options.requests} "
                  f"requests per test, pipeline {options.pipeline}, {options.data_size}-byte "
                  f"values)", file=out)
            if options.connections:
                print(f"each test on one multiplexed connection, then on "
                      f"{options.connections} connections", file=out)
            print(_HEADER, file=out, flush=True)
        try:
            while True:
                for test in options.tests:
                    for suffix, clients in layouts:
                        label = test.upper() + suffix
                        result = Result(test)
                        try:
                            await _prepare(db, test, keys, value, requests=options.requests,
                                           filler=filler)
                            await _measure(clients, result, operations[test], options,
                                           progress if live else None)
                        except* kvs.UnsupportedOperation as group:
                            result.skipped = f"{test} is not supported: {_leaf(group)}"
                        show = _csv if options.csv else _quiet if options.quiet else _row
                        print(show(result, label), file=out, flush=True)
                if not options.loop:
                    break
        finally:
            # Best effort: a failure here must not hide the one that ended the run.
            with trio.CancelScope(shield=True), trio.move_on_after(5), \
                    contextlib.suppress(kvs.KvsError):
                names = sorted(keys.used)
                for start in range(0, len(names), 1000):
                    await db.delete(*names[start:start + 1000])
    return 0


def _leaf(group: BaseExceptionGroup[Any]) -> BaseException:
    leaf: BaseException = group
    while isinstance(leaf, BaseExceptionGroup):
        leaf = leaf.exceptions[0]
    return leaf


# -- the command line --------------------------------------------------------------------------

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


def _tests(text: str) -> list[str]:
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in TESTS]
    if unknown or not names:
        what = f"unknown test {', '.join(unknown)}" if unknown else "no test given"
        raise argparse.ArgumentTypeError(f"{what}; choose from {','.join(TESTS)}")
    return list(dict.fromkeys(names))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kvs bench", add_help=False,
        description="A load generator with redis-benchmark's options, on the trio client. "
                    "The server is given by the main options (kvs -h HOST -p PORT bench), "
                    "by -u/--url here, or by -h/-p/-a/--user/--dbnum here.")
    parser.add_argument("--help", action="help", help="show this help and exit")
    parser.add_argument("-u", "--url", metavar="URL", help="the server's URL")
    parser.add_argument("-h", dest="host", metavar="HOST", help="Redis host")
    parser.add_argument("-p", dest="port", type=int, metavar="PORT", help="Redis port")
    parser.add_argument("-s", dest="socket", metavar="SOCKET", help="Redis Unix socket")
    parser.add_argument("-a", dest="password", metavar="PASSWORD", help="Redis password")
    parser.add_argument("--user", metavar="USER", help="Redis ACL user")
    parser.add_argument("--dbnum", type=int, metavar="DB", help="Redis database")
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("-c", "--clients", type=_positive, default=50, metavar="N",
                        help="concurrent client tasks (default 50)")
    parser.add_argument("-n", "--requests", type=_positive, default=10_000, metavar="N",
                        help="commands per test (default 10000)")
    parser.add_argument("-P", "--pipeline", type=_positive, default=1, metavar="N",
                        help="commands per task and step, sent as one pipeline (default 1)")
    parser.add_argument("-d", "--data-size", type=_size, default=3, metavar="N",
                        help="bytes per value written (default 3)")
    parser.add_argument("-r", dest="keyspace", type=_positive, metavar="N",
                        help="random keys among N (default: one key per test)")
    parser.add_argument("-t", "--tests", type=_tests, default=list(DEFAULT_TESTS),
                        metavar="LIST", help=f"comma-separated tests, from {','.join(TESTS)}")
    parser.add_argument("--connections", type=_positive, metavar="N",
                        help="also run every test over N connections of their own")
    parser.add_argument("-q", dest="quiet", action="store_true",
                        help="one line per test: requests per second and p50")
    parser.add_argument("--csv", action="store_true", help="CSV output")
    parser.add_argument("-l", dest="loop", action="store_true", help="loop for ever")
    return parser


def bench_main(argv: list[str], url: str) -> int:
    """``kvs bench ARGS``: parse `argv` and run; `url` is what the main options named."""
    from .options import Options, compose_url

    try:
        parsed = _parser().parse_args(argv)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    server = Options(url=parsed.url, host=parsed.host, port=parsed.port, socket=parsed.socket,
                     user=parsed.user, password=parsed.password, db=parsed.dbnum,
                     tls=parsed.tls, password_option=parsed.password is not None)
    own = any(value is not None for value in (parsed.url, parsed.host, parsed.port,
                                              parsed.socket, parsed.user, parsed.password,
                                              parsed.dbnum)) or parsed.tls
    if own and parsed.url is None and not any(
            (parsed.host, parsed.port, parsed.socket, parsed.tls)):
        server.url = url  # -a/--user/--dbnum alone change the main options' server
    settings = BenchOptions(
        url=compose_url(server) if own else url, clients=parsed.clients,
        requests=parsed.requests, pipeline=parsed.pipeline, data_size=parsed.data_size,
        tests=tuple(parsed.tests), keyspace=parsed.keyspace, connections=parsed.connections,
        quiet=parsed.quiet, csv=parsed.csv, loop=parsed.loop)
    status: int = trio.run(run_bench, settings)
    return status
