"""Parser throughput: resp.Parser against hiredis and redis-py's pure-Python parsers.

Each corpus is cut into 64 KiB chunks up front (what a socket read returns)
and every contender parses the same chunks:

- ``resp``: ``Parser.feed(chunk)`` then ``next_reply()`` until ``NEED_DATA``;
- ``hiredis``: ``hiredis.Reader.feed(chunk)`` then ``gets()`` until ``False``;
- ``redis-py RESP2`` / ``RESP3``: ``_RESP2Parser`` / ``_RESP3Parser`` reading
  through redis-py's own ``SocketBuffer`` from an in-memory socket whose
  ``recv()`` hands out the same chunks (no system call is measured);
- ``floor``: what pure Python cannot go below for this corpus.  It joins the
  chunks and builds the same reply values (checked equal to ``resp``'s, outside
  the timed region) with the cheapest C-level primitives there are: one
  ``bytes.split(b"\r\n")`` of the whole stream, list slicing (``[2::2]``),
  ``dict(zip(it, it))``, ``map(float, ...)``, a ``struct`` cut where one
  layout repeats (corpora 2-5), and, where the element types vary
  (corpora 8 and 10), one Python-level step per line dispatched on its first
  byte.  It knows the corpus's layout and checks nothing (no lengths, no
  limits, no partial replies), so it bounds any parser written in Python; its
  ratio to hiredis is printed as ``floor/hiredis``.

A last section times ``encode_command("SET", "key", "value")`` against
redis-py's ``PythonRespSerializer.pack`` and ``hiredis.pack_command``.

Contenders alternate (A B C D, A B C D, ...) for ``--rounds`` rounds; each
run is timed in process CPU time (``time.process_time``), which other load on
the machine disturbs less than wall time; the median and the min-max of
replies/s are printed, and the ratio of ``resp``'s speed to each contender's
(above 1: ``resp`` is faster), taken round by round (the contenders of one
round run back to back) as a median with its min-max. Pin it to one CPU:

    taskset -c 0 .venv/bin/python bench/parser.py [--rounds 5] [--scale 0.1]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import resp

CHUNK = 64 * 1024


def _chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


def _bulk(payload: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(payload), payload)


def corpora(scale: float) -> list[tuple[str, int, bytes, bytes]]:
    """(name, reply count, RESP3 stream for resp/redis-py RESP3, stream for RESP2 parsers)."""

    def n(count: int) -> int:
        return max(1, int(count * scale))

    ok = b"+OK\r\n" * n(1_000_000)
    bulks = _bulk(b"v" * 100) * n(100_000)
    lrange = (b"*1000\r\n" + b"".join(_bulk(b"%010d" % i) for i in range(1000))) * n(1000)
    big = _bulk(b"x" * 2**20) * n(100)
    fields = b"".join(_bulk(b"field:%04d" % i) + _bulk(b"value:%04d" % i) for i in range(100))
    hmap = (b"%100\r\n" + fields) * n(1000)
    harr = (b"*200\r\n" + fields) * n(1000)
    # the same shapes with lengths that vary from element to element
    mixed = (b"*1000\r\n" + b"".join(_bulk(b"x" * (5 + i * 7 % 11)) for i in range(1000))) * n(1000)
    vfields = b"".join(
        _bulk(b"f" * (4 + i % 9)) + _bulk(b"v" * (3 + i * 5 % 17)) for i in range(100)
    )
    vmap = (b"%100\r\n" + vfields) * n(1000)
    varr = (b"*200\r\n" + vfields) * n(1000)
    return [
        *_real_shaped(n),
        ("1) +OK x 1,000,000", n(1_000_000), ok, ok),
        ("2) 100 B bulk x 100,000", n(100_000), bulks, bulks),
        ("3) LRANGE 1,000 x 10 B (x1,000)", n(1000), lrange, lrange),
        ("3b) LRANGE 1,000 x 5-15 B (x1,000)", n(1000), mixed, mixed),
        ("4) 1 MiB bulk x 100", n(100), big, big),
        ("5) HGETALL 100 pairs (x1,000)", n(1000), hmap, harr),
        ("5b) HGETALL 100 pairs, varied lengths (x1,000)", n(1000), vmap, varr),
    ]


_ALPHABET = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-."


def _text(rng: random.Random, low: int, high: int) -> bytes:
    """Seeded printable bytes of a random length in [low, high]."""
    return bytes(rng.choices(_ALPHABET, k=rng.randint(low, high)))


def _real_shaped(n: Callable[[int], int]) -> list[tuple[str, int, bytes, bytes]]:
    """Corpora 6-10: the shapes real replies have (seeded, so every run parses the same)."""
    rng = random.Random(11)
    arrays = [b"*1000\r\n" + b"".join(_bulk(_text(rng, 1, 200)) for _ in range(1000))
              for _ in range(n(1000))]
    maps3, maps2 = [], []
    for _ in range(n(1000)):
        pairs = b"".join(_bulk(_text(rng, 3, 20)) + _bulk(_text(rng, 1, 500)) for _ in range(100))
        maps3.append(b"%100\r\n" + pairs)
        maps2.append(b"*200\r\n" + pairs)
    mixed3, mixed2 = [], []
    for _ in range(n(1000)):
        items3, items2 = [], []
        for _ in range(100):
            kind = rng.randrange(5)
            if kind == 0:
                item = _bulk(_text(rng, 1, 60))
                items3.append(item)
                items2.append(item)
            elif kind == 1:
                item = b":%d\r\n" % rng.randint(-(10**6), 10**12)
                items3.append(item)
                items2.append(item)
            elif kind == 2:
                items3.append(b"_\r\n")
                items2.append(b"$-1\r\n")
            elif kind == 3:
                item = b"+" + _text(rng, 1, 20) + b"\r\n"
                items3.append(item)
                items2.append(item)
            else:  # an XRANGE-like entry: [id, [field, value]]
                entry_id = b"%d-%d" % (rng.randint(10**12, 10**13), rng.randrange(9))
                entry = (b"*2\r\n" + _bulk(entry_id)
                         + b"*2\r\n" + _bulk(_text(rng, 3, 12)) + _bulk(_text(rng, 1, 40)))
                items3.append(entry)
                items2.append(entry)
        mixed3.append(b"*100\r\n" + b"".join(items3))
        mixed2.append(b"*100\r\n" + b"".join(items2))
    zr3, zr2 = [], []
    for _ in range(n(10_000)):
        members = [(_text(rng, 3, 20), rng.random() * 1000) for _ in range(10)]
        zr3.append(b"*10\r\n" + b"".join(
            b"*2\r\n" + _bulk(m) + b",%r\r\n" % s for m, s in members))
        zr2.append(b"*20\r\n" + b"".join(_bulk(m) + _bulk(b"%r" % s) for m, s in members))
    short = b"+OK\r\n:1\r\n$-1\r\n$5\r\nhello\r\n" * n(25_000)
    return [
        ("6) 1,000 arrays of 1,000 bulks of 1-200 B", n(1000), b"".join(arrays),
         b"".join(arrays)),
        ("7) 1,000 maps of 100 pairs, fields 3-20 B, values 1-500 B", n(1000),
         b"".join(maps3), b"".join(maps2)),
        ("8) 1,000 arrays of 100 mixed items (XRANGE-like)", n(1000), b"".join(mixed3),
         b"".join(mixed2)),
        ("9) 10,000 ZRANGE WITHSCORES of 10 pairs", n(10_000), b"".join(zr3), b"".join(zr2)),
        ("10) 100,000 short mixed replies (+OK :1 $-1 $5)", 4 * n(25_000), short, short),
    ]


# ------------------------------------------------------------------ floors
# Each takes the corpus's chunks and its reply count and returns the replies.

Floor = Callable[[list[bytes], int], list[Any]]


def _floor_simple(chunks: list[bytes], count: int) -> list[Any]:
    return b"".join(chunks)[1:-2].decode("utf-8", "surrogateescape").split("\r\n+")


def _floor_uniform(chunks: list[bytes], count: int) -> list[Any]:
    """Replies of one layout repeated (corpora 2-5): one ``struct`` cut of the stream."""
    data = b"".join(chunks)
    size = len(data) // count
    head = 0
    n = 1
    if data[:1] in b"*%":  # an aggregate: its header, then n elements of one layout
        head = data.find(b"\r\n") + 2
        n = int(data[1 : head - 2]) * (2 if data[:1] == b"%" else 1)
    hlen = data.find(b"\r\n", head) - head
    unit = f"{hlen + 2}x{int(data[head + 1 : head + hlen])}s2x"
    cut = struct.Struct(f"{head}x" + unit * n).iter_unpack(data)
    if not head:
        return [reply[0] for reply in cut]
    assert size == struct.calcsize(f"{head}x" + unit * n)
    if data[:1] == b"%":
        return [dict(zip(reply[::2], reply[1::2], strict=True)) for reply in cut]
    return list(map(list, cut))


def _floor_arrays(chunks: list[bytes], count: int) -> list[Any]:
    tokens = b"".join(chunks).split(b"\r\n")
    step = (len(tokens) - 1) // count  # lines per reply: the header, then header+payload pairs
    return [tokens[b + 2 : b + step : 2] for b in range(0, step * count, step)]


def _floor_maps(chunks: list[bytes], count: int) -> list[Any]:
    tokens = b"".join(chunks).split(b"\r\n")
    step = (len(tokens) - 1) // count
    out = []
    for b in range(0, step * count, step):
        it = iter(tokens[b + 2 : b + step : 2])
        out.append(dict(zip(it, it, strict=False)))
    return out


def _floor_pairs(chunks: list[bytes], count: int) -> list[Any]:
    tokens = b"".join(chunks).split(b"\r\n")
    step = (len(tokens) - 1) // count  # *10, then (*2, $n, member, ,score) x 10
    out = []
    for b in range(0, step * count, step):
        scores = b"\n".join(tokens[b + 4 : b + step : 4])[1:].split(b"\n,")
        members = tokens[b + 3 : b + step : 4]
        out.append(list(map(list, zip(members, map(float, scores), strict=True))))
    return out


def _floor_stepwise(chunks: list[bytes], count: int) -> list[Any]:
    """Mixed types: one step per line, dispatched on its first byte, nothing checked."""
    tokens = b"".join(chunks).split(b"\r\n")
    out: list[Any] = []
    stack: list[tuple[list[Any], int]] = []
    items: list[Any] | None = None
    left = 0
    i = 0
    n = len(tokens) - 1
    value: Any
    while i < n:
        tok = tokens[i]
        t = tok[0]
        if t == 36:  # $
            if tok == b"$-1":
                value = None
                i += 1
            else:
                value = tokens[i + 1]
                i += 2
        elif t == 58:  # :
            value = int(tok[1:])
            i += 1
        elif t == 43:  # +
            value = tok[1:].decode("utf-8", "surrogateescape")
            i += 1
        elif t == 95:  # _
            value = None
            i += 1
        else:  # *
            i += 1
            if items is not None:
                stack.append((items, left))
            items = []
            left = int(tok[1:])
            continue
        if items is None:
            out.append(value)
            continue
        while True:
            items.append(value)
            left -= 1
            if left:
                break
            value = items
            if not stack:
                out.append(value)
                items = None
                break
            items, left = stack.pop()
    return out


FLOORS: dict[str, Floor] = {
    "1": _floor_simple, "2": _floor_uniform, "3": _floor_uniform, "3b": _floor_arrays,
    "4": _floor_uniform, "5": _floor_uniform, "5b": _floor_maps, "6": _floor_arrays,
    "7": _floor_maps, "8": _floor_stepwise, "9": _floor_pairs, "10": _floor_stepwise,
}


def _timed_floor(floor: Floor) -> Callable[[list[bytes], int], None]:
    def run(chunks: list[bytes], count: int) -> None:
        got = len(floor(chunks, count))
        assert got == count, (got, count)

    return run


def _replies(chunks: list[bytes]) -> list[Any]:
    parser = resp.Parser()
    out = []
    for chunk in chunks:
        parser.feed(chunk)
        while (reply := parser.next_reply()) is not resp.NEED_DATA:
            out.append(reply)
    return out


def run_resp(chunks: list[bytes], count: int) -> None:
    parser = resp.Parser()
    feed = parser.feed
    next_reply = parser.next_reply
    need = resp.NEED_DATA
    got = 0
    for chunk in chunks:
        feed(chunk)
        while next_reply() is not need:
            got += 1
    assert got == count, (got, count)


def run_hiredis(chunks: list[bytes], count: int) -> None:
    import hiredis

    reader = hiredis.Reader()
    feed = reader.feed
    gets = reader.gets
    got = 0
    for chunk in chunks:
        feed(chunk)
        while gets() is not False:
            got += 1
    assert got == count, (got, count)


class _MemorySocket:
    """Just enough of a socket for redis-py's SocketBuffer: recv() from memory."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = iter(chunks)

    def recv(self, size: int) -> bytes:
        return next(self._chunks, b"")

    def settimeout(self, timeout: float | None) -> None:
        pass


