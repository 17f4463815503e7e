"""CLIENT, CONFIG and OBJECT for ``kvs serve``: the commands about clients, settings and values.

Each container command (``CLIENT SETNAME``, ``CONFIG GET``...) is a table of subcommands with
Redis 7.0's arities, so an unknown subcommand and a wrong count get Redis's texts (``unknown
subcommand 'x'. Try CLIENT HELP.``, ``wrong number of arguments for 'client|setname'``).  INFO
and COMMAND live in ``introspect.py``.  Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from resp import ReplyError, Verbatim

from ..memory.glob import match
from ..memory.numbers import parse_int
from . import introspect
from .state import ServerState

if TYPE_CHECKING:
    from .session import Session

__all__ = ["COMMANDS", "CONTAINERS", "client_line", "container"]

Handler = Callable[["Session", list[bytes]], Any]


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# The container commands: a RESP2 subscriber is refused one only once its subcommand and arity
# are known good, as Redis checks them (``'config|get'`` in the error).
CONTAINERS: set[bytes] = set()


def container(name: str, subcommands: dict[bytes, tuple[Handler, int]]) -> Handler:
    """A handler that runs the subcommand named by ``argv[1]``, with Redis's checks."""
    lines = [f"{name.upper()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
             *(sub.decode() for sub in subcommands)]
    CONTAINERS.add(name.upper().encode())

    def run(session: Session, argv: list[bytes]) -> Any:
        sub = argv[1].upper()
        if sub == b"HELP" and len(argv) == 2:
            if session.pubsub is not None:
                refused = session.refused_when_subscribed(argv, name)
                if refused is not None:
                    return refused
            return [line.encode() for line in lines]
        entry = subcommands.get(sub)
        if entry is None:
            return ReplyError(
                f"ERR unknown subcommand '{_text(argv[1][:128])}'. Try {name.upper()} HELP.")
        handler, arity = entry
        full = f"{name}|{sub.decode().lower()}"
        if (len(argv) != arity) if arity > 0 else (len(argv) < -arity):
            return ReplyError(f"ERR wrong number of arguments for '{full}' command")
        if session.pubsub is not None:
            refused = session.refused_when_subscribed(argv, name)
            if refused is not None:
                return refused
        session.last_command = full
        return handler(session, argv)

    return run


# -- CLIENT ------------------------------------------------------------------------------------

def client_line(session: Session, now: float) -> str:
    """One line of CLIENT LIST, with Redis 7.0's fields (buffers not tracked are 0)."""
    name = _text(session.name or b"")
    sub, psub, ssub = (0, 0, 0) if session.pubsub is None else session.pubsub.counts()
    flags = "b" if session.blocked is not None else "P" if sub or psub or ssub else "N"
    return (f"id={session.id} addr={session.peer} laddr={session.local} fd=-1 name={name} "
            f"age={int(now - session.created)} idle={int(now - session.active)} "
            f"flags={flags} db=0 sub={sub} psub={psub} ssub={ssub} multi=-1 "
            f"qbuf={session.reader.buffered} qbuf-free=0 "
            "argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r "
            f"cmd={session.last_command} user=default redir=-1 resp={session.protocol}")


def _client_list(session: Session, argv: list[bytes]) -> Any:
    state = session.state
    chosen = list(state.clients.values())
    i = 2
    while i < len(argv):
        option = argv[i].upper()
        if option == b"TYPE" and i + 1 < len(argv):
            kind = argv[i + 1].lower()
            if kind not in (b"normal", b"master", b"replica", b"slave", b"pubsub"):
                return ReplyError(f"ERR Unknown client type '{_text(argv[i + 1])}'")
            if kind in (b"normal", b"pubsub"):
                chosen = [client for client in chosen
                          if client.subscribed == (kind == b"pubsub")]
            else:
                chosen = []
            i += 2
        elif option == b"ID" and i + 1 < len(argv):
            ids = set()
            for raw in argv[i + 1 :]:
                number = parse_int(raw)
                if number is None or number <= 0:
                    return ReplyError("ERR Invalid client ID")
                ids.add(number)
            chosen = [client for client in chosen if client.id in ids]
            break
        else:
            return ReplyError("ERR syntax error")
    now = state.clock()
    return Verbatim("".join(client_line(client, now) + "\n" for client in chosen))


def _client_setname(session: Session, argv: list[bytes]) -> Any:
    refused = session.set_name(argv[2])
    return "OK" if refused is None else refused


def _client_id(session: Session, argv: list[bytes]) -> Any:
    return session.id


def _client_getname(session: Session, argv: list[bytes]) -> Any:
    return session.name


def _client_info(session: Session, argv: list[bytes]) -> Any:
    return Verbatim(client_line(session, session.state.clock()) + "\n")


