"""Malformed input and limits: ProtocolError, raised early, and the parser stays failed."""

from __future__ import annotations

import tracemalloc

import pytest

import resp
from resp import NEED_DATA

MALFORMED = [
    b"?\r\n",  # unknown type byte
    b"\x00\r\n",
    b"\r\n",
    b"OK\r\n",  # inline commands are not replies
    b"+OK\n",  # LF without CR
    b"+O\rK\r\n",  # CR inside a simple string
    b"-E\rR\r\n",
    b":12a\r\n",
    b":+1\r\n",
    b": 1\r\n",
    b":1 \r\n",
    b":\r\n",
    b":1_000\r\n",
    b":--1\r\n",
    b"(1.5\r\n",
    b"$-2\r\n",
    b"$-0\r\n",
    b"$+3\r\nabc\r\n",
    b"$ 3\r\nabc\r\n",
    b"$\r\n\r\n",
    b"$3\r\nabcd\r\n",  # payload not followed by CRLF
    b"$3\r\nab\r\n\r\n",
    b"$3\r\nabc\n\r",
    b"$3\r\nabcXY",
    b"$1_0\r\n0123456789\r\n",
    b"*-2\r\n",
    b"*x\r\n",
    b"%-1\r\n",
    b"~-1\r\n",
    b">-1\r\n",
    b"|-1\r\n",
    b"#x\r\n",
    b"#tt\r\n",
    b"#\r\n",
    b"_x\r\n",
    b",\r\n",
    b",1.\r\n",
    b",.5\r\n",
    b",1,5\r\n",
    b",1e\r\n",
    b",0x10\r\n",
    b",infinity\r\n",
    b", 1\r\n",
    b"=3\r\ntxt\r\n",  # verbatim without "fmt:"
    b"=5\r\ntxt-a\r\n",
    b"!?\r\n",
    b"=?\r\n",
    b">?\r\n",
    b"|?\r\n",
    b";3\r\nabc\r\n",  # chunk outside a streamed string
    b"$?\r\n+OK\r\n",  # streamed string holding something else
    b"$?\r\n*1\r\n",
    b"$?\r\n.\r\n",
    b"$?\r\n;-1\r\n",
    b"$?\r\n;3\r\nabcd\r\n",
    b".\r\n",  # end outside a streamed aggregate
    b"*1\r\n.\r\n",
    b"%?\r\n+k\r\n.\r\n",  # streamed map with a key and no value
    b"*2\r\n:1\r\n$2\r\nabc\r\n",
    b"*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\ndd\r\n",  # breaks inside a run of bulks
    b"*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$2\r\nd\r\n",
    b"%2\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\ndd\r\n",
    b"+OK\r\n+OK\r\n+O\rK\r\n",  # breaks inside a run of simple strings
    b"$2\r\nab\r\n$2\r\nab\r\n$2\r\nabc\r\n",  # breaks inside a run of top-level bulks
    b":1\r\n:2\r\n:x\r\n",
    b"$99999999999999999999999\r\n",
    b"*99999999999999999999999\r\n",
    b"(" + b"9" * 5000 + b"\r\n",
]


@pytest.mark.parametrize("wire", MALFORMED)
def test_malformed_raises_and_stays_failed(wire: bytes) -> None:
    for chunks in ([wire], [wire[i : i + 1] for i in range(len(wire))]):
        parser = resp.Parser()
        with pytest.raises(resp.ProtocolError):
            for chunk in chunks:
                parser.feed(chunk)
                while parser.next_reply() is not NEED_DATA:
                    pass
            # a stream cut inside the bad element: complete it with a sane tail
            parser.feed(b"\r\n+OK\r\n")
            while parser.next_reply() is not NEED_DATA:
                pass
        for _ in range(2):
            with pytest.raises(resp.ProtocolError):
                parser.next_reply()
            with pytest.raises(resp.ProtocolError):
                parser.feed(b"+OK\r\n")