def _redis_py(protocol: int) -> Callable[[list[bytes], int], None]:
    def run(chunks: list[bytes], count: int) -> None:
        from redis._parsers.encoders import Encoder
        from redis._parsers.resp2 import _RESP2Parser
        from redis._parsers.resp3 import _RESP3Parser
        from redis._parsers.socket import SocketBuffer

        cls: Any = _RESP2Parser if protocol == 2 else _RESP3Parser
        parser = cls(socket_read_size=CHUNK)
        sock = _MemorySocket(chunks)
        parser._sock = sock
        parser._buffer = SocketBuffer(sock, CHUNK, None)  # type: ignore[arg-type]
        parser.encoder = Encoder("utf-8", "strict", False)  # type: ignore[no-untyped-call]
        read = parser.read_response
        for _ in range(count):
            read()

    return run


def bench_encode(rounds: int, calls: int) -> None:
    """encode_command("SET", "key", "value") against redis-py's packer and hiredis's."""
    import hiredis
    from redis._parsers.encoders import Encoder
    from redis.connection import PythonRespSerializer

    packer = PythonRespSerializer(6000, Encoder("utf-8", "strict", False).encode)  # type: ignore[no-untyped-call]
    encode = resp.encode_command
    pack_hiredis: Any = hiredis.pack_command
    pack_redis_py: Any = packer.pack
    args = ("SET", "key", "value")
    # each contender is called the same way, through one zero-argument lambda
    contenders: list[tuple[str, Callable[[], object]]] = [
        ("resp", lambda: encode("SET", "key", "value")),
        ("hiredis", lambda: pack_hiredis(args)),
        ("redis-py", lambda: pack_redis_py("SET", "key", "value")),
    ]
    assert b"".join(pack_redis_py(*args)) == encode(*args) == pack_hiredis(args)

    def run(fn: Callable[[], object]) -> float:
        gc.collect()
        start = time.process_time()
        for _ in range(calls):
            fn()
        return time.process_time() - start

    times: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for _ in range(rounds):
        for name, fn in contenders:
            times[name].append(run(fn))
    print(f"\n6) encode_command('SET', 'key', 'value'): {calls} calls")
    for name, _ in contenders:
        rates = [calls / t for t in times[name]]
        median = statistics.median(rates)
        ratio = "" if name == "resp" else f"  resp/this = {_ratio(times['resp'], times[name])}"
        print(f"  {name:15s} {median:12,.0f} calls/s ({min(rates):,.0f}-{max(rates):,.0f}){ratio}")


