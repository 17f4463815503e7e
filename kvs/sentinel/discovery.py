"""What both Sentinel drivers share, with no I/O: the Sentinels' order, their replies read,
the configurations used to reach a Sentinel and a data node, and which commands are reads.

Theory of operation
-------------------
A Sentinel client is a Redis client whose address comes from discovery.  The Sentinels are
asked in order (`Sentinels`); the first that names the master wins and moves to the front,
so the next discovery asks it first (as redis-py does).  A Sentinel that answers null does
not know the service; when every Sentinel that answered says so, the service is unknown
(`UnknownService`, a `kvs.KvsError`: the URL is valid, the name is wrong), and no amount of
retrying helps.  A connection to the address found is accepted only when ``ROLE`` there says
``master`` (or ``slave`` for a replica): anything else is a failover in progress, and the
drivers ask again until ``connect_timeout`` runs out.  A ``READONLY`` refusal from what was
the master means the same; the refused command did not run, so it is sent again to the new
master whether it is idempotent or not.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Generator, Sequence
from typing import Any

from resp import ReplyError

from .._errors import ConnectionError, KvsError
from .._url import Config

__all__ = [
    "MASTER_CHANNEL", "READS", "REPLICA_RETRY", "Address", "NoReplica", "Round", "Sentinels",
    "UnknownService", "ask_in_order", "data_config", "demoted", "is_read", "known_replicas",
    "master_address", "Patience",
    "pick_replica", "pipeline_refused", "refused", "replica_addresses", "role_of",
    "sentinel_config", "switched_to", "transaction_refused",
]

Address = tuple[str, int]

MASTER_CHANNEL = "+switch-master"

# With read_from=prefer_replica, seconds that reads go to the master after no replica could
# be reached, before a replica is tried again.
REPLICA_RETRY = 1.0

# Commands a replica can answer: sent to one when ``read_from`` asks for it.  Everything
# else (writes, scripts, pub/sub, blocking commands) goes to the master.
READS = frozenset({
    b"GET", b"MGET", b"EXISTS", b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME", b"TYPE",
    b"STRLEN", b"GETRANGE", b"SUBSTR", b"LCS", b"KEYS", b"SCAN", b"DBSIZE", b"RANDOMKEY",
    b"LRANGE", b"LLEN", b"LINDEX", b"LPOS", b"HGET", b"HMGET", b"HGETALL", b"HKEYS", b"HVALS",
    b"HLEN", b"HEXISTS", b"HSTRLEN", b"HSCAN", b"HRANDFIELD", b"SMEMBERS", b"SISMEMBER",
    b"SMISMEMBER", b"SCARD", b"SSCAN", b"SINTER", b"SINTERCARD", b"SUNION", b"SDIFF",
    b"SRANDMEMBER", b"ZRANGE", b"ZREVRANGE", b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE",
    b"ZRANGEBYLEX", b"ZREVRANGEBYLEX", b"ZLEXCOUNT", b"ZSCORE", b"ZMSCORE", b"ZCARD", b"ZCOUNT",
    b"ZRANK", b"ZREVRANK", b"ZSCAN", b"ZRANDMEMBER", b"ZINTER", b"ZUNION", b"ZDIFF",
    b"ZINTERCARD", b"XRANGE", b"XREVRANGE", b"XLEN", b"PFCOUNT", b"GETBIT", b"BITCOUNT",
    b"BITPOS", b"GEOPOS", b"GEODIST", b"GEOHASH", b"GEOSEARCH", b"DUMP", b"TOUCH",
    b"OBJECT", b"MEMORY", b"PING", b"ECHO", b"TIME", b"INFO", b"ROLE", b"LASTSAVE",
})


def is_read(argv: Sequence[bytes]) -> bool:
    """Whether a replica may answer `argv` (XREAD only without BLOCK)."""
    name = argv[0].upper()
    if name in READS:
        return True
    if name == b"XREAD":
        return not any(arg.upper() == b"BLOCK" for arg in argv[1:-1])
    return False


class UnknownService(KvsError):
    """No Sentinel knows the service named in the URL."""


class NoReplica(KvsError):
    """The Sentinels know no healthy replica (``read_from``)."""


class Patience:
    """The pauses between attempts (50 ms doubling to 500 ms) within a time limit, on the
    caller's clock (trio's or the monotonic one)."""

    def __init__(self, seconds: float | None, now: float) -> None:
        self._give_up = math.inf if seconds is None else now + seconds
        self._attempt = 0

    def next_pause(self, now: float) -> float | None:
        """Seconds to wait before the next attempt, or None: the time is up."""
        if now >= self._give_up:
            return None
        delay = min(0.05 * 2.0 ** self._attempt, 0.5, self._give_up - now)
        self._attempt += 1
        return delay


class Round:
    """One pass over the Sentinels: what went wrong with each, and the verdict when none
    named the service."""

    def __init__(self, service: str, name: str) -> None:
        self._service = service
        self._name = name
        self._errors: list[str] = []
        self._unknown = False

    def failed(self, address: Address, error: Exception) -> None:
        text = str(error)
        self._errors.append(text if f"{address[0]}:{address[1]}" in text
                            else f"{address[0]}:{address[1]}: {text}")

    def unknown(self) -> None:
        self._unknown = True

    def verdict(self) -> KvsError:
        """`UnknownService` when a Sentinel answered that it does not know the service,
        else `kvs.ConnectionError`: none answered."""
        if self._unknown:
            return UnknownService(f"no Sentinel of {self._name} knows a service named "
                                  f"{self._service!r}")
        return ConnectionError(f"no Sentinel of {self._name} answered: "
                               f"{'; '.join(self._errors)}")


def ask_in_order(sentinels: Sentinels, read: Callable[[Any], Any],
                 service: str, name: str) -> Generator[Address, object, Any]:
    """One pass over the Sentinels, as a sans-IO conversation both drivers drive: yields the
    address of each Sentinel to ask, in order, and receives its reply (or the `kvs.KvsError`
    met asking it).  Returns the first answer `read` makes of a reply that is not None, and
    moves that Sentinel to the front; raises `Round.verdict` when none gives one.

    `read` turns a reply into the answer (None: this Sentinel does not know the service) and
    raises `kvs.KvsError` for a refusal.
    """
    round = Round(service, name)
    for address in sentinels.in_order():
        outcome = yield address
        try:
            if isinstance(outcome, KvsError):
                raise outcome
            answer = read(outcome)
        except KvsError as exc:  # down, refused (NOAUTH, ...), or an odd answer
            round.failed(address, exc)
            continue
        if answer is None:
            round.unknown()
            continue
        sentinels.promote(address)
        return answer
    raise round.verdict()


class Sentinels:
    """The Sentinels in the order to ask them: the last one that answered first."""

    def __init__(self, addresses: Sequence[Address]) -> None:
        self._order = list(addresses)
        self._lock = threading.Lock()  # the blocking driver discovers from many threads

    def in_order(self) -> list[Address]:
        with self._lock:
            return list(self._order)

    def promote(self, address: Address) -> None:
        with self._lock:
            if address in self._order:
                self._order.remove(address)
                self._order.insert(0, address)


def sentinel_config(config: Config, address: Address) -> Config:
    """The configuration to reach one Sentinel: RESP2 (its pub/sub messages are then plain
    arrays on either transport), the Sentinels' own credentials, no database."""
    return config._replace(
        backend="redis", host=address[0], port=address[1], servers=(), name="",
        username=config.sentinel_username, password=config.sentinel_password,
        db=0, protocol=2, display=f"Sentinel {address[0]}:{address[1]} of {config.name!r}")


