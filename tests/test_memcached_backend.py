"""The memcached:// backend on real memcached servers, through the public API."""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable

import pytest
import trio

import kvs
import kvs.sync
from kvs.commands import Value
from kvs.memcached import protocol as mc
from kvs.memcached.plan import Planner, get_reply
from resp import ReplyError
from tests.faultproxy import FaultProxy
from tests.servers import MemcachedServer

DAY = 24 * 60 * 60


def holder(servers: list[MemcachedServer], key: bytes) -> MemcachedServer:
    """The one server that holds `key`, asked directly over the text protocol."""
    token, is_b64 = mc.encode_key(key)
    line = f"mg {token.decode()}{' b' if is_b64 else ''}"
    found = [s for s in servers if s.command(line) == "HD"]
    assert len(found) == 1, f"{key!r} is on {len(found)} servers"
    return found[0]


def urls(servers: list[MemcachedServer], query: str = "") -> str:
    return "memcached://" + ",".join(s.address for s in servers) + query


# -- the seed's operations --------------------------------------------------------------------


async def test_seed_operations(memcached_url: str) -> None:
    async with kvs.connect(memcached_url) as db:
        assert await db.set("user:1", "Alice") is True
        assert await db.get("user:1") == "Alice"
        assert await db.get("missing") is None
        assert await db.set("user:1", "Bob", nx=True) is False
        assert await db.set("nobody", "x", xx=True) is False
        assert await db.get("nobody") is None
        assert await db.set("user:1", "Bob", xx=True) is True
        assert await db.set("fresh", "y", nx=True) is True
        assert await db.get("user:1") == "Bob"
        assert await db.exists("user:1") is True
        assert await db.exists("missing") is False
        assert await db.set("tmp", 1, ex=100) is True
        assert 99 <= await db.ttl("tmp") <= 100
        assert await db.ttl("user:1") == -1
        assert await db.ttl("missing") == -2
        assert await db.expire("user:1", 50) is True
        assert 49 <= await db.ttl("user:1") <= 50
        assert await db.expire("missing", 50) is False
        assert await db.set("user:1", "Carol") is True  # a plain SET clears the TTL
        assert await db.ttl("user:1") == -1
        assert await db.expire("tmp", 0) is True  # <= 0 deletes, as Redis
        assert await db.get("tmp") is None
        assert await db.expire("tmp", -5) is False
        assert await db.incr("hits") == 1
        assert await db.incr("hits", 10) == 11
        assert await db.decr("hits") == 10
        assert await db.decr("hits", 4) == 6
        assert await db.get("hits") == "6"
        assert await db.incr("fresh-by", 5) == 5
        mixed: dict[str, Value] = {"a": "1", "b": b"2", "c": 3.5, "d": True}
        assert await db.mset(mixed) is True
        assert await db.mget(["a", "b", "nope", "c", "d", "a"]) == ["1", "2", None, "3.5", "1", "1"]
        assert await db.mget([]) == []
        assert await db.mset({}) is True
        assert await db.delete("a", "b", "nope", "a") == 2
        assert await db.mget(["a", "b", "c"]) == [None, None, "3.5"]
        assert await db.ping() is True
        assert await db.execute("GET", "c") == "3.5"
        assert await db.execute("PING", "hello") == "hello"
        assert await db.execute("EXISTS", "c", "c", "zz") == 2


async def test_set_expiry_forms(memcached_url: str) -> None:
    async with kvs.connect(memcached_url) as db:
        assert await db.set("px", "v", px=1500) is True
        assert await db.ttl("px") == 2  # milliseconds round up to whole seconds
        assert await db.set("px1", "v", px=1) is True
        assert await db.ttl("px1") == 1
        # Beyond 30 days memcached reads an expiry as a Unix time: sent as one, it still means
        # "this many seconds from now" (memcached's clock ticks once a second and may lag the
        # wall clock the expiry was computed from by a second more, so the TTL it reports for
        # an absolute expiry may be up to two seconds more).
        assert await db.set("long", "v", ex=40 * DAY) is True
        assert 40 * DAY - 5 <= await db.ttl("long") <= 40 * DAY + 2
        assert await db.expire("long", 31 * DAY) is True
        assert 31 * DAY - 5 <= await db.ttl("long") <= 31 * DAY + 2
        assert await db.set("nx-ex", "v", ex=10, nx=True) is True
        assert 9 <= await db.ttl("nx-ex") <= 10


