"""Pub/sub mode of one ``kvs serve`` connection, sans-IO: its subscriptions and its pushes.

Theory of operation.  A connection's subscriptions are a `Mailbox` in the store's `Broker`
(``kvs.memory.pubsub``), the same broker the in-process clients of that store use, so a
message published by any of them reaches a TCP subscriber and the other way round.  The
broker queues Redis's pushes in the mailbox (the (un)subscribe confirmations, ``message``,
``pmessage``, ``smessage``); `Subscriptions.drain` turns what is queued into bytes in the
client's protocol (RESP3 push frames ``>``, RESP2 arrays ``*``).

The session drains the mailbox after every command it runs (so the confirmations of a
SUBSCRIBE, and a message a client published to itself, come before the next reply, as Redis
writes them); a message published while the connection is idle wakes the listener through
the mailbox's callback, which drains it into an `Outbox`.

Slow subscribers.  Redis disconnects a pub/sub client whose output buffer passes 32 MiB, or
stays above 8 MiB for 60 seconds (``client-output-buffer-limit pubsub 32mb 8mb 60``).  An
`Outbox` holds the bytes waiting for one subscribed client and applies the same two limits
(read from CONFIG); a client over either is dropped, and nothing else waits for it: a
publisher never blocks on a subscriber.  The mailbox's own bound (`MAILBOX_LIMIT` pushes,
reached only while the server's thread is too busy to drain it) drops the client too.

In RESP2 a connection holding any subscription accepts only (P|S)SUBSCRIBE,
(P|S)UNSUBSCRIBE, PING, QUIT and RESET (`ALLOWED_WHEN_SUBSCRIBED`), with Redis's error for
anything else; in RESP3 every command runs, its replies interleaved with the pushes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from resp import Push, encode_reply

from ..memory.pubsub import MAILBOX_LIMIT, Broker, Mailbox

__all__ = ["ALLOWED_WHEN_SUBSCRIBED", "VERBS", "Outbox", "Raw", "Subscriptions",
           "not_allowed", "parse_output_limit"]

# The pub/sub verbs a session runs: upper-case name -> (arity, lower-case name).
VERBS: dict[bytes, tuple[int, str]] = {
    b"SUBSCRIBE": (-2, "subscribe"), b"PSUBSCRIBE": (-2, "psubscribe"),
    b"SSUBSCRIBE": (-2, "ssubscribe"), b"UNSUBSCRIBE": (-1, "unsubscribe"),
    b"PUNSUBSCRIBE": (-1, "punsubscribe"), b"SUNSUBSCRIBE": (-1, "sunsubscribe"),
}

ALLOWED_WHEN_SUBSCRIBED = frozenset(VERBS) | {b"PING", b"QUIT", b"RESET"}

# Redis 7.0's container commands: their name in errors and stats is ``container|sub``.
_CONTAINERS = frozenset({
    b"ACL", b"CLIENT", b"CLUSTER", b"COMMAND", b"CONFIG", b"FUNCTION", b"LATENCY", b"MEMORY",
    b"MODULE", b"OBJECT", b"PUBSUB", b"SCRIPT", b"SLOWLOG", b"XGROUP", b"XINFO",
})


class Raw(bytes):
    """Reply bytes already encoded (the session writes them as they are)."""


def not_allowed(argv: list[bytes], lower: str) -> str:
    """Redis's error for a command a RESP2 subscriber may not run."""
    name = lower
    if argv[0].upper() in _CONTAINERS and len(argv) >= 2:
        name = f"{lower}|{argv[1].decode('utf-8', 'replace').lower()}"
    return (f"ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
            "QUIT / RESET are allowed in this context")


def _bulk(value: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(value), value)


def _encode_push(push: Push, protocol: int) -> bytes:
    if push[0] == b"message":  # the common case, written without the generic encoder
        head = b">3\r\n$7\r\nmessage\r\n" if protocol == 3 else b"*3\r\n$7\r\nmessage\r\n"
        return head + _bulk(push[1]) + _bulk(push[2])
    return encode_reply(push, protocol)


