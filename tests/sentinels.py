"""A real Sentinel set for the tests: a master, a replica and three Sentinels.

Every process is a ``redis-server`` on a free loopback port in a folder of its own (a
Sentinel is ``redis-server sentinel.conf --sentinel``; its configuration file is written
there first, and Sentinel rewrites it as it learns).  `SentinelSet.start` returns once every
Sentinel knows the replica and the two other Sentinels, so that a failover can be agreed at
once; `stop` ends them all.  Failover timings are short (down after 1 s).

    with SentinelSet() as cluster:
        url = cluster.url()                 # redis+sentinel://127.0.0.1:P1,...:P3/svc
        cluster.failover()                  # SENTINEL FAILOVER, then wait for the switch
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tests.servers import (
    LOOPBACK,
    RedisReplyError,
    RedisServer,
    ServerError,
    catch_up,
    hold_and_catch_up,
    info_section,
    stop_all,
)

SERVICE = "svc"


class SharedCertificates:
    """One CA and one server certificate (for ``127.0.0.1`` and ``localhost``) that every
    process of a TLS set serves, so that one ``ssl_ca_file`` verifies them all."""

    def __init__(self) -> None:
        import trustme

        self.dir = Path(tempfile.mkdtemp(prefix="kvs-sentinel-tls-"))
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_path = str(self.dir / "ca.pem")
        self.cert_path = str(self.dir / "server.pem")
        self.key_path = str(self.dir / "server.key")
        ca.cert_pem.write_to_path(self.ca_path)
        for n, pem in enumerate(cert.cert_chain_pems):
            pem.write_to_path(self.cert_path, append=n > 0)
        cert.private_key_pem.write_to_path(self.key_path)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class TLSRedisServer(RedisServer):
    """A TLS-only ``redis-server`` serving `SharedCertificates`, replicating over TLS."""

    def __init__(self, certificates: SharedCertificates, **options: Any) -> None:
        self._shared = certificates
        args = [*options.pop("args", ()), "--tls-replication", "yes"]
        super().__init__(tls=True, args=args, **options)

    def _make_certificates(self) -> None:
        shared = self._shared
        self.ca_path, self._cert_path, self._key_path = \
            shared.ca_path, shared.cert_path, shared.key_path


class SentinelServer(RedisServer):
    """``redis-server sentinel.conf --sentinel`` watching one master."""

    name = "sentinel"

    def __init__(self, master_port: int, *, down_after_ms: int = 1000,
                 failover_timeout_ms: int = 5000, service: str = SERVICE,
                 password: str | None = None,
                 certificates: SharedCertificates | None = None) -> None:
        self._shared = certificates
        super().__init__(password=password, tls=certificates is not None)
        self.master_port = master_port
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        self.service = service

    def _argv(self) -> list[str]:
        from tests.servers import _find_binary

        conf = self.dir / "sentinel.conf"
        tls = [] if self._shared is None else [
            "port 0", f"tls-port {self.port}", f"tls-cert-file {self._shared.cert_path}",
            f"tls-key-file {self._shared.key_path}", f"tls-ca-cert-file {self._shared.ca_path}",
            "tls-replication yes", "tls-auth-clients no"]
        conf.write_text("\n".join([
            *(tls or [f"port {self.port}"]),
            f"bind {self.host}",
            f"dir {self.dir}",
            "daemonize no",
            'logfile ""',
            f"sentinel monitor {self.service} {LOOPBACK} {self.master_port} 2",
            f"sentinel down-after-milliseconds {self.service} {self.down_after_ms}",
            f"sentinel failover-timeout {self.service} {self.failover_timeout_ms}",
            f"sentinel parallel-syncs {self.service} 1",
            *([f"requirepass {self.password}", f"sentinel sentinel-pass {self.password}"]
              if self.password is not None else []),
            "",
        ]))
        return [_find_binary("redis-server", "REDIS_SERVER"), str(conf), "--sentinel"]

    def _make_certificates(self) -> None:
        shared = self._shared
        assert shared is not None
        self.ca_path, self._cert_path, self._key_path = \
            shared.ca_path, shared.cert_path, shared.key_path


class SentinelSet:
    """A master, `replicas` replicas and `sentinels` Sentinels, started and stopped together."""

    def __init__(self, *, replicas: int = 1, sentinels: int = 3, down_after_ms: int = 1000,
                 password: str | None = None, sentinel_password: str | None = None,
                 tls: bool = False) -> None:
        self._sentinel_password = sentinel_password
        self.certificates = SharedCertificates() if tls else None
        self._replica_count = replicas
        self._sentinel_count = sentinels
        self._down_after_ms = down_after_ms
        self._password = password
        self.master: RedisServer | None = None
        self.replicas: list[RedisServer] = []
        self.sentinels: list[SentinelServer] = []

    @property
    def nodes(self) -> list[RedisServer]:
        return [node for node in [self.master, *self.replicas] if node is not None]

    def start(self) -> Self:
        try:
            auth = ["--repl-diskless-sync-delay", "0"]  # a replica syncs at once, not in 5 s
            if self._password is not None:
                auth += ["--masterauth", self._password]
            # The master refuses writes once no replica is connected (NOREPLICAS): from the
            # moment its replica is promoted, rather than losing them in the split brain
            # until Sentinel turns it into a replica (the setting Sentinel's docs advise).
            guard = ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"]
            self.master = self._node(args=[*auth, *(guard if self._replica_count else [])])
            for _ in range(self._replica_count):
                args = ["--replicaof", LOOPBACK, str(self.master.port), *auth]
                self.replicas.append(self._node(args=args))
            self._wait(self._replicas_synced, "the replicas to sync")
            catch_up(self.master, self.replicas)
            for _ in range(self._sentinel_count):
                sentinel = SentinelServer(self.master.port, down_after_ms=self._down_after_ms,
                                          password=self._sentinel_password,
                                          certificates=self.certificates)
                self.sentinels.append(sentinel.start())
                if self._password is not None:
                    sentinel.command("SENTINEL", "SET", SERVICE, "auth-pass", self._password)
            self._wait(self._sentinels_ready, "the Sentinels to know each other")
        except BaseException:
            self.stop()
            raise
        return self

    def _node(self, args: list[str]) -> RedisServer:
        if self.certificates is None:
            return RedisServer(password=self._password, args=args).start()
        return TLSRedisServer(self.certificates, password=self._password, args=args).start()

    def stop(self) -> None:
        stop_all([*self.sentinels, *self.nodes])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
        for server in [*self.sentinels, *self.nodes]:
            server.close()
        if self.certificates is not None:
            self.certificates.close()

    # -- addresses --------------------------------------------------------------------------

    def url(self, *, query: str = "", sentinels: list[SentinelServer] | None = None,
            service: str = SERVICE, db: int | None = None) -> str:
        hosts = ",".join(s.address for s in (sentinels or self.sentinels))
        auth = f":{self._password}@" if self._password is not None else ""
        path = f"/{service}" + (f"/{db}" if db is not None else "")
        scheme = "redis+sentinel"
        if self.certificates is not None:
            scheme = "rediss+sentinel"
            query = "&".join(filter(None, [f"ssl_ca_file={self.certificates.ca_path}", query]))
        return f"{scheme}://{auth}{hosts}{path}{'?' + query if query else ''}"

    def master_port(self) -> int:
        """The master's port as the first running Sentinel reports it."""
        for sentinel in self.sentinels:
            if sentinel.running:
                reply = sentinel.command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
                return int(reply[1])
        raise ServerError("no Sentinel runs")

    def node(self, port: int) -> RedisServer:
        for node in self.nodes:
            if node.port == port:
                return node
        raise ServerError(f"no node on port {port}")

    # -- failovers --------------------------------------------------------------------------

    def failover(self, timeout: float = 30.0, *, pause_writes: bool = True) -> int:
        """``SENTINEL FAILOVER`` and wait until every running Sentinel reports a new master
        that answers as one; return its port.

        With `pause_writes` the old master holds writes (``CLIENT PAUSE WRITE``) from just
        before until the switch is done: replication being asynchronous, a write the old
        master acknowledges at the instant its replica is promoted is otherwise lost by the
        servers (the graceful way to fail over; the held writes then meet an old master
        with no replica, and are refused with NOREPLICAS).
        """
        old = self.master_port()
        if pause_writes:
            self.node(old).command("CLIENT", "PAUSE", 10000, "WRITE")
            catch_up(self.node(old), self.replicas)
        try:
            return self._failover(old, timeout)
        finally:
            if pause_writes:
                self.node(old).command("CLIENT", "UNPAUSE")

    def _failover(self, old: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sentinels[0].command("SENTINEL", "FAILOVER", SERVICE)
                break
            except RedisReplyError as exc:  # e.g. NOGOODSLAVE while the replica syncs
                if time.monotonic() > deadline:
                    raise ServerError(f"SENTINEL FAILOVER refused: {exc}") from exc
                time.sleep(0.2)
        return self.wait_for_new_master(old, timeout)

    def kill_master(self, timeout: float = 30.0) -> int:
        """Kill the master's process (as a crash would) and wait for the Sentinels to promote
        the replica; return the new master's port."""
        old = self.master_port()
        hold_and_catch_up(self.node(old), self.replicas)
        self.node(old).kill()
        return self.wait_for_new_master(old, timeout)

    def wait_for_new_master(self, old: int, timeout: float = 30.0) -> int:
        found: list[int] = []

        def switched() -> bool:
            ports = {self._reported(s) for s in self.sentinels if s.running}
            if len(ports) != 1 or old in ports:
                return False
            port = ports.pop()
            role = self.node(port).command("ROLE")
            if role[0] != b"master":
                return False
            found.append(port)
            return True

        self._wait(switched, "a new master", timeout)
        return found[-1]

    def _reported(self, sentinel: SentinelServer) -> int:
        reply = sentinel.command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
        return int(reply[1])

    # -- readiness --------------------------------------------------------------------------

    def _replicas_synced(self) -> bool:
        return all(info_section(r, "replication").get("master_link_status") == "up"
                   for r in self.replicas)

    def _sentinels_ready(self) -> bool:
        for sentinel in self.sentinels:
            master = _pairs(sentinel.command("SENTINEL", "MASTER", SERVICE))
            if int(master.get("num-other-sentinels", 0)) != len(self.sentinels) - 1:
                return False
            if int(master.get("num-slaves", 0)) != len(self.replicas):
                return False
        return True

    def _wait(self, ready: Any, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if ready():
                    return
            except (OSError, RedisReplyError):
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"timed out waiting for {what}")
            time.sleep(0.05)


def _pairs(reply: list[Any]) -> dict[str, str]:
    return {reply[i].decode(): reply[i + 1].decode() for i in range(0, len(reply) - 1, 2)}


def swap_roles(cluster: SentinelSet) -> int:
    """Make the replica the master and the master its replica, behind the Sentinels' backs
    (no failover, no client killed: connections to the old master stay open and meet
    READONLY), then point the Sentinels at the new master; return its port.

    Until the Sentinels are told, discovery names a node whose ROLE says ``slave``.
    """
    old = cluster.master_port()
    master = cluster.node(old)
    replica = next(node for node in [*cluster.replicas, master] if node.port != old)
    master.command("CLIENT", "PAUSE", 10000, "WRITE")  # the replica catches up: nothing lost
    try:
        catch_up(master, [replica])
        replica.command("REPLICAOF", "NO", "ONE")
        master.command("REPLICAOF", LOOPBACK, replica.port)
    finally:
        master.command("CLIENT", "UNPAUSE")
    time.sleep(0.3)
    for sentinel in cluster.sentinels:
        sentinel.command("SENTINEL", "REMOVE", SERVICE)
        sentinel.command("SENTINEL", "MONITOR", SERVICE, LOOPBACK, replica.port, 2)
        sentinel.command("SENTINEL", "SET", SERVICE, "down-after-milliseconds", 1000)
    return replica.port
