"""Properties: encode_reply -> random chunking -> parse gives the value back
(RESP3 exactly, RESP2 through its documented mapping), and a differential
test against hiredis's C reader."""

from __future__ import annotations

import math
from typing import Any

import hiredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import resp
from resp import NEED_DATA, Push, ReplyError, Verbatim

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

line_text = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]))
any_text = st.text(st.characters(blacklist_categories=["Cs"]))
ints = st.integers(min_value=-(10**60), max_value=10**60) | st.integers(-(2**63), 2**63 - 1)
floats = st.floats(allow_nan=False)
hashable_leaves = (
    st.none() | st.booleans() | ints | floats | st.binary(max_size=40) | line_text
    | any_text.map(ReplyError)
)
hashable = st.recursive(hashable_leaves, lambda inner: st.tuples(inner, inner), max_leaves=4)
leaves = (
    hashable_leaves
    | st.builds(Verbatim, any_text, st.sampled_from(["txt", "mkd", "abc"]))
    | st.binary(min_size=1, max_size=2000)
)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(inner, max_size=12)
        | st.dictionaries(hashable, inner, max_size=6)
        | st.sets(hashable_leaves, max_size=6)
        | st.builds(
            lambda k, rest: Push([k, *rest]), st.binary(max_size=12), st.lists(inner, max_size=4)
        )
        | st.lists(st.binary(max_size=30), min_size=4, max_size=40)  # runs of bulks
        | st.lists(st.binary(min_size=5, max_size=5), min_size=4, max_size=40)  # uniform runs
        | st.dictionaries(st.binary(min_size=3, max_size=3), st.binary(min_size=7, max_size=7),
                          min_size=2, max_size=30)
    )


values = st.recursive(leaves, _containers, max_leaves=40)


def norm(value: Any) -> Any:
    """A tagged form in which equal means same types, same values (NaN == NaN)."""
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, Verbatim):
        return ("verbatim", value.format, str(value))
    if isinstance(value, Push):
        return ("push", [norm(v) for v in value])
    if isinstance(value, list):
        return ("list", [norm(v) for v in value])
    if isinstance(value, tuple):
        return ("tuple", [norm(v) for v in value])
    if isinstance(value, dict):
        return ("dict", sorted((repr(norm(k)), norm(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return ("set", sorted(repr(norm(v)) for v in value))
    return (type(value).__name__, value)


def resp2_view(value: Any) -> Any:
    """What a value encoded with protocol=2 parses back as (the documented mapping)."""
    if value is None or (isinstance(value, (str, bytes)) and not isinstance(value, Verbatim)):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value).encode()
    if isinstance(value, float):
        if math.isnan(value):
            return b"nan"
        if math.isinf(value):
            return b"inf" if value > 0 else b"-inf"
        return repr(value).encode()
    if isinstance(value, Verbatim):
        return str(value).encode("utf-8", "surrogateescape")
    if isinstance(value, ReplyError):
        return ReplyError(value.message.replace("\r", " ").replace("\n", " "))
    if isinstance(value, dict):
        return [resp2_view(x) for kv in value.items() for x in kv]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [resp2_view(v) for v in value]
    raise AssertionError(value)


def parse_in_chunks(wire: bytes, cuts: list[int]) -> list[Any]:
    parser = resp.Parser()
    points = sorted({c % (len(wire) + 1) for c in cuts})
    out = []
    for start, end in zip([0, *points], [*points, len(wire)], strict=True):
        parser.feed(wire[start:end])
        while (reply := parser.next_reply()) is not NEED_DATA:
            out.append(reply)
    return out


cut_lists = st.lists(st.integers(min_value=0, max_value=10**6), max_size=12)


@SETTINGS
@given(values, cut_lists)
def test_roundtrip_resp3(value: Any, cuts: list[int]) -> None:
    wire = resp.encode_reply(value)
    got = parse_in_chunks(wire + wire, cuts)
    assert [norm(g) for g in got] == [norm(value)] * 2


@SETTINGS
@given(values, cut_lists)
def test_roundtrip_resp2(value: Any, cuts: list[int]) -> None:
    wire = resp.encode_reply(value, protocol=2)
    got = parse_in_chunks(wire, cuts)
    assert [norm(g) for g in got] == [norm(resp2_view(value))]
    assert resp2_type_bytes(wire) <= set(b"+-:$*")


def resp2_type_bytes(wire: bytes) -> set[int]:
    """The bytes found at type positions when walking a RESP2 stream."""
    seen = set()
    pos = 0
    pending = [1]  # elements still expected at each open level
    while pending:
        if pending[-1] == 0:
            pending.pop()
            continue
        pending[-1] -= 1
        kind = wire[pos]
        seen.add(kind)
        end = wire.index(b"\r\n", pos)
        head = wire[pos + 1 : end]
        pos = end + 2
        if kind == ord("$") and head != b"-1":
            pos += int(head) + 2
        elif kind == ord("*") and head != b"-1":
            pending.append(int(head))
    assert pos == len(wire)
    return seen


def test_resp2_walker_sees_resp3_types() -> None:
    assert resp2_type_bytes(resp.encode_reply([True, None, 1.5], protocol=3)) == set(b"*#_,")
    assert resp2_type_bytes(resp.encode_reply([True, None, 1.5], protocol=2)) == set(b"*:$")


# hiredis reads RESP2: simple strings, errors, integers, bulk strings, arrays, nulls
resp2_values = st.recursive(
    st.none() | st.integers(-(2**63), 2**63 - 1) | st.binary(max_size=50)
    | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
    | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20).map(ReplyError),
    lambda inner: st.lists(inner, max_size=10) | st.lists(st.binary(max_size=12), min_size=4),
    max_leaves=30,
)


def as_hiredis(value: Any) -> Any:
    """Our reply in the shape hiredis returns it (simple strings come as bytes there)."""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, ReplyError):
        return ("err", value.message)
    if isinstance(value, list):
        return [as_hiredis(v) for v in value]
    return value


def from_hiredis(value: Any) -> Any:
    if isinstance(value, hiredis.ReplyError):
        return ("err", str(value))
    if isinstance(value, list):
        return [from_hiredis(v) for v in value]
    return value


@SETTINGS
@given(st.lists(resp2_values, min_size=1, max_size=8), cut_lists)
def test_differential_against_hiredis(replies: list[Any], cuts: list[int]) -> None:
    wire = b"".join(resp.encode_reply(r, protocol=2) for r in replies)
    ours = parse_in_chunks(wire, cuts)
    reader = hiredis.Reader()
    reader.feed(wire)
    theirs = []
    while (reply := reader.gets()) is not False:
        theirs.append(reply)
    assert len(ours) == len(theirs) == len(replies)
    assert [as_hiredis(r) for r in ours] == [from_hiredis(r) for r in theirs]
    assert [as_hiredis(r) for r in ours] == [as_hiredis(r) for r in replies]
