"""Sorted sets and HyperLogLog in the in-process store against fakeredis, pinned to one CPU.

    .venv/bin/python bench/memory_types.py                # every workload, 3 rounds
    .venv/bin/python bench/memory_types.py --rounds 5 --only ZADD,ZRANK

The store is driven through ``Store.execute`` (argv in, raw reply out), since the client
has no sorted-set or HyperLogLog methods yet; fakeredis through ``execute_command`` of its
redis-py client, the layer its users call.  As in bench/memory.py, each (contender,
workload, round) is a fresh process pinned with ``taskset``, the contenders alternate round
by round, and each workload gets the median (min-max) and the ratio to fakeredis.

Workloads:
- ZADD: 10,000 ZADDs of one new member each into one key.
- ZRANGE: ZRANGE key 0 99 WITHSCORES on a 10,000-member set, 2,000 times.
- ZRANK: ZRANK of random members of a 10,000-member set, 20,000 times.
- PFADD: 100,000 PFADDs of one element each into one key, then one PFCOUNT.
- ZADD@n, ZRANK@n (n = 1k, 10k, 100k): the cost of one ZADD of a new member (10,000 of
  them, in batches of 500 that are removed again, untimed, so the set stays near n), and of
  one ZRANK (20,000), into or of a set of n members; in microseconds per operation, to show
  how it grows with n.  ZSCORE@n, a hash lookup whatever n, is the control: what it gains
  with n is the cost of a larger heap (cache misses), not of the algorithm.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import human, pinned, run_rounds, use_repo_packages

CONTENDERS = {"ours": "ours (Store.execute)", "fakeredis": "fakeredis.FakeStrictRedis"}
SIZES = (1_000, 10_000, 100_000)
THROUGHPUT = ("ZADD", "ZRANGE", "ZRANK", "PFADD")
SCALING = tuple(f"{w}@{n}" for w in ("ZADD", "ZRANK", "ZSCORE") for n in SIZES)
WORKLOADS = THROUGHPUT + SCALING


def _executor(contender: str) -> Callable[..., Any]:
    if contender == "ours":
        use_repo_packages()
        from kvs.memory.store import Store

        store = Store()
        return lambda *argv: store.execute(argv)
    import fakeredis

    client = fakeredis.FakeStrictRedis()
    execute: Callable[..., Any] = client.execute_command
    return execute


def _members(n: int, prefix: bytes = b"m") -> list[tuple[bytes, bytes]]:
    rnd = random.Random(n)
    return [(b"%d" % rnd.randrange(10**9), prefix + b"%d" % i) for i in range(n)]


def _fill(run: Callable[..., Any], key: bytes, n: int) -> list[bytes]:
    pairs = _members(n)
    for i in range(0, n, 1000):
        run(b"ZADD", key, *(w for pair in pairs[i : i + 1000] for w in pair))
    return [member for _, member in pairs]


def measure(contender: str, workload: str) -> tuple[float, str]:
    """(rate, unit): operations per second, or microseconds per operation for scaling."""
    run = _executor(contender)
    clock = time.perf_counter
    if workload == "ZADD":
        pairs = _members(10_000)
        start = clock()
        for score, member in pairs:
            run(b"ZADD", b"z", score, member)
        return len(pairs) / (clock() - start), "ops/s"
    if workload in ("ZRANGE", "ZRANK"):
        members = _fill(run, b"z", 10_000)
        if workload == "ZRANGE":
            start = clock()
            for _ in range(2_000):
                run(b"ZRANGE", b"z", b"0", b"99", b"WITHSCORES")
            return 2_000 / (clock() - start), "ops/s"
        picks = random.Random(1).choices(members, k=20_000)
        start = clock()
        for member in picks:
            run(b"ZRANK", b"z", member)
        return len(picks) / (clock() - start), "ops/s"
    if workload == "PFADD":
        elements = [b"visitor:%d" % i for i in range(100_000)]
        start = clock()
        for element in elements:
            run(b"PFADD", b"h", element)
        count = run(b"PFCOUNT", b"h")
        elapsed = clock() - start
        assert abs(count - 100_000) < 3_000, count
        return (len(elements) + 1) / elapsed, "ops/s"
    name, _, size = workload.partition("@")
    n = int(size)
    members = _fill(run, b"z", n)
    if name == "ZADD":
        # Batches of 500 new members, each removed again (untimed), so n stays near n.
        new = _members(500, prefix=b"new")
        elapsed = 0.0
        for _ in range(20):
            start = clock()
            for score, member in new:
                run(b"ZADD", b"z", score, member)
            elapsed += clock() - start
            run(b"ZREM", b"z", *(member for _, member in new))
        return elapsed / (20 * len(new)) * 1e6, "us/op"
    picks = random.Random(2).choices(members, k=20_000)
    command = name.encode()  # ZRANK, or ZSCORE: a dict lookup, the control
    start = clock()
    for member in picks:
        run(command, b"z", member)
    return (clock() - start) / len(picks) * 1e6, "us/op"


def drive(args: argparse.Namespace) -> None:
    workloads = [w.strip().upper() for w in args.only.split(",")] if args.only else WORKLOADS
    chosen = [w for w in WORKLOADS if w in workloads or w.partition("@")[0] in workloads]
    print(f"# memory_types.py: pinned to CPU {args.cpu}; {args.rounds} round(s); fakeredis "
          f"{importlib.metadata.version('fakeredis')}; Python {sys.version.split()[0]}")
    print(f"# load average at start {os.getloadavg()[0]:.2f}\n")
    print("| workload | ours | fakeredis | ours / fakeredis |")
    print("|---|---|---|---|")
    for workload in chosen:
        def argv_for(name: str, workload: str = workload) -> list[str]:
            return pinned([sys.executable, __file__, "--child", name, "--workload", workload],
                          args.cpu)  # fmt: skip

        per = run_rounds(list(CONTENDERS), args.rounds, workload, argv_for, args.timeout)
        ours, fake = per["ours"].rates, per["fakeredis"].rates
        if not ours or not fake:
            print(f"| {workload} | failed | | |")
            continue
        per_op = "@" in workload  # microseconds: lower is better
        ratio = statistics.median(fake) / statistics.median(ours) if per_op else (
            statistics.median(ours) / statistics.median(fake))  # fmt: skip
        unit = " us/op" if per_op else " ops/s"

        def cell(rates: list[float], unit: str = unit) -> str:
            return (f"{human(statistics.median(rates))}{unit} "
                    f"({human(min(rates))}-{human(max(rates))})")  # fmt: skip

        print(f"| {workload} | {cell(ours)} | {cell(fake)} | {ratio:.1f}x |", flush=True)
    print(f"\n# load average at end {os.getloadavg()[0]:.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--only", help="comma-separated workloads (ZADD, ZRANGE, ZRANK, PFADD, "
                   "ZADD@1000, ...; a bare ZADD or ZRANK also selects its scaling rows)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cpu", type=int, default=0)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--workload", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        rate, unit = measure(args.child, args.workload)
        print(json.dumps({"contender": args.child, "workload": args.workload, "rate": rate,
                          "unit": unit}))  # fmt: skip
    else:
        drive(args)


if __name__ == "__main__":
    main()
