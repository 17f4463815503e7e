"""Generate the blocking client from the trio one: kvs/client/ -> kvs/sync/client/.

The trio client is the only hand-written copy.  This script rewrites every module of the
folder token by token (``async def`` -> ``def``, ``await`` dropped, ``__aenter__`` ->
``__enter__``, ``AsyncIterator`` -> ``Iterator``, ...) and moves relative imports one package
up, except the opener (``.._open``) and the SCAN iterator (``.._scan``), which then name the
blocking ones, ``kvs/sync/_open.py`` and ``kvs/sync/_scan.py``.

``--check`` fails when a checked-in file differs from what it would write, when a generated
file has no source any more, or when a rule was never used (a rule that matches nothing is a
rule that went stale), so the two clients never drift.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "kvs" / "client"
TARGET = ROOT / "kvs" / "sync" / "client"

HEADER = (
    "# Generated from kvs/client/{name} by scripts/unasync.py: do not edit; edit the source\n"
    "# and run `python scripts/unasync.py`.\n"
)

# (pattern, replacement), applied in order to every line.
RULES: list[tuple[str, str]] = [
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
    (r"__aenter__", "__enter__"),
    (r"__aexit__", "__exit__"),
    (r"\baclose\b", "close"),
    (r"__aiter__", "__iter__"),
    (r"__anext__", "__next__"),
    (r"\bStopAsyncIteration\b", "StopIteration"),
    (r"<kvs\.Subscription ", "<kvs.sync.Subscription "),
    (r"^(\s*)from \.\.(?!_open\b|_scan\b)", r"\1from ..."),  # these stay: sync's own
    (r"with kvs\.connect", "with kvs.sync.connect"),
    (r"<kvs\.Client ", "<kvs.sync.Client "),
    (r"The trio client", "The blocking client"),
    (r"kvs\.connect\b", "kvs.sync.connect"),
    (r"of tasks may use", "of threads may use"),
    (r"Callable\[\[Watch\[R\]\], Awaitable\[T\]\]", "Callable[[Watch[R]], T]"),
    (r"^(from collections\.abc import .*)\bAwaitable, ", r"\1"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\b([Aa])n async iterator\b", r"\1n iterator"),
]


def convert(text: str, used: set[int]) -> str:
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        for index, (pattern, replacement) in enumerate(RULES):
            new = re.sub(pattern, replacement, line)
            if new != line:
                used.add(index)
                line = new  # noqa: PLW2901
        out.append(line)
    return "".join(out)


def generate() -> tuple[dict[Path, str], set[int]]:
    used: set[int] = set()
    files: dict[Path, str] = {}
    for source in sorted(SOURCE.glob("*.py")):
        text = convert(source.read_text(), used)
        files[TARGET / source.name] = HEADER.format(name=source.name) + text
    return files, used


def main(argv: list[str]) -> int:
    files, used = generate()
    unused = [RULES[i][0] for i in range(len(RULES)) if i not in used]
    if unused:
        print(f"unasync rules that matched nothing (remove or fix them): {unused}",
              file=sys.stderr)
        return 1
    stale = [path for path in TARGET.glob("*.py") if path not in files]
    if "--check" in argv:
        bad = [path for path, text in files.items()
               if not path.exists() or path.read_text() != text]
        if bad or stale:
            for path in bad + stale:
                print(f"{path.relative_to(ROOT)} is out of date: run python scripts/unasync.py",
                      file=sys.stderr)
            return 1
        return 0
    TARGET.mkdir(parents=True, exist_ok=True)
    for path in stale:
        path.unlink()
    for path, text in files.items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
