"""``kvs serve`` on a thread of its own, for tests whose clients are not trio (or block).

`BackgroundServer` runs ``kvs.serve(url)`` inside ``trio.run`` on a daemon thread and gives
the TCP URL once it listens; leaving the ``with`` block stops it.  The served store is the
process's ``memory://NAME`` store, so in-process clients of that URL share its data and its
pub/sub broker with the TCP clients.

`dispatch`, a fixture: the test runs twice, once with plain clients served by the shared
epoll dispatcher and once with one task per client (the path where epoll is missing).
"""

from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from types import TracebackType

import pytest
import trio

import kvs
from kvs.server import listener


@pytest.fixture(params=["dispatcher", "tasks"])
def dispatch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Serve through the shared dispatcher, then through one task per client."""
    if request.param == "dispatcher" and not hasattr(select, "epoll"):
        pytest.skip("the shared dispatcher needs select.epoll (Linux)")
    monkeypatch.setattr(listener, "SHARED_DISPATCH", request.param == "dispatcher")
    yield request.param


class BackgroundServer:
    """``with BackgroundServer("memory://NAME") as server: server.url``."""

    def __init__(self, url: str) -> None:
        self.memory_url = url
        self.url = ""
        self.port = 0
        self._ready = threading.Event()
        self._token: trio.lowlevel.TrioToken | None = None
        self._stop: trio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        async def run() -> None:
            self._stop = trio.Event()
            self._token = trio.lowlevel.current_trio_token()
            async with kvs.serve(self.memory_url) as server:
                self.url, self.port = server.url, server.port or 0
                self._ready.set()
                await self._stop.wait()

        try:
            trio.run(run)
        except BaseException as exc:  # reported by __enter__ / __exit__
            self._error = exc
            self._ready.set()

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError(f"kvs serve did not start: {self._error!r}")
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._token is not None and self._stop is not None:
            self._token.run_sync_soon(self._stop.set)
        self._thread.join(10)
        if self._error is not None:
            raise self._error
