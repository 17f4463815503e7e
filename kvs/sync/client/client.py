# Generated from kvs/client/client.py by scripts/unasync.py: do not edit; edit the source
# and run `python scripts/unasync.py`.
"""The blocking client: the operations (generated into `_operations` from `kvs.commands`) over
any backend.

This folder is the source of the blocking client too: ``scripts/unasync.py`` rewrites it into
``kvs/sync/client/`` (coroutines become plain functions; ``.._open`` then names the blocking
opener), and CI fails when the two drift.  So it holds no trio import and nothing that only
one transport understands: the operations come from `kvs.commands`, the transport from
``_open``.
"""

from __future__ import annotations

from collections.abc import Iterator, Callable
from time import perf_counter
from types import TracebackType
from typing import Self, TypeVar

from resp import ReplyError

from ..._errors import UnsupportedOperation, WatchError, response_error
from ..._observe import CommandEvent, Observer, finish, start
from .._open import Backend, close_backend, open_backend
from ..._url import Config
from ...commands import Call
from ...commands import hashes as _hashes
from ...commands import keys as _keys
from ...commands import sets as _sets
from ...commands import zsetops as _zsetops
from ...commands.pubsub import channel_names
from ...commands.types import Key, Value
from ._operations import Operations, R
from .pipeline import Pipeline, Transaction, Watch, watch_keys
from .pubsub import Subscription
from .scan import iterate, pairs
from .script import Script

__all__ = ["Client"]

T = TypeVar("T")


