"""``kvs subscribe CHANNEL...``, ``kvs psubscribe PATTERN...``, ``kvs ssubscribe CHANNEL...``:
print every message until interrupted, the way ``redis-cli`` does.

Output, as redis-cli shows RESP2 pub/sub replies: ``Reading messages... (press Ctrl-C to
quit)``, one confirmation per name (``1) "subscribe"`` / ``2) "news"`` / ``3) (integer) 1``),
then each message (``1) "message"`` / ``2) "news"`` / ``3) "hello"``; a pattern's message
has the pattern before the channel).  When the connection was lost and reopened a line on
stderr says that messages may be missing (the client's gap marker).  It runs on the blocking
client's subscriber, so it never imports trio; Ctrl-C ends it with status 130.  Raw output
(`kvs.cli.format.render`) leaves out the first line, as redis-cli does.

This is the path of the backends other than Redis (``:memory:``, ``memory://NAME``); on a
Redis URL a subscription runs on the command's own connection (`kvs.cli.session`).
"""

from __future__ import annotations

import sys
from typing import TextIO

from resp import ReplyError

from .format import Mode, render

__all__ = ["run_subscribe"]


def run_subscribe(url: str, command: str, names: list[str], out: TextIO | None = None,
                  mode: Mode = "tty") -> int:
    """Subscribe as `command` (``subscribe``, ``psubscribe`` or ``ssubscribe``) and print
    messages for ever.

    Returns:
        1 when no name was given (Redis's error is printed); it never returns otherwise.

    Raises:
        kvs.KvsError: the backend has no pub/sub, or the connection failed.
    """
    from .. import sync
    from .commands import to_bytes

    stream = sys.stdout if out is None else out
    if not names:  # as redis-cli shows Redis's refusal
        error = ReplyError(f"ERR wrong number of arguments for '{command}' command")
        stream.write(_text(render(error, mode)))
        return 1
    words = [to_bytes(name) for name in names]
    with sync.connect(url, decode=False) as db, getattr(db, command)(*words) as sub:
        if mode != "raw":
            print("Reading messages... (press Ctrl-C to quit)", file=stream)
        seen: dict[bytes, None] = {}
        for word in words:
            seen[word] = None
            stream.write(_text(render([command.encode(), word, len(seen)], mode)))
        stream.flush()
        for message in sub:
            if message.kind == "gap":
                print("kvs: the connection was lost and reopened; messages published "
                      "meanwhile may be missing", file=sys.stderr)
                continue
            reply = [message.kind.encode(), message.channel, message.data]
            if message.pattern is not None:
                reply.insert(1, message.pattern)
            stream.write(_text(render(reply, mode)))
            stream.flush()
    return 0


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")
