"""`Call`: one command ready for any backend, and the registry of operations.

An operation is a function that checks the caller's arguments and returns a `Call`: the argv
every backend executes (a tuple of `bytes`), the decoder that turns the raw reply into the
documented result, whether running the command twice is harmless, and where its keys are in
the argv.  Each operation is registered with `operation`; ``scripts/generate.py`` turns the
registry into the methods of the client and of the pipeline builders, so a new operation is
one function here and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, NamedTuple, TypeVar

__all__ = ["NO_KEYS", "ONE_KEY", "OPERATIONS", "VARIANTS", "Call", "KeySpec", "Read",
           "at_positions", "keys_of", "operation", "variant"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., "Call[Any]"])

# What a client reads: str, or bytes with ``decode=False``.  In an operation's annotation it
# stands for the client's type parameter; the generated methods say ``R``.
Read = Any

# Where the keys are in an argv, as Redis's command table says it: (first, last, step), with
# a negative last counting from the end; (0, 0, 0) for none.
KeySpec = tuple[int, int, int]
NO_KEYS: KeySpec = (0, 0, 0)
ONE_KEY: KeySpec = (1, 1, 1)


class Call(NamedTuple, Generic[T]):
    """One command ready for any backend.

    ``keys`` says where the keys are in ``argv`` (`KeySpec`); None means "as Redis's command
    table says" (`kvs.commands.traits.argv_keys`), for calls made from a raw command line.
    """

    argv: tuple[bytes, ...]
    decode: Callable[[Any, bool], T]
    idempotent: bool
    keys: KeySpec | None = ONE_KEY


def at_positions(argv: tuple[bytes, ...] | list[bytes], spec: KeySpec) -> list[bytes]:
    """The arguments a `KeySpec` names."""
    first, last, step = spec
    if not first:
        return []
    stop = len(argv) + last if last < 0 else last
    return list(argv[first : stop + 1 : step])


def keys_of(call: Call[Any]) -> list[bytes]:
    """The keys of `call`, in argv order."""
    if call.keys is None:
        from .traits import argv_keys

        return argv_keys(call.argv)
    return at_positions(call.argv, call.keys)


OPERATIONS: dict[str, Callable[..., Call[Any]]] = {}


def operation(fn: F) -> F:
    """Register `fn` as an operation: a method of the clients and builders of that name
    (a trailing ``_``, which keeps builtins unshadowed here, is dropped)."""
    OPERATIONS[fn.__name__.rstrip("_")] = fn
    return fn


# name -> the typing overloads of the generated method, in order (see `variant`).
VARIANTS: dict[str, list[Callable[..., Call[Any]]]] = {}


def variant(name: str) -> Callable[[F], F]:
    """Register a signature as a typing overload of the client's method `name`, for an
    operation whose result's type follows an argument (``zrange(..., withscores=True)``
    gives tuples).  The function is never called: ``scripts/generate.py`` reads its
    signature and writes an ``@overload`` of the method; the operation itself keeps the
    union, so that it can be called with a plain ``bool``."""
    def register(fn: F) -> F:
        VARIANTS.setdefault(name, []).append(fn)
        return fn
    return register
