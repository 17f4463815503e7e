# Generated from kvs/client/pubsub.py by scripts/unasync.py: do not edit; edit the source
# and run `python scripts/unasync.py`.
"""`Subscription`: pub/sub on a connection of its own.

Theory of operation: a subscription is a thin layer over its backend's *subscriber* (a
``subscriber()`` of the driver: a dedicated Redis connection, or the in-process store's
broker), which does all the I/O:

- ``command(verb, names)`` records what the subscription holds (`kvs.commands.pubsub.Holdings`)
  and writes the command; confirmations are read but never shown;
- ``receive(timeout)`` returns the next `Message`, `GAP` once after a reconnection, or None
  when `timeout` passes (or the subscription was closed).  A Redis subscriber that finds its
  connection broken (or silent: no answer to the PING it sends when idle for
  ``health_check_interval``) reconnects with backoff and resubscribes to everything held
  before it returns the gap, so nothing read after the gap is older than the new connection.

It reads only as fast as the caller takes messages: what the server sends meanwhile waits in
the socket buffers and then in the server's output buffer, whose limit (Redis's
``client-output-buffer-limit pubsub``) ends in a cut connection, a gap, and recovery.

Any task may change the channels while another iterates; cancelling the iterating task leaves
the subscription usable; leaving ``with`` closes the connection, which unsubscribes.
This folder is also the source of the blocking client (``scripts/unasync.py``).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, Self

from ...commands.pubsub import GAP, Message, channel_names
from ...commands.types import Key

__all__ = ["GAP", "Message", "Subscriber", "Subscription"]


class Subscriber(Protocol):
    """What a backend's ``subscriber()`` returns: one subscription's connection."""

    def open(self) -> None: ...
    def command(self, verb: bytes, names: tuple[bytes, ...]) -> None: ...
    def receive(self, timeout: float | None) -> Message | None: ...
    def close(self) -> None: ...


class Subscription:
    """A pub/sub subscription; get one from ``db.subscribe(...)`` and use it with ``with``.

    Iterate it with ``async for`` (for ever, until it is closed), or take one message at a
    time with `get`.  After a reconnection the first message is ``Message(kind="gap")``:
    messages published while the connection was down may be lost.

    Example::

        with db.subscribe("news") as sub:
            sub.psubscribe("alerts:*")
            async for m in sub:
                print(m.kind, m.channel, m.data)    # message news hello
    """

    def __init__(self, subscriber: Any, first: tuple[bytes, tuple[bytes, ...]]) -> None:
        self._subscriber: Subscriber = subscriber
        self._first = first
        self._state = "new"

    def __repr__(self) -> str:
        return f"<kvs.sync.Subscription ({self._state})>"

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Open the subscription's connection and subscribe to what it was made with; on
        return the server has confirmed it, so what is published from now on arrives.

        Raises:
            kvs.ConnectionError, kvs.TimeoutError: the server could not be reached.
        """
        if self._state != "new":
            raise RuntimeError(f"this subscription is {self._state}")
        self._state = "open"
        try:
            verb, names = self._first
            if names:  # recorded first, so that opening subscribes and waits for the server
                self._subscriber.command(verb, names)
            self._subscriber.open()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the connection (which ends every subscription it holds); iteration ends."""
        self._state = "closed"
        self._subscriber.close()

    def get(self, timeout: float | None = None) -> Message | None:
        """The next message, or None when `timeout` seconds pass first (or it was closed).

        Raises:
            kvs.ResponseError: the server refused the subscription (e.g. no permission), or
                a reconnection (a wrong password after a restart).
        """
        if self._state != "open":
            raise RuntimeError(f"this subscription is {self._state}: use `with`")
        return self._subscriber.receive(timeout)

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Message:
        if self._state == "open":
            message = self._subscriber.receive(None)
            if message is not None:
                return message
        raise StopIteration

    def subscribe(self, *channels: Key) -> None:
        """Subscribe to more channels."""
        self._command(b"SUBSCRIBE", "subscribe", channels, True)

    def unsubscribe(self, *channels: Key) -> None:
        """Leave these channels (all of them when none is named)."""
        self._command(b"UNSUBSCRIBE", "unsubscribe", channels, False)

    def psubscribe(self, *patterns: Key) -> None:
        """Subscribe to every channel matching these glob patterns (``news.*``)."""
        self._command(b"PSUBSCRIBE", "psubscribe", patterns, True)

    def punsubscribe(self, *patterns: Key) -> None:
        """Leave these patterns (all of them when none is named)."""
        self._command(b"PUNSUBSCRIBE", "punsubscribe", patterns, False)

    def ssubscribe(self, *channels: Key) -> None:
        """Subscribe to more shard channels (Redis 7's sharded pub/sub)."""
        self._command(b"SSUBSCRIBE", "ssubscribe", channels, True)

    def sunsubscribe(self, *channels: Key) -> None:
        """Leave these shard channels (all of them when none is named)."""
        self._command(b"SUNSUBSCRIBE", "sunsubscribe", channels, False)

    def _command(self, verb: bytes, op: str, names: tuple[Key, ...], adds: bool) -> None:
        argv = channel_names(op, names)
        if self._state != "open":
            raise RuntimeError(f"this subscription is {self._state}: use `with`")
        if adds and not argv:
            return  # nothing to add (Redis would refuse the empty command)
        self._subscriber.command(verb, argv)
