"""Operations on hashes: HSET (one field or a mapping), HGET, HMGET, HGETALL, HDEL, the
counters, HRANDFIELD and HSCAN."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from ._args import float_arg, integer_arg, key_bytes, key_list, value_bytes
from ._call import Call, Read, operation, variant
from ._decode import (
    data_dict,
    data_dict_page,
    data_list,
    data_or_none,
    data_pairs,
    integer,
    one_is_true,
    score,
)
from .keys import cursor_arg, scan_options
from .types import Key, Keys, Value, ValueMapping

__all__ = [
    "hdel", "hexists", "hget", "hgetall", "hincrby", "hincrbyfloat", "hkeys", "hlen", "hmget",
    "hrandfield", "hscan", "hset", "hsetnx", "hvals",
]


@operation
def hset(key: Key, field: Key | None = None, value: Value | None = None, *,
         mapping: ValueMapping | None = None) -> Call[int]:
    """Set one hash field (`field`, `value`) and/or every field of `mapping`.

    Returns:
        For one field, True when it is new and False when it was updated; with `mapping`,
        the number of new fields.
    """
    argv = [b"HSET", key_bytes("hset", key)]
    if field is not None or value is not None:
        if field is None or value is None:
            raise TypeError("hset: give field and value together")
        argv += (key_bytes("hset", field, "field"), value_bytes("hset", value))
    if mapping is not None:
        if not isinstance(mapping, Mapping):
            raise TypeError(f"hset: mapping must be a mapping, not {type(mapping).__name__}")
        for k, v in mapping.items():
            argv += (key_bytes("hset", k, "field"), value_bytes("hset", v))
    if len(argv) == 2:
        raise ValueError("hset: give a field and a value, or a non-empty mapping")
    return Call(tuple(argv), one_is_true if mapping is None else integer, False)


@operation
def hget(key: Key, field: Key) -> Call[Read | None]:
    """Return a hash field, or None."""
    return Call((b"HGET", key_bytes("hget", key), key_bytes("hget", field, "field")),
                data_or_none, True)


@operation
def hgetall(key: Key) -> Call[dict[Read, Read]]:
    """Return the whole hash as a dict ({} when missing)."""
    return Call((b"HGETALL", key_bytes("hgetall", key)), data_dict, True)


@operation
def hdel(key: Key, *fields: Key) -> Call[int]:
    """Delete `fields` from the hash; return how many existed."""
    if not fields:
        raise TypeError("hdel: at least one field is required")
    return Call((b"HDEL", key_bytes("hdel", key), *(key_bytes("hdel", f, "field")
                                                   for f in fields)), integer, False)


@operation
def hexists(key: Key, field: Key) -> Call[bool]:
    """Whether the hash has `field`."""
    return Call((b"HEXISTS", key_bytes("hexists", key), key_bytes("hexists", field, "field")),
                one_is_true, True)


@operation
def hlen(key: Key) -> Call[int]:
    """The number of fields of the hash (0 when missing)."""
    return Call((b"HLEN", key_bytes("hlen", key)), integer, True)


@operation
def hkeys(key: Key) -> Call[list[Read]]:
    """The fields of the hash."""
    return Call((b"HKEYS", key_bytes("hkeys", key)), data_list, True)


@operation
def hvals(key: Key) -> Call[list[Read]]:
    """The values of the hash."""
    return Call((b"HVALS", key_bytes("hvals", key)), data_list, True)


@operation
def hmget(key: Key, fields: Keys) -> Call[list[Read | None]]:
    """The values of `fields`, aligned with them, None where missing."""
    names = key_list("hmget", fields, "fields")
    if not names:
        raise ValueError("hmget: at least one field is required")
    return Call((b"HMGET", key_bytes("hmget", key), *names), data_list, True)


@operation
def hincrby(key: Key, field: Key, amount: int = 1) -> Call[int]:
    """Add `amount` to the integer in `field` (a missing one starts at 0); return it."""
    step = integer_arg("hincrby", amount, "amount")
    return Call((b"HINCRBY", key_bytes("hincrby", key), key_bytes("hincrby", field, "field"),
                 b"%d" % step), integer, False)


@operation
def hincrbyfloat(key: Key, field: Key, amount: float = 1.0) -> Call[float]:
    """Add `amount` to the number in `field` (a missing one starts at 0); return it."""
    return Call((b"HINCRBYFLOAT", key_bytes("hincrbyfloat", key),
                 key_bytes("hincrbyfloat", field, "field"),
                 float_arg("hincrbyfloat", amount, "amount")), score, False)


@operation
def hsetnx(key: Key, field: Key, value: Value) -> Call[bool]:
    """Set `field` only if it does not exist; True when set."""
    return Call((b"HSETNX", key_bytes("hsetnx", key), key_bytes("hsetnx", field, "field"),
                 value_bytes("hsetnx", value)), one_is_true, False)


@variant("hrandfield")
def _hrandfield_1(key: Key, count: None = None,
               withvalues: Literal[False] = False) -> Call[Read | None]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("hrandfield")
def _hrandfield_2(key: Key, count: int,
               withvalues: Literal[False] = False) -> Call[list[Read]]:
    raise NotImplementedError  # a signature only: see `variant`
@variant("hrandfield")
def _hrandfield_3(key: Key, count: int,
               withvalues: Literal[True]) -> Call[list[tuple[Read, Read]]]:
    raise NotImplementedError  # a signature only: see `variant`
@operation
def hrandfield(key: Key, count: int | None = None, withvalues: bool = False
               ) -> Call[Read | list[Read] | list[tuple[Read, Read]] | None]:
    """Random fields of the hash: without `count`, one field (None when missing); with it,
    a list of up to `count` distinct fields (a negative count allows repeats and gives
    exactly ``-count``); with `withvalues`, ``(field, value)`` tuples."""
    argv = [b"HRANDFIELD", key_bytes("hrandfield", key)]
    if count is None:
        if withvalues:
            raise ValueError("hrandfield: withvalues needs a count")
        return Call(tuple(argv), data_or_none, True)
    argv.append(b"%d" % integer_arg("hrandfield", count, "count"))
    if withvalues:
        argv.append(b"WITHVALUES")
        return Call(tuple(argv), data_pairs, True)
    return Call(tuple(argv), data_list, True)


@operation
def hscan(key: Key, cursor: int = 0, *, match: Key | None = None,
          count: int | None = None) -> Call[tuple[int, dict[Read, Read]]]:
    """One page of HSCAN: the next cursor (0 when done) and some fields with their values.
    `hscan_iter` runs the whole scan."""
    argv = [b"HSCAN", key_bytes("hscan", key), cursor_arg("hscan", cursor)]
    scan_options("hscan", argv, match, count)
    return Call(tuple(argv), data_dict_page, True)
