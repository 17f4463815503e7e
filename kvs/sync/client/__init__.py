# Generated from kvs/client/__init__.py by scripts/unasync.py: do not edit; edit the source
# and run `python scripts/unasync.py`.
"""The client (`Client`) and, generated from `kvs.commands`, its operation methods.  This
folder is the trio source that ``scripts/unasync.py`` turns into ``kvs/sync/client/``."""

from __future__ import annotations

from .client import Client

__all__ = ["Client"]