def _ratio(ours: list[float], theirs: list[float]) -> str:
    """Median (min-max) of the per-round speed ratios (their time / our time)."""
    ratios = [t / o for o, t in zip(ours, theirs, strict=True)]
    return f"{statistics.median(ratios):5.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def _time(fn: Callable[[list[bytes], int], None], chunks: list[bytes], count: int) -> float:
    gc.collect()
    start = time.process_time()
    fn(chunks, count)
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of each corpus")
    ap.add_argument("--only", default="", help="run only corpora whose name contains this")
    args = ap.parse_args()

    contenders: list[tuple[str, Callable[[list[bytes], int], None], bool]] = [
        ("resp", run_resp, True),
        ("hiredis", run_hiredis, False),
        ("redis-py RESP2", _redis_py(2), False),
        ("redis-py RESP3", _redis_py(3), True),
    ]
    print(f"python {sys.version.split()[0]}, {args.rounds} rounds, chunks of {CHUNK} bytes")
    for name, count, resp3_stream, resp2_stream in corpora(args.scale):
        if args.only not in name:
            continue
        streams = {True: _chunks(resp3_stream), False: _chunks(resp2_stream)}
        floor = FLOORS[name.split(")")[0]]
        # the floor builds the very values resp returns (checked outside the timed region)
        assert floor(streams[True], count) == _replies(streams[True]), name
        here = [*contenders, ("floor", _timed_floor(floor), True)]
        times: dict[str, list[float]] = {c[0]: [] for c in here}
        failed: dict[str, str] = {}
        for _ in range(args.rounds):
            for cname, fn, uses_resp3 in here:
                if cname in failed:
                    continue
                try:
                    times[cname].append(_time(fn, streams[uses_resp3], count))
                except Exception as exc:  # a peer that cannot parse this corpus
                    if cname == "resp":
                        raise
                    failed[cname] = f"{type(exc).__name__}: {exc}"[:80]
        size = len(resp3_stream)
        print(f"\n{name}: {count} replies, {size / 1e6:.1f} MB")
        for cname, _, _ in here:
            if cname in failed:
                print(f"  {cname:15s} failed: {failed[cname]}")
                continue
            rates = [count / t for t in times[cname]]
            median = statistics.median(rates)
            ratio = (
                "" if cname == "resp" else f"  resp/this = {_ratio(times['resp'], times[cname])}"
            )
            if cname == "floor":
                ratio += f"  floor/hiredis = {_ratio(times['floor'], times['hiredis'])}"
            print(
                f"  {cname:15s} {median:12,.0f} replies/s ({min(rates):,.0f}-{max(rates):,.0f})"
                f"  {size * median / count / 1e6:8.1f} MB/s{ratio}"
            )
    if args.only in "6) encode_command":
        bench_encode(args.rounds, max(1000, int(500_000 * args.scale)))


if __name__ == "__main__":
    main()
