"""The sans-IO session of ``kvs serve``: request bytes in, reply bytes out, no network.

Most cases are differential: the same request bytes go to a real redis-server and to a
session, and the reply bytes must be equal.  Every script is also fed to a fresh session a
byte at a time and must give the same bytes, as must the same script followed by more input.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

import resp
from kvs.memory.store import Store
from kvs.server import RequestReader, ServerState, Session
from kvs.server.request import split_inline
from tests.servers import RedisServer


def replies(data: bytes) -> list[Any]:
    """Every reply in `data`, parsed."""
    parser = resp.Parser()
    parser.feed(data)
    out: list[Any] = []
    while (reply := parser.next_reply()) is not resp.NEED_DATA:
        out.append(reply)
    return out


def new_session(password: str | None = None, store: Store | None = None) -> Session:
    return Session(ServerState(store or Store(), password=password))


def bytewise(data: bytes, password: str | None = None) -> bytes:
    session = new_session(password)
    out = b""
    for i in range(len(data)):
        out += session.receive(data[i : i + 1])
        if session.closing:
            break
    return out


def from_redis(server: RedisServer, data: bytes, replies: int) -> bytes:
    """The bytes redis-server answers to `data`: `replies` replies, or all until it closes."""
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(data)
        parser = resp.Parser()
        received = b""
        count = 0
        while count < replies:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
            parser.feed(chunk)
            while parser.next_reply() is not resp.NEED_DATA:
                count += 1
        return received


def masked(data: bytes) -> list[bytes]:
    """The reply lines, with HELLO's client id and server version masked."""
    lines = data.split(b"\r\n")
    for i in range(len(lines)):
        if i >= 1 and lines[i - 1] == b"id":
            lines[i] = b"<id>"
        elif b"version" in (lines[i - 1] if i >= 1 else b"", lines[i - 2] if i >= 2 else b""):
            lines[i] = b"<version>"
    return lines


@pytest.fixture
def redis_flushed(redis_url: str, redis_server: RedisServer) -> RedisServer:
    return redis_server


