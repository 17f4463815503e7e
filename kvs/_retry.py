"""When a command may run again, and how long to wait before reconnecting.

Shared by the trio and the blocking transports so that both follow one rule:

- a request that was never written is always safe to send again;
- a request that may have reached the server is sent again only when the command is
  idempotent (see `kvs.commands.strings`); otherwise the caller gets `kvs.ConnectionError` and the
  command has run at most once;
- reconnecting after failures waits a full-jitter exponential backoff: a uniform draw in
  ``[0, min(cap, base * 2**(failures - 1))]``, and no wait at all for the first attempt after
  a connection that was working broke.
"""

from __future__ import annotations

import random

__all__ = ["BACKOFF_BASE", "BACKOFF_CAP", "backoff_delay", "may_retry"]

BACKOFF_BASE = 0.05
BACKOFF_CAP = 2.0


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
