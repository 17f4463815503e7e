"""S9: 64 tasks doing GET/SET through one client over a 3-primary Redis Cluster, ours against
redis.asyncio's RedisCluster (+hiredis) and valkey-glide's cluster client; and S1 (sequential
GETs, one task) on the cluster against a standalone redis-server: the cost of routing.

    .venv/bin/python bench/cluster.py                  # 3 rounds of each
    .venv/bin/python bench/cluster.py --rounds 5 --scale 0.5
    .venv/bin/python bench/cluster.py --only S9

The method of the other benchmarks (``bench/_common.py``): one child process per contender
and round, contenders alternated A B C A B C ..., medians with min-max and ratios in one
table, every reply checked after the timed part.  The servers (three cluster primaries, no
replicas, and one standalone server for S1) run pinned to CPU 0, each client child to CPU 1:
a cluster is three servers, and on two CPUs a client sharing a CPU with them would measure
the scheduler.

S9: each of 64 tasks runs ``count`` operations on its own 100 keys (``bench:s9:{task}:{i}``,
spread over every slot), SET then GET of each key in turn, 100-byte values; the rate is
operations per second, all tasks together.  S1 is 20,000 GETs of one key, one after the other.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Workload,
    format_table,
    free_port,
    pinned,
    print_failures_and_total,
    run_rounds,
    use_repo_packages,
)

TASKS = 64
KEYS_PER_TASK = 100
VALUE = bytes(97 + i % 26 for i in range(100))
S1_KEY = "bench:s1"
S9 = Workload("S9", "64 tasks x GET/SET over a 3-primary cluster, one client", 1_000, "op/s",
              per_op=TASKS)
S1 = Workload("S1", "20,000 sequential GETs of 100 B, one task", 20_000, "GET/s")

S9_CONTENDERS = {
    "ours-trio": "kvs (trio)",
    "redis-asyncio": "redis.asyncio RedisCluster+hiredis",
    "glide-trio": "valkey-glide cluster (trio)",
}
S1_CONTENDERS = {
    "ours-cluster": "kvs (trio), redis+cluster://",
    "ours-single": "kvs (trio), redis://",
}


def _key(task: int, i: int) -> str:
    """Operation `i` of a task: SET then GET of the same key, over the task's 100 keys."""
    return f"bench:s9:{task}:{(i // 2) % KEYS_PER_TASK}"


def _emit(contender: str, workload: Workload, n: int, seconds: float) -> None:
    ops = n * workload.per_op
    print(json.dumps({"contender": contender, "workload": workload.name, "ops": ops,
                      "seconds": seconds, "rate": ops / seconds, "unit": workload.unit}),
          flush=True)


def _check_s9(results: list[list[Any]], n: int) -> None:
    for task, got in enumerate(results):
        if len(got) != n:
            raise SystemExit(f"task {task}: {len(got)} results, not {n}")
        for i, reply in enumerate(got):
            want = VALUE if i % 2 else True
            ok = bytes(reply) == VALUE if want is VALUE else reply in (True, "OK", b"OK")
            if not ok:
                raise SystemExit(f"task {task} op {i}: unexpected {reply!r}")


# --- children -----------------------------------------------------------------------------

async def _timed_trio_tasks(task: Callable[[int, int, list[Any]], Awaitable[None]], n: int,
                            results: list[list[Any]]) -> float:
    """Warm up (20 operations per task: every node's connection opens), then time `n`
    operations in each of the 64 tasks."""
    import trio

    async with trio.open_nursery() as nursery:
        for t in range(TASKS):
            nursery.start_soon(task, t, 20, [])
    start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for t in range(TASKS):
            nursery.start_soon(task, t, n, results[t])
    return time.perf_counter() - start


def child_ours(workload: str, n: int, url: str) -> None:
    import trio

    import kvs

    async def main() -> None:
        async with kvs.connect(url, decode=False) as db:
            if workload == "S1":
                await db.get(S1_KEY)
                got: list[Any] = []
                start = time.perf_counter()
                for _ in range(n):
                    got.append(await db.get(S1_KEY))
                secs = time.perf_counter() - start
                if got != [VALUE] * n:
                    raise SystemExit("S1: a wrong reply")
                _emit("ours-cluster" if "cluster" in url else "ours-single", S1, n, secs)
                return
            results: list[list[Any]] = [[] for _ in range(TASKS)]

            async def task(t: int, count: int, out: list[Any]) -> None:
                get, set_ = db.get, db.set
                for i in range(count):
                    key = _key(t, i)
                    out.append(await get(key) if i % 2 else await set_(key, VALUE))

            secs = await _timed_trio_tasks(task, n, results)
            _check_s9(results, n)
            _emit("ours-trio", S9, n, secs)

    trio.run(main)


def child_redis_asyncio(n: int, host: str, port: int) -> None:
    import asyncio

    from redis.asyncio.cluster import RedisCluster
    from redis.utils import HIREDIS_AVAILABLE

    assert HIREDIS_AVAILABLE

    async def main() -> None:
        client = RedisCluster(host=host, port=port)
        await client.initialize()
        results: list[list[Any]] = [[] for _ in range(TASKS)]

        async def task(t: int, count: int, out: list[Any]) -> None:
            for i in range(count):
                key = _key(t, i)
                out.append(await client.get(key) if i % 2
                           else await client.set(key, VALUE))

        await asyncio.gather(*(task(t, 20, []) for t in range(TASKS)))
        start = time.perf_counter()
        await asyncio.gather(*(task(t, n, results[t]) for t in range(TASKS)))
        secs = time.perf_counter() - start
        _check_s9(results, n)
        _emit("redis-asyncio", S9, n, secs)
        await client.aclose()

    asyncio.run(main())


