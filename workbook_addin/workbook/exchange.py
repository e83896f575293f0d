"""What the refresh job and a workbook adapter exchange, wherever the workbook lives.

Every front reads the workbook into the same :class:`WorkbookData` (frames keyed by schema column,
where each table sits, the Settings values) and applies the same :class:`WorkbookChanges` (cells by
schema key, appended and cleared rows, named cells): the file adapter (:mod:`.tables_io`, calamine
and zip/XML patching), classic xlwings and xlwings Lite (:mod:`.xlwings_book`). Nothing here reads
or writes a file, so the xlwings Lite bundle carries it without the file machinery.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.cell_values import excel_serial, is_blank
from ..core.schema import Column, Schema, header_map, normalise_header

STATUS_NAME = "RefreshStatus"
#: column types read as text (an ID typed as 1001 reads back as 1001.0 otherwise)
TEXT_TYPES = {"text", "url", "enum"}


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector for a bulk job (restored after, even on error).

    Reading a 50 000-row workbook creates millions of cell values and row lists that hold no
    reference cycles; the collector still walks all of them every time allocations pass its
    threshold, which cost a refresh of the 10 000-creator workbook several seconds. Reference
    counting frees everything as usual meanwhile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class TableLayout:
    """Where one table sits, so changes keyed by schema column can become cell writes."""

    key: str  # schema sheet key, or a settings table key
    table: str  # Excel table name
    sheet: str  # tab name
    header_row: int
    first_data_row: int
    last_row: int  # last row inside the table (inclusive)
    next_row: int  # first row after the last non-empty data row
    columns: dict[str, int]  # schema key -> sheet column number (1-based)
    formula_columns: set[str] = field(default_factory=set)


@dataclass
class WorkbookData:
    tables: dict[str, pd.DataFrame]  # schema sheet key -> frame (index "excel_row")
    settings_values: dict[str, Any]  # settings.toml key -> value as the workbook holds it
    settings_tables: dict[str, pd.DataFrame]  # er_benchmarks, fx_rates, import_map
    layouts: dict[str, TableLayout]
    names: dict[str, tuple[str, int, int]]  # single-cell defined names -> (sheet, row, col)
    folder: Path | None = None  # the workbook's folder (relative paths in Settings start here)
    warnings: list[str] = field(default_factory=list)
    dashboard_markets: list[str] | None = None  # the dashboard's market rows (None: no such range)

    def settings(self):
        """``(Settings, problems)`` from the Settings sheet, through the engine's own reader."""
        from ..core.settings import Settings

        return Settings.from_values(self.settings_values, self.settings_tables.get("er_benchmarks"),
                                    self.settings_tables.get("fx_rates"))


_TEXT_TYPES = {"text", "url", "enum"}


def frame_from_rows(columns: Sequence[Column], headers: Sequence[Any], rows: Sequence[Sequence[Any]],
                    first_row: int, where: str) -> tuple[pd.DataFrame, dict[str, int], list[str]]:
    """A table's header and body cells -> (frame with schema keys, key -> offset in the table, warnings).

    The frame's index is named ``excel_row`` and holds the Excel row number, so every message the
    engine makes names the row a person sees. Rows with no value at all are left out.
    """
    lookup = header_map(columns)
    offsets: dict[str, int] = {}
    warnings = []
    for i, h in enumerate(headers):
        key = lookup.get(normalise_header(h))
        if key is not None and key not in offsets:
            offsets[key] = i
    for c in columns:
        if c.key not in offsets:
            warnings.append(f"{where}: 缺少列 missing column {c.header}")
    data: dict[str, list[Any]] = {}
    # rows are padded to the table's width: transposed at once (zip), not one list per column
    by_column = list(zip(*rows)) if rows and len(set(map(len, rows))) == 1 else None
    for c in columns:
        i = offsets.get(c.key)
        text = c.type in TEXT_TYPES
        if i is None:
            data[c.key] = [None] * len(rows)
        else:
            values = by_column[i] if by_column is not None else [r[i] for r in rows]
            if text:  # an ID typed as 1001 reads back as 1001.0
                data[c.key] = [None if v == "" or v is None else
                               (str(int(v)) if type(v) is float and v.is_integer() else v) for v in values]
            else:
                data[c.key] = [None if v == "" else v for v in values]
    index = pd.RangeIndex(first_row, first_row + len(rows), name="excel_row")
    frame = pd.DataFrame(data, index=index, dtype=object) if rows else pd.DataFrame(
        {c.key: pd.Series([], dtype=object) for c in columns}, index=pd.Index([], name="excel_row", dtype="int64"))
    if len(frame):
        keep = frame.notna().any(axis=1)
        if not keep.all():
            frame = frame[keep]
    return frame, offsets, warnings



def table_specs(schema: Schema) -> list[tuple[str, str, Sequence[Column], bool]]:
    """(key, Excel table name, columns, is a settings table) for every table the workbook holds."""
    specs = [(s.key, s.table, s.columns, False) for s in schema.sheets]
    specs += [(k, t.table, t.columns, True) for k, t in schema.settings_tables.items()]
    return specs


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

    def rows_changed(self, table: str) -> int:
        return len(self.cells.get(table, {}))

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
            if (a is b or (type(a) is type(b) and type(a) in _PLAIN_TYPES and a == b)) or same_value(a, b):
                continue  # the first test is same_value's own fast path, without the call
            changes.set(table, row, key, plain(b))
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
        for i, (a, b) in enumerate(zip(old, values[:n])):
            if (a is b or (type(a) is type(b) and type(a) in _PLAIN_TYPES and a == b)) or same_value(a, b):
                continue  # the first test is same_value's own fast path, without the call
            changes.set(table, rows[i], k, plain(b))
    if count > len(rows):
        extra = [values[len(rows):] for values in columns]
        changes.appends.setdefault(table, []).extend(
            ({k: plain(v) for k, v in zip(keys, values)} for values in zip(*extra)) if keys
            else ({} for _ in range(count - len(rows))))
    elif count < len(rows) and (current.index > layout.first_data_row + count - 1).any():
        changes.keep_rows[table] = count


def plain(value: Any) -> Any:
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