class Subscriptions:
    """One connection's subscriptions: a mailbox in the store's broker.

    Args:
        broker: the store's broker.
        wake: called (from any thread) when a push arrives while nothing was waiting to be
            drained; the listener passes one that schedules a drain in its trio thread.
    """

    def __init__(self, broker: Broker, wake: Callable[[], None] | None = None) -> None:
        self.broker = broker
        self.mailbox = Mailbox(wake, limit=MAILBOX_LIMIT)

    def count(self) -> int:
        """How many channels, patterns and shard channels are held (0: not subscribed)."""
        held = self.mailbox.held
        return len(held["channels"]) + len(held["patterns"]) + len(held["shards"])

    def counts(self) -> tuple[int, int, int]:
        """(channels, patterns, shard channels) held, for CLIENT LIST."""
        held = self.mailbox.held
        return len(held["channels"]), len(held["patterns"]), len(held["shards"])

    def command(self, verb: bytes, names: list[bytes]) -> None:
        """Run one (un)subscribe verb; its confirmations wait in the mailbox."""
        self.broker.command(self.mailbox, verb, names)

    def drain(self, protocol: int) -> bytes | None:
        """Every queued push as bytes in `protocol`; None when pushes were lost (the
        mailbox overflowed: the client must be dropped)."""
        take = self.mailbox.take
        parts: list[bytes] = []
        while True:
            push = take()
            if push is None:
                return b"".join(parts)
            if push is True:
                return None
            if type(push) is Push:
                parts.append(_encode_push(push, protocol))

    def reset(self) -> None:
        """RESET: drop every subscription silently, and what was queued."""
        self.broker.remove(self.mailbox)
        while self.mailbox.take() is not None:
            pass

    def close(self) -> None:
        self.broker.remove(self.mailbox)
        self.mailbox.close()


def parse_output_limit(text: str) -> tuple[int, int, int]:
    """The pub/sub class of ``client-output-buffer-limit`` (``... pubsub 32mb 8mb 60``):
    (hard bytes, soft bytes, soft seconds); 0 means no limit."""
    from .state import parse_memory

    words = text.split()
    for i in range(0, len(words) - 3, 4):
        if words[i].lower() == "pubsub":
            hard = parse_memory(words[i + 1].encode())
            soft = parse_memory(words[i + 2].encode())
            if hard is not None and soft is not None and words[i + 3].isdigit():
                return hard, soft, int(words[i + 3])
    return 32 * 2**20, 8 * 2**20, 60


class Outbox:
    """The bytes waiting to be written to one subscribed client, bounded as Redis bounds a
    pub/sub client's output buffer.

    Args:
        hard: drop the client when more than this many bytes wait (0: no limit).
        soft, seconds: drop it when more than `soft` bytes have waited for `seconds`.

    Example:
        >>> box = Outbox(hard=10, soft=4, seconds=60)
        >>> box.add(b"abc", now=0.0), box.add(b"de", now=1.0), box.peek(4)
        (True, True, b'abcd')
        >>> box.consume(4); len(box)
        1
        >>> box.add(b"x" * 10, now=2.0)
        False
    """

    def __init__(self, hard: int, soft: int, seconds: int) -> None:
        self.hard = hard
        self.soft = soft
        self.seconds = seconds
        self._pending = bytearray()
        self._soft_since: float | None = None

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, data: bytes, now: float) -> bool:
        """Queue `data`; False when the client is now over a limit (drop it)."""
        self._pending += data
        size = len(self._pending)
        if self.hard and size > self.hard:
            return False
        if self.soft and size > self.soft:
            if self._soft_since is None:
                self._soft_since = now
            elif now - self._soft_since >= self.seconds:
                return False
        else:
            self._soft_since = None
        return True

    def peek(self, most: int) -> bytes:
        """The first `most` bytes waiting (a copy, for one write)."""
        return bytes(self._pending[:most])

    def consume(self, written: int) -> None:
        """Forget the first `written` bytes: the kernel took them."""
        del self._pending[:written]
        if self.soft and len(self._pending) <= self.soft:
            self._soft_since = None


def pubsub_command(session: Any, argv: list[bytes]) -> Any:
    """SUBSCRIBE and the five others: the confirmations come from the drain that follows
    every command of a subscribed session."""
    from resp import ReplyError

    if session.transaction.in_multi:
        return ReplyError("ERR Command not allowed inside a transaction")
    subscriptions = session.subscriptions()
    subscriptions.command(argv[0].upper(), argv[1:])
    return Raw()
