"""Real ``redis-server`` and ``memcached`` processes for the integration tests.

Each server runs on a free loopback port in a temporary folder of its own. ``start()``
returns only once the server answers on its socket (polled against a deadline); a server
that exits or never answers raises :class:`ServerError` with the tail of its log. ``stop()``
terminates the process, kills it when it lingers, and waits for it, so no process or file
handle outlives the test that used it. The servers write their output to a log file in
their folder rather than to a pipe, so nothing has to be drained while they run.

Everything here is synchronous and usable from plain tests, from trio tests and from
fixtures::

    with RedisServer(password="s3cret") as server:
        assert server.command("AUTH", "s3cret") == "OK"

The binaries are looked up on ``PATH``; the environment variables ``REDIS_SERVER`` and
``MEMCACHED`` override them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
_PROBE_TIMEOUT = 0.5
_BIND_ATTEMPTS = 5
_LOG_TAIL = 3000


class ServerError(RuntimeError):
    """A test server could not be started, or did not answer as expected."""


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on ``host`` that nothing listens on right now.

    The port is found by binding port 0 and closing the socket again, so another process
    may still take it before the server binds it; the servers below retry with a new port
    when that happens.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _find_binary(name: str, env_var: str) -> str:
    path = os.environ.get(env_var) or shutil.which(name)
    if not path:
        raise ServerError(
            f"{name} not found on PATH (set ${env_var}, or run scripts/test to install it)"
        )
    return path


class _ServerProcess:
    """The life cycle shared by both servers: a process, a folder, a log, a readiness probe."""

    name = "server"

    def __init__(self, *, port: int | None, directory: str | os.PathLike[str] | None) -> None:
        self.host = LOOPBACK
        self._fixed_port = port is not None
        self.port = port if port is not None else 0
        self._own_dir = directory is None
        self.dir = (
            Path(tempfile.mkdtemp(prefix=f"kvs-{self.name}-"))
            if directory is None
            else Path(directory)
        )
        self.log_path = self.dir / f"{self.name}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._last_status: int | None = None

    # -- what subclasses provide ------------------------------------------------------

    def _argv(self) -> list[str]:
        raise NotImplementedError

    def _probe(self) -> None:
        """Raise OSError (or ServerError) unless the server answers right now."""
        raise NotImplementedError

    # -- life cycle ---------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The process id while the server runs, else ``None``."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        """Start the server and wait until it answers; return ``self``.

        Raises:
            ServerError: the binary is missing, the server exited, or it did not answer
                within ``START_TIMEOUT`` seconds. The message holds the end of its log.
        """
        if self.running:
            raise ServerError(f"{self.name} is already running on port {self.port}")
        attempts = 1 if self._fixed_port else _BIND_ATTEMPTS
        for attempt in range(attempts):
            if not self._fixed_port:
                self.port = free_port(self.host)
            try:
                self._spawn_and_wait()
                return self
            except _PortInUse:
                if attempt == attempts - 1:
                    raise _PortInUse(
                        f"{self.name} could not bind port {self.port}:\n{self.log_tail()}"
                    ) from None
        raise AssertionError("unreachable")

    def _spawn_and_wait(self) -> None:
        argv = self._argv()
        with self.log_path.open("ab") as log:
            log.write(f"--- starting: {' '.join(argv)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
            )
        deadline = time.monotonic() + START_TIMEOUT
        last_error: BaseException | None = None
        while True:
            if self._proc.poll() is not None:
                self._reap()
                tail = self.log_tail()
                if "in use" in tail.rsplit("--- starting", 1)[-1]:
                    raise _PortInUse
                raise ServerError(
                    f"{self.name} exited with status {self._last_status} before answering:\n{tail}"
                )
            try:
                self._probe()
                return
            except (OSError, ServerError) as exc:
                last_error = exc
            if time.monotonic() > deadline:
                self._terminate()
                raise ServerError(
                    f"{self.name} did not answer on port {self.port} within "
                    f"{START_TIMEOUT}s (last error: {last_error!r}):\n{self.log_tail()}"
                )
            time.sleep(0.02)

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after ``STOP_TIMEOUT``) and wait for it.

        Stopping a server that is not running does nothing.
        """
        self._terminate()

    def kill(self) -> None:
        """Kill the server at once with SIGKILL, as a crash would, and wait for it."""
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
        self._reap()

    def restart(self) -> Self:
        """Stop the server (if it runs) and start it again on the same port and folder."""
        self.stop()
        was_fixed = self._fixed_port
        self._fixed_port = True
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                try:
                    return self.start()
                except _PortInUse:  # the old listening socket may linger for a moment
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            self._fixed_port = was_fixed

    def close(self) -> None:
        """Stop the server and remove its folder (when this object created it)."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _terminate(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._reap()

    def _reap(self) -> None:
        assert self._proc is not None
        self._last_status = self._proc.wait()
        self._proc = None

    def log_tail(self, limit: int = _LOG_TAIL) -> str:
        """The last ``limit`` characters of the server's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return text[-limit:]

    def __enter__(self) -> Self:
        if not self.running:
            try:
                self.start()
            except BaseException:
                self.close()
                raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.host}:{self.port} {state}>"


