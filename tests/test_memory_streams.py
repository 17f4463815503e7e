"""Unit tests of the store's streams: what needs a clock or a blocked read.

Replies are redis-server 7.0's (``test_memory_vs_redis_streams.py`` compares the rest with a
real server); a fake clock makes ids, idle times and delivery counts exact.
"""

from __future__ import annotations

from typing import Any

import pytest

from kvs.commands.traits import blocking_seconds, is_blocking
from kvs.memory.store import Store
from kvs.memory.waiting import WouldBlock
from resp import ReplyError
from tests.test_memory_store import FakeClock, clock, run, store

__all__ = ["clock", "store"]  # the fixtures, shared with test_memory_store


def _ms(reply: bytes) -> tuple[int, int]:
    ms, seq = reply.split(b"-")
    return int(ms), int(seq)


def attempt(store: Store, argv: tuple[bytes, ...]) -> Any:
    """The command's handler itself, under the store's lock: what it raises reaches the test
    (`Store.execute` turns a `WouldBlock` into a wait or its timeout reply)."""
    with store._lock:
        return store._table[argv[0]][0](argv)


def test_automatic_ids_follow_the_clock_and_never_go_back(store: Store,
                                                           clock: FakeClock) -> None:
    first = _ms(run(store, "XADD", "s", "*", "f", "v"))
    assert first[1] == 0
    assert _ms(run(store, "XADD", "s", "*", "f", "v")) == (first[0], 1)  # same millisecond
    clock.now -= 5  # the clock goes back five seconds
    assert _ms(run(store, "XADD", "s", "*", "f", "v")) == (first[0], 2)
    assert _ms(run(store, "XADD", "s", f"{first[0]}-*", "f", "v")) == (first[0], 3)
    clock.now += 7  # two seconds past the first id
    assert _ms(run(store, "XADD", "s", "*", "f", "v")) == (first[0] + 2000, 0)
    assert run(store, "XADD", "s", f"{first[0]}-9", "f", "v") == ReplyError(
        "ERR The ID specified in XADD is equal or smaller than the target stream top item")
    ids = [entry[0] for entry in run(store, "XRANGE", "s", "-", "+")]
    assert ids == sorted(ids, key=_ms) and len(ids) == 5
    assert run(store, "XLEN", "s") == 5


def test_the_last_possible_id(store: Store) -> None:
    top = "18446744073709551615-18446744073709551615"
    assert run(store, "XADD", "s", top, "f", "v") == top.encode()
    assert run(store, "XADD", "s", "*", "f", "v") == ReplyError(
        "ERR The stream has exhausted the last possible ID, unable to add more items")
    run(store, "XADD", "t", "5-18446744073709551615", "f", "v")
    assert run(store, "XADD", "t", "5-*", "f", "v") == ReplyError(
        "ERR The ID specified in XADD is equal or smaller than the target stream top item")
    assert run(store, "XADD", "t", "*", "f", "v")  # the clock is past 5 ms


