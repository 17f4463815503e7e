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


OPTIONS_GOOD = '''
import os
import kvs, kvs.sync

class Hook(kvs.Observer):
    def finished(self, token: object, event: kvs.CommandEvent) -> None:
        print(event.command, event.duration, event.outcome)

async def main() -> None:
    async with kvs.connect("redis://cache", timeout=2, connect_timeout=None, db=1,
                           health_check_interval=5.0, client_name="app", protocol=2,
                           retries=0, username="app", password=os.environ["PW"],
                           observer=Hook()) as db:
        text: str | None = await db.get("k")
    async with kvs.connect("rediss://cache", decode=False, ssl_ca_file="ca.pem",
                           ssl_certfile=None, ssl_keyfile=None, ssl_insecure=False) as raw:
        data: bytes | None = await raw.get("k")
    with kvs.sync.connect("redis://cache", decode=False, timeout=1.5) as sdb:
        sdata: bytes | None = sdb.get("k")
    with kvs.sync.connect("redis://cache", password=None) as tdb:
        stext: str | None = tdb.get("k")
'''

OPTIONS_BAD = '''
import kvs, kvs.sync

async def main() -> None:
    kvs.connect("redis://cache", timout=2)
    kvs.sync.connect("redis://cache", conect_timeout=2)
    kvs.connect("redis://cache", db="one")
    kvs.sync.connect("redis://cache", decode=False, ssl_insecure="yes")
    kvs.connect("redis://cache", observer=print)
    with kvs.sync.connect("redis://cache", decode=False) as db:
        text: str | None = db.get("k")
'''


def test_connect_options_are_typed_so_a_misspelt_one_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(textwrap.dedent(OPTIONS_GOOD))
    (tmp_path / "bad.py").write_text(textwrap.dedent(OPTIONS_BAD))
    out, err, _ = api.run(["--strict", "--follow-imports=silent", "--python-version=3.11",
                           "--cache-dir", str(tmp_path / "cache"), str(tmp_path / "good.py"),
                           str(tmp_path / "bad.py")])
    assert not err
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert not [e for e in errors if "good.py" in e], errors
    lines = sorted({int(e.split(":")[1]) for e in errors if "bad.py" in e})
    assert lines == [5, 6, 7, 8, 9, 11], errors
    assert any("timout" in e for e in errors), errors


def test_the_typed_options_are_the_options_a_url_takes() -> None:
    from kvs._options import Options
    from kvs._url import OPTIONS

    # A new option goes in both tables: kvs._url.OPTIONS parses it, kvs._options.Options
    # types it for the user's checker (decode is a named parameter of connect).
    typed, parsed = set(Options.__annotations__) | {"decode"}, set(OPTIONS)
    assert typed == parsed, (
        f"add {sorted(parsed - typed)} to kvs._options.Options (typed for users' checkers), "
        f"or drop {sorted(typed - parsed)} from it")
