"""Every ```python block of README.md and docs/*.md runs, so the docs cannot drift."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        if not path.exists():
            continue
        for n, match in enumerate(BLOCK.finditer(path.read_text()), 1):
            found.append((f"{path.relative_to(ROOT)}#{n}", match.group(1)))
    return found


BLOCKS = _blocks()


def test_docs_have_code() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_block_runs(where: str, code: str, redis_url: str) -> None:
    # Each block runs in a fresh interpreter, as a reader would paste it; blocks that talk to
    # a Redis server find the test server's port in $REDIS_PORT.
    env = {**os.environ, "REDIS_PORT": redis_url.rpartition(":")[2]}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, timeout=60, cwd=ROOT, env=env)
    assert result.returncode == 0, f"{where} failed:\n{result.stderr[-3000:]}"
