"""resp.Parser on valid input: every vector whole, byte by byte, split at every
position, and followed by trailing bytes."""

from __future__ import annotations

import math
from typing import Any

import pytest

import resp
from resp import NEED_DATA, Push, ReplyError, Verbatim

INF = float("inf")

# (wire bytes, expected reply, expected last_attributes)
VECTORS: list[tuple[bytes, Any, dict[tuple[int, ...], dict[Any, Any]]]] = [
    (b"+OK\r\n", "OK", {}),
    (b"+\r\n", "", {}),
    (b"+caf\xc3\xa9\r\n", "café", {}),
    (b"+\xff\r\n", b"\xff".decode("utf-8", "surrogateescape"), {}),
    (b"-ERR unknown command\r\n", ReplyError("ERR unknown command"), {}),
    (b"-WRONGTYPE Operation\r\n", ReplyError("WRONGTYPE Operation"), {}),
    (b":0\r\n", 0, {}),
    (b":-42\r\n", -42, {}),
    (b":9223372036854775807\r\n", 2**63 - 1, {}),
    (b"(3492890328409238509324850943850943825024385\r\n",
     3492890328409238509324850943850943825024385, {}),
    (b"(-12\r\n", -12, {}),
    (b"$5\r\nhello\r\n", b"hello", {}),
    (b"$0\r\n\r\n", b"", {}),
    (b"$4\r\na\r\nb\r\n", b"a\r\nb", {}),
    (b"$-1\r\n", None, {}),
    (b"*-1\r\n", None, {}),
    (b"_\r\n", None, {}),
    (b"#t\r\n", True, {}),
    (b"#f\r\n", False, {}),
    (b",1.23\r\n", 1.23, {}),
    (b",10\r\n", 10.0, {}),
    (b",-1.5e-3\r\n", -0.0015, {}),
    (b",1E+10\r\n", 1e10, {}),
    (b",inf\r\n", INF, {}),
    (b",-inf\r\n", -INF, {}),
    (b"!21\r\nSYNTAX invalid syntax\r\n", ReplyError("SYNTAX invalid syntax"), {}),
    (b"!9\r\nERR a\r\nbc\r\n", ReplyError("ERR a\r\nbc"), {}),
    (b"=15\r\ntxt:Some string\r\n", Verbatim("Some string", "txt"), {}),
    (b"=6\r\nmkd:\r\n\r\n", Verbatim("\r\n", "mkd"), {}),
    (b"*0\r\n", [], {}),
    (b"*3\r\n:1\r\n:2\r\n:3\r\n", [1, 2, 3], {}),
    (b"*2\r\n*3\r\n:1\r\n$5\r\nhello\r\n:2\r\n#f\r\n", [[1, b"hello", 2], False], {}),
    (b"*2\r\n$1\r\na\r\n$-1\r\n", [b"a", None], {}),
    (b"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n", {"first": 1, "second": 2}, {}),
    (b"%0\r\n", {}, {}),
    (b"~5\r\n+orange\r\n+apple\r\n#t\r\n:100\r\n:999\r\n", {"orange", "apple", True, 100, 999}, {}),
    (b"~2\r\n:1\r\n:1\r\n", {1}, {}),
    (b">3\r\n+message\r\n+somechannel\r\n+this is the message\r\n",
     Push(["message", "somechannel", "this is the message"]), {}),
    (b"$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;2\r\nld\r\n;0\r\n", b"Hello world", {}),
    (b"$?\r\n;0\r\n", b"", {}),
    (b"*?\r\n:1\r\n:2\r\n:3\r\n.\r\n", [1, 2, 3], {}),
    (b"*?\r\n.\r\n", [], {}),
    (b"%?\r\n+a\r\n:1\r\n+b\r\n:2\r\n.\r\n", {"a": 1, "b": 2}, {}),
    (b"~?\r\n+a\r\n+b\r\n.\r\n", {"a", "b"}, {}),
    (b"*2\r\n$?\r\n;2\r\nab\r\n;0\r\n*?\r\n:1\r\n.\r\n", [b"ab", [1]], {}),
    # unhashable keys and members become tuples, recursively
    (b"%1\r\n*2\r\n:1\r\n:2\r\n+v\r\n", {(1, 2): "v"}, {}),
    (b"%1\r\n%1\r\n+k\r\n*1\r\n:1\r\n+v\r\n", {(("k", (1,)),): "v"}, {}),
    (b"~2\r\n*1\r\n:1\r\n~1\r\n*0\r\n", {(1,), ((),)}, {}),
    (b"%1\r\n*0\r\n:1\r\n", {(): 1}, {}),
    (b"%1\r\n+k\r\n*1\r\n:1\r\n", {"k": [1]}, {}),
    # attributes never replace the reply they precede
    (b"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
     b"*2\r\n:2039123\r\n:9543892\r\n",
     [2039123, 9543892], {(): {"key-popularity": {b"a": 0.1923, b"b": 0.0012}}}),
    (b"*3\r\n:1\r\n:2\r\n|1\r\n+ttl\r\n:3600\r\n:3\r\n", [1, 2, 3], {(2,): {"ttl": 3600}}),
    (b"%1\r\n+k\r\n|1\r\n+a\r\n:1\r\n*1\r\n|1\r\n+b\r\n:2\r\n:7\r\n",
     {"k": [7]}, {(1,): {"a": 1}, (1, 0): {"b": 2}}),
    (b"|1\r\n+a\r\n:1\r\n|1\r\n+b\r\n:2\r\n+OK\r\n", "OK", {(): {"a": 1, "b": 2}}),
    (b"|0\r\n+OK\r\n", "OK", {}),
    (b"|1\r\n+a\r\n|1\r\n+x\r\n:0\r\n:1\r\n+OK\r\n", "OK", {(): {"a": 1}}),
    (b">2\r\n+invalidate\r\n*1\r\n$3\r\nkey\r\n", Push(["invalidate", [b"key"]]), {}),
    # runs of bulk strings (the split and uniform fast paths)
    (b"*4\r\n$1\r\na\r\n$2\r\nbb\r\n$3\r\nccc\r\n$0\r\n\r\n", [b"a", b"bb", b"ccc", b""], {}),
    (b"*4\r\n$2\r\na\n\r\n$2\r\n\r\n\r\n$2\r\n\r\r\r\n$2\r\n\n\n\r\n",
     [b"a\n", b"\r\n", b"\r\r", b"\n\n"], {}),
    (b"*5\r\n$1\r\na\r\n$4\r\nb\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n",
     [b"a", b"b\r\nc", b"d", b"e", b"f"], {}),
    (b"*4\r\n$01\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", [b"a", b"b", b"c", b"d"], {}),
    (b"%2\r\n$1\r\nk\r\n$3\r\nvvv\r\n$1\r\nl\r\n$3\r\nwww\r\n", {b"k": b"vvv", b"l": b"www"}, {}),
    (b"~4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nc\r\n", {b"a", b"b", b"c"}, {}),
    (b">4\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$2\r\nhi\r\n$0\r\n\r\n",
     Push([b"message", b"chan", b"hi", b""]), {}),
    (b"*1\r\n*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n", [[b"a", b"b", b"c", b"d"]], {}),
    (b"%1\r\n*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n:1\r\n",
     {(b"a", b"b", b"c", b"d"): 1}, {}),
    (b"~1\r\n%2\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n",
     {((b"a", b"b"), (b"c", b"d"))}, {}),
    (b"*4\r\n$1\r\na\r\n$1\r\nb\r\n$-1\r\n$1\r\nd\r\n", [b"a", b"b", None, b"d"], {}),
    # an attribute whose value is a run of bulks, completed after a resume
    (b"|1\r\n+k\r\n*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n+OK\r\n",
     "OK", {(): {"k": [b"a", b"b", b"c", b"d", b"e"]}}),
]