def child_glide(n: int, host: str, port: int) -> None:
    import trio
    from glide import GlideClusterClient, GlideClusterClientConfiguration, NodeAddress

    async def main() -> None:
        client = await GlideClusterClient.create(
            GlideClusterClientConfiguration([NodeAddress(host, port)]))
        try:
            results: list[list[Any]] = [[] for _ in range(TASKS)]

            async def task(t: int, count: int, out: list[Any]) -> None:
                for i in range(count):
                    key = _key(t, i)
                    out.append(await client.get(key) if i % 2
                               else await client.set(key, VALUE))

            secs = await _timed_trio_tasks(task, n, results)
            _check_s9(results, n)
            _emit("glide-trio", S9, n, secs)
        finally:
            await client.close()

    trio.run(main)


# --- servers ------------------------------------------------------------------------------

def _server(port: int, folder: Path, *extra: str) -> subprocess.Popen[bytes]:
    argv = pinned(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir",
                   str(folder), "--save", "", "--appendonly", "no", "--logfile", "", *extra],
                  0)
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _cli(port: int, *args: str) -> str:
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                          text=True, check=True, timeout=30).stdout


def _wait(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(subprocess.CalledProcessError):
            if _cli(port, "PING").strip() == "PONG":
                return
        time.sleep(0.05)
    raise SystemExit(f"redis-server on {port} did not start")


@contextlib.contextmanager
def servers() -> Iterator[tuple[list[int], int]]:
    """Three cluster primaries (no replicas) and one standalone server, all on CPU 0."""
    folder = Path(tempfile.mkdtemp(prefix="kvs-bench-cluster-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        ports = [free_port() for _ in range(3)]
        for port in ports:
            node = folder / str(port)
            node.mkdir()
            procs.append(_server(port, node, "--cluster-enabled", "yes",
                                 "--cluster-config-file", "nodes.conf",
                                 "--cluster-port", str(free_port())))
        single = free_port()
        procs.append(_server(single, folder))
        for port in [*ports, single]:
            _wait(port)
        subprocess.run(["redis-cli", "--cluster", "create",
                        *[f"127.0.0.1:{p}" for p in ports], "--cluster-yes"],
                       capture_output=True, check=True, timeout=60)
        deadline = time.monotonic() + 30
        while not all("cluster_state:ok" in _cli(p, "CLUSTER", "INFO") for p in ports):
            if time.monotonic() > deadline:
                raise SystemExit("the cluster did not settle")
            time.sleep(0.1)
        for port in (ports[0], single):
            subprocess.run(["redis-cli", "-c", "-p", str(port), "SET", S1_KEY, VALUE.decode()],
                           capture_output=True, check=True)
        yield ports, single
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--only", help="S9, S1 or both (the default)")
    p.add_argument("--child", nargs=4, metavar=("CONTENDER", "WORKLOAD", "N", "URL"),
                   help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        use_repo_packages()
        contender, workload, n_text, url = args.child
        n = int(n_text)
        host, _, port = url.rpartition("/")[2].split(",")[0].partition(":")
        if contender.startswith("ours"):
            child_ours(workload, n, url)
        elif contender == "redis-asyncio":
            child_redis_asyncio(n, host, int(port))
        elif contender == "glide-trio":
            child_glide(n, host, int(port))
        else:
            raise SystemExit(f"unknown contender {contender!r}")
        return
    started = time.monotonic()
    only = set((args.only or "S9,S1").split(","))
    with servers() as (ports, single):
        cluster_url = "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in ports)
        single_url = f"redis://127.0.0.1:{single}"
        results: dict[str, Any] = {}

        def argv_for(workload: Workload, url_of: dict[str, str]) -> Any:
            n = workload.scaled(args.scale)
            return lambda name: pinned([sys.executable, __file__, "--child", name,
                                        workload.name, str(n), url_of[name]], 1)

        print(f"# load average before: {Path('/proc/loadavg').read_text().split()[:3]}")
        if "S9" in only:
            urls = dict.fromkeys(S9_CONTENDERS, cluster_url)
            results["S9"] = run_rounds(list(S9_CONTENDERS), args.rounds, "S9",
                                       argv_for(S9, urls), 600)
            print(f"## {S9.name}: {S9.title}\n")
            print(format_table(S9, results["S9"], S9_CONTENDERS, ["ours-trio"]) + "\n")
        if "S1" in only:
            urls = {"ours-cluster": cluster_url, "ours-single": single_url}
            results["S1"] = run_rounds(list(S1_CONTENDERS), args.rounds, "S1",
                                       argv_for(S1, urls), 600)
            print(f"## {S1.name}: {S1.title}\n")
            print(format_table(S1, results["S1"], S1_CONTENDERS, ["ours-single"]) + "\n")
        print(f"# load average after: {Path('/proc/loadavg').read_text().split()[:3]}")
        print_failures_and_total(results, {**S9_CONTENDERS, **S1_CONTENDERS}, started)


if __name__ == "__main__":
    main()
