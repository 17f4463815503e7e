"""Run the fuzz harness over every file of the seed corpus, so it cannot rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "fuzz" / "corpus" / "parser").iterdir())


def _harness() -> object:
    spec = importlib.util.spec_from_file_location("fuzz_parser", ROOT / "fuzz" / "fuzz_parser.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HARNESS = _harness()


def test_corpus_is_not_empty() -> None:
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_harness_on_corpus_file(path: Path) -> None:
    HARNESS.test_one_input(path.read_bytes())  # type: ignore[attr-defined]


def test_harness_catches_chunking_differences() -> None:
    import resp

    original = resp.Parser.next_reply
    calls = 0

    def flaky(self: resp.Parser) -> object:
        nonlocal calls
        calls += 1
        reply = original(self)
        return b"changed" if calls == 2 and reply is not resp.NEED_DATA else reply

    resp.Parser.next_reply = flaky  # type: ignore[method-assign]
    try:
        with pytest.raises(AssertionError, match="changed the result"):
            HARNESS.test_one_input(b"+a\r\n+b\r\n")  # type: ignore[attr-defined]
    finally:
        resp.Parser.next_reply = original  # type: ignore[method-assign]
