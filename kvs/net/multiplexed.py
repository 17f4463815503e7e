"""The multiplexed trio connection: many tasks, one stream, replies matched in order.

Theory of operation
-------------------
A `MultiplexedConnection` owns one transport (`kvs.net.transport`: a raw socket, or a trio
stream for TLS) and one incremental parser (`resp.Parser`, or the Memcached codec's: anything
with ``feed`` and ``next_reply``).  A caller hands it a request (the bytes of one or more
commands and how many replies they produce) and parks.  Two background tasks do the I/O:

- the *writer* takes everything queued since its last write and sends it with one
  ``send_all`` (auto-pipelining: 64 tasks asking at once cost one write);
- the *reader* receives into one preallocated buffer, feeds the parser and hands each
  complete reply to the oldest request in flight.

One shortcut: when the connection is idle (nothing queued, nothing being written, no reply
awaited) and the caller is the task that made the previous request too (one task working
alone: when many tasks take turns, their requests must wait for the writer so that they
batch), a caller on a raw socket writes its request itself with one non-blocking ``send`` (a
lone request then costs no scheduler pass for the writer), after checking for cancellation:
every request is a cancel point, even one answered at once.  Whatever the kernel does not
take at once is handed to the writer as the *tail*, written before anything else, so bytes
never interleave.  Right after such a send the
caller also reads whatever has already arrived (on one CPU the server often answers within
the ``send``) and hands out the replies itself, exactly as the reader would; if its own reply
is among them it returns without parking, yielding to the scheduler every few such calls so
that a loop of them never starves other tasks.  The reader is parked in ``wait_readable``
whenever a caller runs, so the two never use the receive buffer at the same time.

Invariants:
1. ``_inflight`` holds, in wire order, every request whose bytes were handed to the transport
   and whose replies are not all in.  A request enters it just before its bytes are written,
   so a reply can never arrive for a request the reader does not know.
2. A caller that is cancelled (or times out) never takes the stream with it.  If its request
   is still queued it is simply not written; if it was written its slot stays in
   ``_inflight`` with no owner, and the reader reads its replies and drops them.  Nobody else
   ever sees a reply that was not theirs.
3. The writer and the reader progress independently, so a large request being written while
   a large reply is arriving cannot deadlock.
4. When the stream breaks, every request gets a `kvs.ConnectionError` whose ``sent`` says
   whether its bytes may have reached the server: True for ``_inflight`` (and the batch being
   written), False for those still queued.  The retry layer above decides from that alone.
   A broken connection is never reused.
5. A push (RESP3 ``>``) is never a reply: it goes to ``on_push``.  A reply that arrives with
   nothing in flight breaks the connection, except that a caller whose own reply was complete
   before it keeps that reply.

A *watchdog* task breaks a connection that went quiet: once a caller gave up on a written
request (a timeout or a cancellation), nothing more received within ``stall_timeout`` means
the peer is gone (a half-open connection); and an idle connection is sent ``ping`` every
``health_check_interval`` and must answer within the same deadline.  It reads counters the
hot paths bump (requests, receives), never the clock.

A request's ``timeout`` is kept by one *timer* task for the whole connection, not by a
cancel scope per request (trio's cost more than the rest of a request): a caller that parks
with a timeout puts its slot on ``_timed`` and the timer, asleep until the nearest deadline,
wakes it with `kvs.TimeoutError`, leaving its slot as a cancellation would (invariant 2).

The background tasks run as trio system tasks so that a connection shared by many clients and
tasks outlives any one of them; they catch everything and report it through invariant 4.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable
from typing import Any, Protocol

import outcome
import trio

from resp import NEED_DATA, Push

from .._errors import ConnectionError, ProtocolError, TimeoutError
from .._log import get_logger
from .errors import translate
from .transport import Transport

__all__ = ["MultiplexedConnection", "PushHandler", "ReplyParser"]

_log = get_logger("kvs.net")

RECEIVE_SIZE = 256 * 1024
YIELD_EVERY = 16


PushHandler = Callable[[Push], None]


class ReplyParser(Protocol):
    def feed(self, data: bytes | bytearray | memoryview) -> None: ...
    def next_reply(self) -> Any: ...


class _Slot:
    __slots__ = ("count", "deadline", "payload", "replies", "task", "timeout")

    def __init__(self, payload: bytes, count: int, task: trio.lowlevel.Task) -> None:
        self.payload = payload
        self.count = count
        self.replies: list[Any] = []
        self.task: trio.lowlevel.Task | None = task  # None: the caller left
        self.deadline = math.inf  # set with `timeout` when the caller parks with one
        self.timeout: float | None = None


class MultiplexedConnection:
    """One multiplexed connection.  Create with `start` inside a trio run.

    ``pushes`` counts the out-of-band pushes received (RESP3 ``>``); each goes to
    ``on_push`` when it is set, and is never handed to a caller as a reply.
    """

    def __init__(self, transport: Transport, parser: ReplyParser, name: str,
                 need_data: object = NEED_DATA, *, ping: bytes | None = None,
                 health_check_interval: float | None = None,
                 stall_timeout: float | None = None) -> None:
        self.name = name
        self.on_push: PushHandler | None = None
        self.pushes = 0
        self._need_data = need_data
        self._transport = transport
        self._send_now = transport.can_send_now
        self._tail = b""
        self._buffer = bytearray(RECEIVE_SIZE)
        self._view = memoryview(self._buffer)
        self._quick = 0
        self._last_caller = 0  # id() of the task that made the previous request
        self._parser = parser
        self._queue: collections.deque[_Slot] = collections.deque()
        self._inflight: collections.deque[_Slot] = collections.deque()
        self._writer_task: trio.lowlevel.Task | None = None
        self._writer_parked = False
        self._error: ConnectionError | None = None
        self._closing = False  # aclose() was called: the break is the client's, not news
        self._scope = trio.CancelScope()
        self._done = trio.Event()
        self._root = trio.lowlevel.current_root_task()
        # Watchdog state: counters rather than clock reads keep the hot paths cheap.
        self._ping = ping
        self._health_check_interval = health_check_interval
        self._stall_timeout = stall_timeout
        self._receives = 0  # reads that returned bytes
        self._requests = 0
        self._stall_mark: int | None = None  # _receives when a written request was abandoned
        self._stall_deadline = math.inf
        self._watchdog_scope: trio.CancelScope | None = None
        # Request timeouts: the slots parked with one, oldest first, and the timer's deadline.
        self._timed: collections.deque[_Slot] = collections.deque()
        self._timer_deadline = math.inf
        self._timer_scope: trio.CancelScope | None = None

    @classmethod
    def start(cls, transport: Transport, parser: ReplyParser, name: str,
              need_data: object = NEED_DATA, *, ping: bytes | None = None,
              health_check_interval: float | None = None,
              stall_timeout: float | None = None) -> MultiplexedConnection:
        """Wrap an open transport (handshake done) and start its reader and writer.

        Args:
            need_data: the parser's "no complete reply yet" sentinel.
            ping: a request of one reply that checks the connection (Redis: ``PING``).
            health_check_interval: seconds of silence after which `ping` is sent; no answer
                within `stall_timeout` (or the interval) breaks the connection.
            stall_timeout: seconds a connection may stay silent after a caller gave up on a
                request it wrote (a timeout, a cancellation) before it is presumed dead.
        """
        pipe = cls(transport, parser, name, need_data, ping=ping,
                   health_check_interval=health_check_interval, stall_timeout=stall_timeout)
        trio.lowlevel.spawn_system_task(pipe._run, name=f"kvs connection {name}")
        return pipe

    @property
    def broken(self) -> bool:
        return self._error is not None

    @property
    def error(self) -> BaseException | None:
        """Why the connection broke (the first error), or None while it works."""
        return None if self._error is None else self._error.__cause__

    async def request(self, payload: bytes, count: int = 1,
                      timeout: float | None = None) -> list[Any]:
        """Send `payload` (which produces `count` replies) and return the replies.

        Every call is a trio checkpoint: it raises `trio.Cancelled` in a cancelled scope
        before writing anything, and a loop of calls lets other tasks run.  A request that
        waits for its replies longer than `timeout` seconds raises `kvs.TimeoutError`; its
        slot stays, as for a cancellation, and absorbs the late replies.

        Raises:
            kvs.ConnectionError: the connection broke; ``sent`` tells whether the request may
                have reached the server.
            kvs.ProtocolError: the server's reply broke the protocol (``sent`` is True).
            RuntimeError: the connection belongs to another trio run.
        """
        if self._error is not None:
            await trio.lowlevel.checkpoint()
            raise ConnectionError(str(self._error), sent=False) from self._error
        if trio.lowlevel.current_root_task() is not self._root:
            raise RuntimeError(
                f"this kvs client (connection to {self.name}) belongs to another trio run; "
                "open a client inside each trio.run")
        task = trio.lowlevel.current_task()
        slot = _Slot(payload, count, task)
        caller = id(task)
        lone = caller == self._last_caller
        self._last_caller = caller
        self._requests += 1
        if self._writer_parked:
            if lone and self._send_now and not self._inflight:  # one task, idle: write now
                await trio.lowlevel.checkpoint_if_cancelled()
                if not self._writer_parked or self._inflight or self._error is not None:
                    # Cancellation was checked by a full checkpoint that let others run.
                    return await self.request(payload, count, timeout)
                self._inflight.append(slot)
                slot.payload = b""
                try:
                    sent = self._transport.try_send(payload)
                except OSError as exc:  # a failed send wrote nothing of this request
                    self._inflight.pop()
                    error = translate(exc, self.name)
                    self._fail(error)
                    await trio.lowlevel.checkpoint()
                    raise ConnectionError(str(error), sent=False) from exc
                if sent == len(payload):
                    received = self._transport.try_receive_into(self._buffer)
                    if received and self._deliver_now(self._view[:received], slot):
                        self._quick += 1
                        if not self._quick % YIELD_EVERY:
                            await trio.lowlevel.cancel_shielded_checkpoint()
                        return slot.replies
                else:
                    self._tail = payload[sent:]
                    self._wake_writer()
            else:
                self._queue.append(slot)
                self._wake_writer()
        else:
            self._queue.append(slot)

        def abort(_: Any) -> trio.lowlevel.Abort:
            if slot.payload:  # still queued: it will never be written
                slot.task = None
            else:  # written: its replies will be read and dropped
                slot.task = None
                self._abandoned()
            return trio.lowlevel.Abort.SUCCEEDED

        if timeout is not None:  # the timer task wakes the caller with TimeoutError
            slot.deadline = deadline = trio.current_time() + timeout
            slot.timeout = timeout
            timed = self._timed
            while timed and timed[0].task is None:
                timed.popleft()
            timed.append(slot)
            if deadline < self._timer_deadline:
                self._timer_deadline = deadline
                if self._timer_scope is not None:
                    self._timer_scope.deadline = deadline
        result: list[Any] = await trio.lowlevel.wait_task_rescheduled(abort)
        return result

    def _wake_writer(self) -> None:
        self._writer_parked = False
        assert self._writer_task is not None
        trio.lowlevel.reschedule(self._writer_task)

    def _abandoned(self) -> None:
        """A caller gave up on a written request: arm the stall watchdog."""
        if self._stall_timeout is None or self._stall_mark is not None:
            return
        self._stall_mark = self._receives
        self._stall_deadline = trio.current_time() + self._stall_timeout
        scope = self._watchdog_scope
        if scope is not None:
            scope.deadline = min(scope.deadline, self._stall_deadline)

    async def aclose(self) -> None:
        """Close the stream; requests still waiting get `kvs.ConnectionError`."""
        self._closing = True
        self._fail(ConnectionError(f"connection to {self.name} closed by the client"))
        await self._done.wait()

    # -- background ----------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            with self._scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._write_loop)
                    nursery.start_soon(self._timer)
                    if self._stall_timeout is not None or (
                            self._ping is not None and self._health_check_interval is not None):
                        nursery.start_soon(self._watchdog)
                    await self._read_loop()
        except BaseException as exc:
            self._fail(translate(exc, self.name))
        finally:
            self._fail(ConnectionError(f"connection to {self.name} closed"))
            with trio.CancelScope(shield=True):
                await self._transport.aclose()
            self._done.set()

    async def _write_loop(self) -> None:
        self._writer_task = trio.lowlevel.current_task()
        queue = self._queue
        inflight = self._inflight
        transport = self._transport
        while True:
            if self._tail:
                tail, self._tail = self._tail, b""
                await transport.send_all(tail)
            if not queue:
                self._writer_parked = True
                await trio.lowlevel.wait_task_rescheduled(self._abort_park)
                continue
            batch = []
            while queue:
                slot = queue.popleft()
                if slot.task is None:
                    continue  # cancelled before being written
                inflight.append(slot)
                batch.append(slot.payload)
                slot.payload = b""
            if batch:
                await transport.send_all(batch[0] if len(batch) == 1 else b"".join(batch))

    def _abort_park(self, _: Any) -> trio.lowlevel.Abort:
        self._writer_parked = False
        return trio.lowlevel.Abort.SUCCEEDED

    async def _timer(self) -> None:
        """Wake, with `kvs.TimeoutError`, every caller whose request waited `timeout` seconds
        (one task for all of them: a cancel scope per request costs more than a request).

        It sleeps until the nearest deadline of ``_timed`` (requests only move it earlier);
        a timed-out caller leaves its slot exactly as a cancelled one does (see ``abort`` in
        `request`).  With one timeout for every request, it wakes about once per timeout.
        """
        timed = self._timed
        while True:
            with trio.CancelScope(deadline=self._timer_deadline) as scope:
                self._timer_scope = scope
                await trio.sleep_forever()
            self._timer_scope = None
            now = trio.current_time()
            nearest = math.inf
            waiting = []
            for slot in timed:
                task = slot.task
                if task is None:
                    continue
                if slot.deadline > now:
                    waiting.append(slot)
                    nearest = min(nearest, slot.deadline)
                    continue
                slot.task = None
                if not slot.payload:  # written: its replies will be read and dropped
                    self._abandoned()
                trio.lowlevel.reschedule(task, outcome.Error(TimeoutError(
                    f"timed out after {slot.timeout}s waiting for a reply from {self.name}")))
            timed.clear()
            timed.extend(waiting)
            self._timer_deadline = nearest

    async def _watchdog(self) -> None:
        """Break a connection that went silent: after a caller gave up on a written request
        (nothing more received within `stall_timeout`), or when idle (a health-check ping
        unanswered)."""
        interval = self._health_check_interval if self._ping is not None else None
        while True:
            requests, receives = self._requests, self._receives
            deadline = trio.current_time() + (interval or math.inf)
            if self._stall_mark is not None:
                deadline = min(deadline, self._stall_deadline)
            with trio.CancelScope(deadline=deadline) as scope:
                self._watchdog_scope = scope
                await trio.sleep_forever()
            self._watchdog_scope = None
            mark = self._stall_mark
            if mark is not None:
                if trio.current_time() < self._stall_deadline:
                    continue
                self._stall_mark = None
                if self._receives == mark and self._inflight:
                    raise ConnectionError(
                        f"connection to {self.name} lost: no reply for {self._stall_timeout}s "
                        "after a request timed out", sent=True)
                continue
            if (interval is not None and requests == self._requests
                    and receives == self._receives and not self._inflight):
                await self._health_check(interval)

    async def _health_check(self, interval: float) -> None:
        assert self._ping is not None
        deadline = self._stall_timeout or interval
        with trio.move_on_after(deadline):
            await self.request(self._ping, 1)
            return
        raise ConnectionError(
            f"connection to {self.name} lost: no answer to a health check within {deadline}s",
            sent=True)

    async def _read_loop(self) -> None:
        transport = self._transport
        buffer = self._buffer
        view = self._view
        while True:
            received = await transport.receive_into(buffer)
            if not received:
                raise ConnectionError(f"connection to {self.name} closed by the server")
            self._receives += 1
            self._deliver(view[:received])
            while received == RECEIVE_SIZE:
                # A large reply is streaming in: fresh bytes the parser keeps as they are
                # beat one more copy out of the shared buffer.
                data = await transport.receive_some(RECEIVE_SIZE)
                if not data:
                    raise ConnectionError(f"connection to {self.name} closed by the server")
                received = len(data)
                self._receives += 1
                self._deliver(data)

    def _deliver(self, data: bytes | memoryview, caller: _Slot | None = None) -> None:
        """Parse newly received bytes and hand out every complete reply.

        The `caller`'s own slot (the shortcut of `request`) is completed in place: its task
        is running, not parked.  A push is never a reply: it goes to ``on_push``.
        """
        parser = self._parser
        parser.feed(data)
        inflight = self._inflight
        need_data = self._need_data
        while True:
            try:
                reply = parser.next_reply()
            except ValueError as exc:  # the parsers' ProtocolErrors are ValueErrors
                raise ProtocolError(f"{self.name}: {exc}", sent=True) from exc
            if reply is need_data:
                return
            if type(reply) is Push:
                self._push(reply)
                continue
            if not inflight:
                raise ProtocolError(f"{self.name}: the server sent a reply nobody asked for")
            slot = inflight[0]
            slot.replies.append(reply)
            if len(slot.replies) == slot.count:
                inflight.popleft()
                task = slot.task
                if task is not None:
                    slot.task = None
                    if slot is not caller:
                        trio.lowlevel.reschedule(task, outcome.Value(slot.replies))

    def _push(self, push: Push) -> None:
        self.pushes += 1
        handler = self.on_push
        if handler is not None:
            handler(push)

    def _deliver_now(self, data: memoryview, slot: _Slot) -> bool:
        """The shortcut's delivery: True when `slot`'s own replies are complete.

        When bytes that break the protocol (or a reply nobody asked for) follow the caller's
        complete reply, the caller still gets its reply and the connection is failed for the
        rest.
        """
        try:
            self._deliver(data, slot)
        except ProtocolError as exc:
            mine = slot.task is None  # completed in place before the bad bytes
            slot.task = None  # running, not parked: it returns or raises below
            self._fail(exc)
            if mine:
                return True
            raise ProtocolError(str(exc), sent=True) from exc
        return slot.task is None

    def _fail(self, error: ConnectionError | ProtocolError) -> None:
        """Break the pipe once: wake every waiter with an error, stop the tasks."""
        if self._error is not None:
            return
        message = str(error)
        if not self._closing:
            _log.warning("%s", message)
        self._error = ConnectionError(message, sent=False)
        self._error.__cause__ = error
        self._scope.cancel()
        head = True
        while self._inflight:
            slot = self._inflight.popleft()
            if slot.task is not None:
                # Only the owner of the reply that broke the protocol hears it as such.
                exc: Exception = (ProtocolError(message, sent=True)
                                  if head and isinstance(error, ProtocolError)
                                  else ConnectionError(message, sent=True))
                exc.__cause__ = error
                trio.lowlevel.reschedule(slot.task, outcome.Error(exc))
                slot.task = None
            head = False
        while self._queue:
            slot = self._queue.popleft()
            if slot.task is not None:
                exc = ConnectionError(message, sent=False)
                exc.__cause__ = error
                trio.lowlevel.reschedule(slot.task, outcome.Error(exc))
                slot.task = None
