"""A Redis subscription on trio: one connection of its own, reopened when it breaks.

The rules (what comes next, the health check, resubscribing after a break) are
`kvs.redis.subscription.SubscriberState`'s, shared with the blocking subscriber; this module
only moves bytes and waits, the trio way.  One task at a time reads (`receive`); any task
may write (`command`, under a lock, so a command and a resubscription never interleave on
the wire).

Cancellation: a cancelled `receive` leaves the reader and the connection as they were (a
read is never half-done); a cancelled reconnection closes the half-opened connection and the
next `receive` tries again.  `aclose` closes the socket, which wakes a waiting reader.
Replies already parsed from a broken connection were returned before the break was seen,
so the order is: everything received, then the gap, then what the new connection brings.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from resp import NEED_DATA, Parser, encode_command
from resp import ProtocolError as RespProtocolError

from .._errors import ConnectionError, ProtocolError, TimeoutError
from .._url import Config
from ..commands.pubsub import Message
from ..net.errors import deadline, lost
from ..net.transport import Transport
from .subscription import PING, SubscriberState

__all__ = ["RedisSubscriber"]

_YIELD_EVERY = 16


class RedisSubscriber(SubscriberState):
    """One subscription's own connection to Redis, on trio."""

    def __init__(self, config: Config,
                 open_transport: Callable[[], Awaitable[tuple[Transport, Parser]]]) -> None:
        super().__init__(config)
        self._open_transport = open_transport
        self._transport: Transport | None = None
        self._lock = trio.Lock()
        self._count = 0

    async def open(self) -> None:
        await self._connect()

    async def aclose(self) -> None:
        self.closed = True
        transport, self._transport = self._transport, None
        if transport is not None:
            with trio.CancelScope(shield=True):
                await transport.aclose()

    async def command(self, verb: bytes, names: tuple[bytes, ...]) -> None:
        async with self._lock:
            self.holdings.apply(verb, names)
            transport = self._transport
            if transport is None:
                return  # the next connection subscribes to what is held
            try:
                with lost(f"connection to {self.name} lost", sent=True):
                    await transport.send_all(encode_command(verb, *names))
            except ConnectionError:
                await self._drop(transport)  # the reader reconnects

    async def receive(self, timeout: float | None) -> Message | None:
        if timeout is None:
            return await self._receive()
        with trio.move_on_after(timeout):
            return await self._receive()
        return None

    async def _receive(self) -> Message | None:
        self._count += 1
        if self._count % _YIELD_EVERY:
            await trio.lowlevel.checkpoint_if_cancelled()
        else:
            await trio.lowlevel.checkpoint()
        while not self.closed:
            transport = self._transport
            if transport is None:
                await self._reconnect()
                continue
            try:
                event = self.next_event()
            except RespProtocolError:
                await self._drop(transport)
                continue
            if event is not NEED_DATA:
                return event
            if not await self._fill(transport):
                await self._drop(transport)
        return None

    async def _fill(self, transport: Transport) -> bool:
        """Read what arrives into the reader; False when the connection is broken or silent."""
        try:
            with lost(f"connection to {self.name} lost", sent=True):
                while True:
                    until = self.wait_until()
                    received = -1
                    with trio.move_on_at(math.inf if until is None else until):
                        received = await transport.receive_into(self.buffer)
                    if received >= 0:
                        break
                    if self.silent(trio.current_time()):
                        return False  # no answer to the PING: half-open or stuck
                    # A writer stuck on a dead connection holds the lock: that is silence too.
                    with trio.move_on_after(self.ping_timeout) as sending:
                        async with self._lock:
                            await transport.send_all(PING)
                    if sending.cancelled_caught:
                        return False
        except ConnectionError:
            return False
        if not received:
            return False
        self.heard(received, trio.current_time())
        return True

    async def _drop(self, transport: Transport) -> None:
        if self._transport is transport:
            self._transport = None
        with trio.CancelScope(shield=True):
            await transport.aclose()

    async def _reconnect(self) -> None:
        while not self.closed:
            await trio.sleep(self.backoff())
            try:
                await self._connect()
            except (ConnectionError, TimeoutError, ProtocolError) as exc:
                self.reconnect_failed(exc)
                continue
            self.reconnected()
            return

    async def _connect(self) -> None:
        """Open a connection, subscribe it to everything held and wait for the server to
        confirm each name, so that whatever is published after `open` (or after the gap)
        returns reaches this subscription."""
        transport, _ = await self._open_transport()  # the handshake's parser is done
        reader = self.new_reader()
        early: list[Message] = []
        try:
            async with self._lock:
                payload, expected = self.resubscribe()
                if payload:
                    with deadline(self.ping_timeout, f"{self.name} did not confirm the "
                                  f"subscription within {self.ping_timeout}s"), \
                            lost(f"connection to {self.name} lost", sent=True):
                        await transport.send_all(payload)
                        while expected := self.confirm(reader, expected, early):
                            self.confirming(reader, await transport.receive_into(self.buffer))
                self.adopt(reader, early, trio.current_time())
                self._transport = transport
        except BaseException:
            with trio.CancelScope(shield=True):
                await transport.aclose()
            raise


def subscriber_for(backend: Any) -> RedisSubscriber:
    """The subscriber of a trio `RedisBackend` (kept here so the driver needs one line)."""
    return RedisSubscriber(backend._config, backend._open_transport)
