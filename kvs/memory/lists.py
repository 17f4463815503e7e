"""List commands of the in-process store.

Same conventions as the string commands: ``_cmd_<name>(argv)`` returns the raw reply or raises
`CommandError`.  A list is a ``deque``, created by the first push and deleted by the command
that empties it, so an empty list is never visible.  Replies are copies: a caller can keep or
change them without touching the store.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import islice
from typing import Any

from kvs.memory.keyspace import SYNTAX, CommandError, Keyspace, arity_error, int_arg, option
from kvs.memory.numbers import INT64_MIN, parse_int

__all__ = ["ListCommands", "mpop_args"]

_RANK_ZERO = (
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)


class ListCommands(Keyspace):
    """Commands on lists."""

    # -- lists --------------------------------------------------------------------------

    def _push(self, argv: Sequence[bytes], left: bool, create: bool) -> int:
        key = argv[1]
        items = self._get_list(key)
        if items is None:
            if not create:
                return 0
            items = self._data[key] = deque()
        if left:
            items.extendleft(argv[2:])
        else:
            items.extend(argv[2:])
        return len(items)

    def _cmd_lpush(self, argv: Sequence[bytes]) -> Any:
        return self._push(argv, left=True, create=True)

    def _cmd_rpush(self, argv: Sequence[bytes]) -> Any:
        return self._push(argv, left=False, create=True)

    def _cmd_lpushx(self, argv: Sequence[bytes]) -> Any:
        return self._push(argv, left=True, create=False)

    def _cmd_rpushx(self, argv: Sequence[bytes]) -> Any:
        return self._push(argv, left=False, create=False)

    def _pop(self, argv: Sequence[bytes], left: bool, name: str) -> Any:
        if len(argv) > 3:
            raise arity_error(name)
        count = None
        if len(argv) == 3:
            count = parse_int(argv[2])
            if count is None or count < 0:
                raise CommandError("ERR value is out of range, must be positive")
        key = argv[1]
        items = self._get_list(key)
        if items is None:
            return None
        if count is None:
            value = items.popleft() if left else items.pop()
            self._drop_if_empty(key, items)
            return value
        pop = items.popleft if left else items.pop
        result = [pop() for _ in range(min(count, len(items)))]
        self._drop_if_empty(key, items)
        return result

    def _cmd_lpop(self, argv: Sequence[bytes]) -> Any:
        return self._pop(argv, left=True, name="lpop")

    def _cmd_rpop(self, argv: Sequence[bytes]) -> Any:
        return self._pop(argv, left=False, name="rpop")

    def _cmd_lrange(self, argv: Sequence[bytes]) -> Any:
        start, end = int_arg(argv[2]), int_arg(argv[3])
        items = self._get_list(argv[1])
        if items is None:
            return []
        length = len(items)
        span = _span(start, end, length)
        if span is None:
            return []
        start, end = span
        if start > length // 2:
            # Walk from the tail: a deque is a linked list of blocks.
            tail = list(islice(reversed(items), length - 1 - end, length - start))
            tail.reverse()
            return tail
        return list(islice(items, start, end + 1))

    def _cmd_llen(self, argv: Sequence[bytes]) -> Any:
        items = self._get_list(argv[1])
        return 0 if items is None else len(items)

    def _cmd_lindex(self, argv: Sequence[bytes]) -> Any:
        items = self._get_list(argv[1])
        if items is None:
            return None
        index = int_arg(argv[2])
        if index < 0:
            index += len(items)
        if 0 <= index < len(items):
            return items[index]
        return None

    def _cmd_lset(self, argv: Sequence[bytes]) -> Any:
        items = self._get_list(argv[1])
        if items is None:
            raise CommandError("ERR no such key")
        index = int_arg(argv[2])
        if index < 0:
            index += len(items)
        if not 0 <= index < len(items):
            raise CommandError("ERR index out of range")
        items[index] = argv[3]
        return "OK"

    def _cmd_linsert(self, argv: Sequence[bytes]) -> Any:
        where = option(argv[2])
        if where not in (b"BEFORE", b"AFTER"):
            raise CommandError(SYNTAX)
        items = self._get_list(argv[1])
        if items is None:
            return 0
        try:
            index = items.index(argv[3])
        except ValueError:
            return -1
        items.insert(index if where == b"BEFORE" else index + 1, argv[4])
        return len(items)

    def _cmd_lrem(self, argv: Sequence[bytes]) -> Any:
        count = int_arg(argv[2])
        key, element = argv[1], argv[3]
        items = self._get_list(key)
        if items is None:
            return 0
        limit = abs(count) or len(items)
        kept: list[bytes] = []
        removed = 0
        for item in reversed(items) if count < 0 else items:
            if removed < limit and item == element:
                removed += 1
            else:
                kept.append(item)
        if removed:
            if count < 0:
                kept.reverse()
            items.clear()
            items.extend(kept)
            self._drop_if_empty(key, items)
        return removed

    def _cmd_ltrim(self, argv: Sequence[bytes]) -> Any:
        start, end = int_arg(argv[2]), int_arg(argv[3])
        key = argv[1]
        items = self._get_list(key)
        if items is None:
            return "OK"
        length = len(items)
        span = _span(start, end, length)
        if span is None:
            items.clear()
        else:
            start, end = span
            drop_left, drop_right = start, length - 1 - end
            if drop_left + drop_right > end - start:
                kept = list(islice(items, start, end + 1))
                items.clear()
                items.extend(kept)
            else:
                for _ in range(drop_left):
                    items.popleft()
                for _ in range(drop_right):
                    items.pop()
        self._drop_if_empty(key, items)
        return "OK"

    def _cmd_lpos(self, argv: Sequence[bytes]) -> Any:
        rank, count, maxlen = 1, -1, 0  # count -1: no COUNT option
        n = len(argv)
        i = 3
        while i < n:
            opt = option(argv[i])
            if i + 1 >= n or opt not in (b"RANK", b"COUNT", b"MAXLEN"):
                raise CommandError(SYNTAX)
            i += 1
            if opt == b"RANK":
                rank = int_arg(argv[i])
                if rank == 0:
                    raise CommandError(_RANK_ZERO)
            else:
                value = parse_int(argv[i])
                if value is None or value < 0:
                    raise CommandError(f"ERR {opt.decode()} can't be negative")
                if opt == b"COUNT":
                    count = value
                else:
                    maxlen = value
            i += 1
        items = self._get_list(argv[1])
        if items is None:
            return None if count == -1 else []
        element = argv[2]
        length = len(items)
        from_tail = rank < 0
        if rank == INT64_MIN:
            # Redis negates the rank in a C long: it stays negative, so every match counts and
            # the COUNT limit (computed from it) is never reached.
            rank, count = 1, 0 if count != -1 else -1
        rank = abs(rank)
        scanned = islice(reversed(items) if from_tail else items, maxlen or None)
        matches = 0
        found: list[int] = []
        for index, item in enumerate(scanned):
            if item != element:
                continue
            matches += 1
            if matches < rank:
                continue
            position = length - 1 - index if from_tail else index
            if count == -1:
                return position
            found.append(position)
            if count and len(found) >= count:
                break
        return None if count == -1 else found

    def _move_one(self, source: bytes, target: bytes, from_left: bool, to_left: bool) -> Any:
        items = self._get_list(source)
        if items is None:
            return None
        destination = self._get_list(target)
        value = items.popleft() if from_left else items.pop()
        if destination is None:
            self._data[target] = deque((value,))
        elif to_left:
            destination.appendleft(value)
        else:
            destination.append(value)
        if not items:
            self._drop_if_empty(source, items)
        return value

    def _cmd_lmove(self, argv: Sequence[bytes]) -> Any:
        from_left, to_left = _side(argv[3]), _side(argv[4])
        return self._move_one(argv[1], argv[2], from_left, to_left)

    def _cmd_rpoplpush(self, argv: Sequence[bytes]) -> Any:
        return self._move_one(argv[1], argv[2], from_left=False, to_left=True)

    def _cmd_lmpop(self, argv: Sequence[bytes]) -> Any:
        keys, left, count = mpop_args(argv, 1, (b"LEFT", b"RIGHT"))
        for key in keys:
            items = self._get_list(key)
            if items is None:
                continue
            pop = items.popleft if left else items.pop
            popped = [pop() for _ in range(min(count, len(items)))]
            self._drop_if_empty(key, items)
            return [key, popped]
        return None


def mpop_args(argv: Sequence[bytes], at: int,
              words: tuple[bytes, bytes]) -> tuple[Sequence[bytes], bool, int]:
    """LMPOP's (and BLMPOP's, ZMPOP's) ``numkeys key... where [COUNT n]``, with numkeys at
    `at`: the keys, whether `where` is the first of `words`, and the count (default 1)."""
    numkeys = parse_int(argv[at])
    if numkeys is None or numkeys < 1:
        raise CommandError("ERR numkeys should be greater than 0")
    where = at + numkeys + 1
    if where >= len(argv):
        raise CommandError(SYNTAX)
    word = option(argv[where])
    if word not in words:
        raise CommandError(SYNTAX)
    count = -1
    i = where + 1
    while i < len(argv):
        if count != -1 or option(argv[i]) != b"COUNT" or i + 1 >= len(argv):
            raise CommandError(SYNTAX)
        parsed = parse_int(argv[i + 1])
        if parsed is None or parsed < 1:
            raise CommandError("ERR count should be greater than 0")
        count = parsed
        i += 2
    return argv[at + 1 : where], word == words[0], max(count, 1)


def _span(start: int, end: int, length: int) -> tuple[int, int] | None:
    """LRANGE's and LTRIM's indexes made absolute and clamped; None when the range is empty."""
    if start < 0:
        start += length
    if end < 0:
        end += length
    start = max(start, 0)
    if start > end or start >= length:
        return None
    return start, min(end, length - 1)


def _side(arg: bytes) -> bool:
    """LEFT (True) or RIGHT (False), as LMOVE and LMPOP spell them."""
    side = option(arg)
    if side not in (b"LEFT", b"RIGHT"):
        raise CommandError(SYNTAX)
    return side == b"LEFT"