_CLIENT: dict[bytes, tuple[Handler, int]] = {
    b"ID": (_client_id, 2),
    b"GETNAME": (_client_getname, 2),
    b"SETNAME": (_client_setname, 3),
    b"LIST": (_client_list, -2),
    b"INFO": (_client_info, 2),
}


# -- CONFIG ------------------------------------------------------------------------------------

def _config_get(session: Session, argv: list[bytes]) -> Any:
    config = session.state.config
    found: dict[bytes, bytes] = {}
    for pattern in argv[2:]:
        lowered = pattern.lower()
        for name, value in config.items():
            key = name.encode()
            if key not in found and match(lowered, key):
                found[key] = value.encode("utf-8", "surrogateescape")
    return found


def _config_set(session: Session, argv: list[bytes]) -> Any:
    if len(argv) % 2:
        return ReplyError("ERR wrong number of arguments for 'config|set' command")
    state = session.state
    pairs = [(_text(argv[i]).lower(), argv[i + 1]) for i in range(2, len(argv), 2)]
    for name, _ in pairs:
        if name not in state.config:
            return ReplyError(
                f"ERR Unknown option or number of arguments for CONFIG SET - '{name}'")
    saved = dict(state.config)
    for name, value in pairs:
        reason = state.set_config(name, value)
        if reason is not None:
            state.config = saved  # all or nothing, as Redis
            return ReplyError(
                f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
    _apply(state)
    return "OK"


def _apply(state: ServerState) -> None:
    limit = state.max_bulk_len
    for client in state.clients.values():
        client.reader.max_bulk_len = limit


def _config_resetstat(session: Session, argv: list[bytes]) -> Any:
    session.state.reset_stats()
    return "OK"


_CONFIG: dict[bytes, tuple[Handler, int]] = {
    b"GET": (_config_get, -3),
    b"SET": (_config_set, -4),
    b"RESETSTAT": (_config_resetstat, 2),
    b"REWRITE": (lambda session, argv: ReplyError(
        "ERR The server is running without a config file"), 2),
}


# -- OBJECT ------------------------------------------------------------------------------------

_SHARED_INTEGERS = 10_000  # Redis shares the objects of the integers 0..9999
_SHARED_REFCOUNT = 2**31 - 1


def _is_long(data: bytes) -> bool:
    return len(data) <= 20 and parse_int(data) is not None


def encoding(value: Any) -> bytes:
    """The encoding Redis 7.0 would report for a value of this type and content."""
    if type(value) is bytes:
        if _is_long(value):
            return b"int"
        return b"embstr" if len(value) <= 44 else b"raw"
    if isinstance(value, dict):
        small = len(value) <= 128 and all(
            len(k) <= 64 and len(v) <= 64 for k, v in value.items())
        return b"listpack" if small else b"hashtable"
    if isinstance(value, set):
        return b"intset" if len(value) <= 512 and all(map(_is_long, value)) else b"hashtable"
    if type(value).__name__ == "Stream":
        return b"stream"
    return b"quicklist"  # lists: Redis 7.0 encodes every list as a quicklist


def _refcount(value: Any) -> int:
    shared = type(value) is bytes and _is_long(value) and 0 <= int(value) < _SHARED_INTEGERS
    return _SHARED_REFCOUNT if shared else 1


def _object(kind: str) -> Handler:
    def run(session: Session, argv: list[bytes]) -> Any:
        if kind == "encoding":
            return session.store.peek(argv[2], encoding)
        if kind == "refcount":
            return session.store.peek(argv[2], _refcount)
        if session.store.peek(argv[2], bool) is None:
            return None
        policy = session.state.config["maxmemory-policy"]
        if kind == "freq":
            if "lfu" not in policy:
                return ReplyError(
                    "ERR An LFU maxmemory policy is not selected, access frequency not "
                    "tracked. Please note that when switching between policies at runtime "
                    "LRU and LFU data will take some time to adjust.")
            return 0
        if "lfu" in policy:
            return ReplyError(
                "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note "
                "that when switching between policies at runtime LRU and LFU data will take "
                "some time to adjust.")
        return 0  # the store keeps no access times: every key reads as just used
    return run


_OBJECT: dict[bytes, tuple[Handler, int]] = {
    b"ENCODING": (_object("encoding"), 3),
    b"REFCOUNT": (_object("refcount"), 3),
    b"IDLETIME": (_object("idletime"), 3),
    b"FREQ": (_object("freq"), 3),
}

# Upper-case name -> (handler, arity, lower-case name), merged into the session's table.
COMMANDS: dict[bytes, tuple[Handler, int, str]] = {
    b"CLIENT": (container("client", _CLIENT), -2, "client"),
    b"CONFIG": (container("config", _CONFIG), -2, "config"),
    b"OBJECT": (container("object", _OBJECT), -2, "object"),
    b"COMMAND": (introspect.command, -1, "command"),
    b"INFO": (introspect.info, -1, "info"),
}