class Client(Operations[R]):
    """A key-value client; get one from `kvs.sync.connect` and open it with ``with``.

    Clients of the same URL and options share their backend connections, and any number
    of threads may use one client at once.  Values read are `str` by default,
    `bytes` with ``decode=False``.
    """

    def __init__(self, config: Config, *, observer: Observer | None = None) -> None:
        self._config = config
        self._decode = config.decode
        self._backend: Backend | None = None
        self._closed = False
        self._observer = observer
        if observer is not None:  # only then: a client without one runs the plain `_run`
            self._run = self._observed_run  # type: ignore[method-assign]

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._backend else "not open"
        return f"<kvs.sync.Client {self._config.display} ({state})>"

    @property
    def url(self) -> str:
        """The URL this client was made from, with any password masked."""
        return self._config.display

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
        """Open the backend (or join the shared connection of this URL).

        Raises:
            kvs.ConnectionError: the server could not be reached.
            kvs.TimeoutError: the connection did not open within ``connect_timeout``.
        """
        if self._closed:
            raise RuntimeError("this client is closed; call kvs.sync.connect() again")
        if self._backend is None:
            self._backend = open_backend(self._config)

    def close(self) -> None:
        """Leave the shared connection; the last client of a URL closes it."""
        backend, self._backend = self._backend, None
        self._closed = True
        if backend is not None:
            close_backend(self._config, backend)

    # -- pipelines, transactions and WATCH (kvs.client.pipeline) ---------------------------

    def pipeline(self) -> Pipeline:
        """A builder of commands sent in one write; ``p.execute()`` runs them.

        Example::

            p = db.pipeline()
            p.set("a", "1").incr("hits").get("a")
            p.execute()                   # [True, 1, '1']

        Raises:
            RuntimeError: the client is not open.
        """
        self._require()
        return Pipeline(self._require, self._decode)

    def transaction(self) -> Transaction:
        """A builder of commands run atomically (MULTI ... EXEC) by ``tx.execute()``.

        Raises:
            kvs.UnsupportedOperation: the backend has no transactions (memcached).
            RuntimeError: the client is not open.
        """
        self._require_transactions("transaction")
        return Transaction(self._require, self._decode)

    def watch(self, *keys: Key) -> Watch[R]:
        """A WATCH block on a connection of its own, for optimistic locking.

        Example::

            with db.watch("balance:alice") as w:
                balance = int(w.get("balance:alice"))
                tx = w.transaction()
                tx.set("balance:alice", balance - 10)
                tx.execute()              # kvs.WatchError if the key changed

        Raises:
            kvs.UnsupportedOperation: the backend has no transactions (memcached).
            TypeError: a key is not str or bytes.
        """
        checked = watch_keys(keys)
        self._require_transactions("watch")
        return Watch[R](self._require, self._decode, checked, self._config.display)

    def run_watched(self, fn: Callable[[Watch[R]], T], *keys: Key,
                          attempts: int = 10) -> T:
        """Run ``fn(w)`` inside ``watch(*keys)``, again while it raises `kvs.WatchError`.

        The optimistic-locking loop: `fn` reads through `w`, then executes
        ``w.transaction()``; when a watched key changed meanwhile, the whole function runs
        again, at most `attempts` times in all.

        Returns:
            What `fn` returned on the attempt whose transaction ran.

        Raises:
            kvs.WatchError: every attempt found a watched key changed.
            ValueError: `attempts` is below 1.
        """
        if attempts < 1:
            raise ValueError("run_watched: attempts must be at least 1")
        for attempt in range(attempts):
            with self.watch(*keys) as w:
                try:
                    return fn(w)
                except WatchError:
                    if attempt == attempts - 1:
                        raise
        raise AssertionError("unreachable")

    def _require_transactions(self, op: str) -> None:
        if not self._require().transactions:
            raise UnsupportedOperation(
                f"{op} is not supported by the {self._config.backend} backend")

    def _require(self) -> Backend:
        backend = self._backend
        if backend is None:
            raise RuntimeError(
                "this client is closed" if self._closed
                else "this client is not open: use `with kvs.sync.connect(url) as db`")
        return backend

    def _run(self, call: Call[T]) -> T:
        backend = self._backend
        if backend is None:
            raise RuntimeError(
                "this client is closed" if self._closed
                else "this client is not open: use `with kvs.sync.connect(url) as db`")
        if not call.argv:  # nothing to ask the server (e.g. mset({}))
            return call.decode(None, self._decode)
        reply = backend.execute(call.argv, idempotent=call.idempotent)
        if type(reply) is ReplyError:
            raise response_error(reply)
        return call.decode(reply, self._decode)

    # -- scripts called by their SHA1 (kvs.client.script) -----------------------------------

    def register_script(self, script: Value) -> Script[R]:
        """A `kvs.Script` for the Lua `script`: each ``s(keys=[...], args=[...])``
        sends EVALSHA, and on NOSCRIPT loads the script and sends it once more.

        Example::

            incr_by = db.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
            incr_by(keys=["hits"], args=[5])      # 5

        Raises:
            TypeError: `script` is not str or bytes.
        """
        return Script[R](self, script)

    def _observed_run(self, call: Call[T]) -> T:
        """`_run`, reported to the observer: its start, and its end with how long it took
        and how it ended."""
        observer = self._observer
        if observer is None or not call.argv:
            return Client._run(self, call)
        name = call.argv[0].decode("utf-8", "replace").upper()
        url = self._config.display
        token = start(observer, name, url)
        began = perf_counter()
        try:
            result = Client._run(self, call)
        except BaseException as exc:
            finish(observer, token, CommandEvent(name, url, perf_counter() - began,
                                                 type(exc).__name__, exc))
            raise
        finish(observer, token, CommandEvent(name, url, perf_counter() - began, "ok", None))
        return result

    # -- pub/sub: each subscription on a connection of its own -------------------------------

    def subscribe(self, *channels: Key) -> Subscription:
        """A subscription to `channels` (none is fine: fill it later); use ``with``.

        Example::

            with db.subscribe("news") as sub:
                async for message in sub:
                    print(message.channel, message.data)

        Raises:
            kvs.UnsupportedOperation: the backend has no pub/sub (memcached), before any I/O.
        """
        return self._subscription(b"SUBSCRIBE", "subscribe", channels)

    def psubscribe(self, *patterns: Key) -> Subscription:
        """A subscription to the channels matching the glob `patterns`; see `subscribe`."""
        return self._subscription(b"PSUBSCRIBE", "psubscribe", patterns)

    def ssubscribe(self, *channels: Key) -> Subscription:
        """A subscription to the shard channels `channels` (Redis 7); see `subscribe`."""
        return self._subscription(b"SSUBSCRIBE", "ssubscribe", channels)

    def _subscription(self, verb: bytes, op: str, names: tuple[Key, ...]) -> Subscription:
        argv = channel_names(op, names)
        backend = self._backend
        if backend is None:
            raise RuntimeError(
                "this client is closed" if self._closed
                else "this client is not open: use `with kvs.sync.connect(url) as db`")
        return Subscription(backend.subscriber(), (verb, argv))
    # -- iteration over SCAN cursors (see scan.py); not on the pipeline builders --------------

    def scan_iter(self, match: Key | None = None, count: int | None = None,
                  type: str | None = None) -> Iterator[R]:
        """Iterate over the keys of the database with SCAN, one page per call.

        Every key present for the whole scan is yielded at least once (some may come twice).

        Args:
            match: only keys matching this glob pattern.
            count: how much work the server does per page (a hint).
            type: only keys of this type (``"string"``, ``"zset"``, ...).

        Example::

            async for key in db.scan_iter(match="session:*"):
                db.delete(key)
        """
        return iterate(self, lambda cursor: _keys.scan(cursor, match=match, count=count,
                                                    type=type))

    def hscan_iter(self, key: Key, match: Key | None = None,
                   count: int | None = None) -> Iterator[tuple[R, R]]:
        """Iterate over the fields of the hash at `key` with HSCAN: ``(field, value)``."""
        return iterate(self, lambda cursor: pairs(_hashes.hscan(key, cursor, match=match,
                                                             count=count)))

    def sscan_iter(self, key: Key, match: Key | None = None,
                   count: int | None = None) -> Iterator[R]:
        """Iterate over the members of the set at `key` with SSCAN."""
        return iterate(self, lambda cursor: _sets.sscan(key, cursor, match=match, count=count))

    def zscan_iter(self, key: Key, match: Key | None = None,
                   count: int | None = None) -> Iterator[tuple[R, float]]:
        """Iterate over the sorted set at `key` with ZSCAN: ``(member, score)``."""
        return iterate(self, lambda cursor: _zsetops.zscan(key, cursor, match=match, count=count))