def test_replies_before_the_error_are_delivered_first() -> None:
    parser = resp.Parser()
    parser.feed(b"+a\r\n+b\r\n:1\r\n+c\r\n?\r\n+never\r\n")
    assert [parser.next_reply() for _ in range(4)] == ["a", "b", 1, "c"]
    with pytest.raises(resp.ProtocolError, match="unknown type"):
        parser.next_reply()
    with pytest.raises(resp.ProtocolError, match="unknown type"):
        parser.next_reply()


def test_deep_nesting_is_a_protocol_error_not_recursion() -> None:
    parser = resp.Parser()
    parser.feed(b"*1\r\n" * 100_000)
    with pytest.raises(resp.ProtocolError, match="max_depth"):
        parser.next_reply()
    deep = resp.Parser(max_depth=200_000)
    deep.feed(b"*1\r\n" * 100_000 + b":7\r\n")
    value = deep.next_reply()
    for _ in range(100_000):
        assert isinstance(value, list)
        assert len(value) == 1
        value = value[0]
    assert value == 7


def test_depth_limit_is_exact() -> None:
    for depth, ok in ((3, True), (4, False)):
        parser = resp.Parser(max_depth=3)
        parser.feed(b"*1\r\n" * depth + b":1\r\n")
        if ok:
            assert parser.next_reply() == [[[1]]]
        else:
            with pytest.raises(resp.ProtocolError):
                parser.next_reply()
    parser = resp.Parser(max_depth=2)
    parser.feed(b"%1\r\n+k\r\n~1\r\n*1\r\n:1\r\n")
    with pytest.raises(resp.ProtocolError):
        parser.next_reply()


@pytest.mark.parametrize("kind", [b"$", b"!", b"="])
def test_bulk_over_limit_raises_before_the_payload(kind: bytes) -> None:
    parser = resp.Parser(max_bulk_len=10)
    parser.feed(kind + b"10\r\n" + b"txt:567890\r\n")
    assert parser.next_reply() is not NEED_DATA
    parser = resp.Parser(max_bulk_len=10)
    parser.feed(kind + b"11\r\n")  # no payload yet
    with pytest.raises(resp.ProtocolError, match="max_bulk_len"):
        parser.next_reply()


def test_bulk_limit_inside_a_run_of_bulks() -> None:
    parser = resp.Parser(max_bulk_len=3)
    parser.feed(b"*4\r\n$3\r\nabc\r\n$3\r\nabc\r\n$3\r\nabc\r\n$3\r\nabc\r\n")
    assert parser.next_reply() == [b"abc"] * 4
    for wire in (
        b"*4\r\n$4\r\nabcd\r\n$4\r\nabcd\r\n$4\r\nabcd\r\n$4\r\nabcd\r\n",
        b"*4\r\n$1\r\na\r\n$4\r\nabcd\r\n$1\r\na\r\n$1\r\na\r\n",
        b"$4\r\nabcd\r\n$4\r\nabcd\r\n",
    ):
        parser = resp.Parser(max_bulk_len=3)
        parser.feed(wire)
        with pytest.raises(resp.ProtocolError, match="max_bulk_len"):
            parser.next_reply()


def test_streamed_string_total_is_limited() -> None:
    parser = resp.Parser(max_bulk_len=8)
    parser.feed(b"$?\r\n;5\r\nabcde\r\n;3\r\nfgh\r\n;0\r\n")
    assert parser.next_reply() == b"abcdefgh"
    parser = resp.Parser(max_bulk_len=8)
    parser.feed(b"$?\r\n;5\r\nabcde\r\n;4\r\nfghi\r\n")
    with pytest.raises(resp.ProtocolError, match="max_bulk_len"):
        parser.next_reply()


@pytest.mark.parametrize(
    ("wire", "ok"),
    [
        (b"*3\r\n", True),
        (b"*4\r\n", False),
        (b"%1\r\n", True),  # a map counts keys and values
        (b"%2\r\n", False),
        (b"~4\r\n", False),
        (b">4\r\n", False),
        (b"|2\r\n", False),
    ],
)
def test_aggregate_limit_on_the_header(wire: bytes, ok: bool) -> None:
    parser = resp.Parser(max_aggregate_len=3)
    parser.feed(wire)
    if ok:
        assert parser.next_reply() is NEED_DATA
    else:
        with pytest.raises(resp.ProtocolError, match="max_aggregate_len"):
            parser.next_reply()


