"""Generate the blocking client from the trio one: kvs/_client.py -> kvs/sync/_client.py.

The trio client is the only hand-written copy.  This script rewrites it token by token
(``async def`` -> ``def``, ``await`` dropped, ``__aenter__`` -> ``__enter__``, relative
imports moved one package up, the trio opener swapped for the blocking one).  ``--check``
fails when the checked-in file differs from what it would write, so the two never drift.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "kvs" / "_client.py"
TARGET = ROOT / "kvs" / "sync" / "_client.py"

HEADER = (
    "# Generated from kvs/_client.py by scripts/unasync.py: do not edit; edit the source and\n"
    "# run `python scripts/unasync.py`.\n"
)

# (pattern, replacement), applied in order.
RULES: list[tuple[str, str]] = [
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
    (r"__aenter__", "__enter__"),
    (r"__aexit__", "__exit__"),
    (r"\baclose\b", "close"),
    (r"from \._open import", "from ._open import"),
    (r"from \.(\w|\s)", r"from ..\1"),
    (r"from \.\.\._open import", "from ._open import"),
    (r"from \. import", "from .. import"),
    (r"async with kvs\.connect", "with kvs.sync.connect"),
    (r"<kvs\.Client ", "<kvs.sync.Client "),
    (r"The trio client", "The blocking client"),
    (r"kvs\.connect\b", "kvs.sync.connect"),
    (r"any number of\s+tasks", "any number of threads"),
]


def generate() -> str:
    text = SOURCE.read_text()
    out: list[str] = []
    opener = ""
    for line in text.splitlines(keepends=True):
        if line.startswith("from ._open import"):
            opener = line  # its own package's opener, placed after the parent's imports
            continue
        for pattern, replacement in RULES:
            line = re.sub(pattern, replacement, line)  # noqa: PLW2901
        out.append(line)
    last_parent = max(i for i, line in enumerate(out) if line.startswith("from .."))
    out.insert(last_parent + 1, opener)
    return HEADER + "".join(out)


def main(argv: list[str]) -> int:
    generated = generate()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != generated:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run python scripts/unasync.py",
                  file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(generated)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
