"""List, hash and set commands of the in-process store.

Same conventions as the string commands: ``_cmd_<name>(argv)`` returns the raw reply or raises
`CommandError`.  A list, hash or set is created by the first write and deleted by the command
that empties it, so an empty container is never visible.  Replies are copies: a caller can
keep or change them without touching the store.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import islice
from typing import Any

from kvs._backends._memory_base import NOT_INTEGER, CommandError, Core
from kvs._backends._memory_numbers import INT64_MAX, INT64_MIN, parse_int
from kvs._backends._memory_strings import arity_error

__all__ = ["CollectionCommands"]


def _int_arg(arg: bytes) -> int:
    value = parse_int(arg)
    if value is None:
        raise CommandError(NOT_INTEGER)
    return value


class CollectionCommands(Core):
    """Commands on lists, hashes and sets."""

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
        start, end = _int_arg(argv[2]), _int_arg(argv[3])
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
        index = _int_arg(argv[2])
        if index < 0:
            index += len(items)
        if 0 <= index < len(items):
            return items[index]
        return None

    # -- hashes -------------------------------------------------------------------------

    def _cmd_hset(self, argv: Sequence[bytes]) -> Any:
        if len(argv) % 2 == 1:
            raise arity_error("hset")
        key = argv[1]
        fields = self._get_hash(key)
        if fields is None:
            fields = self._data[key] = {}
        before = len(fields)
        for i in range(2, len(argv), 2):
            fields[argv[i]] = argv[i + 1]
        return len(fields) - before

    def _cmd_hsetnx(self, argv: Sequence[bytes]) -> Any:
        key, field = argv[1], argv[2]
        fields = self._get_hash(key)
        if fields is None:
            fields = self._data[key] = {}
        elif field in fields:
            return 0
        fields[field] = argv[3]
        return 1

    def _cmd_hget(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return None if fields is None else fields.get(argv[2])

    def _cmd_hmget(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        if fields is None:
            return [None] * (len(argv) - 2)
        return [fields.get(field) for field in argv[2:]]

    def _cmd_hgetall(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return {} if fields is None else dict(fields)

    def _cmd_hdel(self, argv: Sequence[bytes]) -> Any:
        key = argv[1]
        fields = self._get_hash(key)
        if fields is None:
            return 0
        removed = 0
        for field in argv[2:]:
            if fields.pop(field, None) is not None:
                removed += 1
        self._drop_if_empty(key, fields)
        return removed

    def _cmd_hexists(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return int(fields is not None and argv[2] in fields)

    def _cmd_hlen(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return 0 if fields is None else len(fields)

    def _cmd_hkeys(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return [] if fields is None else list(fields)

    def _cmd_hvals(self, argv: Sequence[bytes]) -> Any:
        fields = self._get_hash(argv[1])
        return [] if fields is None else list(fields.values())

    def _cmd_hincrby(self, argv: Sequence[bytes]) -> Any:
        key, field = argv[1], argv[2]
        delta = _int_arg(argv[3])
        fields = self._get_hash(key)
        current = 0
        if fields is not None and (old := fields.get(field)) is not None:
            parsed = parse_int(old)
            if parsed is None:
                raise CommandError("ERR hash value is not an integer")
            current = parsed
        current += delta
        if not INT64_MIN <= current <= INT64_MAX:
            raise CommandError("ERR increment or decrement would overflow")
        if fields is None:
            fields = self._data[key] = {}
        fields[field] = b"%d" % current
        return current

    # -- sets ---------------------------------------------------------------------------

    def _cmd_sadd(self, argv: Sequence[bytes]) -> Any:
        key = argv[1]
        members = self._get_set(key)
        if members is None:
            members = self._data[key] = set()
        before = len(members)
        members.update(argv[2:])
        return len(members) - before

    def _cmd_srem(self, argv: Sequence[bytes]) -> Any:
        key = argv[1]
        members = self._get_set(key)
        if members is None:
            return 0
        before = len(members)
        members.difference_update(argv[2:])
        removed = before - len(members)
        self._drop_if_empty(key, members)
        return removed

    def _cmd_smembers(self, argv: Sequence[bytes]) -> Any:
        members = self._get_set(argv[1])
        return set() if members is None else set(members)

    def _cmd_sismember(self, argv: Sequence[bytes]) -> Any:
        members = self._get_set(argv[1])
        return int(members is not None and argv[2] in members)

    def _cmd_scard(self, argv: Sequence[bytes]) -> Any:
        members = self._get_set(argv[1])
        return 0 if members is None else len(members)
