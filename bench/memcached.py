"""memcached:// throughput: kvs (blocking and trio) against pymemcache, emcache, aiomcache.

Workloads, on 100-byte values (the method is BENCH.md's, as in bench/README.md):

- ``get``: sequential GETs on one connection (ops/s);
- ``get_many``: sequential multi-gets of 100 keys (calls/s);
- ``64 tasks``: 64 concurrent tasks sharing one client, each doing GETs (ops/s); for the
  blocking clients, which have no tasks, their sequential GET rate is the reference.

Contenders run alternately (A B C ..., A B C ...) for ``--rounds`` rounds; the median and
min-max of each are printed with the ratio of every kvs figure to pymemcache's.  emcache and
aiomcache (asyncio) run only when installed.  Unless ``--server`` names one, a memcached is
started on a free port pinned to CPU 0.  Pin the client too, for comparable numbers:

    taskset -c 0 .venv/bin/python bench/memcached.py [--rounds 5] [--scale 0.2] [--only get,tasks]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trio

import kvs
import kvs.sync

VALUE = b"v" * 100
KEYS = [f"bench:{i}" for i in range(100)]

Runner = Callable[[str, int, int], float]  # (host, port, count) -> seconds


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


def kvs_sync_get(host: str, port: int, n: int) -> float:
    with kvs.sync.connect(f"memcached://{host}:{port}", decode=False) as db:
        get = db.get
        start = time.perf_counter()
        for i in range(n):
            get(KEYS[i % 100])
        return time.perf_counter() - start


def kvs_sync_mget(host: str, port: int, n: int) -> float:
    with kvs.sync.connect(f"memcached://{host}:{port}", decode=False) as db:
        start = time.perf_counter()
        for _ in range(n):
            db.mget(KEYS)
        return time.perf_counter() - start


def _trio(main: Callable[[], Any]) -> float:
    result: float = trio.run(main)
    return result


def kvs_trio_get(host: str, port: int, n: int) -> float:
    async def main() -> float:
        async with kvs.connect(f"memcached://{host}:{port}", decode=False) as db:
            start = time.perf_counter()
            for i in range(n):
                await db.get(KEYS[i % 100])
            return time.perf_counter() - start

    return _trio(main)


def kvs_trio_mget(host: str, port: int, n: int) -> float:
    async def main() -> float:
        async with kvs.connect(f"memcached://{host}:{port}", decode=False) as db:
            start = time.perf_counter()
            for _ in range(n):
                await db.mget(KEYS)
            return time.perf_counter() - start

    return _trio(main)


def kvs_trio_tasks(host: str, port: int, n: int) -> float:
    per_task = max(1, n // 64)

    async def main() -> float:
        async with kvs.connect(f"memcached://{host}:{port}", decode=False) as db:
            async def worker(t: int) -> None:
                for i in range(per_task):
                    await db.get(KEYS[(t + i) % 100])

            start = time.perf_counter()
            async with trio.open_nursery() as nursery:
                for t in range(64):
                    nursery.start_soon(worker, t)
            return time.perf_counter() - start

    return _trio(main) * n / (per_task * 64)


def pymemcache_get(host: str, port: int, n: int) -> float:
    from pymemcache.client.base import Client

    client = Client((host, port), no_delay=True)
    try:
        start = time.perf_counter()
        for i in range(n):
            client.get(KEYS[i % 100])
        return time.perf_counter() - start
    finally:
        client.close()


def pymemcache_get_many(host: str, port: int, n: int) -> float:
    from pymemcache.client.base import Client

    client = Client((host, port), no_delay=True)
    try:
        start = time.perf_counter()
        for _ in range(n):
            client.get_many(KEYS)
        return time.perf_counter() - start
    finally:
        client.close()


def emcache_get(host: str, port: int, n: int, *, many: bool = False, tasks: int = 0) -> float:
    import emcache

    async def main() -> float:
        client = await emcache.create_client([emcache.MemcachedHostAddress(host, port)],
                                            timeout=None)
        bkeys = [k.encode() for k in KEYS]
        try:
            return await _asyncio_loop(client.get, client.get_many, bkeys, n, many=many,
                                       tasks=tasks)
        finally:
            await client.close()

    return asyncio.run(main())


def aiomcache_get(host: str, port: int, n: int, *, many: bool = False, tasks: int = 0) -> float:
    import aiomcache

    async def main() -> float:
        client = aiomcache.Client(host, port, pool_size=1)
        bkeys = [k.encode() for k in KEYS]
        try:
            return await _asyncio_loop(client.get, lambda keys: client.multi_get(*keys), bkeys, n,
                                       many=many, tasks=tasks)
        finally:
            await client.close()

    return asyncio.run(main())


async def _asyncio_loop(get: Any, get_many: Any, keys: list[bytes], n: int, *, many: bool,
                        tasks: int) -> float:
    if many:
        start = time.perf_counter()
        for _ in range(n):
            await get_many(keys)
        return time.perf_counter() - start
    if not tasks:
        start = time.perf_counter()
        for i in range(n):
            await get(keys[i % 100])
        return time.perf_counter() - start
    per_task = max(1, n // tasks)

    async def worker(t: int) -> None:
        for i in range(per_task):
            await get(keys[(t + i) % 100])

    start = time.perf_counter()
    await asyncio.gather(*(worker(t) for t in range(tasks)))
    return (time.perf_counter() - start) * n / (per_task * tasks)


def _installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def workloads(scale: float) -> list[tuple[str, str, str, int, list[tuple[str, Runner]]]]:
    """(name, title, unit, count, contenders); the first contender is the reference."""
    gets, manys = max(100, int(20_000 * scale)), max(10, int(1_000 * scale))
    get: list[tuple[str, Runner]] = [("pymemcache", pymemcache_get),
                                     ("kvs.sync", kvs_sync_get), ("kvs (trio)", kvs_trio_get)]
    many: list[tuple[str, Runner]] = [("pymemcache", pymemcache_get_many),
                                      ("kvs.sync", kvs_sync_mget), ("kvs (trio)", kvs_trio_mget)]
    tasks: list[tuple[str, Runner]] = [("pymemcache (sequential)", pymemcache_get),
                                       ("kvs (trio, 64 tasks)", kvs_trio_tasks)]
    asyncio_clients: list[tuple[str, Callable[..., float]]] = [
        ("emcache", emcache_get), ("aiomcache", aiomcache_get)]
    for name, fn in asyncio_clients:
        if _installed(name):
            get.append((name, fn))
            many.append((name, functools.partial(fn, many=True)))
            tasks.append((f"{name} (64 tasks)", functools.partial(fn, tasks=64)))
    return [("get", "sequential get", "ops/s", gets, get),
            ("many", "get-many of 100 keys", "calls/s", manys, many),
            ("tasks", "64 tasks sharing one client, get", "ops/s", gets, tasks)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--server", help="host:port of a running memcached (default: start one)")
    parser.add_argument("--server-cpu", default="0", help="CPU to pin a started memcached to")
    parser.add_argument("--only", default="get,many,tasks",
                        help="comma-separated workloads among get, many, tasks (default: all)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    unknown = only - {"get", "many", "tasks"}
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    with contextlib.ExitStack() as stack:
        if args.server:
            host, _, port_text = args.server.rpartition(":")
            address = (host, int(port_text))
        else:
            address = stack.enter_context(memcached_server(args.server_cpu))
        _populate(*address)
        for workload, title, unit, count, contenders in workloads(args.scale):
            if workload not in only:
                continue
            rates: dict[str, list[float]] = {name: [] for name, _ in contenders}
            for _ in range(args.rounds):
                for name, run in contenders:
                    rates[name].append(count / run(*address, count))
            _report(title, unit, rates)


def _populate(host: str, port: int) -> None:
    with kvs.sync.connect(f"memcached://{host}:{port}") as db:
        db.mset(dict.fromkeys(KEYS, VALUE))


def _report(title: str, unit: str, rates: dict[str, list[float]]) -> None:
    names = list(rates)
    reference = statistics.median(rates[names[0]])
    print(f"\n{title} ({unit}, median of {len(rates[names[0]])} rounds, min-max)")
    for name in names:
        values = rates[name]
        median = statistics.median(values)
        print(f"  {name:<26} {median:>10,.0f}   ({min(values):,.0f}-{max(values):,.0f})"
              f"   x{median / reference:.2f} of {names[0]}")


if __name__ == "__main__":
    main()
