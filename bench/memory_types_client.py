"""The data types through the trio client on ``:memory:`` against fakeredis's async client,
pinned to one CPU.

    .venv/bin/python bench/memory_types_client.py               # every workload, 3 rounds
    .venv/bin/python bench/memory_types_client.py --rounds 5 --only ZADD,SCAN

bench/memory_types.py measures the store alone (``Store.execute``); this one measures what
an application sees: ``await db.zadd(...)`` on a ``kvs.connect("memory://...")`` client in
trio (argument checks, the `Call`, the driver, reply decoding), against the same calls on
``fakeredis.FakeAsyncRedis`` in asyncio, its users' layer.  Both are driven by the same code:
the methods have redis-py's names and keywords.  Each (contender, workload, round) is a fresh
process pinned with ``taskset``; contenders alternate round by round; each workload gets the
median (min-max) and the ratio to fakeredis.

Workloads:
- ZADD: 10,000 ZADDs of one new member each into one key.
- ZRANGE: ``zrange(key, 0, 99, withscores=True)`` on a 10,000-member set, 2,000 times.
- ZRANK: ``zrank`` of random members of a 10,000-member set, 20,000 times.
- PFADD: 100,000 ``pfadd`` of one element each into one key, then one ``pfcount``.
- SCAN: ``scan_iter(count=1000)`` over 100,000 keys into a list, after one untimed warm-up
  pass, 5 passes timed (keys per second); the keys are checked after the clock stops: each
  of the 100,000 exactly once in each pass.
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Series, alternate, human, pinned, progress, run_child, use_repo_packages

CONTENDERS = {"ours": "kvs.connect(':memory:') on trio", "fakeredis": "fakeredis.FakeAsyncRedis"}
WORKLOADS = ("ZADD", "ZRANGE", "ZRANK", "PFADD", "SCAN")
SCAN_PASSES = 5


def _members(n: int) -> dict[str, int]:
    rnd = random.Random(n)
    return {f"m{i}": rnd.randrange(10**9) for i in range(n)}


async def _fill(db: Any, n: int) -> list[str]:
    members = _members(n)
    names = list(members)
    for i in range(0, n, 1000):
        await db.zadd("z", {m: members[m] for m in names[i : i + 1000]})
    return names


async def workload(db: Any, name: str) -> float:
    """Operations (or keys) per second of one workload on the client `db`."""
    clock = time.perf_counter
    if name == "ZADD":
        members = _members(10_000)
        start = clock()
        for member, score in members.items():
            await db.zadd("z", {member: score})
        return len(members) / (clock() - start)
    if name in ("ZRANGE", "ZRANK"):
        names = await _fill(db, 10_000)
        if name == "ZRANGE":
            start = clock()
            for _ in range(2_000):
                top = await db.zrange("z", 0, 99, withscores=True)
            assert len(top) == 100 and type(top[0][1]) is float
            return 2_000 / (clock() - start)
        picks = random.Random(1).choices(names, k=20_000)
        start = clock()
        for member in picks:
            await db.zrank("z", member)
        return len(picks) / (clock() - start)
    if name == "PFADD":
        elements = [f"visitor:{i}" for i in range(100_000)]
        start = clock()
        for element in elements:
            await db.pfadd("h", element)
        count = await db.pfcount("h")
        elapsed = clock() - start
        assert abs(count - 100_000) < 3_000, count
        return (len(elements) + 1) / elapsed
    assert name == "SCAN"
    for i in range(0, 100_000, 5_000):
        await db.mset({f"key:{j}": j for j in range(i, i + 5_000)})
    expected = {f"key:{j}" for j in range(100_000)}
    warm = [key async for key in db.scan_iter(count=1000)]  # warm-up, untimed
    assert set(warm) == expected
    del warm
    passes: list[list[Any]] = []
    start = clock()
    for _ in range(SCAN_PASSES):
        passes.append([key async for key in db.scan_iter(count=1000)])
    elapsed = clock() - start
    # The check, outside the timed region: every key exactly once in each pass (no key
    # changes meanwhile).
    for keys in passes:
        assert len(keys) == 100_000 and set(keys) == expected
    return SCAN_PASSES * 100_000 / elapsed


def measure(contender: str, name: str) -> float:
    if contender == "ours":
        use_repo_packages()
        import trio

        import kvs

        async def ours() -> float:
            async with kvs.connect("memory://bench-types") as db:
                return await workload(db, name)

        return trio.run(ours)
    import asyncio

    import fakeredis

    async def fake() -> float:
        db = fakeredis.FakeAsyncRedis(decode_responses=True)
        try:
            return await workload(db, name)
        finally:
            await db.aclose()

    return asyncio.run(fake())


def drive(args: argparse.Namespace) -> None:
    chosen = [w.strip().upper() for w in args.only.split(",")] if args.only else WORKLOADS
    print(f"# memory_types_client.py: pinned to CPU {args.cpu}; {args.rounds} round(s); "
          f"fakeredis {importlib.metadata.version('fakeredis')}; "
          f"Python {sys.version.split()[0]}")
    print(f"# load average at start {os.getloadavg()[0]:.2f}\n")
    print("| workload | ours | fakeredis | ours / fakeredis |")
    print("|---|---|---|---|")
    for name in chosen:
        per = {contender: Series() for contender in CONTENDERS}
        for _, contender in alternate(list(CONTENDERS), args.rounds):
            argv = pinned([sys.executable, __file__, "--child", contender, "--workload", name],
                          args.cpu)
            res = run_child(argv, args.timeout)
            if res.rate is None:
                progress(f"{name} {contender}: FAILED {res.error.splitlines()[:1]}")
                per[contender].errors.append(res.error)
            else:
                per[contender].rates.append(res.rate)
        ours, fake = per["ours"].rates, per["fakeredis"].rates
        if not ours or not fake:
            print(f"| {name} | failed | | |")
            continue

        def cell(rates: list[float]) -> str:
            return (f"{human(statistics.median(rates))}/s "
                    f"({human(min(rates))}-{human(max(rates))})")

        ratio = statistics.median(ours) / statistics.median(fake)
        print(f"| {name} | {cell(ours)} | {cell(fake)} | {ratio:.1f}x |", flush=True)
    print(f"\n# load average at end {os.getloadavg()[0]:.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--only", help="comma-separated workloads: " + ", ".join(WORKLOADS))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cpu", type=int, default=0)
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--workload", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        rate = measure(args.child, args.workload)
        print(json.dumps({"contender": args.child, "workload": args.workload, "rate": rate,
                          "unit": "ops/s"}))
    else:
        drive(args)


if __name__ == "__main__":
    main()
