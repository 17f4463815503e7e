"""INFO and COMMAND for ``kvs serve``: what tools and clients read about the server.

INFO writes Redis 7.0's sections and field names (``# Server``, ``redis_version:``...,
``db0:keys=N,expires=M,avg_ttl=0``, ``cmdstat_get:calls=...``) for the facts this server
has; counters it does not keep (keyspace hits, evictions, replication offsets) read 0.
COMMAND describes the commands served: their names, Redis arities, ``readonly`` or ``write``,
and key positions from ``kvs.commands.traits``; ACL categories, tips, key specs and docs are
left empty.  Nothing here does I/O.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
from typing import TYPE_CHECKING, Any

from resp import ReplyError, Verbatim

from .. import __version__
from ..commands.traits import IDEMPOTENT, KEY_POSITIONS, argv_keys
from .state import REDIS_VERSION, ServerState

if TYPE_CHECKING:
    from .session import Session

__all__ = ["command", "info", "info_text"]

_WRITES_AMONG_IDEMPOTENT = {b"SET", b"MSET", b"EXPIRE", b"PEXPIRE", b"EXPIREAT", b"PEXPIREAT"}
_NOT_DATA = {b"PING", b"ECHO", b"INFO", b"AUTH", b"HELLO", b"QUIT", b"RESET", b"SELECT",
             b"CLIENT", b"CONFIG", b"COMMAND", b"OBJECT"}
_DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication",
                     "cpu", "modules", "errorstats", "cluster", "keyspace")
_ALL_SECTIONS = (*_DEFAULT_SECTIONS, "commandstats")


def _human(size: int) -> str:
    for unit, scale in (("G", 2**30), ("M", 2**20), ("K", 2**10)):
        if size >= scale:
            return f"{size / scale:.2f}{unit}"
    return f"{size}B"


def _section(state: ServerState, name: str) -> list[str]:
    now = state.clock()
    if name == "server":
        uptime = int(now - state.started)
        return [f"redis_version:{REDIS_VERSION}", f"kvs_version:{__version__}",
                "redis_mode:standalone", f"os:{platform.system()} {platform.release()} "
                f"{platform.machine()}", "arch_bits:64", "multiplexing_api:trio",
                f"process_id:{os.getpid()}", f"run_id:{state.run_id}",
                f"tcp_port:{state.config['port']}", f"server_time_usec:{int(now * 1e6)}",
                f"uptime_in_seconds:{uptime}", f"uptime_in_days:{uptime // 86400}",
                f"hz:{state.config['hz']}", f"executable:{sys.executable}", "config_file:"]
    if name == "clients":
        biggest = max((c.reader.buffered for c in state.clients.values()), default=0)
        return [f"connected_clients:{len(state.clients)}", "cluster_connections:0",
                f"maxclients:{state.config['maxclients']}",
                f"client_recent_max_input_buffer:{biggest}",
                "client_recent_max_output_buffer:0",
                f"blocked_clients:{sum(c.blocked is not None for c in state.clients.values())}",
                "tracking_clients:0", "clients_in_timeout_table:0"]
    if name == "memory":
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        limit = int(state.config["maxmemory"])
        return [f"used_memory:{rss}", f"used_memory_human:{_human(rss)}",
                f"used_memory_rss:{rss}", f"used_memory_rss_human:{_human(rss)}",
                f"used_memory_peak:{rss}", f"maxmemory:{limit}",
                f"maxmemory_human:{_human(limit)}",
                f"maxmemory_policy:{state.config['maxmemory-policy']}",
                "mem_allocator:pymalloc"]
    if name == "persistence":
        return ["loading:0", "async_loading:0", "rdb_changes_since_last_save:0",
                "rdb_bgsave_in_progress:0", f"rdb_last_save_time:{int(state.started)}",
                "rdb_last_bgsave_status:ok", "aof_enabled:0", "aof_rewrite_in_progress:0"]
    if name == "stats":
        return [f"total_connections_received:{state.connections_received}",
                f"total_commands_processed:{state.commands_processed}",
                "instantaneous_ops_per_sec:0", f"total_net_input_bytes:{state.net_input}",
                f"total_net_output_bytes:{state.net_output}", "rejected_connections:0",
                "expired_keys:0", "evicted_keys:0", "keyspace_hits:0", "keyspace_misses:0",
                f"pubsub_channels:{len(state.store.broker.channels)}",
                f"pubsub_patterns:{len(state.store.broker.patterns)}",
                f"total_error_replies:{sum(state.errors.values())}"]
    if name == "replication":
        return ["role:master", "connected_slaves:0", "master_failover_state:no-failover",
                f"master_replid:{state.run_id}", "master_repl_offset:0"]
    if name == "cpu":
        times = os.times()
        return [f"used_cpu_sys:{times.system:.6f}", f"used_cpu_user:{times.user:.6f}"]
    if name == "cluster":
        return ["cluster_enabled:0"]
    if name == "keyspace":
        keys = state.store.key_count()
        expires = state.store.expires_count()
        return [f"db0:keys={keys},expires={expires},avg_ttl=0"] if keys else []
    if name == "commandstats":
        return [f"cmdstat_{cmd}:calls={s.calls},usec={s.usec},"
                f"usec_per_call={s.usec / s.calls if s.calls else 0:.2f},"
                f"rejected_calls={s.rejected},failed_calls={s.failed}"
                for cmd, s in state.commands.items() if s.calls]
    if name == "errorstats":
        return [f"errorstat_{code}:count={count}" for code, count in state.errors.items()]
    return []  # modules: none


def info_text(state: ServerState, sections: list[str]) -> str:
    """INFO's text for the sections asked (none: the default ones), as Redis lays it out."""
    chosen: list[str] = []
    for section in sections or ["default"]:
        if section in ("all", "everything"):
            chosen.extend(_ALL_SECTIONS)
        elif section == "default":
            chosen.extend(_DEFAULT_SECTIONS)
        else:
            chosen.append(section)
    parts = []
    for section in dict.fromkeys(chosen):
        if section in _ALL_SECTIONS:
            title = section.capitalize() if section != "cpu" else "CPU"
            parts.append("".join(f"{line}\r\n" for line in [f"# {title}",
                                                             *_section(state, section)]))
    return "\r\n".join(parts)


