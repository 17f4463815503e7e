"""Fixtures that run real servers (see ``tests/servers.py``) and the fault proxy.

- ``redis_server`` (session): one plain ``redis-server``, shared by every test.
- ``redis_url``: that server's URL, after FLUSHALL.
- ``redis_server_factory``: ``make(**options) -> RedisServer``, a started server with the
  options of :class:`tests.servers.RedisServer`, stopped when the test ends.
- ``memcached_servers`` (session): three ``memcached`` instances.
- ``memcached_url`` / ``memcached_single_url``: a URL over all three / over the first one,
  after ``flush_all``.
- ``memcached_factory``: ``make(**options) -> MemcachedServer``, stopped when the test ends.
- ``redis_proxy`` (trio tests): a :class:`tests.faultproxy.FaultProxy` in front of the
  flushed ``redis_server``.

Nothing here imports ``kvs``.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from tests.clusters import RedisCluster
from tests.faultproxy import FaultProxy
from tests.servers import MemcachedServer, RedisServer, stop_all


def pytest_configure(config: pytest.Config) -> None:
    # Some tests interrupt the `kvs` processes they start (SIGINT, or Ctrl-C on a terminal)
    # and expect them to stop as they would at a terminal.  A run started with SIGINT
    # ignored (a background job of a non-interactive shell) passes that on to every child,
    # and Python then installs no KeyboardInterrupt handler; a handled SIGINT here is reset
    # to the default in each child that is started.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    if not redis_server.running:  # a test stopped the shared server: bring it back
        redis_server.restart()
    redis_server.flushall()
    return redis_server.url


@pytest.fixture
def redis_server_factory() -> Iterator[Callable[..., RedisServer]]:
    servers: list[RedisServer] = []

    def make(**options: Any) -> RedisServer:
        server = RedisServer(**options)
        servers.append(server)
        return server.start()

    yield make
    stop_all(servers)


@pytest.fixture(scope="session")
def memcached_servers() -> Iterator[list[MemcachedServer]]:
    servers: list[MemcachedServer] = []
    try:
        for _ in range(3):
            server = MemcachedServer()
            servers.append(server)
            server.start()
        yield servers
    finally:
        stop_all(servers)


def _flushed(servers: list[MemcachedServer]) -> list[MemcachedServer]:
    for server in servers:
        if not server.running:
            server.restart()
        server.flush_all()
    return servers


@pytest.fixture
def memcached_url(memcached_servers: list[MemcachedServer]) -> str:
    servers = _flushed(memcached_servers)
    return "memcached://" + ",".join(server.address for server in servers)


@pytest.fixture
def memcached_single_url(memcached_servers: list[MemcachedServer]) -> str:
    return _flushed(memcached_servers[:1])[0].url


@pytest.fixture
def memcached_factory() -> Iterator[Callable[..., MemcachedServer]]:
    servers: list[MemcachedServer] = []

    def make(**options: Any) -> MemcachedServer:
        server = MemcachedServer(**options)
        servers.append(server)
        return server.start()

    yield make
    stop_all(servers)


@pytest.fixture
async def redis_proxy(redis_server: RedisServer, redis_url: str) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(redis_server.host, redis_server.port) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def redis_cluster() -> Iterator[RedisCluster]:
    """A real cluster of three primaries and three replicas (``tests/clusters.py``),
    shared by the tests of one module."""
    with RedisCluster() as cluster:
        yield cluster


@pytest.fixture
def cluster_url(redis_cluster: RedisCluster) -> str:
    """The cluster's URL, after FLUSHALL on every primary."""
    redis_cluster.flushall()
    return redis_cluster.url
