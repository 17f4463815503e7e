# Generated from kvs/client/script.py by scripts/unasync.py: do not edit; edit the source
# and run `python scripts/unasync.py`.
"""`Script`: a Lua script called by its SHA1, loaded on the server only when missing.

``db.register_script(source)`` computes the script's SHA1 locally; each call sends EVALSHA.
When the server answers NOSCRIPT (it never held the script, or SCRIPT FLUSH or a restart
emptied its cache), the script did not run: it is loaded with SCRIPT LOAD and the EVALSHA
sent once more.  A call whose EVALSHA may have run (the connection broke after writing it) is
never sent again: `kvs.ConnectionError`, as for EVAL.

In a pipeline or a transaction (``p.run_script(script, keys, args)``) the builder asks
SCRIPT EXISTS for the scripts it holds and loads the missing ones before it sends anything,
so an EVALSHA inside MULTI/EXEC never meets NOSCRIPT (unless a SCRIPT FLUSH lands in
between).

This module is trio source for ``scripts/unasync.py`` like the rest of the folder.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic

from resp import ReplyError

from ..._errors import ResponseError, response_error
from .._open import Backend
from ...commands import scripting as _scripting
from ...commands._args import value_bytes
from ...commands.types import Keys, Value, Values
from ._operations import R

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Script", "load_missing"]


class Script(Generic[R]):
    """A Lua script bound to a client; get one from `Client.register_script`.

    Example::

        release = db.register_script(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then "
            "return redis.call('DEL', KEYS[1]) end return 0")
        release(keys=["lock:job"], args=[token])       # 1 when it held the lock
    """

    __slots__ = ("_client", "sha", "source")

    def __init__(self, client: Client[R], source: Value) -> None:
        self._client: Client[R] = client
        self.source: bytes = value_bytes("register_script", source, "script")
        self.sha: str = hashlib.sha1(self.source).hexdigest()

    def __repr__(self) -> str:
        return f"<kvs.Script {self.sha}>"

    def __call__(self, keys: Keys = (), args: Values = ()) -> Any:
        """Run the script (EVALSHA; on NOSCRIPT, SCRIPT LOAD and EVALSHA once more).

        Returns:
            The script's reply, as `Client.eval` returns it.

        Raises:
            kvs.ResponseError: the script failed (Redis's text, e.g. ``ERR user_script:1:
                ...``).
            kvs.ConnectionError: the connection broke once the EVALSHA may have run.
        """
        client = self._client
        try:
            return client.evalsha(self.sha, keys, args)
        except ResponseError as exc:
            if exc.code != "NOSCRIPT":
                raise
        client.script_load(self.source)
        return client.evalsha(self.sha, keys, args)


def load_missing(backend: Callable[[], Backend], scripts: Sequence[Script[Any]]) -> None:
    """SCRIPT LOAD each of `scripts` that SCRIPT EXISTS says the server lacks."""
    unique = list({script.sha: script for script in scripts}.values())
    if not unique:
        return
    exists = _scripting.script_exists(*(script.sha for script in unique))
    reply = backend().execute(exists.argv, idempotent=True)
    if type(reply) is ReplyError:
        raise response_error(reply)
    for script, held in zip(unique, exists.decode(reply, False), strict=True):
        if not held:
            load = _scripting.script_load(script.source)
            answer = backend().execute(load.argv, idempotent=True)
            if type(answer) is ReplyError:
                raise response_error(answer)
