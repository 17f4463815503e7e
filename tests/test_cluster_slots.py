"""The cluster's slot maths and slot map against a real server: `key_slot` equals
``CLUSTER KEYSLOT`` for many keys (hash tags of every shape included), and the map parsed from
``CLUSTER SHARDS`` and ``CLUSTER SLOTS``, in RESP2 and RESP3 shapes, names the owners the
cluster itself reports."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

import kvs
import kvs.sync
from kvs.cluster.routing import Split, ToSlot, plan, scan_cursor, scan_reply
from kvs.cluster.slots import SLOTS, SlotMap, crc16, key_slot, redirection
from tests.clusters import RedisCluster
from tests.servers import RedisServer, free_port

SPECIAL = [b"", b"{}", b"{a}b", b"a{}{b}", b"a{b}{c}", b"{", b"}", b"}{", b"{{}}", b"{a", b"a}",
           b"a{b", b"{}a", b"a{}", b"{{a}}", b"{a}{b}", b"x{y}z", b"\x00", b"\xff{\xfe}",
           b"user:{1000}:name", b"{user1000}.following", "clé{é}".encode(), b"foo", b"bar"]


@pytest.fixture(scope="module")
def cluster_node() -> Iterator[RedisServer]:
    """One cluster-enabled server (no slots needed to answer CLUSTER KEYSLOT)."""
    with RedisServer(args=("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                           "--cluster-port", str(free_port()))) as server:
        yield server


def test_crc16_xmodem_check_value() -> None:
    assert crc16(b"123456789") == 0x31C3  # the standard check value of CRC16-XMODEM


def test_key_slot_matches_the_server(cluster_node: RedisServer) -> None:
    rng = random.Random(18)
    keys = list(SPECIAL)
    for _ in range(600):
        alphabet = b"ab{}:x\x00\xff"
        keys.append(bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 12))))
        keys.append(rng.randbytes(rng.randint(1, 40)))
    commands: list[list[str | bytes | int]] = [["CLUSTER", "KEYSLOT", key] for key in keys]
    replies = cluster_node.commands(*commands)
    mismatches = [(key, key_slot(key), reply) for key, reply in zip(keys, replies, strict=True)
                  if key_slot(key) != reply]
    assert not mismatches


def test_hash_tags_share_a_slot() -> None:
    assert key_slot(b"{user:1}:name") == key_slot(b"{user:1}:mail") == key_slot(b"user:1")
    assert key_slot(b"{}a") != key_slot(b"a") or crc16(b"{}a") % SLOTS == key_slot(b"a")
    assert key_slot(b"a{}{b}") == crc16(b"a{}{b}") % SLOTS  # empty first tag: the whole key


def test_redirection_parsing() -> None:
    assert redirection("MOVED 3999 127.0.0.1:6381", "h") == (3999, ("127.0.0.1", 6381))
    assert redirection("ASK 1 :7000", "h") == (1, ("h", 7000))
    assert redirection("MOVED 5 [::1]:7000", "h") == (5, ("::1", 7000))
    assert redirection("MOVED 5 ::1:7000", "h") == (5, ("::1", 7000))
    assert redirection("TRYAGAIN Multiple keys request during rehashing of slot", "h") is None


def test_plan_splits_by_slot_and_keeps_argument_order() -> None:
    keys = [b"k%d" % i for i in range(50)]
    route = plan((b"MGET", *keys))
    assert isinstance(route, Split)
    assert len(route.parts) == len({key_slot(k) for k in keys})
    values = {key: b"v" + key for key in keys}
    replies = [[values[k] for k in argv[1:]] for _, argv in route.parts]
    assert route.combine(replies) == [values[k] for k in keys]
    route = plan((b"DEL", *keys))
    assert isinstance(route, Split)
    assert route.combine([len(argv) - 1 for _, argv in route.parts]) == 50
    assert plan((b"MGET", b"{t}1", b"{t}2")) == ToSlot(key_slot(b"t"))
    with pytest.raises(kvs.ResponseError) as info:
        plan((b"RENAME", b"a", b"b"))
    assert info.value.code == "CROSSSLOT"


def test_scan_cursor_walks_every_primary() -> None:
    index, argv = scan_cursor((b"SCAN", b"0", b"COUNT", b"10"))
    assert (index, argv) == (0, (b"SCAN", b"0", b"COUNT", b"10"))
    cursor = scan_reply([b"17", [b"a"]], 0, 3)[0]
    assert scan_cursor((b"SCAN", cursor)) == (0, (b"SCAN", b"17"))
    cursor = scan_reply([b"0", []], 0, 3)[0]
    assert scan_cursor((b"SCAN", cursor)) == (1, (b"SCAN", b"0"))
    assert scan_reply([b"0", []], 2, 3)[0] == b"0"


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    with RedisCluster() as running:
        yield running


def _owners(slot_map: SlotMap) -> dict[int, int]:
    return {slot: owner[1] for slot in range(SLOTS) if (owner := slot_map.owner(slot))}


def test_slot_map_from_a_real_cluster_in_both_shapes(cluster: RedisCluster) -> None:
    node = cluster.nodes[0]
    expected = {slot: cluster.node_for_slot(slot).port for slot in (0, 5000, 10000, 16383)}
    resp2_shards = SlotMap.from_shards(node.command("CLUSTER", "SHARDS"), node.host)
    resp2_slots = SlotMap.from_slots(node.command("CLUSTER", "SLOTS"), node.host)
    assert resp2_shards.covered() and resp2_slots.covered()
    assert _owners(resp2_shards) == _owners(resp2_slots)
    assert {slot: _owners(resp2_shards)[slot] for slot in expected} == expected
    assert len(resp2_shards.primaries()) == 3
    assert all(len(shard.replicas) == 1 for shard in resp2_shards.shards)
    assert sorted(resp2_shards.nodes()) == sorted((n.host, n.port) for n in cluster.nodes)

    with kvs.sync.connect(node.url) as db:  # RESP3: maps
        resp3_shards = SlotMap.from_shards(db.execute("CLUSTER", "SHARDS"), node.host)
        resp3_slots = SlotMap.from_slots(db.execute("CLUSTER", "SLOTS"), node.host)
    assert _owners(resp3_shards) == _owners(resp3_slots) == _owners(resp2_shards)


def test_slot_map_patch_and_drop() -> None:
    slot_map = SlotMap.from_slots([[0, 16383, [b"10.0.0.1", 7000, b"id"]]], "h")
    slot_map.moved(5, ("10.0.0.2", 7001))
    assert slot_map.owner(5) == ("10.0.0.2", 7001)
    assert slot_map.owner(6) == ("10.0.0.1", 7000)
    slot_map.drop(("10.0.0.1", 7000))
    assert slot_map.owner(6) is None and slot_map.owner(5) == ("10.0.0.2", 7001)
    assert SlotMap.from_slots([[0, 1, [b"", 7000, b"id"]]], "seed").owner(0) == ("seed", 7000)


def test_a_route_is_forgotten_when_its_slot_moves_or_its_node_is_dropped() -> None:
    slot_map = SlotMap.from_slots([[0, 16383, [b"10.0.0.1", 7000, b"id"]]], "h")
    assert slot_map.routes == [None] * SLOTS  # the driver fills them
    slot_map.routes[5] = slot_map.routes[6] = "to 7000"
    slot_map.moved(5, ("10.0.0.2", 7001))
    assert slot_map.routes[5] is None and slot_map.routes[6] == "to 7000"
    slot_map.routes[5] = "to 7001"
    slot_map.drop(("10.0.0.1", 7000))
    assert slot_map.routes == [None] * SLOTS
