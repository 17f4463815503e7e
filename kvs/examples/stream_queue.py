"""A reliable job queue on a stream: producers XADD, a consumer group of workers reads with
XREADGROUP and acknowledges with XACK, and a crashed worker's jobs are reclaimed with
XAUTOCLAIM.

A job read by a worker stays in the group's pending entries until it is acknowledged, so a
worker that dies between reading and finishing loses nothing: another worker claims the
job once it has been idle long enough (docs/recipes.md).
"""

from __future__ import annotations

from typing import Any

import trio

from ..client import Client
from . import PREFIX, Show, show

__all__ = ["stream_queue"]

POLL = 0.005  # seconds between two empty reads of a worker
CLAIM_AFTER_MS = 50  # a pending job idle this long belongs to a dead worker


async def stream_queue(db: Client[str], show: Show = show, jobs: int = 6) -> dict[str, Any]:
    """Run a producer, two workers of one consumer group (one crashes holding a job) and a
    reclaim pass, concurrently with trio.

    The workers poll with non-blocking reads and a short sleep, so the example runs the
    same on every backend with streams; a real worker passes ``block=`` (milliseconds) to
    `xreadgroup` and waits on the server instead.

    Returns:
        ``produced`` (job names in order), ``processed`` (each job once, as the workers
        finished them), ``crashed_with`` (the job the crashed worker held), ``reclaimed``
        (the jobs XAUTOCLAIM gave back) and ``pending`` (pending entries at the end: 0).

    Raises:
        kvs.UnsupportedOperation: the backend has no streams (Memcached).
    """
    stream, group = f"{PREFIX}stream:jobs", "workers"
    await db.delete(stream)
    show(f"xgroup create {stream} {group} 0 mkstream",
         await db.xgroup_create(stream, group, id="0", mkstream=True))
    produced: list[str] = []
    processed: list[str] = []
    crashed_with: list[str] = []
    done = trio.Event()

    async def producer() -> None:
        for number in range(1, jobs + 1):
            job = f"send-email:{number}"
            produced.append(job)
            show(f"producer: xadd {job}", await db.xadd(stream, {"job": job}))
            await trio.sleep(0.002)
        done.set()

    async def worker(name: str, crash_after: int | None = None) -> None:
        handled = 0
        while True:
            got = await db.xreadgroup(group, name, {stream: ">"}, count=1)
            if not got:
                if done.is_set():
                    return
                await trio.sleep(POLL)
                continue
            for entry_id, fields in got[stream]:
                assert fields is not None
                if crash_after is not None and handled == crash_after:
                    show(f"{name}: crashed holding", fields["job"])
                    crashed_with.append(fields["job"])
                    return  # no XACK: the job stays pending
                processed.append(fields["job"])
                show(f"{name}: done, xack {entry_id}", await db.xack(stream, group, entry_id))
                handled += 1
                await trio.sleep(POLL)

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(worker, "worker-1", 1)
            nursery.start_soon(worker, "worker-2")
            nursery.start_soon(producer)
    summary = await db.xpending(stream, group)
    show(f"xpending {stream} {group} (the crashed worker's job)", summary)
    # A later pass of any live worker: claim what has been idle too long, finish it.
    await trio.sleep(CLAIM_AFTER_MS / 1000 + 0.01)
    reclaimed: list[str] = []
    cursor = "0-0"
    while True:
        cursor, claimed, _deleted = await db.xautoclaim(stream, group, "worker-2",
                                                        CLAIM_AFTER_MS, cursor)
        for entry_id, fields in claimed:
            reclaimed.append(fields["job"])
            processed.append(fields["job"])
            show(f"worker-2: reclaimed {fields['job']}, xack",
                 await db.xack(stream, group, entry_id))
        if cursor == "0-0":
            break
    pending = (await db.xpending(stream, group))["pending"]
    show(f"xpending {stream} {group} (all done)", pending)
    return {"produced": produced, "processed": processed, "crashed_with": crashed_with,
            "reclaimed": reclaimed, "pending": pending}
