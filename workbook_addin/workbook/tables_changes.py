"""What a job wants changed, in schema terms, and the fewest cell writes that get there.

Unchanged cells are never written: :func:`same_value` decides what a write would change.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

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


#: what ``infer_dtype(..., skipna=True)`` says of a column whose non-blank cells are all ints or floats
_NUMBER_KINDS = frozenset({"floating", "integer", "mixed-integer-float", "empty"})


def _floats(values: Any) -> np.ndarray | None:
    """A column as floats (NaN for a blank) when every non-blank cell is an int or a float (no
    bool, text or date), else None: such columns are compared with numpy."""
    arr = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    if arr.dtype.kind in "fiu":
        return arr.astype(float, copy=False)
    if arr.dtype != object or infer_dtype(arr, skipna=True) not in _NUMBER_KINDS:
        return None
    try:
        return arr.astype(float)  # numpy reads None as NaN
    except TypeError:  # pd.NA: blanks found one by one
        pass
    blank = pd.isna(arr)
    out = np.full(len(arr), np.nan)
    out[~blank] = arr[~blank].astype(float)
    return out


def changed_cells(old: Any, new: Any) -> np.ndarray:
    """``[differs(a, b) for a, b in zip(old, new)]`` as a boolean array, for two aligned columns
    (Series or lists): a 50 000-row column of numbers is compared at once (blank against blank
    equal, numbers by :func:`math.isclose`'s own test); a column of text at once but for the cells
    that differ as typed; only other cells one by one."""
    a, b = _floats(old), _floats(new)
    if a is not None and b is not None:
        blank_a, blank_b = np.isnan(a), np.isnan(b)
        with np.errstate(invalid="ignore", over="ignore"):
            gap = np.abs(a - b)  # isclose: equal, or both finite within 1e-12 relative or absolute
            near = (gap <= 1e-12 * np.abs(a)) | (gap <= 1e-12 * np.abs(b)) | (gap <= 1e-12)
            close = (a == b) | (np.isfinite(a) & np.isfinite(b) & near)
        return np.where(blank_a | blank_b, blank_a != blank_b, ~close)
    old_l = old.tolist() if isinstance(old, pd.Series) else list(old)
    new_l = new.tolist() if isinstance(new, pd.Series) else list(new)
    old_o, new_o = np.asarray(old_l, dtype=object), np.asarray(new_l, dtype=object)  # cells: scalars
    unsure = np.arange(len(old_l))
    if infer_dtype(old_o, skipna=True) == "string" and infer_dtype(new_o, skipna=True) == "string":
        try:  # equal text (or None against None) is never a change; blanks of other kinds never equal here
            unsure = np.flatnonzero(old_o != new_o)
        except TypeError:  # pd.NA has no truth value: cell by cell
            pass
    out = np.zeros(len(old_l), dtype=bool)
    out[unsure] = [differs(old_l[i], new_l[i]) for i in unsure.tolist()]
    return out


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

    def set_column(self, table: str, key: str, rows: Iterable[Any], values: Iterable[Any]) -> None:
        """:meth:`set` of ``key`` for each row and value, in that order."""
        cells = self.cells.setdefault(table, {})
        get = cells.get
        for row, value in zip(map(int, rows), values):
            found = get(row)
            if found is None:
                cells[row] = {key: value}
            else:
                found[key] = value

    def cell_count(self, table: str | None = None) -> int:
        tables = [table] if table else list(self.cells)
        return sum(len(cols) for t in tables for cols in self.cells.get(t, {}).values())

    def __bool__(self) -> bool:
        return bool(self.cells or self.appends or self.keep_rows or self.names or self.sheet_values)

    def tables(self) -> frozenset[str]:
        """The tables with cells to write, rows to append or rows to clear."""
        return frozenset(self.cells) | frozenset(self.appends) | frozenset(self.keep_rows)

    def take(self, tables: Iterable[str]) -> WorkbookChanges:
        """Moves these tables' cells, appends and row counts out into changes of their own (a job
        writes them early, see ``WorkbookFile.write_early``; :meth:`merge` puts them back on record)."""
        out = WorkbookChanges()
        for table in tables:
            if table in self.cells:
                out.cells[table] = self.cells.pop(table)
            if table in self.appends:
                out.appends[table] = self.appends.pop(table)
            if table in self.keep_rows:
                out.keep_rows[table] = self.keep_rows.pop(table)
        return out

    def merge(self, earlier: WorkbookChanges) -> None:
        """Adds back changes :meth:`take` moved out, under the ones made since (those win)."""
        for table, rows in earlier.cells.items():
            later = self.cells.get(table, {})
            self.cells[table] = {**rows, **{r: {**rows.get(r, {}), **v} for r, v in later.items()}}
        for table, records in earlier.appends.items():
            self.appends[table] = records + self.appends.get(table, [])
        for table, keep in earlier.keep_rows.items():
            self.keep_rows.setdefault(table, keep)


def diff_columns(changes: WorkbookChanges, table: str, current: pd.DataFrame, new: pd.DataFrame,
                 columns: Iterable[str]) -> int:
    """Records the cells of ``columns`` where ``new`` differs from ``current`` (aligned by index)."""
    n = 0
    common = current.index.intersection(new.index)
    rows = np.asarray(common)
    for key in columns:
        if key not in new.columns or key not in current.columns:
            continue
        old_values, new_values = _aligned(current[key], common), _aligned(new[key], common)
        at = np.flatnonzero(changed_cells(old_values, new_values))
        if len(at):
            wanted = new_values.iloc[at].tolist()
            changes.set_column(table, key, rows[at].tolist(), plain_values(wanted))
            n += len(at)
    return n


def _aligned(column: pd.Series, index: pd.Index) -> pd.Series:
    """``column`` on ``index`` (reindexed only when it is not on it already: the usual case)."""
    return column if column.index.equals(index) else column.reindex(index)


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
        at = np.flatnonzero(changed_cells(old, values[:n])).tolist()
        if at:  # else equal as cells (a blank read as NaN, numbers within the tolerance)
            changes.set_column(table, k, [rows[i] for i in at], plain_values([values[i] for i in at]))
    if count > len(rows):
        extra = [[plain_value(v) for v in values[len(rows):]] for values in columns]
        changes.appends.setdefault(table, []).extend(
            (dict(zip(keys, values)) for values in zip(*extra)) if keys else ({} for _ in range(count - len(rows))))
    elif count < len(rows) and (current.index > layout.first_data_row + count - 1).any():
        changes.keep_rows[table] = count


def plain_values(values: list[Any]) -> list[Any]:
    """:func:`plain_value` of each value, the usual text and numbers decided inline."""
    return [v if ((t := type(v)) is float and v == v) or t is int or (t is str and v) else plain_value(v)
            for v in values]


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
