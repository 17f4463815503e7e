"""Pipelines, MULTI/EXEC transactions and WATCH blocks over any backend (SPEC §5).

Theory of operation
-------------------
A builder (`Pipeline`, `Transaction`) has every operation method of the client, generated
into `QueuedOperations` from `kvs.commands`: each call checks its arguments at once (a bad
one raises there, before anything is sent), builds the operation's `Call` and queues it.
``execute()`` takes the queue (the builder is empty again, whatever happens next), hands
every argv to the backend in one batch and decodes each raw reply with its own call's
decoder, so a result is exactly what the single call would return.  A call with nothing to
send (``mset({})``) is answered locally, in its place.

- A pipeline is one write on the shared connection (one round trip per server on
  memcached); the backend sends it again after a broken connection only when it was never
  written or every command in it is idempotent (`kvs._retry.may_retry`).
- A transaction is one request: MULTI, the commands, EXEC.  The backend never sends it again
  once it may have been written.  Errors come in two kinds, told apart in the message: a
  command refused when queued (EXECABORT: nothing ran) and a command that failed inside EXEC
  (the others ran).
- `Watch` holds a connection of its own (``backend.dedicated()``, from a small pool) for a
  block: WATCH on entry, its operations run at once, `Watch.transaction` runs on it, and on
  exit the connection goes back clean (UNWATCH unless EXEC or UNWATCH already cleared it) or
  is closed when its state is unknown.  A watch connection that was lost is never used for
  EXEC: the transaction raises `kvs.WatchError` unsent, since a WATCH does not survive a
  reconnect.

This module is trio source for ``scripts/unasync.py`` like the rest of the folder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self

from resp import ReplyError

from .._errors import ConnectionError, ResponseError, WatchError, response_error
from .._open import Backend, Dedicated
from ..commands import Call
from ..commands._args import key_bytes
from ..commands.scripting import evalsha
from ..commands.types import Keys, Values
from ._operations import Operations, QueuedOperations, R
from .script import Script, load_missing

__all__ = ["Pipeline", "Transaction", "Watch"]


def _name(call: Call[Any]) -> str:
    return call.argv[0].decode(errors="replace").upper()


def _labelled(reply: ReplyError, index: int, note: str) -> ResponseError:
    error = response_error(reply)
    error.args = (f"{error.message} ({note})",)
    error.index = index
    return error


def _results(calls: Sequence[Call[Any]], replies: Sequence[Any], decode: bool,
             raise_on_error: bool, note: Callable[[int, Call[Any]], str]) -> list[Any]:
    """Decode `replies` (one per call that sent anything) in the calls' order."""
    results: list[Any] = []
    first: ResponseError | None = None
    sent = iter(replies)
    for index, call in enumerate(calls):
        if not call.argv:
            results.append(call.decode(None, decode))
            continue
        reply = next(sent)
        if isinstance(reply, ReplyError):
            error = _labelled(reply, index, note(index, call))
            results.append(error)
            if first is None:
                first = error
        else:
            results.append(call.decode(reply, decode))
    if first is not None and raise_on_error:
        raise first
    return results


class _Builder(QueuedOperations):
    """The queue both builders share."""

    __slots__ = ("_backend", "_calls", "_decode", "_scripts")

    def __init__(self, backend: Callable[[], Backend], decode: bool) -> None:
        self._backend = backend
        self._decode = decode
        self._calls: list[Call[Any]] = []
        self._scripts: list[Script[Any]] = []

    def _queue(self, call: Call[Any]) -> Self:
        self._calls.append(call)
        return self

    def run_script(self, script: Script[Any], keys: Keys = (), args: Values = ()) -> Self:
        """Queue a call of `script` (EVALSHA); `execute` first loads the scripts the server
        lacks (SCRIPT EXISTS, then SCRIPT LOAD), so the EVALSHA finds it."""
        if not isinstance(script, Script):
            raise TypeError(f"run_script: script must be a kvs.Script, not "
                            f"{type(script).__name__}")
        call = evalsha(script.sha, keys, args)
        self._scripts.append(script)
        return self._queue(call)

    def __len__(self) -> int:
        return len(self._calls)

    def __repr__(self) -> str:
        return f"<kvs.{type(self).__name__} of {len(self._calls)} commands>"

    def _take(self) -> tuple[list[Call[Any]], list[tuple[bytes, ...]]]:
        calls, self._calls = self._calls, []
        return calls, [call.argv for call in calls if call.argv]

    async def _load_scripts(self) -> None:
        scripts, self._scripts = self._scripts, []
        if scripts:
            await load_missing(self._backend, scripts)


class Pipeline(_Builder):
    """Commands queued to be sent in one write; get one from `Client.pipeline`.

    Example::

        p = db.pipeline()
        p.set("a", "1").incr("hits").get("a")
        await p.execute()                       # [True, 1, '1']
    """

    __slots__ = ()

    async def execute(self, *, raise_on_error: bool = True) -> list[Any]:
        """Send every queued command in one write and return their results in order.

        The builder is empty afterwards (and reusable).

        Args:
            raise_on_error: raise the first error reply once every reply has arrived;
                when False, errors stay in the list as `kvs.ResponseError` instances.

        Raises:
            kvs.ResponseError: a command failed (``.index`` is its position).
            kvs.ConnectionError: the connection broke, and sending again was not safe
                (``sent`` says whether the pipeline may have run).
            kvs.TimeoutError: the replies did not all arrive within ``timeout``.
        """
        calls, argvs = self._take()
        await self._load_scripts()
        if not argvs:
            return _results(calls, (), self._decode, raise_on_error, _pipeline_note)
        idempotent = all(call.idempotent for call in calls)
        replies = await self._backend().execute_many(argvs, idempotent=idempotent)
        return _results(calls, replies, self._decode, raise_on_error, _pipeline_note)


