"""Differential test of MULTI/EXEC/DISCARD/WATCH/UNWATCH: the store's `Session`s against two
connections to a real redis-server.

Two clients take turns: a hypothesis state machine draws transaction commands (nested
MULTI, EXEC or DISCARD without MULTI, WATCH inside MULTI, wrong arities), the data commands
of `tests.test_memory_vs_redis` (so keys are touched, or not, by every kind of write,
including ones that change nothing) and commands Redis refuses at queue time.  Every reply
must match, EXEC's array element by element.  Scripted cases add what a random walk rarely
finds: a watched key that expires, FLUSHALL, and writes that change nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from kvs.memory.store import Store
from kvs.memory.transactions import Session
from tests.servers import RedisServer
from tests.test_memory_vs_redis import COMMANDS, EXAMPLES, RawRedis, keys, same_reply

Clients = tuple[tuple[RawRedis, RawRedis], tuple[Session, Session], Store]


@pytest.fixture(scope="module")
def redis_pair() -> Iterator[tuple[RawRedis, RawRedis]]:
    with RedisServer() as server:
        a, b = RawRedis(server.host, server.port), RawRedis(server.host, server.port)
        try:
            yield a, b
        finally:
            a.close()
            b.close()


def _reset(redis_pair: tuple[RawRedis, RawRedis]) -> Clients:
    for client in redis_pair:
        client.call(b"DISCARD")
        client.call(b"UNWATCH")
    redis_pair[0].call(b"FLUSHALL")
    store = Store()
    return redis_pair, (Session(store), Session(store)), store


class Pair:
    """The same command on a Redis connection and on a store session, compared."""

    def __init__(self, clients: Clients) -> None:
        self.redis, self.sessions, self.store = clients
        self.queued: list[list[tuple[bytes, ...]] | None] = [None, None]

    def run(self, who: int, *argv: bytes) -> Any:
        theirs = self.redis[who].call(*argv)
        mine = self.sessions[who].execute(argv)
        name = argv[0].upper()
        queued = self.queued[who]
        if name == b"EXEC" and isinstance(theirs, list) and queued is not None:
            assert isinstance(mine, list) and len(mine) == len(theirs), (argv, mine, theirs)
            for sent, one, other in zip(queued, mine, theirs, strict=True):
                assert same_reply(sent, one, other), (sent, one, other)
        elif queued is not None and theirs == "QUEUED":
            assert mine == "QUEUED", (argv, mine)
            queued.append(argv)
        else:
            assert same_reply(argv, mine, theirs), (argv, mine, theirs)
        if name == b"MULTI" and theirs == "OK":
            self.queued[who] = []
        elif name in (b"EXEC", b"DISCARD") and queued is not None:
            self.queued[who] = None
        return theirs


transaction_commands = st.one_of(
    st.just((b"MULTI",)), st.just((b"EXEC",)), st.just((b"DISCARD",)), st.just((b"UNWATCH",)),
    st.lists(keys, min_size=1, max_size=3).map(lambda ks: (b"WATCH", *ks)),
    st.sampled_from([(b"WATCH",), (b"MULTI", b"x"), (b"EXEC", b"x"), (b"UNWATCH", b"x"),
                     (b"DISCARD", b"x"), (b"GET",), (b"SET", b"a")]),
)  # fmt: skip


def test_transactions_answer_like_redis(redis_pair: tuple[RawRedis, RawRedis]) -> None:
    class Differential(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.pair = Pair(_reset(redis_pair))

        @rule(who=st.sampled_from([0, 1]), argv=transaction_commands)
        def transaction(self, who: int, argv: tuple[bytes, ...]) -> None:
            self.pair.run(who, *argv)

        @rule(who=st.sampled_from([0, 1]), argv=COMMANDS)
        def command(self, who: int, argv: tuple[bytes, ...]) -> None:
            self.pair.run(who, *argv)

    run_state_machine_as_test(
        Differential,
        settings=settings(
            max_examples=max(20, EXAMPLES // 4),
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )


SCRIPTS: dict[str, list[tuple[int, tuple[bytes, ...]]]] = {
    "same value still touches": [
        (1, (b"SET", b"k", b"v")), (0, (b"WATCH", b"k")), (1, (b"SET", b"k", b"v")),
        (0, (b"MULTI",)), (0, (b"GET", b"k")), (0, (b"EXEC",))],
    "nothing changed": [
        (1, (b"SET", b"k", b"v")), (1, (b"SADD", b"s", b"m")), (0, (b"WATCH", b"k", b"s", b"x")),
        (1, (b"SET", b"k", b"w", b"NX")), (1, (b"SADD", b"s", b"m")), (1, (b"DEL", b"x")),
        (1, (b"SREM", b"s", b"nope")), (1, (b"PERSIST", b"k")), (1, (b"EXPIRE", b"x", b"10")),
        (0, (b"MULTI",)), (0, (b"GET", b"k")), (0, (b"EXEC",))],
    "flushall touches existing keys only": [
        (0, (b"WATCH", b"missing")), (1, (b"FLUSHALL",)), (0, (b"MULTI",)), (0, (b"EXEC",)),
        (1, (b"SET", b"k", b"v")), (0, (b"WATCH", b"k")), (1, (b"FLUSHALL",)),
        (0, (b"MULTI",)), (0, (b"EXEC",))],
    "watch by the writer itself, and queued-time errors": [
        (0, (b"WATCH", b"k")), (0, (b"INCR", b"k")), (0, (b"MULTI",)), (0, (b"INCR", b"k")),
        (0, (b"EXEC",)), (0, (b"MULTI",)), (0, (b"MULTI",)), (0, (b"WATCH", b"k")),
        (0, (b"INCR", b"k")), (0, (b"EXEC",)), (0, (b"MULTI",)), (0, (b"GET",)),
        (0, (b"INCR", b"k")), (0, (b"EXEC",)), (0, (b"GET", b"k")), (0, (b"EXEC",)),
        (0, (b"DISCARD",))],
    "discard and exec unwatch": [
        (0, (b"WATCH", b"k")), (0, (b"MULTI",)), (0, (b"DISCARD",)), (1, (b"SET", b"k", b"1")),
        (0, (b"MULTI",)), (0, (b"GET", b"k")), (0, (b"EXEC",)), (0, (b"WATCH", b"k")),
        (0, (b"MULTI",)), (0, (b"UNWATCH",)), (0, (b"EXEC",)), (1, (b"SET", b"k", b"2")),
        (0, (b"MULTI",)), (0, (b"GET", b"k")), (0, (b"EXEC",))],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_scripted_transactions(redis_pair: tuple[RawRedis, RawRedis], name: str) -> None:
    pair = Pair(_reset(redis_pair))
    for who, argv in SCRIPTS[name]:
        pair.run(who, *argv)


def test_watched_key_that_expires_aborts_exec(redis_pair: tuple[RawRedis, RawRedis]) -> None:
    pair = Pair(_reset(redis_pair))
    pair.run(1, b"SET", b"k", b"v", b"PX", b"50")
    pair.run(1, b"SET", b"gone", b"v", b"PX", b"1")
    time.sleep(0.01)
    pair.run(0, b"WATCH", b"k", b"gone")  # "gone" has expired already: it is no change
    time.sleep(0.12)
    pair.run(0, b"MULTI")
    pair.run(0, b"SET", b"other", b"1")
    assert pair.run(0, b"EXEC") is None  # "k" expired while watched
    pair.run(0, b"WATCH", b"gone")
    pair.run(1, b"GET", b"gone")
    pair.run(0, b"MULTI")
    assert pair.run(0, b"EXEC") == []
