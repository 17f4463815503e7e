"""Pub/sub in the in-process store: one `Broker` per store, shared by every client and thread.

Theory of operation.  A subscription is a `Mailbox`: what it holds (channels, patterns, shard
channels, in the order subscribed) and a queue of the pushes the broker delivered to it, as
Redis 7.0 would send them over RESP3 (`resp.Push`): the subscribe/unsubscribe confirmations
with Redis's counts (channels plus patterns; shard channels counted apart), then
``message`` / ``pmessage`` / ``smessage``.  PUBLISH runs under the store's lock like any
command and appends to each receiving mailbox under that mailbox's own lock; it never waits
for a reader.  A reader is woken by the mailbox's `wake` callback (a trio subscriber passes one
that goes through its trio token's ``run_sync_soon``, safe from any thread) or waits on the
mailbox's condition (a thread).

The queue is bounded (`MAILBOX_LIMIT` pushes): a reader slower than its publishers loses
what is queued when the limit is reached, and its next read is `GAP`, as a Redis subscriber
whose output buffer overflowed is cut off and comes back with a gap.

`PubSubCommands` is the store's mixin for PUBLISH, SPUBLISH and PUBSUB (CHANNELS, NUMSUB,
NUMPAT, SHARDCHANNELS, SHARDNUMSUB, HELP), with Redis's replies and errors.  Counting follows
Redis: a subscription holding a channel and two patterns that match it receives (and counts)
the message three times.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from resp import Push

from .glob import match
from .keyspace import CommandError

__all__ = ["MAILBOX_LIMIT", "Broker", "Mailbox", "PubSubCommands"]

MAILBOX_LIMIT = 65536

# verb -> (which names it changes, whether it adds, the confirmation's kind)
_VERBS: dict[bytes, tuple[str, bool, bytes]] = {
    b"SUBSCRIBE": ("channels", True, b"subscribe"),
    b"UNSUBSCRIBE": ("channels", False, b"unsubscribe"),
    b"PSUBSCRIBE": ("patterns", True, b"psubscribe"),
    b"PUNSUBSCRIBE": ("patterns", False, b"punsubscribe"),
    b"SSUBSCRIBE": ("shards", True, b"ssubscribe"),
    b"SUNSUBSCRIBE": ("shards", False, b"sunsubscribe"),
}


class Mailbox:
    """One subscription in a broker: what it holds and what was delivered to it."""

    def __init__(self, wake: Callable[[], None] | None = None, limit: int | None = None) -> None:
        self.held: dict[str, dict[bytes, None]] = {"channels": {}, "patterns": {}, "shards": {}}
        self._queue: collections.deque[Push] = collections.deque()
        self._limit = limit or MAILBOX_LIMIT
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._wake = wake
        self._waiting = False
        self.overflowed = False  # pushes were dropped since the last read
        self.closed = False

    def deliver(self, push: Push) -> None:
        """Queue `push` (any thread); wake the reader if it waits."""
        with self._lock:
            if len(self._queue) >= self._limit:
                self._queue.clear()
                self.overflowed = True
            self._queue.append(push)
            waiting, self._waiting = self._waiting, False
            self._ready.notify()
        if waiting and self._wake is not None:
            self._wake()

    def take(self) -> Push | bool | None:
        """The next push; True once after pushes were dropped; None when the queue is empty
        (the reader is then woken by the next delivery)."""
        with self._lock:
            if self.overflowed:
                self.overflowed = False
                return True
            if self._queue:
                return self._queue.popleft()
            self._waiting = True
            return None

    def wait(self, timeout: float | None) -> None:
        """Block the calling thread until something is queued, `timeout` passes or the
        mailbox is closed."""
        with self._lock:
            if not self._queue and not self.overflowed and not self.closed:
                self._ready.wait(timeout)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._ready.notify_all()
        if self._wake is not None:
            self._wake()

    def count(self, kind: str) -> int:
        """Redis's count in a confirmation: shard channels apart, the rest together."""
        if kind == "shards":
            return len(self.held["shards"])
        return len(self.held["channels"]) + len(self.held["patterns"])


