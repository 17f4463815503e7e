"""When a command may run again, and how long to wait before reconnecting.

Shared by the trio and the blocking transports so that both follow one rule:

- a request that was never written is always safe to send again;
- a request that may have reached the server is sent again only when the command is
  idempotent (see `kvs.commands.strings`); otherwise the caller gets `kvs.ConnectionError` and the
  command has run at most once;
- reconnecting after failures waits a full-jitter exponential backoff: a uniform draw in
  ``[0, min(cap, base * 2**(failures - 1))]``, and no wait at all for the first attempt after
  a connection that was working broke;
- a reply that says the server cannot answer *yet* (`TRANSIENT_CODES`: ``LOADING``, a
  server restarting with a large dataset) is transient: a command that is safe to run twice
  is sent again after `transient_delay` seconds, for as long as the command's timeout allows;
  any other command gets the error at once.
"""

from __future__ import annotations

import random

from resp import ReplyError

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "TRANSIENT_CODES",
    "backoff_delay",
    "is_transient",
    "may_retry",
    "transient_delay",
]

BACKOFF_BASE = 0.05
BACKOFF_CAP = 2.0
TRANSIENT_CODES = frozenset({"LOADING"})
TRANSIENT_CAP = 0.5


def may_retry(*, sent: bool, idempotent: bool, attempt: int, retries: int) -> bool:
    """Whether a request that failed with a broken connection may be sent again.

    Args:
        sent: the request may have reached the server.
        idempotent: running the command twice is harmless.
        attempt: how many retries were already made for this request.
        retries: the configured limit.
    """
    return attempt < retries and (idempotent or not sent)


def backoff_delay(failures: int, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP,
                  rand: random.Random | None = None) -> float:
    """Seconds to wait before the next connection attempt after `failures` failed ones."""
    if failures <= 0:
        return 0.0
    ceiling = min(cap, base * 2 ** min(failures - 1, 32))
    return (rand or random).uniform(0.0, ceiling)


def is_transient(reply: object) -> bool:
    """Whether `reply` is an error the server gives only while it cannot answer yet.

    Called on every Redis reply: one type test, and no attribute look-up that fails (and
    so raises inside) for the common reply, a bulk string.
    """
    return type(reply) is ReplyError and reply.code in TRANSIENT_CODES


def transient_delay(attempt: int, *, left: float | None) -> float | None:
    """Seconds to wait before sending again after the `attempt`-th transient error (from 0),
    or None when the time `left` (None: no limit) is too short to try once more.

    The waits grow 0.05, 0.1, 0.2 ... up to half a second: a loading server is usually
    back within seconds, and a retry costs the server little.
    """
    delay = min(TRANSIENT_CAP, BACKOFF_BASE * (1 << min(attempt, 16)))
    if left is not None and delay >= left:
        return None
    return delay
