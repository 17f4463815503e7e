"""Tests of the memcached meta-protocol codec: parser vectors, key encoding, request
builders, and the same codec driven against a real memcached over a blocking socket."""

from __future__ import annotations

import base64
import doctest
import hashlib
import importlib.util
import itertools
import socket
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvs.memcached import parser as mcparser
from kvs.memcached import protocol as mc
from kvs.memcached.protocol import NEED_DATA, ErrorReply, Parser, ProtocolError, Reply, Version
from tests.servers import MemcachedServer

ROOT = Path(__file__).resolve().parents[1]
Parsed = Reply | ErrorReply | Version

# ------------------------------------------------------------------------ parser vectors

VECTORS: list[tuple[bytes, list[Parsed]]] = [
    (b"HD\r\n", [Reply(b"HD")]),
    (b"EN\r\n", [Reply(b"EN")]),
    (b"NF\r\n", [Reply(b"NF")]),
    (b"NS\r\n", [Reply(b"NS")]),
    (b"EX\r\n", [Reply(b"EX")]),
    (b"MN\r\n", [Reply(b"MN")]),
    (b"HD t-1\r\n", [Reply(b"HD", {"t": b"-1"})]),
    (b"EN kYWJj\r\n", [Reply(b"EN", {"k": b"YWJj"})]),
    (b"HD c17 Oabc b W\r\n", [Reply(b"HD", {"c": b"17", "O": b"abc", "b": b"", "W": b""})]),
    (b"VA 3 t-1 f0 c6 kx s3\r\nabc\r\n",
     [Reply(b"VA", {"t": b"-1", "f": b"0", "c": b"6", "k": b"x", "s": b"3"}, b"abc")]),
    (b"VA 0\r\n\r\n", [Reply(b"VA", {}, b"")]),
    (b"VA 6\r\na\r\nb\r\n\r\n", [Reply(b"VA", {}, b"a\r\nb\r\n")]),
    (b"VA 4 b\r\n\x00\xff\r\r\r\n", [Reply(b"VA", {"b": b""}, b"\x00\xff\r\r")]),
    (b"VA 2\r\n10\r\nHD\r\n", [Reply(b"VA", {}, b"10"), Reply(b"HD")]),
    (b"ERROR\r\n", [ErrorReply(b"ERROR", "")]),
    (b"CLIENT_ERROR bad command line format\r\n",
     [ErrorReply(b"CLIENT_ERROR", "bad command line format")]),
    (b"SERVER_ERROR out of memory storing object\r\n",
     [ErrorReply(b"SERVER_ERROR", "out of memory storing object")]),
    (b"VERSION 1.6.18\r\n", [Version("1.6.18")]),
    (b"ME abc exp=-1 la=0 cas=8\r\n", [Reply(b"ME", {}, b"abc exp=-1 la=0 cas=8")]),
    (b"VA 3 O1\r\nabc\r\nCLIENT_ERROR x\r\nNF O3\r\nMN\r\n",
     [Reply(b"VA", {"O": b"1"}, b"abc"), ErrorReply(b"CLIENT_ERROR", "x"),
      Reply(b"NF", {"O": b"3"}), Reply(b"MN")]),
]  # fmt: skip

MALFORMED = [
    b"ZZ\r\n",
    b"\r\n",
    b"STORED\r\n",
    b"VERSION\r\n",
    b"VA\r\n",
    b"VA x\r\n",
    b"VA -1\r\n",
    b"VA 1e3\r\n",
    b"VA 99999999999999999999999\r\n",
    b"VA 3\r\nabcde",
    b"VA 3\r\nabc\n\r",
    b"HD 7x\r\n",
    b"HD -\r\n",
    b"HD\nEN\r\n",
    b"HD\rEN\r\n",
    b"hd\r\n",
]


def drain(parser: Parser) -> list[Parsed]:
    out: list[Parsed] = []
    while (reply := parser.next_reply()) is not NEED_DATA:
        out.append(reply)
    return out


