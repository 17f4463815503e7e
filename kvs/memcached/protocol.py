# Theory of operation
# ===================
#
# This module speaks memcached's *meta* text protocol (mg, ms, md, ma, mn, me, plus the
# classic `version`) without doing any I/O: request builders return the exact bytes to write,
# and `Parser` turns the bytes read back into reply objects. The transport (trio or a blocking
# socket) lives elsewhere and only moves bytes.
#
# Requests.  Every request is one line `<cmd> <key> <flag>*\r\n`; `ms` adds `<datalen>` and a
# data block.  The only caller-controlled bytes that reach a request line are the key and the
# opaque token, and neither is ever written raw unless it is a plain token: the key goes
# through `encode_key` (printable ASCII without spaces, or base64 with the `b` flag, or a
# hash), the opaque must be 1..32 printable bytes, and every number is range-checked before it
# is formatted.  So no argument can end the line early or smuggle in a second command; a key
# such as b"x\r\nflush_all\r\n" is stored as that exact key.
#
# Keys.  The server stores raw bytes.  Three disjoint encodings map a caller's key onto them:
#   1. 1..250 bytes of printable ASCII (0x21..0x7e): sent as is.
#   2. any other key of 1..186 bytes that does not start with HASHED_KEY_PREFIX: sent
#      base64-encoded with `b` (186 bytes is the most whose base64 form, 248 characters, fits
#      memcached's 250-character key limit).
#   3. everything else (the empty key, binary keys over 186 bytes, text keys over 250 bytes,
#      keys that start with the prefix): stored under HASHED_KEY_PREFIX + sha256(key), sent
#      base64-encoded.  Such a key cannot be listed back in its original form.
# The prefix starts with a NUL byte, so class 3 never meets class 1, and class 2 excludes it
# explicitly: two different keys share a slot only on a SHA-256 collision.
#
# Quiet mode (`q`) suppresses the common reply of a command (EN for mg; HD for ms, md, ma), so
# a pipeline of quiet commands is closed with `mn`, whose MN reply marks the end.
#
# TTLs.  Memcached's `t` flag reports -1 for "no expiry" and a miss is EN, which
# `redis_ttl` maps to Redis's convention (-1 no expiry, -2 no key).  An expiry sent to
# memcached over 30 days is read by the server as a Unix time; `wire_ttl` converts Redis-style
# relative seconds into the value memcached expects.
"""Sans-IO codec for the memcached meta protocol: request builders, key encoding, TTLs; the
reply side (`Parser`) is `kvs.memcached.parser`, re-exported here."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Final, Literal

from .parser import (
    NEED_DATA,
    ErrorReply,
    ParsedReply,
    Parser,
    ProtocolError,
    Reply,
    Version,
)

__all__ = ["HASHED_KEY_PREFIX", "MAX_BINARY_KEY_LEN", "MAX_KEY_LEN", "MAX_RELATIVE_TTL",
           "NEED_DATA", "TEXT_KEY", "ErrorReply", "ParsedReply", "Parser", "ProtocolError",
           "Reply", "Version", "decode_key", "encode_key", "ma", "md", "me", "mg", "mn", "ms",
           "redis_ttl", "touch", "version", "wire_ttl"]

MAX_KEY_LEN: Final = 250
MAX_BINARY_KEY_LEN: Final = 186
HASHED_KEY_PREFIX: Final = b"\x00kvs:sha256:"
MAX_RELATIVE_TTL: Final = 60 * 60 * 24 * 30  # larger exptimes are Unix times to memcached

TEXT_KEY: Final = re.compile(rb"[\x21-\x7e]{1,250}")  # the keys sent as they are
_OPAQUE = re.compile(rb"[\x21-\x7e]{1,32}")

BytesLike = bytes | bytearray | memoryview


# ---------------------------------------------------------------------------------- keys


def encode_key(key: BytesLike) -> tuple[bytes, bool]:
    """The token that carries `key` on the wire, and whether it is base64 (the `b` flag).

    >>> encode_key(b"user:1")
    (b'user:1', False)
    >>> encode_key(b"a b")
    (b'YSBi', True)

    Raises:
        TypeError: `key` is not bytes-like.
    """
    if not isinstance(key, bytes | bytearray | memoryview):
        raise TypeError(f"key must be bytes, not {type(key).__name__}")
    key = bytes(key)
    if TEXT_KEY.fullmatch(key):
        return key, False
    if 0 < len(key) <= MAX_BINARY_KEY_LEN and not key.startswith(HASHED_KEY_PREFIX):
        return base64.b64encode(key), True
    return base64.b64encode(HASHED_KEY_PREFIX + hashlib.sha256(key).digest()), True


def decode_key(token: bytes, is_base64: bool) -> bytes:
    """The stored key from a `k` token (base64 when the reply carries `b`).

    Hashed keys come back as their stored form, HASHED_KEY_PREFIX + digest.
    """
    if not is_base64:
        return bytes(token)
    try:
        return base64.b64decode(token, validate=True)
    except ValueError as exc:
        raise ProtocolError(f"bad base64 key {bytes(token)[:40]!r}") from exc


# ------------------------------------------------------------------------------ requests


def _check_int(name: str, value: int, low: int, high: int) -> bytes:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return b"%d" % value


def _ttl(value: int, name: str = "ttl") -> bytes:
    return _check_int(name, value, -(2**31), 2**31 - 1)


def _common(key: BytesLike, opaque: bytes | int | None) -> tuple[bytes, list[bytes]]:
    token, is_b64 = encode_key(key)
    flags = [b"b"] if is_b64 else []
    if opaque is not None:
        if isinstance(opaque, int) and not isinstance(opaque, bool):
            raw = _check_int("opaque", opaque, 0, 10**32 - 1)
        elif isinstance(opaque, bytes) and _OPAQUE.fullmatch(opaque):
            raw = opaque
        else:
            raise ValueError("opaque must be 1..32 printable ASCII bytes or an int")
        flags.append(b"O" + raw)
    return token, flags


def _line(cmd: bytes, token: bytes, flags: list[bytes], quiet: bool) -> bytes:
    if quiet:
        flags.append(b"q")
    return b" ".join([cmd, token, *flags]) + b"\r\n"


def mg(
    key: BytesLike,
    *,
    value: bool = True,
    ttl: bool = False,
    cas: bool = False,
    flags: bool = False,
    return_key: bool = False,
    touch: int | None = None,
    opaque: bytes | int | None = None,
    quiet: bool = False,
) -> bytes:
    """Meta get: VA with the value (or HD without `value`) on a hit, EN on a miss.

    `ttl`, `cas`, `flags`, `return_key` ask for the t, c, f, k flags; `touch` sets a new TTL
    (T) on a hit; `quiet` suppresses EN.

    >>> mg(b"k", ttl=True)
    b'mg k v t\\r\\n'
    """
    token, fl = _common(key, opaque)
    wanted = (value, ttl, flags, cas, return_key)
    fl += [bytes([f]) for f, on in zip(b"vtfck", wanted, strict=True) if on]
    if touch is not None:
        fl.append(b"T" + _ttl(touch, "touch"))
    return _line(b"mg", token, fl, quiet)


def touch(
    key: BytesLike, ttl: int, *, opaque: bytes | int | None = None, quiet: bool = False
) -> bytes:
    """Set a key's TTL without reading it (``mg <key> T<ttl>``): HD on a hit, EN on a miss."""
    return mg(key, value=False, touch=ttl, opaque=opaque, quiet=quiet)


