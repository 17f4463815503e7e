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
from typing import TYPE_CHECKING, Literal, Unpack, overload

from resp import __version__ as _resp_version

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
from ._observe import CommandEvent, Observer
from ._options import Options
from ._url import parse_url
from .client import Client
from .client.pipeline import Pipeline, Transaction, Watch
from .client.pubsub import Message, Subscription
from .client.script import Script

if TYPE_CHECKING:
    from .server import Server

__all__ = [
    "Client",
    "CommandEvent",
    "ConnectionError",
    "InvalidURL",
    "KvsError",
    "Message",
    "Observer",
    "Options",
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

__version__ = _resp_version  # one version for the whole package (set in resp)


@overload
def connect(url: str, *, decode: Literal[False], observer: Observer | None = None,
            **options: Unpack[Options]) -> Client[bytes]: ...
@overload
def connect(url: str, *, decode: Literal[True] = ..., observer: Observer | None = None,
            **options: Unpack[Options]) -> Client[str]: ...
@overload
def connect(url: str, *, decode: bool, observer: Observer | None = None,
            **options: Unpack[Options]) -> Client[str] | Client[bytes]: ...


def connect(url: str, *, decode: bool | None = None, observer: Observer | None = None,
            **options: Unpack[Options]) -> Client[str] | Client[bytes]:
    """Return a client for `url`; open it with ``async with``.

    The client reads `str` (UTF-8), or `bytes` with ``decode=False``: ``kvs.connect(url)`` is
    a ``Client[str]``, whose ``get`` is typed ``str | None``.

    Args:
        url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://...`` (TLS),
            ``unix:///path.sock[?db=N]`` or ``redis+unix://``, ``memcached://host[:port][,...]``,
            ``redis+sentinel://host:port[,...]/SERVICE[/db]`` (docs/sentinel.md),
            ``:memory:`` or ``memory://NAME``.  Query options such as ``?timeout=2``.
        decode: False: values are read as `bytes` (also ``?decode=false``).
        observer: a `kvs.Observer` told of every command's start and end (metrics, tracing;
            see docs/observability.md).
        **options: the query options as keywords (`kvs.Options` lists them, typed):
            ``timeout``, ``connect_timeout``, ``health_check_interval``, ``db``,
            ``protocol``, ``client_name``, ``retries``, ``ssl_ca_file``, ``ssl_certfile``,
            ``ssl_keyfile``, ``ssl_insecure``; and ``username`` / ``password`` beside the URL;
            for Sentinel and Cluster ``read_from``, for Sentinel ``sentinel_username`` and
            ``sentinel_password``.
            A keyword wins over the URL's query and user information.

    Example::

        kvs.connect("redis://cache:6379/0", timeout=2, password=os.environ["REDIS_PW"])

    Raises:
        kvs.InvalidURL: the URL or an option is not valid (checked before any I/O).
        TypeError: an option has the wrong type.
    """
    config = parse_url(url, **options) if decode is None else \
        parse_url(url, decode=decode, **options)
    if config.decode:
        return Client[str](config, observer=observer)
    return Client[bytes](config, observer=observer)


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
