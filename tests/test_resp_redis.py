"""resp against a real redis-server: every RESP3 type Redis can send, and
large pipelined replies read in small pieces."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

import resp
from tests.servers import RedisServer


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with RedisServer(args=("--enable-debug-command", "yes")) as srv:
        yield srv


class Conn:
    def __init__(self, server: RedisServer, read_size: int = 65536) -> None:
        self.sock = socket.create_connection((server.host, server.port))
        self.parser = resp.Parser()
        self.read_size = read_size

    def send(self, *commands: tuple[Any, ...]) -> list[Any]:
        self.sock.sendall(b"".join(resp.encode_command(*c) for c in commands))
        replies: list[Any] = []
        while len(replies) < len(commands):
            reply = self.parser.next_reply()
            if reply is resp.NEED_DATA:
                data = self.sock.recv(self.read_size)
                assert data, "server closed the connection"
                self.parser.feed(data)
            else:
                replies.append(reply)
        return replies

    def call(self, *args: Any) -> Any:
        return self.send(args)[0]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def conn(server: RedisServer) -> Iterator[Conn]:
    c = Conn(server)
    yield c
    c.close()


def test_hello_3_and_debug_protocol_types(conn: Conn) -> None:
    hello = conn.call("HELLO", 3)
    assert isinstance(hello, dict)
    assert hello[b"proto"] == 3
    assert conn.call("DEBUG", "PROTOCOL", "string") == b"Hello World"
    assert conn.call("DEBUG", "PROTOCOL", "integer") == 12345
    assert conn.call("DEBUG", "PROTOCOL", "double") == 3.141
    assert conn.call("DEBUG", "PROTOCOL", "bignum") == 1234567999999999999999999999999999999
    assert conn.call("DEBUG", "PROTOCOL", "null") is None
    assert conn.call("DEBUG", "PROTOCOL", "true") is True
    assert conn.call("DEBUG", "PROTOCOL", "false") is False
    assert conn.call("DEBUG", "PROTOCOL", "array") == [0, 1, 2]
    assert conn.call("DEBUG", "PROTOCOL", "set") == {0, 1, 2}
    assert conn.call("DEBUG", "PROTOCOL", "map") == {0: False, 1: True, 2: False}
    verbatim = conn.call("DEBUG", "PROTOCOL", "verbatim")
    assert isinstance(verbatim, resp.Verbatim)
    assert verbatim.format == "txt"
    assert verbatim == "This is a verbatim\nstring"
    assert conn.call("DEBUG", "PROTOCOL", "attrib") == b"Some real reply following the attribute"
    assert conn.parser.last_attributes == {(): {b"key-popularity": [b"key:123", 90]}}
    assert conn.call("PING") == "PONG"
    assert conn.parser.last_attributes == {}


def test_errors_are_returned(conn: Conn) -> None:
    conn.call("SET", "str", "x")
    err = conn.call("LPUSH", "str", "y")
    assert isinstance(err, resp.ReplyError)
    assert err.code == "WRONGTYPE"
    assert err.message.startswith("WRONGTYPE Operation against a key")
    assert conn.call("GET", "str") == b"x"


def test_push_messages(server: RedisServer) -> None:
    sub = Conn(server)
    pub = Conn(server)
    try:
        sub.call("HELLO", 3)
        assert sub.call("SUBSCRIBE", "news") == resp.Push([b"subscribe", b"news", 1])
        assert pub.call("PUBLISH", "news", "hi") == 1
        sub.sock.sendall(resp.encode_command("PING"))
        got: list[Any] = []
        while len(got) < 2:
            reply = sub.parser.next_reply()
            if reply is resp.NEED_DATA:
                sub.parser.feed(sub.sock.recv(4096))
            else:
                got.append(reply)
        message = got[0] if isinstance(got[0], resp.Push) else got[1]
        assert message.kind == "message"
        assert message == [b"message", b"news", b"hi"]
    finally:
        sub.close()
        pub.close()


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("read_size", [7, 1000, 65536])
def test_large_pipelined_replies(server: RedisServer, protocol: int, read_size: int) -> None:
    c = Conn(server, read_size)
    try:
        c.call("HELLO", protocol)
        values = [b"%d-%s" % (i, b"v" * (i % 37)) for i in range(1500)]
        fields = {b"f%d" % i: b"%010d" % i for i in range(300)}
        big = bytes(range(256)) * 4096 + b"\r\n"
        c.send(
            ("DEL", "l", "h", "s", "big", "z"),
            ("RPUSH", "l", *values),
            ("HSET", "h", *[x for kv in fields.items() for x in kv]),
            ("SADD", "s", *values[:100]),
            ("SET", "big", big),
            ("ZADD", "z", 1.5, "a", 2.25, "b"),
        )
        replies = c.send(
            ("LRANGE", "l", 0, -1),
            ("HGETALL", "h"),
            ("SMEMBERS", "s"),
            ("GET", "big"),
            ("ZRANGE", "z", 0, -1, "WITHSCORES"),
            ("MGET", "l", "big", "missing"),
        )
        lrange, hgetall, smembers, got_big, zrange, mget = replies
        assert lrange == values
        if protocol == 3:
            assert hgetall == fields
            assert smembers == set(values[:100])
            assert zrange == [[b"a", 1.5], [b"b", 2.25]]
        else:
            assert dict(zip(hgetall[::2], hgetall[1::2], strict=True)) == fields
            assert sorted(smembers) == sorted(values[:100])
            assert zrange == [b"a", b"1.5", b"b", b"2.25"]
        assert got_big == big
        assert mget == [None, big, None]
    finally:
        c.close()
