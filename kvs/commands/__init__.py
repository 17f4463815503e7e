"""Every operation once: its argument checks, its argv, its reply decoding, its keys and
whether a retry is safe.  Nothing here does I/O, so the trio client, the blocking client,
the pipeline builders and the tests share it.

One module per family (`keys`, `strings`, `lists`, `hashes`, `sets`, `zsets`, `hll`,
`streams`, `streamgroups`, `server`, `pubsub`, `scripting`); each
operation is a function registered with `operation` (see `_call`) whose signature and
docstring become the method of the same name on every client and builder
(``scripts/generate.py``).  `traits` answers the same questions for a raw command line.

A command is idempotent when a second run leaves the same state *and* gives the same answer:
reads, SET, MSET, EXPIRE.  INCR, LPUSH, LPOP change the state again; DEL, HSET, SADD and
SET NX/XX would answer differently the second time, so none of them is ever retried once sent.
"""

from __future__ import annotations

from . import (
    hashes,
    hll,
    keys,
    lists,
    pubsub,
    scripting,
    server,
    sets,
    streamgroups,
    streams,
    strings,
    zsetops,
    zsets,
)
from ._call import (
    NO_KEYS,
    ONE_KEY,
    OPERATIONS,
    VARIANTS,
    Call,
    KeySpec,
    Read,
    keys_of,
    operation,
    variant,
)
from .types import Key, Value, ValueMapping

__all__ = [
    "NO_KEYS", "ONE_KEY", "OPERATIONS", "VARIANTS", "Call", "Key", "KeySpec", "Read", "Value",
    "ValueMapping", "hashes", "hll", "keys", "keys_of", "lists", "operation", "pubsub", "server",
    "scripting", "sets", "streamgroups", "streams", "strings", "variant", "zsetops",
    "zsets",
]
