"""Our Redis client against its peers, on a private redis-server, pinned to one CPU.

    .venv/bin/python bench/clients.py               # S1..S7, 3 rounds (about 8 minutes)
    .venv/bin/python bench/clients.py --quick       # 1 round, fewer operations (about 1 minute)
    .venv/bin/python bench/clients.py --only S1,S3 --rounds 5

The driver starts ``redis-server`` on a free loopback port in a temporary directory, loads
the data, then runs every contender as its own process (``taskset -c 0 python
bench/clients.py --contender NAME --workload S1 --port P``), alternating contenders round by
round, and prints one table per workload: median (min-max) and the ratio to our clients.
See bench/README.md for the workloads and how to read the tables.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import importlib.metadata
import importlib.util
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    HASH_KEY_V,
    LIST_KEY_V,
    MGET_KEYS,
    MGET_KEYS_V,
    S1_KEY,
    S2_BATCH,
    S3_TASKS,
    VALUE_100,
    WORKLOADS,
    AsyncApi,
    AsyncOp,
    Series,
    SyncApi,
    emit,
    format_table,
    free_port,
    measure_async,
    measure_sync,
    pinned,
    print_failures_and_total,
    run_rounds,
    seed_commands,
    trio_gather,
    use_repo_packages,
)

ALL = frozenset(WORKLOADS)


@dataclass(frozen=True)
class Contender:
    name: str
    label: str
    workloads: frozenset[str]
    needs: tuple[str, ...]  # importable modules (or executables, prefixed "!")
    note: str = ""


CONTENDERS = [
    Contender("ours-trio", "ours trio", ALL, ("trio",)),
    Contender("ours-sync", "ours sync", ALL - {"S2"}, ()),
    Contender("ours-trio-resp2", "ours trio protocol=2", frozenset({"S7", "S7v"}), ("trio",)),
    Contender("ours-sync-resp2", "ours sync protocol=2", frozenset({"S7", "S7v"}), ()),
    Contender("redispy-hiredis", "redis-py + hiredis", ALL, ("redis", "hiredis")),
    Contender("redispy-pure", "redis-py pure", ALL, ("redis",)),
    Contender("aioredis-hiredis", "redis.asyncio + hiredis", ALL, ("redis", "hiredis")),
    Contender("aioredis-pure", "redis.asyncio pure", ALL, ("redis",)),
    Contender("coredis-trio", "coredis (trio)", ALL, ("coredis", "trio")),
    Contender("glide-trio", "valkey-glide (trio)", ALL, ("glide", "trio")),
    Contender("raw-trio", "raw trio socket", frozenset({"S1", "S2"}), ("trio",)),
    Contender("raw-socket", "raw socket + wait_readable", frozenset({"S1", "S2"}), ("trio",)),
    Contender("redis-benchmark", "redis-benchmark (C)", ALL, ("!redis-benchmark",)),
]
BY_NAME = {c.name: c for c in CONTENDERS}
LABELS = {c.name: c.label for c in CONTENDERS}
BASES = ("ours-trio", "ours-sync")


# --- children: one function per family of contenders ----------------------------------

async def _asyncio_gather(fns: list[AsyncOp]) -> None:
    await asyncio.gather(*(fn() for fn in fns))


def child_ours_trio(workload: str, n: int, port: int, protocol: int) -> None:
    import trio

    import kvs

    async def main() -> None:
        async with kvs.connect(f"redis://127.0.0.1:{port}", decode=False,
                               protocol=protocol) as db:
            async def batch(keys: list[str]) -> list[Any]:
                # No pipeline API: one task per GET, all on the shared connection.
                out: list[Any] = [None] * len(keys)

                async def one(i: int, key: str) -> None:
                    out[i] = await db.get(key)

                async with trio.open_nursery() as nursery:
                    for i, key in enumerate(keys):
                        nursery.start_soon(one, i, key)
                return out

            api = AsyncApi(get=db.get, mget=db.mget, lrange=lambda k: db.lrange(k, 0, -1),
                           hgetall=db.hgetall, gather=trio_gather, batch=batch)
            secs = await measure_async(api, workload, n)
            note = f"{S2_BATCH} concurrent GET tasks per batch (no pipeline API)" \
                if workload == "S2" else ""
            emit(f"ours-trio/p{protocol}", workload, n, secs, note)

    trio.run(main)


def child_ours_sync(workload: str, n: int, port: int, protocol: int) -> None:
    import kvs.sync

    with kvs.sync.connect(f"redis://127.0.0.1:{port}", decode=False,
                          protocol=protocol) as db:
        api = SyncApi(get=db.get, mget=db.mget, lrange=lambda k: db.lrange(k, 0, -1),
                      hgetall=db.hgetall)
        secs = measure_sync(api, workload, n)
        note = "8 threads, one client" if workload == "S3" else ""
        emit(f"ours-sync/p{protocol}", workload, n, secs, note)


def _redispy_parser_name(pool: Any) -> str:
    conns = list(getattr(pool, "_available_connections", ())) + list(
        getattr(pool, "_in_use_connections", ()))
    for conn in conns:
        parser = getattr(conn, "_parser", None)
        if parser is not None:
            return type(parser).__name__
    return "?"


def child_redispy(workload: str, n: int, port: int, hiredis: bool) -> None:
    import redis
    from redis._parsers import _RESP2Parser

    kwargs: dict[str, Any] = {} if hiredis else {"parser_class": _RESP2Parser}
    pool = redis.ConnectionPool(host="127.0.0.1", port=port, protocol=2, **kwargs)
    client = redis.Redis(connection_pool=pool)

    def batch(keys: list[str]) -> list[Any]:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
        return pipe.execute()

    api = SyncApi(get=client.get, mget=client.mget, lrange=lambda k: client.lrange(k, 0, -1),
                  hgetall=client.hgetall, batch=batch)
    secs = measure_sync(api, workload, n)
    parser = _redispy_parser_name(pool)
    if ("Hiredis" in parser) != hiredis:
        raise RuntimeError(f"wrong parser in use: {parser}")
    note = "8 threads, one client (a pool)" if workload == "S3" else ""
    emit(f"redispy/{parser}", workload, n, secs, note)
    client.close()


def child_aioredis(workload: str, n: int, port: int, hiredis: bool) -> None:
    import redis.asyncio
    from redis._parsers import _AsyncRESP2Parser

    async def main() -> None:
        kwargs: dict[str, Any] = (
            {} if hiredis else {"parser_class": _AsyncRESP2Parser})
        pool = redis.asyncio.ConnectionPool(host="127.0.0.1", port=port, protocol=2, **kwargs)
        client = redis.asyncio.Redis(connection_pool=pool)

        async def batch(keys: list[str]) -> list[Any]:
            pipe = client.pipeline(transaction=False)
            for key in keys:
                pipe.get(key)
            return await pipe.execute()

        api = AsyncApi(get=client.get, mget=client.mget,
                       lrange=lambda k: client.lrange(k, 0, -1), hgetall=client.hgetall,
                       gather=_asyncio_gather, batch=batch)
        secs = await measure_async(api, workload, n)
        parser = _redispy_parser_name(pool)
        if ("Hiredis" in parser) != hiredis:
            raise RuntimeError(f"wrong parser in use: {parser}")
        emit(f"aioredis/{parser}", workload, n, secs,
             "64 tasks, one client (a pool)" if workload == "S3" else "")
        await client.aclose()

    asyncio.run(main())


def child_coredis(workload: str, n: int, port: int) -> None:
    import coredis
    import trio

    async def main() -> None:
        client = coredis.Redis(host="127.0.0.1", port=port)
        async with client:
            async def batch(keys: list[str]) -> list[Any]:
                async with client.pipeline(transaction=False) as pipe:
                    pending = [pipe.get(key) for key in keys]
                return [await p for p in pending]

            api = AsyncApi(get=client.get, mget=client.mget,
                           lrange=lambda k: client.lrange(k, 0, -1), hgetall=client.hgetall,
                           gather=trio_gather, batch=batch)
            secs = await measure_async(api, workload, n)
            emit("coredis-trio", workload, n, secs, "RESP3" if workload == "S7" else "")

    trio.run(main)


def child_glide(workload: str, n: int, port: int) -> None:
    import trio
    from glide import Batch, GlideClient, GlideClientConfiguration, NodeAddress

    async def main() -> None:
        config = GlideClientConfiguration([NodeAddress("127.0.0.1", port)])
        client = await GlideClient.create(config)
        try:
            async def batch(keys: list[str]) -> list[Any]:
                b = Batch(is_atomic=False)
                for key in keys:
                    b.get(key)
                return list(await client.exec(b, raise_on_error=True) or [])

            api = AsyncApi(get=client.get, mget=client.mget,
                           lrange=lambda k: client.lrange(k, 0, -1), hgetall=client.hgetall,
                           gather=trio_gather, batch=batch)
            secs = await measure_async(api, workload, n)
            emit("glide-trio", workload, n, secs, "RESP3" if workload == "S7" else "")
        finally:
            await client.close()

    trio.run(main)


def _get_command(key: str) -> bytes:
    k = key.encode()
    return b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k)


def _raw_request(workload: str) -> tuple[bytes, bytes]:
    """The request bytes of S1/S2 and the exact reply bytes they must bring back."""
    if workload not in ("S1", "S2"):
        raise NotImplementedError(workload)
    one_reply = b"$100\r\n" + VALUE_100 + b"\r\n"
    if workload == "S1":
        return _get_command(S1_KEY), one_reply
    return b"".join(_get_command(k) for k in MGET_KEYS), one_reply * S2_BATCH


def _check_raw(name: str, replies: list[bytes], expected: bytes, n: int) -> None:
    wrong = sum(1 for r in replies if r != expected)
    if len(replies) != n or wrong:
        raise RuntimeError(f"{name}: {len(replies)} replies, {wrong} of them wrong")


def child_raw_socket(workload: str, n: int, port: int) -> None:
    """The floor for this design: the technique kvs's trio transport uses.

    A plain non-blocking socket: send straight from the task, ``recv_into`` a buffer made
    once, and ``trio.lowlevel.wait_readable`` only when nothing has arrived yet.
    """
    import trio

    request, expected = _raw_request(workload)
    size = len(expected)

    async def main() -> None:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        buf = bytearray(max(65536, 2 * size))
        view = memoryview(buf)
        wait_readable = trio.lowlevel.wait_readable

        async def roundtrip() -> bytes:
            sent = 0
            while sent < len(request):
                try:
                    sent += sock.send(request[sent:])
                except BlockingIOError:
                    await trio.lowlevel.wait_writable(sock)
            got = 0
            while got < size:
                try:
                    k = sock.recv_into(view[got:])
                except BlockingIOError:
                    await wait_readable(sock)
                    continue
                if not k:
                    raise ConnectionError("server closed the connection")
                got += k
            return bytes(view[:got])

        if await roundtrip() != expected:
            raise RuntimeError("raw-socket: unexpected reply bytes")
        for _ in range(max(1, min(500, n // 20))):
            await roundtrip()
        received: list[bytes] = []
        keep = received.append
        t0 = time.perf_counter()
        for _ in range(n):
            keep(await roundtrip())
        secs = time.perf_counter() - t0
        sock.close()
        _check_raw("raw-socket", received, expected, n)
        emit("raw-socket", workload, n, secs)

    trio.run(main)


def child_raw_trio(workload: str, n: int, port: int) -> None:
    """A trio.SocketStream loop: write GET bytes, read until the whole known reply is in."""
    import trio

    request, expected = _raw_request(workload)

    async def main() -> None:
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        size = len(expected)

        async def roundtrip() -> bytes:
            await stream.send_all(request)
            chunks: list[bytes] = []
            got = 0
            while got < size:
                chunk = await stream.receive_some(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                chunks.append(chunk)
                got += len(chunk)
            return b"".join(chunks)

        if await roundtrip() != expected:
            raise RuntimeError("raw-trio: unexpected reply bytes")
        for _ in range(max(1, min(500, n // 20))):
            await roundtrip()
        received: list[bytes] = []
        keep = received.append
        t0 = time.perf_counter()
        for _ in range(n):
            keep(await roundtrip())
        secs = time.perf_counter() - t0
        await stream.aclose()
        _check_raw("raw-trio", received, expected, n)
        emit("raw-trio", workload, n, secs)

    trio.run(main)


def child_redis_benchmark(workload: str, n: int, port: int) -> None:
    """redis-benchmark with the workload's own command; it inherits our CPU pinning."""
    command = {
        "S1": ["GET", S1_KEY], "S2": ["GET", S1_KEY], "S3": ["GET", S1_KEY],
        "S4": ["MGET", *MGET_KEYS], "S5": ["LRANGE", "bench:list", "0", "-1"],
        "S6": ["GET", "bench:big"], "S7": ["HGETALL", "bench:hash"],
        "S4v": ["MGET", *MGET_KEYS_V], "S5v": ["LRANGE", LIST_KEY_V, "0", "-1"],
        "S7v": ["HGETALL", HASH_KEY_V],
    }[workload]
    requests = n * WORKLOADS[workload].per_op
    long_run = workload not in ("S1", "S2", "S3")
    if long_run:
        requests *= 5  # its clock ticks in milliseconds: give it a longer run
    clients = S3_TASKS if workload == "S3" else 1
    pipeline = S2_BATCH if workload == "S2" else 1
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-n", str(requests),
            "-c", str(clients), "-P", str(pipeline), "--csv", *command]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=300).stdout
    rows = [r for r in csv.reader(io.StringIO(out)) if len(r) > 1]
    rps = float(rows[-1][1])
    note = {"S2": "-P 100", "S3": "-c 64 (64 connections)"}.get(workload, "")
    if long_run:
        note = "5x the requests; replies not checked (a C tool)"
    # emit() divides n * per_op by seconds; give it the seconds that yield redis-benchmark's rps.
    emit("redis-benchmark", workload, n, n * WORKLOADS[workload].per_op / rps, note)


