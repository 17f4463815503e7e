"""The package as an index would get it: ``python -m build`` makes an sdist and a wheel (the
wheel built from the sdist, so the sdist is complete), whose files and metadata are what they
should be, and the wheel installs into a new virtual environment where the imports, the
``kvs`` command and a round trip through each client work, away from this source tree.
"""

from __future__ import annotations

import email
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import kvs
import resp

ROOT = Path(__file__).resolve().parent.parent

SMOKE = """
import sys
import kvs.sync
assert "trio" not in sys.modules, "import kvs.sync imported trio"
import kvs, resp
assert kvs.__version__ == resp.__version__ == sys.argv[1], (kvs.__version__, sys.argv[1])
assert kvs.__file__.startswith(sys.prefix), kvs.__file__
with kvs.sync.connect(":memory:") as db:
    assert db.set("k", "v") is True
    assert db.get("k") == "v"

import trio

async def main() -> None:
    async with kvs.connect(":memory:", decode=False) as db:
        await db.set("k", b"\\x00\\xff")
        assert await db.get("k") == b"\\x00\\xff"

trio.run(main)
print("smoke ok")
"""


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
                    str(ROOT)], check=True, capture_output=True, timeout=120)
    return out


def _one(dist: Path, pattern: str) -> Path:
    (found,) = dist.glob(pattern)
    return found


@pytest.mark.slow
def test_the_sdist_holds_the_sources_tests_and_docs_and_nothing_else(dist: Path) -> None:
    with tarfile.open(_one(dist, "*.tar.gz")) as sdist:
        names = [name.partition("/")[2] for name in sdist.getnames()]
    tops = {name.partition("/")[0] for name in names if name}
    assert {"resp", "kvs", "tests", "docs", "LICENSE", "README.md", "pyproject.toml",
            "hatch_build.py"} <= tops
    assert tops <= {"resp", "kvs", "tests", "docs", "bench", "fuzz", "scripts", "LICENSE",
                    "README.md", "pyproject.toml", "hatch_build.py", "PKG-INFO",
                    ".gitignore"}, tops
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")
                or n.startswith((".venv", ".hypothesis", ".mypy_cache", "fuzz/crashes"))]
    assert "resp/py.typed" in names and "kvs/py.typed" in names


@pytest.mark.slow
def test_the_wheel_metadata_is_ready_for_an_index(dist: Path) -> None:
    wheel = _one(dist, "*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(zf.read(info))
        license_text = zf.read(info.replace("METADATA", "licenses/LICENSE")).decode()
    assert meta["Version"] == kvs.__version__ == resp.__version__
    assert meta["License-Expression"] == "MIT"
    assert license_text.startswith("MIT License")
    assert "The resp-kvs authors" in license_text
    classifiers = set(meta.get_all("Classifier") or [])
    for wanted in ("Framework :: Trio", "Typing :: Typed", "Topic :: Database",
                   "Programming Language :: Python :: 3.11"):
        assert wanted in classifiers
    assert any(c.startswith("Development Status ::") for c in classifiers)
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues"}
    assert meta["Requires-Dist"] == "trio>=0.25"
    description = meta.get_payload()
    assert isinstance(description, str) and "docs/quickstart.md" in description
    links = re.findall(r"\]\(([^)\s]+)\)", description)
    assert links and all(link.startswith(("https://", "#")) for link in links), links
    assert "resp/py.typed" in names and "kvs/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/", "docs/"))]


@pytest.mark.slow
def test_the_wheel_installs_into_a_new_environment_and_works(dist: Path,
                                                             tmp_path: Path) -> None:
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True,
                   timeout=60)
    python = env / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--disable-pip-version-check", str(_one(dist, "*.whl"))],
                   check=True, timeout=180)
    smoke = subprocess.run([str(python), "-c", SMOKE, kvs.__version__], check=False, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert smoke.returncode == 0, smoke.stderr
    assert smoke.stdout.strip() == "smoke ok"
    version = subprocess.run([str(env / "bin" / "kvs"), "--version"], check=False, cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"kvs {kvs.__version__}"
    ping = subprocess.run([str(env / "bin" / "kvs"), "--url", ":memory:", "ping"],
                          check=False, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert ping.returncode == 0 and "PONG" in ping.stdout, (ping.stdout, ping.stderr)
