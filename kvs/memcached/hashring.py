"""Consistent hashing of keys onto servers, in the manner of libketama.

A `memcached://a,b,c` URL names several servers; each key lives on exactly one of them, chosen
here.  Consistent hashing keeps that choice stable when the server list changes: adding a
server takes over about 1/N of the keys (all of them move *to* the new server), and removing
a server moves only the keys it held.

How points are placed:

- Every node gets `replicas` points on a ring of 2**32 positions (160 by default, as ketama).
- The points come from MD5 digests of ``"<node>-<i>"`` for i = 0, 1, 2, ...; each 16-byte
  digest yields four points, its four 4-byte groups read as little-endian unsigned integers.
- A key's position is the first four bytes of MD5(key), read the same way.  The key belongs
  to the node owning the first point at or after that position, wrapping past 2**32 - 1 to
  the lowest point.
- When two nodes draw the same point, the node whose name sorts first keeps it, so the ring
  does not depend on the order in which the nodes are listed.

MD5 serves only to spread keys evenly and reproducibly; nothing here relies on it resisting
attack.  The ring is immutable: build a new one when the server list changes.

>>> ring = HashRing(["cache-1.example:11211", "cache-2.example:11211"])
>>> ring.node_for(b"user:1") in ring.nodes
True
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence

__all__ = ["HashRing"]


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def _key_point(key: bytes) -> int:
    return int.from_bytes(_md5(key)[:4], "little")


def _node_points(node: str, replicas: int) -> list[int]:
    points: list[int] = []
    i = 0
    while len(points) < replicas:
        digest = _md5(f"{node}-{i}".encode())
        points.extend(int.from_bytes(digest[j : j + 4], "little") for j in range(0, 16, 4))
        i += 1
    return points[:replicas]


class HashRing:
    """A ketama-style consistent-hash ring over named nodes.

    Args:
        nodes: the node names (for memcached, ``"host:port"``); at least one, no duplicates.
        replicas: points per node (default 160).

    Raises:
        ValueError: no nodes, a duplicate node, or `replicas` < 1.

    Example:
        >>> HashRing(["a", "b", "c"]).node_for(b"some-key")
        'a'
    """

    __slots__ = ("_owners", "_points", "nodes", "replicas")

    def __init__(self, nodes: Sequence[str], replicas: int = 160) -> None:
        if isinstance(nodes, str):
            raise TypeError("nodes must be a sequence of names, not a single str")
        if not nodes:
            raise ValueError("a hash ring needs at least one node")
        if len(set(nodes)) != len(nodes):
            raise ValueError("duplicate node in hash ring")
        if replicas < 1:
            raise ValueError(f"replicas must be >= 1, got {replicas}")
        self.nodes: tuple[str, ...] = tuple(nodes)
        self.replicas = replicas
        owner: dict[int, str] = {}
        for node in sorted(self.nodes):  # on a shared point the first name wins
            for point in _node_points(node, replicas):
                owner.setdefault(point, node)
        self._points = sorted(owner)
        self._owners = [owner[p] for p in self._points]

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"HashRing({list(self.nodes)!r}, replicas={self.replicas})"

    def node_for(self, key: bytes | bytearray | memoryview) -> str:
        """The node that holds `key`.

        Raises:
            TypeError: `key` is not bytes-like.
        """
        if not isinstance(key, bytes | bytearray | memoryview):
            raise TypeError(f"key must be bytes, not {type(key).__name__}")
        if len(self.nodes) == 1:
            return self.nodes[0]
        index = bisect.bisect_left(self._points, _key_point(bytes(key)))
        if index == len(self._points):
            index = 0
        return self._owners[index]
