"""A scripted RESP peer for tests: a loopback server, in threads of its own (so that it can
answer while a client's task still runs), that passes the handshake and answers every other
command with whatever bytes a test's handler returns: unsolicited replies, pushes before
replies, partial replies, ``-LOADING``, or silence (``b""``).  A test can also change what it
answers to HELLO (`hello`) and, per connection, to PING (`pongs`)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import resp

__all__ = ["Handler", "Peer", "peer", "sentinel_and_master"]

Handler = Callable[[list[bytes], "Peer"], bytes]


class Peer:
    """A RESP server on loopback whose replies come from `handler(argv, peer)`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.calls: list[list[bytes]] = []
        self.connections: list[socket.socket] = []
        self.hello = b"%1\r\n$6\r\nserver\r\n$5\r\nredis\r\n"  # the answer to HELLO
        self.pongs: dict[int, bytes] = {}  # the answer to PING on connection i (+PONG if none)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._stop = False
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop:
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            self.connections.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock, len(self.connections) - 1),
                                      daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket, index: int) -> None:
        parser = resp.Parser()
        with contextlib.suppress(OSError):
            while not self._stop:
                data = sock.recv(65536)
                if not data:
                    return
                parser.feed(data)
                while (argv := parser.next_reply()) is not resp.NEED_DATA:
                    name = argv[0].upper()
                    if name == b"HELLO":
                        sock.sendall(self.hello)
                    elif name == b"PING":
                        sock.sendall(self.pongs.get(index, b"+PONG\r\n"))
                    elif name == b"CLIENT":
                        sock.sendall(b"+OK\r\n")
                    else:
                        self.calls.append(argv)
                        sock.sendall(self.handler(argv, self))

    def close(self) -> None:
        self._stop = True
        self._listener.close()
        for sock in self.connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)


@contextlib.contextmanager
def peer(handler: Handler) -> Iterator[Peer]:
    server = Peer(handler)
    try:
        yield server
    finally:
        server.close()


def sentinel_and_master(role: bytes) -> Handler:
    """A handler for a peer that is its own Sentinel and master: ``SENTINEL ...`` names the
    peer itself, ``ROLE`` is answered with `role` (whatever bytes), anything else ``+OK``."""

    def answer(argv: list[bytes], server: Peer) -> bytes:
        name = argv[0].upper()
        if name == b"SENTINEL":
            port = str(server.port).encode()
            return b"*2\r\n$9\r\n127.0.0.1\r\n$%d\r\n%s\r\n" % (len(port), port)
        return role if name == b"ROLE" else b"+OK\r\n"

    return answer
