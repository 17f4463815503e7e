"""Pipelines and transactions with the real API, against redis-py, on a private redis-server.

    .venv/bin/python bench/pipelines.py                 # S2 and T10, 5 rounds
    .venv/bin/python bench/pipelines.py --only S2 --rounds 3

The method of bench/clients.py (and BENCH.md): redis-server and every child pinned to one
CPU, one fresh process per (contender, workload, round), contenders alternated, the median
with its min-max and the ratio to our clients.

- S2: 200 pipelines of 100 GETs of 100-byte values (``db.pipeline()`` for us,
  ``pipeline(transaction=False)`` for redis-py), counted in GET/s.
- T10: 2,000 transactions of 10 INCRs (``db.transaction()``; redis-py's
  ``pipeline(transaction=True)``), counted in transactions/s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    MGET_KEYS,
    S2_BATCH,
    VALUE_100,
    Workload,
    format_table,
    pinned,
    print_failures_and_total,
    run_rounds,
    use_repo_packages,
)
from clients import redis_server, seed, versions

use_repo_packages()

T10_SIZE = 10
T10_KEY = "bench:t10"
WORKLOADS = {
    "S2": Workload("S2", "200 pipelines of 100 GETs (the pipeline API)", 200, "GET/s",
                   per_op=S2_BATCH),
    "T10": Workload("T10", "2,000 MULTI/EXEC transactions of 10 INCRs", 2_000, "tx/s"),
}
CONTENDERS = {
    "ours-trio": "ours trio",
    "ours-sync": "ours sync",
    "redispy-hiredis": "redis-py + hiredis",
    "aioredis-hiredis": "redis.asyncio + hiredis",
    "redispy-pure": "redis-py pure",
}
BASES = ("ours-trio", "ours-sync")


def _check(workload: str, result: list[Any]) -> None:
    if workload == "S2":
        assert result == [VALUE_100] * S2_BATCH, result[:2]
    else:
        assert len(result) == T10_SIZE and all(isinstance(r, int) for r in result), result


def _emit(contender: str, workload: str, n: int, seconds: float) -> None:
    ops = n * WORKLOADS[workload].per_op
    print(json.dumps({"contender": contender, "workload": workload, "ops": ops,
                      "seconds": seconds, "rate": ops / seconds}), flush=True)


def _time_sync(op: Callable[[], list[Any]], workload: str, n: int) -> float:
    _check(workload, op())
    for _ in range(max(1, n // 20)):
        op()
    t0 = time.perf_counter()
    for _ in range(n):
        op()
    return time.perf_counter() - t0


def child_ours_trio(workload: str, n: int, port: int) -> float:
    import trio

    import kvs

    async def main() -> float:
        async with kvs.connect(f"redis://127.0.0.1:{port}", decode=False) as db:
            async def op() -> list[Any]:
                if workload == "S2":
                    p = db.pipeline()
                    for key in MGET_KEYS:
                        p.get(key)
                    return await p.execute()
                tx = db.transaction()
                for _ in range(T10_SIZE):
                    tx.incr(T10_KEY)
                return await tx.execute()

            _check(workload, await op())
            for _ in range(max(1, n // 20)):
                await op()
            t0 = time.perf_counter()
            for _ in range(n):
                await op()
            return time.perf_counter() - t0

    return trio.run(main)


def child_ours_sync(workload: str, n: int, port: int) -> float:
    import kvs.sync

    with kvs.sync.connect(f"redis://127.0.0.1:{port}", decode=False) as db:
        def op() -> list[Any]:
            if workload == "S2":
                p = db.pipeline()
                for key in MGET_KEYS:
                    p.get(key)
                return p.execute()
            tx = db.transaction()
            for _ in range(T10_SIZE):
                tx.incr(T10_KEY)
            return tx.execute()

        return _time_sync(op, workload, n)


def child_redispy(workload: str, n: int, port: int, hiredis: bool) -> float:
    import redis
    from redis._parsers import _RESP2Parser

    kwargs: dict[str, Any] = {} if hiredis else {"parser_class": _RESP2Parser}
    pool = redis.ConnectionPool(host="127.0.0.1", port=port, protocol=2, **kwargs)
    client = redis.Redis(connection_pool=pool)

    def op() -> list[Any]:
        pipe = client.pipeline(transaction=workload == "T10")
        if workload == "S2":
            for key in MGET_KEYS:
                pipe.get(key)
        else:
            for _ in range(T10_SIZE):
                pipe.incr(T10_KEY)
        result: list[Any] = pipe.execute()
        return result

    try:
        return _time_sync(op, workload, n)
    finally:
        client.close()


def child_aioredis(workload: str, n: int, port: int) -> float:
    import asyncio

    import redis.asyncio

    async def main() -> float:
        client = redis.asyncio.Redis(host="127.0.0.1", port=port, protocol=2)

        async def op() -> list[Any]:
            pipe = client.pipeline(transaction=workload == "T10")
            if workload == "S2":
                for key in MGET_KEYS:
                    pipe.get(key)
            else:
                for _ in range(T10_SIZE):
                    pipe.incr(T10_KEY)
            result: list[Any] = await pipe.execute()
            return result

        try:
            _check(workload, await op())
            for _ in range(max(1, n // 20)):
                await op()
            t0 = time.perf_counter()
            for _ in range(n):
                await op()
            return time.perf_counter() - t0
        finally:
            await client.aclose()

    return asyncio.run(main())


def run_as_child(contender: str, workload: str, port: int, scale: float) -> None:
    n = WORKLOADS[workload].scaled(scale)
    if contender == "ours-trio":
        secs = child_ours_trio(workload, n, port)
    elif contender == "ours-sync":
        secs = child_ours_sync(workload, n, port)
    elif contender in ("redispy-hiredis", "redispy-pure"):
        secs = child_redispy(workload, n, port, hiredis=contender == "redispy-hiredis")
    elif contender == "aioredis-hiredis":
        secs = child_aioredis(workload, n, port)
    else:
        raise SystemExit(f"unknown contender {contender!r}")
    _emit(contender, workload, n, secs)


def drive(args: argparse.Namespace) -> None:
    workloads = [w.strip().upper() for w in args.only.split(",")] if args.only else list(
        WORKLOADS)
    names = args.contenders.split(",") if args.contenders else list(CONTENDERS)
    results = {}
    started = time.monotonic()
    with redis_server(args.server_cpu) as port:
        print(f"# pipelines.py: redis-server {seed(port)} on CPU {args.server_cpu}, clients "
              f"on CPU {args.client_cpu}; {args.rounds} round(s), scale {args.scale}")
        print(f"# {versions()}; Python {sys.version.split()[0]}; "
              f"load average at start {os.getloadavg()[0]:.2f}\n")
        for wl in workloads:
            def argv_for(name: str, wl: str = wl) -> list[str]:
                return pinned([sys.executable, str(Path(__file__).resolve()),
                               "--contender", name, "--workload", wl, "--port", str(port),
                               "--scale", str(args.scale)], args.client_cpu)

            per = results[wl] = run_rounds(names, args.rounds, wl, argv_for, args.timeout)
            print(f"## {wl}: {WORKLOADS[wl].title}\n")
            print(format_table(WORKLOADS[wl], per, CONTENDERS,
                               [b for b in BASES if b in per]))
            print(f"\n# load average after {wl}: {os.getloadavg()[0]:.2f}\n", flush=True)
    print_failures_and_total(results, CONTENDERS, started)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--only", help="comma-separated workloads: S2,T10")
    p.add_argument("--contenders", help="comma-separated: " + ", ".join(CONTENDERS))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--client-cpu", type=int, default=0)
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--contender", help=argparse.SUPPRESS)
    p.add_argument("--workload", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.contender:
        run_as_child(args.contender, args.workload, args.port, args.scale)
    else:
        drive(args)


if __name__ == "__main__":
    main()
