"""The ``kvs`` command line, read the way ``redis-cli`` reads its own.

Options come first and end at the first word that is not an option (the command), so
``kvs -h 127.0.0.1 -p 6379 ping`` runs PING and ``kvs lrange q 0 -1`` keeps its ``-1``.  An
option kvs does not know is refused with redis-cli's message, with status 2 (redis-cli's is
1): 2 is what a command line that cannot be read gives everywhere else in kvs.

Where the server is: ``-u URL``/``--url URL`` (any kvs URL), then ``-h HOST``, ``-p PORT``,
``-s SOCKET``, ``--tls``, ``--user``, ``-a PASSWORD`` (or ``--pass``, or ``$REDISCLI_AUTH``)
and ``-n DB`` change the parts of a Redis URL.  With none of them the URL is ``$KVS_URL``,
else ``:memory:``; ``-h``, ``-p``, ``-s`` or ``--tls`` without a URL mean
``redis://127.0.0.1:6379`` as for redis-cli.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote as url_quote
from urllib.parse import unquote, urlsplit, urlunsplit

from .._errors import InvalidURL
from .._url import DEFAULT_URL, mask_url

_REDIS_SCHEMES = ("redis", "rediss", "unix", "redis+unix")

__all__ = ["AUTH_WARNING", "Options", "UsageError", "auth_warning", "compose_url",
           "parse_options", "usage"]

AUTH_WARNING = ("Warning: Using a password with '-a' or '-u' option on the command line "
                "interface may not be safe.")


class UsageError(Exception):
    """The command line cannot be read; the message is what to print on stderr."""


@dataclass
class Options:
    """What the command line asked for (see ``kvs --help``)."""

    url: str | None = None
    host: str | None = None
    port: int | None = None
    socket: str | None = None
    user: str | None = None
    password: str | None = None
    db: int | None = None
    tls: bool = False
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None
    insecure: bool = False
    protocol: int | None = None  # -2 or -3; None: RESP2, or RESP3 for --json
    output: str | None = None  # "raw", "tty", "csv", "json"; None: raw unless a terminal
    repeat: int = 1
    interval: float = 0.0
    stdin_last_arg: bool = False
    error_exit: bool = False
    scan: bool = False
    pattern: str = "*"
    count: int | None = None
    eval_file: str | None = None
    pipe: bool = False
    pipe_timeout: float = 30.0
    no_auth_warning: bool = False
    help: bool = False
    version: bool = False
    words: list[str] = field(default_factory=list)

    password_option: bool = False  # -a or --pass given
    url_password: bool = False  # a password in -u or --url


def _int(name: str, low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise UsageError(f"Invalid value for {name}: {text!r} is not an integer") from None
        if not low <= value <= high:
            raise UsageError(f"Invalid value for {name}: {value} is out of range")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"Invalid interval: {text!r} is not a number") from None
    if not value >= 0:
        raise UsageError(f"Invalid interval: {text!r}")
    return value


def _set(attr: str, convert: Callable[[str], object] = str) -> Callable[[Options, str], None]:
    def apply(options: Options, text: str) -> None:
        setattr(options, attr, convert(text))

    return apply


def _password(options: Options, text: str) -> None:
    options.password = text
    options.password_option = True


def _url(options: Options, text: str) -> None:
    options.url = text
    if urlsplit(text).password is not None:
        options.url_password = True


# option -> what it sets from its argument
_WITH_VALUE: dict[str, Callable[[Options, str], None]] = {
    "-h": _set("host"),
    "-p": _set("port", _int("port", 0, 65535)),
    "-s": _set("socket"),
    "-a": _password,
    "--pass": _password,
    "--user": _set("user"),
    "-u": _url,
    "--url": _url,
    "-n": _set("db", _int("db", 0, 2**31 - 1)),
    "--cacert": _set("cacert"),
    "--cert": _set("cert"),
    "--key": _set("key"),
    "-r": _set("repeat", _int("repeat", -1, 2**63 - 1)),
    "-i": _set("interval", _seconds),
    "--pattern": _set("pattern"),
    "--count": _set("count", _int("count", 1, 2**31 - 1)),
    "--eval": _set("eval_file"),
    "--pipe-timeout": _set("pipe_timeout", _seconds),
}

_FLAGS: dict[str, tuple[str, object]] = {
    "--tls": ("tls", True),
    "--insecure": ("insecure", True),
    "-2": ("protocol", 2),
    "-3": ("protocol", 3),
    "--raw": ("output", "raw"),
    "--no-raw": ("output", "tty"),
    "--csv": ("output", "csv"),
    "--json": ("output", "json"),
    "-x": ("stdin_last_arg", True),
    "-e": ("error_exit", True),
    "--scan": ("scan", True),
    "--pipe": ("pipe", True),
    "--no-auth-warning": ("no_auth_warning", True),
    "--help": ("help", True),
    "--version": ("version", True),
}


def parse_options(argv: Sequence[str], environ: dict[str, str] | None = None) -> Options:
    """Read `argv` (without the program name) as redis-cli reads its command line.

    Raises:
        UsageError: an unknown option, or one without its value.
    """
    env = os.environ if environ is None else environ
    options = Options()
    i = 0
    while i < len(argv):
        word = argv[i]
        if word in _WITH_VALUE:
            if i + 1 >= len(argv):
                if word == "-h":  # as redis-cli: a lone -h asks for help
                    options.help = True
                    i += 1
                    continue
                raise UsageError(f"Unrecognized option or bad number of args for: '{word}'")
            _WITH_VALUE[word](options, argv[i + 1])
            i += 2
        elif word in _FLAGS:
            attr, value = _FLAGS[word]
            setattr(options, attr, value)
            i += 1
        elif word.startswith("-") and word != "-":
            raise UsageError(f"Unrecognized option or bad number of args for: '{word}'")
        else:
            break
    options.words = list(argv[i:])
    if options.password is None and env.get("REDISCLI_AUTH"):
        options.password = env["REDISCLI_AUTH"]
    return options


def auth_warning(options: Options) -> str | None:
    """redis-cli's warning when a password was given on the command line, or None."""
    if (options.password_option or options.url_password) and not options.no_auth_warning:
        return AUTH_WARNING
    return None


