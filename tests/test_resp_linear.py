"""Parsing costs work in proportion to the bytes fed, whatever the mix and the chunk size.

The fast paths (``resp/_fastpath.py``, ``resp/_walk.py``) report every scan of the
buffer to ``resp._fastpath.WORK`` when it is a list: the bytes each scan may examine.
These tests count that work, not time, so a loaded machine cannot make them fail and a
scan that looks ahead once per reply (the cost of one reply growing with the chunk
size) cannot come back unnoticed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

import resp
from resp import _fastpath

SIZES = (1024, 8192, 65536, 262144)


@pytest.fixture
def work() -> Iterator[list[int]]:
    counted: list[int] = []
    _fastpath.WORK = counted
    try:
        yield counted
    finally:
        _fastpath.WORK = None


def _bulk(payload: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(payload), payload)


def _streams() -> dict[str, bytes]:
    rng = random.Random(5)
    text = [bytes(rng.choices(b"abcxyz\r\n", k=rng.randint(0, 300))) for _ in range(2000)]
    return {
        # the pipelined stream of short replies that once cost O(chunk) per reply
        "short mixed": b"+OK\r\n:1\r\n$-1\r\n$5\r\nhello\r\n" * 20_000,
        "bulks of varied length": b"".join(_bulk(t) for t in text),
        "arrays of varied bulks": b"".join(
            b"*50\r\n" + b"".join(map(_bulk, text[i : i + 50])) for i in range(0, 2000, 50)),
        "nested and rare types": (
            b"*3\r\n:1\r\n*2\r\n+a\r\n_\r\n=7\r\ntxt:abc\r\n"
            b"%1\r\n$1\r\nk\r\n,1.5\r\n(12345678901234567890\r\n"
            b"|1\r\n+ttl\r\n:3\r\n$3\r\nabc\r\n"
        ) * 3000,
        "uniform then varied": (b"*4\r\n" + _bulk(b"ab") * 4 + b"*4\r\n" + _bulk(b"a")
                                + _bulk(b"abc") * 3) * 5000,
    }


def _parse(stream: bytes, chunk: int) -> int:
    parser = resp.Parser()
    replies = 0
    for i in range(0, len(stream), chunk):
        parser.feed(stream[i : i + chunk])
        while parser.next_reply() is not resp.NEED_DATA:
            replies += 1
    return replies


@pytest.mark.parametrize("name", sorted(_streams()))
def test_work_per_byte_does_not_grow_with_the_chunk_size(work: list[int], name: str) -> None:
    stream = _streams()[name]
    per_byte = []
    replies = set()
    for size in SIZES:
        work.clear()
        replies.add(_parse(stream, size))
        per_byte.append(sum(work) / len(stream))
    assert len(replies) == 1  # the same replies whatever the chunking
    # each byte is scanned a bounded number of times (a window is split at most
    # twice, a uniform cut checked once), the same at every chunk size; a scan
    # ahead per reply made this grow 16x from 1 KiB to 256 KiB chunks
    assert max(per_byte) < 6, per_byte
    assert max(per_byte) < 2 * min(per_byte) + 1, per_byte


def test_work_is_counted(work: list[int]) -> None:
    # the counter is live: parsing anything through a fast path reports its scans
    _parse(b"+OK\r\n" * 100 + b"*2\r\n:1\r\n:2\r\n", 4096)
    assert sum(work) >= 500


def test_byte_by_byte_work_is_linear(work: list[int]) -> None:
    stream = _streams()["arrays of varied bulks"][:20_000]
    per_byte = []
    for size in (1, 7):
        work.clear()
        _parse(stream, size)
        per_byte.append(sum(work) / len(stream))
    assert max(per_byte) < 6, per_byte
