"""A fault-injecting TCP proxy for trio tests.

Theory of operation: the proxy listens on a free loopback port. Every accepted client gets
one upstream connection to the target and two pump tasks, "up" (client -> server) and
"down" (server -> client); each pump reads a chunk, applies the faults in force at that
moment (delay, cut budget, split) and writes it on. Faults are plain attributes that a test
changes while the proxy runs; they apply to every connection, current and future.

Invariants:

- ``bytes_up`` / ``bytes_down`` count bytes *written* to the other side, so once
  ``await proxy.wait_bytes_up(n)`` returns, those bytes are in the server's socket.
- A cut (``cut_after`` reaching its budget, or ``cut_all``) closes both sockets of the
  connection synchronously, and from the moment a ``cut_after`` budget is reached the
  other direction forwards nothing more: a test that cuts right after a request went up
  never sees that request's reply come down.
- End of stream on one side becomes end of stream (``shutdown(SHUT_WR)``) on the other;
  the connection closes when both directions have ended.
- Everything runs in one nursery owned by the ``async with`` block and every socket is
  closed on the way out; no threads, no asyncio.

Example::

    async with FaultProxy("127.0.0.1", redis_server.port) as proxy:
        proxy.split(1)                     # every write is one byte long
        async with kvs.connect(proxy.url_for("redis")) as db:
            assert await db.ping()
        proxy.cut_after(0, direction="down")   # the next reply never arrives
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Literal, Self

import trio

Direction = Literal["up", "down"]
Directions = Literal["up", "down", "both"]

_CHUNK = 65536
_STREAM_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError, OSError)


def _directions(direction: str) -> tuple[Direction, ...]:
    if direction == "up":
        return ("up",)
    if direction == "down":
        return ("down",)
    if direction == "both":
        return ("up", "down")
    raise ValueError(f"direction must be 'up', 'down' or 'both', not {direction!r}")


class _Connection:
    """One proxied connection: the client side, the upstream side, the scope that runs it."""

    def __init__(self, client: trio.SocketStream) -> None:
        self.client = client
        self.upstream: trio.SocketStream | None = None
        self.scope = trio.CancelScope()
        # Set once the connection is being cut: nothing more is forwarded either way.
        self.frozen = False
        # Set by `FaultProxy.blackhole`: bytes are read and dropped, the sockets stay open.
        self.silent = False

    def cut(self) -> None:
        """Close both sockets now and stop the pumps (idempotent)."""
        self.frozen = True
        self.scope.cancel()
        self.client.socket.close()
        if self.upstream is not None:
            self.upstream.socket.close()


class FaultProxy:
    """A TCP proxy to ``target_host:target_port`` whose faults a test sets while it runs.

    Use it as an async context manager inside a trio test; it listens on a free port of
    ``host`` as soon as it is entered, and closes every connection on exit.

    Attributes:
        host, port, address (``host:port``): where clients connect.
        connections: connections accepted so far.
        active: connections open now.
        bytes_up, bytes_down: bytes forwarded so far, client -> server and back.

    Example::

        async with FaultProxy("127.0.0.1", 6379) as proxy:
            stream = await trio.open_tcp_stream(proxy.host, proxy.port)
    """

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = 0
        self.connections = 0
        self.active = 0
        self.bytes_up = 0
        self.bytes_down = 0
        self._delay: dict[Direction, float] = {"up": 0.0, "down": 0.0}
        self._split: dict[Direction, int] = {"up": 0, "down": 0}
        self._split_interval: dict[Direction, float] = {"up": 0.0, "down": 0.0}
        self._cut_budget: dict[Direction, int | None] = {"up": None, "down": None}
        self._conns: set[_Connection] = set()
        self._listener: trio.SocketListener | None = None
        self._resumed = trio.Event()
        self._changed = trio.Event()
        self._nursery_manager: AbstractAsyncContextManager[trio.Nursery] | None = None
        self._nursery: trio.Nursery | None = None

    # -- addresses ----------------------------------------------------------------------

    @property
    def address(self) -> str:
        """``host:port`` of the proxy."""
        return f"{self.host}:{self.port}"

    def url_for(self, scheme: str = "redis", *, host: str | None = None, path: str = "") -> str:
        """A URL that points at the proxy, e.g. ``url_for("memcached")``.

        Example::

            proxy.url_for("rediss", host="localhost")   # 'rediss://localhost:PORT'
        """
        return f"{scheme}://{host or self.host}:{self.port}{path}"

    # -- faults -------------------------------------------------------------------------

    def cut_after(self, n_bytes: int, direction: Direction = "up") -> None:
        """Cut the connection that forwards the ``n_bytes``-th next byte in ``direction``.

        Exactly ``n_bytes`` more bytes are forwarded that way (counted over all
        connections), then that connection's two sockets are closed; ``0`` cuts on the next
        byte without forwarding it. The rule then disarms. ``"up"`` is client -> server,
        ``"down"`` server -> client.
        """
        if n_bytes < 0:
            raise ValueError("n_bytes must be >= 0")
        if direction not in ("up", "down"):
            raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
        self._cut_budget[direction] = n_bytes

    def cut_all(self) -> None:
        """Close every open connection now (both sides). New connections still work."""
        for conn in list(self._conns):
            conn.cut()

    def split(self, max_bytes: int, direction: Directions = "both", interval: float = 0.0) -> None:
        """Forward in writes of at most ``max_bytes`` (``0`` turns splitting off).

        Between two pieces the pump yields to trio, or sleeps ``interval`` seconds; a small
        interval makes the receiver see each piece in a read of its own.
        """
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        for which in _directions(direction):
            self._split[which] = max_bytes
            self._split_interval[which] = interval

    def delay(self, seconds: float, direction: Directions = "both") -> None:
        """Hold every chunk ``seconds`` before forwarding it (``0`` turns delays off)."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        for which in _directions(direction):
            self._delay[which] = seconds

    def blackhole(self) -> None:
        """Make every connection open now half-open: from now on both directions read and
        drop what arrives, and neither socket closes.  Later connections are not affected."""
        for conn in self._conns:
            conn.silent = True

    def clear_faults(self) -> None:
        """Remove every delay, split and pending ``cut_after`` rule."""
        for which in ("up", "down"):
            self._delay[which] = 0.0
            self._split[which] = 0
            self._split_interval[which] = 0.0
            self._cut_budget[which] = None

    def pause(self) -> None:
        """Stop listening: new connections are refused until :meth:`resume`.

        Connections already open keep working; pair with :meth:`cut_all` to take the
        "server" away completely.
        """
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._resumed = trio.Event()
        listener.socket.close()

    def resume(self) -> None:
        """Listen again, on the same port."""
        if self._listener is not None:
            return
        self._listener = self._open_listener(self.port)
        self._resumed.set()

    @property
    def paused(self) -> bool:
        return self._listener is None

    # -- waiting ------------------------------------------------------------------------

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Wait until ``predicate()`` holds; it is checked after every change of a counter.

        Wrap it in ``trio.fail_after`` to bound the wait.
        """
        while not predicate():
            await self._changed.wait()

    async def wait_bytes_up(self, total: int) -> None:
        """Wait until ``bytes_up >= total`` (a total since the proxy started)."""
        await self.wait_until(lambda: self.bytes_up >= total)

    async def wait_bytes_down(self, total: int) -> None:
        """Wait until ``bytes_down >= total`` (a total since the proxy started)."""
        await self.wait_until(lambda: self.bytes_down >= total)

    async def wait_connections(self, total: int) -> None:
        """Wait until ``connections >= total`` connections have been accepted."""
        await self.wait_until(lambda: self.connections >= total)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    # -- running ------------------------------------------------------------------------

    def _open_listener(self, port: int) -> trio.SocketListener:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, port))
            sock.listen(128)
        except BaseException:
            sock.close()
            raise
        return trio.SocketListener(trio.socket.from_stdlib_socket(sock))

    async def __aenter__(self) -> Self:
        if self._nursery_manager is not None:
            raise RuntimeError("FaultProxy is already running")
        listener = self._open_listener(0)
        self.port = listener.socket.getsockname()[1]
        self._listener = listener
        self._resumed.set()
        manager = trio.open_nursery()
        try:
            self._nursery = await manager.__aenter__()
        except BaseException:
            listener.socket.close()
            raise
        self._nursery_manager = manager
        self._nursery.start_soon(self._accept_loop)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._nursery is not None and self._nursery_manager is not None
        self._nursery.cancel_scope.cancel()
        self.pause()
        self.cut_all()
        manager, self._nursery_manager, self._nursery = self._nursery_manager, None, None
        # The body's own exception (if any) propagates unchanged after this returns; only
        # a failure inside the proxy's tasks is raised from here.
        await manager.__aexit__(None, None, None)

    async def _accept_loop(self) -> None:
        while True:
            listener = self._listener
            if listener is None:
                await self._resumed.wait()
                continue
            try:
                stream = await listener.accept()
            except trio.ClosedResourceError:
                continue  # paused
            except OSError:
                await trio.sleep(0.01)
                continue
            assert self._nursery is not None
            self._nursery.start_soon(self._serve, stream)

    async def _serve(self, client: trio.SocketStream) -> None:
        conn = _Connection(client)
        self._conns.add(conn)
        self.connections += 1
        self.active += 1
        self._notify()
        try:
            with conn.scope:
                try:
                    upstream = await trio.open_tcp_stream(self.target_host, self.target_port)
                except OSError:
                    return  # the target is down: the client sees its connection close
                conn.upstream = upstream
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._pump, conn, client, upstream, "up")
                    nursery.start_soon(self._pump, conn, upstream, client, "down")
        finally:
            conn.cut()
            self._conns.discard(conn)
            self.active -= 1
            self._notify()

    async def _pump(
        self,
        conn: _Connection,
        source: trio.SocketStream,
        dest: trio.SocketStream,
        direction: Direction,
    ) -> None:
        try:
            while True:
                data = await source.receive_some(_CHUNK)
                if conn.frozen:
                    return
                if not data:
                    await dest.send_eof()
                    return
                if conn.silent:
                    continue
                if self._delay[direction]:
                    await trio.sleep(self._delay[direction])
                    if conn.frozen:
                        return
                if not await self._forward(conn, dest, direction, data):
                    return
        except _STREAM_ERRORS:
            conn.cut()

    async def _forward(
        self, conn: _Connection, dest: trio.SocketStream, direction: Direction, data: bytes
    ) -> bool:
        """Write ``data`` on under the current faults; False once the connection is cut."""
        budget = self._cut_budget[direction]
        cut_here = False
        if budget is not None:
            if len(data) >= budget:
                data = data[:budget]
                self._cut_budget[direction] = None
                cut_here = True
                conn.frozen = True  # the other direction forwards nothing from now on
            else:
                self._cut_budget[direction] = budget - len(data)
        step = self._split[direction] or max(len(data), 1)
        view = memoryview(data)
        for start in range(0, len(data), step):
            if start:
                interval = self._split_interval[direction]
                await (trio.sleep(interval) if interval else trio.lowlevel.checkpoint())
            piece = view[start : start + step]
            await dest.send_all(piece)
            if direction == "up":
                self.bytes_up += len(piece)
            else:
                self.bytes_down += len(piece)
            self._notify()
        if cut_here:
            conn.cut()
            return False
        return True


__all__ = ["Direction", "Directions", "FaultProxy"]