async def test_execute_argument_errors_match_redis(memcached_url: str) -> None:
    async with kvs.connect(memcached_url) as db:
        with pytest.raises(kvs.ResponseError, match="syntax error"):
            await db.execute("SET", "k", "v", "BOGUS")
        with pytest.raises(kvs.ResponseError, match="wrong number of arguments for 'get'"):
            await db.execute("GET")
        with pytest.raises(kvs.ResponseError, match="not an integer"):
            await db.execute("INCRBY", "k", "x")
        with pytest.raises(kvs.UnsupportedOperation, match="set with KEEPTTL is not supported"):
            await db.execute("SET", "k", "v", "KEEPTTL")


async def test_decode_false_returns_bytes(memcached_url: str) -> None:
    async with kvs.connect(memcached_url, decode=False) as db:
        blob = bytes(range(256)) * 4
        assert await db.set(b"blob", blob) is True
        assert await db.get(b"blob") == blob
        assert await db.mget([b"blob", b"none"]) == [blob, None]
        await db.set("text", "h\u00e9")
        assert await db.get("text") == "h\u00e9".encode()


def test_sync_seed_operations(memcached_url: str) -> None:
    with kvs.sync.connect(memcached_url) as db:
        assert db.set("user:1", "Alice") is True
        assert db.get("user:1") == "Alice"
        assert db.set("user:1", "x", nx=True) is False
        assert db.incr("n") == 1
        assert db.decr("n", 3) == 0  # counters stop at zero on memcached (Redis: -2)
        assert db.mset({f"k{i}": i for i in range(50)}) is True
        assert db.mget([f"k{i}" for i in range(52)]) == [str(i) for i in range(50)] + [None] * 2
        assert db.delete("k0", "k1", "zz") == 2
        assert db.exists("k2") is True
        assert db.expire("user:1", 10) is True
        assert db.ttl("user:1") == 10
        assert db.ttl("zz") == -2
        assert db.ping() is True
        with pytest.raises(kvs.UnsupportedOperation, match="lpush is not supported"):
            db.lpush("q", "a")


# -- plans, with no network ------------------------------------------------------------------


def test_plan_single_key_commands() -> None:
    planner = Planner(["127.0.0.1:1"])
    plan = planner.plan((b"GET", b"k"), now=0)
    assert [(p.server, p.payload, p.count) for p in plan.parts] == [
        ("127.0.0.1:1", b"mg k v f\r\n", 1)]
    assert plan.idempotent
    assert plan.combine([[mc.Reply(b"VA", {"f": b"0"}, b"x")]]) == b"x"
    assert plan.combine([[mc.Reply(b"EN")]]) is None
    incr = planner.plan((b"DECRBY", b"n", b"-3"), now=0)
    assert incr.parts[0].payload == mc.ma(b"n", delta=3, initial=3)
    assert not incr.idempotent
    assert incr.combine([[mc.ErrorReply(b"CLIENT_ERROR", "non-numeric")]]) == ReplyError(
        "ERR value is not an integer or out of range")
    setnx = planner.plan((b"SET", b"k", b"v", b"PX", b"1001", b"NX"), now=0)
    assert setnx.parts[0].payload == mc.ms(b"k", b"v", ttl=2, mode="add")
    assert not setnx.idempotent
    assert setnx.combine([[mc.Reply(b"NS")]]) is None
    assert planner.plan((b"EXPIRE", b"k", b"0"), now=0).parts[0].payload == mc.md(b"k")
    for key in (b"a b", b"", b"x" * 300, bytes(range(256))):  # the same bytes as the codec's
        assert planner.plan((b"GET", key), now=0).parts[0].payload == mc.mg(key, flags=True)
        assert planner.plan((b"TTL", key), now=0).parts[0].payload == mc.mg(
            key, value=False, ttl=True)
    assert planner.plan((b"SET", b"k", b"v", b"EX", b"x"), now=0).parts == ()
    with pytest.raises(kvs.UnsupportedOperation, match=r"^hgetall is not supported by the "
                                                       r"memcached backend$"):
        planner.plan((b"HGETALL", b"h"), now=0)


