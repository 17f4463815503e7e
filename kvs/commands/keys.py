"""Operations on keys of any type: DEL, EXISTS, KEYS, the expiry commands, TYPE, RENAME,
COPY, SCAN, and the database as a whole (DBSIZE, FLUSHDB)."""

from __future__ import annotations

import datetime

from ._args import integer_arg, key_bytes, moment
from ._call import NO_KEYS, Call, Read, operation
from ._decode import (
    data_list,
    data_list_page,
    integer,
    ok_true,
    one_is_true,
    positive_is_true,
    status_text,
)
from .types import Key, Seconds, When

__all__ = [
    "copy", "cursor_arg", "dbsize", "delete", "exists", "expire", "expireat", "expiretime",
    "flushdb", "keys", "persist", "pexpire", "pttl", "rename", "renamenx", "scan",
    "scan_options", "ttl", "type_", "unlink",
]


@operation
def delete(*keys: Key) -> Call[int]:
    """Delete `keys`; return how many existed."""
    if not keys:
        raise TypeError("delete: at least one key is required")
    return Call((b"DEL", *(key_bytes("delete", k) for k in keys)), integer, False, (1, -1, 1))


@operation
def exists(key: Key) -> Call[bool]:
    """Return whether `key` exists."""
    return Call((b"EXISTS", key_bytes("exists", key)), positive_is_true, True)


@operation
def keys(pattern: Key = "*") -> Call[list[Read]]:
    """Return the keys matching a Redis glob pattern (``*``, ``?``, ``[a-z]``, ``\\``)."""
    return Call((b"KEYS", key_bytes("keys", pattern, "pattern")), data_list, True, NO_KEYS)


@operation
def expire(key: Key, seconds: Seconds) -> Call[bool]:
    """Set a time to live on `key`; False when the key is missing.  ``seconds <= 0``
    deletes the key."""
    if isinstance(seconds, datetime.timedelta):
        seconds = int(seconds.total_seconds())
    count = integer_arg("expire", seconds, "seconds")
    return Call((b"EXPIRE", key_bytes("expire", key), b"%d" % count), one_is_true, True)


@operation
def ttl(key: Key) -> Call[int]:
    """Seconds left before `key` expires; -1 without expiry; -2 when missing."""
    return Call((b"TTL", key_bytes("ttl", key)), integer, True)


@operation
def unlink(*keys: Key) -> Call[int]:
    """Delete `keys`, freeing their memory in the background; return how many existed."""
    if not keys:
        raise TypeError("unlink: at least one key is required")
    return Call((b"UNLINK", *(key_bytes("unlink", k) for k in keys)), integer, False,
                (1, -1, 1))


@operation
def type_(key: Key) -> Call[str]:
    """The type of the value at `key`: ``"string"``, ``"list"``, ``"hash"``, ``"set"``,
    ``"zset"``, ``"stream"``, or ``"none"`` when missing (always a str)."""
    return Call((b"TYPE", key_bytes("type", key)), status_text, True)


@operation
def rename(src: Key, dst: Key) -> Call[bool]:
    """Rename `src` to `dst` (replacing it); True.  A missing `src` raises
    `kvs.ResponseError` (``ERR no such key``)."""
    return Call((b"RENAME", key_bytes("rename", src, "src"), key_bytes("rename", dst, "dst")),
                ok_true, False, (1, 2, 1))


@operation
def renamenx(src: Key, dst: Key) -> Call[bool]:
    """Rename `src` to `dst` only if `dst` does not exist; True when renamed."""
    return Call((b"RENAMENX", key_bytes("renamenx", src, "src"),
                 key_bytes("renamenx", dst, "dst")), one_is_true, False, (1, 2, 1))


@operation
def persist(key: Key) -> Call[bool]:
    """Remove the time to live of `key`; True when it had one."""
    return Call((b"PERSIST", key_bytes("persist", key)), one_is_true, False)