def parse_chunks(chunks: list[bytes], **limits: int) -> list[Parsed]:
    return parse_into(Parser(**limits), chunks)


def parse_into(parser: Parser, chunks: list[bytes]) -> list[Parsed]:
    out: list[Parsed] = []
    for chunk in chunks:
        parser.feed(chunk)
        out += drain(parser)
    return out


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


@pytest.mark.parametrize(("wire", "expected"), VECTORS)
def test_vector_whole_bytewise_and_every_split(wire: bytes, expected: list[Parsed]) -> None:
    assert parse_chunks([wire]) == expected
    assert parse_chunks(bytewise(wire)) == expected
    for cut in range(len(wire) + 1):
        assert parse_chunks([wire[:cut], wire[cut:]]) == expected


TRAILING = [
    (b"H", b"D\r\n"),
    (b"HD\r", b"\n"),
    (b"VA 5\r\nab", b"cde\r\n"),
    (b"VA 5\r\nabcde\r", b"\n"),
    (b"ERR", b"OR\r\n"),
]


@pytest.mark.parametrize(("wire", "expected"), VECTORS)
@pytest.mark.parametrize(("partial", "rest"), TRAILING)
def test_vector_with_trailing_bytes(
    wire: bytes, expected: list[Parsed], partial: bytes, rest: bytes
) -> None:
    for chunks in ([wire + partial], bytewise(wire + partial)):
        parser = Parser()
        assert parse_into(parser, chunks) == expected
        assert parser.next_reply() is NEED_DATA
        parser.feed(rest)
        assert len(drain(parser)) == 1
        assert parser.next_reply() is NEED_DATA


def test_reply_helpers() -> None:
    reply = Reply(b"HD", {"t": b"-1", "c": b"42"})
    assert reply.int_flag("t") == -1
    assert reply.int_flag("c") == 42
    assert reply.int_flag("f") is None
    with pytest.raises(ProtocolError):
        Reply(b"HD", {"t": b"x"}).int_flag("t")
    assert repr(NEED_DATA) == "NEED_DATA"


@pytest.mark.parametrize("wire", MALFORMED)
def test_malformed_raises_and_stays_failed(wire: bytes) -> None:
    for chunks in ([wire], bytewise(wire)):
        parser = Parser()
        with pytest.raises(ProtocolError):
            for chunk in chunks:
                parser.feed(chunk)
                drain(parser)
        with pytest.raises(ProtocolError):
            parser.next_reply()
        with pytest.raises(ProtocolError):
            parser.feed(b"HD\r\n")


def test_protocol_error_is_value_error_and_kvs_error() -> None:
    from kvs._errors import KvsError
    from kvs._errors import ProtocolError as KvsProtocolError

    assert issubclass(ProtocolError, ValueError)
    assert issubclass(ProtocolError, KvsProtocolError)
    assert issubclass(ProtocolError, KvsError)


def test_value_limit_checked_on_the_header() -> None:
    parser = Parser(max_value_size=10)
    parser.feed(b"VA 10\r\n0123456789\r\n")
    assert drain(parser) == [Reply(b"VA", {}, b"0123456789")]
    parser.feed(b"VA 11\r\n")  # no data yet: rejected before waiting for it
    with pytest.raises(ProtocolError, match="exceeds"):
        parser.next_reply()


def test_line_limit() -> None:
    ok = b"HD O" + b"x" * 16 + b"\r\n"
    assert parse_chunks([ok], max_line_length=len(ok) - 2) == [Reply(b"HD", {"O": b"x" * 16})]
    with pytest.raises(ProtocolError, match="longer"):
        parse_chunks([ok], max_line_length=len(ok) - 3)
    with pytest.raises(ProtocolError, match="longer"):  # no CRLF ever comes
        parse_chunks(bytewise(b"HD " + b"y" * 100), max_line_length=50)


