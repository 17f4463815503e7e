"""Connections lent to one caller for a while (a WATCH block), from a small pool per backend.

A `DedicatedPool` keeps up to ``max_idle`` idle `MultiplexedConnection`s, opened (with the
handshake) by the backend's opener, so a WATCH block costs no TCP connection and handshake
once the pool is warm.  A connection is lent whole to one caller (`acquire`) and comes back
with `release`: unless the caller says it is clean, ``reset`` (``UNWATCH`` for Redis) is sent
first, so the next borrower finds no state; a connection that broke, timed out or fails the
reset is closed instead of kept.  Being multiplexed, a lent connection survives its caller's
cancellation in step: the abandoned slot absorbs the late reply, exactly as on the shared one.
The same pool can lend connections to blocking commands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import trio

from .._errors import KvsError
from .multiplexed import MultiplexedConnection

__all__ = ["DedicatedConnection", "DedicatedPool"]

_RESET_TIMEOUT = 5.0


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