def test_plan_multi_key_commands_group_by_server() -> None:
    planner = Planner(["a:1", "b:1", "c:1"])
    keys = tuple(b"key%d" % i for i in range(30))
    plan = planner.plan((b"MGET", *keys), now=0)
    assert {p.server for p in plan.parts} == {"a:1", "b:1", "c:1"}
    assert sum(p.count for p in plan.parts) == 30
    for part in plan.parts:
        sent = [line.split(b" ")[1] for line in part.payload.split(b"\r\n") if line]
        assert all(planner.server_for(k) == part.server for k in sent)
    replies = [[mc.Reply(b"VA", {}, line.split(b" ")[1])
                for line in p.payload.split(b"\r\n") if line] for p in plan.parts]
    assert plan.combine(replies) == list(keys)
    ping = planner.plan((b"PING",), now=0)
    assert [p.payload for p in ping.parts] == [b"mn\r\n"] * 3


def test_plan_get_and_mget_paths_send_the_codec_bytes() -> None:
    keys = (b"plain", b"a b", b"", b"x" * 300, bytes(range(256)), b"y" * 250, b"\x00kvs:sha256:z")
    for servers in (["one:1"], ["a:1", "b:1", "c:1"]):
        planner = Planner(servers)
        for key in keys:
            assert planner.get(key) == (planner.server_for(key), mc.mg(key, flags=True))
        for chosen in (keys, keys[:1], (b"k1", b"k2", b"k3"), (b"k1", b"k 2", b"k3")):
            plan = planner.plan((b"MGET", *chosen), now=0)
            expected: dict[str, bytes] = {}
            for key in chosen:
                server = planner.server_for(key)
                expected[server] = expected.get(server, b"") + mc.mg(key, flags=True)
            assert {p.server: p.payload for p in plan.parts} == expected
            assert sum(p.count for p in plan.parts) == len(chosen)


def test_get_replies_to_raw_replies() -> None:
    planner = Planner(["one:1"])
    assert get_reply(mc.Reply(b"VA", {"f": b"0"}, b"abc")) == b"abc"
    assert get_reply(mc.Reply(b"VA", {"f": b"0"}, b"99 ")) == b"99"  # a decremented counter
    assert get_reply(mc.Reply(b"VA", {"f": b"1"}, b"99 ")) == b"99 "  # stored that way
    assert get_reply(mc.Reply(b"EN")) is None
    assert get_reply(mc.ErrorReply(b"SERVER_ERROR", "oom")) == ReplyError(
        "ERR memcached SERVER_ERROR: oom")
    with pytest.raises(kvs.ProtocolError):
        get_reply(mc.Reply(b"HD"))
    plan = planner.plan((b"MGET", b"a", b"b", b"c"), now=0)
    assert plan.combine([[mc.Reply(b"VA", {}, b"1"), mc.Reply(b"EN"),
                          mc.Reply(b"VA", {"f": b"0"}, b"7  ")]]) == [b"1", None, b"7"]
    assert plan.combine([[mc.Reply(b"EN"), mc.ErrorReply(b"SERVER_ERROR", "x"),
                          mc.ErrorReply(b"CLIENT_ERROR", "y")]]) == ReplyError(
        "ERR memcached SERVER_ERROR: x")
    with pytest.raises(kvs.ProtocolError):
        plan.combine([[mc.Reply(b"EN"), mc.Reply(b"NF"), mc.Reply(b"EN")]])


