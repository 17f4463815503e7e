"""Redis's number parsing and formatting, reproduced exactly.

Theory of operation: integers follow Redis's ``string2ll``: an optional ``-``, then ``0`` alone
or a digit 1-9 followed by digits, at most 20 bytes, within the signed 64-bit range; no ``+``,
no spaces, no leading zeros, no ``-0``.

INCRBYFLOAT computes in C ``long double``, which on x86-64 is the 80-bit extended format
(64-bit significand), parses with ``strtold`` and prints with ``%.17Lf`` before trimming
trailing zeros.  Python floats are 64-bit, so they would print ``10.5 + 0.1`` as
``10.59999999999999964`` where Redis prints ``10.6``.  The arithmetic is therefore done on
exact fractions, rounded to the extended format after every operation, which gives the same
digits as Redis, bit for bit.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

__all__ = [
    "LongDouble",
    "format_long_double",
    "parse_double",
    "parse_double_prefix",
    "parse_int",
    "parse_long_double",
    "round_ld",
]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_INT_RE = re.compile(rb"-?[1-9][0-9]*|0")

# A long double is an exact Fraction, or a float that is +inf or -inf.
LongDouble = Fraction | float

_LD_MANTISSA_BITS = 64
_LD_MIN_EXP = -16445  # the quantum of the smallest subnormal: 2**-16445
_LD_OVERFLOW = Fraction(2) ** 16384
_MAX_LD_CHARS = 5 * 1024

_DEC_RE = re.compile(
    rb"([+-]?)(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?"
)
_HEX_RE = re.compile(
    rb"([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?"
)
_INF_RE = re.compile(rb"([+-]?)(?:inf|infinity)", re.IGNORECASE)
_SPACE = b" \t\n\v\f\r"


def parse_int(data: bytes) -> int | None:
    """Parse ``data`` as Redis's ``string2ll`` does; None when it is not a valid integer."""
    if len(data) > 20 or _INT_RE.fullmatch(data) is None:
        return None
    value = int(data)
    if INT64_MIN <= value <= INT64_MAX:
        return value
    return None


def round_ld(value: Fraction) -> LongDouble:
    """Round an exact value to the nearest x87 extended-precision value (ties to even)."""
    if value == 0:
        return Fraction(0)
    num, den = abs(value.numerator), value.denominator
    exp = num.bit_length() - den.bit_length()
    below = num < (den << exp) if exp >= 0 else (num << -exp) < den
    if below:
        exp -= 1  # now 2**exp <= |value| < 2**(exp + 1)
    quantum = max(exp - (_LD_MANTISSA_BITS - 1), _LD_MIN_EXP)
    if quantum >= 0:
        scaled_num, scaled_den = num, den << quantum
    else:
        scaled_num, scaled_den = num << -quantum, den
    mantissa, rest = divmod(scaled_num, scaled_den)
    if 2 * rest > scaled_den or (2 * rest == scaled_den and mantissa & 1):
        mantissa += 1
    result = Fraction(mantissa) * Fraction(2) ** quantum
    if result >= _LD_OVERFLOW:
        return math.inf if value > 0 else -math.inf
    return result if value > 0 else -result


def _decimal_value(
    sign: bytes, digits: bytes, fraction: bytes, exponent: int
) -> LongDouble | None:
    mantissa = int(digits + fraction or b"0")
    if mantissa == 0:
        return Fraction(0)
    exponent -= len(fraction)
    magnitude = len(str(mantissa)) + exponent  # 10**(magnitude-1) <= |value| < 10**magnitude
    if magnitude > 4940:
        return math.inf
    if magnitude < -4960:
        return None
    exact = Fraction(mantissa) * Fraction(10) ** exponent
    return _nonzero(round_ld(-exact if sign == b"-" else exact))


def _hex_value(sign: bytes, digits: bytes, fraction: bytes, exponent: int) -> LongDouble | None:
    mantissa = int(digits + fraction or b"0", 16)
    if mantissa == 0:
        return Fraction(0)
    exponent -= 4 * len(fraction)
    magnitude = mantissa.bit_length() + exponent
    if magnitude > 16400:
        return math.inf
    if magnitude < -16500:
        return None
    exact = Fraction(mantissa) * Fraction(2) ** exponent
    return _nonzero(round_ld(-exact if sign == b"-" else exact))


def _nonzero(value: LongDouble) -> LongDouble | None:
    # A non-zero input that rounds to zero is an underflow, which strtold reports as ERANGE.
    return None if value == 0 else value


