"""``kvs bench``: a load generator in the spirit of redis-benchmark, on the trio client.

For each test, ``clients`` tasks share one `kvs.Client` (so they share its connection and its
automatic pipelining) and take commands from a common budget of ``requests`` until it is spent.
With ``pipeline`` N, a task queues N commands on one `kvs.Pipeline` and sends them in one
write (``execute()``), as ``redis-benchmark -P N`` does.  Every command's latency is measured
from the call (the pipeline's start) to its result.

While a test runs, a progress line (test, done/total, ops/s) is redrawn on stderr every 0.2 s
when stderr is a terminal.  Each finished test prints one row of the summary table on stdout:
throughput and the p50/p95/p99/max latency in milliseconds.

Keys live under a fresh ``kvs-bench:<random>:`` prefix and are deleted at the end.  A test the
backend cannot run (lists on Memcached) is reported as skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

import trio

import kvs

__all__ = ["BenchOptions", "Result", "run_bench"]

TESTS = ("get", "set", "incr", "lpush", "lpop", "mget")
DEFAULT_TESTS = TESTS

PROGRESS_INTERVAL = 0.2  # seconds between redraws of the progress line
MGET_KEYS = 10
FILL_CHUNK = 1000  # values per RPUSH when filling the list that LPOP drains

# Called on a client it returns an awaitable; on a pipeline it queues (same method names).
Operation = Callable[[Any], Any]


@dataclass(frozen=True)
class BenchOptions:
    """What to run: see ``kvs bench --help``."""

    url: str
    clients: int = 50
    requests: int = 10_000
    pipeline: int = 1
    data_size: int = 3
    tests: tuple[str, ...] = ("get", "set", "incr", "lpush", "lpop", "mget")


@dataclass
class Result:
    """One test's measurements (latencies in seconds, sorted), or why it was skipped."""

    test: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
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


class _Keys:
    def __init__(self) -> None:
        prefix = f"kvs-bench:{secrets.token_hex(4)}:"
        self.key = prefix + "key"
        self.counter = prefix + "counter"
        self.list = prefix + "list"
        self.many = [f"{prefix}key:{i}" for i in range(MGET_KEYS)]

    def all(self) -> list[str]:
        return [self.key, self.counter, self.list, *self.many]


def _operations(keys: _Keys, value: bytes) -> dict[str, Operation]:
    return {
        "get": lambda db: db.get(keys.key),
        "set": lambda db: db.set(keys.key, value),
        "incr": lambda db: db.incr(keys.counter),
        "lpush": lambda db: db.lpush(keys.list, value),
        "lpop": lambda db: db.lpop(keys.list),
        "mget": lambda db: db.mget(keys.many),
    }


async def _prepare(db: kvs.Client[str], test: str, keys: _Keys, value: bytes,
                   requests: int) -> None:
    """Give the test something to read: a value for GET and MGET, a full list for LPOP."""
    if test == "get":
        await db.set(keys.key, value)
    elif test == "mget":
        await db.mset(dict.fromkeys(keys.many, value))
    elif test == "lpop":
        await db.delete(keys.list)
        for start in range(0, requests, FILL_CHUNK):
            await db.rpush(keys.list, *[value] * min(FILL_CHUNK, requests - start))


async def _measure(db: kvs.Client[str], result: Result, operation: Operation,
                   options: BenchOptions, progress: TextIO | None) -> None:
    latencies = result.latencies
    issued = 0

    async def one() -> None:
        started = time.perf_counter()
        await operation(db)
        latencies.append(time.perf_counter() - started)

    async def pipelined(batch: int) -> None:
        started = time.perf_counter()
        pipe = db.pipeline()
        for _ in range(batch):
            operation(pipe)
        await pipe.execute()
        latencies.extend([time.perf_counter() - started] * batch)

    async def client() -> None:
        nonlocal issued
        while issued < options.requests:
            batch = min(options.pipeline, options.requests - issued)
            issued += batch  # no await since the check: the budget is never overspent
            if batch == 1:
                await one()
            else:
                await pipelined(batch)

    started = time.perf_counter()
    async with trio.open_nursery() as nursery:
        if progress is not None:
            nursery.start_soon(_show_progress, result, options.requests, started, progress)
        async with trio.open_nursery() as clients:
            for _ in range(options.clients):
                clients.start_soon(client)
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


