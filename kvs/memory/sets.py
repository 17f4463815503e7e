"""Set commands of the in-process store.

A set is a Python ``set`` of members, created by the first SADD and deleted by the command
that empties it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kvs.memory.keyspace import (
    NOT_INTEGER,
    OUT_OF_RANGE,
    SYNTAX,
    WRONGTYPE,
    CommandError,
    Keyspace,
    option,
    random_sample,
)
from kvs.memory.numbers import INT64_MIN, parse_int

__all__ = ["SetCommands"]


class SetCommands(Keyspace):
    """Commands on sets."""

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

    def _cmd_smismember(self, argv: Sequence[bytes]) -> Any:
        members = self._get_set(argv[1]) or ()
        return [int(member in members) for member in argv[2:]]

    def _cmd_spop(self, argv: Sequence[bytes]) -> Any:
        if len(argv) > 3:
            raise CommandError(SYNTAX)
        key = argv[1]
        if len(argv) == 2:
            members = self._get_set(key)
            if members is None:
                return None
            member = random_sample(members, -1)[0]
            members.discard(member)
            self._drop_if_empty(key, members)
            return member
        count = parse_int(argv[2])
        if count is None or count < 0:
            raise CommandError("ERR value is out of range, must be positive")
        members = self._get_set(key)
        if members is None or count == 0:
            return set()
        if count >= len(members):
            self._delete(key)
            return members
        popped = set(random_sample(members, count))
        members -= popped
        return popped

    def _cmd_srandmember(self, argv: Sequence[bytes]) -> Any:
        if len(argv) > 3:
            raise CommandError(SYNTAX)
        if len(argv) == 2:
            members = self._get_set(argv[1])
            return None if members is None else random_sample(members, -1)[0]
        count = parse_int(argv[2])
        if count is None:
            raise CommandError(NOT_INTEGER)
        if count == INT64_MIN:
            raise CommandError(OUT_OF_RANGE)
        members = self._get_set(argv[1])
        if members is None or count == 0:
            return []
        return random_sample(members, count)

    def _cmd_smove(self, argv: Sequence[bytes]) -> Any:
        source, target, member = argv[1], argv[2], argv[3]
        members = self._lookup(source)
        destination = self._lookup(target)
        if members is None:
            return 0
        if type(members) is not set or (destination is not None and type(destination) is not set):
            raise CommandError(WRONGTYPE)
        if members is destination:
            return int(member in members)
        if member not in members:
            return 0
        members.discard(member)
        self._drop_if_empty(source, members)
        if destination is None:
            self._data[target] = {member}
        else:
            destination.add(member)
        return 1

    def _sets_of(self, keys: Sequence[bytes]) -> list[set[bytes] | None]:
        """The sets at ``keys`` (None where missing), after checking the type of every one."""
        return [self._get_set(key) for key in keys]

    def _smallest_first(self, keys: Sequence[bytes]) -> list[set[bytes]]:
        """The sets at ``keys``, smallest first; none at all when one is missing (empty)."""
        sets = [members for members in self._sets_of(keys) if members is not None]
        return sorted(sets, key=len) if len(sets) == len(keys) else []

    def _intersection(self, keys: Sequence[bytes]) -> set[bytes]:
        sets = self._smallest_first(keys)
        return sets[0].intersection(*sets[1:]) if sets else set()

    def _union(self, keys: Sequence[bytes]) -> set[bytes]:
        return set().union(*(members for members in self._sets_of(keys) if members))

    def _difference(self, keys: Sequence[bytes]) -> set[bytes]:
        first, *rest = self._sets_of(keys)
        if not first:
            return set()
        return first.difference(*(members for members in rest if members))

    def _store(self, destination: bytes, result: set[bytes]) -> int:
        if result:
            self._set_value(destination, result)
        else:
            self._delete(destination)
        return len(result)

    def _cmd_sinter(self, argv: Sequence[bytes]) -> Any:
        return self._intersection(argv[1:])

    def _cmd_sunion(self, argv: Sequence[bytes]) -> Any:
        return self._union(argv[1:])

    def _cmd_sdiff(self, argv: Sequence[bytes]) -> Any:
        return self._difference(argv[1:])

    def _cmd_sinterstore(self, argv: Sequence[bytes]) -> Any:
        return self._store(argv[1], self._intersection(argv[2:]))

    def _cmd_sunionstore(self, argv: Sequence[bytes]) -> Any:
        return self._store(argv[1], self._union(argv[2:]))

    def _cmd_sdiffstore(self, argv: Sequence[bytes]) -> Any:
        return self._store(argv[1], self._difference(argv[2:]))

    def _cmd_sintercard(self, argv: Sequence[bytes]) -> Any:
        numkeys = parse_int(argv[1])
        if numkeys is None or numkeys < 1:
            raise CommandError("ERR numkeys should be greater than 0")
        if numkeys > len(argv) - 2:
            raise CommandError("ERR Number of keys can't be greater than number of args")
        limit = 0
        i = 2 + numkeys
        while i < len(argv):
            if option(argv[i]) != b"LIMIT" or i + 1 >= len(argv):
                raise CommandError(SYNTAX)
            parsed = parse_int(argv[i + 1])
            if parsed is None or parsed < 0:
                raise CommandError("ERR LIMIT can't be negative")
            limit = parsed
            i += 2
        sets = self._smallest_first(argv[2 : 2 + numkeys])
        if not sets:
            return 0
        smallest, *others = sets
        found = 0
        for member in smallest:
            if all(member in members for members in others):
                found += 1
                if found == limit:
                    break
        return found
