"""A pipeline on memcached: many commands' plans merged into one plan, one part per server.

Each command is planned alone (`kvs.memcached.plan.Planner`); the merged plan gives each
server one part, its commands' requests joined in pipeline order, so a pipeline costs one
round trip per server whatever its length.  Its `combine` cuts each server's replies back
into the commands' parts (each part knows how many replies it produces) and returns every
command's own combined reply, in order.  It is idempotent only when every command is.
Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .plan import Part, Plan
from .replies import Replies

__all__ = ["merge_plans"]


def merge_plans(plans: Sequence[Plan]) -> Plan:
    """One plan whose reply is the list of `plans`' replies."""
    payloads: dict[str, list[bytes]] = {}
    slots: dict[str, list[tuple[int, int, int]]] = {}  # server -> (plan, part, count)
    for i, plan in enumerate(plans):
        for j, part in enumerate(plan.parts):
            payloads.setdefault(part.server, []).append(part.payload)
            slots.setdefault(part.server, []).append((i, j, part.count))
    servers = list(payloads)
    parts = tuple(Part(server, b"".join(payloads[server]),
                       sum(count for _, _, count in slots[server])) for server in servers)

    def combine(replies: Replies) -> Any:
        split: list[list[list[Any]]] = [[[] for _ in plan.parts] for plan in plans]
        for server, got in zip(servers, replies, strict=True):
            at = 0
            for i, j, count in slots[server]:
                split[i][j] = got[at:at + count]
                at += count
        return [plan.combine(split[i]) for i, plan in enumerate(plans)]

    return Plan(parts, combine, all(plan.idempotent for plan in plans))