@operation
def pexpire(key: Key, milliseconds: Seconds) -> Call[bool]:
    """Set a time to live in milliseconds (int, or a timedelta); False when the key is
    missing.  ``milliseconds <= 0`` deletes the key."""
    if isinstance(milliseconds, datetime.timedelta):
        milliseconds = int(milliseconds / datetime.timedelta(milliseconds=1))
    count = integer_arg("pexpire", milliseconds, "milliseconds")
    return Call((b"PEXPIRE", key_bytes("pexpire", key), b"%d" % count), one_is_true, True)


@operation
def pttl(key: Key) -> Call[int]:
    """Milliseconds left before `key` expires; -1 without expiry; -2 when missing."""
    return Call((b"PTTL", key_bytes("pttl", key)), integer, True)


@operation
def expireat(key: Key, when: When) -> Call[bool]:
    """Expire `key` at `when` (Unix time in seconds, or a datetime); False when the key is
    missing.  A moment in the past deletes the key."""
    at = moment("expireat", when, "when", 1.0)
    return Call((b"EXPIREAT", key_bytes("expireat", key), at), one_is_true, True)


@operation
def expiretime(key: Key) -> Call[int]:
    """The Unix time in seconds at which `key` expires; -1 without expiry; -2 when
    missing."""
    return Call((b"EXPIRETIME", key_bytes("expiretime", key)), integer, True)


@operation
def copy(src: Key, dst: Key, *, destination_db: int | None = None,
         replace: bool = False) -> Call[bool]:
    """Copy the value (and time to live) of `src` to `dst`; True when copied, False when
    `src` is missing or `dst` exists (unless `replace`)."""
    argv = [b"COPY", key_bytes("copy", src, "src"), key_bytes("copy", dst, "dst")]
    if destination_db is not None:
        argv += (b"DB", b"%d" % integer_arg("copy", destination_db, "destination_db"))
    if replace:
        argv.append(b"REPLACE")
    return Call(tuple(argv), one_is_true, bool(replace), (1, 2, 1))


@operation
def dbsize() -> Call[int]:
    """The number of keys in the database."""
    return Call((b"DBSIZE",), integer, True, NO_KEYS)


@operation
def flushdb(asynchronous: bool = False) -> Call[bool]:
    """Delete every key of the database (in the background with `asynchronous`); True."""
    argv = (b"FLUSHDB", b"ASYNC") if asynchronous else (b"FLUSHDB",)
    return Call(argv, ok_true, True, NO_KEYS)


def scan_options(op: str, argv: list[bytes], match: Key | None, count: int | None) -> None:
    """MATCH and COUNT, the options every SCAN-family command shares, appended to `argv`."""
    if match is not None:
        argv += (b"MATCH", key_bytes(op, match, "match"))
    if count is not None:
        number = integer_arg(op, count, "count")
        if number <= 0:
            raise ValueError(f"{op}: count must be positive, not {number}")
        argv += (b"COUNT", b"%d" % number)


@operation
def scan(cursor: int = 0, *, match: Key | None = None, count: int | None = None,
         type: str | None = None) -> Call[tuple[int, list[Read]]]:
    """One page of SCAN: the next cursor (0 when the scan is over) and some keys.
    `scan_iter` runs the whole scan."""
    argv = [b"SCAN", cursor_arg("scan", cursor)]
    scan_options("scan", argv, match, count)
    if type is not None:
        argv += (b"TYPE", key_bytes("scan", type, "type"))
    return Call(tuple(argv), data_list_page, True, NO_KEYS)


def _cursor(op: str, cursor: object) -> int:
    number = integer_arg(op, cursor, "cursor")
    if number < 0:
        raise ValueError(f"{op}: cursor must not be negative, not {number}")
    return number


def cursor_arg(op: str, cursor: object) -> bytes:
    """A SCAN cursor (an int from 0 to 2**64 - 1) as argv bytes."""
    return b"%d" % _cursor(op, cursor)
