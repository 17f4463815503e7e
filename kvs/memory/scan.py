"""SCAN, HSCAN, SSCAN and ZSCAN of the in-process store, and the cursors behind them.

Theory of operation.  SCAN promises that every key present for the whole of an iteration is
returned at least once, that the cursor comes back to 0, and that each call does a bounded
amount of work even while keys come and go between calls.  Redis keeps that promise with a
cursor that walks its hash table's buckets in reverse-binary order, which survives the table
growing and shrinking.  A Python ``dict`` has no buckets to walk and no position that survives
a change: an index into its iteration order shifts when a key before it is deleted and the
table is compacted.

What a ``dict`` does offer is an iterator that stays valid while its keys stay the same (a
value may change), and a copy of its keys at C speed (``tuple(d)``).  So an iteration is a
*walk* over the keyspace itself while its keys do not change, and a *snapshot* once they do:

- ``SCAN 0`` starts a walk: ``iter(keyspace)``, filed under a new id with the keyspace's count
  of removals (``_removals``: every path by which a key leaves it counts) and its size, and
  answers the first ``COUNT`` keys; the cursor it returns is ``id << 32 | place``, the number
  of keys the walk has answered.  A keyspace of at most ``COUNT`` keys is answered whole, with
  cursor 0.
- A later call whose cursor is the walk's place, while the count of removals and the size
  are the ones the walk began with, answers the walk's next ``COUNT`` keys: no key left and
  none came (a new key with none gone would change the size), so the walk answers each key
  once, and every key it answers is live.
- Any other call of that scan (a key left or came, or the cursor is not the walk's place: a
  call sent again after its reply was lost) turns the walk into a snapshot,
  ``tuple(keyspace)``, and goes on from the cursor's place less the number of keys removed
  since the walk began.  A ``dict`` keeps insertion order: a removal moves each later key one
  place to the front, and a new key (or one added again) comes last, so the keys before that
  place in the snapshot were all answered already, and none is skipped (some may come
  twice).  The cursors of that scan keep counting places of the walk (the snapshot's place
  plus that shift), so one issued before and one issued after mean the same.
- HSCAN, SSCAN and ZSCAN, whose containers count no removals, take the snapshot at once.
- A later call over a snapshot answers the next ``COUNT`` entries and returns cursor 0
  (dropping it) at the end.  Each entry is checked against the live container before it is
  returned: one deleted or expired since the snapshot is skipped.  SCAN skips that check
  while the count of removals is the one the snapshot was filed with (and no key has a TTL):
  every key of the snapshot is still there, so a page is a slice of it.
- The guarantee follows: a key present for the whole iteration is in the walk from the start
  and in any snapshot taken later, at a place the cursor has not passed yet.  Keys added
  during the iteration may or may not be returned, as in Redis.
- A walk or snapshot holds the container itself, and a cursor is honoured only for the very
  object it was taken of (an ``is`` test: a hash deleted and created again is another
  object, while a RENAME keeps the object and so the scan).
- At most `SNAPSHOTS` walks and snapshots are kept, least recently used first out.  A nonzero
  cursor whose walk or snapshot is gone (evicted by newer scans, from another store, or made
  up) gets every live element at once, with cursor 0.  That keeps the guarantee and ends the
  iteration whatever happens; restarting with a fresh snapshot instead would never end once
  more scans than `SNAPSHOTS` take turns, each evicting the next one's snapshot.

Cost: a SCAN call over an unchanged keyspace does O(COUNT) work and holds O(1) memory between
calls (the iterator).  A snapshot copies the key references once (O(n) in C: 1.5 ms for
100,000 keys at best on the 2-vCPU machines here), and then each call is O(COUNT) again, so
a whole iteration costs O(n) plus O(COUNT) per call, against O(n log n) per call for a store
that sorts its keys each time.  Only a cursor whose snapshot was evicted costs O(n), once, as
its iteration's last call.  Memory: a snapshot holds one reference per element, until its
iteration ends or it is evicted.

`Cursors.step` is the reusable part: given any sized container (a ``dict``'s keys, a ``set``,
a sorted set's member-to-score ``dict``) it returns the next cursor and the candidate
elements, which the caller filters and formats (see `ScanCommands._scan_elements`, which
ZSCAN can call with a member-to-score ``dict`` and a ``render`` that adds the score).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from kvs.memory import glob
from kvs.memory.keyspace import (
    SYNTAX,
    CommandError,
    Keyspace,
    int_arg,
    option,
    type_name,
)

__all__ = ["SNAPSHOTS", "Cursors", "ScanCommands", "parse_cursor"]

SNAPSHOTS = 16  # snapshots kept at once, per store
_OFFSET_BITS = 32
_OFFSET_MASK = (1 << _OFFSET_BITS) - 1
_MAX_ID = (1 << 32) - 1
_U64 = 1 << 64
_DEFAULT_COUNT = 10

# strtoul as Redis calls it: a sign, digits, then the end of the C string.
_CURSOR_RE = re.compile(rb"([+-]?)([0-9]+)(?:\x00|\Z)")

_T = TypeVar("_T")


def parse_cursor(arg: bytes) -> int:
    """A SCAN-family cursor parsed as Redis parses it (``strtoul``), or its error.

    Any unsigned 64-bit number is a valid cursor; a leading ``-`` wraps around as in C, an
    empty argument is 0, and leading spaces, trailing bytes or overflow are refused.
    """
    if arg.isdigit() and len(arg) < 20:
        return int(arg)  # the common case: a cursor this store returned
    if not arg or arg[0] == 0:
        return 0  # strtoul of an empty C string: 0, and nothing left over
    match = _CURSOR_RE.match(arg)
    if match is None or int(match.group(2)) >= _U64:
        raise CommandError("ERR invalid cursor")
    value = int(match.group(2))
    return (-value) % _U64 if match.group(1) == b"-" else value


class _Scan:
    """One iteration's state: a walk over the container itself (`walk`, its iterator, at
    `position`) while the container's keys are the ones it had when the walk began (`size`
    of them, `stamp` the caller's count of removals then), or else a snapshot (`items`)."""

    __slots__ = ("container", "items", "position", "shift", "size", "stamp", "walk")

    def __init__(self, container: Collection[Any], stamp: int | None,
                 walk: Iterator[Any] | None, items: tuple[Any, ...] = ()) -> None:
        self.container = container
        self.stamp = stamp
        self.walk = walk
        self.items = items
        self.size = len(container)
        self.position = 0
        # The cursors of a walk count places in the walk; once it turned into a snapshot,
        # place ``p`` of the walk is place ``p - shift`` of the snapshot (at least 0).
        self.shift = 0


