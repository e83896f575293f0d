"""Pausing Python's cycle collector while a bulk job makes and drops many short-lived containers.

Why: reading a 50 000-row workbook, patching its sheets or syncing a 20 000-creator archive makes
millions of cell values, row lists, tuples and dicts, none of them in a reference cycle. Every few
hundred new containers start a collection, and now and then a full one walks every object the process
holds, for nothing: it cost the 10 000-creator refresh several seconds, and the no-op sync of
``benchmarks/sync.py`` 0.43-0.86 s of client CPU against 0.36-0.44 s paused. Reference counting
still frees everything at once; the collector is switched back on afterwards (if it was on) and
finds any cycle then.
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """``with gc_paused():`` or ``@gc_paused()``: the collector is off inside, restored after, even on error."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
