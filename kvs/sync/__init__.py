"""kvs.sync: the same operations as `kvs`, blocking, safe to share between threads.

>>> import kvs.sync
>>> with kvs.sync.connect("memory://sync-doctest") as db:
...     db.set("greeting", "hello")
...     db.get("greeting")
True
'hello'

It never imports trio: the client is generated from the trio one (``scripts/unasync.py``) and
runs over blocking sockets.
"""

from __future__ import annotations

from typing import Literal, overload

from .._url import parse_url
from .client import Client
from .client.pipeline import Pipeline, Transaction, Watch
from .client.pubsub import Message, Subscription
from .client.script import Script

__all__ = ["Client", "Message", "Pipeline", "Script", "Subscription", "Transaction", "Watch",
           "connect"]


@overload
def connect(url: str, *, decode: Literal[False], **options: object) -> Client[bytes]: ...
@overload
def connect(url: str, *, decode: Literal[True] = ..., **options: object) -> Client[str]: ...
@overload
def connect(url: str, *, decode: bool, **options: object) -> Client[str] | Client[bytes]: ...


def connect(url: str, **options: object) -> Client[str] | Client[bytes]:
    """Return a blocking client for `url`; use it with ``with`` (or call ``open()``).

    Takes the same URLs and options as `kvs.connect`.

    Raises:
        kvs.InvalidURL: the URL or an option is not valid (checked before any I/O).
    """
    config = parse_url(url, **options)
    if config.decode:
        return Client[str](config)
    return Client[bytes](config)
