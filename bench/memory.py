"""The in-process store (``:memory:``) against fakeredis, pinned to one CPU.

    .venv/bin/python bench/memory.py                 # S1, S4, S5; 3 rounds (under a minute)
    .venv/bin/python bench/memory.py --quick         # 1 round, fewer operations
    .venv/bin/python bench/memory.py --only S1,S7 --rounds 5

No server and no socket: every contender runs the workload against a store inside its own
process.  As in bench/clients.py, each (contender, workload, round) is a fresh process pinned
with ``taskset``, contenders alternate round by round, and each workload gets a table of
medians (min-max) with the ratio to our trio client and to fakeredis.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BIG_KEY,
    BIG_VALUE,
    HASH_FIELDS,
    HASH_KEY,
    LIST_ITEMS,
    LIST_KEY,
    MGET_KEYS,
    S1_KEY,
    VALUE_100,
    WORKLOADS,
    AsyncApi,
    Series,
    SyncApi,
    emit,
    format_table,
    measure_async,
    measure_sync,
    pinned,
    print_failures_and_total,
    run_rounds,
    trio_gather,
    use_repo_packages,
)

CONTENDERS = {
    "ours-trio": "ours trio (:memory:)",
    "ours-sync": "ours sync (:memory:)",
    "fakeredis": "fakeredis.FakeRedis",
    "fakeredis-strict": "fakeredis.FakeStrictRedis",
}
BASES = ("ours-trio", "fakeredis")
SUPPORTED = ("S1", "S4", "S5", "S6", "S7")  # S2/S3 measure a network, not a store
DEFAULT = ("S1", "S4", "S5")


def child_ours_trio(workload: str, n: int) -> None:
    import trio

    import kvs

    async def main() -> None:
        async with kvs.connect(":memory:", decode=False) as db:
            await db.mset({S1_KEY: VALUE_100, **dict.fromkeys(MGET_KEYS, VALUE_100)})
            await db.set(BIG_KEY, BIG_VALUE)
            await db.rpush(LIST_KEY, *LIST_ITEMS)
            for f, v in HASH_FIELDS.items():
                await db.hset(HASH_KEY, f, v)
            api = AsyncApi(get=db.get, mget=db.mget, lrange=lambda k: db.lrange(k, 0, -1),
                           hgetall=db.hgetall, gather=trio_gather)
            emit("ours-trio", workload, n, await measure_async(api, workload, n))

    trio.run(main)


def child_ours_sync(workload: str, n: int) -> None:
    import kvs.sync

    with kvs.sync.connect(":memory:", decode=False) as db:
        db.mset({S1_KEY: VALUE_100, **dict.fromkeys(MGET_KEYS, VALUE_100)})
        db.set(BIG_KEY, BIG_VALUE)
        db.rpush(LIST_KEY, *LIST_ITEMS)
        for f, v in HASH_FIELDS.items():
            db.hset(HASH_KEY, f, v)
        api = SyncApi(get=db.get, mget=db.mget, lrange=lambda k: db.lrange(k, 0, -1),
                      hgetall=db.hgetall)
        emit("ours-sync", workload, n, measure_sync(api, workload, n))


def child_fakeredis(workload: str, n: int, strict: bool) -> None:
    import fakeredis

    client: Any = fakeredis.FakeStrictRedis() if strict else fakeredis.FakeRedis()
    client.mset({S1_KEY: VALUE_100, **dict.fromkeys(MGET_KEYS, VALUE_100)})
    client.set(BIG_KEY, BIG_VALUE)
    client.rpush(LIST_KEY, *LIST_ITEMS)
    client.hset(HASH_KEY, mapping=HASH_FIELDS)
    api = SyncApi(get=client.get, mget=client.mget, lrange=lambda k: client.lrange(k, 0, -1),
                  hgetall=client.hgetall)
    emit("fakeredis", workload, n, measure_sync(api, workload, n))


def run_as_child(contender: str, workload: str, scale: float) -> None:
    use_repo_packages()
    n = WORKLOADS[workload].scaled(scale)
    if contender == "ours-trio":
        child_ours_trio(workload, n)
    elif contender == "ours-sync":
        child_ours_sync(workload, n)
    elif contender in ("fakeredis", "fakeredis-strict"):
        child_fakeredis(workload, n, contender.endswith("strict"))
    else:
        raise SystemExit(f"unknown contender {contender!r}")


def drive(args: argparse.Namespace) -> None:
    workloads = [w.strip().upper() for w in args.only.split(",")] if args.only else list(
        DEFAULT)
    for w in workloads:
        if w not in SUPPORTED:
            raise SystemExit(f"unknown workload {w!r}; choose from {', '.join(SUPPORTED)}")
    names = list(CONTENDERS)
    if importlib.util.find_spec("fakeredis") is None:
        print("left out: fakeredis: not installed (pip install fakeredis: bench extra)")
        names = [n for n in names if not n.startswith("fakeredis")]
    try:
        fake_version = importlib.metadata.version("fakeredis")
    except importlib.metadata.PackageNotFoundError:
        fake_version = "(absent)"
    print(f"# memory.py: clients on CPU {args.cpu}; {args.rounds} round(s), scale {args.scale}")
    print(f"# fakeredis {fake_version}; Python {sys.version.split()[0]}; "
              f"load average at start {os.getloadavg()[0]:.2f}\n")

    started = time.monotonic()
    results: dict[str, dict[str, Series]] = {}
    for wl in workloads:

        def argv_for(name: str, wl: str = wl) -> list[str]:
            return pinned([sys.executable, str(Path(__file__).resolve()), "--contender", name,
                           "--workload", wl, "--scale", str(args.scale)], args.cpu)

        per = results[wl] = run_rounds(names, args.rounds, wl, argv_for, args.timeout)
        w = WORKLOADS[wl]
        print(f"## {wl} in process: {w.title.replace(' on one connection', '')}\n")
        print(format_table(w, per, CONTENDERS, [b for b in BASES if b in per]))
        print(flush=True)
    print_failures_and_total(results, CONTENDERS, started)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--only", help=f"comma-separated workloads among {','.join(SUPPORTED)} "
                   f"(default {','.join(DEFAULT)})")
    p.add_argument("--rounds", type=int, default=None, help="rounds (default 3; --quick 1)")
    p.add_argument("--scale", type=float, default=None,
                   help="multiply every workload's operation count (default 1; --quick 0.25)")
    p.add_argument("--quick", action="store_true", help="1 round, scale 0.25")
    p.add_argument("--cpu", type=int, default=0, help="CPU to pin to (default 0)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds before a child run counts as hung (default 120)")
    p.add_argument("--contender", help=argparse.SUPPRESS)
    p.add_argument("--workload", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.scale is None:
        args.scale = 0.25 if args.quick else 1.0
    if args.contender:
        run_as_child(args.contender, args.workload, args.scale)
    else:
        drive(args)


if __name__ == "__main__":
    main()
