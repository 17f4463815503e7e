"""What a Redis subscription's connection decides, sans-IO: the part both subscribers share.

Theory of operation.  A subscription has one connection of its own (never shared).  Its two
drivers, `kvs.redis.subscriber` (trio) and `kvs.redis.blocking_subscriber` (threads), only
move bytes and wait; every decision is made here, by `SubscriberState`, their common base:

- What comes next (`next_event`): the gap marker once after a reconnection, then the
  messages read while the new connection was being confirmed, then what the reader
  (`kvs.redis.frames`) holds; `NEED_DATA` when it holds no complete reply.  Confirmations are
  skipped; an error reply (a refused subscribe, e.g. NOPERM) raises `kvs.ResponseError`; a
  malformed stream raises `resp.ProtocolError`, and the driver drops the connection.
- Health (`wait_until`, `silent`, `heard`): when nothing arrived for
  ``health_check_interval`` seconds the driver writes a PING, then waits ``timeout`` seconds
  for any byte; silence then is a broken connection (a half-open TCP connection never
  reports itself otherwise).  The idle clock outlives each receive, so a caller polling with
  short timeouts still gets its connection checked.  Times are the driver's clock.
- Reconnection (`resubscribe`, `confirm`, `adopt`, `reconnected`): a new connection gets one
  SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE for everything `Holdings` holds; the driver reads until
  the server confirmed every name, keeping the messages read meanwhile for after the gap,
  and only then is the connection adopted and the gap marked: whatever is published once
  the gap is seen reaches the subscription.  `backoff` is the delay before the next attempt.
"""

from __future__ import annotations

import collections

from resp import NEED_DATA, NeedData, ReplyError, encode_command
from resp import ProtocolError as RespProtocolError

from .._errors import ConnectionError, ProtocolError, response_error
from .._log import get_logger
from .._retry import backoff_delay
from .._url import Config
from ..commands.pubsub import GAP, Holdings, Message, is_confirmation
from .frames import SubscriptionReader

_log = get_logger("kvs.pubsub")

__all__ = ["BUFFER", "PING", "SubscriberState"]

PING = encode_command("PING")
BUFFER = 65536  # one read at a time, and only when the reader holds no complete reply


class SubscriberState:
    """The state and rules of one subscription's connection (see the module comment)."""

    def __init__(self, config: Config) -> None:
        self.name = config.display
        self._decode = config.decode
        self._interval = config.health_check_interval
        self.ping_timeout = config.timeout or config.health_check_interval or 10.0
        self.holdings = Holdings()
        self.reader = SubscriptionReader(config.decode)
        self.buffer = bytearray(BUFFER)
        self.view = memoryview(self.buffer)
        self.gap = False
        self.failures = 0
        self.closed = False
        self.early: collections.deque[Message] = collections.deque()  # read while confirming
        self.heard_at = 0.0  # when the connection last sent anything
        self.ping_sent: float | None = None  # a health-check PING waiting for its answer
        self.reconnects = 0

    # -- reading --------------------------------------------------------------------------

    def next_event(self) -> Message | NeedData:
        """The next message (or `GAP`), or `NEED_DATA` when bytes must be read first.

        Raises:
            resp.ProtocolError: the stream is malformed (drop the connection).
            kvs.ResponseError: the server refused a subscription.
        """
        if self.gap:
            self.gap = False
            return GAP
        if self.early:
            return self.early.popleft()
        reader = self.reader
        while True:
            reply = reader.next()
            if type(reply) is Message or reply is NEED_DATA:
                return reply
            if type(reply) is ReplyError:
                raise response_error(reply)

    def wait_until(self) -> float | None:
        """When silence becomes a health question (None: wait for ever)."""
        if self.ping_sent is not None:
            return self.ping_sent + self.ping_timeout
        if self._interval is not None:
            return self.heard_at + self._interval
        return None

    def silent(self, now: float) -> bool:
        """Nothing came by `wait_until`: True when the connection counts as broken (its PING
        went unanswered); False when a PING is to be written now."""
        if self.ping_sent is not None:
            return True
        self.ping_sent = now
        return False

    def heard(self, received: int, now: float) -> None:
        """`received` bytes arrived in `buffer`: feed them to the reader."""
        self.heard_at = now
        self.ping_sent = None
        self.reader.feed(self.view[:received])

    # -- (re)connecting ---------------------------------------------------------------------

    def resubscribe(self) -> tuple[bytes, int]:
        """The payload that subscribes a new connection to everything held, and how many
        confirmations it brings (b"", 0 when nothing is held)."""
        commands = self.holdings.commands()
        if not commands:
            return b"", 0
        payload = b"".join(encode_command(*argv) for argv in commands)
        return payload, sum(len(argv) - 1 for argv in commands)

    def new_reader(self) -> SubscriptionReader:
        return SubscriptionReader(self._decode)

    def confirm(self, reader: SubscriptionReader, expected: int, early: list[Message]) -> int:
        """Take what `reader` holds while confirming: messages go to `early`; returns the
        confirmations still expected (read more bytes while it is not 0).

        Raises:
            kvs.ProtocolError: the stream is malformed.
            kvs.ResponseError: the server refused a subscription.
        """
        while expected:
            try:
                reply = reader.next()
            except RespProtocolError as exc:
                raise ProtocolError(f"{self.name}: {exc}", sent=True) from exc
            if reply is NEED_DATA:
                break
            if type(reply) is Message:
                early.append(reply)
            elif is_confirmation(reply):
                expected -= 1
            elif type(reply) is ReplyError:
                raise response_error(reply)
        return expected

    def confirming(self, reader: SubscriptionReader, received: int) -> None:
        """`received` bytes came in `buffer` while confirming (0: the server closed)."""
        if not received:
            raise ConnectionError(f"connection to {self.name} closed by the server", sent=True)
        reader.feed(self.view[:received])

    def adopt(self, reader: SubscriptionReader, early: list[Message], now: float) -> None:
        """A new connection is confirmed: read it from now on.

        Raises:
            kvs.ConnectionError: the subscription was closed meanwhile.
        """
        if self.closed:
            raise ConnectionError(f"subscription to {self.name} is closed")
        self.early.extend(early)
        self.reader = reader
        self.heard_at = now
        self.ping_sent = None

    def backoff(self) -> float:
        """How long to wait before the next connection attempt."""
        return backoff_delay(self.failures)

    def reconnect_failed(self, exc: Exception) -> None:
        self.failures += 1
        _log.warning("subscription to %s: cannot reconnect (%d failed in a row): %s",
                     self.name, self.failures, exc)

    def reconnected(self) -> None:
        self.failures = 0
        self.reconnects += 1
        self.gap = True
        _log.warning("subscription to %s reconnected: what was published while it was "
                     "away is lost (a gap)", self.name)
