"""encode_command and encode_reply."""

from __future__ import annotations

from typing import Any

import pytest

import resp
from resp import Push, ReplyError, Verbatim


def test_encode_command_exact_bytes() -> None:
    assert resp.encode_command("SET", "key", "value") == (
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"
    )
    assert resp.encode_command("PING") == b"*1\r\n$4\r\nPING\r\n"
    assert resp.encode_command() == b"*0\r\n"


@pytest.mark.parametrize(
    ("arg", "wire"),
    [
        (b"a\r\nb", b"a\r\nb"),
        (bytearray(b"xy"), b"xy"),
        (memoryview(b"xyz")[1:], b"yz"),
        ("café", "café".encode()),
        ("", b""),
        (0, b"0"),
        (-17, b"-17"),
        (2**70, b"1180591620717411303424"),
        (1.5, b"1.5"),
        (0.1, b"0.1"),
        (1e16, b"1e+16"),
        (-0.0, b"-0.0"),
        (float("inf"), b"inf"),
        (float("-inf"), b"-inf"),
        (b"x" * 5000, b"x" * 5000),
    ],
)
def test_encode_command_argument_types(arg: Any, wire: bytes) -> None:
    assert resp.encode_command("ECHO", arg) == b"*2\r\n$4\r\nECHO\r\n$%d\r\n%b\r\n" % (
        len(wire),
        wire,
    )


def test_encode_command_subclasses() -> None:
    import enum

    class Color(enum.IntEnum):
        RED = 3

    class Name(str):
        pass

    assert resp.encode_command(Color.RED, Name("n")) == b"*2\r\n$1\r\n3\r\n$1\r\nn\r\n"


@pytest.mark.parametrize("arg", [True, False, None, [b"a"], {"a": 1}, object(), 1j])
def test_encode_command_rejects_other_types(arg: Any) -> None:
    with pytest.raises(TypeError, match=type(arg).__name__):
        resp.encode_command("SET", "k", arg)


def test_encode_command_rejects_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        resp.encode_command("INCRBYFLOAT", "k", float("nan"))


def test_encode_command_is_parsed_back() -> None:
    wire = resp.encode_command("HSET", b"h", "f", 1, 2.5, b"\x00\r\n")
    parser = resp.Parser()
    parser.feed(wire)
    assert parser.next_reply() == [b"HSET", b"h", b"f", b"1", b"2.5", b"\x00\r\n"]


RESP3: list[tuple[Any, bytes]] = [
    (None, b"_\r\n"),
    (True, b"#t\r\n"),
    (False, b"#f\r\n"),
    (7, b":7\r\n"),
    (-(2**63), b":-9223372036854775808\r\n"),
    (2**63, b"(9223372036854775808\r\n"),
    (1.5, b",1.5\r\n"),
    (float("inf"), b",inf\r\n"),
    (float("-inf"), b",-inf\r\n"),
    (float("nan"), b",nan\r\n"),
    (b"ab", b"$2\r\nab\r\n"),
    (bytearray(b"ab"), b"$2\r\nab\r\n"),
    ("OK", b"+OK\r\n"),
    (Verbatim("a\r\nb", "mkd"), b"=8\r\nmkd:a\r\nb\r\n"),
    (ReplyError("ERR x"), b"-ERR x\r\n"),
    (ReplyError("ERR a\r\nb"), b"!8\r\nERR a\r\nb\r\n"),
    ([1, [b"x"]], b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n"),
    ((1,), b"*1\r\n:1\r\n"),
    ({"a": 1}, b"%1\r\n+a\r\n:1\r\n"),
    ({1}, b"~1\r\n:1\r\n"),
    (frozenset(), b"~0\r\n"),
    (Push([b"message", b"c", b"m"]), b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"),
]

RESP2: list[tuple[Any, bytes]] = [
    (None, b"$-1\r\n"),
    (True, b":1\r\n"),
    (False, b":0\r\n"),
    (7, b":7\r\n"),
    (2**63, b"$19\r\n9223372036854775808\r\n"),
    (1.5, b"$3\r\n1.5\r\n"),
    (float("inf"), b"$3\r\ninf\r\n"),
    (float("nan"), b"$3\r\nnan\r\n"),
    (b"ab", b"$2\r\nab\r\n"),
    ("OK", b"+OK\r\n"),
    (Verbatim("a\r\nb", "mkd"), b"$4\r\na\r\nb\r\n"),
    (ReplyError("ERR x"), b"-ERR x\r\n"),
    (ReplyError("ERR a\r\nb"), b"-ERR a  b\r\n"),
    ([1, [b"x"]], b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n"),
    ({"a": 1}, b"*2\r\n+a\r\n:1\r\n"),
    ({1}, b"*1\r\n:1\r\n"),
    (Push([b"message", b"c", b"m"]), b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n"),
]


@pytest.mark.parametrize(("value", "wire"), RESP3)
def test_encode_reply_resp3(value: Any, wire: bytes) -> None:
    assert resp.encode_reply(value) == wire
    assert resp.encode_reply(value, protocol=3) == wire


@pytest.mark.parametrize(("value", "wire"), RESP2)
def test_encode_reply_resp2(value: Any, wire: bytes) -> None:
    assert resp.encode_reply(value, protocol=2) == wire


def test_encode_reply_attributes() -> None:
    wire = resp.encode_reply([1], attributes={"ttl": 3600})
    assert wire == b"|1\r\n+ttl\r\n:3600\r\n*1\r\n:1\r\n"
    parser = resp.Parser()
    parser.feed(wire)
    assert parser.next_reply() == [1]
    assert parser.last_attributes == {(): {"ttl": 3600}}
    with pytest.raises(ValueError, match="RESP3"):
        resp.encode_reply(1, protocol=2, attributes={"a": 1})


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("a\r\nb", ValueError),
        ("a\nb", ValueError),
        (Verbatim("x", "toolong"), ValueError),
        (object(), TypeError),
        ([1, object()], TypeError),
        (1j, TypeError),
    ],
)
def test_encode_reply_rejects(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        resp.encode_reply(value)


def test_encode_reply_rejects_unknown_protocol() -> None:
    with pytest.raises(ValueError, match="protocol"):
        resp.encode_reply(1, protocol=1)


def test_encode_command_many_and_large_arguments() -> None:
    keys = [f"k{i}" for i in range(20)]
    args: list[Any] = ["MSET", *keys, b"v" * 10_000, 7, 2.5, bytearray(b"z")]
    parser = resp.Parser()
    parser.feed(resp.encode_command(*args))
    expected = [
        a.encode() if isinstance(a, str) else str(a).encode() if isinstance(a, (int, float))
        else bytes(a)
        for a in args
    ]
    assert parser.next_reply() == expected
    with pytest.raises(TypeError, match="NoneType"):
        resp.encode_command(*args, None)  # type: ignore[arg-type]