class _PortInUse(ServerError):
    pass


# -- a minimal blocking RESP2 client, enough for probes and set-up commands ---------------


def _encode(args: Sequence[str | bytes | int]) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class RedisReplyError(ServerError):
    """An error reply (``-ERR ...``) read by :meth:`RedisServer.command`."""


def _read_reply(reader: Any) -> Any:
    line = reader.readline()
    if not line.endswith(b"\r\n"):
        raise ServerError(f"connection closed mid-reply: {line!r}")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        return RedisReplyError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = reader.read(size + 2)
        return data[:-2]
    if kind == b"*":
        count = int(rest)
        if count < 0:
            return None
        return [_read_reply(reader) for _ in range(count)]
    raise ServerError(f"unexpected reply line {line!r}")


class RedisServer(_ServerProcess):
    """A ``redis-server`` on a free loopback port, in a temporary folder.

    Args:
        password: ``requirepass`` for the default user.
        acl_users: extra users, name -> password, each granted every command, key and
            channel (``on >password ~* &* +@all``).
        tls: serve TLS only (``--port 0 --tls-port PORT``) with a server certificate for
            ``127.0.0.1`` and ``localhost`` issued by a fresh ``trustme`` CA, whose PEM
            file is :attr:`ca_path`. Clients are not asked for certificates.
        unixsocket: also listen on a unix socket, :attr:`unix_path`.
        args: extra command-line configuration, e.g. ``("--maxmemory", "10mb")``; each
            word is its own element (``("--user", "bob", "on", ">pw", "~bob:*", "+get")``).
        port: a fixed port instead of a free one.
        directory: the working folder (default: a new temporary folder, removed by
            :meth:`close`).

    Attributes:
        host, port: where it listens (TLS or not).
        url: the URL to reach it: ``redis://127.0.0.1:PORT``, or :attr:`tls_url` for a
            TLS server. It carries no credentials; see :meth:`make_url`.
        tls_url: ``rediss://localhost:PORT`` (the certificate names ``localhost`` and
            ``127.0.0.1``).
        unix_path: the socket path, or ``None``.
        ca_path: the CA certificate (PEM) that verifies the server, or ``None``.

    Example::

        with RedisServer(unixsocket=True) as server:
            assert server.command("PING") == "PONG"
            print(server.url, server.unix_path)
    """

    name = "redis"

    def __init__(
        self,
        *,
        password: str | None = None,
        acl_users: Mapping[str, str] | None = None,
        tls: bool = False,
        unixsocket: bool = False,
        args: Sequence[str] = (),
        port: int | None = None,
        directory: str | os.PathLike[str] | None = None,
    ) -> None:
        users = dict(acl_users or {})
        for user in users:
            if not user or any(ch.isspace() for ch in user):
                raise ValueError(f"invalid ACL user name: {user!r}")
        super().__init__(port=port, directory=directory)
        self.password = password
        self.acl_users = users
        self.tls = tls
        self.extra_args = tuple(args)
        self.unix_path: str | None = str(self.dir / "redis.sock") if unixsocket else None
        self.ca_path: str | None = None
        self._cert_path: str | None = None
        self._key_path: str | None = None
        if tls:
            try:
                self._make_certificates()
            except BaseException:
                self.close()
                raise

    def _make_certificates(self) -> None:
        try:
            import trustme
        except ImportError as exc:  # pragma: no cover - trustme is a test dependency
            raise ServerError("a TLS test server needs the trustme package") from exc
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca_file = self.dir / "ca.pem"
        cert_file = self.dir / "server.pem"
        key_file = self.dir / "server.key"
        ca.cert_pem.write_to_path(str(ca_file))
        cert.cert_chain_pems[0].write_to_path(str(cert_file))
        for pem in cert.cert_chain_pems[1:]:
            pem.write_to_path(str(cert_file), append=True)
        cert.private_key_pem.write_to_path(str(key_file))
        self.ca_path, self._cert_path, self._key_path = str(ca_file), str(cert_file), str(key_file)

    # -- addresses ----------------------------------------------------------------------

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return self.tls_url if self.tls else f"redis://{self.host}:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"rediss://localhost:{self.port}"

    @property
    def unix_url(self) -> str:
        """``unix:///path/redis.sock`` (requires ``unixsocket=True``)."""
        if self.unix_path is None:
            raise ServerError("this server has no unix socket (pass unixsocket=True)")
        return f"unix://{self.unix_path}"

    def make_url(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        db: int | None = None,
    ) -> str:
        """The server's :attr:`url` with credentials and a database number.

        Example::

            server.make_url(username="alice", password="pw", db=2)
            # 'redis://alice:pw@127.0.0.1:PORT/2'
        """
        scheme, rest = self.url.split("://", 1)
        auth = ""
        if username is not None or password is not None:
            auth = f"{username or ''}:{password or ''}@"
        path = f"/{db}" if db is not None else ""
        return f"{scheme}://{auth}{rest}{path}"

    def ssl_context(self) -> ssl.SSLContext:
        """A client SSL context that trusts this server's CA (TLS servers only)."""
        if self.ca_path is None:
            raise ServerError("this server does not use TLS (pass tls=True)")
        return ssl.create_default_context(cafile=self.ca_path)

    # -- process ------------------------------------------------------------------------

    def _argv(self) -> list[str]:
        argv = [
            _find_binary("redis-server", "REDIS_SERVER"),
            "--bind", self.host,
            "--dir", str(self.dir),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", "",
            "--databases", "16",
        ]  # fmt: skip
        if self.tls:
            assert self._cert_path and self._key_path and self.ca_path
            argv += [
                "--port", "0",
                "--tls-port", str(self.port),
                "--tls-cert-file", self._cert_path,
                "--tls-key-file", self._key_path,
                "--tls-ca-cert-file", self.ca_path,
                "--tls-auth-clients", "no",
            ]  # fmt: skip
        else:
            argv += ["--port", str(self.port)]
        if self.unix_path is not None:
            argv += ["--unixsocket", self.unix_path, "--unixsocketperm", "700"]
        if self.password is not None:
            argv += ["--requirepass", self.password]
        for user, password in self.acl_users.items():
            argv += ["--user", user, "on", f">{password}", "~*", "&*", "+@all"]
        argv += self.extra_args
        return argv

    def _probe(self) -> None:
        # Any reply to PING (PONG, or NOAUTH when a password is set) means it serves.
        with self._connect(timeout=_PROBE_TIMEOUT) as sock:
            sock.sendall(_encode(["PING"]))
            with sock.makefile("rb") as reader:
                _read_reply(reader)

    def _connect(self, *, timeout: float, unix: bool = False) -> socket.socket:
        if unix:
            if self.unix_path is None:
                raise ServerError("this server has no unix socket (pass unixsocket=True)")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(self.unix_path)
            except BaseException:
                sock.close()
                raise
            return sock
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        if not self.tls:
            return sock
        try:
            return self.ssl_context().wrap_socket(sock, server_hostname="localhost")
        except BaseException:
            sock.close()
            raise

    def command(self, *args: str | bytes | int, unix: bool = False, timeout: float = 5.0) -> Any:
        """Run one command on a fresh connection (authenticated when a password is set).

        Replies are decoded as RESP2: simple strings as ``str``, bulk strings as
        ``bytes``, integers as ``int``, arrays as ``list``, nulls as ``None``.

        Raises:
            RedisReplyError: the server answered with an error.
            OSError: the server cannot be reached.

        Example::

            server.command("SET", "k", "v")      # 'OK'
            server.command("GET", "k")           # b'v'
        """
        return self.commands(list(args), unix=unix, timeout=timeout)[0]

    def commands(
        self, *commands: Sequence[str | bytes | int], unix: bool = False, timeout: float = 5.0
    ) -> list[Any]:
        """Run several commands, in order, on one fresh connection; return their replies.

        Raises:
            RedisReplyError: the first error reply.
            OSError: the server cannot be reached.
        """
        replies = []
        with self._connect(timeout=timeout, unix=unix) as sock, sock.makefile("rb") as reader:
            todo = list(commands)
            if self.password is not None:
                todo.insert(0, ["AUTH", self.password])
            sock.sendall(b"".join(_encode(cmd) for cmd in todo))
            for _ in todo:
                reply = _read_reply(reader)
                if isinstance(reply, RedisReplyError):
                    raise reply
                replies.append(reply)
        return replies[1:] if self.password is not None else replies

    def flushall(self) -> None:
        """Delete every key in every database."""
        self.command("FLUSHALL")

    def client_list(self) -> list[dict[str, str]]:
        """CLIENT LIST as one ``{field: value}`` dict per connection, the asking one excluded."""
        my_id, text = self.commands(["CLIENT", "ID"], ["CLIENT", "LIST"])
        clients = []
        for line in text.decode().splitlines():
            fields = dict(item.split("=", 1) for item in line.split(" ") if "=" in item)
            if fields and fields.get("id") != str(my_id):
                clients.append(fields)
        return clients

    def client_count(self) -> int:
        """The number of clients connected now, not counting the connection that asks."""
        return len(self.client_list())