def data_config(config: Config, address: Address) -> Config:
    """The configuration to reach a master or replica at `address`: the URL's credentials,
    database and options."""
    return config._replace(backend="redis", host=address[0], port=address[1], servers=())


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes | bytearray) else str(value)


def master_address(reply: Any) -> Address | None:
    """The reply of ``SENTINEL GET-MASTER-ADDR-BY-NAME``: ``[ip, port]``, or None (unknown).

    Raises:
        kvs.KvsError: the Sentinel refused (an error reply) or answered something else.
    """
    if reply is None:
        return None
    if isinstance(reply, ReplyError):
        raise KvsError(f"the Sentinel refused: {reply.message}")
    if isinstance(reply, list) and len(reply) == 2:
        try:
            return _text(reply[0]), int(reply[1])
        except ValueError:
            pass
    raise KvsError(f"unexpected reply from a Sentinel: {reply!r}")


def _fields(entry: Any) -> dict[str, str]:
    if isinstance(entry, dict):
        return {_text(k): _text(v) for k, v in entry.items()}
    if isinstance(entry, list):
        return {_text(entry[i]): _text(entry[i + 1]) for i in range(0, len(entry) - 1, 2)}
    return {}


_UNHEALTHY = {"s_down", "o_down", "disconnected"}


def known_replicas(reply: Any) -> list[Address] | None:
    """`replica_addresses`, or None when the Sentinel does not know the service."""
    if type(reply) is ReplyError and "no such master" in reply.message.lower():
        return None
    return replica_addresses(reply)


