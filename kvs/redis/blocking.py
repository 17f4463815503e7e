"""Redis over blocking sockets: a pool of connections, each opened with the shared handshake.

Each thread borrows a connection for one command, so blocking commands (BLPOP ...) simply
hold theirs for as long as they block, and their socket timeout is ``timeout`` plus the
command's own (none when the command waits for ever); the connection goes back to the pool
after a whole reply, and is closed after a timeout or an error (the call may have popped an
element whose reply is lost: the error says so).  Commands that change a connection's
state are refused, as on the trio client, because the connection goes back to the pool
afterwards.  RESP3 pushes are counted in `RedisBackend.pushes` and dropped.  A ``LOADING``
reply to a command that is safe to run twice is retried (`kvs._retry.is_transient`) for as
long as ``timeout`` allows.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from typing import Any

from resp import NEED_DATA, Parser, Push, encode_command
from resp import ProtocolError as RespProtocolError

from .._errors import ConnectionError, KvsError
from .._errors import TimeoutError as KvsTimeoutError
from .._retry import is_transient, transient_delay
from .._url import Config
from ..commands.traits import SPECIAL, blocking_seconds, is_blocking, refuse_connection_state
from ..sync.transport import BlockingConnection, Pool, open_socket
from .batch import UNWATCH, command_payload, pipeline_payload, transaction_payload
from .handshake import handshake, next_step
from .tls import ssl_context

__all__ = ["RedisBackend"]


_PING = encode_command("PING")


def _answers_ping(conn: BlockingConnection) -> bool:
    """Whether an idle connection still answers: a PING within the connection's timeout."""
    return conn.request(_PING, 1, NEED_DATA)[0] in ("PONG", b"PONG")


class RedisBackend:
    def __init__(self, config: Config) -> None:
        self._config = config
        self.name = config.display
        self._tls = ssl_context(config) if config.tls else None
        self._pool = Pool(self._open, retries=config.retries, name=config.display,
                          health_check=_answers_ping,
                          health_check_interval=config.health_check_interval)
        self._lock = threading.Lock()
        self.pushes = 0  # RESP3 pushes read while waiting for replies (dropped for now)

    def _on_push(self, push: Any) -> None:
        with self._lock:
            self.pushes += 1

    def open(self) -> None:
        self._pool.put(self._pool.get())

    def close(self) -> None:
        self._pool.close()

    def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        if argv[0].upper() in SPECIAL:
            refuse_connection_state(argv)
            if is_blocking(argv):
                return self._blocking(argv)
        payload = encode_command(*argv)
        run = self._pool.run
        reply = run(payload, 1, idempotent=idempotent, sentinel=NEED_DATA)[0]
        if not (idempotent and is_transient(reply)):
            return reply
        timeout = self._config.timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        attempt = 0
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            delay = transient_delay(attempt, left=left)
            if delay is None:
                return reply
            time.sleep(delay)
            attempt += 1
            reply = run(payload, 1, idempotent=idempotent, sentinel=NEED_DATA)[0]
            if not is_transient(reply):
                return reply

    def _blocking(self, argv: tuple[bytes, ...]) -> Any:
        """A blocking command on a pooled connection of its own, for as long as it blocks
        plus ``timeout``; a connection that timed out or broke is closed, never pooled."""
        try:
            return self._pool.run(encode_command(*argv), 1, idempotent=False,
                                  sentinel=NEED_DATA, extra_timeout=blocking_seconds(argv))[0]
        except KvsTimeoutError as exc:
            raise KvsTimeoutError(f"{exc}; the connection was closed: "
                                  f"{argv[0].decode(errors='replace')} may have run (an "
                                  "element may have been popped and its reply lost)") from exc
        except ConnectionError as exc:
            if not exc.sent:
                raise
            raise ConnectionError(f"{exc}; {argv[0].decode(errors='replace')} may have run "
                                  "(an element may have been popped and its reply lost)",
                                  sent=True) from exc

    # -- pipelines, transactions and WATCH (kvs.redis.batch) -------------------------------

    transactions = True

    def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                     idempotent: bool) -> list[Any]:
        """A pipeline: one write on a pooled connection, the raw replies in order."""
        return self._pool.run(pipeline_payload(argvs), len(argvs), idempotent=idempotent,
                              sentinel=NEED_DATA)

    def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        """MULTI, `argvs`, EXEC in one write; never sent again once it may have been."""
        return self._pool.run(transaction_payload(argvs), len(argvs) + 2, idempotent=False,
                              sentinel=NEED_DATA)

    def dedicated(self) -> DedicatedRedis:
        """A pooled connection held for a WATCH block."""
        return DedicatedRedis(self._pool, self._pool.get())

    def _open(self, config: Config | None = None) -> BlockingConnection:
        """A connection, handshake done, to the server of `config` (default: the URL's)."""
        config = config or self._config
        sock = open_socket(config.host, config.port, config.path, tls=self._tls,
                           timeout=config.connect_timeout, name=config.display)
        conn = BlockingConnection(sock, Parser(), config.display, RespProtocolError,
                                  push_type=Push, on_push=self._on_push)
        try:
            steps = handshake(config)
            argv: tuple[bytes | str | int, ...] | None = next(steps)
            while argv is not None:
                reply = conn.request(encode_command(*argv), 1, NEED_DATA)[0]
                argv = next_step(steps, argv, reply, conn.out_of_step, config.display)
            conn.settimeout(config.timeout)
        except BaseException:
            conn.close()
            raise
        return conn

    # -- pub/sub ---------------------------------------------------------------------------

    def subscriber(self) -> Any:
        """A subscription's own connection (`kvs.redis.blocking_subscriber`), not opened."""
        from .blocking_subscriber import RedisSubscriber

        return RedisSubscriber(self._config, self._open)

class DedicatedRedis:
    """A pooled connection held by one WATCH block; ``lost`` once its state is unknown (an
    error or a timeout), and then closed on `release` rather than pooled again."""

    def __init__(self, pool: Pool, conn: BlockingConnection) -> None:
        self._pool = pool
        self._conn = conn
        self._lost = False

    @property
    def lost(self) -> bool:
        """Whether the connection broke, timed out, or the server closed it meanwhile."""
        if not self._lost and not self._conn.idle_ok():
            self._lost = True
        return self._lost

    def _request(self, payload: bytes, count: int) -> list[Any]:
        conn = self._conn
        if conn.out_of_step:
            # The server sent more than was asked: what the parser holds, or reads next,
            # would be taken for this request's reply.  As on a shared trio connection, the
            # caller whose reply was complete kept it; the block goes no further.
            self._lost = True
            raise ConnectionError(f"connection to {conn.name} is out of step: the server sent "
                                  "a reply nobody asked for", sent=False)
        try:
            return conn.request(payload, count, NEED_DATA)
        except KvsError:
            self._lost = True
            raise

    def execute(self, argv: tuple[bytes, ...]) -> Any:
        return self._request(command_payload(argv), 1)[0]

    def watch(self, keys: Sequence[bytes]) -> Any:
        return self._request(encode_command(b"WATCH", *keys), 1)[0]

    def unwatch(self) -> Any:
        return self._request(UNWATCH, 1)[0]

    def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        return self._request(transaction_payload(argvs), len(argvs) + 2)

    def release(self, *, clean: bool = False) -> None:
        if not self._lost and not clean:
            with contextlib.suppress(KvsError):
                self.unwatch()
        if self._lost:
            self._conn.close()
        else:
            self._pool.put(self._conn)