def test_declared_length_does_not_allocate_ahead() -> None:
    parser = Parser(max_value_size=2**30)
    tracemalloc.start()
    try:
        parser.feed(b"VA 1000000000\r\nabc")
        assert parser.next_reply() is NEED_DATA
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024


def test_crlf_search_resumes_where_it_stopped() -> None:
    parser = Parser(max_line_length=10_000)
    for i, byte in enumerate(bytewise(b"HD O" + b"z" * 1000), start=1):
        parser.feed(byte)
        assert parser.next_reply() is NEED_DATA
        assert parser._scanned == i - 1  # never rescans what it has seen


def test_bytewise_parsing_is_linear() -> None:
    def cost(n: int) -> float:
        wire = b"HD O" + b"z" * n + b"\r\n"
        best = float("inf")
        for _ in range(3):
            parser = Parser(max_line_length=n + 10)
            start = time.perf_counter()
            for i in range(len(wire)):
                parser.feed(wire[i : i + 1])
                parser.next_reply()
            best = min(best, time.perf_counter() - start)
        return best

    assert cost(160_000) / cost(40_000) < 10  # linear: ~4; quadratic: ~16 and growing


def test_reply_is_immutable_with_fresh_empty_flags() -> None:
    reply = Reply(b"HD")
    assert (reply.status, reply.flags, reply.value) == (b"HD", {}, None)
    assert Reply(b"HD").flags is not reply.flags
    with pytest.raises(AttributeError):
        reply.status = b"EN"  # type: ignore[misc]
    assert repr(Reply(b"VA", {"f": b"0"}, b"x")) == (
        "Reply(status=b'VA', flags={'f': b'0'}, value=b'x')")


def test_repeated_lines_get_their_own_flags() -> None:
    # Identical reply lines are parsed once and remembered; each reply still owns its dict.
    parser = Parser()
    parser.feed(b"VA 1 f0\r\na\r\nVA 1 f0\r\nb\r\nHD t5\r\nHD t5\r\nEN\r\nEN\r\n")
    first, second, hd1, hd2, en1, en2 = cast(list[Reply], drain(parser))
    first.flags["f"] = b"changed"
    hd1.flags.clear()
    en1.flags["x"] = b""
    assert second == Reply(b"VA", {"f": b"0"}, b"b")
    assert hd2 == Reply(b"HD", {"t": b"5"})
    assert en2 == Reply(b"EN")
    parser.feed(b"VA 1 f0\r\nc\r\nHD t5\r\nEN\r\n")
    assert drain(parser) == [Reply(b"VA", {"f": b"0"}, b"c"), Reply(b"HD", {"t": b"5"}),
                             Reply(b"EN")]


def test_many_distinct_lines() -> None:
    # More distinct lines than the parser remembers: still parsed, memory stays bounded.
    wire = b"".join(b"HD c%d\r\nVA 1 O%d\r\nx\r\n" % (i, i) for i in range(1000))
    parser = Parser()
    parser.feed(wire)
    replies = drain(parser)
    assert replies[::2] == [Reply(b"HD", {"c": b"%d" % i}) for i in range(1000)]
    assert replies[1::2] == [Reply(b"VA", {"O": b"%d" % i}, b"x") for i in range(1000)]
    assert len(parser._known) <= mcparser._KNOWN_LINES


def test_feeding_before_draining_keeps_the_order() -> None:
    # A chunk fed while an earlier one is still unread is queued after it.
    parser = Parser()
    parser.feed(b"HD O1\r\nHD O2\r\nVA 3\r\nab")
    assert parser.next_reply() == Reply(b"HD", {"O": b"1"})
    parser.feed(b"c\r\nHD O3\r\n")
    parser.feed(b"EN\r\n")
    assert drain(parser) == [Reply(b"HD", {"O": b"2"}), Reply(b"VA", {}, b"abc"),
                             Reply(b"HD", {"O": b"3"}), Reply(b"EN")]
    parser.feed(b"HD\r\n")
    assert drain(parser) == [Reply(b"HD")]


