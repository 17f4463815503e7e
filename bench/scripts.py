"""S12: EVALSHA of a 3-line Lua script, our clients against their peers, pinned to one CPU.

    .venv/bin/python bench/scripts.py               # 3 rounds
    .venv/bin/python bench/scripts.py --quick       # 1 round, fewer calls

Three comparisons, each contender a fresh process per round (``taskset -c CPU``), the
contenders alternated round by round, one task (or thread) calling the script in a loop:

- over a private redis-server: kvs (trio) against redis.asyncio + hiredis, and kvs.sync
  against redis-py + hiredis, each through its registered-script object (EVALSHA);
- in process: the memory store's script call (kvs.sync and kvs trio on ``:memory:``, lupa)
  against fakeredis's (``FakeRedis.register_script``, lupa too).

Every call's reply is checked (the counter the script returns).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import free_port, human, pinned, use_repo_packages

SCRIPT = """local n = redis.call('INCR', KEYS[1])
if n > tonumber(ARGV[1]) then redis.call('SET', KEYS[1], 0) end
return n"""
KEY = "bench:script:n"
WRAP = 1_000_000_000  # never reached: the reply is always the call's number

NETWORK = {
    "ours-trio": "ours trio",
    "redis-asyncio": "redis.asyncio + hiredis",
    "ours-sync": "ours sync",
    "redis-py": "redis-py + hiredis",
}
MEMORY = {
    "memory-sync": "ours sync (:memory:)",
    "memory-trio": "ours trio (:memory:)",
    "fakeredis": "fakeredis + lupa",
}
PAIRS = [("ours-trio", "redis-asyncio"), ("ours-sync", "redis-py"),
         ("memory-sync", "fakeredis"), ("memory-trio", "fakeredis")]


def _check(i: int, reply: Any) -> None:
    if int(reply) != i + 1:
        raise SystemExit(f"call {i}: the script answered {reply!r}, not {i + 1}")


def _timed_sync(call: Callable[[], Any], n: int) -> float:
    for _ in range(200):  # warm-up (the script gets loaded here)
        call()
    start = time.perf_counter()
    for _ in range(n):
        call()
    return time.perf_counter() - start


def child(name: str, n: int, port: int) -> float:
    use_repo_packages()
    url = f"redis://127.0.0.1:{port}"
    if name in ("ours-sync", "memory-sync"):
        import kvs.sync

        with kvs.sync.connect(url if name == "ours-sync" else ":memory:") as db:
            db.delete(KEY)
            script = db.register_script(SCRIPT)
            counter = iter(range(10**9))
            return _timed_sync(lambda: _check(next(counter), script([KEY], [WRAP])), n)
    if name in ("ours-trio", "memory-trio"):
        import trio

        import kvs

        async def run() -> float:
            async with kvs.connect(url if name == "ours-trio" else ":memory:") as db:
                await db.delete(KEY)
                script = db.register_script(SCRIPT)
                for i in range(200):
                    _check(i, await script([KEY], [WRAP]))
                start = time.perf_counter()
                for i in range(200, 200 + n):
                    _check(i, await script([KEY], [WRAP]))
                return time.perf_counter() - start

        return trio.run(run)
    if name == "redis-asyncio":
        import redis.asyncio

        async def run_asyncio() -> float:
            client = redis.asyncio.Redis(port=port)
            await client.delete(KEY)
            script = client.register_script(SCRIPT)
            for i in range(200):
                _check(i, await script(keys=[KEY], args=[WRAP]))
            start = time.perf_counter()
            for i in range(200, 200 + n):
                _check(i, await script(keys=[KEY], args=[WRAP]))
            elapsed = time.perf_counter() - start
            await client.aclose()
            return elapsed

        return asyncio.run(run_asyncio())
    if name in ("redis-py", "fakeredis"):
        if name == "redis-py":
            import redis

            client: Any = redis.Redis(port=port)
        else:
            import fakeredis

            client = fakeredis.FakeRedis()
        client.delete(KEY)
        script = client.register_script(SCRIPT)
        counter = iter(range(10**9))
        return _timed_sync(lambda: _check(next(counter), script(keys=[KEY], args=[WRAP])), n)
    raise SystemExit(f"unknown contender {name!r}")


def _run(name: str, n: int, port: int, cpu: int) -> float | None:
    argv = pinned([sys.executable, str(Path(__file__).resolve()), "--contender", name,
                   "--calls", str(n), "--port", str(port)], cpu)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        print(f"  {name} failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return float(result["calls"]) / float(result["seconds"])


def drive(args: argparse.Namespace) -> None:
    names = list(NETWORK) + list(MEMORY)
    tmp = tempfile.mkdtemp(prefix="kvs-bench-scripts-")
    port = free_port()
    server = subprocess.Popen(
        pinned(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", tmp], args.cpu),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        print(f"# S12: EVALSHA of a 3-line script, {args.calls} calls per run, "
              f"{args.rounds} round(s), server and clients on CPU {args.cpu}")
        print(f"# Python {sys.version.split()[0]}; load average at start "
              f"{os.getloadavg()[0]:.2f}\n")
        rates: dict[str, list[float]] = {name: [] for name in names}
        for round_ in range(args.rounds):
            order = names[round_ % len(names):] + names[:round_ % len(names)]
            for name in order:
                rate = _run(name, args.calls, port, args.cpu)
                if rate is not None:
                    rates[name].append(rate)
        labels = {**NETWORK, **MEMORY}
        print("| contender | calls/s, median (min-max) |")
        print("|---|---|")
        for name in names:
            got = rates[name]
            if got:
                print(f"| {labels[name]} | {human(statistics.median(got))} "
                      f"({human(min(got))}-{human(max(got))}) |")
        print()
        for ours, theirs in PAIRS:
            if rates[ours] and rates[theirs]:
                ratio = statistics.median(rates[ours]) / statistics.median(rates[theirs])
                print(f"- {labels[ours]} / {labels[theirs]}: {ratio:.2f}x")
        print(f"\n# load average at end {os.getloadavg()[0]:.2f}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rounds", type=int, default=None, help="rounds (default 3; --quick 1)")
    p.add_argument("--calls", type=int, default=None,
                   help="script calls per run (default 20000; --quick 5000)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--cpu", type=int, default=0, help="CPU to pin to (default 0)")
    p.add_argument("--contender", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.calls is None:
        args.calls = 5000 if args.quick else 20000
    if args.contender:
        seconds = child(args.contender, args.calls, args.port)
        print(json.dumps({"calls": args.calls, "seconds": seconds}))
    else:
        drive(args)


if __name__ == "__main__":
    main()
