"""Practical examples of `kvs`, run by ``kvs demo``.

Each example is one small async function that takes an open trio client, prints every step
with what it returned (through `show`), and returns a small summary dict:

- `sessions.session_cache`: a web session store with expiry (set ex, get, ttl, expire, delete);
- `page_views.page_views`: page-view counters and a ranking (incr, mget, sorted in Python);
- `task_queue.task_queue`: a FIFO job queue between a producer and a worker task (rpush,
  blpop);
- `reliable_queue.reliable_queue`: a queue that survives a worker crash (blmove to a
  processing list, lrem when done, a reaper that moves a dead worker's jobs back);
- `stream_queue.stream_queue`: a reliable job queue on a stream with a consumer group, a
  worker that crashes holding a job and the job reclaimed (xadd, xreadgroup, xack,
  xautoclaim);
- `rate_limit.rate_limiter`: a fixed-window limit of 10 hits (one Lua script: incr, and
  expire on the first hit; ``SET NX EX`` then incr where scripts are unavailable);
- `query_cache.query_cache`: cache-aside for a slow query, invalidated on update.

They use only the operations every backend shares, except the queues, which need lists and
streams: on Memcached they raise `kvs.UnsupportedOperation` and the demo says they are
skipped.  Every key starts with ``kvs-demo:``; each example deletes its keys first, and
`run_demo` removes every key the examples used when it ends (even after a failure), so a
shared server is left as it was.

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
from typing import TYPE_CHECKING, Any, cast

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
    from .stream_queue import stream_queue
    from .task_queue import task_queue

    return [
        ("Session cache with expiry", session_cache),
        ("Page-view counter and ranking", page_views),
        ("Task queue (FIFO, producer and worker)", task_queue),
        ("Rate limiter (10 per window)", rate_limiter),
        ("Cache-aside for a slow query", query_cache),
        ("Reliable queue on a stream (consumer group, crash, reclaim)", stream_queue),
        ("Reliable queue (a worker crashes, its job is not lost)", reliable_queue),
    ]


async def run_demo(url: str) -> int:
    """Run every example on `url`, printing each step; return an exit status (0).

    An example that needs an operation the backend lacks is reported as skipped.

    Raises:
        kvs.InvalidURL: `url` is not valid.
        kvs.KvsError: the backend could not be opened, or failed during an example.
    """
    import trio

    import kvs

    async with kvs.connect(url) as db:
        print(f"kvs demo on {db.url}", flush=True)
        recorder = _KeyRecorder(db)
        try:
            for number, (title, example) in enumerate(examples(), 1):
                print(f"\n== {number}. {title} ==", flush=True)
                await _run_one(example, cast("Client[str]", recorder))
        finally:  # leave the server as it was, even when an example failed
            with trio.CancelScope(shield=True), trio.move_on_after(5):
                keys = sorted(recorder.keys)
                removed = await db.delete(*keys) if keys else 0
                print(f"\nremoved the {removed} keys the demo left (of {len(keys)} it used)",
                      flush=True)
    return 0


class _KeyRecorder:
    """A client that notes every ``kvs-demo:`` key it is given, so the demo can remove them."""

    def __init__(self, db: Client[str]) -> None:
        self._db = db
        self.keys: set[str] = set()

    def _note(self, value: object) -> None:
        if isinstance(value, str) and value.startswith(PREFIX):
            self.keys.add(value)
        elif isinstance(value, list | tuple | set | frozenset | dict):
            for item in value:
                self._note(item)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._db, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            for arg in args:
                self._note(arg)
            return attr(*args, **kwargs)

        return call


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