def _pipeline_note(index: int, call: Call[Any]) -> str:
    return f"command {index} of the pipeline, {_name(call)}"


def _exec_note(index: int, call: Call[Any]) -> str:
    return f"command {index} of the transaction, {_name(call)}, failed inside EXEC; the " \
           "other commands ran"


class Transaction(_Builder):
    """Commands run atomically with MULTI ... EXEC; get one from `Client.transaction` or
    `Watch.transaction`.

    Example::

        tx = db.transaction()
        tx.incr("stock").rpush("orders", "o-17")
        await tx.execute()                      # [9, 1]
    """

    __slots__ = ("_watch",)

    def __init__(self, backend: Callable[[], Backend], decode: bool,
                 watch: Watch[Any] | None = None) -> None:
        super().__init__(backend, decode)
        self._watch = watch

    async def execute(self, *, raise_on_error: bool = True) -> list[Any]:
        """Run the queued commands as one MULTI/EXEC request and return their results.

        The builder is empty afterwards (and reusable).

        Args:
            raise_on_error: raise the first command's error once EXEC has answered; when
                False, errors stay in the list as `kvs.ResponseError` instances.

        Raises:
            kvs.ResponseError: with code ``EXECABORT`` when a command was refused when
                queued (nothing ran; ``.index`` names it); otherwise the first command that
                failed inside EXEC (the others ran).
            kvs.WatchError: a watched key changed, or the watch connection was lost (the
                transaction was not sent); nothing ran.
            kvs.ConnectionError: the connection broke after the request may have been
                written; it is never sent again, and may or may not have run.
        """
        calls, argvs = self._take()
        await self._load_scripts()
        watch = self._watch
        if watch is None:
            raw = await self._backend().transaction(argvs)
        else:
            raw = await watch._exec(argvs)
        head, queued, outcome = raw[0], raw[1:-1], raw[-1]
        if isinstance(head, ReplyError):
            raise response_error(head)
        positions = [index for index, call in enumerate(calls) if call.argv]
        for position, reply in zip(positions, queued, strict=True):
            if isinstance(reply, ReplyError):
                abort = outcome.message if isinstance(outcome, ReplyError) else "EXECABORT"
                raise ResponseError(
                    f"{abort} (command {position} of the transaction, "
                    f"{_name(calls[position])}, was refused when queued: {reply.message}; "
                    "nothing ran)", "EXECABORT", index=position)
        if isinstance(outcome, ReplyError):
            raise response_error(outcome)
        if outcome is None:
            raise WatchError("the transaction did not run: a watched key changed")
        return _results(calls, outcome, self._decode, raise_on_error, _exec_note)


class Watch(Operations[R]):
    """A WATCH block on a connection of its own; get one from `Client.watch`.

    Its operations run at once on that connection (``await w.get(key)``);
    `transaction` gives a transaction bound to it, whose EXEC fails with `kvs.WatchError`
    when a watched key changed.  Use it with ``async with``.
    """

    def __init__(self, backend: Callable[[], Backend], decode: bool,
                 keys: tuple[bytes, ...], name: str) -> None:
        self._backend = backend
        self._decode = decode
        self._keys = keys
        self._name = name
        self._conn: Dedicated | None = None
        self._clean = False

    def __repr__(self) -> str:
        state = "open" if self._conn is not None else "not open"
        return f"<kvs.Watch of {len(self._keys)} keys on {self._name} ({state})>"

    async def __aenter__(self) -> Self:
        backend = self._backend()
        for attempt in (0, 1):
            conn = await backend.dedicated()
            try:
                if self._keys:
                    reply = await conn.watch(self._keys)
                    if isinstance(reply, ReplyError):
                        raise response_error(reply)
            except ConnectionError:
                await conn.release()
                if attempt:  # a pooled connection may have gone stale: one fresh try
                    raise
                continue
            except BaseException:
                await conn.release()
                raise
            self._conn = conn
            break
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.release(clean=self._clean)

    def _live(self) -> Dedicated:
        conn = self._conn
        if conn is None:
            raise RuntimeError("this watch block is not open: use `async with db.watch(...)`")
        return conn

    async def _run(self, call: Any) -> Any:
        conn = self._live()
        if not call.argv:
            return call.decode(None, self._decode)
        reply = await conn.execute(call.argv)
        if isinstance(reply, ReplyError):
            raise response_error(reply)
        return call.decode(reply, self._decode)

    async def unwatch(self) -> None:
        """Stop watching every key (a transaction of this block then always runs)."""
        reply = await self._live().unwatch()
        if isinstance(reply, ReplyError):
            raise response_error(reply)
        self._clean = True

    def transaction(self) -> Transaction:
        """A transaction on this block's connection, checked against the watched keys."""
        self._live()
        return Transaction(self._backend, self._decode, self)

    async def _exec(self, argvs: list[tuple[bytes, ...]]) -> list[Any]:
        conn = self._live()
        if conn.lost:
            raise WatchError(f"the watch connection to {self._name} was lost, and a WATCH "
                             "does not survive a reconnect: the transaction was not sent")
        raw = await conn.transaction(argvs)
        self._clean = True  # EXEC (or EXECABORT) unwatches every key
        return raw


def watch_keys(keys: Sequence[object]) -> tuple[bytes, ...]:
    """The keys of `Client.watch`, checked."""
    return tuple(key_bytes("watch", key) for key in keys)