def run_as_child(contender: str, workload: str, port: int, scale: float) -> None:
    use_repo_packages()
    n = WORKLOADS[workload].scaled(scale)
    if contender in ("ours-trio", "ours-trio-resp2"):
        child_ours_trio(workload, n, port, 2 if contender.endswith("resp2") else 3)
    elif contender in ("ours-sync", "ours-sync-resp2"):
        child_ours_sync(workload, n, port, 2 if contender.endswith("resp2") else 3)
    elif contender.startswith("redispy-"):
        child_redispy(workload, n, port, contender.endswith("hiredis"))
    elif contender.startswith("aioredis-"):
        child_aioredis(workload, n, port, contender.endswith("hiredis"))
    elif contender == "coredis-trio":
        child_coredis(workload, n, port)
    elif contender == "glide-trio":
        child_glide(workload, n, port)
    elif contender == "raw-trio":
        child_raw_trio(workload, n, port)
    elif contender == "raw-socket":
        child_raw_socket(workload, n, port)
    elif contender == "redis-benchmark":
        child_redis_benchmark(workload, n, port)
    else:
        raise SystemExit(f"unknown contender {contender!r}")


# --- the driver -----------------------------------------------------------------------

def _read_line(sock: socket.socket, buf: bytearray) -> bytes:
    while b"\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("redis-server closed the connection")
        buf += chunk
    line, _, rest = bytes(buf).partition(b"\r\n")
    buf[:] = rest
    return line