def info(session: Session, argv: list[bytes]) -> Any:
    """INFO [section ...]: a verbatim string in RESP3, a bulk string in RESP2."""
    names = [arg.decode("utf-8", "replace").lower() for arg in argv[1:]]
    return Verbatim(info_text(session.state, names))


# -- COMMAND -----------------------------------------------------------------------------------

def _served() -> dict[bytes, int]:
    from .session import served_commands

    return served_commands()


def _info_entry(name: bytes, arity: int) -> list[Any]:
    first, last, step = KEY_POSITIONS.get(name, (0, 0, 0))
    if name in _NOT_DATA:
        flags = {"fast"}
    elif name in IDEMPOTENT and name not in _WRITES_AMONG_IDEMPOTENT:
        flags = {"readonly"}
    else:
        flags = {"write"}
    return [name.lower(), arity, flags, first, last, step, set(), set(), [], []]


def command(session: Session, argv: list[bytes]) -> Any:
    """COMMAND, COMMAND COUNT|LIST|INFO|DOCS|GETKEYS: the commands this server runs."""
    served = _served()
    if len(argv) == 1:
        return [_info_entry(name, arity) for name, arity in served.items()]
    sub = argv[1].upper()
    full = f"command|{sub.decode('utf-8', 'replace').lower()}"
    arities = {b"COUNT": 2, b"LIST": -2, b"INFO": -2, b"DOCS": -2, b"GETKEYS": -4}
    arity = arities.get(sub)
    if arity is None:
        text = argv[1][:128].decode("utf-8", "replace")
        return ReplyError(f"ERR unknown subcommand '{text}'. Try COMMAND HELP.")
    if (len(argv) != arity) if arity > 0 else (len(argv) < -arity):
        return ReplyError(f"ERR wrong number of arguments for '{full}' command")
    session.last_command = full
    if sub == b"COUNT":
        return len(served)
    if sub == b"LIST":
        return [name.lower() for name in served]
    if sub == b"INFO":
        names = [arg.upper() for arg in argv[2:]] or list(served)
        return [_info_entry(name, served[name]) if name in served else None for name in names]
    if sub == b"DOCS":
        names = [arg.upper() for arg in argv[2:]] or list(served)
        return {name.lower(): {} for name in names if name in served}
    target = argv[2:]
    arity = served.get(target[0].upper())
    if arity is None:
        return ReplyError("ERR Invalid command specified")
    keys = argv_keys(target)
    if not keys and target[0].upper() not in KEY_POSITIONS:
        return ReplyError("ERR The command has no key arguments")
    if (len(target) != arity) if arity > 0 else (len(target) < -arity):
        return ReplyError("ERR Invalid number of arguments specified for command")
    return keys if keys else ReplyError("ERR Invalid arguments specified for command")
