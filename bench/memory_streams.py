"""Streams in the in-process store against fakeredis, pinned to one CPU.

    .venv/bin/python bench/memory_streams.py                # every workload, 3 rounds
    .venv/bin/python bench/memory_streams.py --rounds 5 --only XADD16,XRANGE

The store is driven through ``Store.execute`` (argv in, raw reply out), fakeredis through
``execute_command`` of its redis-py client (in process, no server), as in
bench/memory_types.py: each (contender, workload, round) is a fresh process pinned with
``taskset``, the contenders alternate round by round, and each workload gets the median
(min-max) and the ratio to fakeredis.

Workloads (ids ``*``, as an application adds entries):
- XADD16: 20,000 XADDs of one field of 16 bytes.
- XADD256x4: 20,000 XADDs of four fields of 256 bytes.
- XADD4K: 5,000 XADDs of one field of 4 KiB.
- XADDMAXLEN: 20,000 XADDs of one 16-byte field with ``MAXLEN ~ 1000``.
- XRANGE: ``XRANGE s <random id> + COUNT 100`` on a 10,000-entry stream (two 32-byte
  fields), 2,000 times.
- XREADGROUP: 10,000 entries read by one consumer of a group, ``COUNT 100`` then an XACK of
  the 100 ids, per entry.
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
WORKLOADS = ("XADD16", "XADD256x4", "XADD4K", "XADDMAXLEN", "XRANGE", "XREADGROUP")


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


def _adds(run: Callable[..., Any], n: int, fields: list[bytes], *options: bytes) -> float:
    clock = time.perf_counter
    start = clock()
    for _ in range(n):
        run(b"XADD", b"s", *options, b"*", *fields)
    return n / (clock() - start)


def measure(contender: str, workload: str) -> float:
    """Operations (or entries, for XREADGROUP) per second."""
    run = _executor(contender)
    clock = time.perf_counter
    if workload == "XADD16":
        return _adds(run, 20_000, [b"payload", b"x" * 16])
    if workload == "XADD256x4":
        fields = [w for i in range(4) for w in (b"field%d" % i, b"y" * 256)]
        return _adds(run, 20_000, fields)
    if workload == "XADD4K":
        return _adds(run, 5_000, [b"blob", b"z" * 4096])
    if workload == "XADDMAXLEN":
        rate = _adds(run, 20_000, [b"payload", b"x" * 16], b"MAXLEN", b"~", b"1000")
        assert 1000 <= run(b"XLEN", b"s") <= 1100
        return rate
    ids = [run(b"XADD", b"s", b"*", b"a", b"q" * 32, b"b", b"%d" % i) for i in range(10_000)]
    if workload == "XRANGE":
        picks = random.Random(3).choices(ids[:-100], k=2_000)
        start = clock()
        for first in picks:
            reply = run(b"XRANGE", b"s", first, b"+", b"COUNT", b"100")
        elapsed = clock() - start
        assert len(reply) == 100
        return len(picks) / elapsed
    run(b"XGROUP", b"CREATE", b"s", b"g", b"0")
    read = 0
    start = clock()
    while True:
        reply = run(b"XREADGROUP", b"GROUP", b"g", b"c", b"COUNT", b"100", b"STREAMS", b"s",
                    b">")
        if not reply:
            break
        entries = reply[b"s"] if isinstance(reply, dict) else reply[0][1]
        run(b"XACK", b"s", b"g", *(entry[0] for entry in entries))
        read += len(entries)
    elapsed = clock() - start
    assert read == 10_000, read
    return read / elapsed


def drive(args: argparse.Namespace) -> None:
    chosen = [w.strip().upper() for w in args.only.split(",")] if args.only else WORKLOADS
    chosen = [w for w in WORKLOADS if w.upper() in {c.upper() for c in chosen}]
    print(f"# memory_streams.py: pinned to CPU {args.cpu}; {args.rounds} round(s); fakeredis "
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
        ratio = statistics.median(ours) / statistics.median(fake)

        def cell(rates: list[float]) -> str:
            return (f"{human(statistics.median(rates))}/s "
                    f"({human(min(rates))}-{human(max(rates))})")  # fmt: skip

        print(f"| {workload} | {cell(ours)} | {cell(fake)} | {ratio:.1f}x |", flush=True)
    print(f"\n# load average at end {os.getloadavg()[0]:.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--only", help="comma-separated workloads (" + ", ".join(WORKLOADS) + ")")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cpu", type=int, default=0)
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--workload", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        rate = measure(args.child, args.workload)
        print(json.dumps({"contender": args.child, "workload": args.workload, "rate": rate}))
    else:
        drive(args)


if __name__ == "__main__":
    main()