def _command(sock: socket.socket, buf: bytearray, args: Sequence[bytes]) -> bytes:
    """Send one command and return its reply line (the seeding needs only one-line replies)."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        parts += [b"$%d\r\n" % len(a), a, b"\r\n"]
    sock.sendall(b"".join(parts))
    line = _read_line(sock, buf)
    if line.startswith(b"-"):
        raise RuntimeError(f"redis-server refused {args[0]!r}: {line.decode()}")
    return line


@contextlib.contextmanager
def redis_server(cpu: int | None) -> Iterator[int]:
    """A throwaway redis-server on a free loopback port; yields the port."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is not installed")
    with tempfile.TemporaryDirectory(prefix="kvs-bench-") as tmp:
        port = free_port()
        argv = pinned([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--dir", tmp,
                       "--logfile", str(Path(tmp) / "redis.log")], cpu)
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                        if _command(s, bytearray(), [b"PING"]) == b"+PONG":
                            break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("redis-server did not start") from None
                    time.sleep(0.05)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def seed(port: int) -> str:
    """Load the workloads' data; returns the server's version."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        buf = bytearray()
        _command(s, buf, [b"FLUSHALL"])
        for cmd in seed_commands():
            _command(s, buf, cmd)
        s.sendall(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
        header = _read_line(s, buf)
        size = int(header[1:]) + 2
        while len(buf) < size:
            buf += s.recv(65536)
        for line in bytes(buf).decode().splitlines():
            if line.startswith("redis_version:"):
                return line.split(":", 1)[1]
    return "?"


def unavailable(c: Contender) -> str:
    """Why a contender cannot run here ("" when it can)."""
    for need in c.needs:
        if need.startswith("!"):
            if shutil.which(need[1:]) is None:
                return f"{need[1:]} is not installed"
        elif importlib.util.find_spec(need) is None:
            return f"Python package {need!r} is not installed (pip install it: bench extra)"
    return ""


def versions() -> str:
    out = []
    for dist in ("trio", "redis", "hiredis", "coredis", "valkey-glide"):
        try:
            out.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{dist} (absent)")
    return ", ".join(out)


def drive(args: argparse.Namespace) -> None:
    by_upper = {w.upper(): w for w in WORKLOADS}
    workloads = [by_upper.get(w.strip().upper(), w) for w in args.only.split(",")] \
        if args.only else list(WORKLOADS)
    for w in workloads:
        if w not in WORKLOADS:
            raise SystemExit(f"unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")
    chosen = [BY_NAME[c] for c in args.contenders.split(",")] if args.contenders else CONTENDERS
    missing = {c.name: unavailable(c) for c in chosen}
    for name, why in missing.items():
        if why:
            print(f"left out: {LABELS[name]}: {why}")
    runnable = [c for c in chosen if not missing[c.name]]

    results: dict[str, dict[str, Series]] = {}
    started = time.monotonic()
    with redis_server(args.server_cpu) as port:
        server_version = seed(port)
        print(f"# clients.py: redis-server {server_version} on CPU {args.server_cpu}, "
              f"clients on CPU {args.client_cpu}; {args.rounds} round(s), scale {args.scale}")
        print(f"# {versions()}; Python {sys.version.split()[0]}; "
              f"load average at start {os.getloadavg()[0]:.2f}\n")
        for wl in workloads:
            names = [c.name for c in runnable if wl in c.workloads]

            def argv_for(name: str, wl: str = wl, port: int = port) -> list[str]:
                return pinned([sys.executable, str(Path(__file__).resolve()),
                               "--contender", name, "--workload", wl, "--port", str(port),
                               "--scale", str(args.scale)], args.client_cpu)

            per = results[wl] = run_rounds(names, args.rounds, wl, argv_for, args.timeout)
            w = WORKLOADS[wl]
            print(f"## {wl}: {w.title}\n")
            print(format_table(w, per, LABELS, [b for b in BASES if b in per]))
            print(flush=True)
    print_failures_and_total(results, LABELS, started)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--only", help="comma-separated workloads, e.g. S1,S3")
    p.add_argument("--contenders", help="comma-separated contender names (default: all): "
                   + ", ".join(BY_NAME))
    p.add_argument("--rounds", type=int, default=None, help="rounds (default 3; --quick 1)")
    p.add_argument("--scale", type=float, default=None,
                   help="multiply every workload's operation count (default 1; --quick 0.25)")
    p.add_argument("--quick", action="store_true", help="about a minute: 1 round, scale 0.25")
    p.add_argument("--client-cpu", type=int, default=0, help="CPU for the clients (default 0)")
    p.add_argument("--server-cpu", type=int, default=0, help="CPU for redis-server (default 0)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds before a child run counts as hung (default 120)")
    # child mode
    p.add_argument("--contender", help=argparse.SUPPRESS)
    p.add_argument("--workload", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.scale is None:
        args.scale = 0.25 if args.quick else 1.0
    if args.contender:
        run_as_child(args.contender, args.workload, args.port, args.scale)
    else:
        drive(args)


if __name__ == "__main__":
    main()
