"""A reliable job queue on lists: BLMOVE to a processing list, LREM when done, and a reaper
that gives a crashed worker's jobs back to the queue.

A worker takes a job with ``blmove(queue, processing, timeout)``: atomically, the job leaves
the queue and enters the worker's own processing list, so a crash after the pop loses
nothing (with LPOP, a worker that dies holding a job loses it).  While it works it keeps a
heartbeat key alive (``set ... px=``); when the job is done it removes it from its
processing list (``lrem``).  The reaper looks at every worker's processing list: a worker
whose heartbeat expired is presumed dead, and its jobs move back to the head of the queue
(``lmove``), where the next free worker takes them.  A job is then run at least once: a
worker that crashes after doing the work but before LREM has it run again, so jobs should
be idempotent.
"""

from __future__ import annotations

from typing import Any

import trio

from ..client import Client
from . import PREFIX, Show, show

__all__ = ["reliable_queue", "reap", "work"]

HEARTBEAT_MS = 500  # a worker silent for longer is presumed dead
WORK_TIME = 0.02

QUEUE = f"{PREFIX}rq:jobs"
WORKERS = f"{PREFIX}rq:workers"


def processing_key(worker: str) -> str:
    return f"{PREFIX}rq:processing:{worker}"


def heartbeat_key(worker: str) -> str:
    return f"{PREFIX}rq:alive:{worker}"


async def work(db: Client[str], worker: str, done: list[tuple[str, str]], show: Show = show,
               crash_on: str | None = None) -> None:
    """Take jobs for ever (until cancelled); "crash" (return without finishing) on the job
    named `crash_on`."""
    await db.sadd(WORKERS, worker)
    processing = processing_key(worker)
    while True:
        await db.set(heartbeat_key(worker), "1", px=HEARTBEAT_MS)
        job = await db.blmove(QUEUE, processing, 0.1, "LEFT", "RIGHT")
        if job is None:
            continue  # nothing yet: refresh the heartbeat and wait again
        show(f"{worker}: blmove -> {processing.removeprefix(PREFIX)}", job)
        if job == crash_on:
            show(f"{worker}: crashes holding", job)
            return  # no LREM, no more heartbeats: the reaper will notice
        await trio.sleep(WORK_TIME)  # the work itself
        done.append((worker, job))
        show(f"{worker}: done, lrem", await db.lrem(processing, 1, job))


async def reap(db: Client[str], show: Show = show) -> int:
    """Give the jobs of every worker whose heartbeat expired back to the queue; return how
    many moved."""
    moved = 0
    for worker in sorted(await db.smembers(WORKERS)):
        if await db.exists(heartbeat_key(worker)):
            continue
        processing = processing_key(worker)
        while (job := await db.lmove(processing, QUEUE, "RIGHT", "LEFT")) is not None:
            show(f"reaper: {worker} is gone, lmove back", job)
            moved += 1
        await db.srem(WORKERS, worker)
    return moved


async def reliable_queue(db: Client[str], show: Show = show, jobs: int = 4) -> dict[str, Any]:
    """Two workers share a queue of `jobs`; one crashes on its first job, the reaper gives
    that job back and the other worker runs it.

    Returns:
        ``produced`` (the jobs), ``done`` (``(worker, job)`` in completion order: every job
        once, the crashed one by the survivor), ``reaped`` (jobs moved back) and ``left``
        (what remains in the queue and in the processing lists: nothing).

    Raises:
        kvs.UnsupportedOperation: the backend has no lists (Memcached).
    """
    await db.delete(QUEUE, WORKERS, *(processing_key(w) for w in ("w1", "w2")),
                    *(heartbeat_key(w) for w in ("w1", "w2")))
    produced = [f"send-invoice:{n}" for n in range(1, jobs + 1)]
    done: list[tuple[str, str]] = []
    reaped = 0
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(work, db, "w1", done, show, produced[0])
            with trio.fail_after(5):
                while await db.sismember(WORKERS, "w1") is False:
                    await trio.sleep(0.005)
            show(f"producer: rpush {len(produced)} jobs", await db.rpush(QUEUE, *produced))
            while not await db.exists(processing_key("w1")):
                await trio.sleep(0.005)  # w1 holds the first job: now start the second worker
            nursery.start_soon(work, db, "w2", done, show)
            while len(done) < jobs:
                await trio.sleep(0.05)
                reaped += await reap(db, show)
            nursery.cancel_scope.cancel()  # the workers wait in BLMOVE: cancelling loses nothing
    left = (await db.lrange(QUEUE, 0, -1) + await db.lrange(processing_key("w1"), 0, -1)
            + await db.lrange(processing_key("w2"), 0, -1))
    show("left in the queue and processing lists", left)
    return {"produced": produced, "done": done, "reaped": reaped, "left": left}
