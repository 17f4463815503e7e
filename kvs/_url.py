"""URL and keyword options -> one frozen `Config`.

A URL is parsed once, before any I/O, into a `Config` that every later layer reads.  The
scheme picks the backend (`SCHEMES`); query options and keyword options go through one table
of parsers (`OPTIONS`, kept in `kvs._option_parsers`), so `?timeout=2` and `timeout=2` are
checked by the same code and give the same error.  A password is kept out of every repr and
message: `Config.display` is the URL with the password masked, and the only form that is
ever shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from ._errors import InvalidURL
from ._option_parsers import _BACKEND_ONLY, _KEYWORD_ONLY, _REDIS_BACKENDS, _REDIS_ONLY, OPTIONS

__all__ = ["DEFAULT_URL", "OPTIONS", "SCHEMES", "Config", "Driver", "load_driver", "mask_url",
           "parse_url"]

DEFAULT_URL = ":memory:"

Backend = Literal["redis", "memcached", "memory", "sentinel", "cluster"]


class Driver(NamedTuple):
    """A backend's drivers, as ``module:Class`` paths imported on first open (so that
    ``import kvs`` stays light and ``import kvs.sync`` never imports trio)."""

    backend: Backend
    trio: str
    blocking: str


REDIS = Driver("redis", "kvs.redis.driver:RedisBackend", "kvs.redis.blocking:RedisBackend")
MEMCACHED = Driver("memcached", "kvs.memcached.driver:MemcachedBackend",
                   "kvs.memcached.blocking:MemcachedBackend")
MEMORY = Driver("memory", "kvs.memory.driver:MemoryBackend",
                "kvs.memory.blocking:MemoryBackend")
SENTINEL = Driver("sentinel", "kvs.sentinel.driver:SentinelBackend",
                  "kvs.sentinel.blocking:SentinelBackend")
CLUSTER = Driver("cluster", "kvs.cluster.driver:ClusterBackend",
                 "kvs.cluster.blocking:ClusterBackend")

# The one table from URL scheme to backend and drivers.
SCHEMES: dict[str, Driver] = {
    "redis": REDIS,
    "rediss": REDIS,
    "unix": REDIS,
    "redis+unix": REDIS,
    "memcached": MEMCACHED,
    "memory": MEMORY,
    "redis+sentinel": SENTINEL,
    "rediss+sentinel": SENTINEL,
    "redis+cluster": CLUSTER,
    "rediss+cluster": CLUSTER,
}
DRIVERS: dict[Backend, Driver] = {driver.backend: driver for driver in SCHEMES.values()}


def load_driver(config: Config, kind: Literal["trio", "blocking"]) -> Any:
    """The driver class of `config`'s backend, `kind` ``"trio"`` or ``"blocking"``."""
    import importlib

    module, _, name = getattr(DRIVERS[config.backend], kind).partition(":")
    return getattr(importlib.import_module(module), name)


DEFAULT_PORTS = {"redis": 6379, "memcached": 11211, "sentinel": 26379}


class Config(NamedTuple):
    """Everything a backend needs, validated.  Equal configs share one connection.

    ``display`` (the URL as shown, password masked) takes no part in equality: URLs that
    differ only in spelling name the same connection.  (A NamedTuple rather than a dataclass
    keeps `import kvs.sync` light.)
    """

    display: str
    backend: Backend
    host: str = "localhost"
    port: int = 0
    path: str | None = None
    servers: tuple[tuple[str, int], ...] = ()
    name: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False
    timeout: float | None = 10.0
    connect_timeout: float | None = 10.0
    health_check_interval: float | None = 30.0
    protocol: int = 3
    client_name: str | None = "kvs"
    decode: bool = True
    retries: int = 3
    ssl_ca_file: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_insecure: bool = False
    # Sentinel: where reads go, and the Sentinels' own credentials (``name`` is the service).
    read_from: str = "primary"
    sentinel_username: str | None = None
    sentinel_password: str | None = None

    def __repr__(self) -> str:
        return f"Config({self.display!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self[1:] == other[1:]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self[1:])


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")


