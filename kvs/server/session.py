"""One client connection of ``kvs serve``, sans-IO: request bytes in, reply bytes out.

Theory of operation: `Session.receive(data)` feeds the bytes a client sent to its
`RequestReader`, runs every complete command in order and returns the replies of them all as
one ``bytes`` (so a pipeline is answered in one write); it never does I/O and never waits.
The listener's loop is only: receive, ``session.receive``, send, and close once
``session.closing`` is set (after QUIT, or after the reply to a protocol error).

A command runs in the order Redis 7.0 checks it: an unknown name gets ``unknown command``, a
wrong arity ``wrong number of arguments``, a client that must authenticate ``NOAUTH``, and
only then is it run.  Commands about the connection or the server (HELLO, AUTH, SELECT,
CLIENT, PING, QUIT, RESET, COMMAND, CONFIG, INFO, OBJECT) are methods in ``connection.py``
and functions in ``admin.py``; every other name goes to ``Store.execute`` when the store's
``COMMANDS`` table has it, and a command the store refuses with `UnsupportedOperation` is
answered as Redis answers a command it does not know.  The store returns RESP3-shaped
values; they are written in the client's protocol (2 until HELLO 3).

What a connection mode needs later (MULTI queues, pub/sub, blocked clients) hooks in at
`_run`: a mode is a state of the session that decides, before dispatch, what a command does.
Pub/sub (``pubsub.py``): once a connection subscribes it holds `Subscriptions`, drained after
every command so that pushes and replies leave in Redis's order; in RESP2 a subscribed
connection may run only the commands of `ALLOWED_WHEN_SUBSCRIBED`.

Blocked clients: a blocking command (BLPOP ...) outside MULTI goes to
``Store.execute_or_wait`` with a waiter from ``new_waiter`` (the listener's, a trio task's;
without one a blocking command answers at once, as in MULTI).  When it has to wait,
`receive` stops there: ``blocked`` holds the waiter, the replies so far are returned, and
later bytes are kept unread (`hold`) until the listener, once the waiter is served or
timed out, calls `unblock` with its reply: that reply, and those of the commands that came
after it, in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from resp import ReplyError, encode_reply

from .._errors import UnsupportedOperation
from ..commands.traits import BLOCKING
from ..memory.blocked import Waiter
from ..memory.store import COMMANDS as STORE_COMMANDS
from ..memory.transactions import SESSION_COMMANDS as TRANSACTION_COMMANDS
from ..memory.transactions import Session as TransactionSession
from . import admin
from .connection import ConnectionCommands
from .pubsub import ALLOWED_WHEN_SUBSCRIBED, Raw, Subscriptions, not_allowed, pubsub_command
from .pubsub import VERBS as PUBSUB_VERBS
from .request import RequestError, RequestReader
from .state import MIN_LIMIT, ServerState

__all__ = ["Session", "served_commands", "unknown_command"]

Handler = Callable[["Session", list[bytes]], Any]

_INT64 = 2**63
_OK = b"+OK\r\n"
_NOAUTH = b"-NOAUTH Authentication required.\r\n"
_NO_AUTH_NEEDED = frozenset({b"AUTH", b"HELLO", b"QUIT", b"RESET"})
_MAY_BLOCK = frozenset(BLOCKING | {b"XREAD", b"XREADGROUP"})

# The store's commands: upper-case name -> (arity, lower-case name).
_STORE: dict[bytes, tuple[int, str]] = {
    name.encode(): (arity, name.lower()) for name, arity in STORE_COMMANDS.items()}
# MULTI/EXEC/DISCARD/WATCH/UNWATCH: the store's per-connection transaction state.
_STORE.update({name: (arity, name.decode().lower())
               for name, arity in TRANSACTION_COMMANDS.items()})


def _arity_ok(arity: int, n: int) -> bool:
    return n == arity if arity > 0 else n >= -arity


def _clean(text: bytes) -> bytes:
    return text.replace(b"\r", b" ").replace(b"\n", b" ")


def unknown_command(argv: list[bytes]) -> bytes:
    """Redis's reply to a command it does not know, quoting the first arguments."""
    args = b""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += b"'%b' " % arg[: 128 - len(args)]
    return b"-ERR unknown command '%b', with args beginning with: %b\r\n" % (
        _clean(argv[0][:128]), _clean(args))


