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

from ._client import Client
from ._errors import (
    ConnectionError,
    InvalidURL,
    KvsError,
    ProtocolError,
    ResponseError,
    TimeoutError,
    UnsupportedOperation,
)
from ._url import parse_url

__all__ = [
    "Client",
    "ConnectionError",
    "InvalidURL",
    "KvsError",
    "ProtocolError",
    "ResponseError",
    "TimeoutError",
    "UnsupportedOperation",
    "connect",
]

__version__ = "0.1.0"


def connect(url: str, **options: object) -> Client:
    """Return a client for `url`; open it with ``async with``.

    Args:
        url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://...`` (TLS),
            ``unix:///path.sock[?db=N]`` or ``redis+unix://``, ``memcached://host[:port][,...]``,
            ``:memory:`` or ``memory://NAME``.  Query options such as ``?timeout=2``.
        **options: the same options as keywords: ``timeout``, ``connect_timeout``, ``db``,
            ``protocol``, ``client_name``, ``decode``, ``retries``, ``ssl_ca_file``,
            ``ssl_certfile``, ``ssl_keyfile``, ``ssl_insecure``.

    Raises:
        kvs.InvalidURL: the URL or an option is not valid (checked before any I/O).
        TypeError: an option has the wrong type.
    """
    return Client(parse_url(url, **options))
