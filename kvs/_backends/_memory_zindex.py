"""The ordered index of a sorted set: (score, member) pairs in order, with ranks.

Theory of operation: the pairs live in a list of sorted blocks, each holding at most
``2 * _LOAD`` pairs, every pair of block ``i`` ordered before every pair of block ``i + 1``.
``_maxes[i]`` is the last pair of block ``i``, so a bisection of ``_maxes`` finds the block a
pair belongs in and a bisection of that block its place: O(log n) comparisons, plus a
``list.insert`` that moves at most ``2 * _LOAD`` pointers.  A full block is split in two; an
emptied block is dropped and a small one merged into its neighbour, so blocks stay between
a quarter and twice ``_LOAD`` long (except when the whole index is small).

Ranks come from a Fenwick tree over the block lengths: the number of pairs before block
``i`` is a prefix sum, and the block holding rank ``r`` a descent of the tree, both in
O(log(n / _LOAD)) steps.  A split or a merge changes the number of blocks, which rebuilds
the tree in O(n / _LOAD); that happens once per ``_LOAD`` insertions or deletions at most.

Pairs are tuples ``(score, member)``, ``score`` a float (never NaN) and ``member`` bytes, so
Python's tuple order is Redis's order: by score, then by member byte by byte.  A 1-tuple
``(score,)`` orders before every pair with that score, which makes score bounds bisectable.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator

__all__ = ["Pair", "ZIndex", "ZSet"]

Pair = tuple[float, bytes]
Key = tuple[float] | tuple[float, bytes]

_LOAD = 256


class ZIndex:
    """(score, member) pairs kept in order, with O(log n) insert, delete and rank."""

    __slots__ = ("_blocks", "_len", "_maxes", "_tree")

    def __init__(self) -> None:
        self._blocks: list[list[Pair]] = []
        self._maxes: list[Pair] = []
        self._tree: list[int] = []
        self._len = 0

    def __len__(self) -> int:
        return self._len

    # -- the Fenwick tree of block lengths ----------------------------------------------------

    def _rebuild(self) -> None:
        tree = [len(block) for block in self._blocks]
        size = len(tree)
        for i in range(size):
            parent = i | (i + 1)
            if parent < size:
                tree[parent] += tree[i]
        self._tree = tree

    def _grow(self, block: int, delta: int) -> None:
        tree, size = self._tree, len(self._tree)
        while block < size:
            tree[block] += delta
            block |= block + 1

    def _before(self, block: int) -> int:
        """The number of pairs in the blocks before ``block``."""
        tree, total = self._tree, 0
        while block > 0:
            total += tree[block - 1]
            block &= block - 1
        return total

    def _locate(self, rank: int) -> tuple[int, int]:
        """The block holding ``rank`` (0 <= rank < len) and the rank's offset in it."""
        tree, size = self._tree, len(self._tree)
        block, step = 0, 1 << size.bit_length()
        while step:
            nxt = block + step
            if nxt <= size and tree[nxt - 1] <= rank:
                block = nxt
                rank -= tree[nxt - 1]
            step >>= 1
        return block, rank

    # -- changes ------------------------------------------------------------------------------

    def load(self, pairs: list[Pair]) -> None:
        """Fill an empty index with ``pairs``, which must be sorted and distinct."""
        blocks = [pairs[i : i + _LOAD] for i in range(0, len(pairs), _LOAD)]
        self._blocks = blocks
        self._maxes = [block[-1] for block in blocks]
        self._len = len(pairs)
        self._rebuild()

    def add(self, pair: Pair) -> None:
        """Insert ``pair``, which must not be in the index."""
        self._len += 1
        maxes = self._maxes
        if not maxes:
            self._blocks.append([pair])
            maxes.append(pair)
            self._tree = [1]
            return
        i = bisect_left(maxes, pair)
        if i == len(maxes):
            i -= 1
            self._blocks[i].append(pair)
            maxes[i] = pair
        else:
            insort(self._blocks[i], pair)
        block = self._blocks[i]
        if len(block) > 2 * _LOAD:
            half = block[_LOAD:]
            del block[_LOAD:]
            self._blocks.insert(i + 1, half)
            maxes[i] = block[-1]
            maxes.insert(i + 1, half[-1])
            self._rebuild()
        else:
            self._grow(i, 1)

    def remove(self, pair: Pair) -> None:
        """Delete ``pair``, which must be in the index."""
        self._len -= 1
        maxes, blocks = self._maxes, self._blocks
        i = bisect_left(maxes, pair)
        block = blocks[i]
        del block[bisect_left(block, pair)]
        if len(block) >= _LOAD // 4 or len(blocks) == 1:
            if block:
                maxes[i] = block[-1]
                self._grow(i, -1)
            else:
                del blocks[i], maxes[i]
                self._tree = []
            return
        # A small block joins a neighbour (which may then split again).
        if i > 0:
            i -= 1
        blocks[i].extend(blocks[i + 1])
        del blocks[i + 1], maxes[i + 1]
        merged = blocks[i]
        if len(merged) > 2 * _LOAD:
            half = merged[_LOAD:]
            del merged[_LOAD:]
            blocks.insert(i + 1, half)
            maxes.insert(i + 1, half[-1])
        maxes[i] = merged[-1]
        self._rebuild()

    # -- queries ------------------------------------------------------------------------------

    def rank(self, key: Key) -> int:
        """The number of pairs ordered before ``key``."""
        maxes = self._maxes
        i = bisect_left(maxes, key)
        if i == len(maxes):
            return self._len
        return self._before(i) + bisect_left(self._blocks[i], key)

    def at(self, rank: int) -> Pair:
        """The pair of rank ``rank`` (0 <= rank < len)."""
        block, offset = self._locate(rank)
        return self._blocks[block][offset]

    def first(self) -> Pair:
        return self._blocks[0][0]

    def last(self) -> Pair:
        return self._maxes[-1]

    def slice(self, start: int, stop: int) -> list[Pair]:
        """The pairs of ranks ``start`` to ``stop - 1`` (at most), in order (0 <= start)."""
        stop = min(stop, self._len)
        if start >= stop:
            return []
        block, offset = self._locate(start)
        blocks, left = self._blocks, stop - start
        result = blocks[block][offset : offset + left]
        left -= len(result)
        while left > 0:
            block += 1
            part = blocks[block][:left]
            result += part
            left -= len(part)
        return result

    def forward(self, start: int) -> Iterator[Pair]:
        """The pairs from rank ``start`` onwards, in order."""
        if start >= self._len:
            return
        block, offset = self._locate(start)
        blocks = self._blocks
        yield from blocks[block][offset:]
        for i in range(block + 1, len(blocks)):
            yield from blocks[i]

    def backward(self, start: int) -> Iterator[Pair]:
        """The pairs from rank ``start`` down to rank 0, in reverse order."""
        if start < 0:
            return
        block, offset = self._locate(start)
        blocks = self._blocks
        yield from reversed(blocks[block][: offset + 1])
        for i in range(block - 1, -1, -1):
            yield from reversed(blocks[i])

    def __iter__(self) -> Iterator[Pair]:
        for block in self._blocks:
            yield from block