@given(st.lists(st.sampled_from([
    b"HD\r\n", b"EN\r\n", b"HD t-1 c7\r\n", b"VA 2 f0\r\nab\r\n", b"VA 0\r\n\r\n",
    b"VA 4 b\r\n\r\n\r\n\r\n", b"ERROR\r\n", b"ME k a=1\r\n", b"VERSION 1.6\r\n", b"MN\r\n",
    b"ZZ\r\n", b"VA 9\r\nshort\r\n", b"HD 7\r\n", b"VA 3 f0\r\nabc\n\r",
]), max_size=8), st.lists(st.integers(min_value=0, max_value=200), max_size=6),
       st.booleans())
def test_any_chunking_and_draining_gives_the_same_outcome(
        pieces: list[bytes], cuts: list[int], drain_late: bool) -> None:
    wire = b"".join(pieces)

    def outcome(chunks: list[bytes]) -> tuple[list[Parsed], bool]:
        parser = Parser(max_line_length=64, max_value_size=16)
        out: list[Parsed] = []

        def take() -> None:
            while (reply := parser.next_reply()) is not NEED_DATA:
                out.append(reply)

        try:
            for i, chunk in enumerate(chunks):
                parser.feed(chunk)
                if not drain_late or i % 2:
                    take()
            take()
        except ProtocolError:
            with pytest.raises(ProtocolError):
                parser.next_reply()
            return out, False
        return out, True

    bounds = sorted({min(c, len(wire)) for c in cuts} | {0, len(wire)})
    chunks = [wire[a:b] for a, b in itertools.pairwise(bounds)]
    assert outcome(chunks) == outcome([wire]) == outcome(bytewise(wire))


def test_reads_ending_mid_reply_go_back_to_the_direct_path() -> None:
    reply = b"VA 5 f0\r\nhello\r\n"
    wire = reply * 50
    parser = Parser()
    out: list[Parsed] = []
    for start in range(0, len(wire), 100):  # every read ends inside a reply
        parser.feed(wire[start : start + 100])
        out.append(cast(Parsed, parser.next_reply()))  # finishes the straddling reply
        assert not parser._buf  # the rest is read in place again
        out += drain(parser)
    assert out == [Reply(b"VA", {"f": b"0"}, b"hello")] * 50


def test_streams_of_rare_replies_are_linear() -> None:
    # Work is counted, not timed: every Python and C function call the parser makes,
    # per reply, at four stream sizes (8x apart) must stay the same; and CPU time per
    # reply must not grow with the size (linear: ~1x; quadratic: ~8x).
    unit = b"ERROR\r\nVERSION 1.6\r\nME k a=1\r\nCLIENT_ERROR x\r\n"
    sizes = (1_000, 2_000, 4_000, 8_000)

    def calls_per_reply(n: int) -> float:
        wire = unit * n
        parser = Parser()
        count = 0

        def profile(frame: Any, event: str, arg: Any) -> None:
            nonlocal count
            if event in ("call", "c_call"):
                count += 1

        sys.setprofile(profile)
        try:
            parser.feed(wire)
            replies = drain(parser)
        finally:
            sys.setprofile(None)
        assert len(replies) == 4 * n
        return count / (4 * n)

    def cpu_per_reply(n: int) -> float:
        wire = unit * n
        best = float("inf")
        for _ in range(5):
            parser = Parser()
            start = time.process_time()
            parser.feed(wire)
            drain(parser)
            best = min(best, time.process_time() - start)
        return best / (4 * n)

    calls = [calls_per_reply(n) for n in sizes]
    assert max(calls) <= 1.05 * min(calls) + 1, calls
    cpu = [cpu_per_reply(n) for n in sizes]
    assert cpu[-1] < 3 * min(cpu), cpu  # 8x the replies: linear ~1x, quadratic ~8x


