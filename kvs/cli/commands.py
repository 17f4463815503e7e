"""Command words -> client calls, for the one-shot command and the shell.

Every operation of the SPEC is mapped to its method of the blocking client, so a command
works on every backend; the result is turned back into the reply Redis would have sent
(``set`` -> ``OK`` or ``(nil)``, ``exists`` -> ``(integer) 1``) for `format_reply`.  A word
that is not in the table, or a known command with more arguments than the method takes
(``lpop key 3``, ``expire key 10 NX``), goes through ``execute`` as a raw Redis command.

Arguments arrive as text and are sent as UTF-8 bytes (undecodable command-line bytes are kept
as they were, through ``surrogateescape``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._errors import ResponseError
from ..commands.strings import parse_set_options

if TYPE_CHECKING:
    from ..sync import Client

__all__ = ["COMMANDS", "Command", "run_command"]

Args = list[bytes]


@dataclass(frozen=True)
class Command:
    """One mapped command: its argument counts, its call, and its synopsis for ``help``."""

    min_args: int
    max_args: int | None
    call: Callable[[Client[bytes], Args], Any]
    synopsis: str


def _integer(raw: bytes) -> int:
    text = raw.decode("ascii", "replace").strip()
    try:
        return int(text)
    except ValueError:
        raise ResponseError("ERR value is not an integer or out of range") from None


def _pairs(name: str, args: Args) -> list[tuple[bytes, bytes]]:
    if len(args) % 2:
        raise _arity(name)
    return list(zip(args[::2], args[1::2], strict=True))


def _arity(name: str) -> ResponseError:
    return ResponseError(f"ERR wrong number of arguments for '{name}' command")


def _set(db: Client[bytes], args: Args) -> Any:
    key, value = args[0], args[1]
    options = parse_set_options([b"SET", *args])
    if options is None:
        raise ResponseError("ERR syntax error")
    if options.get or options.keepttl or options.unit in (b"EXAT", b"PXAT"):
        return db.execute(b"SET", *args)  # no typed form: the server decides
    expiry: dict[str, Any] = {}
    if options.unit:
        expiry[options.unit.lower().decode()] = _integer(options.expire)
    done = db.set(key, value, nx=options.nx, xx=options.xx, **expiry)
    return "OK" if done else None


def _hset(db: Client[bytes], args: Args) -> int:
    key, *rest = args
    return sum(db.hset(key, field, value) for field, value in _pairs("hset", rest))


def _mset(db: Client[bytes], args: Args) -> str:
    mapping: dict[str | bytes, bytes] = dict(_pairs("mset", args))
    db.mset(mapping)
    return "OK"


COMMANDS: dict[str, Command] = {
    "get": Command(1, 1, lambda db, a: db.get(a[0]), "get KEY"),
    "set": Command(2, None, _set, "set KEY VALUE [EX seconds | PX milliseconds] [NX | XX]"),
    "del": Command(1, None, lambda db, a: db.delete(*a), "del KEY [KEY ...]"),
    "delete": Command(1, None, lambda db, a: db.delete(*a), "delete KEY [KEY ...]"),
    "exists": Command(1, None, lambda db, a: sum(db.exists(k) for k in a),
                      "exists KEY [KEY ...]"),
    "keys": Command(0, 1, lambda db, a: db.keys(a[0] if a else b"*"), "keys [PATTERN]"),
    "expire": Command(2, 2, lambda db, a: int(db.expire(a[0], _integer(a[1]))),
                      "expire KEY SECONDS"),
    "ttl": Command(1, 1, lambda db, a: db.ttl(a[0]), "ttl KEY"),
    "incr": Command(1, 1, lambda db, a: db.incr(a[0]), "incr KEY"),
    "incrby": Command(2, 2, lambda db, a: db.incr(a[0], _integer(a[1])), "incrby KEY AMOUNT"),
    "decr": Command(1, 1, lambda db, a: db.decr(a[0]), "decr KEY"),
    "decrby": Command(2, 2, lambda db, a: db.decr(a[0], _integer(a[1])), "decrby KEY AMOUNT"),
    "lpush": Command(2, None, lambda db, a: db.lpush(a[0], *a[1:]), "lpush KEY VALUE [VALUE ...]"),
    "rpush": Command(2, None, lambda db, a: db.rpush(a[0], *a[1:]), "rpush KEY VALUE [VALUE ...]"),
    "lpop": Command(1, 1, lambda db, a: db.lpop(a[0]), "lpop KEY"),
    "rpop": Command(1, 1, lambda db, a: db.rpop(a[0]), "rpop KEY"),
    "lrange": Command(3, 3, lambda db, a: db.lrange(a[0], _integer(a[1]), _integer(a[2])),
                      "lrange KEY START STOP"),
    "hset": Command(3, None, _hset, "hset KEY FIELD VALUE [FIELD VALUE ...]"),
    "hget": Command(2, 2, lambda db, a: db.hget(a[0], a[1]), "hget KEY FIELD"),
    "hgetall": Command(1, 1, lambda db, a: db.hgetall(a[0]), "hgetall KEY"),
    "sadd": Command(2, None, lambda db, a: db.sadd(a[0], *a[1:]), "sadd KEY MEMBER [MEMBER ...]"),
    "smembers": Command(1, 1, lambda db, a: db.smembers(a[0]), "smembers KEY"),
    "mget": Command(1, None, lambda db, a: db.mget(a), "mget KEY [KEY ...]"),
    "mset": Command(2, None, _mset, "mset KEY VALUE [KEY VALUE ...]"),
    "ping": Command(0, 0, lambda db, a: "PONG" if db.ping() else None, "ping"),
    "publish": Command(2, 2, lambda db, a: db.publish(a[0], a[1]), "publish CHANNEL MESSAGE"),
    "spublish": Command(2, 2, lambda db, a: db.spublish(a[0], a[1]), "spublish CHANNEL MESSAGE"),
}


def to_bytes(word: str | bytes) -> bytes:
    """A command-line word as the bytes to send."""
    return word if isinstance(word, bytes) else word.encode("utf-8", "surrogateescape")


def run_command(db: Client[bytes], words: Sequence[str | bytes]) -> Any:
    """Run one command line (already split into words) and return its reply as Redis would.

    Raises:
        kvs.ResponseError: the server (or the argument check here) refused the command.
        kvs.KvsError: the backend cannot run it, or the connection failed.
    """
    head = to_bytes(words[0])
    name = head.decode("utf-8", "surrogateescape").lower()
    args = [to_bytes(word) for word in words[1:]]
    command = COMMANDS.get(name)
    if command is None or (command.max_args is not None and len(args) > command.max_args):
        return db.execute(head, *args)
    if len(args) < command.min_args:
        raise _arity(name)
    return command.call(db, args)
