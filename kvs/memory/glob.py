"""Redis's glob matching (KEYS patterns), on bytes.

Theory of operation: Redis matches a pattern against a key byte by byte (``stringmatchlen``
in ``util.c``), and its quirks are part of what users can observe:

- ``*`` matches any run of bytes, ``?`` exactly one byte, ``\\x`` the byte ``x``.
- ``[...]`` is a set of bytes; ``^`` right after ``[`` negates it; ``a-z`` is a range, and a
  reversed range ``z-a`` means the same as ``a-z``. Bytes compare as C ``char`` (signed), so a
  range such as ``[a-\\xff]`` runs from ``\\xff`` (-1) to ``a``.  ``\\`` escapes a byte inside a
  set too.  A set with no closing ``]`` ends with the pattern; ``[`` alone never matches.
  A range may swallow the closing bracket (``[a-]`` is the range ``]``..``a``, unclosed).
- An empty key matches only the empty pattern (``KEYS *`` is special-cased by the caller).
- A pattern with a trailing backslash treats it as a literal backslash.

Every element of a pattern consumes exactly one byte of the key, except ``*``, and where an
element ends never depends on the key.  So a pattern is compiled once into a tuple of
elements, and matching is the classic star-backtracking loop, O(len(key) * len(pattern)) at
worst, with no recursion.
"""

from __future__ import annotations

import functools

__all__ = ["compile_pattern", "match"]

# An element is None for "*", or the frozenset of byte values it accepts.
_Element = frozenset[int] | None

_ANY: frozenset[int] = frozenset(range(256))


def _signed(byte: int) -> int:
    return byte - 256 if byte >= 128 else byte


def _parse_set(pattern: bytes, i: int) -> tuple[frozenset[int], int]:
    """Parse the set opening at ``pattern[i] == '['``; return it and the index after it."""
    n = len(pattern)
    i += 1
    negate = i < n and pattern[i] == 0x5E  # '^'
    if negate:
        i += 1
    accepted: set[int] = set()
    while True:
        if i >= n:
            break  # unclosed: the set runs to the end of the pattern
        ch = pattern[i]
        if ch == 0x5C and n - i >= 2:  # '\\' escapes the next byte
            i += 1
            accepted.add(pattern[i])
        elif ch == 0x5D:  # ']'
            i += 1
            break
        elif n - i >= 3 and pattern[i + 1] == 0x2D:  # 'x-y'
            low, high = _signed(ch), _signed(pattern[i + 2])
            if low > high:
                low, high = high, low
            accepted.update(b for b in range(256) if low <= _signed(b) <= high)
            i += 2
        else:
            accepted.add(ch)
        i += 1
    result = _ANY - accepted if negate else frozenset(accepted)
    return result, i


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: bytes) -> tuple[_Element, ...]:
    """Compile a glob pattern into its elements (cached)."""
    elements: list[_Element] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == 0x2A:  # '*'; a run of stars is one star
            if not elements or elements[-1] is not None:
                elements.append(None)
            i += 1
        elif ch == 0x3F:  # '?'
            elements.append(_ANY)
            i += 1
        elif ch == 0x5B:  # '['
            accepted, i = _parse_set(pattern, i)
            elements.append(accepted)
        else:
            if ch == 0x5C and n - i >= 2:
                i += 1
            elements.append(frozenset((pattern[i],)))
            i += 1
    return tuple(elements)


def match(pattern: bytes, key: bytes) -> bool:
    """Whether ``key`` matches the Redis glob ``pattern``, exactly as Redis decides it."""
    if not key:
        return not pattern
    elements = compile_pattern(pattern)
    n_elements, n_key = len(elements), len(key)
    e = k = 0
    star_e = star_k = -1
    while k < n_key:
        if e < n_elements:
            element = elements[e]
            if element is None:
                star_e, star_k = e, k
                e += 1
                continue
            if key[k] in element:
                e += 1
                k += 1
                continue
        if star_e < 0:
            return False
        # Let the last star swallow one more byte and retry the rest from there.
        star_k += 1
        e, k = star_e + 1, star_k
    while e < n_elements and elements[e] is None:
        e += 1
    return e == n_elements
