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
import struct
from collections import Counter
from collections.abc import Sequence
from typing import Any

from kvs.memory.keyspace import WRONGTYPE, CommandError, Keyspace

__all__ = ["HllCommands", "murmurhash64a"]

_M64 = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_SEED = 0xADC83B19
_P = 14
_Q = 64 - _P
_REGISTERS = 1 << _P
_HDR = 16
_DENSE_SIZE = _HDR + _REGISTERS * 6 // 8
_SPARSE_MAX_BYTES = 3000
_ALPHA_INF = 0.721347520444481703680
_NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
_INVALID = "INVALIDOBJ Corrupted HLL object detected"
# A new HyperLogLog: sparse, every register zero (one XZERO opcode of 16,384).
_EMPTY = b"HYLL\x01\x00\x00\x00" + bytes(8) + bytes(((0x40 | 0x3F), 0xFF))


def murmurhash64a(data: bytes, seed: int = _SEED) -> int:
    """MurmurHash64A as Redis computes it (little-endian 8-byte blocks)."""
    length = len(data)
    h = (seed ^ (length * _MUL)) & _M64
    stop = length - (length & 7)
    for (block,) in struct.iter_unpack("<Q", data[:stop]):
        k = (block * _MUL) & _M64
        k ^= k >> 47
        h ^= (k * _MUL) & _M64
        h = (h * _MUL) & _M64
    if length & 7:
        h ^= int.from_bytes(data[stop:], "little")
        h = (h * _MUL) & _M64
    h ^= h >> 47
    h = (h * _MUL) & _M64
    return h ^ (h >> 47)


def _pattern(element: bytes) -> tuple[int, int]:
    """The register an element falls in and its run length (1 to 51)."""
    h = murmurhash64a(element)
    rest = (h >> _P) | (1 << _Q)
    return h & (_REGISTERS - 1), (rest & -rest).bit_length()


# -- dense ------------------------------------------------------------------------------------


def _dense_set(buf: bytearray, reg: int, count: int) -> bool:
    """Raise register ``reg`` to ``count`` if it is lower; True if it changed."""
    bit = reg * 6
    at = _HDR + (bit >> 3)
    shift = bit & 7
    if shift <= 2:  # the register lies within one byte
        byte = buf[at]
        if count <= (byte >> shift) & 63:
            return False
        buf[at] = (byte & ~(63 << shift) & 0xFF) | (count << shift)
        return True
    word = buf[at] | (buf[at + 1] << 8)
    if count <= (word >> shift) & 63:
        return False
    word = (word & ~(63 << shift)) | (count << shift)
    buf[at] = word & 0xFF
    buf[at + 1] = word >> 8
    return True


def _dense_registers(buf: bytes | bytearray) -> list[int]:
    regs: list[int] = []
    body = bytes(buf[_HDR:_DENSE_SIZE])
    for i in range(0, len(body), 3):
        v = body[i] | (body[i + 1] << 8) | (body[i + 2] << 16)
        regs += (v & 63, (v >> 6) & 63, (v >> 12) & 63, v >> 18)
    return regs


def _dense_histogram(buf: bytes | bytearray) -> list[int]:
    hist = [0] * 64
    body = bytes(buf[_HDR:_DENSE_SIZE])
    for group, n in Counter(body[i : i + 3] for i in range(0, len(body), 3)).items():
        v = group[0] | (group[1] << 8) | (group[2] << 16)
        hist[v & 63] += n
        hist[(v >> 6) & 63] += n
        hist[(v >> 12) & 63] += n
        hist[v >> 18] += n
    return hist


# -- sparse -----------------------------------------------------------------------------------


def _sparse_runs(buf: bytes | bytearray) -> list[tuple[int, int]] | None:
    """The sparse opcodes as (length, value) runs; None if they do not cover 16,384."""
    runs: list[tuple[int, int]] = []
    p, end, total = _HDR, len(buf), 0
    while p < end:
        op = buf[p]
        if op & 0x80:
            run, value = (op & 3) + 1, ((op >> 2) & 0x1F) + 1
            if run + total > _REGISTERS:
                return None
            p += 1
        elif op & 0x40:
            run, value = (((op & 0x3F) << 8) | (buf[p + 1] if p + 1 < end else 0)) + 1, 0
            p += 2
        else:
            run, value = (op & 0x3F) + 1, 0
            p += 1
        total += run
        runs.append((run, value))
    return runs if total == _REGISTERS else None


