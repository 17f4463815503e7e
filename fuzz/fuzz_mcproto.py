"""Fuzz harness for the memcached meta-protocol codec (`kvs.memcached.protocol`).

Run a campaign with atheris (``pip install atheris``)::

    python fuzz/fuzz_mcproto.py fuzz/corpus/mcproto -max_total_time=120

Input layout: the first byte picks the chunk size (1..16) used for the second parse, the rest
is the stream of reply bytes.  Invariants checked on every input:

- nothing but `ProtocolError` escapes the parser;
- parsing the stream whole and in chunks gives the same replies and the same outcome;
- after `NEED_DATA` the parser holds no more than its limits allow (bounded memory);
- a request built from any key (taken from the input) is one line of printable ASCII whose
  key token is at most 250 bytes: no key can inject a command.

`test_one_input` is importable without atheris; tests run it over the seed corpus.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kvs.memcached.protocol import (
    NEED_DATA,
    ErrorReply,
    Parser,
    ProtocolError,
    Reply,
    Version,
    encode_key,
    mg,
    ms,
)

MAX_VALUE = 4096
MAX_LINE = 512
_BUFFER_BOUND = max(MAX_LINE, MAX_VALUE) + 1

Outcome = tuple[list[Reply | ErrorReply | Version], str]


def _parse(stream: bytes, chunk: int) -> Outcome:
    parser = Parser(max_value_size=MAX_VALUE, max_line_length=MAX_LINE)
    replies: list[Reply | ErrorReply | Version] = []
    try:
        for start in range(0, len(stream), chunk):
            parser.feed(stream[start : start + chunk])
            while (reply := parser.next_reply()) is not NEED_DATA:
                replies.append(reply)
            assert len(parser._buf) <= _BUFFER_BOUND, "parser buffered beyond its limits"
    except ProtocolError:
        try:
            parser.next_reply()
        except ProtocolError:
            return replies, "failed"
        raise AssertionError("parser did not stay failed") from None
    return replies, "ok"


def _check_request(key: bytes) -> None:
    token, _ = encode_key(key)
    assert 1 <= len(token) <= 250, token
    for request in (mg(key, ttl=True, opaque=7), ms(key, b"v\r\nmn\r\n", ttl=5)):
        line = request[: request.index(b"\r\n")]
        assert all(0x20 <= byte < 0x7F for byte in line), line
        assert line.split(b" ")[1] == token
    assert mg(key).count(b"\r\n") == 1


def test_one_input(data: bytes) -> None:
    """Check every invariant on one fuzz input; raise AssertionError on a violation."""
    if not data:
        return
    chunk = data[0] % 16 + 1
    stream = data[1:]
    whole = _parse(stream, max(1, len(stream)))
    chunked = _parse(stream, chunk)
    assert whole == chunked, (whole, chunked)
    _check_request(stream[:300])


def main() -> None:
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