# -- unsupported operations -------------------------------------------------------------------

UNSUPPORTED: list[tuple[str, tuple[object, ...]]] = [
    ("lpush", ("q", "a")), ("rpush", ("q", "a")), ("lpop", ("q",)), ("rpop", ("q",)),
    ("lrange", ("q", 0, -1)), ("hset", ("h", "f", "v")), ("hget", ("h", "f")),
    ("hgetall", ("h",)), ("sadd", ("s", "m")), ("smembers", ("s",)), ("keys", ("*",)),
]


async def test_unsupported_operations_raise_before_any_io(
        memcached_servers: list[MemcachedServer]) -> None:
    server = memcached_servers[0]
    async with FaultProxy(server.host, server.port) as proxy, \
            kvs.connect(proxy.url_for("memcached")) as db:
        assert await db.ping() is True
        sent = proxy.bytes_up
        for name, args in UNSUPPORTED:
            with pytest.raises(kvs.UnsupportedOperation) as info:
                await getattr(db, name)(*args)
            assert str(info.value) == f"{name} is not supported by the memcached backend"
        with pytest.raises(kvs.UnsupportedOperation, match="zadd is not supported by the "
                                                            "memcached backend"):
            await db.execute("ZADD", "z", 1, "m")
        with pytest.raises(kvs.UnsupportedOperation, match="subscribe is not supported"):
            await db.execute("SUBSCRIBE", "ch")
        assert proxy.bytes_up == sent


async def test_unsupported_even_when_the_key_server_is_down(
        memcached_servers: list[MemcachedServer]) -> None:
    dead = MemcachedServer()  # never started: its port refuses connections
    from tests.servers import free_port
    dead.port = free_port()
    url = f"memcached://{memcached_servers[0].address},{dead.host}:{dead.port}"
    async with kvs.connect(url) as db:  # one reachable server is enough to open
        for i in range(20):
            with pytest.raises(kvs.UnsupportedOperation, match="lpush is not supported"):
                await db.lpush(f"list{i}", "x")

    def blocking() -> None:  # in a worker thread: kvs.sync blocks
        with kvs.sync.connect(url) as sdb, \
                pytest.raises(kvs.UnsupportedOperation, match="hset is not supported"):
            sdb.hset("h", "f", "v")

    await trio.to_thread.run_sync(blocking)


async def test_open_fails_when_no_server_answers() -> None:
    from tests.servers import free_port
    url = f"memcached://127.0.0.1:{free_port()},127.0.0.1:{free_port()}?retries=0"
    with pytest.raises(kvs.ConnectionError):
        async with kvs.connect(url):
            pass
    with pytest.raises(kvs.ConnectionError):
        await trio.to_thread.run_sync(kvs.sync.connect(url).open)


# -- keys: spread, encoding, injection --------------------------------------------------------


async def test_keys_spread_over_every_server(
        memcached_servers: list[MemcachedServer], memcached_url: str) -> None:
    keys = [f"spread:{i}" for i in range(120)]
    async with kvs.connect(memcached_url) as db:
        assert await db.mset({k: k for k in keys[:60]}) is True
        for k in keys[60:]:
            await db.set(k, k)
        assert await db.mget(keys) == keys
        counts = {s.port: 0 for s in memcached_servers}
        for k in keys:
            counts[holder(memcached_servers, k.encode()).port] += 1
        assert all(n >= 10 for n in counts.values()), counts
        assert await db.delete(*keys) == len(keys)
        assert await db.exists(keys[0]) is False


async def test_injection_key_is_just_a_key(
        memcached_servers: list[MemcachedServer], memcached_url: str) -> None:
    evil = "a\r\nflush_all\r\n"
    async with kvs.connect(memcached_url) as db:
        assert await db.set("survivor", "still here") is True
        assert await db.set(evil, "payload") is True
        assert await db.get(evil) == "payload"
        assert await db.get("survivor") == "still here"
        assert await db.mget([evil, "survivor"]) == ["payload", "still here"]
        assert await db.incr("x\r\nflush_all") == 1
        assert await db.get("survivor") == "still here"
    holder(memcached_servers, evil.encode())  # stored as one key, base64 on the wire
    holder(memcached_servers, b"survivor")


