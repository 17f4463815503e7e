"""Requests to several nodes at once over blocking sockets, without threads.

The blocking cluster driver's split commands, pipeline shares and fan-outs go to several
nodes.  Their sockets are independent, so `scatter` writes every node's request first, on a
pooled connection of that node, and only then reads each node's replies: the nodes work at
the same time and the whole costs about one round trip, not one per node.

Each request's outcome is its replies or the `kvs.KvsError` that stopped it, so the caller
applies its own retry rules request by request: a `kvs.ConnectionError` with ``sent`` False
(the connection could not be opened) means nothing was written; with ``sent`` True the
request may have run.  A connection whose request failed or timed out is closed, never
pooled again; one whose replies all came back goes back to its pool, as `Pool.run` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from resp import NEED_DATA

from .._errors import KvsError
from ..redis.blocking import RedisBackend
from ..sync.transport import BlockingConnection

__all__ = ["scatter"]


def scatter(requests: Sequence[tuple[RedisBackend, bytes, int]]) -> list[list[Any] | KvsError]:
    """Send each ``(node, payload, count)`` on a pooled connection of its node, then read
    the ``count`` replies of each; the outcomes in the requests' order."""
    outcomes: list[list[Any] | KvsError] = [[] for _ in requests]
    conns: list[BlockingConnection | None] = [None] * len(requests)
    try:
        for i, (node, payload, _) in enumerate(requests):
            try:
                conn = node._pool.get()
            except KvsError as exc:
                outcomes[i] = exc
                continue
            try:
                conn.send(payload, NEED_DATA)
            except KvsError as exc:
                conn.close()
                outcomes[i] = exc
                continue
            except BaseException:
                conn.close()
                raise
            conns[i] = conn
        for i, (node, _, count) in enumerate(requests):
            pending, conns[i] = conns[i], None
            if pending is None:
                continue
            try:
                outcomes[i] = pending.request(b"", count, NEED_DATA)
            except KvsError as exc:
                pending.close()
                outcomes[i] = exc
                continue
            except BaseException:
                pending.close()
                raise
            node._pool.put(pending)
    finally:
        for leftover in conns:
            if leftover is not None:
                leftover.close()
    return outcomes
