"""memcached:// throughput: kvs (blocking and trio) against pymemcache, emcache, aiomcache.

Workloads, on 100-byte values (a distinct value per key):

- ``get``: sequential GETs on one connection (ops/s);
- ``many``: sequential multi-gets of 100 keys (calls/s);
- ``tasks``: 64 concurrent tasks sharing one client, each doing GETs (ops/s); for the
  blocking clients, which have no tasks, their sequential GET rate is the reference.

The method is the Redis benchmark's (``bench/_common.py``, BENCH.md): every (contender,
workload, round) is a fresh process pinned with ``taskset`` (``--client-cpu``), contenders
alternate A B C A B C ..., each child connects, checks one reply, warms up (5% of the
operations), times the workload, and checks every reply of the timed loop afterwards (a
checksum of them all against the one the data implies: a wrong value fails the round).
emcache and aiomcache (asyncio) run only when installed.  Unless ``--server`` names one, a
memcached is started on a free port pinned to ``--server-cpu``:

    .venv/bin/python bench/memcached.py [--rounds 5] [--scale 0.2] [--only get,tasks]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Series,
    Workload,
    checksum,
    format_table,
    pinned,
    print_failures_and_total,
    run_rounds,
    use_repo_packages,
)

KEYS = [f"bench:{i}" for i in range(100)]
VALUES = [b"%03d:" % i + bytes(97 + (i + j) % 26 for j in range(96)) for i in range(100)]

# Each runner times `count` operations and returns (seconds, the replies the timed loop got).
Runner = Callable[[str, int, int], tuple[float, list[Any]]]


@contextlib.contextmanager
def memcached_server(pin: str | None) -> Iterator[tuple[str, int]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    binary = shutil.which("memcached") or "memcached"
    argv = [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "64", "-u", "root"]
    if pin is not None and shutil.which("taskset"):
        argv = ["taskset", "-c", pin, *argv]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        yield "127.0.0.1", port
    finally:
        proc.kill()
        proc.wait()


# -- contenders ---------------------------------------------------------------------------


WARMUP = 0.05  # fraction of the operations run before the timed loop
TASKS = 64


def _timed(op: Callable[[int], Any], n: int) -> tuple[float, list[Any]]:
    for i in range(max(1, int(n * WARMUP))):
        op(i)
    received: list[Any] = []
    keep = received.append
    start = time.perf_counter()
    for i in range(n):
        keep(op(i))
    return time.perf_counter() - start, received


async def _atimed(op: Callable[[int], Any], n: int, tasks: int = 0) -> tuple[float, list[Any]]:
    """The async twin of `_timed`; with `tasks`, that many concurrent workers of n // tasks."""
    for i in range(max(1, int(n * WARMUP))):
        await op(i)
    if not tasks:
        received: list[Any] = []
        keep = received.append
        start = time.perf_counter()
        for i in range(n):
            keep(await op(i))
        return time.perf_counter() - start, received
    per_task = max(1, n // tasks)
    lists: list[list[Any]] = [[] for _ in range(tasks)]

    async def worker(t: int) -> None:
        keep = lists[t].append
        for i in range(per_task):
            keep(await op(t + i))

    return await _gather(worker, tasks), [r for rs in lists for r in rs]


async def _gather(worker: Callable[[int], Any], tasks: int) -> float:
    """Run `tasks` workers concurrently under whichever library is running; seconds."""
    import sniffio

    start = time.perf_counter()
    if sniffio.current_async_library() == "trio":
        import trio

        async with trio.open_nursery() as nursery:
            for t in range(tasks):
                nursery.start_soon(worker, t)
    else:
        await asyncio.gather(*(worker(t) for t in range(tasks)))
    return time.perf_counter() - start


def expected(workload: str, count: int) -> list[Any]:
    """Every reply the timed loop must receive, in order."""
    if workload == "get":
        return [VALUES[i % 100] for i in range(count)]
    if workload == "many":
        return [VALUES] * count
    per_task = max(1, count // TASKS)
    return [VALUES[(t + i) % 100] for t in range(TASKS) for i in range(per_task)]


def _ordered(found: Any, keys: Sequence[Any]) -> list[Any]:
    """A multi-get's reply as the list of values in key order (dicts keyed by str or bytes)."""
    if isinstance(found, dict):
        return [getattr(v, "value", v) for v in (found.get(k) for k in keys)]
    return list(found)


# -- contenders ---------------------------------------------------------------------------


def kvs_sync(workload: str, host: str, port: int, n: int) -> tuple[float, list[Any]]:
    import kvs.sync

    with kvs.sync.connect(f"memcached://{host}:{port}", decode=False) as db:
        get, mget = db.get, db.mget
        if workload == "get":
            return _timed(lambda i: get(KEYS[i % 100]), n)
        return _timed(lambda i: mget(KEYS), n)


def kvs_trio(workload: str, host: str, port: int, n: int) -> tuple[float, list[Any]]:
    import trio

    import kvs

    async def main() -> tuple[float, list[Any]]:
        async with kvs.connect(f"memcached://{host}:{port}", decode=False) as db:
            get, mget = db.get, db.mget
            if workload == "many":
                return await _atimed(lambda i: mget(KEYS), n)
            return await _atimed(lambda i: get(KEYS[i % 100]), n,
                                 TASKS if workload == "tasks" else 0)

    result: tuple[float, list[Any]] = trio.run(main)
    return result


def pymemcache(workload: str, host: str, port: int, n: int) -> tuple[float, list[Any]]:
    from pymemcache.client.base import Client

    client = Client((host, port), no_delay=True)
    try:
        if workload == "many":
            return _timed(lambda i: _ordered(client.get_many(KEYS), KEYS), n)
        secs, got = _timed(lambda i: client.get(KEYS[i % 100]), n)
        return secs, got
    finally:
        client.close()


def emcache_client(workload: str, host: str, port: int, n: int) -> tuple[float, list[Any]]:
    import emcache

    bkeys = [k.encode() for k in KEYS]

    async def main() -> tuple[float, list[Any]]:
        client = await emcache.create_client([emcache.MemcachedHostAddress(host, port)],
                                             timeout=None)
        try:
            async def get(i: int) -> Any:
                item = await client.get(bkeys[i % 100])
                return None if item is None else item.value

            async def many(i: int) -> Any:
                return _ordered(await client.get_many(bkeys), bkeys)

            if workload == "many":
                return await _atimed(many, n)
            return await _atimed(get, n, TASKS if workload == "tasks" else 0)
        finally:
            await client.close()

    return asyncio.run(main())


def aiomcache_client(workload: str, host: str, port: int, n: int) -> tuple[float, list[Any]]:
    import aiomcache

    bkeys = [k.encode() for k in KEYS]

    async def main() -> tuple[float, list[Any]]:
        client = aiomcache.Client(host, port, pool_size=1)
        try:
            async def get(i: int) -> Any:
                return await client.get(bkeys[i % 100])

            async def many(i: int) -> Any:
                return list(await client.multi_get(*bkeys))

            if workload == "many":
                return await _atimed(many, n)
            return await _atimed(get, n, TASKS if workload == "tasks" else 0)
        finally:
            await client.close()

    return asyncio.run(main())


# name -> (label, runner, workloads, module it needs); the first is the reference
CONTENDERS: dict[str, tuple[str, Callable[..., tuple[float, list[Any]]], set[str], str]] = {
    "pymemcache": ("pymemcache", pymemcache, {"get", "many", "tasks"}, "pymemcache"),
    "kvs-sync": ("kvs.sync", kvs_sync, {"get", "many"}, ""),
    "kvs-trio": ("kvs (trio)", kvs_trio, {"get", "many", "tasks"}, "trio"),
    "emcache": ("emcache", emcache_client, {"get", "many", "tasks"}, "emcache"),
    "aiomcache": ("aiomcache", aiomcache_client, {"get", "many", "tasks"}, "aiomcache"),
}
WORKLOADS = {
    "get": Workload("get", "sequential get of 100 B values", 20_000, "ops/s"),
    "many": Workload("many", "get-many of 100 keys", 1_000, "calls/s"),
    "tasks": Workload("tasks", "64 tasks sharing one client, get (pymemcache: sequential)",
                      20_000, "ops/s"),
}


def _installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def run_as_child(contender: str, workload: str, port: int, scale: float) -> None:
    use_repo_packages()
    n = WORKLOADS[workload].scaled(scale)
    run = CONTENDERS[contender][1]
    # pymemcache has no tasks: its sequential GETs are the reference for "tasks"
    real = "get" if workload == "tasks" and contender in ("pymemcache", "kvs-sync") else workload
    secs, got = run(real, "127.0.0.1", port, n)
    want = expected(real, n)
    if len(got) != len(want) or checksum(got) != checksum(want):
        raise RuntimeError(f"{contender} {workload}: {len(got)} replies, {len(want)} expected, "
                           "checksum mismatch")
    print(json.dumps({"contender": contender, "workload": workload, "ops": len(got),
                      "seconds": secs, "rate": len(got) / secs}), flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--server", help="host:port of a running memcached (default: start one)")
    parser.add_argument("--server-cpu", default="0", help="CPU to pin a started memcached to")
    parser.add_argument("--client-cpu", type=int, default=0, help="CPU for the clients")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--only", default="get,many,tasks",
                        help="comma-separated workloads among get, many, tasks (default: all)")
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.contender:
        run_as_child(args.contender, args.workload, args.port, args.scale)
        return
    only = args.only.split(",")
    unknown = set(only) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    names = [n for n, c in CONTENDERS.items() if not c[3] or _installed(c[3])]
    labels = {n: c[0] for n, c in CONTENDERS.items()}
    started = time.monotonic()
    results: dict[str, dict[str, Series]] = {}
    with contextlib.ExitStack() as stack:
        if args.server:
            host, _, port_text = args.server.rpartition(":")
            address = (host, int(port_text))
        else:
            address = stack.enter_context(memcached_server(args.server_cpu))
        _populate(*address)
        print(f"# memcached.py: {args.rounds} round(s), scale {args.scale}, clients on CPU "
              f"{args.client_cpu}, server on CPU {args.server_cpu}\n")
        for wl in only:
            runnable = [n for n in names if wl in CONTENDERS[n][2]]

            def argv_for(name: str, wl: str = wl) -> list[str]:
                return pinned([sys.executable, str(Path(__file__).resolve()), "--contender",
                               name, "--workload", wl, "--port", str(address[1]),
                               "--scale", str(args.scale)], args.client_cpu)

            per = results[wl] = run_rounds(runnable, args.rounds, wl, argv_for, args.timeout)
            print(f"## {wl}: {WORKLOADS[wl].title}\n")
            print(format_table(WORKLOADS[wl], per, labels, ["pymemcache"]))
            print(flush=True)
    print_failures_and_total(results, labels, started)


def _populate(host: str, port: int) -> None:
    use_repo_packages()
    import kvs.sync

    with kvs.sync.connect(f"memcached://{host}:{port}") as db:
        db.mset(dict(zip(KEYS, VALUES, strict=True)))


if __name__ == "__main__":
    main()