async def test_binary_long_and_odd_keys(memcached_url: str) -> None:
    keys: list[bytes] = [
        b"with space", b"tab\tkey", b"", b"\x00\xff\xfe", "\u00e9t\u00e9".encode(),
        b"k" * 250, b"k" * 251, b"x" * 5000, bytes(range(256)), b"\x00kvs:sha256:abc",
        b"b" * 186, b"b\x01" * 93 + b"!",
    ]
    async with kvs.connect(memcached_url, decode=False) as db:
        for i, key in enumerate(keys):
            assert await db.set(key, b"v%d" % i) is True
        for i, key in enumerate(keys):
            assert await db.get(key) == b"v%d" % i, key
        assert await db.mget(keys) == [b"v%d" % i for i in range(len(keys))]
        assert await db.delete(*keys) == len(keys)

    def blocking() -> None:  # in a worker thread: kvs.sync blocks
        with kvs.sync.connect(memcached_url, decode=False) as sdb:
            assert sdb.set(b"x" * 5000, b"long") is True
            assert sdb.get(b"x" * 5000) == b"long"
            assert sdb.get(b"x" * 4999) is None

    await trio.to_thread.run_sync(blocking)


# -- documented differences from Redis --------------------------------------------------------


async def test_counters_stop_at_zero(memcached_url: str) -> None:
    async with kvs.connect(memcached_url) as db:
        assert await db.decr("fresh") == 0  # Redis: -1; memcached counters are unsigned
        assert await db.get("fresh") == "0"
        assert await db.set("stock", 3) is True
        assert await db.decr("stock", 5) == 0  # Redis: -2
        assert await db.incr("stock", -2) == 0  # a negative amount decrements
        assert await db.decr("stock", -7) == 7  # ... and the other way round
        assert await db.incr("stock", 2**63 - 1) == 2**63 + 6  # beyond Redis's range
        assert await db.set("neg", -3) is True  # not a memcached counter
        with pytest.raises(kvs.ResponseError, match="not an integer or out of range"):
            await db.incr("neg")
        assert await db.set("word", "abc") is True
        with pytest.raises(kvs.ResponseError, match="not an integer or out of range") as info:
            await db.incr("word")
        assert info.value.code == "ERR"
        assert await db.get("word") == "abc"


async def test_decremented_counter_reads_back_without_padding(memcached_url: str) -> None:
    async with kvs.connect(memcached_url) as db:
        assert await db.set("n", "1000") is True
        assert await db.decr("n") == 999  # memcached stores "999 " in place
        assert await db.get("n") == "999"
        assert await db.mget(["n"]) == ["999"]
        assert await db.set("literal", "12  ") is True  # a value of that shape stays as is
        assert await db.get("literal") == "12  "
        assert await db.mget(["literal", "n"]) == ["12  ", "999"]


async def test_mset_is_not_atomic_across_servers(
        memcached_factory: Callable[..., MemcachedServer]) -> None:
    servers = [memcached_factory(), memcached_factory()]
    mapping = {f"m{i}": str(i) for i in range(40)}
    async with kvs.connect(urls(servers, "?retries=0")) as db:
        assert await db.mset(mapping) is True
        on_first = [k for k in mapping if holder(servers, k.encode()) is servers[0]]
        assert 0 < len(on_first) < len(mapping)
        servers[1].kill()
        with pytest.raises(kvs.ConnectionError):
            await db.mset(dict.fromkeys(mapping, "new"))
        # The keys of the live server were written all the same: MSET is one request per
        # server, not one transaction.
        assert await db.mget(on_first) == ["new"] * len(on_first)


