"""Redis Cluster over blocking sockets: the trio driver's rules (`kvs.cluster.driver`) with a
pool of connections per node (`kvs.redis.blocking.RedisBackend`), safe to share between
threads.

Routing, the splitting of multi-key commands and pipelines and the combining of their replies
are the shared, sans-IO `kvs.cluster.routing`.  A split command's parts, a pipeline's shares
and a fan-out run at once without threads (`kvs.cluster.scatter`): every node's request is
written, then every node's replies read; a command redirected or re-routed after that goes
alone, as in the trio driver.  A ``MOVED`` patches the map and, when no other thread is
refreshing and the last refresh is older than `REFRESH_INTERVAL`, the calling thread refreshes
it; refreshes are one at a time (a lock) whatever the number of threads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from resp import NEED_DATA, ReplyError, encode_command

from .._errors import ConnectionError, KvsError
from .._retry import is_transient, transient_delay
from ..commands.traits import SPECIAL
from ..redis.batch import command_payload, pipeline_payload, transaction_payload
from . import routing
from .blocking_nodes import Nodes
from .blocking_watch import DedicatedCluster
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
    one_slot,
    pipeline_segments,
)
from .scatter import scatter
from .slots import Addr, redirection

__all__ = ["ClusterBackend"]

_ASKING = encode_command(*ASKING)


class ClusterBackend(Nodes):
    """The blocking cluster backend (see the module comment)."""

    transactions = True

    # -- one command -------------------------------------------------------------------------

    def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        route = routing.plan(argv)
        if type(route) is ToSlot:
            slot = route.slot
            index = self._map.slots[slot]
            node = self._nodes.get(self._map.shards[index].primary) if index >= 0 else None
            if node is None or self._read_from != "primary":
                return self._on_slot(slot, argv, idempotent)
            # The common case, kept short: the owner is known and connected.
            try:
                reply = node.execute(argv, idempotent=idempotent)
            except ConnectionError as exc:
                self._lost(self._map.shards[index].primary, exc)
                if exc.sent and not idempotent:
                    raise
                return self._on_slot(slot, argv, idempotent)
            if type(reply) is ReplyError and reply.code in REDIRECTS:
                return self._on_slot(slot, argv, idempotent, reply)
            return reply
        if type(route) is Split:
            return route.combine(self._batch(route.parts, idempotent))
        if type(route) is Fanout:
            primaries = self._every_primary()
            return route.combine(self._on_all(primaries, argv, idempotent))
        if route is SCAN:
            primaries = self._every_primary()
            index, sub = routing.scan_cursor(argv)
            if index >= len(primaries):
                return ReplyError("ERR invalid cursor")
            reply = self._on_node(primaries[index], sub, idempotent)
            return routing.scan_reply(reply, index, len(primaries))
        assert route is ANY
        return self._on_node(None, argv, idempotent)

    def _no_owner(self, slot: int | None, attempt: int, give_up: float | None,
                epoch: int) -> int:
        """No node is known to own `slot`: wait, refresh the map, and count the attempt;
        raise `kvs.ConnectionError` when ``timeout`` leaves no time for another."""
        if not self._pause(attempt, give_up):
            raise ConnectionError(f"no node of {self.name} serves slot {slot}", sent=False)
        self._try_refresh(epoch)
        return attempt + 1

    def _pause(self, attempt: int, give_up: float | None) -> bool:
        left = None if give_up is None else give_up - time.monotonic()
        delay = transient_delay(attempt, left=left)
        if delay is None:
            return False
        time.sleep(delay)
        return True

    def _on_slot(self, slot: int, argv: tuple[bytes, ...], idempotent: bool,
                 reply: Any = NOT_SENT) -> Any:
        give_up = None if self._timeout is None else time.monotonic() + self._timeout
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
                    self._moved(target)
                    moves += 1
                    if moves > 2:
                        if not self._pause(attempt, give_up):
                            return reply
                        attempt += 1
                elif code == "ASK" and target is not None:
                    asking = target[1]
                else:
                    if not self._pause(attempt, give_up):
                        return reply
                    attempt += 1
                reply = NOT_SENT
            epoch = self._epoch
            addr, replica = ((asking, False) if asking is not None
                             else self._owner(slot, read, tried))
            if addr is None:
                attempt = self._no_owner(slot, attempt, give_up, epoch)
                continue
            try:
                if asking is not None:
                    asking = None
                    reply = self._node(addr)._pool.run(
                        _ASKING + encode_command(*argv), 2, idempotent=idempotent,
                        sentinel=NEED_DATA)[1]
                else:
                    reply = self._node(addr, replica).execute(argv, idempotent=idempotent)
            except ConnectionError as exc:
                self._lost(addr, exc)
                if exc.sent and not idempotent:
                    raise
                if replica:  # prefer_replica: the primary now; replica: another replica
                    tried.add(addr)  # of the slot first, the primary once none is left
                    read = read and self._read_from == "replica"
                    continue
                if not self._pause(attempt, give_up):
                    raise
                attempt += 1
                if not exc.sent:
                    self._try_refresh(epoch)

    def _on_node(self, addr: Addr | None, argv: tuple[bytes, ...], idempotent: bool) -> Any:
        give_up = None if self._timeout is None else time.monotonic() + self._timeout
        attempt = 0
        while True:
            epoch = self._epoch
            target = self._any_primary() if addr is None else addr
            try:
                return self._node(target).execute(argv, idempotent=idempotent)
            except ConnectionError as exc:
                self._lost(target, exc)
                if addr is not None or (exc.sent and not idempotent):
                    raise
                if not self._pause(attempt, give_up):
                    raise
                attempt += 1
                self._try_refresh(epoch)

    # -- many commands -----------------------------------------------------------------------

    def _batch(self, items: Sequence[tuple[int, tuple[bytes, ...]]],
               idempotent: bool) -> list[Any]:
        """Every node's share as one pipeline, all written before any is read
        (`kvs.cluster.scatter`); a redirected command follows alone.  The replies in the
        items' order."""
        groups: dict[Addr | None, list[int]] = {}
        for index, (slot, _) in enumerate(items):
            groups.setdefault(self._owner(slot, False)[0], []).append(index)
        replies: list[Any] = [NOT_SENT] * len(items)
        shares = [(addr, indexes) for addr, indexes in groups.items() if addr is not None
                  and (len(indexes) > 1 or items[indexes[0]][1][0].upper() not in SPECIAL)]
        outcomes = scatter([
            (self._node(addr), pipeline_payload([items[i][1] for i in indexes]), len(indexes))
            for addr, indexes in shares])
        errors: list[KvsError] = []
        for (addr, indexes), outcome in zip(shares, outcomes, strict=True):
            if isinstance(outcome, KvsError):
                if not isinstance(outcome, ConnectionError):
                    errors.append(outcome)
                elif outcome.sent and not idempotent:
                    self._lost(addr, outcome)
                    errors.append(outcome)
                else:  # each goes alone, re-routed
                    self._lost(addr, outcome)
                continue
            for index, reply in zip(indexes, outcome, strict=True):
                replies[index] = reply
        if errors:
            raise errors[0]
        for index, reply in enumerate(replies):
            if reply is NOT_SENT or is_redirect(reply):
                slot, argv = items[index]
                replies[index] = self._on_slot(slot, argv, idempotent, reply)
        return replies

    def _on_all(self, addrs: Sequence[Addr], argv: tuple[bytes, ...],
                idempotent: bool) -> list[Any]:
        """A fan-out: `argv` written to every node of `addrs`, then each one's reply read."""
        payload = command_payload(argv)
        outcomes = scatter([(self._node(addr), payload, 1) for addr in addrs])
        replies: list[Any] = []
        for addr, got in zip(addrs, outcomes, strict=True):
            if isinstance(got, KvsError):
                if isinstance(got, ConnectionError):
                    self._lost(addr, got)
                raise got
            reply = got[0]
            if idempotent and is_transient(reply):  # LOADING: the node's own retries
                reply = self._on_node(addr, argv, idempotent)
            replies.append(reply)
        return replies

    def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                     idempotent: bool) -> list[Any]:
        results: list[Any] = [None] * len(argvs)
        for segment in pipeline_segments(argvs):
            if segment.alone is not None:
                position, argv = segment.alone
                results[position] = self.execute(argv, idempotent=idempotent)
                continue
            segment.put(self._batch(segment.items, idempotent), results)
        return results

    def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        slot = one_slot(argvs, "transaction")
        give_up = None if self._timeout is None else time.monotonic() + self._timeout
        attempt = asks = 0
        asking: Addr | None = None  # an ASK's target: ASKING, MULTI ... EXEC there, once
        while True:
            epoch = self._epoch
            addr: Addr | None = asking
            if addr is None:
                addr = self._any_primary() if slot is None else self._owner(slot, False)[0]
            if addr is None:
                attempt = self._no_owner(slot, attempt, give_up, epoch)
                continue
            try:
                if asking is not None:
                    asking = None
                    raw = (self._node(addr)._pool.run(
                        _ASKING + transaction_payload(argvs), len(argvs) + 3,
                        idempotent=False, sentinel=NEED_DATA))[1:]
                else:
                    raw = self._node(addr).transaction(argvs)
            except ConnectionError as exc:
                self._lost(addr, exc)
                if exc.sent or not self._pause(attempt, give_up):
                    self._refresh_soon()
                    raise
                attempt += 1
                self._try_refresh(epoch)
                continue
            redirect = next((r for r in raw[1:-1] if is_redirect(r)), None)
            if redirect is None or not isinstance(raw[-1], ReplyError):
                return raw
            target = redirection(redirect.message, "")
            if redirect.code == "MOVED" and target is not None:
                self._moved(target)
            elif redirect.code == "ASK" and target is not None and asks < 2:
                asking = target[1]  # the keys are on the importing node already: at once
                asks += 1
                continue
            elif not self._pause(attempt, give_up):
                return raw
            attempt += 1

    def dedicated(self) -> DedicatedCluster:
        return DedicatedCluster(self)

    # -- pub/sub ---------------------------------------------------------------------------

    def subscriber(self) -> Any:
        """A subscription's own connection (`kvs.cluster.blocking_subscriber`)."""
        from .blocking_subscriber import ClusterSubscriber

        return ClusterSubscriber(self)
