"""The trio side of ``kvs serve``: listeners, the shared dispatcher, client tasks, `serve`.

Theory of operation: all protocol and command logic lives in the sans-IO `Session`; this
module only moves bytes.  Every accepted connection gets a task of its own, which owns the
connection (it makes the session, and closes both when it ends), but a plain client, one that
is neither blocked nor subscribed, is served by the server's `Dispatcher` while its task is
parked: one task owning a level-triggered ``select.epoll`` in which every such client's
descriptor is registered once.  The dispatcher waits on the epoll descriptor itself
(``trio.lowlevel.wait_readable``, its checkpoint: one per pass), then serves every ready
client in that pass: one read and ``session.receive`` (the replies to every command those
bytes completed) for each, then one write for each.  So a request costs no trio wake-up and
no re-arming of the descriptor in trio's own epoll (a pass over 50 ready clients costs one),
and the clients woken by the writes of a pass are woken together, which on a shared CPU
halves the times the server is preempted.

The dispatcher hands a client back to its task, unregistering its descriptor, when the task
must wait for something on that client's behalf: a write the kernel did not take whole (a
slow reader: its task waits until it can write the rest; the others go on), a blocking
command that has to wait, or a subscription.  The task then runs the per-client loop
(below) and, once the client is plain again and nothing is left to write, parks it in the
dispatcher again; pub/sub keeps its tasks to the end.  A client that closes, a bug met while
serving it, or QUIT ends that client only: the dispatcher hands it back as finished and its
task closes it.  Cancelling the server cancels every client task (each takes its descriptor
out of the epoll before its socket closes) and the dispatcher.  Without ``select.epoll``
(not Linux), or with `SHARED_DISPATCH` off, every client is served by its own task:

Per-client loop: receive what the client sent, hand it to its `Session`, send back the bytes
the session returns (in one write), and stop when the session is closing or the client
leaves.  Store commands never wait, so they run inline; the next receive is the checkpoint
that lets the other clients run.

Pub/sub: the first time a session subscribes, its connection moves to `_subscribed`, two
tasks for the rest of its life: the reader goes on as before but queues its replies in an
`Outbox`, and a writer sends what is queued.  A message published anywhere in the store
(another TCP client, an in-process client on any thread) reaches the session's mailbox,
whose callback schedules a drain in this trio thread (``run_sync_soon``) into the same
outbox, so pushes and replies leave in one order.  A subscriber that does not read cannot
stall anyone: its outbox grows until Redis's pub/sub output limits drop the connection.

Blocked clients: a blocking command that has to wait (``session.blocked``) parks the
client's task on its waiter (`kvs.memory.driver.wait`) while a second task keeps reading the
socket: bytes that arrive are held for later, and the client closing its connection cancels
the wait, which removes its waiter from the store (unless it was served at that very moment:
then, as in Redis, the element went to a client that left).  Once a connection is in pub/sub
mode its blocking commands answer at once, as in MULTI.
"""

from __future__ import annotations

import logging
import os
import select
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import partial
from typing import Any, final
from urllib.parse import quote

import trio

from .._url import mask_url, parse_url
from ..memory.driver import TrioWaiter, wait
from ..memory.store import Store, get_store
from .dispatch import Dispatcher
from .pubsub import Outbox
from .session import Session
from .state import ServerState

__all__ = ["Server", "serve"]

_log = logging.getLogger("kvs.serve")
_RECEIVE = 64 * 1024

#: Serve plain clients from one shared epoll loop (`Dispatcher`); False: one task each.
SHARED_DISPATCH = hasattr(select, "epoll")


def _address(sock: Any, peer: bool) -> str:
    try:
        address = sock.getpeername() if peer else sock.getsockname()
    except OSError:
        return ""
    if isinstance(address, tuple):
        host = address[0]
        return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    return f"{address}:0"


@final
class Server:
    """A running ``kvs serve``: where it listens and what it shares.

    Attributes:
        url: a ``redis://`` URL that reaches it (with the password, if one is set; ``repr``
            masks it), or ``unix://PATH`` when it listens on a Unix socket only.
        host, port: the TCP address (``port`` is the one bound when 0 was asked), or None.
        unix: the Unix socket path, or None.
        state: the sessions' shared state (CONFIG, clients, stats).
    """

    def __init__(self, state: ServerState, host: str | None, port: int | None,
                 unix: str | None, password: str | None) -> None:
        self.state = state
        self.host = host
        self.port = port
        self.unix = unix
        auth = f":{quote(password, safe='')}@" if password else ""
        if host is not None and port is not None:
            shown = f"[{host}]" if ":" in host else host
            self.url = f"redis://{auth}{shown}:{port}"
        else:
            self.url = f"unix://{auth}{unix}"

    def __repr__(self) -> str:
        return f"<kvs.Server {mask_url(self.url)}>"