# -- failures ---------------------------------------------------------------------------------


async def test_dead_server_fails_only_its_keys_and_recovers(
        memcached_factory: Callable[..., MemcachedServer]) -> None:
    servers = [memcached_factory() for _ in range(3)]
    keys = [f"f{i}" for i in range(60)]
    async with kvs.connect(urls(servers, "?retries=1")) as db:
        await db.mset({k: k for k in keys})
        where = {k: holder(servers, k.encode()) for k in keys}
        victim = servers[1]
        lost = [k for k in keys if where[k] is victim]
        kept = [k for k in keys if where[k] is not victim]
        assert lost and kept
        victim.kill()
        for k in kept:
            assert await db.get(k) == k
        assert await db.mget(kept) == kept
        with trio.fail_after(1):  # a server marked down fails its commands at once
            for k in lost * 5:
                with pytest.raises(kvs.ConnectionError):
                    await db.get(k)
                with pytest.raises(kvs.ConnectionError):
                    await db.incr(k)
        with pytest.raises(kvs.ConnectionError):
            await db.mget(keys)
        with pytest.raises(kvs.ConnectionError):
            await db.ping()
        victim.restart()
        with trio.fail_after(10):
            while True:
                try:
                    assert await db.get(lost[0]) is None  # a restart empties the cache
                    break
                except kvs.ConnectionError:
                    await trio.sleep(0.05)
        assert await db.set(lost[0], "back") is True
        assert await db.get(lost[0]) == "back"
        assert await db.ping() is True


def test_sync_dead_server_fails_only_its_keys_and_recovers(
        memcached_factory: Callable[..., MemcachedServer]) -> None:
    servers = [memcached_factory() for _ in range(3)]
    keys = [f"s{i}" for i in range(60)]
    with kvs.sync.connect(urls(servers, "?retries=1")) as db:
        db.mset({k: k for k in keys})
        where = {k: holder(servers, k.encode()) for k in keys}
        victim = servers[2]
        lost = [k for k in keys if where[k] is victim]
        kept = [k for k in keys if where[k] is not victim]
        victim.kill()
        assert db.mget(kept) == kept
        for k in kept[:10]:
            assert db.get(k) == k
        with pytest.raises(kvs.ConnectionError):
            db.get(lost[0])
        with pytest.raises(kvs.ConnectionError):
            db.mget(keys)
        victim.restart()
        deadline = time.monotonic() + 10
        while True:
            try:
                assert db.get(lost[0]) is None  # a restart empties the cache
                break
            except kvs.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert db.set(lost[0], "back") is True
        assert db.mget([lost[0], kept[0]]) == ["back", kept[0]]


async def test_cancellation_storm(memcached_url: str) -> None:
    rng = random.Random(11)
    async with kvs.connect(memcached_url) as db:
        cancelled = 0

        async def victim(n: int) -> None:
            nonlocal cancelled
            for i in range(40):
                with trio.move_on_after(rng.random() * 0.002) as scope:
                    await db.set(f"c{n}", f"{n}:{i}")
                    assert await db.get(f"c{n}") == f"{n}:{i}"
                    assert await db.mget([f"c{n}", f"other{n}"]) == [f"{n}:{i}", None]
                    assert await db.incr(f"n{n}") > 0
                cancelled += scope.cancelled_caught

        async with trio.open_nursery() as nursery:
            for n in range(50):
                nursery.start_soon(victim, n)
        assert cancelled > 0
        for n in range(50):
            token = f"after-{n}"
            assert await db.set(f"c{n}", token) is True
            assert await db.get(f"c{n}") == token
            assert await db.mget([f"c{n}", f"other{n}"]) == [token, None]
        assert await db.ping() is True


