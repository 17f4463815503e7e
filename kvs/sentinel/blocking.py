"""Redis behind Sentinel over blocking sockets: the blocking Redis driver, with the address
found by discovery (`kvs.sentinel.discovery`), as the trio driver (`kvs.sentinel.driver`).

Every pooled connection is opened by `_open_node`: the remembered master address (or the
Sentinels' answer), the handshake, then ``ROLE``; a node that does not answer or answers as
a replica sends the opener back to the Sentinels until ``connect_timeout`` runs out.

``+switch-master`` is followed by one daemon thread per backend, subscribed to one Sentinel
at a time.  A switch moves the remembered address and shuts down every socket to another
node: a request in flight there fails (sent again on the new master only if it is
idempotent), and an idle connection is then seen closed by the pool and replaced.  A
``READONLY`` refusal is handled as on trio: the node is forgotten and the command, which
did not run, is sent again within ``timeout``.
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from resp import NEED_DATA, encode_command

from .._errors import ConnectionError, KvsError, TimeoutError
from .._url import Config
from ..redis.blocking import RedisBackend, _answers_ping
from ..redis.handshake import nothing_more
from ..sync.transport import BlockingConnection, Pool
from .discovery import (
    MASTER_CHANNEL,
    REPLICA_RETRY,
    Address,
    NoReplica,
    Patience,
    Sentinels,
    UnknownService,
    ask_in_order,
    data_config,
    demoted,
    is_read,
    known_replicas,
    master_address,
    pick_replica,
    pipeline_refused,
    refused,
    role_of,
    sentinel_config,
    switched_to,
    transaction_refused,
)

__all__ = ["SentinelBackend"]

_PING = encode_command("PING")
_ROLE = encode_command("ROLE")
_WATCH_RETRY = 1.0


class SentinelBackend(RedisBackend):
    """The master (and, for reads, a replica) of a service found through its Sentinels."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._service = config.name
        self._sentinels = Sentinels(config.servers)
        self._master: Address | None = None
        self._conns: weakref.WeakKeyDictionary[BlockingConnection, Address] = \
            weakref.WeakKeyDictionary()
        self._conns_lock = threading.Lock()
        self._replicas: Pool | None = None
        self._prefer_replica = config.read_from == "prefer_replica"
        self._replicas_down_until = -math.inf
        if config.read_from != "primary":
            self._replicas = Pool(self._open_replica, retries=config.retries,
                                  name=f"{config.display} (replica)", health_check=_answers_ping,
                                  health_check_interval=config.health_check_interval)
        self._watcher: threading.Thread | None = None
        self._watch_conn: BlockingConnection | None = None
        self._stopping = threading.Event()
        self._asking = threading.Lock()  # one thread asks the Sentinels after a refusal
        self.switches = 0

    @property
    def master(self) -> Address | None:
        """The master's address as last found (None while it is being looked for)."""
        return self._master

    def open(self) -> None:
        super().open()
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, daemon=True,
                                             name=f"kvs sentinel watch {self.name}")
            self._watcher.start()

    def close(self) -> None:
        self._stopping.set()
        conn = self._watch_conn
        if conn is not None:
            _shut(conn)
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=5.0)
        if self._replicas is not None:
            self._replicas.close()
        super().close()

    # -- commands --------------------------------------------------------------------------

    def execute(self, argv: tuple[bytes, ...], *, idempotent: bool) -> Any:
        if (self._replicas is not None and is_read(argv)
                and time.monotonic() >= self._replicas_down_until):
            try:
                return self._replicas.run(encode_command(*argv), 1, idempotent=idempotent,
                                          sentinel=NEED_DATA)[0]
            except ConnectionError as exc:
                if not self._prefer_replica or exc.sent:
                    raise
                # No replica now: reads go to the master for a while, then try again.
                self._replicas_down_until = time.monotonic() + REPLICA_RETRY
        send = super().execute
        before = self._master
        reply = send(argv, idempotent=idempotent)
        if refused(reply):
            reply = self._while_refused(
                before, [reply], lambda: [send(argv, idempotent=idempotent)],
                lambda replies: refused(replies[0]))[0]
        return reply

    def execute_many(self, argvs: Sequence[tuple[bytes, ...]], *,
                     idempotent: bool) -> list[Any]:
        send = super().execute_many
        before = self._master
        replies = send(argvs, idempotent=idempotent)
        if pipeline_refused(argvs, replies):
            replies = self._while_refused(
                before, replies, lambda: send(argvs, idempotent=idempotent),
                lambda replies: pipeline_refused(argvs, replies))
        return replies

    def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        send = super().transaction
        before = self._master
        replies = send(argvs)
        if transaction_refused(replies):
            replies = self._while_refused(before, replies, lambda: send(argvs),
                                          transaction_refused)
        return replies

    def _while_refused(self, node: Address | None, replies: list[Any],
                       again: Callable[[], list[Any]],
                       still: Callable[[list[Any]], bool]) -> list[Any]:
        """Refused by what is a replica now (or by a master cut off from its replicas): send
        again to the master the Sentinels name, for as long as ``timeout`` allows; the last
        replies (see the trio driver)."""
        patience = Patience(self._config.timeout, time.monotonic())
        while still(replies):
            delay = patience.next_pause(time.monotonic())
            if delay is None:
                break
            self._recheck(node, demoted(replies))
            time.sleep(delay)
            node = self._master
            replies = again()
        return replies

    # -- following the master --------------------------------------------------------------

    def _recheck(self, node: Address | None, is_replica: bool) -> None:
        """`node` refused a write: forget it if it is a replica now, else ask the Sentinels
        where the master is (and move there if it moved)."""
        if is_replica:
            self._demoted(node)
            return
        if not self._asking.acquire(blocking=False):  # another thread asks: wait for it
            with self._asking:
                return
        try:
            with contextlib.suppress(KvsError):  # no Sentinel answers: try again later
                self._switch(self._ask_sentinels(
                    ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self._service), master_address))
        finally:
            self._asking.release()

    def _demoted(self, node: Address | None) -> None:
        if node is None:
            return
        if self._master == node:
            self._master = None
        self._shut_where(lambda address: address == node)

    def _switch(self, address: Address) -> None:
        if self._master == address:
            return
        self._master = address
        self.switches += 1
        self._shut_where(lambda other: other != address)

    def _shut_where(self, which: Callable[[Address], bool]) -> None:
        """Shut down the master connections to the nodes `which` names: in-flight requests
        fail, idle connections are seen closed by the pool."""
        with self._conns_lock:
            doomed = [conn for conn, address in self._conns.items() if which(address)]
        for conn in doomed:
            _shut(conn)

    # -- connections -----------------------------------------------------------------------

    def _open(self, config: Config | None = None) -> BlockingConnection:
        if config is not None:
            return super()._open(config)
        conn, address = self._open_node("master")
        with self._conns_lock:
            self._conns[conn] = address
        return conn

    def _open_replica(self) -> BlockingConnection:
        return self._open_node("slave")[0]

    def _open_node(self, role: str) -> tuple[BlockingConnection, Address]:
        """A connection whose ROLE is `role`, asking the Sentinels again while a failover is
        in progress, within ``connect_timeout``."""
        config = self._config
        limit = config.connect_timeout
        patience = Patience(limit, time.monotonic())
        while True:
            try:
                address = self._locate(role)
                conn = super()._open(data_config(config, address))
                try:
                    actual = role_of(conn.request(_ROLE, 1, NEED_DATA)[0])
                    nothing_more(conn.out_of_step, b"ROLE", conn.name)
                except BaseException:
                    conn.close()
                    raise
                if actual == role:
                    return conn, address
                conn.close()
                error: KvsError = ConnectionError(
                    f"{address[0]}:{address[1]} is a {actual}, not a {role} of "
                    f"{self._service!r} (a failover in progress?)")
            except UnknownService:
                raise
            except NoReplica as exc:
                raise ConnectionError(str(exc)) from None
            except (ConnectionError, TimeoutError) as exc:
                error = exc
            if role == "master":
                self._master = None
            elif self._prefer_replica:
                raise error  # no waiting for a replica: the master answers instead
            delay = patience.next_pause(time.monotonic())
            if delay is None:
                raise ConnectionError(f"no {role} of {self._service!r} reachable through "
                                      f"{self.name} within {limit}s: {error}") from error
            time.sleep(delay)

    def _locate(self, role: str) -> Address:
        if role == "master":
            master = self._master
            if master is None:
                master = self._master = self._ask_sentinels(
                    ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self._service), master_address)
            return master
        replicas = self._ask_sentinels(("SENTINEL", "REPLICAS", self._service),
                                       known_replicas)
        replica = pick_replica(replicas)
        if replica is None:
            raise NoReplica(f"the Sentinels know no healthy replica of {self._service!r}")
        return replica

    def _ask_sentinels(self, argv: tuple[str, ...], read: Callable[[Any], Any]) -> Any:
        steps = ask_in_order(self._sentinels, read, self._service, self.name)
        try:
            address = next(steps)
            while True:
                try:
                    outcome: object = self._ask(address, argv)
                except KvsError as exc:
                    outcome = exc
                address = steps.send(outcome)
        except StopIteration as done:
            return done.value

    def _ask(self, address: Address, argv: tuple[str, ...]) -> Any:
        conn = super()._open(sentinel_config(self._config, address))
        try:
            return conn.request(encode_command(*argv), 1, NEED_DATA)[0]
        finally:
            conn.close()

    # -- +switch-master --------------------------------------------------------------------

    def _watch(self) -> None:
        """The watcher thread: one Sentinel at a time; it must let nothing escape."""
        while not self._stopping.is_set():
            for address in self._sentinels.in_order():
                if self._stopping.is_set():
                    return
                with contextlib.suppress(Exception):  # any failure: the next Sentinel
                    self._listen(address)
            self._stopping.wait(_WATCH_RETRY)

    def _listen(self, address: Address) -> None:
        config = sentinel_config(self._config, address)
        conn = super()._open(config)
        self._watch_conn = conn
        try:
            if self._stopping.is_set():
                return
            # Only switches from here on (see the trio driver).
            conn.settimeout(self._config.health_check_interval or 30.0)
            conn.send(encode_command("SUBSCRIBE", MASTER_CHANNEL), NEED_DATA)
            pinged = False
            while not self._stopping.is_set():
                try:
                    message = conn.request(b"", 1, NEED_DATA)[0]
                except TimeoutError:
                    if pinged:
                        return  # no answer to the last PING: try another Sentinel
                    conn.send(_PING, NEED_DATA)
                    pinged = True
                    continue
                pinged = False
                moved = switched_to(message, self._service)
                if moved is not None:
                    self._switch(moved)
        finally:
            self._watch_conn = None
            conn.close()

def _shut(conn: BlockingConnection) -> None:
    with contextlib.suppress(OSError):
        conn.sock.shutdown(socket.SHUT_RDWR)
