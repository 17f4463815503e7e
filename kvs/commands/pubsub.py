"""Pub/sub: the PUBLISH and SPUBLISH operations, and the sans-IO half of a subscription.

A subscription is a connection of its own (see `kvs.client.pubsub`), but what it holds, how
it resubscribes and how a server's push becomes a `Message` is the same for every transport,
so it lives here, with no I/O:

- `Holdings`: the channels, patterns and shard channels a subscription holds, changed as each
  (un)subscribe command is *sent* (not when the server confirms it), so that a connection
  opened after a break resubscribes to exactly what the caller asked for last;
- `to_message`: a reply read on a subscription connection (a RESP3 push, or a RESP2 array) as
  a `Message`, or None for what is not a message (subscribe confirmations, PING's answer);
- `GAP`: the marker a subscription yields once after it reconnected, before anything read on
  the new connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from ._args import key_bytes, value_bytes
from ._call import NO_KEYS, Call, operation
from ._decode import integer
from .types import Key, Value

__all__ = ["GAP", "SUBSCRIBE_VERBS", "Holdings", "Message", "channel_names",
           "is_confirmation", "publish", "spublish", "to_message"]


class Message(NamedTuple):
    """One message read from a subscription.

    Attributes:
        kind: ``"message"`` (a channel), ``"pmessage"`` (a pattern), ``"smessage"`` (a
            shard channel), or ``"gap"``: the subscription reconnected, and messages
            published while it was away may be lost (re-read whatever state they tell of).
        channel: the channel it was published on (str, or bytes with ``decode=False``);
            None for a gap.
        data: the message (str, or bytes with ``decode=False``); None for a gap.
        pattern: the pattern that matched, for ``pmessage``; else None.
    """

    kind: str
    channel: str | bytes | None
    data: str | bytes | None
    pattern: str | bytes | None = None


GAP = Message("gap", None, None)

# subscribe verb -> (the kind of name it takes, whether it adds).
SUBSCRIBE_VERBS: dict[bytes, tuple[str, bool]] = {
    b"SUBSCRIBE": ("channels", True), b"UNSUBSCRIBE": ("channels", False),
    b"PSUBSCRIBE": ("patterns", True), b"PUNSUBSCRIBE": ("patterns", False),
    b"SSUBSCRIBE": ("shards", True), b"SUNSUBSCRIBE": ("shards", False),
}
_RESUBSCRIBE = ((b"SUBSCRIBE", "channels"), (b"PSUBSCRIBE", "patterns"),
                (b"SSUBSCRIBE", "shards"))


class Holdings:
    """What one subscription holds, in the order it was asked for."""

    def __init__(self) -> None:
        self.channels: dict[bytes, None] = {}
        self.patterns: dict[bytes, None] = {}
        self.shards: dict[bytes, None] = {}

    def apply(self, verb: bytes, names: Iterable[bytes]) -> None:
        """Record a (un)subscribe command; an unsubscribe with no names drops its kind."""
        kind, adds = SUBSCRIBE_VERBS[verb]
        held: dict[bytes, None] = getattr(self, kind)
        names = tuple(names)
        if adds:
            held.update(dict.fromkeys(names))
        elif names:
            for name in names:
                held.pop(name, None)
        else:
            held.clear()

    def commands(self) -> list[tuple[bytes, ...]]:
        """The commands that subscribe a fresh connection to everything held."""
        return [(verb, *held) for verb, kind in _RESUBSCRIBE if (held := getattr(self, kind))]

    def __len__(self) -> int:
        return len(self.channels) + len(self.patterns) + len(self.shards)


def channel_names(op: str, names: Iterable[object], what: str = "channel") -> tuple[bytes, ...]:
    """Channel names or patterns as bytes, each checked like a key."""
    return tuple(key_bytes(op, name, what) for name in names)


_CONFIRMATIONS = (b"subscribe", b"psubscribe", b"ssubscribe")


def is_confirmation(reply: Any) -> bool:
    """Whether `reply` confirms one name of a SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE."""
    return isinstance(reply, list) and len(reply) == 3 and reply[0] in _CONFIRMATIONS


def _text(value: Any, decode: bool) -> Any:
    if decode and type(value) is bytes:
        return value.decode("utf-8", "replace")
    return value


def to_message(reply: Any, decode: bool) -> Message | None:
    """The `Message` a subscription reply carries, or None when it carries none.

    ``[b"message", channel, data]``, ``[b"smessage", channel, data]`` and ``[b"pmessage",
    pattern, channel, data]`` are messages, RESP3 pushes and RESP2 arrays alike; confirmations
    (``subscribe``, ``unsubscribe``, ...) and PING's answer are not.
    """
    if not isinstance(reply, list) or len(reply) < 3:
        return None
    kind = reply[0]
    if kind in (b"message", b"smessage"):
        if len(reply) != 3:
            return None
        return Message(kind.decode(), _text(reply[1], decode), _text(reply[2], decode))
    if kind == b"pmessage" and len(reply) == 4:
        return Message("pmessage", _text(reply[2], decode), _text(reply[3], decode),
                       _text(reply[1], decode))
    return None


@operation
def publish(channel: Key, message: Value) -> Call[int]:
    """Send `message` to every subscriber of `channel` (and of the patterns matching it).

    Returns:
        How many subscriptions received it: a client subscribed by channel and by a
        matching pattern counts twice (Redis's count).  Messages are not stored: with no
        subscriber the message is gone.

    Example::

        await db.publish("news", "hello")   # 1
    """
    argv = (b"PUBLISH", key_bytes("publish", channel, "channel"),
            value_bytes("publish", message, "message"))
    return Call(argv, integer, False, NO_KEYS)


@operation
def spublish(channel: Key, message: Value) -> Call[int]:
    """Send `message` to the subscribers of the shard channel `channel` (Redis 7).

    Returns:
        How many shard subscriptions received it.
    """
    argv = (b"SPUBLISH", key_bytes("spublish", channel, "channel"),
            value_bytes("spublish", message, "message"))
    # A shard channel is no key (COMMAND GETKEYS leaves it out); cluster routing finds it
    # through kvs.commands.traits.SHARD_CHANNELS.
    return Call(argv, integer, False, NO_KEYS)
