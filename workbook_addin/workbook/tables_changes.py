"""What a job wants changed, in schema terms, and the fewest cell writes that get there.

Unchanged cells are never written: :func:`same_value` decides what a write would change.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.cells import excel_serial, is_blank
from .tables_layout import TableLayout


_PLAIN_TYPES = (str, int, float)


def same_value(a: Any, b: Any) -> bool:
    """Whether writing ``b`` over ``a`` would change what the cell shows (so unchanged cells stay untouched)."""
    ta, tb = type(a), type(b)
    if ta is tb and ta in (str, int, float) and a == b:
        return True  # the common case, decided without the checks below
    if is_blank(a) and is_blank(b):
        return True
    if is_blank(a) or is_blank(b):
        return False
    if hasattr(a, "item") and not isinstance(a, str):
        a = a.item()
    if hasattr(b, "item") and not isinstance(b, str):
        b = b.item()
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, (dt.date, dt.datetime)) or isinstance(b, (dt.date, dt.datetime)):
        try:
            sa = excel_serial(a) if isinstance(a, (dt.date, dt.datetime)) else float(a)
            sb = excel_serial(b) if isinstance(b, (dt.date, dt.datetime)) else float(b)
            return math.isclose(sa, sb, rel_tol=0, abs_tol=1e-6)
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


def differs(a: Any, b: Any) -> bool:
    """``not same_value(a, b)``, with the cases a 50 000-row diff meets most decided inline:
    equal plain values, and two numbers (not NaN) that differ or not by same_value's tolerance."""
    ta = type(a)
    if a is b or (ta is type(b) and ta in _PLAIN_TYPES and a == b):
        return False
    if (ta is float or ta is int) and (type(b) is float or type(b) is int) and a == a and b == b:
        return not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return not same_value(a, b)


@dataclass
class WorkbookChanges:
    """What a job wants changed, in schema terms; both adapters (file, live Excel) apply it."""

    cells: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)  # table -> row -> key -> value
    appends: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    keep_rows: dict[str, int] = field(default_factory=dict)  # table -> data rows to keep (rest cleared)
    names: dict[str, Any] = field(default_factory=dict)  # defined-name cell -> value
    #: sheet name -> A1 reference -> value: cells outside Tables; a formula cell keeps its formula and
    #: gets the value as its cached result (the dashboard's, for files nobody recalculates)
    sheet_values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def set(self, table: str, row: int, key: str, value: Any) -> None:
        self.cells.setdefault(table, {}).setdefault(int(row), {})[key] = value

    def cell_count(self, table: str | None = None) -> int:
        tables = [table] if table else list(self.cells)
        return sum(len(cols) for t in tables for cols in self.cells.get(t, {}).values())

    def __bool__(self) -> bool:
        return bool(self.cells or self.appends or self.keep_rows or self.names or self.sheet_values)


def diff_columns(changes: WorkbookChanges, table: str, current: pd.DataFrame, new: pd.DataFrame,
                 columns: Iterable[str]) -> int:
    """Records the cells of ``columns`` where ``new`` differs from ``current`` (aligned by index)."""
    n = 0
    common = current.index.intersection(new.index)
    for key in columns:
        if key not in new.columns or key not in current.columns:
            continue
        old_values = current[key].reindex(common).tolist()
        new_values = new[key].reindex(common).tolist()
        for row, a, b in zip(common, old_values, new_values):
            if differs(a, b):
                changes.set(table, row, key, plain_value(b))
                n += 1
    return n


def replace_rows(changes: WorkbookChanges, table: str, current: pd.DataFrame, new: pd.DataFrame,
                 layout: TableLayout) -> None:
    """Makes a table hold exactly ``new``'s rows (in order) with the fewest cell writes: row i of
    ``new`` lands on the table's i-th row; extra rows are appended, surplus rows cleared."""
    rows = list(range(layout.first_data_row, layout.last_row + 1))
    keys = [k for k in new.columns if k in layout.columns]
    full = current.reindex(rows)
    columns = [new[k].tolist() for k in keys]
    count = len(new)
    n = min(count, len(rows))
    for k, values in zip(keys, columns):  # column by column: plain lists, no per-cell pandas lookups
        old = full[k].tolist()[:n] if k in full.columns else [None] * n
        if old == values[:n]:
            continue  # an unchanged column decided in one comparison (a rewritten 50 000-row table)
        for i, (a, b) in enumerate(zip(old, values[:n])):
            if differs(a, b):
                changes.set(table, rows[i], k, plain_value(b))
    if count > len(rows):
        extra = [values[len(rows):] for values in columns]
        changes.appends.setdefault(table, []).extend(
            ({k: plain_value(v) for k, v in zip(keys, values)} for values in zip(*extra)) if keys
            else ({} for _ in range(count - len(rows))))
    elif count < len(rows) and (current.index > layout.first_data_row + count - 1).any():
        changes.keep_rows[table] = count


def plain_value(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return value or None
    if kind is int or (kind is float and value == value):
        return value
    if is_blank(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            return value.item()
        except (AttributeError, ValueError):
            return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def frames_equal_cells(a: Mapping[str, pd.DataFrame], b: Mapping[str, pd.DataFrame]) -> list[str]:
    """Differences between two reads, cell by cell ("sheet row column: a != b"); used by tests and the
    idempotency check of the refresh job."""
    out = []
    for key in sorted(set(a) | set(b)):
        fa, fb = a.get(key), b.get(key)
        if fa is None or fb is None:
            out.append(f"{key}: only in one")
            continue
        for row in fa.index.union(fb.index):
            for col in fa.columns.union(fb.columns):
                va = fa.at[row, col] if row in fa.index and col in fa.columns else None
                vb = fb.at[row, col] if row in fb.index and col in fb.columns else None
                if not same_value(va, vb):
                    out.append(f"{key} row {row} {col}: {va!r} != {vb!r}")
    return out
