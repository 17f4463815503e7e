"""SCAN over a large keyspace: the in-process store against fakeredis, pinned to one CPU.

    .venv/bin/python bench/memory_scan.py               # 1k, 10k, 100k keys, COUNT 10; 3 rounds
    .venv/bin/python bench/memory_scan.py --quick       # 1 round
    .venv/bin/python bench/memory_scan.py --sizes 100000 --count 1000 --rounds 5

Each child fills its store with N string keys, then times whole iterations (SCAN 0 ... until
the cursor is 0) with the given COUNT and reports keys per second, with the mean cost of one
call in the note.  The contenders: the store's own ``Store.execute`` (argv in, raw reply out),
the same store through ``kvs.sync`` (``db.execute("SCAN", ...)``: the client's encoding and
decoding included), and ``fakeredis.FakeRedis().scan``.  As in bench/memory.py every
(contender, size, round) is a fresh process pinned with ``taskset``, contenders alternate,
and each size gets a table of medians (min-max) with the ratio to fakeredis.  A cost per call
that stays flat from 1k to 100k keys is what shows a call is O(COUNT), not O(n).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Series,
    Workload,
    format_table,
    pinned,
    print_failures_and_total,
    run_rounds,
    use_repo_packages,
)

CONTENDERS = {
    "ours-store": "ours Store.execute",
    "ours-sync": "ours kvs.sync execute",
    "fakeredis": "fakeredis.FakeRedis",
}
BASES = ("fakeredis",)
MIN_SECONDS = 1.0  # each child repeats whole iterations for at least this long


def keys_for(n: int) -> list[bytes]:
    return [b"bench:scan:%07d" % i for i in range(n)]


def time_iterations(scan: Callable[[Any], tuple[Any, list[Any]]], n: int) -> tuple[float, float]:
    """Whole iterations, repeated for at least MIN_SECONDS: (keys per second, µs per call)."""
    _, batch = scan(0)  # warm-up: one call
    assert isinstance(batch, list) and batch, "SCAN returned nothing"
    keys = calls = 0
    started = time.perf_counter()
    while True:
        cursor: Any = 0
        while True:
            cursor, batch = scan(cursor)
            keys += len(batch)
            calls += 1
            if cursor in (0, b"0", "0"):
                break
        elapsed = time.perf_counter() - started
        if elapsed >= MIN_SECONDS:
            break
    assert keys % n == 0, f"an iteration returned {keys} keys for {n}"
    return keys / elapsed, elapsed / calls * 1e6


def child(contender: str, n: int, count: int) -> None:
    use_repo_packages()
    names = keys_for(n)
    scan: Callable[[Any], tuple[Any, list[Any]]]
    if contender == "ours-store":
        from kvs.memory.store import Store

        store = Store()
        store.execute((b"MSET", *[w for k in names for w in (k, b"v")]))
        count_arg = b"%d" % count

        def scan(cursor: Any) -> tuple[Any, list[Any]]:
            cursor_arg = cursor if isinstance(cursor, bytes) else b"%d" % cursor
            reply = store.execute((b"SCAN", cursor_arg, b"COUNT", count_arg))
            return reply[0], reply[1]
    elif contender == "ours-sync":
        import kvs.sync

        db = kvs.sync.connect(f"memory://bench-scan-{os.getpid()}", decode=False)
        db.__enter__()
        db.mset(dict.fromkeys(names, b"v"))

        def scan(cursor: Any) -> tuple[Any, list[Any]]:
            reply = db.execute("SCAN", cursor, "COUNT", count)
            return reply[0], reply[1]
    elif contender == "fakeredis":
        import fakeredis

        client: Any = fakeredis.FakeRedis()
        client.mset(dict.fromkeys(names, b"v"))

        def scan(cursor: Any) -> tuple[Any, list[Any]]:
            cursor, batch = client.scan(cursor, count=count)
            return cursor, batch
    else:
        raise SystemExit(f"unknown contender {contender!r}")
    rate, per_call = time_iterations(scan, n)
    print(json.dumps({"contender": contender, "rate": rate,
                      "note": f"{per_call:.1f} µs/call"}), flush=True)


def drive(args: argparse.Namespace) -> None:
    names = list(CONTENDERS)
    if importlib.util.find_spec("fakeredis") is None:
        print("left out: fakeredis: not installed (pip install fakeredis: bench extra)")
        names.remove("fakeredis")
    try:
        fake_version = importlib.metadata.version("fakeredis")
    except importlib.metadata.PackageNotFoundError:
        fake_version = "(absent)"
    print(f"# memory_scan.py: clients on CPU {args.cpu}; {args.rounds} round(s); COUNT "
          f"{args.count}")
    print(f"# fakeredis {fake_version}; Python {sys.version.split()[0]}; "
          f"load average at start {os.getloadavg()[0]:.2f}\n")
    started = time.monotonic()
    results: dict[str, dict[str, Series]] = {}
    for n in args.sizes:

        def argv_for(name: str, n: int = n) -> list[str]:
            return pinned([sys.executable, str(Path(__file__).resolve()), "--contender", name,
                           "--n", str(n), "--count", str(args.count)], args.cpu)

        label = f"SCAN {n:,} keys"
        per = results[label] = run_rounds(names, args.rounds, label, argv_for, args.timeout)
        workload = Workload(label, f"whole SCAN iterations over {n:,} keys", n, "keys/s")
        print(f"## {label}, COUNT {args.count}\n")
        print(format_table(workload, per, CONTENDERS, [b for b in BASES if b in per]))
        print(flush=True)
    print(f"# load average at end {os.getloadavg()[0]:.2f}")
    print_failures_and_total(results, CONTENDERS, started)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                   default=[1000, 10_000, 100_000], help="key counts (default 1000,10000,100000)")
    p.add_argument("--count", type=int, default=10, help="SCAN's COUNT (default 10)")
    p.add_argument("--rounds", type=int, default=None, help="rounds (default 3; --quick 1)")
    p.add_argument("--quick", action="store_true", help="1 round")
    p.add_argument("--cpu", type=int, default=0, help="CPU to pin to (default 0)")
    p.add_argument("--timeout", type=float, default=300.0,
                   help="seconds before a child run counts as hung (default 300)")
    p.add_argument("--contender", help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.contender:
        child(args.contender, args.n, args.count)
    else:
        drive(args)


if __name__ == "__main__":
    main()
