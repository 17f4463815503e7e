"""Redis behind Sentinel, on trio: the Redis driver, with the address found by discovery.

Theory of operation
-------------------
`SentinelBackend` is a `kvs.redis.driver.RedisBackend` whose every connection (the shared
pipe, WATCH connections, subscriptions, blocking commands) is opened by `_open_node`: the
master's address (remembered once found, asked of the Sentinels otherwise, see
`kvs.sentinel.discovery`), a connection with the usual handshake, then ``ROLE``.  A node that
does not answer, or answers as a replica, is a failover in progress: the address is forgotten
and the Sentinels asked again, with a short backoff, until ``connect_timeout`` runs out.

A failover is noticed three ways:

- a background task (a trio system task, one per backend) stays subscribed to
  ``+switch-master`` on one Sentinel at a time; the message moves the remembered address and
  closes every pipe to another node, so the next command reconnects to the new master;
- a connection that breaks (the master died) reopens through discovery;
- a ``READONLY`` refusal (the node is a replica now): the pipes to that node are closed and
  the command sent again once the new master is found, within ``timeout``.  A refused
  command did not run, so this holds for INCR too.

Retries are otherwise those of the Redis driver: a request that may have reached the old
master is sent again only if it is idempotent, else the caller gets `kvs.ConnectionError`.

With ``read_from="replica"`` (or ``"prefer_replica"``) the commands that only read
(`discovery.is_read`) go to a second reconnecting pipe, to a replica the Sentinels report as
healthy (``ROLE`` there must say ``slave``); ``prefer_replica`` falls back to the master when
no replica can be reached.
"""

from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import trio

from resp import NEED_DATA, Parser, encode_command

from .._errors import ConnectionError, KvsError, TimeoutError
from .._url import Config
from ..net.errors import deadline, lost
from ..net.multiplexed import MultiplexedConnection
from ..net.reconnecting import ReconnectingConnection
from ..net.transport import Transport
from ..redis.driver import RedisBackend, _roundtrip
from ..redis.handshake import nothing_more
from .discovery import (
    MASTER_CHANNEL,
    REPLICA_RETRY,
    Address,
    NoReplica,
    Patience,
    Sentinels,
    UnknownService,
    ask_in_order,
    data_config,
    demoted,
    is_read,
    known_replicas,
    master_address,
    pick_replica,
    pipeline_refused,
    refused,
    role_of,
    sentinel_config,
    switched_to,
    transaction_refused,
)

__all__ = ["SentinelBackend"]

_PING = encode_command("PING")
_ROLE = encode_command("ROLE")
_WATCH_RETRY = 1.0  # seconds between rounds of the Sentinels when none could be subscribed to

Role = str  # "master" or "slave", as ROLE names them