# Request scripts whose replies carry no id, address or version: (bytes, reply count).
SCRIPTS: list[tuple[bytes, int]] = [
    (b"PING\r\n", 1),
    (b"ping\n", 1),
    (b"\r\n\r\nPING\r\n", 1),
    (b"*0\r\n*-1\r\nPING\r\n", 1),
    (b"*1\r\n$4\r\nPINGxxPING\r\n", 2),  # the two bytes after a payload are not checked
    (b"*2\r\n$4\r\necho\r\n$1\r\nAB\r\nPING\r\n", 2),
    (b"SET k v\r\nGET k\r\nINCR k\r\nLPUSH k x\r\nGET nokey\r\nDEL k\r\n", 6),
    (b"SET n 10\r\nINCRBY n 5\r\nGET n\r\nSETEX t 100 v\r\nTTL t\r\n", 5),
    (b"RPUSH l a b c\r\nLRANGE l 0 -1\r\nHSET h f v\r\nHGETALL h\r\nSADD s m\r\n", 5),
    (b"MULTI\r\nINCR n\r\nRPUSH q a\r\nEXEC\r\nEXEC\r\nDISCARD\r\n", 6),
    (b"MULTI\r\nMULTI\r\nSET a b\r\nLPUSH a x\r\nEXEC\r\nGET a\r\n", 6),
    (b"MULTI\r\nSET a\r\nINCR a\r\nEXEC\r\nWATCH a\r\nMULTI\r\nWATCH b\r\nDISCARD\r\n", 8),
    (b"WATCH w\r\nSET w 1\r\nMULTI\r\nINCR w\r\nEXEC\r\nUNWATCH\r\n", 6),
    (b"ZADD z 1 a 2 b\r\nZRANGE z 0 -1 WITHSCORES\r\nZSCORE z b\r\nPFADD p x y\r\n", 4),
    (b"LPOP nokey 2\r\nLPOP nokey\r\nLMPOP 1 nokey LEFT\r\n", 3),
    (b"ZADD z 0.1 a 1e20 b -0 c 3 d\r\nZRANGEBYSCORE z -inf +inf WITHSCORES\r\n"
     b"ZPOPMIN z 2\r\nZPOPMAX z\r\nZINCRBY z 2.5 q\r\nZSCORE z q\r\n", 6),
    (b"set a \"x\\x41\\n\" 'q\\'s'\r\nget a\r\n", 2),  # three words: syntax error
    (b"set a \"x\\x41\\n\"\r\nget a\r\n", 2),
    (b"  echo   spaced  \r\n", 1),
    (b"FOO a b\r\nfoo\r\nFOO " + b"x" * 200 + b"\r\n", 3),
    (b"GET\r\nPING a b\r\nSET k\r\nECHO\r\n", 4),
    (b"SELECT 0\r\nSELECT 16\r\nSELECT x\r\nSELECT -1\r\n", 4),
    (b"AUTH x\r\nAUTH a b\r\nAUTH a b c\r\nAUTH default anything\r\n", 4),
    (b"HELLO 4\r\nHELLO x\r\nHELLO 3 foo\r\nHELLO 2 SETNAME \"a b\"\r\n", 4),
    (b"CLIENT\r\nCLIENT foo\r\nCLIENT SETNAME\r\nCLIENT SETNAME a\r\nCLIENT GETNAME\r\n", 5),
    (b"CLIENT SETNAME \"a b\"\r\nCLIENT SETNAME \"\"\r\nCLIENT GETNAME\r\n", 3),
    (b"HELLO 3 SETNAME n\r\nCLIENT GETNAME\r\nGET nokey\r\nHGETALL nokey\r\nRESET\r\n"
     b"GET nokey\r\nCLIENT GETNAME\r\n", 7),
    (b"CONFIG\r\nCONFIG GET save\r\nCONFIG GET appendonly\r\nCONFIG SET foo bar\r\n"
     b"CONFIG SET maxmemory 1x\r\nCONFIG SET proto-max-bulk-len 10\r\nCONFIG REWRITE\r\n"
     b"CONFIG SET databases 3\r\nCONFIG SET maxmemory 0\r\n", 9),
    (b"COMMAND GETKEYS set a b\r\nCOMMAND GETKEYS get\r\nCOMMAND GETKEYS foo x\r\n"
     b"COMMAND GETKEYS ping x\r\nCOMMAND GETKEYS get a b\r\nCOMMAND GETKEYS mset a 1 b 2\r\n"
     b"COMMAND foo\r\n", 7),
    (b"SET s abc\r\nSET i 123\r\nSET big " + b"x" * 50 + b"\r\nRPUSH l a\r\nHSET h f v\r\n"
     b"SADD si 1 2\r\nSADD ss a\r\nOBJECT ENCODING s\r\nOBJECT ENCODING i\r\n"
     b"OBJECT ENCODING big\r\nOBJECT ENCODING l\r\nOBJECT ENCODING h\r\n"
     b"OBJECT ENCODING si\r\nOBJECT ENCODING ss\r\nOBJECT ENCODING nokey\r\n"
     b"OBJECT REFCOUNT i\r\nOBJECT REFCOUNT s\r\nOBJECT FREQ s\r\nOBJECT foo\r\nOBJECT\r\n", 20),
    (b"QUIT\r\nPING\r\n", 9),
    # Protocol errors: Redis replies, then closes the connection.
    (b"*1\r\n:1\r\n", 9),
    (b"*x\r\n", 9),
    (b"*1\r\n$x\r\n", 9),
    (b"*1\r\n$-1\r\n", 9),
    (b"*01\r\n$4\r\nPING\r\n", 9),
    (b"*1\r\n$+4\r\nPING\r\n", 9),
    (b"*3000000000\r\n", 9),
    (b"*2\r\n$4\r\necho\r\n$600000000\r\n", 9),
    (b'PING\r\nset a "b\r\nPING\r\n', 9),
    (b'set a "b"c\r\n', 9),
    (b"x" * (64 * 1024 + 10), 9),
    (b"*" + b"1" * (64 * 1024 + 10), 9),
]


@pytest.mark.parametrize(("script", "replies"), SCRIPTS, ids=lambda v: repr(v)[:40])
def test_same_bytes_as_redis(redis_flushed: RedisServer, script: bytes, replies: int) -> None:
    expected = masked(from_redis(redis_flushed, script, replies))
    assert masked(new_session().receive(script)) == expected
    assert masked(bytewise(script)) == expected


NOAUTH_SCRIPTS: list[tuple[bytes, int]] = [
    (b"GET k\r\nFOO\r\nGET\r\nPING\r\nHELLO 3\r\nAUTH wrong\r\nAUTH default wrong\r\n"
     b"AUTH secret\r\nGET k\r\nRESET\r\nGET k\r\nHELLO 2 AUTH default secret\r\nGET k\r\n", 13),
    (b"*11\r\n", 9),  # more than 10 words before AUTH
    (b"*2\r\n$4\r\nAUTH\r\n$20000\r\n", 9),  # a bulk over 16 KiB before AUTH
    (b"AUTH secret\r\n*11\r\n" + b"$1\r\nx\r\n" * 11, 2),  # allowed once authenticated
]


