"""The bytes of a HyperLogLog as Redis 7.0 lays them out: the header, MurmurHash64A and the
register and run an element picks, the dense six-bit registers and the sparse run-length
opcodes (set, split and re-merged as ``hllSparseSet`` does, promoted to dense past 32 or
``hll-sparse-max-bytes``), and the register histogram of each.  `kvs.memory.hll` holds the
theory of operation and the commands.
"""

from __future__ import annotations

import struct
from collections import Counter

__all__ = ["murmurhash64a"]

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
