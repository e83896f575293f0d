"""A stand-in for the ``xlwings`` module that xlwings Lite gives ``main.py`` (no Excel, no Pyodide).

It exposes what Lite's ``main.py`` uses, ``func``, ``arg``, ``ret``, ``script`` and the ``Book``
type, recording the same ``__xlfunc__`` / ``__xlscript__`` metadata Lite's decorators record, and
:func:`call`, which hands a function its arguments the way Lite does: Excel sends every argument as
a 2-D block; a 1 x 1 block becomes a scalar; an empty cell (None) takes the Python default; an
``ndim=2`` argument gets a list of lists again, any other a scalar, a list (one row or column) or a
list of lists. Written from Lite's documentation and xlwings' open-source decorators, kept small.
"""
from __future__ import annotations

import inspect
from typing import Any


class Book:
    """Only a type for ``@script`` signatures; tests hand scripts an in-memory fake."""


def func(f=None, **options):
    def inner(fn):
        if not hasattr(fn, "__xlfunc__"):
            params = inspect.signature(fn).parameters.values()
            args = [{"name": p.name, "doc": f"Positional argument {i + 1}", "options": {}}
                    | ({"optional": p.default} if p.default is not inspect.Parameter.empty else {})
                    for i, p in enumerate(params)]
            fn.__xlfunc__ = {"name": fn.__name__, "args": args, "argmap": {a["name"]: a for a in args},
                             "ret": {"doc": fn.__doc__, "options": {}}}
        fn.__xlfunc__.update(options)
        return fn

    return inner if f is None else inner(f)


def arg(name: str, convert: Any = None, **options):
    def inner(fn):
        meta = func(fn).__xlfunc__["argmap"][name]  # KeyError for a name the function lacks, as in Lite
        if "doc" in options:
            meta["doc"] = options.pop("doc")
        meta["options"].update(options)
        return fn

    return inner


def ret(convert: Any = None, **options):
    def inner(fn):
        func(fn).__xlfunc__["ret"]["options"].update(options)
        return fn

    return inner


def script(f=None, **options):
    def inner(fn):
        fn.__xlscript__ = {"name": fn.__name__, **options}
        return fn

    return inner if f is None else inner(f)


def _to_scalar(block: Any) -> Any:
    if isinstance(block, list) and len(block) == 1:
        block = block[0][0] if isinstance(block[0], list) and len(block[0]) == 1 else block[0]
    return block


def _read(value: Any, ndim: int | None) -> Any:
    if ndim == 2:
        if not isinstance(value, list):
            return [[value]]
        return value if isinstance(value[0], list) else [value]
    if isinstance(value, list) and isinstance(value[0], list) and (len(value) == 1 or len(value[0]) == 1):
        return [row[0] for row in value] if len(value[0]) == 1 else value[0]  # one row or column: a list
    return value


def call(fn, *blocks: list[list[Any]]) -> Any:
    """``fn`` called as Lite calls it from a formula whose arguments are the 2-D blocks given."""
    infos = fn.__xlfunc__["args"]
    values = []
    for info, block in zip(infos, blocks):
        value = _to_scalar(block)
        values.append(info.get("optional") if value is None else _read(value, info["options"].get("ndim")))
    return fn(*values)
