"""Generate the operation methods of the clients from the one command table.

Every operation is a function in ``kvs/commands/`` registered with ``@operation``.  This script
reads their signatures and docstrings and writes ``kvs/client/_operations.py``:

- `Operations`: one ``async`` method per operation, ``return await self._run(call)``, the
  mixin of `kvs.Client` (and, through ``scripts/unasync.py``, of `kvs.sync.Client`);
- `QueuedOperations`: the same methods returning the builder, ``return self._queue(call)``,
  the mixin of the pipeline and transaction builders.

In an operation's return annotation ``Call[X]``, ``Read`` (what the client reads) becomes the
client's type parameter ``R``.  ``--check`` fails when the checked-in file differs from what
would be written.  Run ``scripts/unasync.py`` after this one.
"""

from __future__ import annotations

import inspect
import keyword
import re
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Import kvs.commands without running kvs/__init__.py, which imports what this script writes.
_package = types.ModuleType("kvs")
_package.__path__ = [str(ROOT / "kvs")]
sys.modules.setdefault("kvs", _package)

from kvs import commands  # noqa: E402
from kvs.commands import types as arg_types  # noqa: E402

TARGET = ROOT / "kvs" / "client" / "_operations.py"

HEADER = '''\
# Generated from kvs/commands by scripts/generate.py: do not edit; edit the operation and run
# `python scripts/generate.py && python scripts/unasync.py`.
"""The operation methods of the clients and of the pipeline builders, one per operation of
`kvs.commands`, each building its `Call` there."""

from __future__ import annotations

from typing import {typing}

from ..commands import Call
{modules}
{types}

__all__ = ["Operations", "QueuedOperations", "R"]

R = TypeVar("R", str, bytes)
T = TypeVar("T")
'''

_BUILTIN_NAMES = {"int", "float", "bool", "str", "bytes", "object", "None", "list", "dict",
                  "set", "tuple", "Any", "Read", "Literal", "True", "False"}


def _names(annotation: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z_0-9.]*", annotation))


def _check_annotation(op: str, annotation: str) -> None:
    for name in _names(annotation):
        if name not in _BUILTIN_NAMES and name not in arg_types.__all__:
            raise SystemExit(f"{op}: annotation name {name!r} is not a builtin or in "
                             "kvs/commands/types.py")


def _signature(op: str, fn: Callable[..., Any]) -> tuple[str, str, str]:
    """(parameters after self, the call's arguments, the result annotation)."""
    sig = inspect.signature(fn)
    params: list[str] = []
    args: list[str] = []
    star = False
    for param in sig.parameters.values():
        annotation = param.annotation
        if annotation is inspect.Parameter.empty:
            raise SystemExit(f"{op}: parameter {param.name} has no annotation")
        _check_annotation(op, annotation)
        text = f"{param.name}: {annotation}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {param.default!r}"
        if param.kind is param.VAR_POSITIONAL:
            star = True
            params.append(f"*{param.name}: {annotation}")
            args.append(f"*{param.name}")
            continue
        if param.kind is param.KEYWORD_ONLY:
            if not star:
                params.append("*")
                star = True
            args.append(f"{param.name}={param.name}")
        else:
            args.append(param.name)
        params.append(text)
    result = sig.return_annotation
    match = re.fullmatch(r"Call\[(.*)\]", result)
    if match is None:
        raise SystemExit(f"{op}: an operation returns Call[...], not {result}")
    _check_annotation(op, match[1])
    return ", ".join(params), ", ".join(args), re.sub(r"\bRead\b", "R", match[1])


def _doc(fn: Callable[..., Any]) -> str:
    doc = inspect.getdoc(fn)
    if not doc:
        raise SystemExit(f"{fn.__name__}: an operation needs a docstring")
    lines = doc.replace("\\", "\\\\").splitlines()
    body = "\n".join(("        " + line) if line else "" for line in lines[1:])
    return f'"""{lines[0]}' + (f"\n{body}\n        " if body else "") + '"""'


def _import_types(names: list[str]) -> str:
    """The import of the argument types, wrapped as ruff's isort wraps it when long."""
    line = f"from ..commands.types import {', '.join(names)}"
    if len(line) <= 100:
        return line
    return "from ..commands.types import (\n" + "".join(f"    {n},\n" for n in names) + ")"


def generate() -> str:
    typing_names = {"Any", "Generic", "Self", "TypeVar"}
    modules: set[str] = set()
    used_types: set[str] = set()
    client: list[str] = []
    queued: list[str] = []
    for name, fn in commands.OPERATIONS.items():
        if keyword.iskeyword(name):
            raise SystemExit(f"{name}: not a method name")
        module = fn.__module__.rsplit(".", 1)[1]
        modules.add(module)
        params, args, result = _signature(name, fn)
        for annotation in [*inspect.signature(fn).parameters.values()]:
            used_types |= _names(annotation.annotation) & set(arg_types.__all__)
        head = f"(self, {params})" if params else "(self)"
        build = f"_{module}.{fn.__name__}({args})"
        doc = _doc(fn)
        # An operation whose result's type follows an argument (zrange's withscores, ...)
        # registers its variants (`kvs.commands.variant`): the method's typing overloads.
        for variant in commands.VARIANTS.get(name, []):
            typing_names |= {"Literal", "overload"}
            v_params, _, v_result = _signature(name, variant)
            for annotation in inspect.signature(variant).parameters.values():
                used_types |= _names(annotation.annotation) & set(arg_types.__all__)
            client.append(f"    @overload\n    async def {name}(self, {v_params}) -> {v_result}:"
                          " ...\n")
        if name in commands.VARIANTS:  # last, the general case (a plain bool): the union
            client.append(f"    @overload\n    async def {name}{head} -> {result}: ...\n")
        client.append(
            f"    async def {name}{head} -> {result}:\n        {doc}\n"
            f"        call: Call[{result}] = {build}\n"
            f"        return await self._run(call)\n")
        # A builder's own `execute()` runs the batch: the raw command queues as
        # `execute_command`, as redis-py names it.
        queued_name = "execute_command" if name == "execute" else name
        queued.append(
            f"    def {queued_name}{head} -> Self:\n        {doc}\n"
            f"        return self._queue({build})\n")
    by_kind = sorted(typing_names, key=lambda n: (n[0].islower(), n))  # as ruff's isort orders
    imports = "\n".join(f"from ..commands import {m} as _{m}" for m in sorted(modules))
    text = HEADER.format(typing=", ".join(by_kind), modules=imports,
                         types=_import_types(sorted(used_types)))
    text += '''

class Operations(Generic[R]):
    """Every operation as an awaitable method; `_run` sends the call."""

    __slots__ = ()

    async def _run(self, call: Call[T]) -> T:
        raise NotImplementedError

''' + "\n".join(client) + '''

class QueuedOperations:
    """Every operation as a method that queues the call and returns the builder."""

    __slots__ = ()

    def _queue(self, call: Call[Any]) -> Self:
        raise NotImplementedError

''' + "\n".join(queued)
    return text


def main(argv: list[str]) -> int:
    generated = generate()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != generated:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run python scripts/generate.py",
                  file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(generated)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