# -------------------------------------------------------------------------------- keys


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (b"user:1", (b"user:1", False)),
        (b"~!@#$%^&*()_+{}|:<>?", (b"~!@#$%^&*()_+{}|:<>?", False)),
        (b"a" * 250, (b"a" * 250, False)),
        (b"a b", (b"YSBi", True)),
        (b"x\r\nflush_all\r\n", (base64.b64encode(b"x\r\nflush_all\r\n"), True)),
        (b"\x00\x01\xff", (b"AAH/", True)),
        ("clé".encode(), (base64.b64encode("clé".encode()), True)),
        (b"tab\tkey", (base64.b64encode(b"tab\tkey"), True)),
        (b"\x7f", (b"fw==", True)),
        (bytearray(b"k"), (b"k", False)),
    ],
)
def test_encode_key(key: bytes, expected: tuple[bytes, bool]) -> None:
    assert mc.encode_key(key) == expected


def hashed(key: bytes) -> tuple[bytes, bool]:
    return base64.b64encode(mc.HASHED_KEY_PREFIX + hashlib.sha256(key).digest()), True


@pytest.mark.parametrize(
    "key",
    [b"", b"a" * 251, b"a" * 10_000, b"\xff" * 187, mc.HASHED_KEY_PREFIX + b"x"],
)
def test_keys_that_do_not_fit_are_hashed(key: bytes) -> None:
    token, is_b64 = mc.encode_key(key)
    assert (token, is_b64) == hashed(key)
    assert len(token) <= 250


def test_binary_key_boundary() -> None:
    token, is_b64 = mc.encode_key(b"\xff" * 186)
    assert is_b64
    assert len(token) == 248
    assert base64.b64decode(token) == b"\xff" * 186


def test_encode_key_rejects_str() -> None:
    with pytest.raises(TypeError, match="key must be bytes"):
        mc.encode_key("k")  # type: ignore[arg-type]


def test_decode_key() -> None:
    assert mc.decode_key(b"abc", False) == b"abc"
    assert mc.decode_key(b"YSBi", True) == b"a b"
    with pytest.raises(ProtocolError):
        mc.decode_key(b"Y", True)


@given(st.binary(max_size=400))
def test_any_key_gives_one_safe_line(key: bytes) -> None:
    token, is_b64 = mc.encode_key(key)
    assert 1 <= len(token) <= 250
    assert all(0x21 <= byte <= 0x7E for byte in token)
    for request in (mc.mg(key), mc.md(key), mc.ma(key), mc.touch(key, 5), mc.me(key)):
        assert request.count(b"\r\n") == 1
        assert request.split(b" ")[1].rstrip(b"\r\n") == token
        assert (b"b" in request.rstrip(b"\r\n").split(b" ")[2:]) == is_b64  # the flags
    stored = mc.ms(key, b"v\r\nflush_all\r\n")
    assert stored.split(b"\r\n")[0].split(b" ")[1] == token


