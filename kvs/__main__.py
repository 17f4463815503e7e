"""``python -m kvs``: the ``kvs`` command (see `kvs.cli.main`)."""

from __future__ import annotations

import sys

from .cli.main import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
