"""Pipelines, transactions and WATCH sessions on the in-process store, shared by the trio and
the blocking drivers (nothing here waits).

A pipeline resolves every command first (an unsupported one raises
`kvs.UnsupportedOperation` before any runs), then runs them under one hold of the store's
lock.  A transaction is a throw-away `Session` taken through MULTI, the commands and EXEC,
so its replies are exactly Redis's (OK, QUEUED..., EXEC's array).  A `WatchSession` is the
connection a WATCH block holds: a `Session` kept for the block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..commands.traits import SPECIAL, refuse_blocking, refuse_connection_state
from .store import Store
from .transactions import Session

__all__ = ["WatchSession", "run_pipeline", "run_transaction"]

_MULTI = (b"MULTI",)
_EXEC = (b"EXEC",)


def _check(argvs: Sequence[tuple[bytes, ...]], pipeline: bool = False) -> None:
    for argv in argvs:
        if argv[0].upper() in SPECIAL:
            refuse_connection_state(argv)
            if pipeline:
                refuse_blocking(argv)


def run_pipeline(store: Store, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
    """Every command's raw reply, in order.  A blocking command is refused, as on Redis
    (inside a transaction it answers at once instead, as Redis's MULTI does)."""
    _check(argvs, pipeline=True)
    for argv in argvs:
        store._resolve(argv)  # an unsupported command raises before any runs
    execute = store.execute
    with store._lock, store.hold():
        return [execute(argv) for argv in argvs]


def _transaction(session: Session, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
    _check(argvs)
    replies = [session.execute(_MULTI)]
    try:
        replies.extend([session.execute(argv) for argv in argvs])
    except BaseException:
        session.execute((b"DISCARD",))
        raise
    replies.append(session.execute(_EXEC))
    return replies


def run_transaction(store: Store, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
    """The raw replies of MULTI, the commands and EXEC, run atomically."""
    session = Session(store)
    try:
        return _transaction(session, argvs)
    finally:
        session.close()


class WatchSession:
    """A WATCH block's connection to the store; never lost (there is no wire)."""

    lost = False

    def __init__(self, store: Store) -> None:
        self._session = Session(store)

    def execute(self, argv: tuple[bytes, ...]) -> Any:
        """One command's raw reply."""
        _check((argv,))
        return self._session.execute(argv)

    def watch(self, keys: Sequence[bytes]) -> Any:
        """WATCH `keys`."""
        return self._session.execute((b"WATCH", *keys))

    def unwatch(self) -> Any:
        """UNWATCH."""
        return self._session.execute((b"UNWATCH",))

    def transaction(self, argvs: Sequence[tuple[bytes, ...]]) -> list[Any]:
        """MULTI, the commands, EXEC, checked against the watched keys."""
        return _transaction(self._session, argvs)

    def release(self, *, clean: bool = False) -> None:
        """End the block: its watched keys are dropped."""
        self._session.close()
