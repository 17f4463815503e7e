"""``kvs serve``: the memory store as a RESP2/RESP3 server any Redis client can use.

- `Session` (``session.py``): one connection, sans-IO: request bytes in, reply bytes out.
- `RequestReader` (``request.py``): Redis's request grammar, multibulk and inline.
- ``pubsub.py``: a connection's pub/sub mode over the store's broker, and its output bound.
- `ServerState` (``state.py``): what the sessions share: store, password, CONFIG, stats.
- ``admin.py`` and ``introspect.py``: CLIENT, CONFIG, OBJECT, INFO and COMMAND.
- `serve` and `Server` (``listener.py``): the trio listener, one task per client.
"""

from .listener import Server, serve
from .request import RequestError, RequestReader
from .session import Session
from .state import ServerState

__all__ = ["RequestError", "RequestReader", "Server", "ServerState", "Session", "serve"]
