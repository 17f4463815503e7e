"""The hook for metrics and tracing: an `Observer` told when each command starts and ends.

``kvs.connect(url, observer=obs)`` (or ``kvs.sync.connect``) makes a client that calls
``obs.started(command, url)`` before each command and ``obs.finished(token, event)`` after
it, with what `started` returned and a `CommandEvent` (name, duration, outcome).  A client
made without one runs exactly the code it ran before the hook existed: the observed path is
bound on the client object only when there is an observer, so there is nothing to test or
skip on each call otherwise.

An observer that raises does not break the command it watched: its exception is logged
(logger ``kvs.observe``, with the traceback) and the command's own result or error stands.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["CommandEvent", "Observer", "finish", "start"]

class CommandEvent(NamedTuple):
    """One command, as an `Observer` hears of it when it ends."""

    command: str  # the command's name, upper case: "GET", "SET", "CLIENT" ...
    url: str  # the client's URL, password masked
    duration: float  # seconds from start to end (time.perf_counter)
    outcome: str  # "ok", or the class name of the exception raised ("TimeoutError" ...)
    error: BaseException | None  # that exception; None when the outcome is "ok"


class Observer:
    """Told of every command a client runs; subclass it and override what you need.

    Both methods run on the caller's task (trio) or thread (`kvs.sync`), so they must be
    quick and must not block.  A pipeline or a transaction is not a command here: the
    commands of its builder are not reported one by one (see docs/observability.md).

    Example::

        class Timings(kvs.Observer):
            def finished(self, token, event):
                histogram[event.command].append(event.duration)

        kvs.connect(url, observer=Timings())
    """

    def started(self, command: str, url: str) -> Any:
        """A command is about to run; what this returns comes back to `finished`."""
        return None

    def finished(self, token: Any, event: CommandEvent) -> None:
        """The command ended (`event.outcome` says how); `token` is what `started` gave."""


def start(observer: Observer, command: str, url: str) -> Any:
    try:
        return observer.started(command, url)
    except Exception:
        _failed(observer, "started", command)
        return None


def finish(observer: Observer, token: Any, event: CommandEvent) -> None:
    try:
        observer.finished(token, event)
    except Exception:
        _failed(observer, "finished", event.command)


def _failed(observer: Observer, method: str, command: str) -> None:
    from ._log import get_logger  # here: `import kvs` does not import logging

    get_logger("kvs.observe").exception("observer %r failed in %s(%s)", observer, method,
                                        command)