class SentinelBackend(RedisBackend):
    """The master (and, for reads, a replica) of a service found through its Sentinels."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._service = config.name
        self._sentinels = Sentinels(config.servers)
        self._master: Address | None = None
        self._pipes: list[tuple[MultiplexedConnection, Address]] = []
        # Connections of their own to the master: subscriptions, blocking commands.
        self._own: weakref.WeakKeyDictionary[Transport, Address] = weakref.WeakKeyDictionary()
        self._replicas: ReconnectingConnection | None = None
        self._prefer_replica = config.read_from == "prefer_replica"
        self._replicas_down_until = -math.inf
        if config.read_from != "primary":
            self._replicas = ReconnectingConnection(
                self._open_replica_pipe, retries=config.retries,
                name=f"{config.display} (replica)")
        self._watch_scope: trio.CancelScope | None = None
        self._asking: trio.Event | None = None  # set when the Sentinels have answered
        self.switches = 0  # +switch-master messages that moved the master

    @property
    def master(self) -> Address | None:
        """The master's address as last found (None while it is being looked for)."""
        return self._master

    async def open(self) -> None:
        await super().open()
        if self._watch_scope is None:
            self._watch_scope = trio.CancelScope()
            trio.lowlevel.spawn_system_task(self._watch, self._watch_scope,
                                            name=f"kvs sentinel watch {self.name}")

    async def aclose(self) -> None:
        if self._watch_scope is not None:
            self._watch_scope.cancel()
        if self._replicas is not None:
            await self._replicas.aclose()
        await super().aclose()

    # -- commands --------------------------------------------------------------------------

    async def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        if (self._replicas is not None and is_read(argv)
                and trio.current_time() >= self._replicas_down_until):
            try:
                return await self._read(argv, idempotent)
            except ConnectionError as exc:
                if not self._prefer_replica or exc.sent:
                    raise
                # No replica now: reads go to the master for a while, then try again.
                self._replicas_down_until = trio.current_time() + REPLICA_RETRY
        send = super().execute
        before = self._master
        reply = await send(argv, idempotent=idempotent)
        if refused(reply):
            async def again() -> list[Any]:
                return [await send(argv, idempotent=idempotent)]
            reply = (await self._while_refused(before, [reply], again,
                                               lambda replies: refused(replies[0])))[0]
        return reply

    async def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                           idempotent: bool) -> list[Any]:
        send = super().execute_many
        before = self._master
        replies = await send(argvs, idempotent=idempotent)
        if pipeline_refused(argvs, replies):
            async def again() -> list[Any]:
                return await send(argvs, idempotent=idempotent)
            replies = await self._while_refused(
                before, replies, again, lambda replies: pipeline_refused(argvs, replies))
        return replies

    async def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        send = super().transaction
        before = self._master
        replies = await send(argvs)
        if transaction_refused(replies):
            async def again() -> list[Any]:
                return await send(argvs)
            replies = await self._while_refused(before, replies, again, transaction_refused)
        return replies

    async def _read(self, argv: tuple[bytes, ...], idempotent: bool) -> Any:
        assert self._replicas is not None
        try:
            return (await self._replicas.request(encode_command(*argv), 1,
                                                 idempotent=idempotent,
                                                 timeout=self._timeout))[0]
        except TimeoutError:
            raise TimeoutError(f"{argv[0].decode(errors='replace')} timed out after "
                               f"{self._timeout}s on a replica of {self.name}") from None

    async def _while_refused(self, node: Address | None, replies: list[Any],
                             again: Callable[[], Awaitable[list[Any]]],
                             still: Callable[[list[Any]], bool]) -> list[Any]:
        """The request was refused by what is a replica now (or by a master that lost its
        replicas, as an old master does once its replica was promoted): send it again, to
        the master the Sentinels name, for as long as ``timeout`` allows; the last replies."""
        patience = Patience(self._timeout, trio.current_time())
        while still(replies):
            delay = patience.next_pause(trio.current_time())
            if delay is None:
                break
            await self._recheck(node, demoted(replies))
            await trio.sleep(delay)
            node = self._master
            replies = await again()
        return replies

    # -- following the master --------------------------------------------------------------

    async def _recheck(self, node: Address | None, is_replica: bool) -> None:
        """`node` refused a write: forget it if it is a replica now, else ask the Sentinels
        where the master is (and move there if it moved)."""
        if is_replica:
            await self._demoted(node)
            return
        if self._asking is not None:  # one task asks; the others refused meanwhile wait
            await self._asking.wait()
            return
        self._asking = asking = trio.Event()
        try:
            with contextlib.suppress(KvsError):  # no Sentinel answers: try again later
                address = await self._ask_sentinels(
                    ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self._service), master_address)
                await self._switch(address)
        finally:
            self._asking = None
            asking.set()

    async def _demoted(self, node: Address | None) -> None:
        """`node` answered as a replica: forget it and close the pipes to it."""
        if node is None:
            return  # being looked for already
        if self._master == node:
            self._master = None
        await self._close_connections(lambda address: address == node)

    async def _switch(self, address: Address) -> None:
        """The Sentinels moved the master to `address`: close the pipes to any other node."""
        if self._master == address:
            return
        self._master = address
        self.switches += 1
        await self._close_connections(lambda other: other != address)

    async def _close_connections(self, which: Callable[[Address], bool]) -> None:
        """Close the master connections to the nodes `which` names: the shared pipes (their
        requests in flight fail, and are sent again as far as that is safe) and the
        connections of subscriptions (which resubscribe on the new master, after a gap
        marker) and blocking commands (`kvs.ConnectionError`: the pop may have run)."""
        closing = [pipe for pipe, address in self._pipes if which(address)]
        self._pipes = [(pipe, address) for pipe, address in self._pipes
                       if not pipe.broken and not which(address)]
        own = [transport for transport, address in list(self._own.items()) if which(address)]
        for transport in own:
            self._own.pop(transport, None)
        for pipe in closing:
            await pipe.aclose()
        for transport in own:
            await transport.aclose()

    # -- connections -----------------------------------------------------------------------

    async def _open_pipe(self) -> MultiplexedConnection:
        transport, parser, address = await self._open_node("master")
        pipe = self._start(transport, parser)
        self._pipes = [(p, a) for p, a in self._pipes if not p.broken]
        self._pipes.append((pipe, address))
        return pipe

    async def _open_replica_pipe(self) -> MultiplexedConnection:
        transport, parser, _ = await self._open_node("slave")
        return self._start(transport, parser)

    def _start(self, transport: Transport, parser: Parser) -> MultiplexedConnection:
        config = self._config
        return MultiplexedConnection.start(transport, parser, self.name, ping=_PING,
                                           health_check_interval=config.health_check_interval,
                                           stall_timeout=config.timeout)

    async def _open_transport(self, config: Config | None = None) -> tuple[Transport, Parser]:
        if config is not None:
            return await super()._open_transport(config)
        transport, parser, address = await self._open_node("master")
        self._own[transport] = address
        return transport, parser

    async def _open_node(self, role: Role) -> tuple[Transport, Parser, Address]:
        """A connection to the master (or a replica) whose ROLE says so, asking the
        Sentinels again while a failover is in progress, within ``connect_timeout``."""
        config = self._config
        limit = config.connect_timeout
        patience = Patience(limit, trio.current_time())
        while True:
            try:
                address = await self._locate(role)
                transport, parser = await super()._open_transport(data_config(config, address))
                try:
                    actual = await self._role(transport, parser, address)
                except BaseException:
                    with trio.CancelScope(shield=True):
                        await transport.aclose()
                    raise
                if actual == role:
                    return transport, parser, address
                with trio.CancelScope(shield=True):
                    await transport.aclose()
                error: KvsError = ConnectionError(
                    f"{address[0]}:{address[1]} is a {actual}, not a {role} of "
                    f"{self._service!r} (a failover in progress?)")
            except UnknownService:
                raise
            except NoReplica as exc:
                raise ConnectionError(str(exc)) from None
            except (ConnectionError, TimeoutError) as exc:
                error = exc
            if role == "master":
                self._master = None
            elif self._prefer_replica:
                raise error  # no waiting for a replica: the master answers instead
            delay = patience.next_pause(trio.current_time())
            if delay is None:
                raise ConnectionError(f"no {role} of {self._service!r} reachable through "
                                      f"{self.name} within {limit}s: {error}") from error
            await trio.sleep(delay)

    async def _role(self, transport: Transport, parser: Parser, address: Address) -> str:
        name = f"{address[0]}:{address[1]}"
        with deadline(self._config.connect_timeout, f"ROLE got no reply from {name}"), \
                lost(f"connection to {name} lost", sent=False):
            reply = await _roundtrip(transport, parser, _ROLE, name)
        nothing_more(parser.buffered, b"ROLE", name)
        return role_of(reply)

    async def _locate(self, role: Role) -> Address:
        if role == "master":
            if self._master is None:
                self._master = await self._ask_sentinels(
                    ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self._service), master_address)
            return self._master
        replicas = await self._ask_sentinels(("SENTINEL", "REPLICAS", self._service),
                                             known_replicas)
        replica = pick_replica(replicas)
        if replica is None:
            raise NoReplica(f"the Sentinels know no healthy replica of {self._service!r}")
        return replica

    async def _ask_sentinels(self, argv: tuple[str, ...], read: Callable[[Any], Any]) -> Any:
        """Ask the Sentinels in order; the first that answers (not null) wins and is asked
        first next time."""
        steps = ask_in_order(self._sentinels, read, self._service, self.name)
        try:
            address = next(steps)
            while True:
                try:
                    outcome: object = await self._ask(address, argv)
                except KvsError as exc:
                    outcome = exc
                address = steps.send(outcome)
        except StopIteration as done:
            return done.value

    async def _ask(self, address: Address, argv: tuple[str, ...]) -> Any:
        config = sentinel_config(self._config, address)
        transport, parser = await super()._open_transport(config)
        try:
            with deadline(config.connect_timeout, f"{config.display} did not answer"), \
                    lost(f"connection to {config.display} lost", sent=False):
                return await _roundtrip(transport, parser, encode_command(*argv),
                                        config.display)
        finally:
            with trio.CancelScope(shield=True):
                await transport.aclose()

    # -- +switch-master --------------------------------------------------------------------

    async def _watch(self, scope: trio.CancelScope) -> None:
        """Stay subscribed to ``+switch-master`` on one Sentinel at a time (a system task:
        it must let nothing escape)."""
        with scope:
            while True:
                for address in self._sentinels.in_order():
                    with contextlib.suppress(Exception):  # any failure: the next Sentinel
                        await self._listen(address)
                await trio.sleep(_WATCH_RETRY)

    async def _listen(self, address: Address) -> None:
        config = sentinel_config(self._config, address)
        transport, parser = await super()._open_transport(config)
        interval = self._config.health_check_interval or 30.0
        try:
            with lost(f"connection to {config.display} lost", sent=False):
                # Only switches from here on: where this Sentinel says the master is now is
                # not taken, since a Sentinel that lags behind the one discovery asked would
                # send the client back to the old master.
                await transport.send_all(encode_command("SUBSCRIBE", MASTER_CHANNEL))
                buffer = bytearray(4096)
                pinged = False
                while True:
                    message = parser.next_reply()
                    if message is not NEED_DATA:
                        pinged = False
                        moved = switched_to(message, self._service)
                        if moved is not None:
                            await self._switch(moved)
                        continue
                    with trio.move_on_after(interval) as idle:
                        received = await transport.receive_into(buffer)
                        if not received:
                            return
                        parser.feed(memoryview(buffer)[:received])
                    if idle.cancelled_caught:
                        if pinged:
                            return  # no answer to the last PING: try another Sentinel
                        await transport.send_all(_PING)
                        pinged = True
        finally:
            with trio.CancelScope(shield=True):
                await transport.aclose()
