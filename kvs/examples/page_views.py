"""Page-view counters and a ranking, with operations every backend has."""

from __future__ import annotations

from typing import Any

from ..client import Client
from . import PREFIX, Show, show

__all__ = ["page_views"]

VISITS = ["/", "/pricing", "/", "/docs", "/", "/docs", "/blog", "/pricing", "/", "/docs"]


async def page_views(db: Client[str], show: Show = show) -> dict[str, Any]:
    """Count each visit with ``incr``, read every counter with one ``mget``, rank in Python.

    Returns:
        ``counts`` (page -> views) and ``ranking`` (a list of (page, views), most viewed first).
    """
    pages = sorted(set(VISITS))
    keys = [f"{PREFIX}views:{page}" for page in pages]
    await db.delete(*keys)

    for page in VISITS:
        show(f"incr {PREFIX}views:{page}", await db.incr(f"{PREFIX}views:{page}"))

    values = await db.mget(keys)
    show("mget of every counter", values)
    counts = {page: int(value or 0) for page, value in zip(pages, values, strict=True)}
    ranking = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    for place, (page, views) in enumerate(ranking, 1):
        show(f"ranking #{place}", f"{page} ({views} view{'' if views == 1 else 's'})")
    return {"counts": counts, "ranking": ranking}