async def test_incr_cut_after_it_reached_the_server_never_runs_twice(
        memcached_servers: list[MemcachedServer], memcached_single_url: str) -> None:
    server = memcached_servers[0]
    async with FaultProxy(server.host, server.port) as proxy, \
            kvs.connect(proxy.url_for("memcached")) as db:
        assert await db.ping() is True
        request = mc.ma(b"counter", delta=1, initial=1)
        proxy.cut_after(len(request), "up")
        with pytest.raises(kvs.ConnectionError) as info:
            await db.incr("counter")
        assert info.value.sent is True
        with trio.fail_after(5):
            while server.command("mg counter v") != "VA 1":
                await trio.sleep(0.01)
        assert await db.get("counter") == "1"  # ran once, never twice
        assert proxy.connections == 2


async def test_get_cut_is_retried_transparently(
        memcached_servers: list[MemcachedServer], memcached_single_url: str) -> None:
    server = memcached_servers[0]
    async with FaultProxy(server.host, server.port) as proxy, \
            kvs.connect(proxy.url_for("memcached")) as db:
        assert await db.set("k", "v") is True
        proxy.cut_after(0, "down")  # the request reaches the server, its reply never returns
        assert await db.get("k") == "v"
        proxy.cut_after(0, "down")
        assert await db.mget(["k", "z"]) == ["v", None]
        assert proxy.connections == 3


async def test_split_replies_and_requests(
        memcached_servers: list[MemcachedServer], memcached_single_url: str) -> None:
    server = memcached_servers[0]
    async with FaultProxy(server.host, server.port) as proxy, \
            kvs.connect(proxy.url_for("memcached")) as db:
        proxy.split(1)
        assert await db.set("k", "value\r\nwith CRLF") is True
        assert await db.get("k") == "value\r\nwith CRLF"
        assert await db.mget(["k", "k"]) == ["value\r\nwith CRLF"] * 2


async def test_timeout(memcached_servers: list[MemcachedServer],
                       memcached_single_url: str) -> None:
    server = memcached_servers[0]
    async with FaultProxy(server.host, server.port) as proxy, \
            kvs.connect(proxy.url_for("memcached"), timeout=0.1) as db:
        assert await db.set("k", "v") is True
        proxy.delay(0.5)
        with pytest.raises(kvs.TimeoutError, match="timed out"):
            await db.get("k")
        proxy.delay(0)
        await trio.sleep(0.6)  # silent for longer than the timeout again: presumed dead
        assert await db.get("k") == "v"
        assert proxy.connections == 2


async def test_64_tasks_share_one_client_and_one_connection_per_server(
        memcached_servers: list[MemcachedServer], memcached_single_url: str) -> None:
    server = memcached_servers[0]
    async with FaultProxy(server.host, server.port) as proxy, \
            kvs.connect(proxy.url_for("memcached")) as db, \
            kvs.connect(proxy.url_for("memcached")) as db2:

        async def worker(n: int) -> None:
            for i in range(30):
                client = db if i % 2 else db2
                assert await client.set(f"t{n}", f"{n}-{i}") is True
                assert await client.get(f"t{n}") == f"{n}-{i}"
                assert await client.incr(f"cnt{n}") == i + 1

        async with trio.open_nursery() as nursery:
            for n in range(64):
                nursery.start_soon(worker, n)
        assert proxy.connections == 1
        assert await db.mget([f"cnt{n}" for n in range(64)]) == ["30"] * 64


def test_sync_threads_share_one_client(memcached_url: str) -> None:
    import threading

    errors: list[BaseException] = []
    with kvs.sync.connect(memcached_url) as db:

        def work(n: int) -> None:
            try:
                for i in range(50):
                    assert db.set(f"th{n}", i) is True
                    assert db.get(f"th{n}") == str(i)
                    assert db.mget([f"th{n}", "none"]) == [str(i), None]
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors


def test_base64_key_on_the_wire(memcached_servers: list[MemcachedServer],
                                memcached_single_url: str) -> None:
    with kvs.sync.connect(memcached_single_url) as db:
        assert db.set("a b", "v") is True
    token = base64.b64encode(b"a b").decode()
    assert memcached_servers[0].command(f"mg {token} b v") == "VA 1"
