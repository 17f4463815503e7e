"""Fuzz harness for ``resp.Parser`` (atheris).

Invariants checked on every input:

- nothing but ``resp.ProtocolError`` escapes the parser;
- memory stays bounded: the parser runs with small limits;
- the outcome (the replies, their attributes, and whether the stream is
  rejected) does not depend on how the bytes are chunked: the input is
  parsed whole and again in chunks whose sizes derive from the input;
- a failed parser stays failed.

Run a campaign (see fuzz/README.md):

    .venv/bin/python fuzz/fuzz_parser.py fuzz/corpus/parser -max_total_time=600
"""

from __future__ import annotations

import math
import sys
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import resp

LIMITS: dict[str, int] = {
    "max_bulk_len": 4096,
    "max_aggregate_len": 512,
    "max_depth": 16,
    "max_line_len": 256,
}


def _normal(value: Any) -> Any:
    """A comparable form: NaN made equal to itself, types kept visible."""
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    if isinstance(value, resp.Push):
        return ("push", [_normal(v) for v in value])
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, tuple):
        return ("tuple", [_normal(v) for v in value])
    if isinstance(value, dict):
        return ("dict", sorted((repr(_normal(k)), _normal(v)) for k, v in value.items()))
    if isinstance(value, set):
        return ("set", sorted(repr(_normal(v)) for v in value))
    if isinstance(value, resp.Verbatim):
        return ("verbatim", value.format, str(value))
    return (type(value).__name__, value)


def _parse(chunks: list[bytes]) -> tuple[list[Any], bool]:
    parser = resp.Parser(**LIMITS)
    out: list[Any] = []
    try:
        for chunk in chunks:
            parser.feed(chunk)
            while (reply := parser.next_reply()) is not resp.NEED_DATA:
                out.append((_normal(reply), _normal(parser.last_attributes)))
    except resp.ProtocolError:
        for again in (parser.next_reply, lambda: parser.feed(b"+OK\r\n")):
            try:
                again()
            except resp.ProtocolError:
                pass
            else:
                raise AssertionError("a failed parser accepted another call") from None
        return out, True
    return out, False


def _chunking(data: bytes) -> list[bytes]:
    seed = zlib.crc32(data)
    chunks = []
    pos = 0
    while pos < len(data):
        size = 1 + seed % 7 if seed & 8 else 1 + seed % 97
        chunks.append(data[pos : pos + size])
        pos += size
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
    return chunks


def test_one_input(data: bytes) -> None:
    """Parse ``data`` whole and chunked; raise AssertionError if they differ."""
    whole = _parse([data])
    chunked = _parse(_chunking(data))
    if whole != chunked:
        raise AssertionError(f"chunking changed the result:\n{whole}\n{chunked}")
    bytewise = _parse([data[i : i + 1] for i in range(len(data))]) if len(data) < 512 else whole
    if whole != bytewise:
        raise AssertionError(f"byte-by-byte feeding changed the result:\n{whole}\n{bytewise}")


def main() -> None:
    import atheris

    atheris.instrument_all()
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