def _credentials_span(url: str) -> tuple[int, int] | None:
    """Where the credentials of `url` are: ``url[start:end]`` is ``user[:password]``.

    The parser takes the credentials as urlsplit does, up to the last ``@`` of the network
    location; this also ends them at any later ``@``, because an unencoded ``/``, ``?`` or
    ``#`` in a password ends the network location early and moves the password's tail into
    the path, query or fragment (such a URL does not parse, but its message must not show
    the password either).
    """
    match = _SCHEME.search(url)
    if match is None:
        return None
    start = match.end()
    end = url.rfind("@", start)
    return None if end < 0 else (start, end)


_QUERY_SECRET = re.compile(r"([?&]sentinel_password=)[^&#]*")


def mask_url(url: str) -> str:
    """Return `url` with any password replaced by ``***``.

    A user name is kept (``redis://alice:***@host``) unless it holds a character that ends a
    network location, in which case the whole of the credentials is masked.  A password in
    the query (``sentinel_password=``) is masked too.
    """
    url = _QUERY_SECRET.sub(r"\1***", url)
    span = _credentials_span(url)
    if span is None:
        return url
    start, end = span
    user, colon, _ = url[start:end].partition(":")
    if any(ch in user for ch in "/?#[]"):
        return f"{url[:start]}***{url[end:]}"
    if not colon:
        return url  # a user name and no password
    return f"{url[:start]}{user}:***{url[end:]}"


def _unsupported(url: str) -> InvalidURL:
    return InvalidURL(f"Unsupported KVS URL: {mask_url(url)}")


def _port(url: str, text: str | None, default: int) -> int:
    if text is None or text == "":
        return default
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise _unsupported(url)
    return int(text)


def parse_url(url: object, **options: object) -> Config:
    """Parse a KVS URL and keyword options into a `Config`, with no I/O.

    Args:
        url: ``redis://``, ``rediss://``, ``unix://``, ``redis+unix://``, ``memcached://``,
            ``redis+sentinel://``, ``rediss+sentinel://``, ``redis+cluster://``,
            ``rediss+cluster://``, ``memory://NAME`` or ``:memory:``.
        **options: the query options, as keywords (keywords win over the query string), and
            ``username`` / ``password`` (keywords win over the URL's user information).

    Returns:
        The frozen configuration.

    Raises:
        InvalidURL: the scheme is unknown or the URL or an option is malformed.
        TypeError: `url` is not a str, or an option has the wrong type.
    """
    if not isinstance(url, str):
        raise TypeError(f"connect: url must be str, not {type(url).__name__}")
    if url == ":memory:":
        return _finish(url, {"backend": "memory", "name": ":memory:"}, {}, options)
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        driver = SCHEMES.get(scheme) if "://" in url else None
        if driver is None:
            raise _unsupported(url)
        backend = driver.backend
        query = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False))
        if parts.fragment:
            raise _unsupported(url)
        base: dict[str, Any] = {"backend": backend}
        if scheme in ("unix", "redis+unix"):
            if parts.hostname not in (None, "", "localhost") or not parts.path:
                raise _unsupported(url)
            base["path"] = unquote(parts.path)
            _credentials(url, parts, base)
        elif backend == "redis":
            if not parts.hostname or any(ch.isspace() for ch in parts.hostname):
                raise _unsupported(url)
            base["host"] = parts.hostname
            base["port"] = _port(url, _raw_port(parts.netloc), DEFAULT_PORTS["redis"])
            base["tls"] = scheme == "rediss"
            _credentials(url, parts, base)
            db_path = parts.path.strip("/")
            if db_path:
                if not db_path.isdigit():
                    raise _unsupported(url)
                query.setdefault("db", db_path)
        elif backend == "cluster":
            if parts.path.strip("/"):
                raise _unsupported(url)  # a cluster has database 0 only
            base["servers"] = _servers(url, parts.netloc.rpartition("@")[2],
                                       DEFAULT_PORTS["redis"])
            base["host"], base["port"] = base["servers"][0]
            base["tls"] = scheme == "rediss+cluster"
            _credentials(url, parts, base)
        elif backend == "memcached":
            if parts.username or parts.password or parts.path.strip("/"):
                raise _unsupported(url)
            base["servers"] = _servers(url, parts.netloc, DEFAULT_PORTS["memcached"])
        elif backend == "sentinel":
            _sentinel(url, parts, base, query)
            base["tls"] = scheme == "rediss+sentinel"
        else:  # memory://NAME
            name = parts.netloc + parts.path
            if not name or parts.username or parts.password:
                raise _unsupported(url)
            base["name"] = name
    except ValueError as exc:
        if isinstance(exc, InvalidURL):
            raise
        raise _unsupported(url) from None
    return _finish(url, base, query, options)


