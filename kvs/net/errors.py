"""Where trio's and the OS's errors, and deadlines, become `kvs` errors: once, for all of the
trio side, with the cause kept (``raise ... from exc``).

- `STREAM_ERRORS`: what a socket, a trio stream or TLS raises when the peer or the network
  fails;
- `lost`: a block in which those become `kvs.ConnectionError` (with ``sent`` as the caller
  knows it);
- `deadline`: a block that raises `kvs.TimeoutError` (or a subclass) when it runs out of time;
- `translate`: any exception that broke a connection's background tasks, as the error its
  waiters get.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

import trio

from .._errors import ConnectionError, KvsError, ProtocolError, TimeoutError

__all__ = ["STREAM_ERRORS", "deadline", "lost", "translate"]

STREAM_ERRORS = (OSError, trio.BrokenResourceError, trio.ClosedResourceError, ssl.SSLError)


@contextmanager
def lost(message: str, *, sent: bool, error: type[ConnectionError] = ConnectionError,
         ) -> Iterator[None]:
    """Turn a stream failure inside the block into `error` ("<message>: <cause>")."""
    try:
        yield
    except STREAM_ERRORS as exc:
        if isinstance(exc, KvsError):  # already ours (kvs errors are OSErrors too)
            raise
        raise error(f"{message}: {exc}", sent=sent) from exc


@contextmanager
def deadline(seconds: float | None, message: str,
             error: type[TimeoutError] = TimeoutError) -> Iterator[None]:
    """Raise `error(message)` when the block takes more than `seconds` (None: no limit)."""
    with trio.move_on_after(math.inf if seconds is None else seconds) as scope:
        yield
    if scope.cancelled_caught:
        raise error(message)


def translate(exc: BaseException, name: str) -> ConnectionError | ProtocolError:
    """The error that waiters on a broken connection to `name` get, for what broke it."""
    if isinstance(exc, ConnectionError | ProtocolError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        return translate(exc.exceptions[0], name)
    if isinstance(exc, trio.Cancelled):
        error = ConnectionError(f"connection to {name} closed")
    elif isinstance(exc, STREAM_ERRORS):
        error = ConnectionError(f"connection to {name} lost: {exc.__cause__ or exc}")
    else:
        error = ConnectionError(f"connection to {name} failed: {exc!r}")
    error.__cause__ = exc
    return error
