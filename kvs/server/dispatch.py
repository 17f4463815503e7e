"""The shared dispatcher of ``kvs serve``: one task serving every plain client from a
level-triggered epoll.  The theory of operation, with the hand-offs to and from each
client's own task, is in `kvs.server.listener`'s docstring."""

from __future__ import annotations

import logging
import os
import select
from contextlib import suppress

import trio

from .session import Session

__all__ = ["Dispatcher"]

_log = logging.getLogger("kvs.serve")
_RECEIVE = 64 * 1024


class Parked:
    """A plain client in the dispatcher's care, and what it hands back to its task."""

    __slots__ = ("event", "result", "session")

    def __init__(self, session: Session) -> None:
        self.session = session
        self.event = trio.Event()
        self.result: bytes | None = None  # None: finished; else the bytes still to send


class Dispatcher:
    """Serves every plain client of a server from one level-triggered epoll (see the module
    docstring); each client's own task parks in `serve` meanwhile."""

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._clients: dict[int, Parked] = {}

    async def serve(self, fd: int, session: Session) -> bytes | None:
        """Serve `session` on `fd` until it needs its task: the bytes the task must send
        before it goes on (b"" when none), or None when the client is finished."""
        parked = Parked(session)
        self._clients[fd] = parked
        self._epoll.register(fd, select.EPOLLIN)
        try:
            await parked.event.wait()
        finally:
            if self._clients.get(fd) is parked:  # cancelled while parked
                del self._clients[fd]
                if not self._epoll.closed:
                    self._epoll.unregister(fd)
        return parked.result

    def _release(self, fd: int, parked: Parked, result: bytes | None) -> None:
        if self._clients.pop(fd, None) is parked:
            with suppress(OSError):
                self._epoll.unregister(fd)
        parked.result = result
        parked.event.set()

    async def run(self) -> None:
        """The loop: one checkpoint, then every ready client served once, over and over.

        A pass reads and answers every ready client first and writes the replies after, so
        that the clients' wake-ups come together instead of one between two reads."""
        epoll = self._epoll
        clients = self._clients
        ready = epoll.fileno()
        release = self._release
        read = os.read
        replies: list[tuple[int, Parked, bytes]] = []
        try:
            while True:
                await trio.lowlevel.wait_readable(ready)
                for fd, _ in epoll.poll(0):
                    parked = clients.get(fd)
                    if parked is None:  # released earlier in this pass
                        continue
                    session = parked.session
                    try:
                        data = read(fd, _RECEIVE)
                        if not data:
                            release(fd, parked, None)
                            continue
                        out = session.receive(data)
                        if session.blocked is not None or session.pubsub is not None:
                            release(fd, parked, out)
                        elif out:
                            replies.append((fd, parked, out))
                        elif session.closing:
                            release(fd, parked, None)
                    except BlockingIOError:
                        continue  # not readable after all
                    except OSError:  # the client reset the connection or went away
                        release(fd, parked, None)
                    except Exception:  # a bug must not take the other clients down
                        _log.exception("kvs serve: client %s dropped", session.peer)
                        release(fd, parked, None)
                for fd, parked, out in replies:
                    try:
                        sent = os.write(fd, out)
                    except BlockingIOError:
                        sent = 0
                    except OSError:
                        release(fd, parked, None)
                        continue
                    if sent < len(out):  # a slow reader: its task writes the rest
                        release(fd, parked, out[sent:])
                    elif parked.session.closing:
                        release(fd, parked, None)
                replies.clear()
        finally:
            epoll.close()
