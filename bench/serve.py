"""redis-benchmark against ``kvs serve``, fakeredis's TCP server and redis-server, pinned.

    .venv/bin/python bench/serve.py                    # GET/SET, -P 1 and -P 16, 3 rounds
    .venv/bin/python bench/serve.py --quick            # 1 round, 20,000 requests
    .venv/bin/python bench/serve.py --rounds 5 --requests 200000
    .venv/bin/python bench/serve.py --client-cpu 1     # the split case: server 0, client 1

Every server runs pinned to CPU 0 and so does redis-benchmark (unless ``--client-cpu``), as
BENCH.md says for these 2-vCPU machines.  Each round starts each server in turn (kvs serve,
fakeredis, redis-server: A B C A B C ...), runs ``redis-benchmark -t get,set -n N -P 1`` and
``-P 16`` (50 clients, its default) against it, and stops it.  The tables give the median
requests per second with min-max, the ratio to fakeredis and the share of redis-server (the
ceiling), and the load average before and after the run.  fakeredis is left out, with a line
saying so, when it is not installed (``pip install fakeredis``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_ROOT, free_port, human, pinned

_FAKEREDIS = """
import sys
from fakeredis import TcpFakeServer
TcpFakeServer(("127.0.0.1", int(sys.argv[1])), server_type="redis").serve_forever()
"""
CONTENDERS = ("kvs-serve", "fakeredis", "redis-server")
TESTS = ("SET", "GET")
_LINE = re.compile(r"^([A-Z_]+): ([0-9.]+) requests per second")


def _server_argv(name: str, port: int, directory: str) -> list[str]:
    if name == "kvs-serve":
        return [sys.executable, "-m", "kvs", "serve", "--port", str(port)]
    if name == "fakeredis":
        return [sys.executable, "-c", _FAKEREDIS, str(port)]
    return ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
            "--dir", directory]


def _wait_ready(port: int, deadline: float) -> None:
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"no server answered on port {port}")
        time.sleep(0.05)


def _benchmark(port: int, pipeline: int, requests: int, cpu: int) -> dict[str, float]:
    argv = pinned(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "get,set",
                   "-n", str(requests), "-P", str(pipeline), "-q"], cpu)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
    rates: dict[str, float] = {}
    for raw in done.stdout.splitlines():
        match = _LINE.match(raw.split("\r")[-1].strip())
        if match:
            rates[match.group(1)] = float(match.group(2))
    if done.returncode != 0 or set(rates) != set(TESTS):
        raise RuntimeError(f"redis-benchmark failed: {done.stderr.strip() or done.stdout}")
    return rates


def _one_server(name: str, pipelines: Sequence[int], requests: int,
                client_cpu: int) -> dict[tuple[int, str], float]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    with tempfile.TemporaryDirectory(prefix="kvs-bench-serve-") as directory:
        proc = subprocess.Popen(pinned(_server_argv(name, port, directory), 0), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_ready(port, time.monotonic() + 30)
            results = {}
            for pipeline in pipelines:
                for test, rate in _benchmark(port, pipeline, requests, client_cpu).items():
                    results[(pipeline, test)] = rate
            return results
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _cell(rates: list[float]) -> str:
    if not rates:
        return "—"
    return f"{human(statistics.median(rates))} ({human(min(rates))}-{human(max(rates))})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="1 round of 20,000 requests")
    parser.add_argument("--client-cpu", type=int, default=0,
                        help="CPU for redis-benchmark (default 0, the servers' CPU)")
    args = parser.parse_args(argv)
    rounds, requests = (1, 20_000) if args.quick else (args.rounds, args.requests)
    if shutil.which("redis-benchmark") is None or shutil.which("redis-server") is None:
        print("bench/serve.py needs redis-server and redis-benchmark on PATH")
        return 1
    contenders = list(CONTENDERS)
    try:
        import fakeredis  # noqa: F401
    except ImportError:
        print("left out: fakeredis (pip install fakeredis)")
        contenders.remove("fakeredis")
    pipelines = (1, 16)
    results: dict[str, dict[tuple[int, str], list[float]]] = {c: {} for c in contenders}
    load_before = os.getloadavg()
    for round_ in range(rounds):
        for name in contenders:
            print(f"round {round_ + 1}/{rounds}: {name}", file=sys.stderr, flush=True)
            for key, rate in _one_server(name, pipelines, requests, args.client_cpu).items():
                results[name].setdefault(key, []).append(rate)
    load_after = os.getloadavg()
    print(f"redis-benchmark -t get,set -n {requests} -c 50, {rounds} round(s); servers on "
          f"CPU 0, redis-benchmark on CPU {args.client_cpu}")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}\n")
    for pipeline in pipelines:
        for test in TESTS:
            key = (pipeline, test)
            print(f"### {test}, -P {pipeline} (requests/s, median (min-max))\n")
            print("| server | rate | vs fakeredis | share of redis-server |")
            print("|---|---|---|---|")
            medians = {c: statistics.median(results[c][key]) for c in contenders}
            for name in contenders:
                fake = medians.get("fakeredis")
                ratio = f"{medians[name] / fake:.2f}x" if fake else "—"
                share = f"{medians[name] / medians['redis-server']:.0%}"
                print(f"| {name} | {_cell(results[name][key])} | {ratio} | {share} |")
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