async def _send(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            sent = os.write(fd, view)
        except BlockingIOError:
            await trio.lowlevel.wait_writable(fd)
            continue
        view = view[sent:]


async def _receive(fd: int) -> bytes:
    """The next bytes the client sent (b"" when it closed), after one wait."""
    while True:
        await trio.lowlevel.wait_readable(fd)
        try:
            return os.read(fd, _RECEIVE)
        except BlockingIOError:
            continue


async def _client(state: ServerState, stream: trio.SocketStream,
                  dispatcher: Dispatcher | None) -> None:
    sock = stream.socket
    session = Session(state, peer=_address(sock, True), local=_address(sock, False))
    # The stream's socket is non-blocking: read and write its descriptor directly, with one
    # wait (the checkpoint that lets other clients run) per read, and none for a write the
    # kernel takes at once.  That halves the scheduler's work per request.
    fd = sock.fileno()
    # A blocking command may be run by the dispatcher: its waiter wakes this task all the same.
    session.new_waiter = partial(TrioWaiter, trio.lowlevel.current_task())
    try:
        while not session.closing:
            out: bytes | None
            if dispatcher is not None:
                out = await dispatcher.serve(fd, session)
                if out is None:
                    break  # the client left, or was dropped
            else:
                data = await _receive(fd)
                if not data:
                    break
                out = session.receive(data)
            while session.blocked is not None:
                if out:
                    await _send(fd, out)
                out = await _blocked(session, state.store, fd)
                if out is None:
                    return  # the client left while blocked
            if session.pubsub is not None:
                # Blocking commands answer at once from here on, as in MULTI (see serve.md).
                session.new_waiter = None
                await _subscribed(session, fd, out or b"")
                break
            if out:
                await _send(fd, out)
    except OSError:
        pass  # the client reset the connection or went away
    except Exception:  # a bug must not take the other clients down
        _log.exception("kvs serve: client %s dropped", session.peer)
    finally:
        session.close()
        await trio.aclose_forcefully(stream)


async def _subscribed(session: Session, fd: int, first: bytes) -> None:
    """Serve a connection that used pub/sub: a reader and a writer over one `Outbox`."""
    state = session.state
    outbox = Outbox(*state.pubsub_output_limit)
    token = trio.lowlevel.current_trio_token()
    queued = trio.Event()
    done = False

    def add(data: bytes) -> None:
        nonlocal queued
        if not outbox.add(data, trio.current_time()):
            _log.warning("kvs serve: client %s dropped: over the pub/sub output limit "
                         "(client-output-buffer-limit)", session.peer)
            session.closing = True
            nursery.cancel_scope.cancel()
            return
        queued.set()

    def drain() -> None:  # in the trio thread, scheduled by `arrived`
        if done or session.closing:  # closing: after QUIT, only its reply is left to send
            return
        try:
            data = session.pushes()
        except Exception:  # a bug here must not reach trio's run_sync_soon
            _log.exception("kvs serve: client %s dropped", session.peer)
            session.closing = True
            nursery.cancel_scope.cancel()
            return
        if session.closing:  # the mailbox overflowed
            nursery.cancel_scope.cancel()
        elif data:
            add(data)

    def arrived() -> None:  # any thread
        with suppress(trio.RunFinishedError):
            token.run_sync_soon(drain)

    async def writer() -> None:
        nonlocal queued
        while True:
            await queued.wait()
            queued = trio.Event()
            while len(outbox):  # only what the kernel has not taken counts against the limit
                try:
                    written = os.write(fd, outbox.peek(_RECEIVE * 16))
                except BlockingIOError:
                    await trio.lowlevel.wait_writable(fd)
                    continue
                outbox.consume(written)
            if session.closing:
                nursery.cancel_scope.cancel()  # after QUIT: its reply is written

    try:
        async with trio.open_nursery() as nursery:
            session.on_push = arrived
            if first:
                add(first)
            drain()  # what arrived before the callback was in place
            nursery.start_soon(writer)
            while not session.closing:
                data = await _receive(fd)
                if not data:
                    nursery.cancel_scope.cancel()
                    break
                out = session.receive(data)
                if out:
                    add(out)
            if session.closing and not len(outbox):
                nursery.cancel_scope.cancel()
    finally:
        done = True
        session.on_push = None


async def _blocked(session: Session, store: Store, fd: int) -> bytes | None:
    """Wait for the session's blocked command while watching its socket; the replies then
    due, or None when the client closed the connection meanwhile."""
    waiter = session.blocked
    assert isinstance(waiter, TrioWaiter)
    left = False
    reply: object = None
    async with trio.open_nursery() as nursery:

        async def watch() -> None:
            nonlocal left
            while True:
                await trio.lowlevel.wait_readable(fd)
                try:
                    data = os.read(fd, _RECEIVE)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    left = True
                    nursery.cancel_scope.cancel()
                    return
                session.hold(data)
                if session.closing:  # over the query buffer limit
                    left = True
                    nursery.cancel_scope.cancel()
                    return

        nursery.start_soon(watch)
        reply = await wait(store, waiter)
        nursery.cancel_scope.cancel()
    if left:
        return None
    return session.unblock(reply)


async def _unix_listener(path: str) -> trio.SocketListener:
    if os.path.exists(path):
        os.unlink(path)
    sock = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    await sock.bind(path)
    sock.listen(511)
    return trio.SocketListener(sock)


@asynccontextmanager
async def serve(
    url: str = ":memory:",
    *,
    host: str = "127.0.0.1",
    port: int | None = 0,
    unix: str | None = None,
    password: str | None = None,
) -> AsyncIterator[Server]:
    """Serve the memory store over RESP2/RESP3 while the ``async with`` block runs.

    Args:
        url: ``:memory:`` or ``memory://NAME``: the store served, shared with every
            in-process client of the same URL.
        host: the address to bind (loopback by default; ``"0.0.0.0"`` or ``"::"`` only when
            you mean to accept other machines).
        port: the TCP port; 0 picks a free one (see ``server.port``); None: no TCP.
        unix: also listen on this Unix socket path.
        password: require AUTH / HELLO AUTH with this password (user ``default``).

    Yields:
        The `Server`, with ``url`` and ``port``.

    Raises:
        kvs.InvalidURL: `url` is not a memory store URL.
        ValueError: neither TCP nor a Unix socket was asked for.
        OSError: the address cannot be bound.

    Example:
        >>> import trio, kvs
        >>> async def main():
        ...     async with kvs.serve("memory://served") as server:
        ...         async with kvs.connect(server.url) as db:
        ...             await db.set("k", "v")
        ...     async with kvs.connect("memory://served") as db:
        ...         return await db.get("k")
        >>> trio.run(main)
        'v'
    """
    from .._errors import InvalidURL

    config = parse_url(url)
    if config.backend != "memory":
        raise InvalidURL(f"kvs serve serves a memory store (:memory: or memory://NAME), "
                         f"not {config.display}")
    if port is None and unix is None:
        raise ValueError("serve: give a port, a unix socket path, or both")
    listeners: list[trio.SocketListener] = []
    if port is not None:
        listeners.extend(await trio.open_tcp_listeners(port, host=host))
    if unix is not None:
        listeners.append(await _unix_listener(unix))
    bound = port
    if port is not None:
        bound = listeners[0].socket.getsockname()[1]
    state = ServerState(get_store(config.name), password=password, host=host,
                        port=bound or 0, unix=unix)
    server = Server(state, host if port is not None else None, bound, unix, password)

    dispatcher = Dispatcher() if SHARED_DISPATCH else None

    async def handler(stream: trio.SocketStream) -> None:
        await _client(state, stream, dispatcher)

    try:
        async with trio.open_nursery() as nursery:
            if dispatcher is not None:
                nursery.start_soon(dispatcher.run)
            nursery.start_soon(trio.serve_listeners, handler, listeners)
            try:
                yield server
            finally:
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # What the block raised comes out as it was, not wrapped by the server's nursery.
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    finally:
        for listener in listeners:
            await trio.aclose_forcefully(listener)
        if unix is not None and os.path.exists(unix):
            os.unlink(unix)
