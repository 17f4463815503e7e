"""Redis Cluster on trio: one multiplexed, auto-pipelined connection per node.

Theory of operation
-------------------
Each node is a `kvs.redis.driver.RedisBackend` of its own (its reconnecting multiplexed
connection, its handshake, its dedicated connections for blocking commands and WATCH), made
on first use; replicas read with ``read_from`` get ``READONLY`` in their handshake.  The slot
map (`kvs.cluster.slots.SlotMap`) says which primary owns each slot, and `kvs.cluster.routing`
where each command goes.  A command goes to its slot's owner and, when the reply says it did
not run there, again:

- ``MOVED``: the map is patched at once (the command follows to the new owner) and a full
  refresh is started in the background;
- ``ASK``: ``ASKING`` and the command, once, on the named node, in one request so nothing
  else comes between them on the shared connection (a transaction: ``ASKING``, ``MULTI``
  ... ``EXEC`` in one request);
- ``TRYAGAIN``, ``CLUSTERDOWN``: sent again after a growing pause, within ``timeout``;
- a connection that fails before the request was written (or a command safe to repeat):
  the node is dropped from the map, the map refreshed from the other nodes, and the command
  sent to the owner they name, within ``timeout``.  A command that may have run (INCR
  written to a node that then died) raises `kvs.ConnectionError` and is never sent again.

Refreshes run one at a time (a `trio.Lock`; a caller that waited for someone else's refresh
does not start another) and at most once per `REFRESH_INTERVAL`.  Multi-key commands split by
slot, and pipelines split by node: each node's share is one pipelined request, all nodes at
once, the replies put back in the callers' order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import trio

from resp import ReplyError, encode_command

from .._errors import ConnectionError
from .._retry import transient_delay
from ..redis.batch import transaction_payload
from ..redis.driver import RedisBackend
from . import routing
from .nodes import Nodes
from .routing import (
    ANY,
    ASKING,
    NOT_SENT,
    READS,
    REDIRECTS,
    SCAN,
    Fanout,
    Split,
    ToSlot,
    is_redirect,
    one_key_slot,
    one_slot,
    pipeline_segments,
)
from .slots import Addr, redirection
from .watch import DedicatedCluster

__all__ = ["ClusterBackend"]

_ASKING = encode_command(*ASKING)


class ClusterBackend(Nodes):
    """The cluster backend (see the module comment)."""

    transactions = True

    # -- one command -------------------------------------------------------------------------

    async def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        slot = one_key_slot(argv)
        if slot < 0:
            plan = routing.plan(argv)
            if type(plan) is not ToSlot:
                return await self._not_one_slot(plan, argv, idempotent)
            slot = plan.slot
        # The common case, kept short: the slot's primary is known and connected (the map's
        # route for the slot: its address and its node, looked up once).
        route = self._map.routes[slot] or self._route(slot)
        if route is None:
            return await self._on_slot(slot, argv, idempotent)
        try:
            reply = await route[1].execute(argv, idempotent=idempotent)
        except ConnectionError as exc:
            self._lost(route[0], exc)
            if exc.sent and not idempotent:
                raise
            return await self._on_slot(slot, argv, idempotent)
        if type(reply) is ReplyError and reply.code in REDIRECTS:
            return await self._on_slot(slot, argv, idempotent, reply)
        return reply

    async def _not_one_slot(self, route: routing.Plan, argv: tuple[bytes, ...],
                            idempotent: bool) -> Any:
        """A command split by slot, sent to every primary, or to any."""
        if type(route) is Split:
            replies = await self._batch(route.parts, idempotent)
            return route.combine(replies)
        if type(route) is Fanout:
            primaries = self._every_primary()
            return route.combine(await self._on_all(primaries, argv, idempotent))
        if route is SCAN:
            primaries = self._every_primary()
            index, sub = routing.scan_cursor(argv)
            if index >= len(primaries):
                return ReplyError("ERR invalid cursor")
            reply = await self._on_node(primaries[index], sub, idempotent)
            return routing.scan_reply(reply, index, len(primaries))
        assert route is ANY
        return await self._on_node(None, argv, idempotent)

    def _route(self, slot: int) -> tuple[Addr, RedisBackend] | None:
        """The primary of `slot` and its node, remembered in the map's ``routes``; None when
        the owner is unknown or not connected yet, or ``read_from`` may pick a replica (the
        long way, `_on_slot`, then decides)."""
        index = self._map.slots[slot]
        if index < 0 or self._read_from != "primary":
            return None
        addr = self._map.shards[index].primary
        node = self._nodes.get(addr)
        if node is None:
            return None
        route = self._map.routes[slot] = (addr, node)
        return route

    async def _on_slot(self, slot: int, argv: tuple[bytes, ...], idempotent: bool,
                       reply: Any = NOT_SENT) -> Any:
        """Run `argv` on the owner of `slot`, following redirections and failovers within
        ``timeout``; `reply`, when given, is a redirection already received for it."""
        give_up = None if self._timeout is None else trio.current_time() + self._timeout
        read = argv[0].upper() in READS
        asking: Addr | None = None
        tried: set[Addr] = set()  # replicas that failed this read
        attempt = moves = 0
        while True:
            if reply is not NOT_SENT:
                if not is_redirect(reply):
                    return reply
                code = reply.code
                target = redirection(reply.message, "")
                if code == "MOVED" and target is not None:
                    self._map.moved(target[0], target[1])
                    self._refresh_soon()
                    moves += 1
                    if moves > 2:  # the map keeps disagreeing: let the refresh land
                        if not await self._pause(attempt, give_up):
                            return reply
                        attempt += 1
                elif code == "ASK" and target is not None:
                    asking = target[1]
                else:  # TRYAGAIN, CLUSTERDOWN: wait a little
                    if not await self._pause(attempt, give_up):
                        return reply
                    attempt += 1
                reply = NOT_SENT
            epoch = self._epoch
            addr, replica = ((asking, False) if asking is not None
                             else self._owner(slot, read, tried))
            if addr is None:
                attempt = await self._no_owner(slot, attempt, give_up, epoch)
                continue
            try:
                if asking is not None:
                    asking = None
                    node = self._node(addr)
                    reply = (await node._link.request(_ASKING + encode_command(*argv), 2,
                                                      idempotent=idempotent,
                                                      timeout=self._timeout))[1]
                else:
                    node = self._replica(addr) if replica else self._node(addr)
                    reply = await node.execute(argv, idempotent=idempotent)
            except ConnectionError as exc:
                self._lost(addr, exc)
                if exc.sent and not idempotent:
                    raise
                if replica:  # prefer_replica: the primary now; replica: another replica
                    tried.add(addr)  # of the slot first, the primary once none is left
                    read = read and self._read_from == "replica"
                    continue
                if not await self._pause(attempt, give_up):
                    raise
                attempt += 1
                if not exc.sent:
                    await self._try_refresh(epoch)

    async def _no_owner(self, slot: int | None, attempt: int, give_up: float | None,
                      epoch: int) -> int:
        """No node is known to own `slot`: wait, refresh the map, and count the attempt;
        raise `kvs.ConnectionError` when ``timeout`` leaves no time for another."""
        if not await self._pause(attempt, give_up):
            raise ConnectionError(f"no node of {self.name} serves slot {slot}", sent=False)
        await self._refresh(epoch)
        return attempt + 1

    async def _pause(self, attempt: int, give_up: float | None) -> bool:
        """Sleep before the next attempt; False when ``timeout`` leaves no time for one."""
        left = None if give_up is None else give_up - trio.current_time()
        delay = transient_delay(attempt, left=left)
        if delay is None:
            return False
        await trio.sleep(delay)
        return True

    async def _on_node(self, addr: Addr | None, argv: tuple[bytes, ...],
                       idempotent: bool) -> Any:
        """Run a command that has no slot on `addr` (None: any primary)."""
        give_up = None if self._timeout is None else trio.current_time() + self._timeout
        attempt = 0
        while True:
            epoch = self._epoch
            target = self._any_primary() if addr is None else addr
            try:
                return await self._node(target).execute(argv, idempotent=idempotent)
            except ConnectionError as exc:
                self._lost(target, exc)
                if addr is not None or (exc.sent and not idempotent):
                    raise
                if not await self._pause(attempt, give_up):
                    raise
                attempt += 1
                await self._try_refresh(epoch)

    async def _on_all(self, addrs: Sequence[Addr], argv: tuple[bytes, ...],
                      idempotent: bool) -> list[Any]:
        replies: list[Any] = [None] * len(addrs)
        errors: list[BaseException] = []

        async def one(index: int, addr: Addr) -> None:
            try:
                replies[index] = await self._on_node(addr, argv, idempotent)
            except Exception as exc:
                errors.append(exc)

        async with trio.open_nursery() as nursery:
            for index, addr in enumerate(addrs):
                nursery.start_soon(one, index, addr)
        if errors:
            raise errors[0]
        return replies

    # -- many commands -----------------------------------------------------------------------

    async def _batch(self, items: Sequence[tuple[int, tuple[bytes, ...]]],
                     idempotent: bool) -> list[Any]:
        """Run commands of one slot each: every node's share as one pipeline, all nodes at
        once; a redirected command follows alone.  The replies in the items' order."""
        groups: dict[Addr | None, list[int]] = {}
        for index, (slot, _) in enumerate(items):
            addr, _ = self._owner(slot, False)
            groups.setdefault(addr, []).append(index)
        replies: list[Any] = [None] * len(items)
        errors: list[BaseException] = []

        async def alone(index: int, reply: Any = NOT_SENT) -> None:
            slot, argv = items[index]
            replies[index] = await self._on_slot(slot, argv, idempotent, reply)

        async def share(addr: Addr | None, indexes: list[int]) -> None:
            try:
                if addr is None or len(indexes) == 1:
                    for index in indexes:
                        await alone(index)
                    return
                try:
                    got = await self._node(addr).execute_many(
                        [items[index][1] for index in indexes], idempotent=idempotent)
                except ConnectionError as exc:
                    self._lost(addr, exc)
                    if exc.sent and not idempotent:
                        raise
                    got = [NOT_SENT] * len(indexes)  # each goes alone, re-routed
                for index, reply in zip(indexes, got, strict=True):
                    if reply is NOT_SENT or is_redirect(reply):
                        await alone(index, reply)
                    else:
                        replies[index] = reply
            except Exception as exc:
                errors.append(exc)

        async with trio.open_nursery() as nursery:
            for addr, indexes in groups.items():
                nursery.start_soon(share, addr, indexes)
        if errors:
            raise errors[0]
        return replies

    async def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                           idempotent: bool) -> list[Any]:
        """A pipeline: split by node, each node's share one request (all nodes at once), the
        replies in order.  Commands of one slot keep their order; a command that covers the
        whole keyspace (DBSIZE, KEYS, ...) waits for everything before it."""
        results: list[Any] = [None] * len(argvs)
        for segment in pipeline_segments(argvs):
            if segment.alone is not None:
                position, argv = segment.alone
                results[position] = await self.execute(argv, idempotent=idempotent)
                continue
            replies = await self._batch(segment.items, idempotent)
            segment.put(replies, results)
        return results

    async def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        """MULTI ... EXEC on the owner of the one slot of every key (CROSSSLOT otherwise,
        before any I/O); refused as a whole by a redirection, it follows it."""
        slot = one_slot(argvs, "transaction")
        give_up = None if self._timeout is None else trio.current_time() + self._timeout
        attempt = asks = 0
        asking: Addr | None = None  # an ASK's target: ASKING, MULTI ... EXEC there, once
        while True:
            epoch = self._epoch
            addr: Addr | None = asking
            if addr is None:
                addr = self._any_primary() if slot is None else self._owner(slot, False)[0]
            if addr is None:
                attempt = await self._no_owner(slot, attempt, give_up, epoch)
                continue
            try:
                if asking is not None:
                    asking = None
                    raw = (await self._node(addr)._batch(
                        _ASKING + transaction_payload(argvs), len(argvs) + 3, False))[1:]
                else:
                    raw = await self._node(addr).transaction(argvs)
            except ConnectionError as exc:
                self._lost(addr, exc)
                if exc.sent or not await self._pause(attempt, give_up):
                    self._refresh_soon()
                    raise
                attempt += 1
                await self._refresh(epoch)
                continue
            redirect = next((r for r in raw[1:-1] if is_redirect(r)), None)
            if redirect is None or not isinstance(raw[-1], ReplyError):
                return raw
            target = redirection(redirect.message, "")
            if redirect.code == "MOVED" and target is not None:
                self._map.moved(target[0], target[1])
                self._refresh_soon()
            elif redirect.code == "ASK" and target is not None and asks < 2:
                asking = target[1]  # the keys are on the importing node already: at once
                asks += 1
                continue
            elif not await self._pause(attempt, give_up):
                return raw
            attempt += 1

    async def dedicated(self) -> DedicatedCluster:
        """A WATCH block's connection, bound to a node by the block's first keys."""
        await trio.lowlevel.checkpoint()
        return DedicatedCluster(self)

    # -- pub/sub ---------------------------------------------------------------------------

    def subscriber(self) -> Any:
        """A subscription's own connection (`kvs.cluster.subscriber`), not opened yet."""
        from .subscriber import ClusterSubscriber

        return ClusterSubscriber(self)
