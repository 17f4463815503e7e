"""What `scan_iter` over 100,000 keys on ``:memory:`` costs at the least, against fakeredis.

    .venv/bin/python bench/scan_floor.py               # 3 rounds
    .venv/bin/python bench/scan_floor.py --rounds 5

bench/memory_types_client.py measures ``[key async for key in db.scan_iter(count=1000)]``
on both clients.  This one splits kvs's pass into the parts that any trio iterator yielding
``str`` keys from this store must pay, each timed alone in the same process as the whole:

- iterate: kvs's own item loop (``kvs._scan.items``, each step a cancellation point, a full
  checkpoint every 1,024 items) over 100 pages of 1,000 keys that are already ``str``, with a
  page fetch that costs nothing: the async-iterator protocol, the checks and the list the
  consumer builds;
- strings: making the 100,000 ``str`` from the store's 100 pages of ``bytes`` the cheapest
  way known (a page joined with NULs, decoded once, split again);
- store: the 100 SCAN calls on the store itself (``Store.execute``: the snapshot, the
  pages);
- scan_iter: the whole pass through the client, as bench/memory_types_client.py times it.

The driver prints each part, the whole and fakeredis's pass (its ``scan_iter`` in a process
of its own, the same code as bench/memory_types_client.py), and what 5x fakeredis would leave
for the pages once the iteration is paid (fakeredis / 5 - iterate) beside what the pages'
two parts take alone (strings + store).  Each (child, round) is a fresh process pinned with
``taskset``, the two alternated; each part is the median over its passes, every pass's keys
checked.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import alternate, pinned, progress, run_child, use_repo_packages

KEYS = 100_000
COUNT = 1000
PASSES = 7
PARTS = ("iterate", "strings", "store", "scan_iter")


def parts() -> dict[str, float]:
    """Milliseconds per pass of each part (median of `PASSES`), in one trio run."""
    use_repo_packages()
    import trio

    import kvs
    from kvs._scan import items
    from kvs.memory.store import get_store

    expected = {f"key:{j}" for j in range(KEYS)}

    async def main() -> dict[str, float]:
        async with kvs.connect("memory://bench-floor") as db:
            for i in range(0, KEYS, 5_000):
                await db.mset({f"key:{j}": j for j in range(i, i + 5_000)})
            store = get_store("bench-floor")

            def store_pages() -> list[list[bytes]]:
                pages, cursor = [], b"0"
                while True:
                    cursor, page = store.execute((b"SCAN", cursor, b"COUNT", b"%d" % COUNT))
                    pages.append(page)
                    if cursor == b"0":
                        return pages

            raw = store_pages()
            decoded = [b"\0".join(page).decode().split("\0") for page in raw]
            last = len(decoded) - 1

            async def ready(n: int) -> tuple[int, list[str]]:
                return (0 if n == last else n + 1), decoded[n]

            def check(keys: list[Any]) -> None:
                assert len(keys) == KEYS and set(keys) == expected

            times: dict[str, list[float]] = {part: [] for part in PARTS}
            clock = time.perf_counter
            # Each result is checked and dropped before the next clock starts, so no part's
            # time includes freeing another's.
            for _ in range(PASSES + 1):  # the first round is a warm-up, not counted
                start = clock()
                keys = [key async for key in items(ready, lambda n: n, 0)]
                times["iterate"].append(clock() - start)
                check(keys)
                del keys
                start = clock()
                strings = [b"\0".join(page).decode().split("\0") for page in raw]
                times["strings"].append(clock() - start)
                check([key for page in strings for key in page])
                del strings
                start = clock()
                pages = store_pages()
                times["store"].append(clock() - start)
                check([key.decode() for page in pages for key in page])
                del pages
                start = clock()
                keys = [key async for key in db.scan_iter(count=COUNT)]
                times["scan_iter"].append(clock() - start)
                check(keys)
                del keys
            return {part: statistics.median(t[1:]) * 1000 for part, t in times.items()}

    return trio.run(main)


def fakeredis_pass() -> float:
    """Milliseconds per pass of fakeredis's ``scan_iter`` (bench/memory_types_client.py)."""
    from memory_types_client import measure

    return KEYS / measure("fakeredis", "SCAN") * 1000


def drive(args: argparse.Namespace) -> None:
    print(f"# scan_floor.py: pinned to CPU {args.cpu}; {args.rounds} round(s); "
          f"Python {sys.version.split()[0]}; load average at start {os.getloadavg()[0]:.2f}\n")
    print("| round | iterate | strings | store | scan_iter | fakeredis | fakeredis / scan_iter "
          "| pages' budget at 5x | strings + store |")
    print("|---|---|---|---|---|---|---|---|---|")
    got: dict[str, list[Any]] = {"parts": [], "fakeredis": []}
    for rnd, child in alternate(["parts", "fakeredis"], args.rounds):
        res = run_child(pinned([sys.executable, __file__, "--child", child], args.cpu),
                        args.timeout)
        if res.rate is None:
            progress(f"{child}: FAILED {res.error.splitlines()[:1]}")
            return
        got[child].append(json.loads(res.note))
        if child == "fakeredis":
            ms, fake = got["parts"][rnd], got["fakeredis"][rnd]
            budget = fake / 5 - ms["iterate"]
            print(f"| {rnd + 1} | {ms['iterate']:.1f} | {ms['strings']:.1f} | "
                  f"{ms['store']:.1f} | {ms['scan_iter']:.1f} | {fake:.1f} | "
                  f"{fake / ms['scan_iter']:.2f}x | {budget:.1f} | "
                  f"{ms['strings'] + ms['store']:.1f} |", flush=True)
    print(f"\n(milliseconds per pass of {KEYS:,} keys) "
          f"# load average at end {os.getloadavg()[0]:.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cpu", type=int, default=0)
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child == "parts":
        print(json.dumps({"rate": 1.0, "note": json.dumps(parts())}))
    elif args.child == "fakeredis":
        print(json.dumps({"rate": 1.0, "note": json.dumps(fakeredis_pass())}))
    else:
        drive(args)


if __name__ == "__main__":
    main()
