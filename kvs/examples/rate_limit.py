"""A fixed-window rate limiter: at most 10 hits per client per window.

The hit and the window's expiry are one Lua script, so a counter can never be left without
its expiry (two calls, INCR then EXPIRE, leave one for ever if the client dies in between).
Where the backend runs no scripts (memcached, or ``:memory:`` without the ``kvs[lua]``
extra), the counter is created with its expiry first (``SET NX EX``) and then counted, which
is just as safe.
"""

from __future__ import annotations

from typing import Any

from .._errors import UnsupportedOperation
from ..client import Client
from . import PREFIX, Show, show

__all__ = ["HIT", "allow", "rate_limiter"]

LIMIT = 10
WINDOW = 60  # seconds

# One hit: count it; the first hit of a window starts the window.
HIT = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return hits
"""


async def allow(db: Client[str], key: str, limit: int = LIMIT, window: int = WINDOW) -> bool:
    """Count one hit on `key`; True while the window holds at most `limit` hits.

    The first hit of a window starts the window: it sets the expiry, and the counter
    disappears (back to zero) when it runs out.
    """
    try:
        hits = int(await db.register_script(HIT)(keys=[key], args=[window]))
    except UnsupportedOperation:  # no scripts here: the expiry first, then the count
        await db.set(key, 0, ex=window, nx=True)
        hits = await db.incr(key)
    return hits <= limit


async def rate_limiter(db: Client[str], show: Show = show, limit: int = LIMIT) -> dict[str, Any]:
    """Make ``limit + 1`` requests as one client: the last one is refused.

    Returns:
        ``decisions`` (True allowed, False refused, per request), ``allowed``, ``refused``,
        ``hits`` (the counter at the end) and ``ttl`` (seconds left in the window).
    """
    key = f"{PREFIX}ratelimit:api:alice"
    await db.delete(key)
    decisions = []
    for request in range(1, limit + 2):
        allowed = await allow(db, key, limit)
        decisions.append(allowed)
        show(f"request {request}: hit {key}", "allowed" if allowed else "refused (429)")
    hits = int(await db.get(key) or 0)
    ttl = await db.ttl(key)
    show("hits in this window", hits)
    show("ttl: seconds until the window resets", ttl)
    return {"decisions": decisions, "allowed": decisions.count(True),
            "refused": decisions.count(False), "hits": hits, "ttl": ttl}