# ---------------------------------------------------------------------------- builders


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (mc.mg(b"k"), b"mg k v\r\n"),
        (mc.mg(b"k", value=False), b"mg k\r\n"),
        (mc.mg(b"k", ttl=True, cas=True, flags=True, return_key=True),
         b"mg k v t f c k\r\n"),
        (mc.mg(b"a b", opaque=7, quiet=True), b"mg YSBi b O7 v q\r\n"),
        (mc.mg(b"k", touch=30, opaque=b"req-1"), b"mg k Oreq-1 v T30\r\n"),
        (mc.touch(b"k", 0), b"mg k T0\r\n"),
        (mc.ms(b"k", b"abc"), b"ms k 3\r\nabc\r\n"),
        (mc.ms(b"k", b"", ttl=10, mode="add", client_flags=5, quiet=True),
         b"ms k 0 T10 ME F5 q\r\n\r\n"),
        (mc.ms(b"k", bytearray(b"x"), mode="R", cas=99, invalidate=True, return_cas=True),
         b"ms k 1 MR C99 I c\r\nx\r\n"),
        (mc.ms(b"k", memoryview(b"yz"), mode="prepend"), b"ms k 2 MP\r\nyz\r\n"),
        (mc.md(b"k"), b"md k\r\n"),
        (mc.md(b"k", cas=3, invalidate=True, ttl=30, quiet=True), b"md k C3 I T30 q\r\n"),
        (mc.ma(b"k"), b"ma k v D1\r\n"),
        (mc.ma(b"k", delta=2**64 - 1, mode="decr", value=False),
         b"ma k D18446744073709551615 MD\r\n"),
        (mc.ma(b"k", delta=5, initial=7, vivify_ttl=60, ttl=10),
         b"ma k v D5 N60 J7 T10\r\n"),
        (mc.me(b"k"), b"me k\r\n"),
        (mc.mn(), b"mn\r\n"),
        (mc.version(), b"version\r\n"),
    ],
)  # fmt: skip
def test_builders(request_: bytes, expected: bytes) -> None:
    assert request_ == expected


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: mc.mg(b"k", touch=True), TypeError),
        (lambda: mc.mg(b"k", touch=2**31), ValueError),
        (lambda: mc.mg(b"k", opaque=b"a b"), ValueError),
        (lambda: mc.mg(b"k", opaque=b"x" * 33), ValueError),
        (lambda: mc.mg(b"k", opaque=b"x\r\n"), ValueError),
        (lambda: mc.mg(b"k", opaque=-1), ValueError),
        (lambda: mc.mg(b"k", opaque=True), ValueError),
        (lambda: mc.ms(b"k", cast(Any, "text")), TypeError),
        (lambda: mc.ms(b"k", b"v", mode="X"), ValueError),
        (lambda: mc.ms(b"k", b"v", ttl=cast(Any, 1.5)), TypeError),
        (lambda: mc.ms(b"k", b"v", client_flags=2**32), ValueError),
        (lambda: mc.ms(b"k", b"v", cas=-1), ValueError),
        (lambda: mc.md(b"k", ttl=5), ValueError),
        (lambda: mc.ma(b"k", delta=-1), ValueError),
        (lambda: mc.ma(b"k", delta=2**64), ValueError),
        (lambda: mc.ma(b"k", mode=cast(Any, "up")), ValueError),
        (lambda: mc.ma(b"k", initial=-1), ValueError),
        (lambda: mc.ma(b"k", initial=0, vivify_ttl=2**40), ValueError),
        (lambda: mc.mg(cast(Any, 1)), TypeError),
    ],
)
def test_builder_validation(build: Callable[[], bytes], error: type[Exception]) -> None:
    with pytest.raises(error):
        build()


def test_wire_ttl() -> None:
    now = 1_700_000_000.7
    assert mc.wire_ttl(10, now=now) == 10
    assert mc.wire_ttl(mc.MAX_RELATIVE_TTL, now=now) == mc.MAX_RELATIVE_TTL
    assert mc.wire_ttl(mc.MAX_RELATIVE_TTL + 1, now=now) == 1_700_000_000 + mc.MAX_RELATIVE_TTL + 1
    assert mc.wire_ttl(10**12, now=now) == 2**31 - 1
    assert mc.ms(b"k", b"", ttl=mc.wire_ttl(10**12, now=now)).startswith(b"ms k 0 T2147483647")
    assert mc.wire_ttl(0, now=now) == -1
    assert mc.wire_ttl(-5, now=now) == -1


def test_redis_ttl() -> None:
    assert mc.redis_ttl(Reply(b"EN")) == -2
    assert mc.redis_ttl(Reply(b"HD", {"t": b"-1"})) == -1
    assert mc.redis_ttl(Reply(b"VA", {"t": b"42"}, b"v")) == 42
    with pytest.raises(ValueError, match="no t flag"):
        mc.redis_ttl(Reply(b"HD"))


# -------------------------------------------------------------------------------- fuzz