def parse_long_double(data: bytes) -> LongDouble | None:
    """Parse ``data`` as Redis's ``string2ld`` does (``strtold`` plus its checks).

    Returns the value, or None when Redis would say "value is not a valid float": empty or too
    long input, a leading space, trailing bytes (a NUL byte included), NaN, or a value that
    overflows or underflows to zero.
    """
    if not data or len(data) >= _MAX_LD_CHARS or b"\0" in data:
        return None
    text = data
    if m := _DEC_RE.fullmatch(text):
        sign, digits, fraction, only_fraction, exp = m.groups()
        digits = digits or b""
        fraction = fraction or only_fraction or b""
        exponent = int(exp) if exp else 0
        # Huge exponents are clamped first: 1e999999999 must not build a 10**999999999.
        exponent = max(min(exponent, 100_000), -100_000)
        value = _decimal_value(sign, digits, fraction, exponent)
    elif m := _HEX_RE.fullmatch(text):
        sign, digits, fraction, only_fraction, exp = m.groups()
        exponent = int(exp) if exp else 0
        exponent = max(min(exponent, 100_000), -100_000)
        value = _hex_value(sign, digits or b"", fraction or only_fraction or b"", exponent)
    elif m := _INF_RE.fullmatch(text):
        return -math.inf if m.group(1) == b"-" else math.inf
    else:
        return None  # not a number, or NaN
    if isinstance(value, float):
        return None  # overflow: strtold returned HUGE_VALL with ERANGE
    return value


def format_long_double(value: Fraction) -> bytes:
    """Format a finite value as Redis's ``ld2string`` in human mode: ``%.17Lf``, trimmed."""
    scaled = value * 10**17
    num, den = abs(scaled.numerator), scaled.denominator
    whole, rest = divmod(num, den)
    if 2 * rest > den or (2 * rest == den and whole & 1):
        whole += 1
    digits = str(whole).rjust(18, "0")
    text = digits[:-17] + "." + digits[-17:]
    text = text.rstrip("0").rstrip(".")
    if value < 0 and text != "0":
        text = "-" + text
    return text.encode()


def _strtod(text: bytes) -> tuple[float, bool] | None:
    """C's ``strtod`` on the whole of ``text``: (value, out of range), or None.

    None when ``text`` is not one number from its first byte to its last, or is NaN.  The
    flag is ``strtod``'s ERANGE: the value overflowed to an infinity or underflowed to 0.
    Python's ``float`` rounds decimal text correctly, as glibc does, so the values agree.
    """
    if m := _DEC_RE.fullmatch(text):
        value = float(text)
        digits = (m.group(2) or b"") + (m.group(3) or m.group(4) or b"")
        if value == 0:
            return value, digits.strip(b"0") != b""
        return value, math.isinf(value)
    if m := _HEX_RE.fullmatch(text):
        sign, digits, fraction, only_fraction, exp = m.groups()
        mantissa = (digits or b"") + (fraction or only_fraction or b"")
        exponent = int(exp) if exp else 0
        exponent = max(min(exponent, 100_000), -100_000) - 4 * len(fraction or only_fraction or b"")
        try:
            value = float.fromhex(f"{'-' if sign == b'-' else ''}0x{mantissa.decode()}p{exponent}")
        except OverflowError:
            return (-math.inf if sign == b"-" else math.inf), True
        return value, value == 0 and mantissa.strip(b"0") != b""
    if m := _INF_RE.fullmatch(text):
        return (-math.inf if m.group(1) == b"-" else math.inf), False
    return None


def parse_double(data: bytes) -> float | None:
    """Parse ``data`` as Redis's ``string2d`` does (scores, increments and weights).

    None when Redis would say "value is not a valid float": empty input, a leading space,
    anything after the number (a NUL byte included), NaN, or a value out of range
    (overflow, or a non-zero number that underflows to 0).  ``inf`` itself is accepted.
    """
    if not data or data[0] in _SPACE:
        return None
    parsed = _strtod(data)
    if parsed is None or parsed[1]:
        return None
    return parsed[0]


def parse_double_prefix(data: bytes) -> float | None:
    """Parse ``data`` as a score-range bound of ZRANGEBYSCORE: ``strtod`` on a C string.

    Redis calls ``strtod`` and requires it to stop at the end of the C string, so leading
    spaces are skipped, anything after a NUL byte is ignored, out-of-range values become
    infinities or 0, and text with no number at all (``""``) reads as 0.  None for NaN and
    for anything else.
    """
    text = data.split(b"\0", 1)[0]
    if not text:
        return 0.0
    rest = text.lstrip(_SPACE)
    parsed = _strtod(rest) if rest else None
    return None if parsed is None else parsed[0]