_MS_MODES: Final = {
    name: letter
    for names, letter in (("S set", b"S"), ("E add", b"E"), ("A append", b"A"),
                          ("P prepend", b"P"), ("R replace", b"R"))
    for name in names.split()
}  # fmt: skip


def ms(
    key: BytesLike,
    value: BytesLike,
    *,
    ttl: int | None = None,
    mode: str | None = None,
    client_flags: int | None = None,
    cas: int | None = None,
    invalidate: bool = False,
    return_cas: bool = False,
    opaque: bytes | int | None = None,
    quiet: bool = False,
) -> bytes:
    """Meta set: HD stored, NS not stored (add/replace condition), EX/NF on a CAS mismatch.

    `mode` is "S"/"set" (default), "E"/"add", "R"/"replace", "A"/"append" or
    "P"/"prepend"; `ttl` 0 means no expiry; `cas` stores only if the item's CAS matches.

    >>> ms(b"k", b"abc", ttl=10, mode="add")
    b'ms k 3 T10 ME\\r\\nabc\\r\\n'
    """
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"value must be bytes, not {type(value).__name__}")
    data = bytes(value)
    token, fl = _common(key, opaque)
    if ttl is not None:
        fl.append(b"T" + _ttl(ttl))
    if mode is not None:
        if mode not in _MS_MODES:
            raise ValueError(f"unknown ms mode {mode!r}")
        fl.append(b"M" + _MS_MODES[mode])
    if client_flags is not None:
        fl.append(b"F" + _check_int("client_flags", client_flags, 0, 2**32 - 1))
    if cas is not None:
        fl.append(b"C" + _check_int("cas", cas, 0, 2**64 - 1))
    if invalidate:
        fl.append(b"I")
    if return_cas:
        fl.append(b"c")
    return _line(b"ms", b"%s %d" % (token, len(data)), fl, quiet) + data + b"\r\n"


