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

__all__ = ["RedisCluster", "begin_migration", "command_calls", "migrate_slot"]

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
        self.bus_ports: dict[int, int] = {}  # a node's port -> its cluster bus port

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(node.address for node in self.nodes[:3])

    def start(self) -> Self:
        try:
            for _ in range(6):
                self._start_node()
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

    def _start_node(self) -> RedisServer:
        bus_port = free_port()
        node = RedisServer(args=(
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(self.node_timeout),
            # The bus port is the port + 10000 by default: too high for some ports.
            "--cluster-port", str(bus_port),
            "--repl-diskless-sync-delay", "0",
            # A replica is "online" in CLUSTER SHARDS once its offset moved: ping soon.
            "--repl-ping-replica-period", "1",
        ))
        self.nodes.append(node)
        node.start()
        self.bus_ports[node.port] = bus_port
        return node

    def add_replica(self, primary: RedisServer) -> RedisServer:
        """One more node, made a replica of `primary` (CLUSTER MEET, CLUSTER REPLICATE);
        returns once every node agrees it is online."""
        node = self._start_node()
        node.command("CLUSTER", "MEET", primary.host, primary.port,
                     self.bus_ports[primary.port])
        primary_id = primary.command("CLUSTER", "MYID").decode()
        deadline = time.monotonic() + CLUSTER_TIMEOUT
        while True:
            try:
                node.command("CLUSTER", "REPLICATE", primary_id)
                break
            except RedisReplyError:  # the primary is not known to it yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.wait_ok()
        self._wait_replica_known(node.command("CLUSTER", "MYID"), primary_id.encode())
        return node

    def _wait_replica_known(self, replica_id: bytes, primary_id: bytes) -> None:
        """Wait until every running node's CLUSTER SHARDS lists the replica, online, in the
        primary's shard: a node that met the new node but has not heard yet that it
        replicates gives a client a map without it (a master of no slots)."""
        deadline = time.monotonic() + CLUSTER_TIMEOUT
        while not all(_replica_in_shard(node.command("CLUSTER", "SHARDS"), replica_id,
                                        primary_id) for node in self.running()):
            if time.monotonic() > deadline:
                raise ServerError("the new replica is not in its primary's shard everywhere")
            time.sleep(0.05)

    def replicas_of(self, primary: RedisServer) -> list[RedisServer]:
        return [node for node in self.running() if node is not primary and
                f"master_port:{primary.port}\r" in node.command("INFO", "replication").decode()]

    def running(self) -> list[RedisServer]:
        return [node for node in self.nodes if node.running]

    def wait_ok(self, timeout: float = CLUSTER_TIMEOUT) -> None:
        """Wait until every running node says ``cluster_state:ok``, they agree on the
        owner of every slot, and each of them reports every node online (replicas known
        and done syncing)."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            running = self.running()
            try:
                states = [node.command("CLUSTER", "INFO").decode() for node in running]
                maps = [_slot_owners(node.command("CLUSTER", "SLOTS")) for node in running]
                online = [self._online(node) for node in running]
            except (OSError, RedisReplyError) as exc:
                last = exc
                time.sleep(0.05)
                continue
            ok = all("cluster_state:ok" in state for state in states)
            if ok and all(m == maps[0] for m in maps) and len(maps[0]) == 3 \
                    and all(count == len(running) for count in online):
                return
            last = states
            time.sleep(0.05)
        raise ServerError(f"the cluster did not settle within {timeout}s: {last!r}")

    def _online(self, asked: RedisServer) -> int:
        """How many nodes `asked`'s CLUSTER SHARDS reports online (replicas: done syncing).
        Each node learns of a new replica by gossip, in its own time, and a client may ask
        any of them for the map."""
        return sum(node[b"health"] == b"online"
                   for nodes in _shard_nodes(asked.command("CLUSTER", "SHARDS"))
                   for node in nodes)

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


def _shard_nodes(shards: list[Any]) -> list[list[dict[bytes, Any]]]:
    """The nodes of each shard of a CLUSTER SHARDS reply, each as a dict of its fields."""
    return [[dict(zip(node[::2], node[1::2], strict=True))
             for node in dict(zip(shard[::2], shard[1::2], strict=True))[b"nodes"]]
            for shard in shards]


def _replica_in_shard(shards: list[Any], replica_id: bytes, primary_id: bytes) -> bool:
    """Whether a CLUSTER SHARDS reply has the replica, online, in the primary's shard."""
    for nodes in _shard_nodes(shards):
        ids = {node[b"id"]: node for node in nodes}
        if primary_id in ids:
            replica = ids.get(replica_id)
            return replica is not None and replica[b"health"] == b"online"
    return False


def _slot_owners(reply: list[Any]) -> dict[int, int]:
    """First slot of each range -> the port of its primary."""
    return {entry[0]: entry[2][1] for entry in reply}


def migrate_slot(cluster: RedisCluster, slot: int, target: RedisServer, *, batch: int = 5,
                 pause: float = 0.0) -> int:
    """Move `slot` to `target` as ``redis-cli --cluster reshard`` does: IMPORTING on the
    target, MIGRATING on the owner, MIGRATE the keys a few at a time (`pause` seconds
    between batches, while clients see ASK), then SETSLOT NODE on every primary.  Returns
    how many keys moved."""
    source = cluster.node_for_slot(slot)
    if source is target:
        raise ServerError(f"slot {slot} is already on {target.address}")
    source_id = source.command("CLUSTER", "MYID").decode()
    target_id = target.command("CLUSTER", "MYID").decode()
    target.command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    source.command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
    moved = 0
    while True:
        keys = source.command("CLUSTER", "GETKEYSINSLOT", slot, batch)
        if not keys:
            break
        source.command("MIGRATE", target.host, target.port, "", 0, 5000, "KEYS", *keys)
        moved += len(keys)
        time.sleep(pause)
    for node in [target, source, *cluster.primaries()]:
        node.command("CLUSTER", "SETSLOT", slot, "NODE", target_id)
    return moved


def begin_migration(cluster: RedisCluster, slot: int, target: RedisServer,
                    keys: list[str]) -> None:
    """Leave `slot` halfway through a move to `target`: IMPORTING and MIGRATING set and only
    `keys` moved, so clients asking the owner for them get ASK.  `migrate_slot` ends it."""
    source = cluster.node_for_slot(slot)
    source_id = source.command("CLUSTER", "MYID").decode()
    target_id = target.command("CLUSTER", "MYID").decode()
    target.command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    source.command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
    source.command("MIGRATE", target.host, target.port, "", 0, 5000, "KEYS", *keys)


def command_calls(node: RedisServer, name: str) -> int:
    """How many times `node` ran command `name` (INFO commandstats; ``cluster|shards``)."""
    text = node.command("INFO", "commandstats").decode()
    for line in text.splitlines():
        if line.startswith(f"cmdstat_{name}:"):
            return int(line.split("calls=", 1)[1].split(",", 1)[0])
    return 0
