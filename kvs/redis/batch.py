"""Pipelines and transactions on the wire: the checks and the payloads both Redis drivers use.

A pipeline is its commands' encodings joined into one payload, read back as that many
replies.  A transaction is ``MULTI``, the commands and ``EXEC`` in one payload (n + 2
replies), so nothing another caller writes on a shared connection can land inside it.
Commands that change the connection's own state are refused in both; a blocking command is
refused in a pipeline (it would stall everyone sharing the connection) but allowed in a
transaction, where Redis never blocks.
"""

from __future__ import annotations

from collections.abc import Sequence

from resp import encode_command

from ..commands.traits import SPECIAL, refuse_blocking, refuse_connection_state

__all__ = ["MULTI", "UNWATCH", "command_payload", "pipeline_payload", "transaction_payload"]

MULTI = encode_command(b"MULTI")
EXEC = encode_command(b"EXEC")
UNWATCH = encode_command(b"UNWATCH")


def _check(argv: tuple[bytes, ...], transaction: bool) -> None:
    if argv[0].upper() in SPECIAL:
        refuse_connection_state(argv)
        if not transaction:
            refuse_blocking(argv)


def pipeline_payload(argvs: Sequence[tuple[bytes, ...]]) -> bytes:
    """The bytes of a pipeline of `argvs` (one reply each)."""
    for argv in argvs:
        _check(argv, False)
    return b"".join([encode_command(*argv) for argv in argvs])


def transaction_payload(argvs: Sequence[tuple[bytes, ...]]) -> bytes:
    """The bytes of ``MULTI``, `argvs`, ``EXEC`` (``len(argvs) + 2`` replies)."""
    for argv in argvs:
        _check(argv, True)
    return b"".join([MULTI, *[encode_command(*argv) for argv in argvs], EXEC])


def command_payload(argv: tuple[bytes, ...]) -> bytes:
    """The bytes of one command on a connection of its own (blocking ones allowed)."""
    _check(argv, True)
    return encode_command(*argv)
