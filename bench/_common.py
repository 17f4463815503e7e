"""Shared machinery of the benchmarks: workloads, timing, pinning, alternation, tables.

Theory of operation
-------------------
A benchmark script runs in two roles.  As the *driver* it starts one child process per
(contender, workload, round), pinned with ``taskset`` to one CPU, in the order
A B C A B C ... (every contender once per round, the rounds one after another), and
collects one JSON line from each child.  As the *child* (``--contender NAME --workload S1``)
it imports only what that contender needs, checks one reply against the data it must
return, warms up, times the workload with ``time.perf_counter`` and prints ``{"ops": ...,
"seconds": ..., "rate": ...}``.  Every reply the timed loop receives is kept (one list
append per operation, the same for every contender) and checked afterwards, outside the
timed region: a checksum of all of them must equal the checksum of what the data implies,
or the round fails.  A client that returned ``[None] * 100`` fast would not pass.

So every figure comes from a fresh interpreter (no state leaks between contenders), imports
and connection set-up are never inside the timed region, and a crash or a hang in one
contender is reported in the output instead of ending the run.

The workload code here is written once against two small adapters (`AsyncApi`, `SyncApi`):
each contender only says how to GET, MGET, LRANGE, HGETALL and batch.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def use_repo_packages() -> None:
    """Make ``import kvs`` / ``import resp`` resolve to this checkout."""
    root = str(REPO_ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)


# --- workloads and their data ----------------------------------------------------------

S1_KEY = "bench:s1"
MGET_KEYS = [f"bench:k:{i}" for i in range(100)]
LIST_KEY = "bench:list"
BIG_KEY = "bench:big"
HASH_KEY = "bench:hash"

VALUE_100 = bytes(97 + i % 26 for i in range(100))
BIG_VALUE = bytes(i % 251 for i in range(2**20))
LIST_ITEMS = [b"item%06d" % i for i in range(1000)]  # 10 bytes each
HASH_FIELDS = {b"field%05d" % i: b"value%05d" % i for i in range(100)}  # 10 + 10 bytes

# The same shapes with lengths that vary as real data does (seeded: every run is the same).
_ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-."
_rng = random.Random(2024)


def _text(low: int, high: int) -> bytes:
    return bytes(_rng.choices(_ALPHABET, k=_rng.randint(low, high)))


MGET_KEYS_V = [f"bench:kv:{i}" for i in range(100)]
MGET_VALUES_V = [_text(1, 200) for _ in MGET_KEYS_V]
LIST_KEY_V = "bench:list:v"
LIST_ITEMS_V = [_text(1, 200) for _ in range(1000)]
HASH_KEY_V = "bench:hash:v"
HASH_FIELDS_V: dict[bytes, bytes] = {}
while len(HASH_FIELDS_V) < 100:
    HASH_FIELDS_V[_text(3, 20)] = _text(1, 500)

S3_TASKS = 64
S3_THREADS = 8
S2_BATCH = 100


@dataclass(frozen=True)
class Workload:
    """One benchmark scenario: `count` repetitions of an operation, `per_op` results each."""

    name: str
    title: str
    count: int
    unit: str
    per_op: int = 1  # results counted per repetition (S2: GETs per pipeline)

    def scaled(self, scale: float) -> int:
        return max(1, round(self.count * scale))


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("S1", "20,000 sequential GETs of 100 B on one connection", 20_000, "GET/s"),
        Workload("S2", "200 pipelines of 100 GETs", 200, "GET/s", per_op=S2_BATCH),
        Workload("S3", "64 tasks x 300 GETs sharing one client", 300, "GET/s",
                 per_op=S3_TASKS),
        Workload("S4", "1,000 MGETs of 100 keys", 1_000, "MGET/s"),
        Workload("S5", "500 LRANGE 0 -1 of a 1,000 x 10 B list", 500, "LRANGE/s"),
        Workload("S6", "200 GETs of a 1 MiB value", 200, "MiB/s"),
        Workload("S7", "1,000 HGETALL of 100 fields x 10 B", 1_000, "HGETALL/s"),
        Workload("S4v", "1,000 MGETs of 100 keys, values of 1-200 B", 1_000, "MGET/s"),
        Workload("S5v", "500 LRANGE 0 -1 of a 1,000-item list, items of 1-200 B", 500,
                 "LRANGE/s"),
        Workload("S7v", "1,000 HGETALL of 100 fields of 3-20 B, values of 1-500 B", 1_000,
                 "HGETALL/s"),
    )
}


def seed_commands() -> list[list[bytes]]:
    """The commands that load every workload's data into an empty store."""
    cmds: list[list[bytes]] = [[b"SET", S1_KEY.encode(), VALUE_100]]
    cmds += [[b"SET", k.encode(), VALUE_100] for k in MGET_KEYS]
    cmds.append([b"SET", BIG_KEY.encode(), BIG_VALUE])
    cmds.append([b"RPUSH", LIST_KEY.encode(), *LIST_ITEMS])
    hset: list[bytes] = [b"HSET", HASH_KEY.encode()]
    for f, v in HASH_FIELDS.items():
        hset += [f, v]
    cmds.append(hset)
    cmds += [[b"SET", k.encode(), v] for k, v in zip(MGET_KEYS_V, MGET_VALUES_V, strict=True)]
    cmds.append([b"RPUSH", LIST_KEY_V.encode(), *LIST_ITEMS_V])
    hset = [b"HSET", HASH_KEY_V.encode()]
    for f, v in HASH_FIELDS_V.items():
        hset += [f, v]
    cmds.append(hset)
    return cmds


