"""The ``kvs`` loggers (see docs/observability.md): ``kvs.net`` for connections, reconnections
and retries, ``kvs.pubsub`` for subscriptions and their gaps, ``kvs.observe`` for observers
that fail.  Imported by the modules that open connections, not by ``import kvs``.

A library configures no output of its own: the ``kvs`` logger gets a `logging.NullHandler`,
so an application that set up no logging sees nothing (rather than Python's last-resort
printing of warnings to standard error), and one that did sees every record it lets through.
Every URL in a record is `Config.display`, the password masked.
"""

from __future__ import annotations

import logging

__all__ = ["get_logger"]

logging.getLogger("kvs").addHandler(logging.NullHandler())


def get_logger(name: str) -> logging.Logger:
    """The logger ``name`` (``"kvs.net"`` ...) of the ``kvs`` hierarchy."""
    assert name == "kvs" or name.startswith("kvs.")
    return logging.getLogger(name)
