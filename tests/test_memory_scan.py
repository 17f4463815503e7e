"""SCAN, HSCAN and SSCAN of the in-process store: the cursor rules and SCAN's guarantee.

The guarantee is checked with hypothesis: while a scan runs, random keys (or fields, or
members) are added, deleted and added again between its calls, other scans start (so that
snapshots are evicted and cursors restart), and at the end every element that was present for
the whole scan must have been returned, nothing returned may be one that never existed, and
the cursor must have come back to 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvs.memory.scan import SNAPSHOTS, Cursors, parse_cursor
from kvs.memory.store import Store
from resp import ReplyError


def run(store: Store, *args: str | bytes | int) -> Any:
    return store.execute(tuple(a if isinstance(a, bytes) else str(a).encode() for a in args))


def full_scan(store: Store, *head: str | bytes, count: int = 10, **options: str) -> list[bytes]:
    extra = [word for name, value in options.items() for word in (name.upper(), value)]
    found: list[bytes] = []
    cursor = b"0"
    for _ in range(10_000):
        cursor, batch = run(store, *head, cursor, "COUNT", count, *extra)
        found.extend(batch)
        if cursor == b"0":
            return found
    raise AssertionError("the scan never ended")


# -- cursors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arg", "value"),
    [
        (b"0", 0), (b"", 0), (b"+5", 5), (b"-1", 2**64 - 1), (b"-0", 0), (b"7\0junk", 7),
        (b"18446744073709551615", 2**64 - 1), (b"-18446744073709551615", 1), (b"\0x", 0),
    ],
)  # fmt: skip
def test_cursor_parses_as_strtoul(arg: bytes, value: int) -> None:
    assert parse_cursor(arg) == value


@pytest.mark.parametrize(
    "arg", [b" 1", b"1 ", b"0x1", b"18446744073709551616", b"+", b"-", b"1.0", b"\t0"]
)
def test_invalid_cursors(arg: bytes) -> None:
    store = Store()
    assert store.execute((b"SCAN", arg)) == ReplyError("ERR invalid cursor")
    run(store, "HSET", "h", "f", "v")
    assert store.execute((b"HSCAN", b"h", arg)) == ReplyError("ERR invalid cursor")
    assert store.execute((b"SSCAN", b"missing", arg)) == ReplyError("ERR invalid cursor")


def test_options_and_errors() -> None:
    store = Store()
    syntax = ReplyError("ERR syntax error")
    assert run(store, "SCAN", 0, "COUNT", 0) == syntax
    assert run(store, "SCAN", 0, "COUNT", "x") == ReplyError(
        "ERR value is not an integer or out of range"
    )
    assert run(store, "SCAN", 0, "COUNT") == syntax
    assert run(store, "SCAN", 0, "NOVALUES") == syntax
    assert run(store, "SCAN", 0, "TYPE", "bogus") == [b"0", []]
    # A missing key answers an empty scan before its options are even read.
    assert run(store, "HSCAN", "nokey", 0, "BAD") == [b"0", []]
    run(store, "HSET", "h", "f", "v")
    assert run(store, "HSCAN", "h", 0, "NOVALUES") == syntax  # Redis 7.4's, not 7.0's
    assert run(store, "HSCAN", "h", 0, "TYPE", "hash") == syntax
    run(store, "SET", "s", "v")
    assert run(store, "SSCAN", "s", 0) == ReplyError(
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    )


def test_match_type_and_replies() -> None:
    store = Store()
    run(store, "MSET", "s1", "a", "s2", "b")
    run(store, "RPUSH", "l1", "x")
    run(store, "HSET", "h1", "f1", "1", "g", "2")
    run(store, "SADD", "z1", "m1", "n", "m2")
    assert sorted(full_scan(store, "SCAN")) == [b"h1", b"l1", b"s1", b"s2", b"z1"]
    assert sorted(full_scan(store, "SCAN", count=1, match="s*")) == [b"s1", b"s2"]
    assert full_scan(store, "SCAN", count=2, type="LIST") == [b"l1"]
    assert sorted(full_scan(store, "SCAN", type="string", match="*2")) == [b"s2"]
    assert full_scan(store, "HSCAN", "h1", count=1, match="f*") == [b"f1", b"1"]
    assert sorted(full_scan(store, "SSCAN", "z1", count=1, match="m?")) == [b"m1", b"m2"]
    assert run(store, "HSCAN", "h1", 0) == [b"0", [b"f1", b"1", b"g", b"2"]]


def test_expired_keys_are_not_returned() -> None:
    now = [1000.0]
    store = Store(lambda: now[0])
    run(store, "SET", "gone", "v", "PX", 10)
    run(store, "SET", "kept", "v")
    now[0] += 1
    assert full_scan(store, "SCAN") == [b"kept"]


def test_each_call_walks_count_elements() -> None:
    store = Store()
    for i in range(1000):
        run(store, "SET", f"k{i}", i)
    cursor, batch = run(store, "SCAN", 0, "COUNT", 7)
    assert len(batch) == 7 and cursor != b"0"
    cursor, batch = run(store, "SCAN", cursor, "COUNT", 100)
    assert len(batch) == 100
    assert len(set(full_scan(store, "SCAN", count=33))) == 1000


def test_a_cursor_of_another_container_answers_the_rest_at_once() -> None:
    cursors = Cursors()
    first, second = set(range(100)), set(range(100, 200))
    cursor, batch = cursors.step(first, 0, 10)
    assert cursor and len(batch) == 10
    again, batch = cursors.step(second, cursor, 10)  # not the snapshot's container
    assert again == 0 and set(batch) == second


def test_an_evicted_snapshot_ends_its_scan_with_everything_left() -> None:
    cursors = Cursors(limit=2)
    items = set(range(50))
    cursor, first = cursors.step(items, 0, 10)
    cursor, second = cursors.step(items, cursor, 10)
    for _ in range(3):  # three newer scans push this one's snapshot out
        cursors.step(items, 0, 10)
    items.add(99)
    cursor, rest = cursors.step(items, cursor, 10)
    assert cursor == 0 and set(rest) == items
    assert len(set(first) | set(second)) == 20


# -- the guarantee under change --------------------------------------------------------------

names = st.integers(0, 60).map(lambda n: b"k%d" % n)
changes = st.lists(
    st.tuples(st.sampled_from(["add", "delete", "readd", "other-scan", "lost"]), names),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(
    initial=st.sets(names, max_size=40),
    kind=st.sampled_from(["SCAN", "HSCAN", "SSCAN"]),
    count=st.integers(1, 12),
    steps=st.lists(changes, max_size=40),
)
def test_elements_present_throughout_are_returned(
    initial: set[bytes], kind: str, count: int, steps: list[list[tuple[str, bytes]]]
) -> None:
    store = Store()
    # The element under scan is kept alive by a pinned element that is never deleted.
    head: tuple[str, ...]
    if kind == "SCAN":
        head = ("SCAN",)

        def add(name: bytes) -> None:
            run(store, "SET", name, "v")

        def delete(name: bytes) -> None:
            run(store, "DEL", name)

        run(store, "SET", "pin", "v")
    elif kind == "HSCAN":
        head = ("HSCAN", "h")

        def add(name: bytes) -> None:
            run(store, "HSET", "h", name, name)

        def delete(name: bytes) -> None:
            run(store, "HDEL", "h", name)

        run(store, "HSET", "h", "pin", "pin")
    else:
        head = ("SSCAN", "s")

        def add(name: bytes) -> None:
            run(store, "SADD", "s", name)

        def delete(name: bytes) -> None:
            run(store, "SREM", "s", name)

        run(store, "SADD", "s", "pin")
    for name in initial:
        add(name)
    present = set(initial) | {b"pin"}
    throughout = set(present)
    ever = set(present)
    returned: set[bytes] = set()
    cursor: bytes = b"0"
    calls = 0
    while True:
        cursor, batch = run(store, *head, cursor, "COUNT", count)
        found = batch[::2] if kind == "HSCAN" else batch
        assert set(found) <= present, (found, present)  # alive when returned
        returned.update(found)
        calls += 1
        if cursor == b"0":
            break
        assert calls < 2000, "the scan never ended"
        for action, name in steps[calls - 1] if calls - 1 < len(steps) else ():
            if action == "add" or (action == "readd" and name in ever):
                add(name)
                present.add(name)
                ever.add(name)
            elif action == "delete":
                delete(name)
                present.discard(name)
                throughout.discard(name)
            elif action == "lost":
                # A call whose reply never arrived: a retry sends the same cursor again.
                run(store, *head, cursor, "COUNT", count)
            else:
                run(store, *head, 0, "COUNT", 1)  # another scan: a snapshot of its own
    assert ever >= returned
    assert throughout <= returned, throughout - returned


@settings(max_examples=50, deadline=None)
@given(count=st.integers(1, 5), recreate_at=st.integers(0, 10))
def test_a_container_deleted_and_recreated_mid_scan(count: int, recreate_at: int) -> None:
    store = Store()
    run(store, "SADD", "s", *range(30))
    cursor, calls = b"0", 0
    while True:
        cursor, _ = run(store, "SSCAN", "s", cursor, "COUNT", count)
        calls += 1
        if calls == recreate_at:
            run(store, "DEL", "s")
            run(store, "SADD", "s", *range(100, 120))
        if cursor == b"0":
            break
        assert calls < 500


def test_many_scans_at_once_all_end() -> None:
    store = Store()
    for i in range(200):
        run(store, "SET", f"k{i}", i)
    scans = [b"0"] * (SNAPSHOTS * 2)  # more scans than snapshots kept
    seen: list[set[bytes]] = [set() for _ in scans]
    done = [False] * len(scans)
    for _ in range(10_000):
        for i, cursor in enumerate(scans):
            if done[i]:
                continue
            scans[i], batch = run(store, "SCAN", cursor, "COUNT", 10)
            seen[i].update(batch)
            done[i] = scans[i] == b"0"
        if all(done):
            break
    assert all(done)
    assert all(len(s) == 200 for s in seen)


def test_zscan_yields_every_member_with_redis_score_text(redis_url: str) -> None:
    import random

    import kvs.sync
    from kvs.memory.store import Store

    rng = random.Random(7)
    scores = [b"0.1", b"3", b"-0", b"1e20", b"-inf", b"inf", b"2.5", b"-7", b"1e-300"]
    store = Store()
    with kvs.sync.connect(redis_url, decode=False) as db:
        for size in (5, 300):
            db.execute("DEL", "z")
            args: list[bytes] = []
            for i in range(size):
                args += [rng.choice(scores), b"m%d" % i]
            db.execute("ZADD", "z", *args)
            store.execute([b"DEL", b"z"])
            store.execute([b"ZADD", b"z", *args])
            for pattern in (None, b"m1*"):
                extra = [b"MATCH", pattern] if pattern else []
                seen: dict[str, dict[bytes, bytes]] = {"redis": {}, "memory": {}}
                runners: list[tuple[str, Callable[..., Any]]] = [
                    ("redis", db.execute), ("memory", lambda *a: store.execute(list(a)))]
                for name, run in runners:
                    cursor = b"0"
                    while True:
                        cursor, words = run(b"ZSCAN", b"z", cursor, b"COUNT", b"20", *extra)
                        seen[name].update(zip(words[::2], words[1::2], strict=True))
                        if cursor == b"0":
                            break
                assert seen["memory"] == seen["redis"]
    assert store.execute([b"ZSCAN", b"nokey", b"0"]) == [b"0", []]


@pytest.mark.parametrize(
    "remove",
    [
        [("DEL", "k29")],
        [("UNLINK", "k29")],
        [("GETDEL", "k29")],
        [("RENAME", "k29", "new")],
        [("LPOP", "list")],  # the list's last element: the key goes
        [("SREM", "set", "m")],
        [("HDEL", "hash", "f")],
        [("SET", "k29", "v", "PX", "1"), ("sleep",), ("DBSIZE",), ("PERSIST", "k0")],
    ],
)
def test_a_key_removed_mid_scan_is_not_returned(remove: list[tuple[str, ...]]) -> None:
    # A page of a scan whose keyspace lost no key is a slice of the snapshot, with no lookup
    # per key: every way a key can leave the keyspace must be seen, or it would come back.
    import time

    store = Store()
    for i in range(30):
        run(store, "SET", f"k{i}", i)
    run(store, "RPUSH", "list", "a")
    run(store, "SADD", "set", "m")
    run(store, "HSET", "hash", "f", "v")
    before = set(run(store, "KEYS", "*"))
    cursor, seen = run(store, "SCAN", 0, "COUNT", 3)
    for command in remove:
        if command == ("sleep",):
            time.sleep(0.005)
            for _ in range(200):  # enough calls for the periodic sweep to run
                run(store, "DBSIZE")
        else:
            run(store, *command)
    gone = {b"k29", b"list", b"set", b"hash"} - set(run(store, "KEYS", "*"))
    assert gone
    while cursor != b"0":
        cursor, batch = run(store, "SCAN", cursor, "COUNT", 3)
        seen += batch
    assert not gone & set(seen), gone & set(seen)
    assert before - gone <= set(seen)  # the keys present throughout


def test_a_cursor_answered_again_gives_the_same_page_while_no_key_changes() -> None:
    # What a retried SCAN sees when its first reply was lost on the way.
    store = Store()
    for i in range(100):
        run(store, "SET", f"k{i}", i)
    run(store, "SET", "k5", "new value")  # a value changes, the keys do not
    cursor, first = run(store, "SCAN", 0, "COUNT", 10)
    _, page = run(store, "SCAN", cursor, "COUNT", 10)
    again, same = run(store, "SCAN", cursor, "COUNT", 10)
    assert same == page
    seen = first + same
    while again != b"0":
        again, batch = run(store, "SCAN", again, "COUNT", 10)
        seen += batch
    assert sorted(seen) == sorted(run(store, "KEYS", "*"))  # each key once


def test_keys_added_mid_scan_bring_no_repeats() -> None:
    store = Store()
    for i in range(50):
        run(store, "SET", f"k{i}", i)
    cursor, seen = run(store, "SCAN", 0, "COUNT", 7)
    run(store, "SET", "late", "v")
    while cursor != b"0":
        cursor, batch = run(store, "SCAN", cursor, "COUNT", 7)
        seen += batch
    assert len(seen) == len(set(seen)) >= 50