def test_streamed_aggregate_is_limited() -> None:
    parser = resp.Parser(max_aggregate_len=3)
    parser.feed(b"*?\r\n:1\r\n:2\r\n:3\r\n.\r\n")
    assert parser.next_reply() == [1, 2, 3]
    parser = resp.Parser(max_aggregate_len=3)
    parser.feed(b"*?\r\n:1\r\n:2\r\n:3\r\n:4\r\n")
    with pytest.raises(resp.ProtocolError, match="max_aggregate_len"):
        parser.next_reply()


def test_line_limit() -> None:
    parser = resp.Parser(max_line_len=10)
    parser.feed(b"+" + b"x" * 9 + b"\r\n")
    assert parser.next_reply() == "x" * 9
    parser.feed(b"+" + b"x" * 10 + b"\r\n")
    with pytest.raises(resp.ProtocolError, match="max_line_len"):
        parser.next_reply()


def test_line_limit_counts_bytes_in_a_run_of_simple_strings() -> None:
    ok = resp.Parser(max_line_len=11)
    ok.feed(b"+a\r\n+" + "é".encode() * 5 + b"\r\n+b\r\n")
    assert [ok.next_reply() for _ in range(3)] == ["a", "é" * 5, "b"]
    parser = resp.Parser(max_line_len=10)
    parser.feed(b"+a\r\n+" + "é".encode() * 5 + b"\r\n+b\r\n")  # 11 bytes, 6 characters
    assert parser.next_reply() == "a"
    with pytest.raises(resp.ProtocolError, match="max_line_len"):
        parser.next_reply()


def test_line_without_crlf_fails_as_soon_as_it_is_too_long() -> None:
    parser = resp.Parser(max_line_len=100)
    for _ in range(100):
        parser.feed(b"x")
        assert parser.next_reply() is NEED_DATA
    parser.feed(b"xx")
    with pytest.raises(resp.ProtocolError, match="max_line_len"):
        parser.next_reply()
    parser = resp.Parser(max_line_len=100)
    parser.feed(b"+OK\r\n+" + b"y" * 500)
    assert parser.next_reply() == "OK"
    with pytest.raises(resp.ProtocolError, match="max_line_len"):
        parser.next_reply()


def test_default_line_limit_is_64_kib() -> None:
    parser = resp.Parser()
    parser.feed(b"+" + b"a" * (64 * 1024 - 1) + b"\r\n")
    assert parser.next_reply() == "a" * (64 * 1024 - 1)
    parser.feed(b"$" + b"1" * (64 * 1024 + 5))
    with pytest.raises(resp.ProtocolError):
        parser.next_reply()


@pytest.mark.parametrize(
    "header",
    [b"$536870911\r\n", b"!536870911\r\n", b"=536870911\r\n", b"*4000000000\r\n",
     b"%2000000000\r\n", b"~4000000000\r\n", b"$?\r\n;536870911\r\n"],
)
def test_declared_length_allocates_nothing_ahead(header: bytes) -> None:
    parser = resp.Parser()
    tracemalloc.start()
    try:
        parser.feed(header + b"abc")
        assert parser.next_reply() is NEED_DATA
        for _ in range(100):
            parser.feed(b"x" * 100)
            assert parser.next_reply() is NEED_DATA
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024


def test_limits_must_be_positive_ints() -> None:
    for name in ("max_bulk_len", "max_aggregate_len", "max_depth", "max_line_len"):
        for bad in (0, -1, 1.5, "10", True):
            with pytest.raises(ValueError, match=name):
                resp.Parser(**{name: bad})  # type: ignore[arg-type]


def test_feed_rejects_text() -> None:
    parser = resp.Parser()
    with pytest.raises(TypeError):
        parser.feed("+OK\r\n")  # type: ignore[arg-type]
