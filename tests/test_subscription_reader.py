"""`kvs.redis.frames.SubscriptionReader` gives exactly what ``resp.Parser`` (and
`to_message`) give, for any stream of subscription replies split anywhere."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import resp
from kvs.commands.pubsub import Message, to_message
from kvs.redis.frames import SubscriptionReader

names = st.binary(max_size=12) | st.sampled_from([b"news", b"a\r\nb", b"$3\r\n", b""])
payloads = names | st.binary(min_size=200, max_size=3000)
frames = st.one_of(
    st.tuples(st.just(b"message"), names, payloads).map(list),
    st.tuples(st.just(b"pmessage"), names, names, payloads).map(list),
    st.tuples(st.just(b"smessage"), names, payloads).map(list),
    st.tuples(st.sampled_from([b"subscribe", b"punsubscribe", b"sunsubscribe"]),
              names | st.none(), st.integers(-1, 10**12)).map(list),
    st.just([b"pong", b""]),
    st.just("PONG"),
    st.just(resp.ReplyError("NOPERM this user has no permissions")),
    st.just([b"message", b"too", b"many", b"items"]),
    st.just([b"message", [b"nested"], b"x"]),
    st.just({b"map": 1}),
    st.just(None),
    st.just(42),
)


def _expected(frame: Any, decode: bool) -> Any:
    message = to_message(frame, decode)
    return frame if message is None else message


def _read_all(reader: SubscriptionReader, chunks: list[bytes]) -> list[Any]:
    out: list[Any] = []
    for chunk in chunks:
        reader.feed(chunk)
        while (item := reader.next()) is not resp.NEED_DATA:
            out.append(item)
    return out


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@given(st.lists(st.tuples(frames, st.booleans()), max_size=12), st.booleans(),
       st.lists(st.integers(0, 10**6), max_size=8))
def test_same_as_the_parser(items: list[tuple[Any, bool]], decode: bool,
                            cuts: list[int]) -> None:
    data = b"".join(resp.encode_reply(resp.Push(f) if push and isinstance(f, list) else f,
                                      protocol=3) for f, push in items)
    parser = resp.Parser()
    parser.feed(data)
    expected = []
    while (reply := parser.next_reply()) is not resp.NEED_DATA:
        expected.append(_expected(reply, decode))
    assert _read_all(SubscriptionReader(decode), _split(data, cuts)) == expected


def test_byte_by_byte_and_whole() -> None:
    frames_ = [resp.Push([b"message", b"c", b"x" * 70000]), resp.Push([b"subscribe", b"c", 1]),
               [b"pmessage", b"p*", b"pc", b"y"], "PONG"]
    data = b"".join(resp.encode_reply(f) for f in frames_)
    want = [Message("message", "c", "x" * 70000), resp.Push([b"subscribe", b"c", 1]),
            Message("pmessage", "pc", "y", "p*"), "PONG"]
    assert _read_all(SubscriptionReader(True), [data]) == want
    assert _read_all(SubscriptionReader(True), [data[i:i + 1] for i in range(len(data))]) == want


@pytest.mark.parametrize("bad", [b">3\r\n$7\r\nmessage\r\n$1\r\nab\r\n$1\r\nc\r\n",
                                 b"*3\r\n$07\r\nmessage\r\n", b"?what\r\n", b"*1\r\n$1\r\nx\n"])
def test_malformed_streams_raise_the_parsers_error(bad: bytes) -> None:
    reader = SubscriptionReader(True)
    reader.feed(bad + b"\r\n" * 8)
    with pytest.raises(resp.ProtocolError):
        while reader.next() is not resp.NEED_DATA:
            pass