# Commands whose null reply is an array (``*-1`` in RESP2, where a null bulk is ``$-1``):
# EXEC aborted by WATCH, LMPOP/ZMPOP with nothing to pop, and the blocking pops and reads
# on timeout.  LPOP/RPOP with a count are in `_null_array` below.
_NULL_ARRAY = frozenset({b"EXEC", b"LMPOP", b"ZMPOP", b"BLPOP", b"BRPOP", b"BLMPOP",
                         b"BZPOPMIN", b"BZPOPMAX", b"BZMPOP", b"XREAD", b"XREADGROUP",
                         b"XRANGE", b"XREVRANGE"})  # XRANGE ... COUNT 0


# Commands whose RESP3 reply is a list of [member, score] (or [field, value]) pairs, which
# Redis sends flat in RESP2.
_PAIRS_FLAT_IN_RESP2 = frozenset({
    b"ZRANGE", b"ZRANGEBYSCORE", b"ZREVRANGE", b"ZREVRANGEBYSCORE", b"ZPOPMIN", b"ZPOPMAX",
    b"ZRANDMEMBER", b"ZUNION", b"ZINTER", b"ZDIFF", b"HRANDFIELD",
})


def _as_resp2(value: Any, argv: list[bytes]) -> Any:
    """A store reply as Redis 7.0 shapes it for a RESP2 client: pairs flattened where Redis
    flattens them, doubles as bulk strings in Redis's ``%.17g``."""
    if type(value) is float:
        return b"%.17g" % value
    if type(value) is dict and argv[0].upper() in (b"XREAD", b"XREADGROUP"):
        return [[key, entries] for key, entries in value.items()]  # not a flat map in RESP2
    if type(value) is list:
        if (argv[0].upper() in _PAIRS_FLAT_IN_RESP2 and value
                and all(type(item) is list and len(item) == 2 for item in value)):
            value = [part for item in value for part in item]
        if any(type(item) is float or type(item) is list for item in value):
            return [_as_resp2(item, argv) if type(item) is not list else
                    [b"%.17g" % v if type(v) is float else v for v in item] for item in value]
    return value


def _null_array(argv: list[bytes]) -> bool:
    name = argv[0].upper()
    return name in _NULL_ARRAY or (name in (b"LPOP", b"RPOP") and len(argv) == 3)


def _exec_as_resp2(replies: list[Any], queued: list[Any]) -> bytes:
    """EXEC's array over RESP2, each reply shaped as its own command's would be."""
    parts = [b"*%d\r\n" % len(replies)]
    for reply, argv in zip(replies, queued, strict=True):
        if type(reply) is ReplyError:
            parts.append(encode_reply(reply, 2))
        elif reply is None and _null_array(list(argv)):
            parts.append(b"*-1\r\n")
        else:
            parts.append(_encode(_as_resp2(reply, list(argv)), 2))
    return b"".join(parts)


def _encode(value: Any, protocol: int) -> bytes:
    kind = type(value)
    if kind is bytes:
        return b"$%d\r\n%b\r\n" % (len(value), value)
    if kind is int and -_INT64 <= value < _INT64:
        return b":%d\r\n" % value
    if value == "OK" and kind is str:
        return _OK
    if value is None:
        return b"$-1\r\n" if protocol == 2 else b"_\r\n"
    if kind is Raw:
        return value  # type: ignore[no-any-return]
    return encode_reply(value, protocol)


