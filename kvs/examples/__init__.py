"""Practical examples of `kvs`, run by ``kvs demo``.

Each example is one small async function that takes an open trio client, prints every step
with what it returned (through `show`), and returns a small summary dict:

- `sessions.session_cache`: a web session store with expiry (set ex, get, ttl, expire, delete);
- `page_views.page_views`: page-view counters and a ranking (incr, mget, sorted in Python);
- `task_queue.task_queue`: a FIFO job queue between a producer and a worker task (rpush,
  blpop);
- `reliable_queue.reliable_queue`: a queue that survives a worker crash (blmove to a
  processing list, lrem when done, a reaper that moves a dead worker's jobs back);
- `rate_limit.rate_limiter`: a fixed-window limit of 10 hits (incr, expire on the first hit);
- `query_cache.query_cache`: cache-aside for a slow query, invalidated on update.

They use only the operations every backend shares, except the queues, which need lists: on
Memcached it raises `kvs.UnsupportedOperation` and the demo says it is skipped.  Every key
starts with ``kvs-demo:`` and each example deletes its keys first, so reruns on a shared
server start clean.

Example:
    >>> import trio, kvs
    >>> from kvs.examples.rate_limit import rate_limiter
    >>> async def main():
    ...     async with kvs.connect(":memory:") as db:
    ...         return await rate_limiter(db, show=quiet)
    >>> trio.run(main)["refused"]
    1
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["PREFIX", "examples", "Show", "quiet", "run_demo", "show"]

PREFIX = "kvs-demo:"

Show = Callable[[str, object], None]
Example = Callable[..., Awaitable[dict[str, Any]]]


def show(step: str, result: object) -> None:
    """Print one step of an example and what it returned."""
    print(f"  {step:<46} -> {result!r}", flush=True)


def quiet(step: str, result: object) -> None:
    """A `show` that prints nothing (for tests and embedding)."""


def examples() -> list[tuple[str, Example]]:
    """The examples in demo order, as (title, function)."""
    from .page_views import page_views
    from .query_cache import query_cache
    from .rate_limit import rate_limiter
    from .reliable_queue import reliable_queue
    from .sessions import session_cache
    from .task_queue import task_queue

    return [
        ("Session cache with expiry", session_cache),
        ("Page-view counter and ranking", page_views),
        ("Task queue (FIFO, producer and worker)", task_queue),
        ("Rate limiter (10 per window)", rate_limiter),
        ("Cache-aside for a slow query", query_cache),
        ("Reliable queue (a worker crashes, its job is not lost)", reliable_queue),
    ]


async def run_demo(url: str) -> int:
    """Run every example on `url`, printing each step; return an exit status (0).

    An example that needs an operation the backend lacks is reported as skipped.

    Raises:
        kvs.InvalidURL: `url` is not valid.
        kvs.KvsError: the backend could not be opened, or failed during an example.
    """
    import kvs

    async with kvs.connect(url) as db:
        print(f"kvs demo on {db.url}", flush=True)
        for number, (title, example) in enumerate(examples(), 1):
            print(f"\n== {number}. {title} ==", flush=True)
            await _run_one(example, db)
    return 0


async def _run_one(example: Example, db: Client[str]) -> None:
    import kvs

    try:
        await example(db)
    except* kvs.UnsupportedOperation as group:
        reason = _first_leaf(group)
        print(f"  skipped on this backend: {reason}", flush=True)


def _first_leaf(group: BaseExceptionGroup[Any]) -> BaseException:
    leaf: BaseException = group
    while isinstance(leaf, BaseExceptionGroup):
        leaf = leaf.exceptions[0]
    return leaf
