"""The client's types catch mistakes in user code: mypy --strict over a snippet that uses the
data-type methods, once correctly (no error) and once wrongly (each mistake reported)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mypy import api

GOOD = '''
import kvs, kvs.sync

async def main() -> None:
    async with kvs.connect(":memory:") as db:
        name: str | None = await db.get("k")
        score: float | None = await db.zscore("board", "ada")
        rank: int | None = await db.zrank("board", "ada")
        top: list[tuple[str, float]] = await db.zrange("board", 0, 2, withscores=True)
        names: list[str] = await db.zrange("board", 0, 2, rev=True)
        flag = True
        either: list[str] | list[tuple[str, float]] = await db.zrange("b", 0, 1,
                                                                      withscores=flag)
        old: str | None = await db.set("k", "v", get=True)
        done: bool = await db.set("k", "v", nx=True)
        one: str | None = await db.srandmember("tags")
        some: list[str] = await db.srandmember("tags", 3)
        where: list[int] = await db.lpos("l", "x", count=0)
        picked: list[tuple[str, str]] = await db.hrandfield("h", 2, withvalues=True)
        popped: list[tuple[str, float]] = await db.zpopmax("board")
        seen: bool = await db.pfadd("visitors", "ada")
        count: int = await db.pfcount("visitors")
        kind: str = await db.type("k")
        async for key in db.scan_iter(match="user:*"):
            text: str = key
        async for member, points in db.zscan_iter("board"):
            total: float = points
        moved: tuple[str, list[str]] | None = await db.lmpop(["a", "b"])
    async with kvs.connect(":memory:", decode=False) as raw:
        data: bytes | None = await raw.get("k")
        async for field, value in raw.hscan_iter("h"):
            pair: tuple[bytes, bytes] = (field, value)
    with kvs.sync.connect(":memory:") as sdb:
        for k in sdb.scan_iter():
            plain: str = k
        s: float | None = sdb.zscore("board", "ada")
'''

BAD = '''
import kvs

async def main() -> None:
    async with kvs.connect(":memory:") as db:
        a: bytes | None = await db.get("k")
        b: str = await db.zscore("board", "ada")
        c: int = await db.zadd("board", {"ada": "10"})
        d: str = await db.pfcount("visitors")
        for key in db.scan_iter():
            pass
    async with kvs.connect(":memory:", decode=False) as raw:
        e: str | None = await raw.get("k")
        await raw.zrange("board", 0, 1, withscore=True)
        f: list[bytes] = await raw.zrange("board", 0, 1, withscores=True)
        g: bool = await raw.set("k", "v", get=True)
'''


def test_correct_use_checks_and_every_mistake_is_found(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(textwrap.dedent(GOOD))
    (tmp_path / "bad.py").write_text(textwrap.dedent(BAD))
    out, err, _ = api.run(["--strict", "--follow-imports=silent", "--python-version=3.11",
                           "--cache-dir", str(tmp_path / "cache"), str(tmp_path / "good.py"),
                           str(tmp_path / "bad.py")])
    assert not err
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert not [e for e in errors if "good.py" in e], errors
    lines = sorted({int(e.split(":")[1]) for e in errors if "bad.py" in e})
    assert lines == [6, 7, 8, 9, 10, 13, 14, 15, 16], errors  # each mistake, and nothing else
