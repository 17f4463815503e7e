"""The argument types of the operations, as the client's signatures show them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

__all__ = ["Duration", "Key", "Keys", "Seconds", "Value", "ValueMapping"]

Key = str | bytes
Keys = Iterable[Key]
# A time to live: whole seconds (or milliseconds) as an int, or a timedelta.
Seconds = int | datetime.timedelta
Duration = Seconds | None
Value = str | bytes | int | float | bool
# Mapping is invariant in its key type: spell out the shapes a caller's dict may have.  Values
# are checked at run time (a literal mixing int, bytes and bool is a dict[str, object]).
ValueMapping = Mapping[str, object] | Mapping[bytes, object] | Mapping[Key, object]