def _sparse_to_dense(buf: bytes | bytearray) -> bytearray | None:
    runs = _sparse_runs(buf)
    if runs is None:
        return None
    dense = bytearray(_DENSE_SIZE)
    dense[:_HDR] = buf[:_HDR]
    dense[4] = 0
    reg = 0
    for run, value in runs:
        if value:
            for r in range(reg, reg + run):
                _dense_set(dense, r, value)
        reg += run
    return dense


def _zero_op(length: int) -> bytes:
    if length > 64:
        length -= 1
        return bytes((0x40 | (length >> 8), length & 0xFF))
    return bytes((length - 1,))


def _val_op(value: int, length: int) -> int:
    return 0x80 | ((value - 1) << 2) | (length - 1)


def _sparse_set(buf: bytearray, reg: int, count: int) -> tuple[int, bytearray]:
    """Redis's ``hllSparseSet``: (1 changed, 0 unchanged or -1 corrupt, the buffer).

    The buffer returned is ``buf`` changed in place, or a new dense one after a promotion.
    """
    if count > 32:
        return _promote(buf, reg, count)
    p, end, first, prev, span = _HDR, len(buf), 0, -1, 0
    while p < end:
        op, oplen = buf[p], 1
        if not op & 0xC0:
            span = (op & 0x3F) + 1
        elif op & 0x80:
            span = (op & 3) + 1
        else:
            span = (((op & 0x3F) << 8) | (buf[p + 1] if p + 1 < end else 0)) + 1
            oplen = 2
        if reg <= first + span - 1:
            break
        prev, p, first = p, p + oplen, first + span
    if span == 0 or p >= end:
        return -1, buf
    op = buf[p]
    if op & 0x80:
        current, runlen = ((op >> 2) & 0x1F) + 1, (op & 3) + 1
        if current >= count:
            return 0, buf
        if runlen == 1:
            buf[p] = _val_op(count, 1)
            return 1, _merge_after(buf, prev)
        oldlen = 1
        last = first + span - 1
        seq = bytearray()
        if reg != first:
            seq.append(_val_op(current, reg - first))
        seq.append(_val_op(count, 1))
        if reg != last:
            seq.append(_val_op(current, last - reg))
    else:
        xzero = bool(op & 0x40)
        if not xzero and span == 1:
            buf[p] = _val_op(count, 1)
            return 1, _merge_after(buf, prev)
        oldlen = 2 if xzero else 1
        last = first + span - 1
        seq = bytearray()
        if reg != first:
            seq += _zero_op(reg - first)
        seq.append(_val_op(count, 1))
        if reg != last:
            seq += _zero_op(last - reg)
    delta = len(seq) - oldlen
    if delta > 0 and len(buf) + delta > _SPARSE_MAX_BYTES:
        return _promote(buf, reg, count)
    buf[p : p + oldlen] = seq
    return 1, _merge_after(buf, prev)


def _merge_after(buf: bytearray, prev: int) -> bytearray:
    """Merge adjacent VAL opcodes of equal value, looking at five opcodes from ``prev``."""
    p = prev if prev >= 0 else _HDR
    end, scan = len(buf), 5
    while p < end and scan:
        scan -= 1
        op = buf[p]
        if not op & 0x80:
            p += 2 if op & 0x40 else 1
            continue
        if p + 1 < end and buf[p + 1] & 0x80:
            nxt = buf[p + 1]
            if (op >> 2) & 0x1F == (nxt >> 2) & 0x1F:
                length = (op & 3) + (nxt & 3) + 2
                if length <= 4:
                    buf[p + 1] = _val_op(((op >> 2) & 0x1F) + 1, length)
                    del buf[p]
                    end -= 1
                    continue
        p += 1
    buf[15] |= 0x80
    return buf


def _promote(buf: bytearray, reg: int, count: int) -> tuple[int, bytearray]:
    dense = _sparse_to_dense(buf)
    if dense is None:
        return -1, buf
    _dense_set(dense, reg, count)
    return 1, dense


def _sparse_histogram(buf: bytes | bytearray) -> list[int] | None:
    runs = _sparse_runs(buf)
    if runs is None:
        return None
    hist = [0] * 64
    for run, value in runs:
        hist[value] += run
    return hist


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
