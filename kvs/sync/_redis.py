"""Redis over blocking sockets: a pool of connections, each opened with the shared handshake.

Each thread borrows a connection for one command, so blocking commands (BLPOP ...) simply
hold theirs for as long as they block.  Commands that change a connection's state are
refused, as on the trio client, because the connection goes back to the pool afterwards.
"""

from __future__ import annotations

from typing import Any

from resp import NEED_DATA, Parser, encode_command
from resp import ProtocolError as RespProtocolError

from .._handshake import handshake
from .._tls import ssl_context
from .._url import Config
from ..commands.traits import SPECIAL, refuse_connection_state
from ._transport import BlockingConnection, Pool, open_socket

__all__ = ["RedisBackend"]


class RedisBackend:
    def __init__(self, config: Config) -> None:
        self._config = config
        self.name = config.display
        self._tls = ssl_context(config) if config.tls else None
        self._pool = Pool(self._open, retries=config.retries, name=config.display)

    def open(self) -> None:
        self._pool.put(self._pool.get())

    def close(self) -> None:
        self._pool.close()

    def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        if argv[0].upper() in SPECIAL:
            refuse_connection_state(argv)
        payload = encode_command(*argv)
        return self._pool.run(payload, 1, idempotent=idempotent, sentinel=NEED_DATA)[0]

    def _open(self) -> BlockingConnection:
        config = self._config
        sock = open_socket(config.host, config.port, config.path, tls=self._tls,
                           timeout=config.connect_timeout, name=self.name)
        conn = BlockingConnection(sock, Parser(), self.name, RespProtocolError)
        try:
            steps = handshake(config)
            try:
                argv = next(steps)
                while True:
                    reply = conn.request(encode_command(*argv), 1, NEED_DATA)[0]
                    argv = steps.send(reply)
            except StopIteration:
                pass
            conn.settimeout(config.timeout)
        except BaseException:
            conn.close()
            raise
        return conn
