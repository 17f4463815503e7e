"""``resp``: a sans-IO RESP2/RESP3 protocol core (bytes in, Python values out).

It imports nothing outside the standard library and does no I/O.

Example:
    >>> import resp
    >>> p = resp.Parser()
    >>> p.feed(b"+OK\\r\\n:4")
    >>> p.next_reply()
    'OK'
    >>> p.next_reply() is resp.NEED_DATA
    True
    >>> p.feed(b"2\\r\\n")
    >>> p.next_reply()
    42
    >>> resp.encode_command("SET", "k", b"v")
    b'*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$1\\r\\nv\\r\\n'
"""

__version__ = "0.1.0"  # the package's one version (pyproject.toml reads it from here)

from resp._encoder import encode_command, encode_reply
from resp._parser import Parser
from resp._types import NEED_DATA, NeedData, ProtocolError, Push, ReplyError, Verbatim

__all__ = [
    "NEED_DATA",
    "NeedData",
    "Parser",
    "ProtocolError",
    "Push",
    "ReplyError",
    "Verbatim",
    "__version__",
    "encode_command",
    "encode_reply",
]