_HEADER = f"{'test':<8}{'ops/s':>12}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}"


def _row(result: Result) -> str:
    if result.skipped is not None:
        return f"{result.test.upper():<8}  skipped: {result.skipped}"
    cells = [result.percentile(p) * 1000 for p in (50, 95, 99, 100)]
    return (f"{result.test.upper():<8}{result.ops_per_second:>12,.0f}"
            + "".join(f"{cell:>10.3f}" for cell in cells))


async def run_bench(options: BenchOptions, out: TextIO | None = None,
                    progress: TextIO | None = None, *, live: bool | None = None) -> int:
    """Run the tests of `options`, print the summary table; return an exit status (0).

    Args:
        options: URL, clients, requests, pipeline, data size and tests.
        out: where the summary goes (default stdout).
        progress: where the progress line goes (default stderr).
        live: show the progress line; by default only when `progress` is a terminal.

    Raises:
        kvs.InvalidURL: the URL is not valid.
        kvs.KvsError: the backend could not be opened or failed during a test.
    """
    out = sys.stdout if out is None else out
    progress = sys.stderr if progress is None else progress
    if live is None:
        live = progress.isatty()
    keys = _Keys()
    value = b"x" * options.data_size
    operations = _operations(keys, value)
    async with kvs.connect(options.url) as db:
        print(f"kvs bench on {db.url} ({options.clients} clients, {options.requests} requests "
              f"per test, pipeline {options.pipeline}, {options.data_size}-byte values)",
              file=out)
        print(_HEADER, file=out, flush=True)
        try:
            for test in options.tests:
                result = Result(test)
                try:
                    await _prepare(db, test, keys, value, options.requests)
                    await _measure(db, result, operations[test], options,
                                   progress if live else None)
                except* kvs.UnsupportedOperation as group:
                    result.skipped = str(_leaf(group))
                print(_row(result), file=out, flush=True)
        finally:
            # Best effort: a failure here must not hide the one that ended the run.
            with trio.CancelScope(shield=True), trio.move_on_after(5), \
                    contextlib.suppress(kvs.KvsError):
                await db.delete(*keys.all())
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
        description="A load generator with redis-benchmark's options, on the trio client.")
    parser.add_argument("--help", action="help", help="show this help and exit")
    parser.add_argument("--url", "-u", metavar="URL", help="the server (default: the main "
                        "options' URL, $KVS_URL, else :memory:)")
    parser.add_argument("-c", "--clients", type=_positive, default=50, metavar="N",
                        help="concurrent client tasks (default 50)")
    parser.add_argument("-n", "--requests", type=_positive, default=10_000, metavar="N",
                        help="commands per test (default 10000)")
    parser.add_argument("-P", "--pipeline", type=_positive, default=1, metavar="N",
                        help="commands per task and step, sent as one pipeline (default 1)")
    parser.add_argument("-d", "--data-size", type=_size, default=3, metavar="N",
                        help="bytes per value written (default 3)")
    parser.add_argument("-t", "--tests", type=_tests, default=list(DEFAULT_TESTS),
                        metavar="LIST", help=f"comma-separated tests, from {','.join(TESTS)}")
    return parser


def bench_main(argv: list[str], url: str) -> int:
    """``kvs bench ARGS``: parse `argv` and run; `url` is what the main options named."""
    try:
        options = _parser().parse_args(argv)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    settings = BenchOptions(url=options.url or url, clients=options.clients,
                            requests=options.requests, pipeline=options.pipeline,
                            data_size=options.data_size, tests=tuple(options.tests))
    status: int = trio.run(run_bench, settings)
    return status