def _raw_port(netloc: str) -> str | None:
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        _, _, rest = hostport.partition("]")
        return rest[1:] if rest.startswith(":") else None
    return hostport.partition(":")[2] if ":" in hostport else None


def _credentials(url: str, parts: SplitResult, base: dict[str, Any]) -> None:
    span = _credentials_span(url)
    if span is None:
        return
    start, end = span
    if parts.netloc != url[start:start + len(parts.netloc)] or end >= start + len(parts.netloc):
        raise _unsupported(url)  # an '@' after the host: a password with an unencoded / ? #
    username, colon, password = url[start:end].partition(":")
    if username:
        base["username"] = unquote(username)
    if colon:
        base["password"] = unquote(password)


_HOSTPORT = re.compile(
    r"\[(?P<v6>[^\]]+)\](?::(?P<p6>\d*))?|(?P<host>[^:\[\]\s]+)(?::(?P<port>\d*))?")


def _sentinel(url: str, parts: SplitResult, base: dict[str, Any],
              query: dict[str, str]) -> None:
    """``redis+sentinel://[[user]:pass@]host[:port][,host[:port]...]/SERVICE[/db]``."""
    _credentials(url, parts, base)
    base["servers"] = _servers(url, parts.netloc.rpartition("@")[2],
                               DEFAULT_PORTS["sentinel"])
    service, _, db_path = parts.path.lstrip("/").partition("/")
    service = unquote(service)
    db_path = db_path.rstrip("/")
    if not service or any(ch.isspace() for ch in service) or "/" in db_path:
        raise _unsupported(url)
    base["name"] = service
    if db_path:
        if not db_path.isdigit():
            raise _unsupported(url)
        query.setdefault("db", db_path)


def _servers(url: str, netloc: str, default_port: int) -> tuple[tuple[str, int], ...]:
    servers = []
    for item in netloc.split(","):
        match = _HOSTPORT.fullmatch(item)
        if match is None:
            raise _unsupported(url)
        host = match["v6"] or match["host"]
        port = match["p6"] if match["v6"] else match["port"]
        servers.append((host, _port(url, port, default_port)))
    return tuple(servers)


def _finish(
    url: str,
    base: dict[str, Any],
    query: Mapping[str, str],
    options: Mapping[str, object],
) -> Config:
    for name in _KEYWORD_ONLY.intersection(query):
        # (the URL is not shown: its query holds the secret)
        raise InvalidURL(f"option {name!r} is not taken from a query string: put it in the "
                         f"URL's user information or pass {name}=")
    merged: dict[str, object] = {**query, **options}
    values: dict[str, Any] = {}
    for name, raw in merged.items():
        parser = OPTIONS.get(name)
        if parser is None:
            # the URL without its query: a misspelt ?password= would show its value
            raise InvalidURL(f"unknown option {name!r} for {mask_url(url.partition('?')[0])}")
        if name in _REDIS_ONLY and base["backend"] not in _REDIS_BACKENDS:
            raise InvalidURL(f"option {name!r} applies only to Redis URLs, not {mask_url(url)}")
        if name in _BACKEND_ONLY and base["backend"] not in _BACKEND_ONLY[name]:
            raise InvalidURL(f"option {name!r} does not apply to {mask_url(url)}")
        values[name] = parser(name, raw)
    if any(k.startswith("ssl_") for k in values) and not base.get("tls"):
        raise InvalidURL(f"TLS options need a rediss:// URL, not {mask_url(url)}")
    if base["backend"] == "cluster" and values.get("db"):
        raise InvalidURL(f"a cluster has database 0 only, not {mask_url(url)}")
    # Keywords win over the query string, and over the URL's credentials (as in redis-py).
    return Config(display=mask_url(url), **{**base, **values})