def test_idle_times_and_delivery_counts(store: Store, clock: FakeClock) -> None:
    run(store, "XADD", "s", "1-1", "f", "v")
    run(store, "XADD", "s", "1-2", "f", "w")
    run(store, "XGROUP", "CREATE", "s", "g", "0")
    run(store, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    clock.now += 1.5
    assert run(store, "XPENDING", "s", "g", "-", "+", "10") == [
        [b"1-1", b"alice", 1500, 1], [b"1-2", b"alice", 1500, 1]]
    assert run(store, "XPENDING", "s", "g", "IDLE", "1501", "-", "+", "10") == []
    # Reading the history again delivers again: the count grows, the idle time restarts.
    run(store, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "0")
    assert run(store, "XPENDING", "s", "g", "-", "+", "10") == [
        [b"1-1", b"alice", 0, 2], [b"1-2", b"alice", 1500, 1]]
    # XCLAIM respects the minimum idle time, and counts a delivery.
    assert run(store, "XCLAIM", "s", "g", "bob", "1000", "1-1", "1-2", "JUSTID") == [b"1-2"]
    clock.now += 1
    assert run(store, "XCLAIM", "s", "g", "bob", "1000", "1-1") == [[b"1-1", [b"f", b"v"]]]
    assert run(store, "XPENDING", "s", "g", "-", "+", "10") == [
        [b"1-1", b"bob", 0, 3], [b"1-2", b"bob", 1000, 1]]  # JUSTID does not count
    run(store, "XCLAIM", "s", "g", "bob", "0", "1-2", "IDLE", "5000", "RETRYCOUNT", "9")
    assert run(store, "XPENDING", "s", "g", "-", "+", "10", "bob")[1] == [
        b"1-2", b"bob", 5000, 9]
    # XAUTOCLAIM takes what has been idle long enough, from the cursor on.
    clock.now += 2
    assert run(store, "XAUTOCLAIM", "s", "g", "carol", "2500", "0") == [
        b"0-0", [[b"1-2", [b"f", b"w"]]], []]
    assert run(store, "XINFO", "CONSUMERS", "s", "g") == [
        {b"name": b"alice", b"pending": 0, b"idle": 3000},  # its last read
        {b"name": b"bob", b"pending": 1, b"idle": 2000},
        {b"name": b"carol", b"pending": 1, b"idle": 0},
    ]


def test_xautoclaim_reports_deleted_entries_and_pages(store: Store) -> None:
    for i in range(1, 6):
        run(store, "XADD", "s", f"{i}-0", "n", i)
    run(store, "XGROUP", "CREATE", "s", "g", "0")
    run(store, "XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    run(store, "XDEL", "s", "2-0")
    assert run(store, "XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "2", "JUSTID") == [
        b"3-0", [b"1-0"], [b"2-0"]]
    assert run(store, "XAUTOCLAIM", "s", "g", "b", "0", "3-0", "COUNT", "2", "JUSTID") == [
        b"5-0", [b"3-0", b"4-0"], []]
    assert run(store, "XAUTOCLAIM", "s", "g", "b", "0", "5-0", "JUSTID") == [
        b"0-0", [b"5-0"], []]
    assert run(store, "XPENDING", "s", "g")[0] == 4


def test_xread_block_raises_would_block_with_dollar_resolved(store: Store) -> None:
    run(store, "XADD", "s", "7-3", "f", "v")
    with pytest.raises(WouldBlock) as caught:
        attempt(store, (b"XREAD", b"BLOCK", b"1500", b"STREAMS", b"s", b"none", b"$", b"$"))
    blocked = caught.value
    assert blocked.keys == (b"s", b"none")
    assert blocked.timeout == 1.5
    assert blocked.timeout_reply is None
    assert blocked.retry == (b"XREAD", b"BLOCK", b"1500", b"COUNT", b"1000", b"STREAMS",
                             b"s", b"none", b"7-3", b"0-0")
    # The retry blocks again while nothing came, and serves what came since.
    with pytest.raises(WouldBlock):
        attempt(store, blocked.retry)
    run(store, "XADD", "none", "1-1", "g", "w")
    assert store.execute(blocked.retry) == {b"none": [[b"1-1", [b"g", b"w"]]]}
    # BLOCK 0 waits for ever; a COUNT given is kept.
    with pytest.raises(WouldBlock) as caught:
        attempt(store, (b"XREAD", b"COUNT", b"2", b"BLOCK", b"0", b"STREAMS", b"s", b"$"))
    assert caught.value.timeout is None
    assert caught.value.retry == (b"XREAD", b"COUNT", b"2", b"BLOCK", b"0", b"STREAMS", b"s",
                                  b"7-3")
    # Something to read: no blocking at all.
    assert run(store, "XREAD", "BLOCK", "0", "STREAMS", "s", "0") == {
        b"s": [[b"7-3", [b"f", b"v"]]]}


def test_xreadgroup_block_keeps_the_new_entries_id(store: Store) -> None:
    run(store, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    argv = (b"XREADGROUP", b"GROUP", b"g", b"c", b"BLOCK", b"10", b"STREAMS", b"s", b">")
    with pytest.raises(WouldBlock) as caught:
        attempt(store, argv)
    assert caught.value.retry == (b"XREADGROUP", b"GROUP", b"g", b"c", b"BLOCK", b"10",
                                  b"COUNT", b"1000", b"STREAMS", b"s", b">")
    assert caught.value.keys == (b"s",)
    assert run(store, "XINFO", "CONSUMERS", "s", "g") == []  # no consumer made by blocking
    run(store, "XADD", "s", "1-1", "f", "v")
    assert store.execute(caught.value.retry) == {b"s": [[b"1-1", [b"f", b"v"]]]}
    assert run(store, "XPENDING", "s", "g")[:3] == [1, b"1-1", b"1-1"]
    # The group's history is served at once, even when empty, so it never blocks.
    assert run(store, "XREADGROUP", "GROUP", "g", "other", "BLOCK", "10", "STREAMS", "s",
               "0") == {b"s": []}


def test_stream_is_a_type_of_the_keyspace(store: Store) -> None:
    run(store, "XADD", "s", "1-1", "f", "v")
    run(store, "XGROUP", "CREATE", "s", "g", "0")
    assert run(store, "TYPE", "s") == "stream"
    assert run(store, "SCAN", "0", "TYPE", "stream") == [b"0", [b"s"]]
    assert run(store, "COPY", "s", "t") == 1
    run(store, "XADD", "t", "2-2", "f", "w")  # a copy, not the same stream
    run(store, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "t", ">")
    assert run(store, "XLEN", "s") == 1
    assert run(store, "XPENDING", "s", "g")[0] == 0
    assert run(store, "RENAME", "t", "u") == "OK"
    assert run(store, "XPENDING", "u", "g")[0] == 2
    # An emptied stream stays, with its last id.
    run(store, "XDEL", "s", "1-1")
    assert run(store, "EXISTS", "s") == 1
    assert run(store, "XADD", "s", "1-1", "f", "v") == ReplyError(
        "ERR The ID specified in XADD is equal or smaller than the target stream top item")
    assert run(store, "GET", "s") == ReplyError(
        "WRONGTYPE Operation against a key holding the wrong kind of value")
    assert run(store, "DEL", "s", "u") == 2


def test_watch_sees_entries_change_only(store: Store) -> None:
    from kvs.memory.transactions import Session

    run(store, "XADD", "s", "1-1", "f", "v")
    run(store, "XGROUP", "CREATE", "s", "g", "0")
    session = Session(store)
    assert session.execute((b"WATCH", b"s")) == "OK"
    # Group changes do not touch the key in Redis 7.0 (no signalModifiedKey).
    run(store, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    run(store, "XACK", "s", "g", "1-1")
    for argv in ((b"MULTI",), (b"XLEN", b"s"), (b"EXEC",)):
        reply = session.execute(argv)
    assert reply == [1]
    session.execute((b"WATCH", b"s"))
    run(store, "XADD", "s", "2-2", "f", "v")
    for argv in ((b"MULTI",), (b"XLEN", b"s"), (b"EXEC",)):
        reply = session.execute(argv)
    assert reply is None


def test_blocking_classification() -> None:
    assert is_blocking((b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"))
    assert blocking_seconds((b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$")) is None
    assert blocking_seconds((b"XREAD", b"COUNT", b"5", b"block", b"250", b"STREAMS", b"s",
                             b"$")) == 0.25
    argv = (b"XREADGROUP", b"GROUP", b"block", b"block", b"BLOCK", b"2000", b"STREAMS",
            b"block", b">")
    assert is_blocking(argv) and blocking_seconds(argv) == 2.0
    # A key or an id spelled "block" is no BLOCK option.
    assert not is_blocking((b"XREAD", b"STREAMS", b"block", b"0"))
    assert not is_blocking((b"XREADGROUP", b"GROUP", b"g", b"BLOCK", b"STREAMS", b"s", b">"))
    assert not is_blocking((b"XADD", b"s", b"*", b"BLOCK", b"1"))
