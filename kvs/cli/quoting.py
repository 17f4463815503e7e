"""Command lines split the way ``redis-cli`` splits them, and bytes quoted so they split back.

`split_args` reads a line as redis-cli's interactive mode does:

- words are separated by blanks (space, tab, newline, carriage return);
- inside double quotes, ``\\n``, ``\\r``, ``\\t``, ``\\b``, ``\\a`` are control characters,
  ``\\xHH`` (two hex digits) is one byte, and a backslash before any other character stands
  for that character (``\\"``, ``\\\\``);
- inside single quotes everything is literal except ``\\'``, a quote;
- a closing quote must be followed by a blank or the end of the line, and an unterminated
  quote is an error: the line is refused (None) rather than guessed at.

`quote` is the other direction: the double-quoted form redis-cli prints for a bulk string.
Every byte is either printable ASCII or escaped, so ``split_args(quote(b))`` is ``[b]`` for
every `b`: what the shell prints can be pasted back to mean the same bytes.
"""

from __future__ import annotations

__all__ = ["quote", "split_args"]

_HEX = frozenset(b"0123456789abcdefABCDEF")
_CONTROL = {ord("n"): 0x0A, ord("r"): 0x0D, ord("t"): 0x09, ord("b"): 0x08, ord("a"): 0x07}
_WORD_END = frozenset(b" \n\r\t")
_BLANK = frozenset(b" \t\n\r\v\f")

# Bytes with a short escape in the printed form.
_ESCAPES = {
    ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r",
    ord("\t"): "\\t", 0x07: "\\a", 0x08: "\\b",
}  # fmt: skip


def quote(data: bytes) -> str:
    """`data` in double quotes, escaped so that `split_args` reads it back as `data`."""
    parts = ['"']
    for byte in data:
        escape = _ESCAPES.get(byte)
        if escape is not None:
            parts.append(escape)
        elif 0x20 <= byte < 0x7F:
            parts.append(chr(byte))
        else:
            parts.append(f"\\x{byte:02x}")
    parts.append('"')
    return "".join(parts)


def split_args(line: str | bytes) -> list[bytes] | None:
    """The words of `line` as bytes, or None when its quotes are unbalanced or a closing
    quote is glued to the next word.

    A ``str`` line is encoded as UTF-8 first (undecodable terminal bytes kept through
    ``surrogateescape``).
    """
    data = line.encode("utf-8", "surrogateescape") if isinstance(line, str) else bytes(line)
    words: list[bytes] = []
    end = len(data)
    i = 0
    while True:
        while i < end and data[i] in _BLANK:
            i += 1
        if i >= end:
            return words
        word = bytearray()
        in_double = in_single = False
        while True:
            c = data[i] if i < end else 0
            if in_double:
                if (c == 0x5C and i + 3 < end and data[i + 1] == ord("x")
                        and data[i + 2] in _HEX and data[i + 3] in _HEX):
                    word.append(int(data[i + 2:i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < end:
                    i += 1
                    word.append(_CONTROL.get(data[i], data[i]))
                elif c == ord('"'):
                    if i + 1 < end and data[i + 1] not in _BLANK:
                        return None
                    i += 1
                    break
                elif i >= end:
                    return None
                else:
                    word.append(c)
            elif in_single:
                if c == 0x5C and i + 1 < end and data[i + 1] == ord("'"):
                    i += 1
                    word.append(ord("'"))
                elif c == ord("'"):
                    if i + 1 < end and data[i + 1] not in _BLANK:
                        return None
                    i += 1
                    break
                elif i >= end:
                    return None
                else:
                    word.append(c)
            elif i >= end or c in _WORD_END:
                break
            elif c == ord('"'):
                in_double = True
            elif c == ord("'"):
                in_single = True
            else:
                word.append(c)
            i += 1
        words.append(bytes(word))