class Session(ConnectionCommands):
    """The server side of one client connection: bytes in, reply bytes out, no I/O.

    Args:
        state: what the server's sessions share (store, password, CONFIG, stats).
        peer: the client's address as ``ip:port`` (CLIENT LIST's ``addr``).
        local: the server's address as ``ip:port`` (``laddr``).
        on_push: called from any thread when a message for this connection arrives while it
            is idle (the listener drains `pushes` then); None: pushes wait for the next
            `receive`.

    Example:
        >>> from kvs.memory.store import Store
        >>> session = Session(ServerState(Store()))
        >>> session.receive(b"SET k v\\r\\n*2\\r\\n$3\\r\\nGET\\r\\n$1\\r\\nk\\r\\n")
        b'+OK\\r\\n$1\\r\\nv\\r\\n'
    """

    def __init__(self, state: ServerState, *, peer: str = "", local: str = "",
                 on_push: Callable[[], None] | None = None) -> None:
        self.state = state
        self.store = state.store
        self.id = state.next_id()
        self.peer = peer
        self.local = local
        self.name: bytes | None = None
        self.protocol = 2
        self.authenticated = state.password is None
        self.reader = RequestReader(state.max_bulk_len)
        self.reader.authenticated = self.authenticated
        self.closing = False
        # This connection's MULTI queue and watched keys, kept by the store.
        self.transaction = TransactionSession(self.store)
        self.created = self.active = state.clock()
        self.last_command = "NULL"
        self.on_push = on_push
        self.pubsub: Subscriptions | None = None  # once the connection used pub/sub
        # Blocking commands: how to make a waiter (None: never block), and the one waiting.
        self.new_waiter: Callable[[], Waiter] | None = None
        self.blocked: Waiter | None = None
        self._blocked_argv: list[bytes] = []
        self._blocked_start = 0
        self._exec_queue: list[Any] = []  # EXEC's commands, to shape its replies in RESP2
        state.clients[self.id] = self
        state.connections_received += 1

    def receive(self, data: bytes) -> bytes:
        """Take the bytes a client sent; return the replies to every command they complete.

        After a protocol error, QUIT, or a query buffer over ``client-query-buffer-limit``,
        `closing` is set: send what was returned, then close the connection.
        """
        if self.closing:
            return b""
        if self.blocked is not None:
            self.hold(data)
            return b""
        self.state.net_input += len(data)
        self.reader.feed(data)
        return self._serve([])

    def hold(self, data: bytes) -> None:
        """Keep bytes that arrive while the client is blocked, unread until `unblock`."""
        self.state.net_input += len(data)
        self.reader.feed(data)
        if self.blocked is not None and self.reader.buffered > self.state.query_buffer_limit:
            self.closing = True

    def unblock(self, reply: Any) -> bytes:
        """The blocked command's `reply` (its waiter's), then the replies to the commands
        that came after it, as `receive` returns them."""
        self.blocked = None
        out = [self._reply(self._blocked_argv, reply, self._blocked_start)]
        self._blocked_argv = []
        return self._serve(out)

    def _serve(self, out: list[bytes]) -> bytes:
        state = self.state
        reader = self.reader
        while not self.closing and self.blocked is None:
            try:
                argv = reader.next_command()
            except RequestError as exc:
                out.append(b"-ERR Protocol error: %b\r\n" % _clean(exc.args[0]))
                state.count_error("ERR")
                self.closing = True
                break
            if argv is None:
                break
            reply = self._run(argv)
            if self.pubsub is not None:
                self._drain(out)
            if reply:
                out.append(reply)
        buffered = reader.buffered
        if buffered > MIN_LIMIT and buffered > state.query_buffer_limit:
            self.closing = True  # Redis closes such a client without a reply
        self.active = state.clock()
        reply = b"".join(out)
        state.net_output += len(reply)
        return reply

    def close(self) -> None:
        """Forget this client (the listener calls it when the connection ends)."""
        if self.blocked is not None:
            self.store.forget(self.blocked)
            self.blocked = None
        self.transaction.close()
        if self.pubsub is not None:
            self.pubsub.close()
        self.state.clients.pop(self.id, None)

    # -- pub/sub ------------------------------------------------------------------------------

    def subscriptions(self) -> Subscriptions:
        """This connection's subscriptions, made on first use."""
        if self.pubsub is None:
            self.pubsub = Subscriptions(self.store.broker, self._pushed)
        return self.pubsub

    def _pushed(self) -> None:
        on_push = self.on_push
        if on_push is not None:
            on_push()

    def _drain(self, out: list[bytes]) -> None:
        assert self.pubsub is not None
        pushed = self.pubsub.drain(self.protocol)
        if pushed is None:  # the mailbox overflowed: drop the client, as Redis does
            self.closing = True
        elif pushed:
            out.append(pushed)

    def pushes(self) -> bytes:
        """The pushes that arrived since the last `receive` (sets `closing` when some were
        lost to the mailbox's bound)."""
        if self.pubsub is None or self.closing:
            return b""
        out: list[bytes] = []
        self._drain(out)
        data = b"".join(out)
        self.state.net_output += len(data)
        return data

    def refused_when_subscribed(self, argv: list[bytes], lower: str) -> ReplyError | None:
        """Redis's refusal of a command other than (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET
        on a RESP2 connection holding a subscription; None when it may run."""
        if self.protocol == 2 and self.subscribed:
            self.state.count_error("ERR")
            return ReplyError(not_allowed(argv, lower))
        return None

    # -- dispatch ---------------------------------------------------------------------------

    def _run(self, argv: list[bytes]) -> bytes:
        state = self.state
        upper = argv[0].upper()
        entry = _SESSION.get(upper)
        if entry is not None:
            handler, arity, lower = entry
            if not _arity_ok(arity, len(argv)):
                return self._reject(f"ERR wrong number of arguments for '{lower}' command")
            if not self.authenticated and upper not in _NO_AUTH_NEEDED:
                state.count_error("NOAUTH")
                return _NOAUTH
            if (self.pubsub is not None and self.protocol == 2 and self.pubsub.count()
                    and upper not in ALLOWED_WHEN_SUBSCRIBED and upper not in admin.CONTAINERS):
                return self._reject(not_allowed(argv, lower))
            self.last_command = lower
            start = time.perf_counter_ns()
            value = handler(self, argv)
        else:
            known = _STORE.get(upper)
            if known is None:
                state.count_error("ERR")
                return unknown_command(argv)
            arity, lower = known
            if not self.authenticated:
                if not _arity_ok(arity, len(argv)):
                    return self._reject(f"ERR wrong number of arguments for '{lower}' command")
                state.count_error("NOAUTH")
                return _NOAUTH
            if self.pubsub is not None and self.protocol == 2 and self.pubsub.count():
                if not _arity_ok(arity, len(argv)):
                    return self._reject(f"ERR wrong number of arguments for '{lower}' command")
                return self._reject(not_allowed(argv, lower))
            self.last_command = lower
            start = time.perf_counter_ns()
            try:
                if (upper in _MAY_BLOCK and self.new_waiter is not None
                        and not self.transaction.in_multi):
                    waiter = self.new_waiter()
                    value = self.store.execute_or_wait(argv, waiter)
                    if value is waiter:
                        self.blocked = waiter
                        self._blocked_argv = argv
                        self._blocked_start = start
                        return b""
                elif upper not in TRANSACTION_COMMANDS and not self.transaction.in_multi:
                    value = self.store.execute(argv)  # what the transaction layer would do
                else:
                    if upper == b"EXEC" and self.protocol == 2:
                        self._exec_queue = self.transaction.queued
                    value = self.transaction.execute(argv)
            except UnsupportedOperation:
                state.count_error("ERR")
                return unknown_command(argv)
        return self._reply(argv, value, start)

    def _reply(self, argv: list[bytes], value: Any, start: int) -> bytes:
        state = self.state
        queued = self._exec_queue  # set by EXEC over RESP2 (see `_exec_as_resp2`)
        if queued:
            self._exec_queue = []
        stats = state.commands.get(self.last_command)
        if stats is None:
            stats = state.stats_for(self.last_command)
        stats.calls += 1
        stats.usec += (time.perf_counter_ns() - start) // 1000
        state.commands_processed += 1
        if type(value) is ReplyError:
            stats.failed += 1
            state.count_error(value.code)
        elif self.protocol == 2:
            kind = type(value)
            if kind is bytes:  # the usual replies, shaped alike in RESP2 and RESP3
                return b"$%d\r\n%b\r\n" % (len(value), value)
            if value is None and _null_array(argv):
                return b"*-1\r\n"
            if queued and kind is list and len(queued) == len(value):
                return _exec_as_resp2(value, queued)
            if kind is not str and kind is not int:
                value = _as_resp2(value, argv)
        return _encode(value, self.protocol)

    def _reject(self, message: str) -> bytes:
        self.state.count_error(message.split(" ", 1)[0])
        return encode_reply(ReplyError(message), self.protocol)

# Upper-case name -> (handler, arity, lower-case name).
_SESSION: dict[bytes, tuple[Handler, int, str]] = {
    b"AUTH": (Session.cmd_auth, -2, "auth"),
    b"HELLO": (Session.cmd_hello, -1, "hello"),
    b"PING": (Session.cmd_ping, -1, "ping"),
    b"QUIT": (Session.cmd_quit, -1, "quit"),
    b"RESET": (Session.cmd_reset, 1, "reset"),
    b"SELECT": (Session.cmd_select, 2, "select"),
    **{name: (pubsub_command, arity, lower) for name, (arity, lower) in PUBSUB_VERBS.items()},
    **admin.COMMANDS,
}


def served_commands() -> dict[bytes, int]:
    """Every command this server runs (upper-case name -> Redis arity), for COMMAND."""
    served = {name: arity for name, (arity, _) in _STORE.items()}
    served.update((name, arity) for name, (_, arity, _) in _SESSION.items())
    return served
