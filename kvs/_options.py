"""The keyword options of `kvs.connect` and `kvs.sync.connect`, typed for the user's checker.

`Options` lists, with their types, the options that `kvs._url.OPTIONS` parses (every query
option of a URL, ``decode`` aside: `connect` takes that one by name, for its overloads), plus
the credentials that may be given beside the URL.  A misspelt option (``timout=2``) is then a
type error in the user's code as well as a `kvs.InvalidURL` at run time;
``tests/test_typing.py`` checks that this table and `OPTIONS` name the same options.
"""

from __future__ import annotations

from typing import TypedDict

__all__ = ["Options"]


class Options(TypedDict, total=False):
    """Keyword options of ``kvs.connect(url, **options)`` (each may also be a query option of
    the URL but the credentials; a keyword wins over the URL).  See docs/urls.md."""

    timeout: float | None  # seconds to wait for a reply; None: for ever
    connect_timeout: float | None  # seconds to open a connection (and its handshake)
    health_check_interval: float | None  # seconds idle before a PING; None: never
    db: int  # Redis: the database number (SELECT)
    protocol: int  # Redis: 2 or 3 (HELLO 3, the default)
    client_name: str | None  # Redis: CLIENT SETNAME; "" or None: none
    retries: int  # reconnections and resends allowed (see docs/errors.md)
    username: str | None  # Redis: the ACL user (keyword only; wins over the URL's)
    password: str | None  # Redis: AUTH's password (keyword only; wins over the URL's)
    ssl_ca_file: str | None  # rediss://: CA bundle to verify the server with
    ssl_certfile: str | None  # rediss://: client certificate
    ssl_keyfile: str | None  # rediss://: its private key
    ssl_insecure: bool  # rediss://: skip verification (tests only)
    read_from: str  # Sentinel and Cluster: "primary", "replica" or "prefer_replica"
    sentinel_username: str | None  # Sentinel: the Sentinels' own ACL user
    sentinel_password: str | None  # Sentinel: the Sentinels' own password