def replica_addresses(reply: Any) -> list[Address]:
    """The healthy replicas in a ``SENTINEL REPLICAS`` reply (none down or disconnected, the
    link to their master up)."""
    if isinstance(reply, ReplyError):
        raise KvsError(f"the Sentinel refused: {reply.message}")
    addresses = []
    for entry in reply if isinstance(reply, list) else ():
        fields = _fields(entry)
        flags = set(fields.get("flags", "").split(","))
        if flags & _UNHEALTHY or fields.get("master-link-status", "ok") != "ok":
            continue
        try:
            addresses.append((fields["ip"], int(fields["port"])))
        except (KeyError, ValueError):
            continue
    return addresses


def pick_replica(addresses: Sequence[Address]) -> Address | None:
    """One replica, chosen at random so that many clients spread over them."""
    return random.choice(addresses) if addresses else None


def role_of(reply: Any) -> str:
    """``master``, ``slave`` or ``sentinel`` from a ``ROLE`` reply (``?`` when unreadable)."""
    if isinstance(reply, list) and reply:
        return _text(reply[0])
    return "?"


def switched_to(message: Any, service: str) -> Address | None:
    """The new master's address in a ``+switch-master`` message about `service`: the data is
    ``name old-ip old-port new-ip new-port``.  None for any other message."""
    if not isinstance(message, list) or len(message) != 3:
        return None
    kind, channel, data = (_text(part) for part in message)
    if kind != "message" or channel != MASTER_CHANNEL:
        return None
    words = data.split()
    if len(words) != 5 or words[0] != service:
        return None
    try:
        return words[3], int(words[4])
    except ValueError:
        return None


# Refusals that mean "not the master (any more)": a replica's READONLY, and NOREPLICAS from
# a master configured with ``min-replicas-to-write`` that lost its replicas, which is what an
# old master says once its replica was promoted.  Neither ran the command.
_REFUSALS = frozenset({"READONLY", "NOREPLICAS"})


def refused(reply: Any) -> bool:
    """Whether `reply` refuses a write because the node is not a usable master (now)."""
    return type(reply) is ReplyError and reply.code in _REFUSALS


def demoted(replies: Sequence[Any]) -> bool:
    """Whether a reply says its node is a replica (``READONLY``), not merely refusing."""
    return any(type(reply) is ReplyError and reply.code == "READONLY" for reply in replies)


def pipeline_refused(argvs: Sequence[Sequence[bytes]], replies: Sequence[Any]) -> bool:
    """Whether a pipeline met a replica (or a master cut off from its replicas) where the
    master was and changed nothing there: some command was refused (`refused`), and so was
    every command that is not a read (so sending the whole pipeline again runs no write
    twice)."""
    if not any(refused(reply) for reply in replies):
        return False
    return all(refused(reply) or is_read(argv) for argv, reply in zip(argvs, replies, strict=True))


def transaction_refused(replies: Sequence[Any]) -> bool:
    """Whether MULTI ... EXEC met a replica (or a master cut off from its replicas): a
    command refused at queue time (EXEC then aborts) or EXEC refused itself; either way
    nothing of it ran."""
    return any(refused(reply) for reply in replies)
