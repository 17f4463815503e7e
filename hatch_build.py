"""The long description for the package index: README.md with its relative links made
absolute, so that they lead somewhere from the index page too.

A link such as ``[Pipelines](docs/pipelines.md)`` becomes
``<Source>/blob/main/docs/pipelines.md``, where ``<Source>`` is the ``Source`` address of
``[project.urls]`` in pyproject.toml (the one place that names the repository).  Absolute
links, in-page anchors and ``mailto:`` are left as they are.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface

_LINK = re.compile(r"(\]\()(?!https?://|#|mailto:)([^)\s]+)(\))")


def absolute_links(text: str, base: str) -> str:
    """`text` (Markdown) with each relative link target joined to `base`."""
    base = base.rstrip("/")

    def join(match: re.Match[str]) -> str:
        target = match[2].removeprefix("./")
        while target.startswith("../"):
            target = target[3:]
        return f"{match[1]}{base}/blob/main/{target}{match[3]}"

    return _LINK.sub(join, text)


class CustomMetadataHook(MetadataHookInterface):
    def update(self, metadata: dict[str, Any]) -> None:
        readme = Path(self.root, "README.md").read_text(encoding="utf-8")
        metadata["readme"] = {
            "content-type": "text/markdown",
            "text": absolute_links(readme, metadata["urls"]["Source"]),
        }