class MemcachedServer(_ServerProcess):
    """A ``memcached`` on a free loopback port (TCP only, ``-U 0``).

    Args:
        port: a fixed port instead of a free one.
        memory_mb: the cache size (``-m``).
        args: extra command-line options.

    Attributes:
        host, port, address (``host:port``), url (``memcached://host:port``).

    Example::

        with MemcachedServer() as server:
            assert server.command("version").startswith("VERSION")
    """

    name = "memcached"

    def __init__(
        self,
        *,
        port: int | None = None,
        memory_mb: int = 64,
        args: Sequence[str] = (),
        directory: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(port=port, directory=directory)
        self.memory_mb = memory_mb
        self.extra_args = tuple(args)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"memcached://{self.address}"

    def stop(self) -> None:
        """Stop the server (with SIGKILL, as :meth:`kill`).

        memcached keeps nothing on disk, so a graceful exit saves nothing, and on SIGTERM
        it takes about a second to exit, which would add up over a test run.
        """
        self.kill()

    def _argv(self) -> list[str]:
        argv = [
            _find_binary("memcached", "MEMCACHED"),
            "-l", self.host,
            "-p", str(self.port),
            "-U", "0",
            "-m", str(self.memory_mb),
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            argv += ["-u", "root"]  # memcached refuses to run as root without it
        argv += self.extra_args
        return argv

    def _probe(self) -> None:
        reply = self.command("version", timeout=_PROBE_TIMEOUT)
        if not reply.startswith("VERSION"):
            raise ServerError(f"unexpected answer to version: {reply!r}")

    def command(self, line: str, *, timeout: float = 5.0) -> str:
        """Send one text-protocol line and return the first line of the answer (no CRLF).

        Example::

            server.command("flush_all")          # 'OK'
        """
        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            sock.sendall(line.encode() + b"\r\n")
            with sock.makefile("rb") as reader:
                answer: bytes = reader.readline()
        if not answer.endswith(b"\r\n"):
            raise ServerError(f"memcached closed the connection: {answer!r}")
        return answer[:-2].decode()

    def flush_all(self) -> None:
        """Invalidate every item."""
        reply = self.command("flush_all")
        if reply != "OK":
            raise ServerError(f"flush_all answered {reply!r}")


def stop_all(servers: Sequence[_ServerProcess]) -> None:
    """Close every server, even when closing one of them fails."""
    errors: list[Exception] = []
    for server in servers:
        try:
            server.close()
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise ExceptionGroup("stopping test servers failed", errors)


__all__ = [
    "LOOPBACK",
    "MemcachedServer",
    "RedisReplyError",
    "RedisServer",
    "ServerError",
    "catch_up",
    "free_port",
    "hold_and_catch_up",
    "info_section",
    "stop_all",
]


def info_section(server: RedisServer, section: str) -> dict[str, str]:
    text = server.command("INFO", section).decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def catch_up(master: RedisServer, replicas: list[RedisServer], timeout: float = 10.0) -> None:
    """Wait until every replica is online and has processed the master's stream up to the
    master's offset now (a replica is not streamed to until it acknowledged its first sync)."""
    deadline = time.monotonic() + timeout
    target: int | None = None
    while True:
        info = info_section(master, "replication")
        online = sum("state=online" in v for k, v in info.items() if k.startswith("slave"))
        if online == len(replicas):
            if target is None:
                target = int(info["master_repl_offset"])
            offsets = [int(info_section(r, "replication").get("slave_repl_offset", -1))
                       for r in replicas]
            if all(offset >= target for offset in offsets):
                return
        if time.monotonic() > deadline:
            raise ServerError(f"the replicas did not catch up with {master.address}")
        time.sleep(0.02)


def hold_and_catch_up(master: RedisServer, replicas: list[RedisServer]) -> None:
    """Before killing a master as a crash would: hold its writes (``CLIENT PAUSE WRITE``) and
    wait until its replicas have every write it acknowledged.

    Replication is asynchronous: a master killed at once loses the writes it acknowledged but
    had not streamed yet.  That loss is the servers', and it would hide what the failover
    tests check, that the client runs no write twice and loses none it reported done.  The
    held writes meet the kill: their connections break and the client reports them as
    possibly run.
    """
    master.command("CLIENT", "PAUSE", 30000, "WRITE")
    catch_up(master, replicas)
