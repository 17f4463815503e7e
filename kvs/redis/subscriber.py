"""A Redis subscription on trio: one connection of its own, reopened when it breaks.

Theory of operation.  The connection is opened like any other (the handshake, so RESP3 pushes,
or RESP2's subscribe mode on a server without HELLO) but never shared.  One task at a time
reads (`receive`); any task may write (`command`, under a lock, so a command and a
resubscription never interleave on the wire).

- Reading happens only inside `receive`, one buffer (64 KiB) at a time and only when the
  reader (`kvs.redis.frames`) holds no complete reply: the client's memory is bounded
  whatever the publisher does.
- Health: when nothing arrived for ``health_check_interval`` seconds, `receive` writes a PING
  and waits ``timeout`` seconds for any byte; silence is a broken connection (a half-open
  TCP connection never reports itself otherwise).
- A broken connection (closed, reset, silent, or a protocol error) is dropped; `receive` then
  reconnects with backoff (`kvs._retry.backoff_delay`, retrying until it succeeds or the
  caller's timeout passes), sends one SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE for everything
  `Holdings` holds, waits until the server confirmed every name (messages read meanwhile are
  kept for after the gap), and only then returns `GAP`: whatever is published once the gap
  is seen reaches the subscription.
  Replies already parsed from the old connection were returned before the break was seen,
  so the order is: everything received, then the gap, then what the new connection brings.
- Cancellation: a cancelled `receive` leaves the reader and the connection as they were (a
  read is never half-done); a cancelled reconnection closes the half-opened connection and
  the next `receive` tries again.  `aclose` closes the socket, which wakes a waiting reader.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from resp import NEED_DATA, Parser, ReplyError, encode_command
from resp import ProtocolError as RespProtocolError

from .._errors import ConnectionError, ProtocolError, TimeoutError, response_error
from .._log import get_logger
from .._retry import backoff_delay
from .._url import Config
from ..commands.pubsub import GAP, Holdings, Message, is_confirmation
from ..net.errors import deadline, lost
from ..net.transport import Transport
from .frames import SubscriptionReader

__all__ = ["RedisSubscriber"]

_log = get_logger("kvs.pubsub")

_PING = encode_command("PING")
_BUFFER = 65536
_YIELD_EVERY = 16


class RedisSubscriber:
    """One subscription's own connection to Redis (see the module comment)."""

    def __init__(self, config: Config,
                 open_transport: Callable[[], Awaitable[tuple[Transport, Parser]]]) -> None:
        self._open_transport = open_transport
        self.name = config.display
        self._decode = config.decode
        self._interval = config.health_check_interval
        self._ping_timeout = config.timeout or config.health_check_interval or 10.0
        self.holdings = Holdings()
        self._transport: Transport | None = None
        self._reader = SubscriptionReader(config.decode)
        self._buffer = bytearray(_BUFFER)
        self._lock = trio.Lock()
        self._gap = False
        self._failures = 0
        self._closed = False
        self._count = 0
        self._early: collections.deque[Message] = collections.deque()  # read while confirming
        self._heard = 0.0  # when the connection last sent anything
        self._ping_sent: float | None = None  # a health-check PING waiting for its answer
        self.reconnects = 0

    async def open(self) -> None:
        await self._connect()

    async def aclose(self) -> None:
        self._closed = True
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
        while not self._closed:
            transport = self._transport
            if transport is None:
                await self._reconnect()
                continue
            if self._gap:
                self._gap = False
                return GAP
            if self._early:
                return self._early.popleft()
            try:
                reply = self._reader.next()
            except RespProtocolError:
                await self._drop(transport)
                continue
            if type(reply) is Message:
                return reply
            if reply is NEED_DATA:
                if not await self._fill(transport):
                    await self._drop(transport)
                continue
            if type(reply) is ReplyError:  # a refused (un)subscribe, e.g. NOPERM
                raise response_error(reply)
        return None

    async def _fill(self, transport: Transport) -> bool:
        """Read what arrives into the reader; False when the connection is broken or silent.

        The idle clock (`_heard`, `_ping_sent`) outlives each call, so a caller polling with
        short timeouts still gets its connection checked.
        """
        buffer = self._buffer
        try:
            with lost(f"connection to {self.name} lost", sent=True):
                while True:
                    if self._ping_sent is not None:
                        limit = self._ping_sent + self._ping_timeout
                    elif self._interval is not None:
                        limit = self._heard + self._interval
                    else:
                        limit = math.inf
                    received = -1
                    with trio.move_on_at(limit):
                        received = await transport.receive_into(buffer)
                    if received >= 0:
                        break
                    if self._ping_sent is not None:
                        return False  # no answer to the PING: half-open or stuck
                    # A writer stuck on a dead connection holds the lock: that is silence too.
                    with trio.move_on_after(self._ping_timeout) as sending:
                        async with self._lock:
                            await transport.send_all(_PING)
                    if sending.cancelled_caught:
                        return False
                    self._ping_sent = trio.current_time()
        except ConnectionError:
            return False
        if not received:
            return False
        self._heard = trio.current_time()
        self._ping_sent = None
        self._reader.feed(memoryview(buffer)[:received])
        return True

    async def _drop(self, transport: Transport) -> None:
        if self._transport is transport:
            self._transport = None
        with trio.CancelScope(shield=True):
            await transport.aclose()

    async def _reconnect(self) -> None:
        while not self._closed:
            await trio.sleep(backoff_delay(self._failures))
            try:
                await self._connect()
            except (ConnectionError, TimeoutError, ProtocolError) as exc:
                self._failures += 1
                _log.warning("subscription to %s: cannot reconnect (%d failed in a row): %s",
                             self.name, self._failures, exc)
                continue
            self._failures = 0
            self.reconnects += 1
            self._gap = True
            _log.warning("subscription to %s reconnected: what was published while it was "
                         "away is lost (a gap)", self.name)
            return

    async def _connect(self) -> None:
        """Open a connection, subscribe it to everything held and wait for the server to
        confirm each name, so that whatever is published after `open` (or after the gap)
        returns reaches this subscription."""
        transport, _ = await self._open_transport()  # the handshake's parser is done
        reader = SubscriptionReader(self._decode)
        try:
            async with self._lock:
                commands = self.holdings.commands()
                if commands:
                    payload = b"".join(encode_command(*argv) for argv in commands)
                    with deadline(self._ping_timeout, f"{self.name} did not confirm the "
                                  f"subscription within {self._ping_timeout}s"), \
                            lost(f"connection to {self.name} lost", sent=True):
                        await transport.send_all(payload)
                        early = await self._confirm(transport, reader,
                                                    sum(len(argv) - 1 for argv in commands))
                    self._early.extend(early)
                if self._closed:
                    raise ConnectionError(f"subscription to {self.name} is closed")
                self._transport, self._reader = transport, reader
                self._heard = trio.current_time()
                self._ping_sent = None
        except BaseException:
            self._early.clear()
            with trio.CancelScope(shield=True):
                await transport.aclose()
            raise

    async def _confirm(self, transport: Transport, reader: SubscriptionReader, expected: int,
                       ) -> list[Message]:
        """Read until `expected` subscribe confirmations came; the messages read meanwhile."""
        early: list[Message] = []
        buffer = self._buffer
        while expected:
            try:
                reply = reader.next()
            except RespProtocolError as exc:
                raise ProtocolError(f"{self.name}: {exc}", sent=True) from exc
            if reply is NEED_DATA:
                received = await transport.receive_into(buffer)
                if not received:
                    raise ConnectionError(f"connection to {self.name} closed by the server",
                                          sent=True)
                reader.feed(memoryview(buffer)[:received])
            elif type(reply) is Message:
                early.append(reply)
            elif is_confirmation(reply):
                expected -= 1
            elif type(reply) is ReplyError:
                raise response_error(reply)
        return early

def subscriber_for(backend: Any) -> RedisSubscriber:
    """The subscriber of a trio `RedisBackend` (kept here so the driver needs one line)."""
    return RedisSubscriber(backend._config, backend._open_transport)