def same(a: Any, b: Any) -> bool:
    """Equality that also checks types (and Verbatim formats, NaN == NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or bool(a == b)
    if isinstance(a, Verbatim):
        return bool(a == b and a.format == b.format)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def parse_chunks(chunks: list[bytes], parser: resp.Parser | None = None) -> list[Any]:
    parser = parser or resp.Parser()
    out = []
    for chunk in chunks:
        parser.feed(chunk)
        while (reply := parser.next_reply()) is not NEED_DATA:
            out.append((reply, parser.last_attributes))
    return out


def check(wire: bytes, chunks: list[bytes], expected: Any, attrs: Any) -> None:
    got = parse_chunks(chunks)
    assert len(got) == 1, (chunks, got)
    assert same(got[0][0], expected), (chunks, got[0][0], expected)
    assert got[0][1] == attrs, (chunks, got[0][1])


@pytest.mark.parametrize(("wire", "expected", "attrs"), VECTORS)
def test_vector_whole_and_bytewise(wire: bytes, expected: Any, attrs: Any) -> None:
    check(wire, [wire], expected, attrs)
    check(wire, [wire[i : i + 1] for i in range(len(wire))], expected, attrs)


@pytest.mark.parametrize(("wire", "expected", "attrs"), VECTORS)
def test_vector_split_everywhere(wire: bytes, expected: Any, attrs: Any) -> None:
    for i in range(1, len(wire)):
        check(wire, [wire[:i], wire[i:]], expected, attrs)
    for i in range(1, len(wire), 3):
        for j in range(i + 1, len(wire), 5):
            check(wire, [wire[:i], wire[i:j], wire[j:]], expected, attrs)


@pytest.mark.parametrize(("wire", "expected", "attrs"), VECTORS)
def test_vector_with_trailing_bytes(wire: bytes, expected: Any, attrs: Any) -> None:
    for tail in (b"+", b"$3\r\nab", b"*2\r\n:1\r\n", b"+OK\r\n"):
        parser = resp.Parser()
        parser.feed(wire + tail)
        reply = parser.next_reply()
        assert same(reply, expected)
        assert parser.last_attributes == attrs
        if tail == b"+OK\r\n":
            assert parser.next_reply() == "OK"
            assert parser.last_attributes == {}
        assert parser.next_reply() is NEED_DATA


def test_every_vector_in_one_stream() -> None:
    stream = b"".join(w for w, _, _ in VECTORS)
    for chunks in ([stream], [stream[i : i + 7] for i in range(0, len(stream), 7)]):
        got = parse_chunks(chunks)
        assert len(got) == len(VECTORS)
        for (reply, attrs), (_, expected, expected_attrs) in zip(got, VECTORS, strict=True):
            assert same(reply, expected)
            assert attrs == expected_attrs


def test_nan() -> None:
    for wire in (b",nan\r\n", b",-nan\r\n", b",NaN\r\n", b",nan(0x7ff)\r\n"):
        parser = resp.Parser()
        parser.feed(wire)
        value = parser.next_reply()
        assert isinstance(value, float)
        assert math.isnan(value)


def test_many_replies_in_one_feed() -> None:
    parser = resp.Parser()
    parser.feed(b"+OK\r\n" * 1000 + b":1\r\n$1\r\nx\r\n-ERR e\r\n" * 100 + b"$3\r\nabc\r\n" * 500)
    got = []
    while (reply := parser.next_reply()) is not NEED_DATA:
        got.append(reply)
    assert got == ["OK"] * 1000 + [1, b"x", ReplyError("ERR e")] * 100 + [b"abc"] * 500


def test_need_data_until_complete_then_resume() -> None:
    parser = resp.Parser()
    assert parser.next_reply() is NEED_DATA
    parser.feed(b"*2\r\n$3\r\nfo")
    assert parser.next_reply() is NEED_DATA
    assert parser.next_reply() is NEED_DATA
    parser.feed(bytearray(b"o\r\n"))
    assert parser.next_reply() is NEED_DATA
    parser.feed(memoryview(b":7\r\n+OK"))
    assert parser.next_reply() == [b"foo", 7]
    assert parser.next_reply() is NEED_DATA
    parser.feed(b"")
    parser.feed(b"\r\n")
    assert parser.next_reply() == "OK"


def test_fed_buffers_are_copied() -> None:
    parser = resp.Parser()
    data = bytearray(b"$3\r\nabc\r\n")
    parser.feed(data)
    data[4:7] = b"xyz"
    assert parser.next_reply() == b"abc"


def test_large_bulk_across_many_chunks() -> None:
    payload = bytes(range(256)) * 4096 + b"\r\n" * 10
    wire = b"$%d\r\n%b\r\n+after\r\n" % (len(payload), payload)
    for size in (1000, 65536, 65537, len(wire) - 3):
        chunks = [wire[i : i + size] for i in range(0, len(wire), size)]
        got = parse_chunks(chunks)
        assert [r for r, _ in got] == [payload, "after"]


def test_long_aggregates_across_chunks() -> None:
    items = [b"%05d" % i for i in range(3000)] + [b"x" * (i % 50) for i in range(3000)]
    wire = resp.encode_reply(items) + resp.encode_reply({b"k%d" % i: b"v" for i in range(500)})
    for size in (1, 7, 4096, 65536):
        got = parse_chunks([wire[i : i + size] for i in range(0, len(wire), size)])
        assert [r for r, _ in got] == [items, {b"k%d" % i: b"v" for i in range(500)}]


def test_attributes_reset_for_next_reply() -> None:
    parser = resp.Parser()
    parser.feed(b"|1\r\n+a\r\n:1\r\n+first\r\n+second\r\n")
    assert parser.next_reply() == "first"
    assert parser.last_attributes == {(): {"a": 1}}
    assert parser.next_reply() == "second"
    assert parser.last_attributes == {}


def test_lone_attribute_is_not_a_reply() -> None:
    parser = resp.Parser()
    parser.feed(b"|1\r\n+a\r\n:1\r\n")
    assert parser.next_reply() is NEED_DATA
    parser.feed(b":5\r\n")
    assert parser.next_reply() == 5
    assert parser.last_attributes == {(): {"a": 1}}


def test_byte_at_a_time_does_not_rescan() -> None:
    merges = 0

    class Counting(resp.Parser):
        def _merge(self) -> None:
            nonlocal merges
            merges += 1
            super()._merge()

    line = b"+" + b"x" * 50_000 + b"\r\n"
    bulk = b"$60000\r\n" + b"y" * 60_000 + b"\r\n"
    parser = Counting()
    replies = []
    for wire in (line, bulk):
        for i in range(len(wire)):
            parser.feed(wire[i : i + 1])
            if (reply := parser.next_reply()) is not NEED_DATA:
                replies.append(reply)
    assert replies == ["x" * 50_000, b"y" * 60_000]
    # the waiting element is retried only once its CRLF (or all its bytes) arrived
    assert merges <= 6


def _scores_reply(scores: list[bytes]) -> bytes:
    """A RESP3 ZRANGE ... WITHSCORES reply: pairs of a member and a double."""
    pairs = b"".join(b"*2\r\n$2\r\nm%d\r\n,%b\r\n" % (i % 10, s) for i, s in enumerate(scores))
    return b"*%d\r\n%b" % (len(scores), pairs)


def _parse_all(wire: bytes, *, bytewise: bool) -> list[Any]:
    parser = resp.Parser()
    got = []
    for piece in ([wire[i : i + 1] for i in range(len(wire))] if bytewise else [wire]):
        parser.feed(piece)
        while (reply := parser.next_reply()) is not NEED_DATA:
            got.append(reply)
    return got


@pytest.mark.parametrize("bad", [
    b"+5", b".5", b"5.", b"-.5", b"5.e3", b"5.E3", b"1e", b"1e+", b"--1", b"1.2.3", b"1,5",
    b"", b"-", b"0x10", b"1_0", b" 1", b"1 ", b"1\n", b"\n1", b"infinity", b"1e5e5", b"+inf1",
])
def test_a_bad_double_in_a_run_of_pairs_is_an_error(bad: bytes) -> None:
    # the walker checks a whole column of scores at once; any bad one must fail the
    # reply exactly as the element-by-element engine fails it on its own
    scores = [b"1.5", b"-2", b"3e-4", b"17"] * 3
    for at in (0, 5, len(scores) - 1):
        wire = _scores_reply([*scores[:at], bad, *scores[at + 1 :]])
        for bytewise in (False, True):
            with pytest.raises(resp.ProtocolError):
                _parse_all(wire, bytewise=bytewise)


def test_runs_of_pairs_give_the_engines_doubles() -> None:
    scores = [b"0", b"-0", b"1.5", b"-2.25e-3", b"1E+300", b"12345678901234567890",
              b"0.1", b"7e0", b"inf", b"-inf", b"3", b"2.5"]
    wire = _scores_reply(scores) * 3
    whole = _parse_all(wire, bytewise=False)
    assert whole == _parse_all(wire, bytewise=True)
    assert whole == [[[b"m%d" % (i % 10), float(s)] for i, s in enumerate(scores)]] * 3
    assert [math.copysign(1, pair[1]) for pair in whole[0][:2]] == [1, -1]
