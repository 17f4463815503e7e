"""S10: 64 tasks each BLPOP-ing from one list that one producer fills with 100,000 items.

    .venv/bin/python bench/blocking.py                 # 3 rounds, 100,000 items
    .venv/bin/python bench/blocking.py --items 20000 --rounds 1

The driver starts ``redis-server`` on a free loopback port (pinned to CPU 0), then runs each
contender as its own process pinned to CPU 1, alternating contenders round by round: ours
(trio, over Redis), redis.asyncio with hiredis and its connection pool, and ours on
``:memory:`` (no server: the store's own wait machinery).  A contender's consumers each loop
on ``BLPOP list 1``; the producer RPUSHes the items one call each.  The rate is items popped
per second, from the first push to the last pop; the contender's CPU time per item
(``time.process_time`` over the same span) is reported too, since on a shared machine it
varies much less than the rate.  The clock starts only once the server reports every
consumer blocked (``INFO clients``), so no contender opens its connections in the timed span
(``:memory:`` waits 0.2 s instead).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import free_port, pinned, use_repo_packages

KEY = "bench:s10"
CONSUMERS = 64
CONTENDERS = ("ours-trio", "redis-asyncio", "ours-trio-memory")


def _blocked(info: str) -> int:
    for line in info.splitlines():
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    raise RuntimeError(f"no blocked_clients in INFO clients: {info!r}")


def _report(items: int, elapsed: float, cpu: float) -> str:
    return json.dumps({"rate": items / elapsed, "cpu_us": cpu / items * 1e6})


def run_ours(url: str, items: int) -> str:
    use_repo_packages()
    import trio

    import kvs

    async def main() -> str:
        async with kvs.connect(url) as db:
            await db.delete(KEY)
            popped = 0
            done = trio.Event()

            async def consumer() -> None:
                nonlocal popped
                while True:
                    if await db.blpop(KEY, 1) is not None:
                        popped += 1
                        if popped == items:
                            done.set()

            async def producer() -> None:
                for i in range(items):
                    await db.rpush(KEY, i)

            async with trio.open_nursery() as nursery:
                for _ in range(CONSUMERS):
                    nursery.start_soon(consumer)
                await trio.sleep(0.2)
                if not url.startswith(":memory:"):
                    with trio.fail_after(30):  # every consumer is waiting
                        while _blocked(await db.execute("INFO", "clients")) < CONSUMERS:
                            await trio.sleep(0.05)
                start, cpu = time.perf_counter(), time.process_time()
                nursery.start_soon(producer)
                await done.wait()
                elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
                nursery.cancel_scope.cancel()
            return _report(items, elapsed, cpu)

    return trio.run(main)


def run_redis_asyncio(port: int, items: int) -> str:
    import redis.asyncio as aioredis

    async def main() -> str:
        client = aioredis.Redis(host="127.0.0.1", port=port, max_connections=CONSUMERS + 8)
        await client.delete(KEY)
        popped = 0
        done = asyncio.Event()

        async def consumer() -> None:
            nonlocal popped
            while True:
                if await client.blpop([KEY], timeout=1) is not None:
                    popped += 1
                    if popped == items:
                        done.set()

        tasks = [asyncio.create_task(consumer()) for _ in range(CONSUMERS)]  # noqa: F841
        await asyncio.sleep(0.2)
        deadline = time.monotonic() + 30
        while (await client.info("clients"))["blocked_clients"] < CONSUMERS:
            if time.monotonic() > deadline:
                raise RuntimeError("the consumers did not all block")
            await asyncio.sleep(0.05)
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(items):  # the producer
            await client.rpush(KEY, i)
        await done.wait()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        # Cancelling redis-py's blocked calls and closing its pool can hang: the rate is
        # known, so the process ends here.
        print(_report(items, elapsed, cpu), flush=True)
        os._exit(0)

    return asyncio.run(main())


def child(contender: str, port: int, items: int) -> str:
    if contender == "ours-trio":
        return run_ours(f"redis://127.0.0.1:{port}", items)
    if contender == "ours-trio-memory":
        return run_ours(":memory:", items)
    return run_redis_asyncio(port, items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--contender")
    parser.add_argument("--port", type=int)
    parser.add_argument("--client-cpu", type=int, default=1,
                        help="the CPU the contenders run on; -1: not pinned")
    args = parser.parse_args()
    if args.contender:
        print(child(args.contender, args.port, args.items))
        return
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(pinned(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", tmp], 0), stdout=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            rates: dict[str, list[float]] = {name: [] for name in CONTENDERS}
            cpus: dict[str, list[float]] = {name: [] for name in CONTENDERS}
            for _ in range(args.rounds):
                for name in CONTENDERS:
                    out = subprocess.run(pinned(
                        [sys.executable, __file__, "--contender", name, "--port", str(port),
                         "--items", str(args.items)],
                        None if args.client_cpu < 0 else args.client_cpu),
                        capture_output=True, text=True,
                        check=True)
                    result = json.loads(out.stdout.splitlines()[-1])
                    rates[name].append(result["rate"])
                    cpus[name].append(result["cpu_us"])
                    print(f"  {name}: {result['rate']:,.0f} items/s, "
                          f"{result['cpu_us']:,.0f} us CPU/item "
                          f"(load {os.getloadavg()[0]:.2f})", flush=True)
        finally:
            server.terminate()
            server.wait()
    load = os.getloadavg()
    print(f"S10: {CONSUMERS} tasks BLPOP, one producer RPUSH x {args.items}, "
          f"{args.rounds} round(s); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    base = statistics.median(rates["redis-asyncio"])
    base_cpu = statistics.median(cpus["redis-asyncio"])
    for name, values in rates.items():
        median = statistics.median(values)
        cpu = statistics.median(cpus[name])
        print(f"  {name:<18} {median:>10,.0f} items/s  ({min(values):,.0f}-{max(values):,.0f})"
              f"  x{median / base:.2f} vs redis.asyncio+hiredis;"
              f"  CPU {cpu:,.0f} us/item ({min(cpus[name]):,.0f}-{max(cpus[name]):,.0f}),"
              f" x{base_cpu / cpu:.2f} less")


if __name__ == "__main__":
    main()
