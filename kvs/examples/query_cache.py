"""Cache-aside: read the cache, compute on a miss and store, invalidate on update."""

from __future__ import annotations

import json
from typing import Any

import trio

from ..client import Client
from . import PREFIX, Show, show

__all__ = ["query_cache"]

CACHE_TTL = 60  # seconds; the expiry bounds how stale a missed invalidation can make it
QUERY_TIME = 0.3  # seconds the slow query takes


async def query_cache(db: Client[str], show: Show = show) -> dict[str, Any]:
    """Read a product four times around a price update; only two reads run the query.

    Returns:
        ``reads`` (``"miss"`` or ``"hit"`` per read), ``queries`` (how many times the slow
        query ran), ``prices`` (the price each read saw) and ``invalidated`` (keys deleted).
    """
    database = {42: {"id": 42, "name": "Teapot", "price": 25}}  # stands for a slow SQL table
    queries = 0

    async def slow_query(product_id: int) -> dict[str, Any]:
        nonlocal queries
        queries += 1
        await trio.sleep(QUERY_TIME)
        return dict(database[product_id])

    async def get_product(product_id: int) -> tuple[dict[str, Any], str]:
        key = f"{PREFIX}cache:product:{product_id}"
        cached = await db.get(key)
        if cached is not None:
            return json.loads(cached), "hit"
        product = await slow_query(product_id)
        await db.set(key, json.dumps(product), ex=CACHE_TTL)
        return product, "miss"

    key = f"{PREFIX}cache:product:42"
    await db.delete(key)
    reads: list[str] = []
    prices: list[int] = []

    async def read() -> None:
        started = trio.current_time()
        product, outcome = await get_product(42)
        elapsed = (trio.current_time() - started) * 1000
        reads.append(outcome)
        prices.append(product["price"])
        show(f"get product 42: {outcome} in {elapsed:.0f} ms", product)

    await read()
    await read()
    database[42]["price"] = 30
    invalidated = await db.delete(key)
    show(f"price updated: delete {key}", invalidated)
    await read()
    await read()
    return {"reads": reads, "queries": queries, "prices": prices, "invalidated": invalidated}