class Cursors:
    """The walks and snapshots behind the cursors of one store's SCAN, HSCAN, SSCAN and
    ZSCAN."""

    def __init__(self, limit: int = SNAPSHOTS) -> None:
        self._limit = limit
        self._snapshots: OrderedDict[int, _Scan] = OrderedDict()  # by id, least recent first
        self._last_id = 0

    def step(self, container: Collection[_T], cursor: int, count: int) -> tuple[int, Sequence[_T]]:
        """One call of a scan over ``container``: the next cursor (0 at the end) and the
        elements of this step, which may include some removed since the scan began (the
        caller checks each against ``container``)."""
        cursor, batch, _ = self.step_stamped(container, cursor, count, None)
        return cursor, batch

    def step_stamped(self, container: Collection[_T], cursor: int, count: int,
                     stamp: int | None) -> tuple[int, Sequence[_T], bool]:
        """`step`, for a caller that counts the removals from ``container`` (``stamp``, its
        count now; None when it keeps none): also whether every element of the step is
        certainly still in ``container``, because nothing was removed since the walk or the
        snapshot began (the stamp it was filed with is the same)."""
        snapshot_id, offset = cursor >> _OFFSET_BITS, cursor & _OFFSET_MASK
        if cursor:
            scan = self._snapshots.get(snapshot_id)
            if scan is None or scan.container is not container:
                return 0, tuple(container), True  # the snapshot is gone: all that is left
            self._snapshots.move_to_end(snapshot_id)
            walk = scan.walk
            if walk is not None and (offset != scan.position or stamp != scan.stamp
                                     or len(container) != scan.size):
                # The keys changed since the walk began, or this cursor is not where the
                # walk is (a call answered once more): go on over a snapshot of the keys
                # now.  A removal moves every later key one place to the front and a new
                # key comes last, so a place of the walk read as that many places fewer in
                # the snapshot skips no key (a few may come twice).
                assert stamp is not None and scan.stamp is not None  # walks need stamps
                scan.shift = stamp - scan.stamp
                scan.walk = walk = None
                scan.items, scan.stamp = tuple(container), stamp
        elif len(container) <= count:
            return 0, tuple(container), True
        else:
            walk = iter(container) if stamp is not None else None
            scan = _Scan(container, stamp, walk, () if walk is not None else tuple(container))
            snapshot_id = self._file(scan)
        if walk is not None:  # the keys are still the ones the walk began with
            batch = list(islice(walk, count))
            position = scan.position + len(batch)
            if position >= scan.size:
                del self._snapshots[snapshot_id]
                return 0, batch, True
            scan.position = position
            return snapshot_id << _OFFSET_BITS | position, batch, True
        items: tuple[_T, ...] = scan.items
        shift = scan.shift
        start = offset - shift if offset > shift else 0
        live = not cursor or (stamp is not None and scan.stamp == stamp)
        end = start + count
        if end >= len(items):
            del self._snapshots[snapshot_id]
            return 0, items[start:], live
        return snapshot_id << _OFFSET_BITS | (end + shift), items[start:end], live

    def clear(self) -> None:
        """Forget every snapshot (their cursors then restart their iterations)."""
        self._snapshots.clear()

    def _file(self, scan: _Scan) -> int:
        self._last_id = self._last_id % _MAX_ID + 1
        self._snapshots[self._last_id] = scan
        while len(self._snapshots) > self._limit:
            self._snapshots.popitem(last=False)
        return self._last_id


