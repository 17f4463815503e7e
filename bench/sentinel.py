"""S1 over Sentinel against S1 on the same master directly: what discovery costs.

    .venv/bin/python bench/sentinel.py                  # 5 rounds, trio and kvs.sync
    .venv/bin/python bench/sentinel.py --rounds 3 --count 10000

A real Sentinel set (a master, a replica, three Sentinels, from ``tests/sentinels.py``) on
loopback ports.  Each round runs S1 (sequential GETs of 100 B, one client) once through
``redis://MASTER`` and once through ``redis+sentinel://...``, alternating which goes first,
on trio and on kvs.sync; the open (discovery, ROLE) is timed apart from the GETs.  The table
shows medians with min-max; the machine's load average is printed with it, since numbers on a
loaded machine mean little (``--cpu`` counts the client's own CPU time instead of wall time,
which a busy machine disturbs less).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trio

import kvs
import kvs.sync
from tests.sentinels import SentinelSet

KEY = "bench:s1"
_clock = time.perf_counter  # --cpu: time.process_time, the client's own CPU time
VALUE = b"x" * 100


async def _trio_s1(url: str, count: int) -> tuple[float, float]:
    start = time.perf_counter()
    async with kvs.connect(url, decode=False) as db:
        await db.get(KEY)
        opened = time.perf_counter() - start
        start = _clock()
        for _ in range(count):
            await db.get(KEY)
        return opened, count / (_clock() - start)


def _sync_s1(url: str, count: int) -> tuple[float, float]:
    start = time.perf_counter()
    with kvs.sync.connect(url, decode=False) as db:
        db.get(KEY)
        opened = time.perf_counter() - start
        start = _clock()
        for _ in range(count):
            db.get(KEY)
        return opened, count / (_clock() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--cpu", action="store_true",
                        help="GETs per second of the client's CPU time (steadier on a busy "
                             "machine) instead of per second of wall time")
    args = parser.parse_args()
    global _clock
    if args.cpu:
        _clock = time.process_time
    with SentinelSet() as cluster:
        assert cluster.master is not None
        cluster.master.command("SET", KEY, VALUE)
        urls = {"redis://": cluster.master.url, "redis+sentinel://": cluster.url()}
        runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
        flavours: dict[str, Callable[[str, int], tuple[float, float]]] = {
            "trio": lambda url, n: trio.run(_trio_s1, url, n),
            "sync": _sync_s1,
        }
        for round_ in range(args.rounds):
            order = list(urls) if round_ % 2 == 0 else list(reversed(urls))
            for flavour, run in flavours.items():
                for scheme in order:
                    runs.setdefault((flavour, scheme), []).append(run(urls[scheme], args.count))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    unit = "GET per CPU-s" if args.cpu else "GET/s"
    print(f"| client | URL | S1 {unit} median (min-max) | x redis:// | open, ms median |")
    print("|---|---|---|---|---|")
    for flavour in flavours:
        base = statistics.median(rate for _, rate in runs[(flavour, "redis://")])
        for scheme in urls:
            rates = [rate for _, rate in runs[(flavour, scheme)]]
            opens = [opened * 1000 for opened, _ in runs[(flavour, scheme)]]
            median = statistics.median(rates)
            print(f"| {flavour} | `{scheme}` | {median:,.0f} ({min(rates):,.0f}-"
                  f"{max(rates):,.0f}) | {median / base:.2f}x | "
                  f"{statistics.median(opens):.1f} |")


if __name__ == "__main__":
    main()
