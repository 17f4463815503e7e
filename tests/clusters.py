"""A real Redis Cluster for the integration tests: six ``redis-server --cluster-enabled yes``
processes on free loopback ports, each in a folder of its own, joined by ``redis-cli
--cluster create ... --cluster-replicas 1`` into three primaries with a replica each.

``start()`` returns once every node reports ``cluster_state:ok`` and all of them agree on
the owner of every slot; ``close()`` stops every process and removes the folders::

    with RedisCluster() as cluster:
        print(cluster.url)                  # redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...
        cluster.node_for_key("a").command("GET", "a")

Nothing here imports ``kvs``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from types import TracebackType
from typing import Any, Self

from tests.servers import RedisReplyError, RedisServer, ServerError, free_port, stop_all

__all__ = ["RedisCluster"]

CLUSTER_TIMEOUT = 30.0


class RedisCluster:
    """Three primaries and three replicas (see the module comment).

    Args:
        node_timeout: ``cluster-node-timeout`` in milliseconds (how soon a dead primary is
            replaced by its replica).
    """

    def __init__(self, *, node_timeout: int = 1000) -> None:
        self.node_timeout = node_timeout
        self.nodes: list[RedisServer] = []

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(node.address for node in self.nodes[:3])

    def start(self) -> Self:
        try:
            for _ in range(6):
                node = RedisServer(args=(
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", str(self.node_timeout),
                    # The bus port is the port + 10000 by default: too high for some ports.
                    "--cluster-port", str(free_port()),
                ))
                self.nodes.append(node)
                node.start()
            cli = shutil.which("redis-cli")
            if cli is None:
                raise ServerError("redis-cli not found on PATH")
            subprocess.run(
                [cli, "--cluster", "create", *[node.address for node in self.nodes],
                 "--cluster-replicas", "1", "--cluster-yes"],
                check=True, capture_output=True, timeout=CLUSTER_TIMEOUT)
            self.wait_ok()
        except BaseException:
            self.close()
            raise
        return self

    def running(self) -> list[RedisServer]:
        return [node for node in self.nodes if node.running]

    def wait_ok(self, timeout: float = CLUSTER_TIMEOUT) -> None:
        """Wait until every running node says ``cluster_state:ok``, they agree on the
        owner of every slot, and each primary that owns slots has its replicas known."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                states = [node.command("CLUSTER", "INFO").decode() for node in self.running()]
                maps = [_slot_owners(node.command("CLUSTER", "SLOTS"))
                        for node in self.running()]
            except (OSError, RedisReplyError) as exc:
                last = exc
                time.sleep(0.05)
                continue
            ok = all("cluster_state:ok" in state for state in states)
            if ok and all(m == maps[0] for m in maps) and len(maps[0]) == 3:
                return
            last = states
            time.sleep(0.05)
        raise ServerError(f"the cluster did not settle within {timeout}s: {last!r}")

    def primaries(self) -> list[RedisServer]:
        """The running nodes that are primaries owning slots, by their first slot."""
        by_port = {node.port: node for node in self.running()}
        owners = _slot_owners(self.running()[0].command("CLUSTER", "SLOTS"))
        return [by_port[port] for _, port in sorted(owners.items())]

    def node_for_slot(self, slot: int) -> RedisServer:
        by_port = {node.port: node for node in self.running()}
        for entry in self.running()[0].command("CLUSTER", "SLOTS"):
            if entry[0] <= slot <= entry[1]:
                return by_port[entry[2][1]]
        raise ServerError(f"no node owns slot {slot}")

    def node_for_key(self, key: str) -> RedisServer:
        return self.node_for_slot(self.running()[0].command("CLUSTER", "KEYSLOT", key))

    def replica_of(self, primary: RedisServer) -> RedisServer:
        node_id = primary.command("CLUSTER", "MYID").decode()
        for node in self.running():
            if node is primary:
                continue
            info = node.command("INFO", "replication").decode()
            if f"master_port:{primary.port}" in info:
                return node
        raise ServerError(f"no replica of {node_id} found")

    def flushall(self) -> None:
        for node in self.primaries():
            node.command("FLUSHALL")

    def close(self) -> None:
        nodes, self.nodes = self.nodes, []
        stop_all(nodes)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _slot_owners(reply: list[Any]) -> dict[int, int]:
    """First slot of each range -> the port of its primary."""
    return {entry[0]: entry[2][1] for entry in reply}
