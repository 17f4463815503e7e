"""The blocking pops of the in-process store: BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP,
BZPOPMIN, BZPOPMAX and BZMPOP.

Each handler checks its arguments in Redis 7.0's order (the timeout first for BLPOP and
BZPOPMIN, after the other arguments for BLMOVE, BLMPOP and BZMPOP), then serves the call at
once when one of its keys has something (exactly as the non-blocking form, WRONGTYPE
included), and otherwise raises `WouldBlock` with its own argv as the retry: run again, it
either serves or raises again.  `kvs.memory.blocked` does the waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kvs.memory.keyspace import SYNTAX, CommandError, Keyspace, option
from kvs.memory.lists import mpop_args
from kvs.memory.numbers import INT64_MAX, parse_int, parse_long_double
from kvs.memory.waiting import WouldBlock

__all__ = ["BlockingPopCommands", "parse_timeout"]

_NOT_FLOAT = "ERR timeout is not a float or out of range"
_NEGATIVE = "ERR timeout is negative"
_OUT_OF_RANGE = "ERR timeout is out of range"


def parse_timeout(arg: bytes, now_ms: int = 0) -> float | None:
    """A blocking timeout in seconds as Redis reads it: None for ever.

    Redis takes the seconds as a ``long double``, turns them into whole milliseconds
    (truncated: 0.0005 is 0, for ever), refuses a negative result, and a value that does not
    fit in 64 bits comes out negative in C.
    """
    ms = _TIMEOUTS.get(arg)
    if ms is None:
        ms = _timeout_ms(arg)
        if len(_TIMEOUTS) >= 1024:  # callers use a few timeouts over and over
            _TIMEOUTS.clear()
        _TIMEOUTS[arg] = ms
    if type(ms) is str:
        raise CommandError(ms)
    assert type(ms) is int
    if ms == 0:
        return None
    if ms > INT64_MAX - now_ms:
        raise CommandError(_OUT_OF_RANGE)
    return ms / 1000


_TIMEOUTS: dict[bytes, int | str] = {}  # argument -> milliseconds, or the error


def _timeout_ms(arg: bytes) -> int | str:
    whole = parse_int(arg)
    if whole is not None and abs(whole) < 2**52:
        return whole * 1000 if whole >= 0 else _NEGATIVE
    value = parse_long_double(arg)
    if value is None:
        return _NOT_FLOAT
    scaled = value * 1000
    if not -(2**63) < scaled < 2**63:
        return _NEGATIVE
    ms = int(scaled)
    return _NEGATIVE if ms < 0 else ms


def _side(arg: bytes, words: tuple[bytes, bytes]) -> bool:
    word = option(arg)
    if word not in words:
        raise CommandError(SYNTAX)
    return word == words[0]


class BlockingPopCommands(Keyspace):
    """Blocking pops over the list and sorted-set commands of the store."""

    # From the list and sorted-set commands of the store.
    _move_one: Callable[[bytes, bytes, bool, bool], Any]
    _zpop: Callable[[Sequence[bytes], bool], Any]
    _get_zset: Callable[[bytes], Any]

    def _timeout(self, arg: bytes) -> float | None:
        return parse_timeout(arg, self._unix_ms())

    # -- lists ------------------------------------------------------------------------------

    def _bpop(self, argv: Sequence[bytes], keys: Sequence[bytes], left: bool,
              count: int | None, timeout: float | None) -> Any:
        for key in keys:
            items = self._get_list(key)
            if items is None:
                continue
            if count is None:
                value = items.popleft() if left else items.pop()
                self._drop_if_empty(key, items)
                return [key, value]
            pop = items.popleft if left else items.pop
            popped = [pop() for _ in range(min(count, len(items)))]
            self._drop_if_empty(key, items)
            return [key, popped]
        raise WouldBlock(keys, timeout, argv)

    def _cmd_blpop(self, argv: Sequence[bytes]) -> Any:
        timeout = self._timeout(argv[-1])
        return self._bpop(argv, argv[1:-1], True, None, timeout)

    def _cmd_brpop(self, argv: Sequence[bytes]) -> Any:
        timeout = self._timeout(argv[-1])
        return self._bpop(argv, argv[1:-1], False, None, timeout)

    def _cmd_blmpop(self, argv: Sequence[bytes]) -> Any:
        keys, left, count = mpop_args(argv, 2, (b"LEFT", b"RIGHT"))
        timeout = self._timeout(argv[1])
        return self._bpop(argv, keys, left, count, timeout)

    def _blmove(self, argv: Sequence[bytes], from_left: bool, to_left: bool,
                timeout: float | None) -> Any:
        source = argv[1]
        if self._get_list(source) is None:
            raise WouldBlock((source,), timeout, argv)
        return self._move_one(source, argv[2], from_left, to_left)

    def _cmd_blmove(self, argv: Sequence[bytes]) -> Any:
        from_left = _side(argv[3], (b"LEFT", b"RIGHT"))
        to_left = _side(argv[4], (b"LEFT", b"RIGHT"))
        return self._blmove(argv, from_left, to_left, self._timeout(argv[5]))

    def _cmd_brpoplpush(self, argv: Sequence[bytes]) -> Any:
        return self._blmove(argv, False, True, self._timeout(argv[3]))

    # -- sorted sets ------------------------------------------------------------------------

    def _bzpop(self, argv: Sequence[bytes], keys: Sequence[bytes], top: bool,
               count: int | None, timeout: float | None) -> Any:
        for key in keys:
            if self._get_zset(key) is None:
                continue
            if count is None:
                return [key, *self._zpop((b"", key), top)]
            return [key, self._zpop((b"", key, b"%d" % count), top)]
        raise WouldBlock(keys, timeout, argv)

    def _cmd_bzpopmin(self, argv: Sequence[bytes]) -> Any:
        timeout = self._timeout(argv[-1])
        return self._bzpop(argv, argv[1:-1], False, None, timeout)

    def _cmd_bzpopmax(self, argv: Sequence[bytes]) -> Any:
        timeout = self._timeout(argv[-1])
        return self._bzpop(argv, argv[1:-1], True, None, timeout)

    def _cmd_bzmpop(self, argv: Sequence[bytes]) -> Any:
        keys, top_first, count = mpop_args(argv, 2, (b"MIN", b"MAX"))
        timeout = self._timeout(argv[1])
        return self._bzpop(argv, keys, not top_first, count, timeout)
