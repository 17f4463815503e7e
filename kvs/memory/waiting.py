"""Blocking commands of the in-process store: the contract between a command and its waiters.

A blocking command's handler (BLPOP, BZPOPMIN, XREAD ... BLOCK, ...) first tries to serve
the call at once.  When there is nothing to serve, it raises `WouldBlock` naming the keys to
wait on, how long (seconds, None for ever) and the argv to try again with when one of those
keys may have become ready: the same argv for BLPOP, but for ``XREAD ... STREAMS k $`` the
``$`` already replaced with the stream's last id at the time of the call, as Redis resolves
it once.  The retry argv must itself be a command the handler accepts and that raises
`WouldBlock` again while there is still nothing to serve.

Where a command cannot block (in MULTI/EXEC, in a pipeline run under one hold, or in a script)
the caller answers ``timeout_reply`` at once, as Redis does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["WouldBlock"]


class WouldBlock(Exception):
    """Raised by a blocking command that has nothing to serve yet."""

    def __init__(self, keys: Sequence[bytes], timeout: float | None,
                 retry: Sequence[bytes], timeout_reply: Any = None) -> None:
        super().__init__(keys, timeout)
        self.keys = tuple(keys)
        self.timeout = timeout
        self.retry = tuple(retry)
        self.timeout_reply = timeout_reply
