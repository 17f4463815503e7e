"""URL and option parsing: every scheme, every option, every refusal, before any I/O."""

from __future__ import annotations

import pytest

import kvs
from kvs._url import parse_url


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("redis://localhost", {"host": "localhost", "port": 6379, "db": 0, "tls": False}),
        ("redis://h:7000/3", {"host": "h", "port": 7000, "db": 3}),
        ("redis://:pw@h", {"password": "pw", "username": None}),
        ("redis://alice:p%40ss@h/1", {"username": "alice", "password": "p@ss", "db": 1}),
        ("rediss://h", {"tls": True, "port": 6379}),
        ("redis://[::1]:7001", {"host": "::1", "port": 7001}),
        ("unix:///tmp/r.sock?db=4", {"path": "/tmp/r.sock", "db": 4}),
        ("redis+unix:///tmp/r.sock", {"path": "/tmp/r.sock"}),
        ("redis://h?timeout=1.5&connect_timeout=2&protocol=2&client_name=app&decode=no",
         {"timeout": 1.5, "connect_timeout": 2.0, "protocol": 2, "client_name": "app",
          "decode": False}),
        ("memcached://a,b:1234,[::1]:99",
         {"servers": (("a", 11211), ("b", 1234), ("::1", 99))}),
        (":memory:", {"backend": "memory", "name": ":memory:"}),
        ("memory://cache", {"backend": "memory", "name": "cache"}),
    ],
)
def test_parse(url: str, fields: dict[str, object]) -> None:
    config = parse_url(url)
    for name, value in fields.items():
        assert getattr(config, name) == value, name


@pytest.mark.parametrize(
    "url",
    ["http://x", "redis:/x", "redis://", "foo", "", "redis://h:99999", "redis://h:x",
     "redis://h/abc", "memcached://h/path", "memory://", "redis://h#frag",
     "memcached://user:pw@h", "unix://host/x.sock", "unix://", "redis://h h"],
)
def test_unsupported(url: str) -> None:
    with pytest.raises(kvs.InvalidURL, match="Unsupported KVS URL"):
        kvs.connect(url)


def test_password_is_masked_everywhere() -> None:
    with pytest.raises(kvs.InvalidURL) as info:
        kvs.connect("redis2://user:hunter2@h")
    assert "hunter2" not in str(info.value)
    assert "user:***@h" in str(info.value)
    client = kvs.connect("redis://user:hunter2@h")
    assert "hunter2" not in repr(client)
    assert "hunter2" not in repr(parse_url("redis://user:hunter2@h"))
    assert client.url == "redis://user:***@h"


def test_invalid_url_is_a_value_error() -> None:
    assert issubclass(kvs.InvalidURL, ValueError)
    assert issubclass(kvs.InvalidURL, kvs.KvsError)


def test_options_keyword_and_query_share_parsers() -> None:
    assert parse_url("redis://h", timeout=3).timeout == 3.0
    assert parse_url("redis://h?timeout=1", timeout=3).timeout == 3.0  # keywords win
    assert parse_url("redis://h?timeout=none").timeout is None
    with pytest.raises(kvs.InvalidURL, match="timeout"):
        parse_url("redis://h?timeout=abc")
    with pytest.raises(kvs.InvalidURL, match="timeout"):
        parse_url("redis://h", timeout=-1)
    with pytest.raises(TypeError, match="timeout"):
        parse_url("redis://h", timeout=[1])
    with pytest.raises(kvs.InvalidURL, match="unknown option 'colour'"):
        parse_url("redis://h?colour=red")
    with pytest.raises(kvs.InvalidURL, match="protocol"):
        parse_url("redis://h", protocol=4)
    with pytest.raises(kvs.InvalidURL, match="Redis"):
        parse_url("memcached://h", db=1)
    with pytest.raises(kvs.InvalidURL, match="rediss"):
        parse_url("redis://h", ssl_insecure=True)
    with pytest.raises(TypeError, match="url must be str"):
        kvs.connect(b"redis://h")  # type: ignore[call-overload]


def test_same_connection_for_equivalent_urls() -> None:
    assert parse_url("redis://localhost") == parse_url("redis://localhost:6379/0")
    assert parse_url("redis://localhost") != parse_url("redis://localhost", decode=False)
