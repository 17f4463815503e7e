"""S11: a stream job queue on a private redis-server, our trio client against
redis.asyncio with hiredis, each pinned to one CPU.

    .venv/bin/python bench/streams.py                 # 100,000 entries, 3 rounds
    .venv/bin/python bench/streams.py --entries 20000 --rounds 1

One task XADDs ``--entries`` entries (one 16-byte field each, ids ``*``), one call at a time;
then one consumer of a group reads them with ``XREADGROUP COUNT 100`` and acknowledges each
batch with one ``XACK`` of its 100 ids, until the group has read everything.  The rate is
entries per second over both phases (an entry costs one XADD and a hundredth of a read and
an ack).  As in bench/clients.py, redis-server and each contender run pinned (the server on
CPU 1, the client on CPU 0), each contender is a fresh process, and the contenders alternate
round by round; the table shows the median (min-max) and the ratio to ours.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import human, pinned, run_rounds, use_repo_packages
from clients import redis_server

CONTENDERS = {"ours-trio": "ours trio", "aioredis-hiredis": "redis.asyncio + hiredis"}
KEY, GROUP, VALUE = "bench:stream", "workers", b"x" * 16


def _emit(name: str, entries: int, seconds: float) -> None:
    print(json.dumps({"contender": name, "rate": entries / seconds, "seconds": seconds}))


def child_ours(port: int, entries: int) -> None:
    use_repo_packages()
    import trio

    import kvs

    async def main() -> None:
        async with kvs.connect(f"redis://127.0.0.1:{port}", decode=False) as db:
            await db.delete(KEY)
            await db.xgroup_create(KEY, GROUP, id="0", mkstream=True)
            start = time.perf_counter()
            for _ in range(entries):
                await db.xadd(KEY, {b"payload": VALUE})
            read = 0
            while True:
                got = await db.xreadgroup(GROUP, "c", {KEY: ">"}, count=100)
                if not got:
                    break
                batch = got[KEY.encode()]
                await db.xack(KEY, GROUP, *(entry_id for entry_id, _ in batch))
                read += len(batch)
            seconds = time.perf_counter() - start
            assert read == entries, read
            _emit("ours-trio", entries, seconds)

    trio.run(main)


def child_aioredis(port: int, entries: int) -> None:
    import redis.asyncio

    async def main() -> None:
        client = redis.asyncio.Redis(host="127.0.0.1", port=port)
        parser = type(client.connection_pool.connection_class(
            **client.connection_pool.connection_kwargs)._parser).__name__
        if "Hiredis" not in parser:
            raise RuntimeError(f"hiredis is not in use: {parser}")
        await client.delete(KEY)
        await client.xgroup_create(KEY, GROUP, id="0", mkstream=True)
        start = time.perf_counter()
        for _ in range(entries):
            await client.xadd(KEY, {b"payload": VALUE})
        read = 0
        while True:
            got: Any = await client.xreadgroup(GROUP, "c", {KEY: ">"}, count=100)
            if not got:
                break
            batch = got[0][1]
            await client.xack(KEY, GROUP, *(entry_id for entry_id, _ in batch))
            read += len(batch)
        seconds = time.perf_counter() - start
        assert read == entries, read
        _emit("aioredis-hiredis", entries, seconds)
        await client.aclose()

    asyncio.run(main())


def drive(args: argparse.Namespace) -> None:
    print(f"# streams.py S11: {args.entries:,} entries; {args.rounds} round(s); client on CPU "
          f"{args.cpu}, redis-server on CPU {args.server_cpu}; redis "
          f"{importlib.metadata.version('redis')}, hiredis "
          f"{importlib.metadata.version('hiredis')}; Python {sys.version.split()[0]}")
    print(f"# load average at start {os.getloadavg()[0]:.2f}\n")
    with redis_server(args.server_cpu) as port:
        per = run_rounds(list(CONTENDERS), args.rounds, "S11", lambda name: pinned(
            [sys.executable, __file__, "--child", name, "--port", str(port),
             "--entries", str(args.entries)], args.cpu), args.timeout)  # fmt: skip
    print("| S11 | entries/s | vs ours |")
    print("|---|---|---|")
    base = statistics.median(per["ours-trio"].rates) if per["ours-trio"].rates else None
    for name, label in CONTENDERS.items():
        rates = per[name].rates
        if not rates:
            print(f"| {label} | failed | |")
            continue
        mid = statistics.median(rates)
        ratio = f"{mid / base:.2f}x" if base else ""
        print(f"| {label} | {human(mid)} ({human(min(rates))}-{human(max(rates))}) | {ratio} |")
    print(f"\n# load average at end {os.getloadavg()[0]:.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--entries", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cpu", type=int, default=0)
    p.add_argument("--server-cpu", type=int, default=1)
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child == "ours-trio":
        child_ours(args.port, args.entries)
    elif args.child == "aioredis-hiredis":
        child_aioredis(args.port, args.entries)
    else:
        drive(args)


if __name__ == "__main__":
    main()
