"""A connection that reopens itself: one `MultiplexedConnection` at a time, replaced when it
breaks.

One task reconnects while the others wait for it (a `trio.Lock`); consecutive failures back
off as `kvs._retry` says.  A request is sent again on the new pipe only when `may_retry`
allows it, so a non-idempotent command runs at most once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import trio

from .._errors import ConnectionError
from .._log import get_logger
from .._retry import backoff_delay, may_retry
from .multiplexed import MultiplexedConnection

__all__ = ["ReconnectingConnection"]

_log = get_logger("kvs.net")


class ReconnectingConnection:
    """Requests over whichever pipe is current, reopening it with `opener` when needed."""

    def __init__(self, opener: Callable[[], Awaitable[MultiplexedConnection]], *, retries: int,
                 name: str) -> None:
        self._opener = opener
        self._retries = retries
        self.name = name
        self._pipe: MultiplexedConnection | None = None
        self._lock = trio.Lock()
        self._failures = 0
        self._closed = False

    async def connect(self) -> MultiplexedConnection:
        """Return a working pipe, opening one if needed (one task opens, others wait)."""
        pipe = self._pipe
        if pipe is not None and not pipe.broken:
            return pipe
        async with self._lock:
            pipe = self._pipe
            if pipe is not None and not pipe.broken:
                return pipe
            if self._closed:
                raise ConnectionError(f"connection to {self.name} is closed")
            old = pipe
            delay = backoff_delay(self._failures)
            if old is not None and self._failures == 0:
                _log.info("reconnecting to %s: %s", self.name, old.error)
            await trio.sleep(delay)
            try:
                pipe = await self._opener()
            except ConnectionError as exc:
                self._failures += 1
                _log.warning("cannot connect to %s (%d failed in a row): %s", self.name,
                             self._failures, exc)
                raise
            except Exception as exc:  # a refusal (a wrong password ...): not counted
                _log.warning("cannot connect to %s: %s", self.name, exc)
                raise
            if self._failures or old is not None:
                _log.info("connected to %s again", self.name)
            else:
                _log.debug("connected to %s", self.name)
            self._failures = 0
            self._pipe = pipe
            return pipe

    async def request(self, payload: bytes, count: int, *, idempotent: bool,
                      timeout: float | None = None) -> list[Any]:
        """Send a request, reconnecting and retrying as far as it is safe; each attempt waits
        at most `timeout` seconds for its replies (`kvs.TimeoutError`)."""
        attempt = 0
        while True:
            pipe = self._pipe
            try:
                if pipe is None or pipe.broken:
                    pipe = await self.connect()
                return await pipe.request(payload, count, timeout)
            except ConnectionError as exc:
                if self._closed or not may_retry(
                        sent=exc.sent, idempotent=idempotent, attempt=attempt,
                        retries=self._retries):
                    raise
                attempt += 1
                _log.info("retrying a request to %s (retry %d of %d) after: %s", self.name,
                          attempt, self._retries, exc)

    async def aclose(self) -> None:
        self._closed = True
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            await pipe.aclose()
