"""``username=`` and ``password=`` beside the URL: they win over the URL's user information
(as redis-py's keyword arguments do), they are never taken from a query string (where they
would show in the URL as displayed), and they apply to Redis only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import kvs
import kvs.sync
from kvs._url import parse_url
from tests.servers import RedisServer


@pytest.fixture
def acl_server(redis_server_factory: Callable[..., RedisServer]) -> RedisServer:
    return redis_server_factory(password="def-pw", acl_users={"alice": "alice-pw"})


def test_keywords_win_over_the_urls_credentials() -> None:
    config = parse_url("redis://bob:url-pw@host", username="alice", password="kw-pw")
    assert (config.username, config.password) == ("alice", "kw-pw")
    assert config.display == "redis://bob:***@host"
    assert "kw-pw" not in repr(config)
    config = parse_url("redis://bob:url-pw@host", password="kw-pw")
    assert (config.username, config.password) == ("bob", "kw-pw")
    config = parse_url("redis://host", password="kw-pw")
    assert (config.username, config.password, config.display) == (None, "kw-pw",
                                                                   "redis://host")


@pytest.mark.parametrize("name", ["password", "username"])
def test_credentials_are_not_taken_from_a_query_string(name: str) -> None:
    with pytest.raises(kvs.InvalidURL, match="user information") as info:
        parse_url(f"redis://host?{name}=zq9secret")
    assert "zq9secret" not in str(info.value)


def test_a_misspelt_credential_in_a_query_string_is_not_shown() -> None:
    with pytest.raises(kvs.InvalidURL, match="unknown option 'pasword'") as info:
        parse_url("redis://host/0?pasword=zq9secret")
    assert "zq9secret" not in str(info.value)


@pytest.mark.parametrize("url", [":memory:", "memcached://host"])
def test_credentials_are_refused_off_redis(url: str) -> None:
    with pytest.raises(kvs.InvalidURL, match="only to Redis"):
        kvs.connect(url, password="pw")


def test_a_credential_must_be_text_on_one_line() -> None:
    with pytest.raises(TypeError, match="password must be a str"):
        parse_url("redis://host", password=b"pw")
    with pytest.raises(kvs.InvalidURL, match="line break"):
        parse_url("redis://host", password="pw\r\nFLUSHALL")


def test_the_password_keyword_opens_a_locked_server_sync(acl_server: RedisServer) -> None:
    with kvs.sync.connect(acl_server.url, password="def-pw") as db:
        assert db.ping() is True
    wrong = acl_server.make_url(password="wrong")
    with kvs.sync.connect(wrong, password="def-pw") as db:  # the keyword wins
        assert db.ping() is True
    with kvs.sync.connect(acl_server.url, username="alice", password="alice-pw") as db:
        assert db.execute("ACL", "WHOAMI") == "alice"


async def test_the_password_keyword_opens_a_locked_server_trio(acl_server: RedisServer) -> None:
    async with kvs.connect(acl_server.url, password="def-pw") as db:
        assert await db.ping() is True
    wrong = acl_server.make_url(username="alice", password="wrong")
    async with kvs.connect(wrong, password="alice-pw") as db:  # the URL's user, this password
        assert await db.execute("ACL", "WHOAMI") == "alice"
