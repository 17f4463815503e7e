"""The handshake on real servers, trio and kvs.sync: errors on open, the client name, NOAUTH."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import kvs
import kvs.sync
from resp import ReplyError
from tests.servers import RedisServer

FULL = "max number of clients reached"


@pytest.fixture
def full_server(redis_server_factory: Callable[..., RedisServer]) -> Iterator[RedisServer]:
    """A server at ``maxclients``: one client is connected and the limit is one."""
    server = redis_server_factory(args=("--maxclients", "1"))
    holder = socket.create_connection((server.host, server.port), timeout=5)
    holder.sendall(b"PING\r\n")
    assert holder.recv(100) == b"+PONG\r\n"
    yield server
    holder.close()


OPTIONS = [{"protocol": 2}, {"protocol": 2, "client_name": ""}, {"protocol": 3},
           {"protocol": 3, "client_name": ""}]


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


@pytest.mark.parametrize("options", OPTIONS)
def test_a_full_server_refuses_on_open_sync(full_server: RedisServer,
                                            options: dict[str, Any]) -> None:
    client = kvs.sync.connect(full_server.url, retries=0, **options)
    with pytest.raises(kvs.ResponseError, match=FULL):
        client.open()


@pytest.mark.parametrize("options", OPTIONS)
async def test_a_full_server_refuses_on_open_trio(full_server: RedisServer,
                                                  options: dict[str, Any]) -> None:
    client = kvs.connect(full_server.url, retries=0, **options)
    with pytest.raises(BaseException) as info:  # an ExceptionGroup or not: see _leaf
        await client.open()
    error = _leaf(info.value)
    assert isinstance(error, kvs.ResponseError), repr(error)
    assert FULL in str(error)


NAMES = [({}, "kvs"), ({"client_name": "billing"}, "billing"), ({"client_name": ""}, None)]


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize(("options", "expected"), NAMES)
def test_client_name_sync(redis_url: str, protocol: int, options: dict[str, Any],
                          expected: str | None) -> None:
    with kvs.sync.connect(redis_url, protocol=protocol, **options) as db:
        assert db.execute("CLIENT", "GETNAME") == expected


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize(("options", "expected"), NAMES)
async def test_client_name_trio(redis_url: str, protocol: int, options: dict[str, Any],
                                expected: str | None) -> None:
    async with kvs.connect(redis_url, protocol=protocol, **options) as db:
        assert await db.execute("CLIENT", "GETNAME") == expected


@pytest.fixture
def locked_server(redis_server_factory: Callable[..., RedisServer]) -> RedisServer:
    return redis_server_factory(password="s3cret-pw")


HOW = "redis://:PASSWORD@host"


@pytest.mark.parametrize("protocol", [2, 3])
def test_noauth_says_how_to_give_the_password_sync(locked_server: RedisServer,
                                                   protocol: int) -> None:
    client = kvs.sync.connect(locked_server.url, protocol=protocol, retries=0)
    with pytest.raises(kvs.ResponseError) as info:
        client.open()
    assert info.value.code == "NOAUTH"
    assert HOW in str(info.value)
    assert str(info.value).startswith("NOAUTH")  # the server's own words come first
    with kvs.sync.connect(locked_server.make_url(password="s3cret-pw")) as db:
        assert db.ping() is True


@pytest.mark.parametrize("protocol", [2, 3])
async def test_noauth_says_how_to_give_the_password_trio(locked_server: RedisServer,
                                                         protocol: int) -> None:
    client = kvs.connect(locked_server.url, protocol=protocol, retries=0)
    with pytest.raises(BaseException) as info:  # an ExceptionGroup or not: see _leaf
        await client.open()
    error = _leaf(info.value)
    assert isinstance(error, kvs.ResponseError), repr(error)
    assert error.code == "NOAUTH"
    assert HOW in str(error)


def test_noauth_from_a_command_gets_the_hint_too() -> None:
    from kvs._errors import response_error

    error = response_error(ReplyError("NOAUTH Authentication required."))
    assert error.code == "NOAUTH"
    assert error.message.startswith("NOAUTH Authentication required. (")
    assert HOW in error.message
    plain = response_error(ReplyError("WRONGTYPE Operation against a key"))
    assert (plain.code, plain.message) == ("WRONGTYPE", "WRONGTYPE Operation against a key")
