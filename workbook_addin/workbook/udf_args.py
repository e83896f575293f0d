"""What Excel hands a workbook function, as flat columns, and what a function hands back.

xlwings passes every argument declared ``ndim=2`` as a list of row lists (a single cell or a named
setting as a 1 x 1 list; xlwings Lite may pass a scalar). A pooled function on the hidden
calculation sheet receives whole Table columns, some 200 000 cells in one call at 10 000 creators,
so how a column is read matters as much as the engine: copying each row into a new list, calling
a Python function per cell or pickling the arguments to key a memo costs more than scoring them
(and the many small objects keep Python's garbage collector busy). Here a column becomes one flat
list in one pass, numbers that already are numbers are converted by numpy, and the memo key is
built from the cells themselves (:func:`content_key`).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import LianxingError


class UdfInputError(LianxingError, ValueError):
    """Input a function cannot use; its message is what the cell shows."""


def shape(value: Any) -> tuple[int, int]:
    """(rows, columns) of an argument, without copying it: a scalar is 1 x 1."""
    if isinstance(value, np.ndarray):
        return value.shape if value.ndim == 2 and value.size else (1, max(value.size, 1))
    if not isinstance(value, (list, tuple)):
        return 1, 1
    if not value:
        return 1, 1
    if not isinstance(value[0], (list, tuple)):
        return 1, len(value)
    return len(value), len(value[0])


def is_single(*values: Any) -> bool:
    """Whether every argument is one cell (the function then answers with one value)."""
    return all(shape(v) == (1, 1) for v in values)


def cells(value: Any) -> list[Any]:
    """Any argument (scalar, row, column, 2-D list) as one flat list of cells, row by row."""
    if isinstance(value, np.ndarray):
        return value.ravel().tolist() or [None]
    if not isinstance(value, (list, tuple)):
        return [value]
    if not value:
        return [None]
    if not isinstance(value[0], (list, tuple)):
        return list(value)
    if len(value[0]) == 1:
        return [row[0] for row in value]  # a Table column: the usual case
    return [c for row in value for c in row]


def grid(value: Any) -> list[list[Any]]:
    """Any argument as a 2-D list (for the few functions that read rows, such as KOL_SCORE's)."""
    rows, cols = shape(value)
    flat = cells(value)
    return [flat[i * cols:(i + 1) * cols] for i in range(rows)]


def number(v: Any) -> float:
    """One cell as a float: NaN for a blank, ``12.5%`` as 0.125, thousands commas dropped."""
    if v is None or v == "":
        return np.nan
    if isinstance(v, (bool, int, float, np.integer, np.floating)):
        return float(v)
    text = str(v).strip().replace(",", "")
    try:
        if text.endswith("%"):
            return float(text[:-1]) / 100.0
        return float(text)
    except ValueError:
        raise UdfInputError(f"not a number: {str(v)[:30]!r}") from None


_PLAIN = frozenset({float, int, type(None)})


def numbers(value: Any) -> np.ndarray:
    """A cell, row or column as a flat float array (NaN for blanks); numpy converts the cells at
    once when they all are numbers or blanks (the usual case), else :func:`number` reads each."""
    flat = cells(value)
    if set(map(type, flat)) <= _PLAIN:
        return np.array(flat, dtype=float)  # None becomes NaN
    return np.array([number(c) for c in flat], dtype=float)


def texts(value: Any) -> np.ndarray:
    """A cell, row or column as a flat object array of the cells as given ("" as None)."""
    return np.array([None if c == "" else c for c in cells(value)], dtype=object)


def scalar(value: Any) -> Any:
    """A named Settings cell (xlwings passes it as a 1 x 1 list with ndim=2); None stays None."""
    if value is None:
        return None
    return cells(value)[0]


def broadcast(*arrays: np.ndarray) -> list[np.ndarray]:
    """Columns of one length, single cells repeated along them; columns of different lengths refused."""
    sizes = {len(a) for a in arrays if len(a) != 1}
    if len(sizes) > 1:
        raise UdfInputError(f"ranges differ in length: {sorted(sizes)}")
    return list(np.broadcast_arrays(*arrays))


def cell(v: Any) -> Any:
    """One result as a cell value: NaN and None are an empty cell, numpy scalars plain Python."""
    if v is None:
        return None
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.str_):
        return str(v)
    return v


def result(values: Any, single: bool) -> Any:
    """A scalar for single-cell input, else a one-column 2-D list Excel spills."""
    arr = np.atleast_1d(np.asarray(values, dtype=object))
    if single:
        return cell(arr[0])
    return [[cell(v)] for v in arr]


def float_result(values: np.ndarray, single: bool) -> Any:
    """:func:`result` for a float array, converted at once (NaN an empty cell)."""
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    cells_out = arr.astype(object)
    cells_out[np.isnan(arr)] = None
    column = cells_out.reshape(-1, 1).tolist()
    return column[0][0] if single else column


def content_key(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A key equal for two argument lists exactly when they hold the same cells: the same shape,
    the same values of the same types (``1``, ``1.0`` and ``TRUE`` are equal in Python but not
    the same cell). Built in two C-level passes per argument, where pickling them cost ten times
    more; a dict compares keys by value after their hash, so a changed cell is never a hit."""
    key: list[Any] = []
    for v in values:
        flat = cells(v)
        key += [shape(v), tuple(flat), tuple(map(type, flat))]
    return tuple(key)
