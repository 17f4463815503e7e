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

from kvs._backends._memory_base import CommandError, Core, arity_error, int_arg
from kvs._backends._memory_numbers import parse_int

__all__ = ["ListCommands"]


class ListCommands(Core):
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
        if start < 0:
            start += length
        if end < 0:
            end += length
        start = max(start, 0)
        if start > end or start >= length:
            return []
        end = min(end, length - 1)
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
