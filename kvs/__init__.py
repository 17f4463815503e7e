"""kvs: one key-value interface over Redis, Memcached and an in-process store, for trio.

>>> import trio, kvs
>>> async def main():
...     async with kvs.connect("memory://doctest") as db:
...         await db.set("user:1", "Alice")
...         return await db.get("user:1")
>>> trio.run(main)
'Alice'

`kvs.connect(url)` checks the URL at once and returns a `Client`; ``async with`` opens it.
`kvs.sync.connect(url)` gives the same calls, blocking.  `import kvs` does not import trio
until a client opens.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Literal, overload

from ._errors import (
    ConnectionError,
    InvalidURL,
    KvsError,
    ProtocolError,
    ResponseError,
    TimeoutError,
    UnsupportedOperation,
    WatchError,
)
from ._url import parse_url
from .client import Client
from .client.pipeline import Pipeline, Transaction, Watch
from .client.pubsub import Message, Subscription
from .client.script import Script

if TYPE_CHECKING:
    from .server import Server

__all__ = [
    "Client",
    "ConnectionError",
    "InvalidURL",
    "KvsError",
    "Message",
    "Pipeline",
    "ProtocolError",
    "ResponseError",
    "Script",
    "Subscription",
    "TimeoutError",
    "Transaction",
    "UnsupportedOperation",
    "Watch",
    "WatchError",
    "connect",
    "serve",
]

__version__ = "0.1.0"


@overload
def connect(url: str, *, decode: Literal[False], **options: object) -> Client[bytes]: ...
@overload
def connect(url: str, *, decode: Literal[True] = ..., **options: object) -> Client[str]: ...
@overload
def connect(url: str, *, decode: bool, **options: object) -> Client[str] | Client[bytes]: ...


def connect(url: str, **options: object) -> Client[str] | Client[bytes]:
    """Return a client for `url`; open it with ``async with``.

    The client reads `str` (UTF-8), or `bytes` with ``decode=False``: ``kvs.connect(url)`` is
    a ``Client[str]``, whose ``get`` is typed ``str | None``.

    Args:
        url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://...`` (TLS),
            ``unix:///path.sock[?db=N]`` or ``redis+unix://``, ``memcached://host[:port][,...]``,
            ``redis+sentinel://host:port[,...]/SERVICE[/db]`` (docs/sentinel.md),
            ``:memory:`` or ``memory://NAME``.  Query options such as ``?timeout=2``.
        **options: the same options as keywords: ``timeout``, ``connect_timeout``, ``db``,
            ``protocol``, ``client_name``, ``decode``, ``retries``, ``ssl_ca_file``,
            ``ssl_certfile``, ``ssl_keyfile``, ``ssl_insecure``; for Sentinel also
            ``read_from``, ``sentinel_username``, ``sentinel_password``.

    Raises:
        kvs.InvalidURL: the URL or an option is not valid (checked before any I/O).
        TypeError: an option has the wrong type.
    """
    config = parse_url(url, **options)
    if config.decode:
        return Client[str](config)
    return Client[bytes](config)


def serve(
    url: str = ":memory:",
    *,
    host: str = "127.0.0.1",
    port: int | None = 0,
    unix: str | None = None,
    password: str | None = None,
) -> AbstractAsyncContextManager[Server]:
    """Serve the memory store at `url` to any Redis client while ``async with`` runs (trio).

    ``async with kvs.serve("memory://app", port=0) as server:`` listens on loopback;
    ``server.url`` is the ``redis://`` URL to reach it and ``server.port`` the port bound.
    See `kvs.server.serve` for every argument and docs/serve.md for what is served.
    """
    from .server import serve as _serve

    return _serve(url, host=host, port=port, unix=unix, password=password)
