"""Pausing Python's cycle collector while a sync builds and drops its short-lived containers.

Why: one sync of a 20 000-creator archive decodes a JSON answer of half a million cells and makes
tens of thousands of rows, tuples and dicts, none of them in a reference cycle. Each few hundred new
containers start a collection, and now and then a full one that walks every object the process holds
(the workbook's tables are millions), for nothing: measured on the no-op sync of
``benchmarks/sync.py``, 0.43-0.86 s of client CPU with the collector running, 0.36-0.44 s paused.
Reference counting still frees everything at once; the collector is switched back on afterwards (if
it was on) and finds any cycle then.
"""
from __future__ import annotations

import gc
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def paused_gc(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with the cycle collector paused (see the module docstring)."""

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        was_on = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_on:
                gc.enable()

    return run