class ScanCommands(Keyspace):
    """SCAN over the keyspace, HSCAN over a hash's fields, SSCAN over a set's members."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__(clock)
        self._cursors = Cursors()

    def _flush(self) -> None:
        super()._flush()
        self._cursors.clear()

    def _scan_options(self, argv: Sequence[bytes], start: int, keyspace: bool) -> tuple[
        int, bytes | None, bytes | None
    ]:
        """COUNT, MATCH (None for "*" or none) and TYPE, parsed in Redis's order."""
        count, pattern, kind = _DEFAULT_COUNT, None, None
        i, n = start, len(argv)
        while i < n:
            opt = option(argv[i])
            if i + 1 >= n:
                raise CommandError(SYNTAX)
            if opt == b"COUNT":
                count = int_arg(argv[i + 1])
                if count < 1:
                    raise CommandError(SYNTAX)
            elif opt == b"MATCH":
                pattern = None if argv[i + 1] == b"*" else argv[i + 1]
            elif opt == b"TYPE" and keyspace:
                kind = option(argv[i + 1])  # compared as a C string, case-insensitively
            else:
                raise CommandError(SYNTAX)
            i += 2
        return count, pattern, kind

    def _cmd_scan(self, argv: Sequence[bytes]) -> Any:
        cursor = parse_cursor(argv[1])
        count, pattern, kind = self._scan_options(argv, 2, keyspace=True)
        data, expires = self._data, self._expires
        cursor, batch, live = self._cursors.step_stamped(data, cursor, count, self._removals)
        if pattern is None and kind is None and not expires:
            # No key left the keyspace since the snapshot: each is live, no lookup needed.
            if not live:
                return [b"%d" % cursor, [key for key in batch if key in data]]
            return [b"%d" % cursor, batch if type(batch) is list else list(batch)]
        keys = []
        for key in batch:
            if pattern is not None and not glob.match(pattern, key):
                continue
            value = self._lookup(key) if expires else data.get(key)
            if value is None:
                continue  # deleted or expired since the scan began
            if kind is not None and type_name(value).upper().encode() != kind:
                continue
            keys.append(key)
        return [b"%d" % cursor, keys]

    def _scan_elements(
        self,
        argv: Sequence[bytes],
        cursor: int,
        container: Collection[bytes],
        render: Callable[[bytes], Sequence[bytes] | None],
    ) -> list[Any]:
        """The reply of HSCAN, SSCAN or ZSCAN: options from ``argv[3]``, then one step over
        ``container``; ``render`` turns a live element into its reply words, or gives None for
        one removed since the scan began."""
        count, pattern, _ = self._scan_options(argv, 3, keyspace=False)
        cursor, batch = self._cursors.step(container, cursor, count)
        words: list[bytes] = []
        for element in batch:
            if pattern is not None and not glob.match(pattern, element):
                continue
            rendered = render(element)
            if rendered is not None:
                words.extend(rendered)
        return [b"%d" % cursor, words]

    def _cmd_hscan(self, argv: Sequence[bytes]) -> Any:
        cursor = parse_cursor(argv[2])
        fields = self._get_hash(argv[1])
        if fields is None:
            return [b"0", []]

        def render(field: bytes) -> tuple[bytes, bytes] | None:
            value = fields.get(field)
            return None if value is None else (field, value)

        return self._scan_elements(argv, cursor, fields, render)

    def _cmd_sscan(self, argv: Sequence[bytes]) -> Any:
        cursor = parse_cursor(argv[2])
        members = self._get_set(argv[1])
        if members is None:
            return [b"0", []]

        def render(member: bytes) -> tuple[bytes] | None:
            return (member,) if member in members else None

        return self._scan_elements(argv, cursor, members, render)

    def _cmd_zscan(self, argv: Sequence[bytes]) -> Any:
        cursor = parse_cursor(argv[2])
        zset = self._get_zset(argv[1])  # type: ignore[attr-defined]  # the sorted-set mixin's
        if zset is None:
            return [b"0", []]
        scores: dict[bytes, float] = zset.scores

        def render(member: bytes) -> tuple[bytes, bytes] | None:
            score = scores.get(member)
            # Scores as Redis's d2string writes them: %.17g, integers without a point.
            return None if score is None else (member, b"%.17g" % score)

        return self._scan_elements(argv, cursor, scores, render)