def md(
    key: BytesLike,
    *,
    cas: int | None = None,
    invalidate: bool = False,
    ttl: int | None = None,
    opaque: bytes | int | None = None,
    quiet: bool = False,
) -> bytes:
    """Meta delete: HD deleted, NF missing, EX on a CAS mismatch.

    `invalidate` marks the item stale instead of removing it; `ttl` applies only with it.
    """
    token, fl = _common(key, opaque)
    if cas is not None:
        fl.append(b"C" + _check_int("cas", cas, 0, 2**64 - 1))
    if invalidate:
        fl.append(b"I")
    if ttl is not None:
        if not invalidate:
            raise ValueError("md: ttl is only valid with invalidate=True")
        fl.append(b"T" + _ttl(ttl))
    return _line(b"md", token, fl, quiet)


def ma(
    key: BytesLike,
    *,
    delta: int = 1,
    mode: Literal["incr", "decr"] = "incr",
    initial: int | None = None,
    vivify_ttl: int = 0,
    ttl: int | None = None,
    value: bool = True,
    opaque: bytes | int | None = None,
    quiet: bool = False,
) -> bytes:
    """Meta arithmetic on an unsigned 64-bit counter: VA with the new value (HD without
    `value`), NF on a miss, CLIENT_ERROR when the stored value is not a number.

    With `initial`, a miss creates the item holding `initial` (delta *not* applied) with
    expiry `vivify_ttl` (0: none).  Decrementing stops at 0; incrementing wraps at 2**64.
    `ttl` sets a new TTL on success.

    >>> ma(b"hits", delta=2, initial=0)
    b'ma hits v D2 N0 J0\\r\\n'
    """
    token, fl = _common(key, opaque)
    if value:
        fl.append(b"v")
    fl.append(b"D" + _check_int("delta", delta, 0, 2**64 - 1))
    if mode == "decr":
        fl.append(b"MD")
    elif mode != "incr":
        raise ValueError(f"ma mode must be 'incr' or 'decr', not {mode!r}")
    if initial is not None:
        fl.append(b"N" + _ttl(vivify_ttl, "vivify_ttl"))
        fl.append(b"J" + _check_int("initial", initial, 0, 2**64 - 1))
    if ttl is not None:
        fl.append(b"T" + _ttl(ttl))
    return _line(b"ma", token, fl, quiet)


def me(key: BytesLike) -> bytes:
    """Meta debug: ME with the item's metadata, or EN on a miss."""
    token, fl = _common(key, None)
    return _line(b"me", token, fl, False)


def mn() -> bytes:
    """Meta no-op: the server answers MN once every earlier request has been answered."""
    return b"mn\r\n"


def version() -> bytes:
    """Ask the server's version: the reply is a `Version`."""
    return b"version\r\n"


# ---------------------------------------------------------------------------------- TTLs


def wire_ttl(seconds: int, *, now: float) -> int:
    """The exptime memcached needs for a Redis-style "expire in `seconds`" at Unix time `now`.

    Zero or less expires at once (-1); up to 30 days is sent relative; beyond, memcached
    reads the number as a Unix time, so it becomes ``int(now) + seconds``, capped at the
    largest time the wire carries (2**31 - 1, in 2038).
    """
    if seconds <= 0:
        return -1
    if seconds <= MAX_RELATIVE_TTL:
        return seconds
    return min(int(now) + seconds, 2**31 - 1)


def redis_ttl(reply: Reply) -> int:
    """Redis's TTL convention from an `mg ... t` reply: seconds left, -1 none, -2 no key.

    Raises:
        ValueError: the reply is a hit that carries no `t` flag.
    """
    if reply.status == b"EN":
        return -2
    ttl = reply.int_flag("t")
    if ttl is None:
        raise ValueError(f"reply {reply.status!r} has no t flag")
    return -1 if ttl < 0 else ttl


