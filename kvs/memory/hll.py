"""HyperLogLog commands of the in-process store: Redis's own algorithm, byte for byte.

Theory of operation: a HyperLogLog is a plain string value laid out exactly as Redis lays it
out, so GET returns what redis-server would return and a value copied either way with
GET/SET keeps working.  The 16-byte header is ``HYLL``, an encoding byte (0 dense, 1 sparse),
three zero bytes and the cached cardinality (64 bits, little endian), whose top bit set
means "stale".  PFADD and PFMERGE set that bit; PFCOUNT of one key recomputes and stores the
cardinality when the bit is set, and returns the cached value otherwise.

An element picks a register and a run length from MurmurHash64A (seed ``0xadc83b19``): the
low 14 bits of the hash index one of 16,384 registers, and the position of the lowest set bit
of the remaining 50 (plus one) is the run; a register keeps the longest run seen.

- Dense: 16,384 six-bit registers packed little-endian, 12,288 bytes after the header.
- Sparse: run-length opcodes after the header: ZERO ``00xxxxxx`` (1-64 zero registers),
  XZERO ``01xxxxxx yyyyyyyy`` (1-16,384 zero registers), VAL ``1vvvvvxx`` (1-4 registers of
  value 1-32).  A new key starts sparse (one XZERO per 16,384 registers); a value above 32,
  or an update that would make the string longer than ``hll-sparse-max-bytes`` (3,000),
  converts it to dense, as Redis does.  Updates split and re-merge opcodes exactly as
  ``hllSparseSet`` does, so the bytes stay identical to Redis's.

The estimate is the one Redis 7.0 computes (Ertl's improved estimator over the register
histogram, with its ``sigma`` and ``tau`` series), in the same double-precision steps.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from kvs.memory.hllencoding import (
    _ALPHA_INF,
    _DENSE_SIZE,
    _EMPTY,
    _HDR,
    _INVALID,
    _NOT_HLL,
    _Q,
    _REGISTERS,
    _dense_histogram,
    _dense_registers,
    _dense_set,
    _pattern,
    _sparse_histogram,
    _sparse_runs,
    _sparse_set,
    _sparse_to_dense,
    murmurhash64a,
)
from kvs.memory.keyspace import WRONGTYPE, CommandError, Keyspace

__all__ = ["HllCommands", "murmurhash64a"]

# -- the estimate -----------------------------------------------------------------------------


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if previous == z:
            return z


def _tau(x: float) -> float:
    if x in (0.0, 1.0):
        return 0.0
    y, z = 1.0, 1 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        z -= math.pow(1 - x, 2) * y
        if previous == z:
            return z / 3


def _estimate(hist: list[int]) -> int:
    m = float(_REGISTERS)
    z = m * _tau((m - hist[_Q + 1]) / m)
    for j in range(_Q, 0, -1):
        z += hist[j]
        z *= 0.5
    z += m * _sigma(hist[0] / m)
    e = _ALPHA_INF * m * m / z
    whole = math.floor(e)
    return int(whole) + (1 if e - whole >= 0.5 else 0)  # llroundl: halves away from zero


class HllCommands(Keyspace):
    """PFADD, PFCOUNT and PFMERGE over HyperLogLog strings."""

    def _get_hll(self, key: bytes) -> bytes | None:
        value = self._lookup(key)
        if value is None:
            return None
        if type(value) is not bytes:
            raise CommandError(WRONGTYPE)
        if (
            len(value) < _HDR
            or value[:4] != b"HYLL"
            or value[4] > 1
            or (value[4] == 0 and len(value) != _DENSE_SIZE)
        ):
            raise CommandError(_NOT_HLL)
        return value

    def _cmd_pfadd(self, argv: Sequence[bytes]) -> Any:
        key = argv[1]
        value = self._get_hll(key)
        updated = value is None
        buf = bytearray(_EMPTY if value is None else value)
        for element in argv[2:]:
            reg, count = _pattern(element)
            if buf[4] == 0:
                changed = _dense_set(buf, reg, count)
            else:
                result, buf = _sparse_set(buf, reg, count)
                if result < 0:
                    self._data[key] = bytes(buf)
                    raise CommandError(_INVALID)
                changed = result == 1
            updated = updated or changed
        if updated:
            buf[15] |= 0x80
            self._data[key] = bytes(buf)  # in place: the TTL stays
        return int(updated)

    def _registers(self, value: bytes, into: list[int]) -> bool:
        """Raise ``into`` to the registers of ``value``; False if the value is corrupt."""
        if value[4] == 0:
            regs = _dense_registers(value)
        else:
            runs = _sparse_runs(value)
            if runs is None:
                return False
            regs = []
            for run, v in runs:
                regs += [v] * run
        into[:] = map(max, into, regs)
        return True

    def _cmd_pfcount(self, argv: Sequence[bytes]) -> Any:
        if len(argv) > 2:
            merged = [0] * _REGISTERS
            for key in argv[1:]:
                value = self._get_hll(key)
                if value is not None and not self._registers(value, merged):
                    raise CommandError(_INVALID)
            counts = [0] * 64
            for v, n in Counter(merged).items():
                counts[v] += n
            return _estimate(counts)
        key = argv[1]
        value = self._get_hll(key)
        if value is None:
            return 0
        if not value[15] & 0x80:
            return int.from_bytes(value[8:16], "little")
        hist = _dense_histogram(value) if value[4] == 0 else _sparse_histogram(value)
        if hist is None:
            raise CommandError(_INVALID)
        card = _estimate(hist)
        self._data[key] = value[:8] + card.to_bytes(8, "little") + value[16:]
        return card

    def _cmd_pfmerge(self, argv: Sequence[bytes]) -> Any:
        merged = [0] * _REGISTERS
        dense = False
        for key in argv[1:]:
            value = self._get_hll(key)
            if value is None:
                continue
            dense = dense or value[4] == 0
            if not self._registers(value, merged):
                raise CommandError(_INVALID)
        key = argv[1]
        current = self._get_hll(key)
        buf = bytearray(_EMPTY if current is None else current)
        if dense and buf[4] == 1:
            promoted = _sparse_to_dense(buf)
            if promoted is None:
                raise CommandError(_INVALID)
            buf = promoted
        for reg, count in enumerate(merged):
            if count:
                if buf[4] == 0:
                    _dense_set(buf, reg, count)
                else:
                    _, buf = _sparse_set(buf, reg, count)
        buf[15] |= 0x80
        self._data[key] = bytes(buf)
        return "OK"
