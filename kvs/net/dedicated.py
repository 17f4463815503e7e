"""Connections lent to one caller for a while (a WATCH block), from a small pool per backend.

A `DedicatedPool` keeps up to ``max_idle`` idle `MultiplexedConnection`s, opened (with the
handshake) by the backend's opener, so a WATCH block costs no TCP connection and handshake
once the pool is warm.  A connection is lent whole to one caller (`acquire`) and comes back
with `release`: unless the caller says it is clean, ``reset`` (``UNWATCH`` for Redis) is sent
first, so the next borrower finds no state; a connection that broke, timed out or fails the
reset is closed instead of kept.  Being multiplexed, a lent connection survives its caller's
cancellation in step: the abandoned slot absorbs the late reply, exactly as on the shared one.

Blocking commands (BLPOP, XREAD ... BLOCK) borrow from a `StreamPool` instead: plain
connections (a transport and its parser, no background tasks), one request and its reply
each.  A connection comes back to the pool only after a complete reply; a call that was
cancelled or timed out after its request may have been written closes it instead, so that
a late reply (an element popped for nobody) can never reach the next borrower, and the
server, seeing the connection close, stops waiting for the call.

A blocking call on a warm pool costs one scheduler pass, the wait for its reply: `acquire`
only checks for cancellation (``checkpoint_if_cancelled``: nothing is written in a cancelled
scope), and the caller's wait for the reply (`StreamConnection.exchange`, which always waits
for the socket to be readable, even when the reply is there already) is the call's yield.
Each pooled connection keeps its receive buffer, so a call allocates none.

A blocking call's deadline (its blocking time plus the backend's timeout) costs no trio cancel
scope: `StreamPool.exchange` files it in the pool's heap of deadlines, and one watchdog
system task, asleep until the earliest of them, closes the socket of a call still waiting
past its deadline.  The call then wakes (a closed socket wakes its waiter) and raises
`kvs.TimeoutError`; its connection is never lent again.  A deadline whose call ended is left
in the heap and dropped when it comes up, or when the heap holds many more deadlines than
calls wait (it is then rebuilt from the live ones: a burst of short or cancelled calls never
piles up connections in it).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from resp import NEED_DATA, Push

from .._errors import ConnectionError, KvsError, TimeoutError
from .multiplexed import MultiplexedConnection
from .transport import Transport

__all__ = ["DedicatedConnection", "DedicatedPool", "StreamConnection", "StreamPool"]

_RESET_TIMEOUT = 5.0
_RECEIVE_SIZE = 65536


class DedicatedConnection:
    """One connection lent to one caller; ``lost`` once its state is unknown."""

    __slots__ = ("lost", "pipe", "pool")

    def __init__(self, pool: DedicatedPool, pipe: MultiplexedConnection) -> None:
        self.pool = pool
        self.pipe = pipe
        self.lost = False

    @property
    def broken(self) -> bool:
        """Whether the connection broke or its state is unknown."""
        return self.lost or self.pipe.broken

    async def request(self, payload: bytes, count: int) -> list[Any]:
        """Send `payload` and return its `count` replies (``timeout`` as the backend's).

        A connection error or a timeout marks the connection lost.
        """
        try:
            return await self.pipe.request(payload, count, self.pool.timeout)
        except KvsError:
            self.lost = True
            raise


class DedicatedPool:
    """Idle dedicated connections of one backend, lent one caller at a time."""

    def __init__(self, opener: Callable[[], Awaitable[MultiplexedConnection]], *,
                 reset: bytes, timeout: float | None, max_idle: int = 4) -> None:
        self._opener = opener
        self._reset = reset
        self.timeout = timeout
        self._max_idle = max_idle
        self._idle: list[MultiplexedConnection] = []
        self._closed = False

    async def acquire(self) -> DedicatedConnection:
        """An idle connection that has not broken, or a new one."""
        while self._idle:
            pipe = self._idle.pop()
            if not pipe.broken:
                await trio.lowlevel.checkpoint()
                return DedicatedConnection(self, pipe)
            await pipe.aclose()
        return DedicatedConnection(self, await self._opener())

    async def release(self, conn: DedicatedConnection, *, clean: bool = False) -> None:
        """Take a connection back: reset it (unless `clean`) and keep it, or close it."""
        pipe = conn.pipe
        with trio.CancelScope(shield=True):
            if not conn.broken and not clean:
                with trio.move_on_after(self.timeout or _RESET_TIMEOUT):
                    try:
                        await pipe.request(self._reset, 1)
                        clean = True
                    except KvsError:
                        pass
            if clean and not conn.broken and not self._closed \
                    and len(self._idle) < self._max_idle:
                self._idle.append(pipe)
            else:
                await pipe.aclose()

    async def aclose(self) -> None:
        self._closed = True
        while self._idle:
            await self._idle.pop().aclose()


class StreamConnection:
    """One plain pooled connection: its transport, its parser and its receive buffer."""

    __slots__ = ("buffer", "call", "expired", "parser", "since", "transport")

    def __init__(self, transport: Transport, parser: Any) -> None:
        self.transport = transport
        self.parser = parser
        self.buffer = bytearray(_RECEIVE_SIZE)
        self.since = 0.0  # when it came back to the pool (time.monotonic)
        self.call = 0  # the number of the call waiting on it (its deadline's), 0: none
        self.expired = False  # the watchdog closed it: its call ran out of time

    async def exchange(self, payload: bytes, name: str) -> Any:
        """Write `payload` and return its one reply (the parser holds nothing before).

        A RESP3 push read meanwhile is not the reply: nobody subscribes on this connection,
        so it is dropped.  Always yields to the scheduler (it waits for the socket to be
        readable before each read), so a caller that only checked for cancellation before
        still makes a full checkpoint.
        """
        transport, parser, buffer = self.transport, self.parser, self.buffer
        await transport.send_all(payload)
        while True:
            received = await transport.wait_receive_into(buffer)
            if not received:
                raise ConnectionError(f"connection to {name} closed by the server", sent=True)
            parser.feed(memoryview(buffer)[:received])
            while True:
                reply = parser.next_reply()
                if reply is NEED_DATA:
                    break
                if type(reply) is not Push:
                    return reply


class StreamPool:
    """Idle plain connections of one backend, lent to one blocking call at a time.

    Args:
        opener: opens a connection (handshake done): its transport and parser.
        check: a request the connection must answer (a PING), with nothing after the
            answer, before it is lent again after `check_after` idle seconds; None: never
            checked.
        max_idle: how many idle connections to keep (as many as blocking calls usually run
            at once); more are closed when they come back.
    """

    def __init__(self, opener: Callable[[], Awaitable[tuple[Transport, Any]]], *,
                 check: Callable[[StreamConnection], Awaitable[bool]] | None = None,
                 check_after: float | None = None, max_idle: int = 64) -> None:
        self._opener = opener
        self._check = check if check_after is not None else None
        self._check_after = check_after or 0.0
        self._max_idle = max_idle
        self._idle: list[StreamConnection] = []
        self._closed = False
        self.opened = 0  # connections opened so far (a pool that works keeps this small)
        self._deadlines: list[tuple[float, int, StreamConnection]] = []  # a heap
        self._calls = itertools.count(1)
        self._watchdog: trio.CancelScope | None = None  # its sleep, while it runs
        self._watchdog_running = False
        self._waiting = 0  # calls in `exchange` with a deadline

    async def acquire(self) -> StreamConnection:
        """An idle connection that still looks alive, or a new one.

        Raises `trio.Cancelled` in a cancelled scope, but does not yield when an idle
        connection is lent at once: the caller's wait for its reply is the yield.
        """
        await trio.lowlevel.checkpoint_if_cancelled()
        while self._idle:
            conn = self._idle.pop()
            if conn.transport.idle_ok():
                if self._check is None or time.monotonic() - conn.since < self._check_after:
                    return conn
                try:
                    alive = await self._checked(conn)
                except BaseException:
                    await _close(conn.transport)
                    raise
                if alive:
                    return conn
            await _close(conn.transport)
        transport, parser = await self._opener()
        self.opened += 1
        return StreamConnection(transport, parser)

    async def _checked(self, conn: StreamConnection) -> bool:
        assert self._check is not None
        try:
            with trio.move_on_after(_RESET_TIMEOUT) as scope:
                alive = await self._check(conn)
        except (KvsError, OSError, trio.BrokenResourceError, trio.ClosedResourceError):
            return False
        # Anything after the check's reply (a reply nobody asked for, or the start of one)
        # would be taken for the next caller's reply: such a connection is not lent.
        return (not scope.cancelled_caught and alive and not conn.parser.buffered
                and conn.transport.idle_ok())

    def release(self, conn: StreamConnection) -> bool:
        """Take back a connection whose last reply was read whole; True when kept."""
        if self._closed or len(self._idle) >= self._max_idle:
            return False
        conn.since = time.monotonic()
        self._idle.append(conn)
        return True

    async def exchange(self, conn: StreamConnection, payload: bytes, name: str,
                       limit: float | None) -> Any:
        """`conn.exchange`, closing `conn` when no reply came within `limit` seconds (None:
        no limit): then `kvs.TimeoutError`, and `conn` must not be released."""
        if limit is None:
            return await conn.exchange(payload, name)
        deadline = trio.current_time() + limit
        call = conn.call = next(self._calls)
        deadlines = self._deadlines
        if len(deadlines) > 4 * self._waiting + 128:
            deadlines[:] = [entry for entry in deadlines if entry[2].call == entry[1]]
            heapq.heapify(deadlines)
        heapq.heappush(deadlines, (deadline, call, conn))
        if not self._watchdog_running:
            self._watchdog_running = True
            trio.lowlevel.spawn_system_task(self._watch, name="kvs blocking-call deadlines")
        elif self._watchdog is not None and deadline < self._watchdog.deadline:
            self._watchdog.deadline = deadline
        self._waiting += 1
        try:
            return await conn.exchange(payload, name)
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError):
            if conn.expired:
                raise TimeoutError(f"no reply within {limit}s") from None
            raise
        finally:
            self._waiting -= 1
            conn.call = 0

    async def _watch(self) -> None:
        """Close the connections of calls waiting past their deadlines, until `aclose`."""
        deadlines = self._deadlines
        try:
            while not self._closed:
                while deadlines and deadlines[0][2].call != deadlines[0][1]:
                    heapq.heappop(deadlines)  # that call ended
                if deadlines and deadlines[0][0] <= trio.current_time():
                    _, _, conn = heapq.heappop(deadlines)
                    conn.expired = True
                    # This wakes the call waiting on it.  A system task must not fail: the
                    # connection is discarded either way (the call closes it too).
                    with contextlib.suppress(Exception):
                        await _close(conn.transport)
                    continue
                with trio.CancelScope(
                        deadline=deadlines[0][0] if deadlines else math.inf) as scope:
                    self._watchdog = scope
                    await trio.sleep_forever()
                self._watchdog = None
        finally:
            self._watchdog = None
            self._watchdog_running = False
        self._waiting = 0  # calls in `exchange` with a deadline

    async def aclose(self) -> None:
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        while self._idle:
            await _close(self._idle.pop().transport)


async def _close(transport: Transport) -> None:
    with trio.CancelScope(shield=True):
        await transport.aclose()