def sample(reply: Any) -> Any:
    """What S6's timed loop keeps of a 1 MiB reply: its length, every 4099th byte, its end.

    Keeping 200 whole MiB would make S6 measure page faults (no buffer is reused), so its
    loop keeps this sample instead; the first reply is compared whole (`check_reply`).
    """
    if isinstance(reply, (bytes, bytearray, memoryview)):
        return [len(reply), bytes(reply[::4099]), bytes(reply[-64:])]
    return reply


def expected_reply(workload: str) -> Any:
    """What one operation of the workload must return, in `canonical` form."""
    if workload == "S6+":
        return canonical(sample(BIG_VALUE))
    value: Any = {
        "S1": VALUE_100, "S3": VALUE_100, "S2": [VALUE_100] * S2_BATCH,
        "S4": [VALUE_100] * len(MGET_KEYS), "S4v": MGET_VALUES_V,
        "S5": LIST_ITEMS, "S5v": LIST_ITEMS_V, "S6": BIG_VALUE,
        "S7": HASH_FIELDS, "S7v": HASH_FIELDS_V,
    }[workload]
    return canonical(value)


def _keeper(workload: str, received: list[Any]) -> tuple[Callable[[Any], None], str]:
    """How the timed loop keeps a reply, and the name its replies are checked under."""
    if workload == "S6":
        append = received.append
        return (lambda reply: append(sample(reply))), "S6+"
    return received.append, workload


def canonical(value: Any) -> Any:
    """A reply in one form for every client: bytes, lists, a hash as its sorted pairs."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict):
        return sorted((canonical(k), canonical(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def _fold(crc: int, value: Any) -> int:
    if isinstance(value, bytes):
        return zlib.crc32(value, zlib.crc32(b"\0b%d:" % len(value), crc))
    if isinstance(value, (list, tuple)):
        crc = zlib.crc32(b"\0l%d:" % len(value), crc)
        for item in value:
            crc = _fold(crc, item)
        return crc
    return zlib.crc32(b"\0r" + repr(value).encode(), crc)


def checksum(replies: Sequence[Any]) -> int:
    """A CRC-32 over every reply (in canonical form), lengths and nesting included."""
    crc = zlib.crc32(b"%d" % len(replies))
    for reply in replies:
        crc = _fold(crc, canonical(reply))
    return crc


def check_reply(workload: str, reply: Any) -> None:
    """Fail loudly when one reply is not exactly what the workload's data implies."""
    got = canonical(reply)
    if got != expected_reply(workload):
        raise RuntimeError(f"{workload}: unexpected reply {str(got)[:120]!r}")


def check_replies(workload: str, replies: Sequence[Any], count: int) -> None:
    """Fail the round unless the timed loop received `count` right replies (by checksum)."""
    want = expected_reply(workload)
    crc = zlib.crc32(b"%d" % count)
    for _ in range(count):
        crc = _fold(crc, want)
    if len(replies) != count or checksum(replies) != crc:
        bad = next((i for i, r in enumerate(replies) if canonical(r) != want), None)
        raise RuntimeError(f"{workload}: the timed loop received {len(replies)} replies, "
                           f"{count} expected; checksum mismatch (first wrong reply: {bad})")


# --- the adapters each contender fills in ---------------------------------------------

AsyncOp = Callable[[], Awaitable[Any]]


