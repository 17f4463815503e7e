"""S8: pub/sub throughput, one publisher and one subscriber, ours against the peers.

    .venv/bin/python bench/pubsub.py                 # 3 rounds of 100,000 messages
    .venv/bin/python bench/pubsub.py --rounds 5 --count 50000
    .venv/bin/python bench/pubsub.py --contenders ours-trio,redis-asyncio
    .venv/bin/python bench/pubsub.py --cpu           # per second of the subscriber's CPU time

The method of ``BENCH.md``: a ``redis-server`` of its own on a free loopback port, pinned
to CPU 0 (with the pub/sub output-buffer limit off, so no subscriber is cut), every child
pinned to CPU 0 too, contenders alternated A B C A B C ..., the median with its min-max and
ratios in one table.

Each child subscribes with its client to one channel, then (untimed, from a raw blocking
socket of its own) publishes ``--count`` messages of 100 bytes in pipelines of 1,000 and
checks each PUBLISH counted one receiver, so every message is already on its way to the
subscriber (in Redis's output buffer and the socket buffers) before the clock starts.  The
timed part is the subscriber receiving all of them: messages per second received, the cost
of one client's receive path with no publisher competing for the CPU.  A client that reads in
a background task (coredis) cannot read while the publishing blocks its event loop, so it
too does all its reading inside the timed part.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Workload,
    format_table,
    free_port,
    pinned,
    run_rounds,
    use_repo_packages,
)

CHANNEL = "bench:s8"
PAYLOAD = bytes(97 + i % 26 for i in range(100))
BATCH = 1000
S8 = Workload("S8", "one publisher, one subscriber, 100-byte messages", 100_000, "msg/s")

CONTENDERS = {
    "ours-trio": "kvs (trio)",
    "ours-sync": "kvs.sync",
    "redis-asyncio": "redis.asyncio+hiredis",
    "redis-py": "redis-py+hiredis",
    "coredis-trio": "coredis (trio)",
}
BASES = ("ours-trio", "ours-sync")


# --- the child: subscribe, publish everything (untimed), then time the receiving ----------

def _publish_all(port: int, n: int) -> None:
    """Wait until the subscription is in place, then publish `n` messages, pipelined."""
    import resp

    sock = socket.create_connection(("127.0.0.1", port))
    parser = resp.Parser()

    def replies(count: int) -> list[Any]:
        out: list[Any] = []
        while len(out) < count:
            reply = parser.next_reply()
            if reply is resp.NEED_DATA:
                parser.feed(sock.recv(1 << 16))
            else:
                out.append(reply)
        return out

    deadline = time.monotonic() + 10
    while True:
        sock.sendall(resp.encode_command("PUBSUB", "NUMSUB", CHANNEL))
        if replies(1)[0][1] == 1:
            break
        if time.monotonic() > deadline:
            raise SystemExit("the subscriber never subscribed")
        time.sleep(0.01)
    one = resp.encode_command("PUBLISH", CHANNEL, PAYLOAD)
    for start in range(0, n, BATCH):
        count = min(BATCH, n - start)
        sock.sendall(one * count)
        if replies(count) != [1] * count:
            raise SystemExit("a message reached no subscriber")
    sock.close()


_clock = time.perf_counter  # time.process_time with --cpu


def _emit(contender: str, n: int, seconds: float) -> None:
    print(json.dumps({"contender": contender, "workload": "S8", "ops": n, "seconds": seconds,
                      "rate": n / seconds, "unit": S8.unit}), flush=True)


def _check(data: Any) -> None:
    if bytes(data) != PAYLOAD:
        raise SystemExit(f"unexpected message {data!r}")


def child_ours_trio(n: int, port: int) -> None:
    import trio

    import kvs

    async def main() -> None:
        async with kvs.connect(f"redis://127.0.0.1:{port}", decode=False) as db, \
                db.subscribe(CHANNEL) as sub:
            _publish_all(port, n)
            get = sub.get
            start = _clock()
            for _ in range(n):
                message = await get()
            secs = _clock() - start
            assert message is not None
            _check(message.data)
            _emit("ours-trio", n, secs)

    trio.run(main)


def child_ours_sync(n: int, port: int) -> None:
    import kvs.sync

    with kvs.sync.connect(f"redis://127.0.0.1:{port}", decode=False) as db, \
            db.subscribe(CHANNEL) as sub:
        _publish_all(port, n)
        get = sub.get
        start = _clock()
        for _ in range(n):
            message = get()
        secs = _clock() - start
        assert message is not None
        _check(message.data)
        _emit("ours-sync", n, secs)


def child_redis_asyncio(n: int, port: int) -> None:
    import asyncio

    import redis.asyncio
    from redis.utils import HIREDIS_AVAILABLE

    assert HIREDIS_AVAILABLE

    async def main() -> None:
        client = redis.asyncio.Redis(host="127.0.0.1", port=port)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(CHANNEL)
        _publish_all(port, n)
        got = 0
        start = _clock()
        async for message in pubsub.listen():
            if message["type"] == "message":
                got += 1
                if got == n:
                    break
        secs = _clock() - start
        _check(message["data"])
        _emit("redis-asyncio", n, secs)
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await client.aclose()

    asyncio.run(main())


def child_redis_py(n: int, port: int) -> None:
    import redis
    from redis.utils import HIREDIS_AVAILABLE

    assert HIREDIS_AVAILABLE
    client = redis.Redis(host="127.0.0.1", port=port)
    pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    pubsub.subscribe(CHANNEL)
    _publish_all(port, n)
    got = 0
    start = _clock()
    for message in pubsub.listen():
        if message["type"] == "message":
            got += 1
            if got == n:
                break
    secs = _clock() - start
    _check(message["data"])
    _emit("redis-py", n, secs)
    pubsub.close()
    client.close()


def child_coredis(n: int, port: int) -> None:
    import coredis
    import trio

    async def main() -> None:
        client = coredis.Redis(host="127.0.0.1", port=port)
        pubsub_of: Any = client.pubsub
        async with client, pubsub_of(channels=[CHANNEL],
                                     ignore_subscribe_messages=True) as pubsub:
            _publish_all(port, n)
            got = 0
            start = _clock()
            async for message in pubsub:
                if message["type"] == "message":
                    got += 1
                    if got == n:
                        break
            secs = _clock() - start
            _check(message["data"])
            _emit("coredis-trio", n, secs)

    trio.run(main)


CHILDREN = {
    "ours-trio": child_ours_trio, "ours-sync": child_ours_sync,
    "redis-asyncio": child_redis_asyncio, "redis-py": child_redis_py,
    "coredis-trio": child_coredis,
}


# --- the driver ---------------------------------------------------------------------------

def _available(name: str) -> str | None:
    """None when the contender can run here, else why not."""
    need = {"redis-asyncio": ("redis", "hiredis"), "redis-py": ("redis", "hiredis"),
            "coredis-trio": ("coredis", "trio")}.get(name, ())
    import importlib.util

    missing = [mod for mod in need if importlib.util.find_spec(mod) is None]
    return f"not installed: {', '.join(missing)}" if missing else None


def _start_server(port: int, folder: str) -> subprocess.Popen[bytes]:
    argv = pinned(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", folder,
                   "--client-output-buffer-limit", "pubsub 0 0 0"], 0)
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=S8.count)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--client-cpu", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--cpu", action="store_true",
                        help="messages per second of the subscriber's CPU time, not of the "
                             "wall clock (steadier on a loaded machine)")
    args = parser.parse_args(argv)
    if args.contender:  # a child
        global _clock
        if args.cpu:
            _clock = time.process_time
        use_repo_packages()
        CHILDREN[args.contender](args.count, args.port)
        return 0
    names = [name for name in args.contenders.split(",") if name]
    for name in list(names):
        reason = _available(name)
        if reason:
            print(f"left out: {CONTENDERS[name]} ({reason})")
            names.remove(name)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        server = _start_server(port, folder)
        try:
            per = run_rounds(names, args.rounds, "S8", lambda name: pinned(
                [sys.executable, __file__, "--contender", name, "--port", str(port),
                 "--count", str(args.count), *(["--cpu"] if args.cpu else [])],
                args.client_cpu), args.timeout)
        finally:
            server.terminate()
            server.wait()
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    clock = "CPU time" if args.cpu else "wall clock"
    print(f"## S8: {S8.title} ({args.count:,} messages; {args.rounds} rounds; {clock}; "
          f"client CPU {args.client_cpu}; load average {load})\n")
    print(format_table(S8, per, CONTENDERS, [b for b in BASES if b in per]))
    for name, series in per.items():
        for error in dict.fromkeys(series.errors):
            print(f"\n--- {CONTENDERS[name]} failed ---\n{error.strip()[-2000:]}")
    print(f"\n# total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