class Broker:
    """Who holds which channel, pattern and shard channel in one store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.channels: dict[bytes, dict[Mailbox, None]] = {}
        self.patterns: dict[bytes, dict[Mailbox, None]] = {}
        self.shards: dict[bytes, dict[Mailbox, None]] = {}

    def command(self, mailbox: Mailbox, verb: bytes, names: Sequence[bytes]) -> None:
        """Run a (un)subscribe command for `mailbox`, queueing Redis's confirmations."""
        kind, adds, reply = _VERBS[verb]
        held = mailbox.held[kind]
        index: dict[bytes, dict[Mailbox, None]] = getattr(self, kind)
        with self._lock:
            if adds:
                for name in names:
                    held[name] = None
                    index.setdefault(name, {})[mailbox] = None
                    mailbox.deliver(Push([reply, name, mailbox.count(kind)]))
                return
            targets = list(names) if names else list(held)
            if not targets:
                mailbox.deliver(Push([reply, None, mailbox.count(kind)]))
            for name in targets:
                if held.pop(name, 0) is None:
                    self._forget(index, name, mailbox)
                mailbox.deliver(Push([reply, name, mailbox.count(kind)]))

    def remove(self, mailbox: Mailbox) -> None:
        """Drop every subscription of `mailbox`, silently (its connection closed)."""
        with self._lock:
            for kind, held in mailbox.held.items():
                index = getattr(self, kind)
                for name in held:
                    self._forget(index, name, mailbox)
                held.clear()

    @staticmethod
    def _forget(index: dict[bytes, dict[Mailbox, None]], name: bytes, mailbox: Mailbox) -> None:
        holders = index.get(name)
        if holders is not None:
            holders.pop(mailbox, None)
            if not holders:
                del index[name]

    def publish(self, channel: bytes, message: bytes) -> int:
        """Deliver to the channel's and the matching patterns' subscribers; their count."""
        with self._lock:
            receivers = 0
            holders = self.channels.get(channel)
            if holders:
                push = Push([b"message", channel, message])
                for mailbox in holders:
                    mailbox.deliver(push)
                receivers += len(holders)
            for pattern, holders in self.patterns.items():
                if match(pattern, channel):
                    push = Push([b"pmessage", pattern, channel, message])
                    for mailbox in holders:
                        mailbox.deliver(push)
                    receivers += len(holders)
            return receivers

    def spublish(self, channel: bytes, message: bytes) -> int:
        """Deliver to the shard channel's subscribers; their count."""
        with self._lock:
            holders = self.shards.get(channel)
            if not holders:
                return 0
            push = Push([b"smessage", channel, message])
            for mailbox in holders:
                mailbox.deliver(push)
            return len(holders)

    def active(self, kind: str, pattern: bytes | None) -> list[bytes]:
        with self._lock:
            names = list(getattr(self, kind))
        return [name for name in names if pattern is None or match(pattern, name)]

    def numsub(self, kind: str, names: Iterable[bytes]) -> list[Any]:
        index: dict[bytes, dict[Mailbox, None]] = getattr(self, kind)
        reply: list[Any] = []
        with self._lock:
            for name in names:
                reply += (name, len(index.get(name, ())))
        return reply


_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


class PubSubCommands:
    """The store's PUBLISH, SPUBLISH and PUBSUB (a mixin of `kvs.memory.store.Store`)."""

    broker: Broker

    def _cmd_publish(self, argv: Sequence[bytes]) -> Any:
        return self.broker.publish(argv[1], argv[2])

    def _cmd_spublish(self, argv: Sequence[bytes]) -> Any:
        return self.broker.spublish(argv[1], argv[2])

    def _cmd_pubsub(self, argv: Sequence[bytes]) -> Any:
        sub = argv[1].upper()
        n = len(argv)
        shown = argv[1].decode("utf-8", "replace")
        if sub in (b"CHANNELS", b"SHARDCHANNELS"):
            if n > 3:
                raise CommandError(f"ERR unknown subcommand or wrong number of arguments for "
                                   f"'{shown}'. Try PUBSUB HELP.")
            kind = "channels" if sub == b"CHANNELS" else "shards"
            return self.broker.active(kind, argv[2] if n == 3 else None)
        if sub in (b"NUMSUB", b"SHARDNUMSUB"):
            return self.broker.numsub("channels" if sub == b"NUMSUB" else "shards", argv[2:])
        if sub in (b"NUMPAT", b"HELP"):
            if n != 2:
                raise CommandError(f"ERR wrong number of arguments for "
                                   f"'pubsub|{sub.decode().lower()}' command")
            return len(self.broker.active("patterns", None)) if sub == b"NUMPAT" else _HELP
        raise CommandError(f"ERR unknown subcommand '{shown}'. Try PUBSUB HELP.")
