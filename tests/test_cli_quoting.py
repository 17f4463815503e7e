"""`kvs.cli.quoting`: the printed form of any bytes splits back into the same bytes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kvs.cli.quoting import quote, split_args


@given(st.lists(st.binary(max_size=64), min_size=1, max_size=5))
def test_printed_words_split_back(words: list[bytes]) -> None:
    assert split_args(" ".join(quote(word) for word in words)) == words


def test_quote_is_printable_ascii() -> None:
    text = quote(bytes(range(256)))
    assert text.isascii()
    assert all(0x20 <= ord(ch) < 0x7F for ch in text)
    assert split_args(text) == [bytes(range(256))]


def test_split_rules() -> None:
    assert split_args('set k "a\\nb\\x41"') == [b"set", b"k", b"a\nbA"]
    assert split_args("get 'it\\'s'") == [b"get", b"it's"]
    assert split_args("a'b c'") == [b"ab c"]
    assert split_args('"closed"glued') is None
    assert split_args('"open') is None
    assert split_args("  ") == []
    assert split_args("caf\u00e9") == ["caf\u00e9".encode()]
