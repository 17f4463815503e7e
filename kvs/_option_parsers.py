"""The connection options of `kvs.connect`, checked one way whether they come in a URL's
query string or as keywords: option name -> parser (`OPTIONS`), and which options a backend
refuses (Redis-only options off Redis, Sentinel's and Cluster's own elsewhere, credentials in
a query string).  `kvs._url.parse_url` applies them; `kvs._options.Options` types them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ._errors import InvalidURL

__all__ = ["OPTIONS", "READ_FROM"]


def _positive_float_or_none(name: str, raw: object) -> float | None:
    if raw is None or (isinstance(raw, str) and raw.lower() in ("", "none")):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise TypeError(f"connect: {name} must be a number or None, not {type(raw).__name__}")
    try:
        value = float(raw)
    except ValueError:
        raise InvalidURL(f"invalid {name}: {raw!r} is not a number") from None
    if not value > 0 or math.isinf(value):
        raise InvalidURL(f"invalid {name}: {raw!r} must be a positive number of seconds")
    return value


def _int_in(low: int, high: int) -> Callable[[str, object], int]:
    def parse(name: str, raw: object) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise TypeError(f"connect: {name} must be an int, not {type(raw).__name__}")
        try:
            value = int(raw)
        except ValueError:
            raise InvalidURL(f"invalid {name}: {raw!r} is not an integer") from None
        if not low <= value <= high:
            raise InvalidURL(f"invalid {name}: {value} is not between {low} and {high}")
        return value

    return parse


def _bool(name: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise InvalidURL(f"invalid {name}: {raw!r} is not a boolean")
    raise TypeError(f"connect: {name} must be a bool, not {type(raw).__name__}")


def _text_or_none(name: str, raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise TypeError(f"connect: {name} must be a str, not {type(raw).__name__}")
    if any(ch.isspace() for ch in raw):
        raise InvalidURL(f"invalid {name}: {raw!r} contains white space")
    return raw or None


READ_FROM = ("primary", "replica", "prefer_replica")


def _read_from(name: str, raw: object) -> str:
    if not isinstance(raw, str):
        raise TypeError(f"connect: {name} must be a str, not {type(raw).__name__}")
    if raw not in READ_FROM:
        raise InvalidURL(f"invalid {name}: {raw!r} is not one of {', '.join(READ_FROM)}")
    return raw


def _secret(name: str, raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise TypeError(f"connect: {name} must be a str, not {type(raw).__name__}")
    if "\r" in raw or "\n" in raw:
        raise InvalidURL(f"invalid {name}: it contains a line break")
    return raw or None


# option name -> parser(name, raw) -> value.  Query strings and keywords share it.
OPTIONS: dict[str, Callable[[str, object], Any]] = {
    "timeout": _positive_float_or_none,
    "connect_timeout": _positive_float_or_none,
    "health_check_interval": _positive_float_or_none,
    "db": _int_in(0, 2**31 - 1),
    "protocol": _int_in(2, 3),
    "client_name": _text_or_none,
    "decode": _bool,
    "retries": _int_in(0, 100),
    "ssl_ca_file": _text_or_none,
    "ssl_certfile": _text_or_none,
    "ssl_keyfile": _text_or_none,
    "ssl_insecure": _bool,
    "read_from": _read_from,
    "sentinel_username": _text_or_none,
    "sentinel_password": _text_or_none,
    "username": _secret,
    "password": _secret,
}

# Options taken as keywords only: a credential in a query string would show in
# `Config.display` (only the userinfo is masked), so it goes in the userinfo or a keyword.
_KEYWORD_ONLY = {"username", "password"}

# Options that make no sense off Redis are refused there rather than silently ignored.
_REDIS_ONLY = {"db", "protocol", "client_name", "ssl_ca_file", "ssl_certfile", "ssl_keyfile",
               "ssl_insecure", "username", "password"}
_REDIS_BACKENDS = {"redis", "sentinel", "cluster"}
# Options of some backends only.
_BACKEND_ONLY = {"read_from": {"sentinel", "cluster"}, "sentinel_username": {"sentinel"},
                 "sentinel_password": {"sentinel"}}