@pytest.mark.parametrize(("script", "replies"), NOAUTH_SCRIPTS, ids=lambda v: repr(v)[:40])
def test_same_bytes_as_redis_with_password(
    redis_server_factory: Callable[..., RedisServer], script: bytes, replies: int
) -> None:
    server = redis_server_factory(password="secret")
    expected = from_redis(server, script, replies)
    assert masked(new_session("secret").receive(script)) == masked(expected)
    assert masked(bytewise(script, "secret")) == masked(expected)


def test_hello_map_matches_redis(redis_flushed: RedisServer) -> None:
    for script in (b"HELLO 3\r\n", b"HELLO 2\r\n", b"HELLO\r\n"):
        session = new_session()
        [expected] = replies(from_redis(redis_flushed, script, 1))
        [got] = replies(session.receive(script))
        if isinstance(expected, list):  # RESP2: a flat list of pairs
            expected, got = dict(zip(expected[::2], expected[1::2], strict=True)), dict(
                zip(got[::2], got[1::2], strict=True))
        assert expected.keys() == got.keys()
        assert got[b"id"] == session.id
        assert got[b"version"] == b"7.0.0"
        for key in (b"server", b"proto", b"mode", b"role", b"modules"):
            assert got[key] == expected[key]


def test_resp3_shapes_after_hello_3() -> None:
    session = new_session()
    session.receive(b"HELLO 3\r\n")
    out = session.receive(b"GET nokey\r\nHSET h f v\r\nHGETALL h\r\nSADD s m\r\nSMEMBERS s\r\n")
    assert out == b"_\r\n:1\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n:1\r\n~1\r\n$1\r\nm\r\n"
    assert session.receive(b"HELLO 2\r\n").startswith(b"*14\r\n")
    assert session.receive(b"HGETALL h\r\nGET nokey\r\n") == (
        b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n$-1\r\n")


def test_protocol_error_closes_only_after_earlier_replies() -> None:
    session = new_session()
    out = session.receive(b"PING\r\n*1\r\n:1\r\nPING\r\n")
    assert out == b"+PONG\r\n-ERR Protocol error: expected '$', got ':'\r\n"
    assert session.closing
    assert session.receive(b"PING\r\n") == b""  # nothing more once closing


def test_trailing_bytes_wait_for_the_rest() -> None:
    session = new_session()
    assert session.receive(b"PING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhel") == b"+PONG\r\n"
    assert session.receive(b"lo") == b""
    assert session.receive(b"\r\n") == b"$5\r\nhello\r\n"
    assert not session.closing


def test_big_value_in_small_chunks_is_linear() -> None:
    value = b"v" * (8 * 2**20)
    data = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n%b\r\n" % (len(value), value)
    session = new_session()
    start = time.perf_counter()
    out = b"".join(session.receive(data[i : i + 1024]) for i in range(0, len(data), 1024))
    assert time.perf_counter() - start < 5  # quadratic joining would take minutes
    assert out == b"+OK\r\n"
    assert session.store.execute((b"STRLEN", b"k")) == len(value)


def test_long_inline_line_byte_by_byte() -> None:
    data = b"ECHO " + b"x" * 60_000 + b"\r\n"
    assert bytewise(data) == b"$60000\r\n" + b"x" * 60_000 + b"\r\n"


def test_bulk_limit_follows_config_set() -> None:
    state = ServerState(Store())
    session, other = Session(state), Session(state)
    assert session.receive(b"CONFIG SET proto-max-bulk-len 1mb\r\n") == b"+OK\r\n"
    big = b"*2\r\n$4\r\nECHO\r\n$%d\r\n" % (2**20 + 1)
    assert other.receive(big) == b"-ERR Protocol error: invalid bulk length\r\n"
    assert session.receive(b"CONFIG GET proto-max-bulk-len\r\n") == (
        b"*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n")


def test_query_buffer_limit_closes_without_reply() -> None:
    state = ServerState(Store())
    state.config["client-query-buffer-limit"] = str(2**20)
    session = Session(state)
    out = session.receive(b"*2\r\n$4\r\nECHO\r\n$3000000\r\n" + b"x" * (2**20 + 10))
    assert out == b"" and session.closing


def test_client_id_list_info_and_registry() -> None:
    state = ServerState(Store())
    first = Session(state, peer="127.0.0.1:5000", local="127.0.0.1:6379")
    second = Session(state, peer="127.0.0.1:5001")
    assert first.receive(b"CLIENT ID\r\n") == b":%d\r\n" % first.id
    assert second.id == first.id + 1
    first.receive(b"CLIENT SETNAME worker\r\n")
    listing = second.receive(b"CLIENT LIST\r\n").decode()
    lines = [line for line in listing.split("\r\n", 1)[1].splitlines() if line]
    assert len(lines) == 2
    assert lines[0].startswith(f"id={first.id} addr=127.0.0.1:5000 laddr=127.0.0.1:6379 ")
    assert " name=worker " in lines[0] and " cmd=client|setname " in lines[0]
    assert lines[1].endswith("cmd=client|list user=default redir=-1 resp=2")
    assert f"id={second.id} " in second.receive(b"CLIENT INFO\r\n").decode()
    only = second.receive(b"CLIENT LIST ID %d\r\n" % first.id).decode()
    assert only.count("id=") == 1 and "name=worker" in only
    first.close()
    assert second.receive(b"CLIENT LIST\r\n").decode().count("id=") == 1


def test_info_sections_and_stats() -> None:
    session = new_session()
    session.receive(b"SET a 1\r\nSET b 2\r\nEXPIRE b 100\r\nGET a\r\nFOO\r\nLPUSH a x\r\n")
    text = session.receive(b"INFO\r\n").decode()
    for header in ("# Server", "# Clients", "# Memory", "# Stats", "# Keyspace"):
        assert f"\r\n{header}\r\n" in "\r\n" + text
    assert "redis_version:7.0.0\r\n" in text
    assert "connected_clients:1\r\n" in text and "blocked_clients:0\r\n" in text
    assert "db0:keys=2,expires=1,avg_ttl=0\r\n" in text
    assert "total_commands_processed:5\r\n" in text  # FOO was never run
    stats = session.receive(b"INFO commandstats\r\n").decode()
    assert stats.startswith("$")
    assert "cmdstat_set:calls=2," in stats and "cmdstat_lpush:calls=1," in stats
    assert "failed_calls=1" in stats.split("cmdstat_lpush")[1].split("\r\n")[0]
    errors = session.receive(b"INFO errorstats\r\n").decode()
    assert "errorstat_ERR:count=1\r\n" in errors and "errorstat_WRONGTYPE:count=1" in errors
    assert session.receive(b"CONFIG RESETSTAT\r\n") == b"+OK\r\n"
    assert "cmdstat_set" not in session.receive(b"INFO commandstats\r\n").decode()


def test_command_count_list_info() -> None:
    session = new_session()
    count, names, info = replies(
        session.receive(b"COMMAND COUNT\r\nCOMMAND LIST\r\nCOMMAND INFO get nope\r\n"))
    assert count == len(names) and b"get" in names and b"hello" in names
    assert info[0][:6] == [b"get", 2, ["readonly"], 1, 1, 1]
    assert info[1] is None


def test_memory_url_shares_the_store() -> None:
    store = Store()
    session = new_session(store=store)
    session.receive(b"SET shared yes\r\n")
    assert store.execute((b"GET", b"shared")) == b"yes"


def test_unsupported_store_command_is_unknown() -> None:
    session = new_session()
    out = session.receive(b"GEOADD g 1 2 p\r\nSELECT 1\r\nPING\r\n")
    assert out == (b"-ERR unknown command 'GEOADD', with args beginning with: 'g' '1' '2' 'p' "
                   b"\r\n-ERR DB index is out of range\r\n+PONG\r\n")


def test_split_inline_words() -> None:
    assert split_inline(b'a "b c" \'d e\' "\\x41\\n\\q"') == [b"a", b"b c", b"d e", b"A\nq"]
    assert split_inline(b"") == []
    assert split_inline(b'"a') is None
    assert split_inline(b"'a'b") is None


def test_reader_accepts_any_split() -> None:
    data = b"*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\nPING\r\n*1\r\n$4\r\nPING\r\n"
    for cut in range(len(data) + 1):
        reader = RequestReader()
        reader.feed(data[:cut])
        got = []
        while (command := reader.next_command()) is not None:
            got.append(command)
        reader.feed(data[cut:])
        while (command := reader.next_command()) is not None:
            got.append(command)
        assert got == [[b"ECHO", b"abc"], [b"PING"], [b"PING"]], cut
        assert reader.buffered == 0