def load_harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_mcproto", ROOT / "fuzz" / "fuzz_mcproto.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fuzz_harness_over_corpus() -> None:
    harness = load_harness()
    seeds = sorted((ROOT / "fuzz" / "corpus" / "mcproto").iterdir())
    assert len(seeds) >= 10
    for seed in seeds:
        harness.test_one_input(seed.read_bytes())
    for wire, _ in VECTORS:
        for control in (b"\x00", b"\x0f"):
            harness.test_one_input(control + wire)


# ------------------------------------------------------------------------- integration


class Conn:
    """A blocking socket driven by the sans-IO codec."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=5)
        self.parser = Parser()

    def send(self, *requests: bytes) -> None:
        self.sock.sendall(b"".join(requests))

    def read(self) -> Parsed:
        while (reply := self.parser.next_reply()) is NEED_DATA:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("memcached closed the connection")
            self.parser.feed(data)
        return reply

    def call(self, request: bytes) -> Parsed:
        self.send(request)
        return self.read()

    def meta(self, request: bytes) -> Reply:
        reply = self.call(request)
        assert isinstance(reply, Reply), reply
        return reply


@pytest.fixture
def conn(memcached_servers: list[MemcachedServer]) -> Iterator[Conn]:
    server = memcached_servers[0]
    if not server.running:
        server.restart()
    server.flush_all()
    c = Conn((server.host, server.port))
    try:
        yield c
    finally:
        c.sock.close()


def test_live_set_get_roundtrip(conn: Conn) -> None:
    value = bytes(range(256)) + b"\r\nEND\r\n"
    assert conn.call(mc.ms(b"rt", value, client_flags=7)) == Reply(b"HD")
    reply = conn.call(mc.mg(b"rt", flags=True, ttl=True))
    assert reply == Reply(b"VA", {"f": b"7", "t": b"-1"}, value)
    assert conn.call(mc.mg(b"rt-missing")) == Reply(b"EN")


def test_live_add_replace_append(conn: Conn) -> None:
    assert conn.call(mc.ms(b"mode", b"x", mode="replace")) == Reply(b"NS")
    assert conn.call(mc.ms(b"mode", b"a", mode="add")) == Reply(b"HD")
    assert conn.call(mc.ms(b"mode", b"b", mode="add")) == Reply(b"NS")
    assert conn.call(mc.ms(b"mode", b"c", mode="replace")) == Reply(b"HD")
    assert conn.call(mc.ms(b"mode", b"d", mode="append")) == Reply(b"HD")
    assert conn.call(mc.ms(b"mode", b"0", mode="prepend")) == Reply(b"HD")
    assert conn.call(mc.mg(b"mode")) == Reply(b"VA", {}, b"0cd")


def test_live_counters(conn: Conn) -> None:
    assert conn.call(mc.ma(b"ctr")) == Reply(b"NF")
    # autovivify: the item is created holding `initial`, the delta is not applied
    assert conn.call(mc.ma(b"ctr", delta=5, initial=10)) == Reply(b"VA", {}, b"10")
    assert conn.call(mc.ma(b"ctr", delta=5, initial=10)) == Reply(b"VA", {}, b"15")
    assert conn.call(mc.ma(b"ctr", delta=100, mode="decr")) == Reply(b"VA", {}, b"0")
    assert conn.call(mc.ms(b"ctr", b"18446744073709551615")) == Reply(b"HD")
    assert conn.call(mc.ma(b"ctr", delta=2)) == Reply(b"VA", {}, b"1")  # wraps at 2**64
    assert conn.call(mc.ms(b"ctr", b"abc")) == Reply(b"HD")
    assert conn.call(mc.ma(b"ctr")) == ErrorReply(
        b"CLIENT_ERROR", "cannot increment or decrement non-numeric value"
    )
    assert conn.call(mc.ma(b"ctr2", value=False, initial=0)) == Reply(b"HD")


def test_live_ttl_and_touch(conn: Conn) -> None:
    assert mc.redis_ttl(conn.meta(mc.mg(b"ttl", value=False, ttl=True))) == -2
    assert conn.call(mc.ms(b"ttl", b"v")) == Reply(b"HD")
    assert mc.redis_ttl(conn.meta(mc.mg(b"ttl", ttl=True))) == -1
    assert conn.call(mc.touch(b"ttl", 100)) == Reply(b"HD")
    ttl = mc.redis_ttl(conn.meta(mc.mg(b"ttl", value=False, ttl=True)))
    assert 98 <= ttl <= 100
    assert conn.call(mc.touch(b"ttl-missing", 100)) == Reply(b"EN")
    assert conn.call(mc.ms(b"ttl", b"v", ttl=-1)) == Reply(b"HD")  # expires at once
    assert conn.call(mc.mg(b"ttl")) == Reply(b"EN")


def test_live_delete(conn: Conn) -> None:
    assert conn.call(mc.ms(b"del", b"v")) == Reply(b"HD")
    assert conn.call(mc.md(b"del")) == Reply(b"HD")
    assert conn.call(mc.md(b"del")) == Reply(b"NF")
    assert conn.call(mc.mg(b"del")) == Reply(b"EN")


@pytest.mark.parametrize(
    "key",
    [b"a b", b"\x00\xff", "ключ".encode(), b"\xfe" * 186, b"\xfe" * 187, b"k" * 251, b"",
     b"k" * 10_000, mc.HASHED_KEY_PREFIX + b"z"],
)  # fmt: skip
def test_live_awkward_keys(conn: Conn, key: bytes) -> None:
    assert conn.call(mc.ms(key, b"payload:" + key[:20])) == Reply(b"HD")
    reply = conn.meta(mc.mg(key, return_key=True))
    assert reply.value == b"payload:" + key[:20]
    token, is_b64 = mc.encode_key(key)
    assert reply.flags["k"] == token
    assert ("b" in reply.flags) == is_b64
    assert conn.call(mc.md(key)) == Reply(b"HD")


def test_live_injection_key_is_only_a_key(conn: Conn) -> None:
    evil = b"x\r\nflush_all\r\n"
    assert conn.call(mc.ms(b"survivor", b"alive")) == Reply(b"HD")
    assert conn.call(mc.ms(evil, b"evil")) == Reply(b"HD")
    assert conn.call(mc.mg(evil)) == Reply(b"VA", {}, b"evil")
    assert conn.call(mc.mg(b"x")) == Reply(b"EN")
    assert conn.call(mc.mg(b"survivor")) == Reply(b"VA", {}, b"alive")  # no flush happened


def test_live_quiet_pipeline_closed_by_mn(conn: Conn) -> None:
    conn.send(mc.ms(b"p1", b"one", quiet=True), mc.ms(b"p2", b"two", quiet=True), mc.mn())
    assert conn.read() == Reply(b"MN")  # quiet HD replies are suppressed
    conn.send(
        mc.mg(b"p1", opaque=1, quiet=True),
        mc.mg(b"p-missing", opaque=2, quiet=True),
        mc.mg(b"p2", opaque=3, quiet=True),
        mc.md(b"p-missing", opaque=4, quiet=True),
        mc.mn(),
    )
    assert [conn.read() for _ in range(4)] == [
        Reply(b"VA", {"O": b"1"}, b"one"),
        Reply(b"VA", {"O": b"3"}, b"two"),
        Reply(b"NF", {"O": b"4"}),
        Reply(b"MN"),
    ]


def test_live_debug_and_version(conn: Conn) -> None:
    assert conn.call(mc.ms(b"dbg", b"v")) == Reply(b"HD")
    reply = conn.meta(mc.me(b"dbg"))
    assert reply.status == b"ME"
    assert reply.value is not None
    assert reply.value.startswith(b"dbg ")
    assert b"exp=-1" in reply.value
    version = conn.call(mc.version())
    assert isinstance(version, Version)
    assert version.version.startswith("1.")


def test_docstring_examples() -> None:
    from kvs.memcached import protocol as _mcproto

    assert doctest.testmod(_mcproto).failed == 0
    assert doctest.testmod(mcparser).failed == 0
