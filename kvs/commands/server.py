"""Operations on the server and the connection: PING, and `execute` for any command."""

from __future__ import annotations

from typing import Any

from ._args import value_bytes
from ._call import NO_KEYS, Call, operation
from ._decode import as_parsed, pong_true
from .traits import IDEMPOTENT

__all__ = ["execute", "ping"]


@operation
def ping() -> Call[bool]:
    """Return True when the backend answers."""
    return Call((b"PING",), pong_true, True, NO_KEYS)


@operation
def execute(*args: object) -> Call[Any]:
    """Run any command and return its reply as parsed (bulk strings decoded unless
    ``decode=False``).  Error replies raise `kvs.ResponseError`.

    Example::

        await db.execute("ZADD", "ranking", 3, "page:1")   # 1 (on Redis)
    """
    if not args:
        raise TypeError("execute: a command name is required")
    argv = tuple(_arg("execute", a) for a in args)
    name = argv[0].upper()
    idempotent = name in IDEMPOTENT
    if name == b"SET" and any(a.upper() in (b"NX", b"XX", b"GET") for a in argv[3:]):
        idempotent = False
    return Call(argv, as_parsed, idempotent, None)


def _arg(op: str, value: object) -> bytes:
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    try:
        return value_bytes(op, value, "argument")
    except TypeError:
        raise TypeError(f"{op}: arguments must be str, bytes, int or float, not "
                        f"{type(value).__name__}") from None