def compose_url(options: Options, environ: dict[str, str] | None = None) -> str:
    """The URL the options name: ``-u``/``--url`` (else ``$KVS_URL``, else ``:memory:``; or
    ``redis://127.0.0.1:6379`` when ``-h``, ``-p``, ``-s`` or ``--tls`` is given) with
    ``-h``, ``-p``, ``-s``, ``--tls``, ``--user``, ``-a`` and ``-n`` applied.

    Raises:
        kvs.InvalidURL: a Redis option on a backend that is not Redis.
    """
    env = os.environ if environ is None else environ
    server = (options.host is not None or options.port is not None
              or options.socket is not None or options.tls)
    base = options.url
    if base is None:
        base = "redis://127.0.0.1:6379" if server else (env.get("KVS_URL") or DEFAULT_URL)
    parts = urlsplit(base)
    scheme = parts.scheme.lower()
    explicit = (server or options.user is not None or options.db is not None
                or options.password_option or options.cacert is not None
                or options.cert is not None or options.key is not None or options.insecure)
    if scheme not in _REDIS_SCHEMES or "://" not in base:
        if explicit:
            raise InvalidURL("-h, -p, -s, -a, --user, -n and --tls need a Redis URL, "
                             f"not {mask_url(base)}")
        return base
    if not explicit and (options.password is None or parts.password is not None):
        return base
    user = options.user if options.user is not None else parts.username
    password = options.password if options.password is not None else parts.password
    if options.user is None and user is not None:
        user = unquote(user)
    if options.password is None and password is not None:
        password = unquote(password)
    credentials = ""
    if user is not None or password is not None:
        credentials = url_quote(user or "", safe="")
        if password is not None:
            credentials += ":" + url_quote(password, safe="")
        credentials += "@"
    query = parts.query
    if options.socket is not None or scheme in ("unix", "redis+unix"):
        path = options.socket if options.socket is not None else parts.path
        if options.db is not None:
            query = "&".join(q for q in (query, f"db={options.db}") if q)
        return f"unix://{credentials}{path}" + (f"?{query}" if query else "")
    host = options.host if options.host is not None else (parts.hostname or "127.0.0.1")
    port = options.port if options.port is not None else (parts.port or 6379)
    shown_host = f"[{host}]" if ":" in host else host
    if options.tls:
        scheme = "rediss"
    path = f"/{options.db}" if options.db is not None else parts.path
    extra = [("ssl_ca_file", options.cacert), ("ssl_certfile", options.cert),
             ("ssl_keyfile", options.key)]
    query_parts = [query] if query else []
    query_parts += [f"{name}={url_quote(value, safe='/')}" for name, value in extra if value]
    if options.insecure:
        query_parts.append("ssl_insecure=true")
    return urlunsplit((scheme, f"{credentials}{shown_host}:{port}", path,
                       "&".join(query_parts), ""))


def usage() -> str:
    """The text of ``kvs --help``."""
    from .. import __version__

    return f"""kvs {__version__}

Usage: kvs [OPTIONS] [cmd [arg [arg ...]]]
       kvs demo [--url URL]          the practical examples, step by step
       kvs bench [OPTIONS]           a load generator (kvs bench --help)
       kvs serve [OPTIONS]           the memory store as a Redis server (kvs serve --help)

  -u, --url <url>    redis://, rediss://, unix://, memcached://, memory://NAME or :memory:
                     (default: $KVS_URL, else :memory:).
  -h <hostname>      Server hostname (a Redis server; default 127.0.0.1).
  -p <port>          Server port (default 6379).
  -s <socket>        Server Unix socket (overrides hostname and port).
  -a <password>      Password (also --pass, or $REDISCLI_AUTH, which is safer).
  --user <username>  ACL user name, sent with the password.
  -n <db>            Database number.
  --tls              Connect with TLS (--cacert, --cert, --key, --insecure).
  -2, -3             RESP2 (the default, as redis-cli) or RESP3.
  -r <repeat>        Run the command N times (-1: for ever).
  -i <interval>      Seconds to wait between repeats (or --scan batches), e.g. 0.1.
  -x                 Read the last argument from standard input.
  -e                 An error reply goes to standard error and ends the run with status 1.
  --raw              Raw replies (the default when standard output is not a terminal).
  --no-raw           Formatted replies even when standard output is not a terminal.
  --csv, --json      Replies as CSV or JSON.
  --scan             List the keys with SCAN (--pattern <pat>, --count <n>).
  --eval <file>      EVAL the Lua script in <file>: kvs --eval f.lua key1 key2 , arg1 arg2
  --pipe             Send the RESP or inline commands read from standard input
                     (--pipe-timeout <n> seconds to wait for the last reply, default 30).
  --no-auth-warning  No warning for a password on the command line.
  --help             This help.  --version: the version.

With no command, kvs opens its shell.  Exit status: 0 on success, 1 when a command fails
(an error reply, a connection failure, an unsupported operation), 2 for a bad command line.
"""

