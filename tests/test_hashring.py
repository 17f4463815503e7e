"""Tests of the ketama-style consistent-hash ring."""

from __future__ import annotations

import doctest
import hashlib
from collections import Counter

import pytest

from kvs.memcached.hashring import HashRing

KEYS = [b"key:%d" % i for i in range(10_000)]
NODES = ["cache-1.example:11211", "cache-2.example:11211", "cache-3.example:11211"]


def assignment(ring: HashRing) -> dict[bytes, str]:
    return {key: ring.node_for(key) for key in KEYS}


def test_mapping_is_deterministic_and_order_independent() -> None:
    first = assignment(HashRing(NODES))
    assert assignment(HashRing(NODES)) == first
    assert assignment(HashRing(list(reversed(NODES)))) == first


def test_ketama_point_placement() -> None:
    # The first digest of node "a" gives its first four points, read little-endian.
    digest = hashlib.md5(b"a-0").digest()
    points = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    ring = HashRing(["a", "b"], replicas=4)
    for point in points:
        assert ring._owners[ring._points.index(point)] == "a"
    assert len(ring._points) == 8


def test_key_goes_to_first_point_at_or_after_its_hash() -> None:
    ring = HashRing(["a", "b", "c"])
    for key in KEYS[:500]:
        position = int.from_bytes(hashlib.md5(key).digest()[:4], "little")
        owners = [o for p, o in zip(ring._points, ring._owners, strict=True) if p >= position]
        assert ring.node_for(key) == (owners[0] if owners else ring._owners[0])


def test_spread_across_three_nodes() -> None:
    counts = Counter(assignment(HashRing(NODES)).values())
    assert set(counts) == set(NODES)
    for node in NODES:
        assert 0.8 * len(KEYS) / 3 <= counts[node] <= 1.2 * len(KEYS) / 3, counts


def test_adding_a_node_moves_about_a_quarter_of_keys_all_to_it() -> None:
    before = assignment(HashRing(NODES))
    new = "cache-4.example:11211"
    after = assignment(HashRing([*NODES, new]))
    moved = [key for key in KEYS if before[key] != after[key]]
    assert 0.15 * len(KEYS) <= len(moved) <= 0.35 * len(KEYS)
    assert all(after[key] == new for key in moved)


def test_removing_a_node_moves_only_its_keys() -> None:
    before = assignment(HashRing([*NODES, "cache-4.example:11211"]))
    after = assignment(HashRing(NODES))
    for key in KEYS:
        if before[key] != "cache-4.example:11211":
            assert after[key] == before[key]
        else:
            assert after[key] in NODES


def test_single_node_and_bytes_like_keys() -> None:
    ring = HashRing(["only"])
    assert ring.node_for(b"x") == "only"
    ring = HashRing(NODES)
    assert ring.node_for(bytearray(b"abc")) == ring.node_for(memoryview(b"abc"))
    assert ring.node_for(b"abc") == ring.node_for(b"abc")


def test_wraps_past_the_last_point() -> None:
    ring = HashRing(["a", "b"], replicas=4)
    top = max(ring._points)
    key = next(k for k in KEYS if int.from_bytes(hashlib.md5(k).digest()[:4], "little") > top)
    assert ring.node_for(key) == ring._owners[0]


def test_replicas_not_multiple_of_four() -> None:
    ring = HashRing(["a", "b", "c"], replicas=5)
    assert len(ring._points) == 15


@pytest.mark.parametrize(
    ("nodes", "replicas", "error"),
    [
        ([], 160, ValueError),
        (["a", "a"], 160, ValueError),
        (["a"], 0, ValueError),
        ("abc", 160, TypeError),
    ],
)
def test_invalid_rings(nodes: list[str], replicas: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        HashRing(nodes, replicas)


def test_key_type_checked() -> None:
    with pytest.raises(TypeError, match="key must be bytes"):
        HashRing(NODES).node_for("k")  # type: ignore[arg-type]


def test_repr() -> None:
    assert repr(HashRing(["a"], replicas=4)) == "HashRing(['a'], replicas=4)"
    assert len(HashRing(NODES)) == 3


def test_docstring_examples() -> None:
    from kvs.memcached import hashring as _hashring

    assert doctest.testmod(_hashring).failed == 0
