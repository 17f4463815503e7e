"""A FIFO task queue: a producer task appends jobs, a worker task takes them in order,
waiting in BLPOP while the queue is empty (no polling)."""

from __future__ import annotations

from typing import Any

import trio

from ..client import Client
from . import PREFIX, Show, show

__all__ = ["task_queue"]

WORK_TIME = 0.03  # seconds a job takes: slower than the producer, so jobs queue up
DONE = "<no more jobs>"  # the producer's last message: the worker stops on it


async def task_queue(db: Client[str], show: Show = show, jobs: int = 5) -> dict[str, Any]:
    """Run a producer (``rpush``) and a worker (``blpop``) concurrently with trio.

    Returns:
        ``produced`` and ``processed`` (the job names, in order: the same list) and ``left``
        (what remains in the queue: an empty list).

    Raises:
        kvs.UnsupportedOperation: the backend has no lists (Memcached).
    """
    key = f"{PREFIX}queue:jobs"
    await db.delete(key)
    show(f"lrange {key} 0 -1 (empty queue)", await db.lrange(key, 0, -1))
    produced: list[str] = []
    processed: list[str] = []

    async def producer() -> None:
        for number in range(1, jobs + 1):
            job = f"resize-image:{number}"
            produced.append(job)
            show(f"producer: rpush {job}", await db.rpush(key, job))
            await trio.sleep(0.01)
        await db.rpush(key, DONE)

    async def worker() -> None:
        while True:
            popped = await db.blpop(key, 1)  # waits until a job comes (1 s at most)
            if popped is None:
                continue
            job = popped[1]
            if job == DONE:
                return
            show("worker: blpop", job)
            processed.append(job)
            await trio.sleep(WORK_TIME)  # the work itself

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(worker)
            nursery.start_soon(producer)
    left = await db.lrange(key, 0, -1)
    show(f"lrange {key} 0 -1 (all done)", left)
    return {"produced": produced, "processed": processed, "left": left}
