"""Web sessions with expiry: log in, read, slide the expiry, expire, log out."""

from __future__ import annotations

import json
from typing import Any

import trio

from ..client import Client
from . import PREFIX, Show, show

__all__ = ["session_cache"]

SESSION_TTL = 1800  # seconds a session lives without activity


async def session_cache(db: Client[str], show: Show = show) -> dict[str, Any]:
    """Store a session with an expiry, read it, extend it, watch a short one expire, delete it.

    Returns:
        ``login``, ``user``, ``ttl``, ``ttl_after_touch``, ``expired``, ``logout`` (keys
        deleted) and ``after_logout`` (the value read afterwards: None).
    """
    key = f"{PREFIX}session:3f9a1c"
    short = f"{PREFIX}session:tmp-7d2e"
    await db.delete(key, short)

    payload = json.dumps({"user": "alice", "cart": ["book", "pen"]})
    login = await db.set(key, payload, ex=SESSION_TTL)
    show(f"login: set {key} (ex={SESSION_TTL})", login)

    stored = await db.get(key)
    show(f"request: get {key}", stored)
    assert stored is not None  # just written, with an hour to live
    user = json.loads(stored)["user"]

    ttl = await db.ttl(key)
    show("ttl (seconds left)", ttl)

    touched = await db.expire(key, 2 * SESSION_TTL)
    show(f"activity: expire {key} {2 * SESSION_TTL}", touched)
    ttl_after_touch = await db.ttl(key)
    show("ttl after the sliding expiry", ttl_after_touch)

    show(f"set {short} (ex=1)", await db.set(short, "guest", ex=1))
    started = trio.current_time()
    with trio.move_on_after(5):  # Memcached's clock ticks in whole seconds
        while await db.get(short) is not None:
            await trio.sleep(0.1)
    waited = trio.current_time() - started
    expired = not await db.exists(short)
    show(f"exists {short} after {waited:.1f} s", not expired)

    logout = await db.delete(key)
    show(f"logout: delete {key}", logout)
    after_logout = await db.get(key)
    show(f"get {key}", after_logout)

    return {"login": login, "user": user, "ttl": ttl, "ttl_after_touch": ttl_after_touch,
            "expired": expired, "logout": logout, "after_logout": after_logout}