# Redis keeps a small sorted set as a listpack (zset-max-listpack-entries 128 and
# zset-max-listpack-value 64), which stores a score of -0 as the integer 0.
LISTPACK_ENTRIES = 128
LISTPACK_VALUE = 64


class ZSet:
    """A sorted set: ``scores`` maps each member to its score, ``index`` orders them.

    ``listpack`` follows the encoding Redis would use for the same history of commands: it
    starts small and turns into a skip list, for good, once the set grows past 128 members
    or is given a member longer than 64 bytes.  It matters only to the sign of a zero
    score, which a listpack loses.
    """

    __slots__ = ("index", "listpack", "scores")

    def __init__(self, listpack: bool = True) -> None:
        self.scores: dict[bytes, float] = {}
        self.index = ZIndex()
        self.listpack = listpack

    def __len__(self) -> int:
        return len(self.scores)

    def insert(self, member: bytes, score: float) -> None:
        """Add a member that is not in the set."""
        if self.listpack:
            if len(self.scores) >= LISTPACK_ENTRIES or len(member) > LISTPACK_VALUE:
                self.listpack = False
            else:
                score += 0.0  # -0.0 becomes 0.0
        self.scores[member] = score
        self.index.add((score, member))

    def move(self, member: bytes, old: float, new: float) -> None:
        """Change a member's score from ``old`` to ``new`` (``new != old``)."""
        if self.listpack:
            new += 0.0
        self.scores[member] = new
        self.index.remove((old, member))
        self.index.add((new, member))

    def discard(self, member: bytes) -> bool:
        score = self.scores.pop(member, None)
        if score is None:
            return False
        self.index.remove((score, member))
        return True

    @classmethod
    def from_pairs(cls, pairs: list[Pair], listpack: bool) -> ZSet:
        """A set of distinct members from (score, member) pairs in any order.

        With ``listpack`` the pairs are added in the order given, as Redis adds them to a new
        small set (ZRANGESTORE), else they are stored as they are.
        """
        zset = cls(listpack)
        if listpack:
            kept = []
            for i, (score, member) in enumerate(pairs):
                if zset.listpack and (i >= LISTPACK_ENTRIES or len(member) > LISTPACK_VALUE):
                    zset.listpack = False
                kept.append((score + 0.0 if zset.listpack else score, member))
            pairs = kept
        pairs.sort()
        zset.index.load(pairs)
        zset.scores = {member: score for score, member in pairs}
        return zset
