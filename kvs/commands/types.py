"""The argument types of the operations, as the client's signatures show them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

__all__ = ["Duration", "Key", "Keys", "LexBound", "RangeBound", "ScoreBound", "ScoreMapping",
           "Seconds", "StreamId", "StreamIds", "Streams", "Timeout", "Value", "ValueMapping",
           "Values", "When", "Weights"]

Key = str | bytes
Keys = Iterable[Key]
# A time to live: whole seconds (or milliseconds) as an int, or a timedelta.
Seconds = int | datetime.timedelta
Duration = Seconds | None
# A blocking command's timeout: seconds, fractions allowed; 0 waits for ever.
Timeout = int | float
# A moment: Unix time as an int (seconds, or milliseconds for the ``p`` forms), or a datetime.
When = int | datetime.datetime
Value = str | bytes | int | float | bool
Values = Iterable[Value]
# Mapping is invariant in its key type: spell out the shapes a caller's dict may have.  Values
# are checked at run time (a literal mixing int, bytes and bool is a dict[str, object]).
ValueMapping = Mapping[str, object] | Mapping[bytes, object] | Mapping[Key, object]
# Member -> score (ZADD), key -> weight (ZUNIONSTORE); int scores are accepted as floats.
ScoreMapping = Mapping[str, float] | Mapping[bytes, float] | Mapping[Key, float]
Weights = Keys | ScoreMapping
# A score bound: a number, or Redis's spelling ("(1.5" exclusive, "-inf", "+inf").
ScoreBound = float | str | bytes
# A lexicographic bound: "[a" inclusive, "(a" exclusive, "-" and "+" the ends.
LexBound = str | bytes
# ZRANGE's start and stop: ranks (int), score bounds (byscore) or lex bounds (bylex).
RangeBound = int | float | str | bytes
# A stream id or range bound: "ms-seq", "ms", "-", "+", "(ms-seq", "$", ">", or an int (ms).
StreamId = str | bytes | int
StreamIds = Iterable[StreamId]
# XREAD's streams: key -> the id to read after (checked at run time, as ValueMapping).
Streams = Mapping[str, object] | Mapping[bytes, object] | Mapping[Key, object]
