"""Encoders: commands (client to server) and replies (server to client).

``encode_command`` writes what a client sends: one RESP array of bulk
strings. ``encode_reply`` writes what a server sends, in RESP3 or in RESP2;
it is the inverse of :class:`resp.Parser` and serves mock servers, proxies
and round-trip tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from resp._types import Push, ReplyError, Verbatim

__all__ = ["encode_command", "encode_reply"]

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_LARGE: Final = 4096  # payloads at least this long are joined, not formatted
_FEW: Final = 6  # commands with at most this many arguments are built in place
# Bulk headers of the common short lengths, made once: formatting ``b"$%d\r\n"`` is the
# largest cost of encoding a command with many small arguments (MGET, MSET, SADD...).
_HEADERS: Final = tuple(b"$%d\r\n" % n for n in range(1024))


def _argument(arg: object) -> bytes:
    """Bytes of one command argument that is not plain bytes/str/int."""
    if isinstance(arg, (bytes, bytearray, memoryview)):
        return bytes(arg)
    if isinstance(arg, str):
        return arg.encode("utf-8")
    if isinstance(arg, int) and not isinstance(arg, bool):
        return b"%d" % arg
    if isinstance(arg, float):
        if math.isnan(arg):
            raise ValueError("a command argument cannot be NaN")
        return repr(float(arg)).encode("ascii")
    raise TypeError(
        f"a command argument must be bytes, str, int or float, not {type(arg).__name__}"
    )


def encode_command(*args: bytes | bytearray | memoryview | str | int | float) -> bytes:
    """Encode one command as a RESP array of bulk strings.

    Args:
        *args: the command name and its arguments: ``bytes``, ``bytearray``,
            ``memoryview`` (sent as is), ``str`` (UTF-8), ``int`` (decimal),
            ``float`` (shortest repr that round-trips, such as ``"0.1"`` or
            ``"1e+16"``; ``inf`` and ``-inf`` as ``"inf"`` and ``"-inf"``).

    Returns:
        The bytes to write to the server.

    Raises:
        TypeError: an argument of another type (``bool`` and ``None``
            included), naming the type.
        ValueError: a float NaN, which Redis would reject anyway.

    Example:
        >>> encode_command("SET", "k", 1)
        b'*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$1\\r\\n1\\r\\n'
    """
    arg: Any
    data: bytes
    if len(args) <= _FEW:
        # few small arguments: growing one bytes object beats a list and a join
        out = b"*%d\r\n" % len(args)
        for arg in args:
            kind = type(arg)
            if kind is str:
                data = arg.encode()
            elif kind is bytes:
                data = arg
            elif kind is int:
                data = b"%d" % arg
            else:
                data = _argument(arg)
            if len(data) >= _LARGE:
                return _encode_many(args)
            out += b"$%d\r\n%b\r\n" % (len(data), data)
        return out
    return _encode_many(args)


def _encode_many(args: tuple[Any, ...]) -> bytes:
    """encode_command for many or large arguments: one join, each payload copied once."""
    out = [b"*%d\r\n" % len(args)]
    headers = _HEADERS
    for arg in args:
        kind = type(arg)
        if kind is bytes:
            data = arg
        elif kind is str:
            data = arg.encode()
        elif kind is int:
            data = b"%d" % arg
        else:
            data = _argument(arg)
        size = len(data)
        out += (headers[size] if size < 1024 else b"$%d\r\n" % size, data, b"\r\n")
    return b"".join(out)


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


class _Encoder:
    """Writes one reply; ``protocol`` is 2 or 3."""

    __slots__ = ("out", "resp3")

    def __init__(self, protocol: int) -> None:
        self.resp3 = protocol == 3
        self.out: list[bytes] = []

    def bulk(self, data: bytes, kind: bytes = b"$") -> None:
        self.out.append(b"%b%d\r\n%b\r\n" % (kind, len(data), data))

    def value(self, value: Any) -> None:
        out = self.out
        resp3 = self.resp3
        if value is None:
            out.append(b"_\r\n" if resp3 else b"$-1\r\n")
        elif isinstance(value, bool):
            if resp3:
                out.append(b"#t\r\n" if value else b"#f\r\n")
            else:
                out.append(b":1\r\n" if value else b":0\r\n")
        elif isinstance(value, int):
            if _INT64_MIN <= value <= _INT64_MAX:
                out.append(b":%d\r\n" % value)
            elif resp3:
                out.append(b"(%d\r\n" % value)
            else:
                self.bulk(b"%d" % value)
        elif isinstance(value, float):
            text = _double(value)
            if resp3:
                out.append(b",%b\r\n" % text)
            else:
                self.bulk(text)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            self.bulk(bytes(value))
        elif isinstance(value, Verbatim):
            fmt = _text(value.format)
            if len(fmt) != 3:
                raise ValueError(f"a verbatim format has 3 bytes, not {value.format!r}")
            if resp3:
                self.bulk(fmt + b":" + _text(value), b"=")
            else:
                self.bulk(_text(value))
        elif isinstance(value, str):
            if "\r" in value or "\n" in value:
                raise ValueError("a simple string cannot hold CR or LF: send bytes instead")
            out.append(b"+%b\r\n" % _text(value))
        elif isinstance(value, ReplyError):
            text = _text(value.message)
            if b"\r" in text or b"\n" in text:
                if resp3:
                    self.bulk(text, b"!")
                    return
                text = text.replace(b"\r", b" ").replace(b"\n", b" ")
            out.append(b"-%b\r\n" % text)
        elif isinstance(value, Push):
            self.items(b">" if resp3 else b"*", value)
        elif isinstance(value, (list, tuple)):
            self.items(b"*", value)
        elif isinstance(value, Mapping):
            if resp3:
                out.append(b"%%%d\r\n" % len(value))
            else:
                out.append(b"*%d\r\n" % (2 * len(value)))
            for key, item in value.items():
                self.value(key)
                self.value(item)
        elif isinstance(value, (set, frozenset)):
            self.items(b"~" if resp3 else b"*", value)
        else:
            raise TypeError(f"cannot encode a reply of type {type(value).__name__}")

    def items(self, kind: bytes, values: Any) -> None:
        self.out.append(b"%b%d\r\n" % (kind, len(values)))
        for item in values:
            self.value(item)


def _double(value: float) -> bytes:
    if math.isnan(value):
        return b"nan"
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    return repr(value).encode("ascii")


def encode_reply(
    value: Any, protocol: int = 3, *, attributes: Mapping[Any, Any] | None = None
) -> bytes:
    """Encode a Python value as a server reply, the inverse of parsing.

    With ``protocol=3`` every type of the table in ``resp`` is written in
    its RESP3 form. With ``protocol=2`` only RESP2 types are written: null as
    ``$-1``, booleans as integers 1/0, doubles and big numbers as bulk
    strings, maps as flat arrays, sets and pushes as arrays, verbatim strings
    as bulk strings, and error text with CR/LF replaced by spaces.

    Args:
        value: ``None``, ``bool``, ``int``, ``float``, ``bytes``-like,
            ``str`` (a simple string: no CR/LF), :class:`Verbatim`,
            :class:`ReplyError`, ``list``/``tuple``, :class:`Push`, a
            mapping, ``set``/``frozenset``, nested freely.
        protocol: 3 (default) or 2.
        attributes: a map sent as a RESP3 attribute (``|``) before the
            reply; RESP3 only.

    Returns:
        The encoded reply.

    Raises:
        TypeError: a value of another type.
        ValueError: a ``str`` with CR or LF, a bad verbatim format, an
            unknown protocol, or attributes with ``protocol=2``.

    Example:
        >>> encode_reply({"a": 1})
        b'%1\\r\\n+a\\r\\n:1\\r\\n'
        >>> encode_reply({"a": 1}, protocol=2)
        b'*2\\r\\n+a\\r\\n:1\\r\\n'
    """
    if protocol not in (2, 3):
        raise ValueError(f"protocol must be 2 or 3, not {protocol!r}")
    encoder = _Encoder(protocol)
    if attributes is not None:
        if protocol != 3:
            raise ValueError("attributes exist only in RESP3")
        encoder.out.append(b"|%d\r\n" % len(attributes))
        for key, item in attributes.items():
            encoder.value(key)
            encoder.value(item)
    encoder.value(value)
    return b"".join(encoder.out)