@dataclass
class AsyncApi:
    """How one async contender performs each workload's operation."""

    get: Callable[[str], Awaitable[Any]]
    mget: Callable[[list[str]], Awaitable[Any]]
    lrange: Callable[[str], Awaitable[Any]]
    hgetall: Callable[[str], Awaitable[Any]]
    gather: Callable[[list[AsyncOp]], Awaitable[None]]
    batch: Callable[[list[str]], Awaitable[Any]] | None = None  # S2; None: not supported
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class SyncApi:
    """How one blocking contender performs each workload's operation."""

    get: Callable[[str], Any]
    mget: Callable[[list[str]], Any]
    lrange: Callable[[str], Any]
    hgetall: Callable[[str], Any]
    batch: Callable[[list[str]], Any] | None = None
    notes: dict[str, str] = field(default_factory=dict)


def _warmup_count(n: int) -> int:
    return max(1, min(500, n // 20))


def _operation(api: AsyncApi | SyncApi, workload: str) -> Callable[[], Any]:
    """The one operation a workload repeats, for either kind of contender."""
    if workload in ("S1", "S3"):
        return lambda: api.get(S1_KEY)
    if workload == "S2":
        batch = api.batch
        if batch is None:
            raise NotImplementedError("S2: no pipeline or batch API")
        return lambda: batch(MGET_KEYS)
    if workload == "S4":
        return lambda: api.mget(MGET_KEYS)
    if workload == "S5":
        return lambda: api.lrange(LIST_KEY)
    if workload == "S6":
        return lambda: api.get(BIG_KEY)
    if workload == "S7":
        return lambda: api.hgetall(HASH_KEY)
    if workload == "S4v":
        return lambda: api.mget(MGET_KEYS_V)
    if workload == "S5v":
        return lambda: api.lrange(LIST_KEY_V)
    if workload == "S7v":
        return lambda: api.hgetall(HASH_KEY_V)
    raise ValueError(workload)


async def measure_async(api: AsyncApi, workload: str, n: int) -> float:
    """Check, warm up, then time `n` repetitions; returns seconds.

    S3 runs `S3_TASKS` concurrent tasks of `n` GETs each through ``api.gather``.
    Every reply of the timed loop is checked afterwards (`check_replies`).
    """
    op = _operation(api, workload)
    check_reply(workload, await op())
    for _ in range(_warmup_count(n)):
        await op()
    received: list[Any] = []
    keep, kept_as = _keeper(workload, received)
    if workload == "S3":
        async def worker() -> None:
            for _ in range(n):
                keep(await op())

        t0 = time.perf_counter()
        await api.gather([worker] * S3_TASKS)
        elapsed = time.perf_counter() - t0
        check_replies(workload, received, n * S3_TASKS)
        return elapsed
    t0 = time.perf_counter()
    for _ in range(n):
        keep(await op())
    elapsed = time.perf_counter() - t0
    check_replies(kept_as, received, n)
    return elapsed


def measure_sync(api: SyncApi, workload: str, n: int) -> float:
    """Blocking twin of `measure_async`; S3 uses `S3_THREADS` threads sharing the client."""
    op = _operation(api, workload)
    check_reply(workload, op())
    for _ in range(_warmup_count(n)):
        op()
    received: list[Any] = []
    keep, kept_as = _keeper(workload, received)
    if workload == "S3":
        per_thread = n * S3_TASKS // S3_THREADS
        start = threading.Barrier(S3_THREADS + 1)
        errors: list[BaseException] = []

        def worker() -> None:
            start.wait()
            try:
                for _ in range(per_thread):
                    keep(op())  # list.append is atomic under the GIL
            except BaseException as exc:  # reported by the driver
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(S3_THREADS)]
        for t in threads:
            t.start()
        start.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        if errors:
            raise errors[0]
        check_replies(workload, received, per_thread * S3_THREADS)
        return elapsed
    t0 = time.perf_counter()
    for _ in range(n):
        keep(op())
    elapsed = time.perf_counter() - t0
    check_replies(kept_as, received, n)
    return elapsed


def emit(contender: str, workload: str, n: int, seconds: float,
         note: str = "") -> None:
    """Print the child's one JSON line: the rate in the workload's unit."""
    w = WORKLOADS[workload]
    ops = n * w.per_op
    print(json.dumps({"contender": contender, "workload": workload, "ops": ops,
                      "seconds": seconds, "rate": ops / seconds, "unit": w.unit,
                      "note": note}), flush=True)


# --- processes: pinning, ports, children ------------------------------------------------

def pinned(argv: Sequence[str], cpu: int | None) -> list[str]:
    """`argv` prefixed with ``taskset -c CPU`` (unchanged when cpu is None or no taskset)."""
    if cpu is None or shutil.which("taskset") is None:
        return list(argv)
    return ["taskset", "-c", str(cpu), *argv]


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ChildResult:
    """What one child run gave: a rate, or the reason it has none."""

    rate: float | None
    note: str = ""
    error: str = ""


def run_child(argv: Sequence[str], timeout: float) -> ChildResult:
    """Run one child; its last stdout line must be the JSON of `emit`."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr if isinstance(exc.stderr, str) else (exc.stderr or b"").decode()
        return ChildResult(None, error=f"no result after {timeout:.0f} s (killed)\n{err}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return ChildResult(None, error=(f"exit status {proc.returncode}\n"
                                        f"{proc.stderr.strip() or proc.stdout.strip()}"))
    data = json.loads(lines[-1])
    if "skip" in data:
        return ChildResult(None, error=str(data["skip"]))
    return ChildResult(float(data["rate"]), note=str(data.get("note", "")))


def alternate(contenders: Sequence[str], rounds: int) -> Iterator[tuple[int, str]]:
    """A B C A B C ...: every contender once per round, rounds in sequence."""
    for r in range(rounds):
        for c in contenders:
            yield r, c


# --- results and tables ---------------------------------------------------------------

@dataclass
class Series:
    """Every rate one contender gave on one workload, plus anything that went wrong."""

    rates: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.rates) if self.rates else None


def human(x: float) -> str:
    """3 significant figures with a k/M suffix: 19.9k, 997, 1.72M."""
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def format_table(workload: Workload, series: Mapping[str, Series],
                 labels: Mapping[str, str], bases: Sequence[str]) -> str:
    """A Markdown table: contender, median (min-max), and the ratio to each base.

    A ratio above 1 means the contender is faster than the base.
    """
    head = ["contender", f"median {workload.unit} (min-max)",
            *(f"x {labels.get(b, b)}" for b in bases), "n", "note"]
    rows = [head, ["---"] * len(head)]
    for name, s in series.items():
        med = s.median
        if med is None:
            reason = s.errors[0].splitlines()[0] if s.errors else "not run"
            rows.append([labels.get(name, name), "failed" if s.errors else "-",
                         *("" for _ in bases), "0", reason[:90]])
            continue
        cells = [labels.get(name, name),
                 f"{human(med)} ({human(min(s.rates))}-{human(max(s.rates))})"]
        for b in bases:
            bm = series[b].median if b in series else None
            cells.append(f"{med / bm:.2f}" if bm else "")
        note = s.note
        if s.errors:
            note = (note + "; " if note else "") + f"{len(s.errors)} run(s) failed"
        cells += [str(len(s.rates)), note]
        rows.append(cells)
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def failure_report(results: Mapping[str, Mapping[str, Series]],
                   labels: Mapping[str, str]) -> str:
    """Every distinct failure, with the last lines of its output (tracebacks included)."""
    out: list[str] = []
    for wl, per in results.items():
        for name, s in per.items():
            for err in dict.fromkeys(s.errors):  # distinct, in order
                tail = "\n".join(err.strip().splitlines()[-25:])
                out.append(f"--- {wl} / {labels.get(name, name)} ---\n{tail}")
    return "\n".join(out)


def progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_rounds(names: Sequence[str], rounds: int, workload: str,
               argv_for: Callable[[str], list[str]], timeout: float) -> dict[str, Series]:
    """Run every contender's child process `rounds` times, alternated; a series per name."""
    per: dict[str, Series] = {name: Series() for name in names}
    for rnd, name in alternate(list(names), rounds):
        res = run_child(argv_for(name), timeout)
        series = per[name]
        if res.rate is None:
            series.errors.append(res.error)
            progress(f"  {workload} round {rnd + 1} {name}: FAILED "
                     f"({res.error.splitlines()[0] if res.error else '?'})")
        else:
            series.rates.append(res.rate)
            series.note = series.note or res.note
            progress(f"  {workload} round {rnd + 1} {name}: {res.rate:,.0f}")
    return per


def print_failures_and_total(results: Mapping[str, Mapping[str, Series]],
                             labels: Mapping[str, str], started: float) -> None:
    report = failure_report(results, labels)
    if report:
        print("## Failures\n\n```\n" + report + "\n```")
    print(f"# total {time.monotonic() - started:.0f} s")


async def trio_gather(fns: list[AsyncOp]) -> None:
    """Run the operations as concurrent trio tasks and wait for all of them."""
    import trio

    async with trio.open_nursery() as nursery:
        for fn in fns:
            nursery.start_soon(fn)
