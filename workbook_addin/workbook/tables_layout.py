"""Where each table sits and the frames read from it: what both adapters (file, live Excel) share.

Headers are mapped to schema column keys through the schema's bilingual headers, so a column
moved or a user column inserted does not matter. Nothing here reads a file, so the xlwings Lite
bundle carries it (with :mod:`.tables_changes`) without the file reader and writer.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ..core.schema import Column, Schema, header_map, normalise_header

STATUS_NAME = "RefreshStatus"




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


TEXT_TYPES = {"text", "url", "enum"}
#: column types whose cells are formatted (and read back) as dates
DATE_COLUMN_TYPES = {"date", "datetime"}


def frame_from_rows(columns: Sequence[Column], headers: Sequence[Any], rows: Sequence[Sequence[Any]],
                    first_row: int, where: str) -> tuple[pd.DataFrame, dict[str, int], list[str]]:
    """A table's header and body cells -> (frame with schema keys, key -> offset in the table, warnings).

    The frame's index is named ``excel_row`` and holds the Excel row number, so every message the
    engine makes names the row a person sees. Rows with no value at all are left out. An empty
    cell ("") is None; in a text column a whole number is its digits (an ID typed as 1001 reads
    back from the file as 1001.0).
    """
    offsets, warnings = header_offsets(columns, headers, where)
    if not rows:
        return framed(columns, np.empty((len(columns), 0), dtype=object), first_row), offsets, warnings
    return framed(columns, _cell_block(columns, offsets, rows), first_row), offsets, warnings


def frame_from_columns(columns: Sequence[Column], headers: Sequence[Any], cells: Sequence[np.ndarray],
                       first_row: int, where: str) -> tuple[pd.DataFrame, dict[str, int], list[str]]:
    """:func:`frame_from_rows` of a table read column by column (``cells``: one object array per
    table column, each as long as the table, made together in memory already)."""
    offsets, warnings = header_offsets(columns, headers, where)
    out = np.full((len(columns), len(cells[0]) if cells else 0), None, dtype=object)
    for j, c in enumerate(columns):
        if c.key in offsets:
            out[j] = cells[offsets[c.key]]
    tidy(columns, offsets, out, compact=False)
    return framed(columns, out, first_row), offsets, warnings


def header_offsets(columns: Sequence[Column], headers: Sequence[Any], where: str) -> tuple[dict[str, int], list[str]]:
    """Schema key -> offset of its header in the table (the first, where a header repeats), and a
    warning for each schema column the table lacks."""
    lookup = header_map(columns)
    offsets: dict[str, int] = {}
    for i, h in enumerate(headers):
        key = lookup.get(normalise_header(h))
        if key is not None and key not in offsets:
            offsets[key] = i
    return offsets, [f"{where}: 缺少列 missing column {c.header}" for c in columns if c.key not in offsets]


def framed(columns: Sequence[Column], cells: np.ndarray, first_row: int) -> pd.DataFrame:
    """The frame of a table's cells (one row of ``cells`` per schema column), blank rows left out."""
    keys = [c.key for c in columns]
    if not cells.shape[1]:
        return pd.DataFrame({k: pd.Series([], dtype=object) for k in keys},
                            index=pd.Index([], name="excel_row", dtype="int64"))
    frame = pd.DataFrame(cells.T, index=pd.RangeIndex(first_row, first_row + cells.shape[1], name="excel_row"),
                         columns=keys, dtype=object, copy=False)
    keep = kept_rows(cells)
    return frame if keep.all() else frame[keep]


def _cell_block(columns: Sequence[Column], offsets: dict[str, int], rows: Sequence[Sequence[Any]]) -> np.ndarray:
    """The table's cells as an object array, one row per schema column (None where the table has
    no such column): 50 000 rows x 40 columns converted at once, not cell by cell in Python."""
    widths = set(map(len, rows))  # rows cut short by the sheet's used area are blank to the right
    width = max(max(widths), max(offsets.values(), default=-1) + 1)
    if widths == {width}:
        grid = np.fromiter(chain.from_iterable(rows), dtype=object, count=len(rows) * width).reshape(len(rows), width)
    else:
        grid = np.full((len(rows), width), None, dtype=object)
        for i, r in enumerate(rows):
            grid[i, :len(r)] = r  # a row cut short: the rest is blank
    present = [j for j, c in enumerate(columns) if c.key in offsets]
    picked = grid.T[[offsets[columns[j].key] for j in present]]  # one copy, a schema column per row
    if len(present) == len(columns):
        out = picked
    else:
        out = np.full((len(columns), len(rows)), None, dtype=object)
        out[present] = picked
    tidy(columns, offsets, out, compact=True)
    return out


def tidy(columns: Sequence[Column], offsets: dict[str, int], cells: np.ndarray, *, compact: bool) -> None:
    """In place, per schema column the table has: empty text is None, a whole number in a text
    column is its digits, and (``compact``) a long column is made anew (see :func:`_compact`)."""
    for j, c in enumerate(columns):
        if c.key not in offsets:
            continue
        column = cells[j]  # a view: changed in place
        kind = infer_dtype(column, skipna=True)
        if kind not in _WITHOUT_TEXT and (empty := column == "").any():
            column[empty] = None
            kind = infer_dtype(column, skipna=True)
        if c.type in TEXT_TYPES and kind not in ("string", "empty"):
            cells[j] = [str(int(v)) if type(v) is float and v.is_integer() else v for v in column]
            kind = infer_dtype(column, skipna=True)
        if compact and len(column) >= COMPACT_ROWS:
            _compact(column, kind)


#: a column this long is built anew, its values together in memory (see _compact)
COMPACT_ROWS = 1000


def _compact(column: np.ndarray, kind: str) -> None:
    """Makes a column's text and numbers anew, in place, together in memory: equal values.

    A sheet reader creates the cells row after row, so one column's 50 000 values lie spread over
    the memory of the whole sheet, and every later pass over the column (matching, scoring,
    comparing) waits on memory for each of them: a refresh's work on its frames took half as long
    again as the same work on the same values made column by column. Numbers are made by one
    conversion, text by one join and one split (a text the column repeats, once)."""
    if kind not in ("floating", "string"):
        return
    present = ~pd.isna(column)
    every = bool(present.all())
    values = column if every else column[present]
    if kind == "floating":
        fresh: Any = values.astype(float).astype(object)
    else:
        distinct = dict.fromkeys(values.tolist())
        fresh = "\0".join(distinct).split("\0")
        if len(fresh) != len(distinct):
            return  # a text holds NUL (live Excel through a macro; a file cannot): left as it is
        if len(fresh) != len(values):
            fresh = list(map(dict(zip(distinct, fresh)).__getitem__, values.tolist()))
    if every:
        column[:] = fresh
    else:
        column[present] = fresh


#: what ``infer_dtype(..., skipna=True)`` says of a column that holds no text, so no empty text ("")
_WITHOUT_TEXT = frozenset({"empty", "floating", "integer", "mixed-integer-float", "boolean", "datetime", "date",
                           "time", "timedelta", "datetime64", "timedelta64", "decimal"})


def kept_rows(cells: np.ndarray) -> np.ndarray:
    """Rows holding a value in any column (``~pd.isna(cells).all(axis=0)``), found column by column
    over the rows still blank: after the first filled column there are few or none left to look at."""
    blank = np.arange(cells.shape[1])
    for column in cells:
        blank = blank[pd.isna(column[blank])]
        if not len(blank):
            break
    keep = np.ones(cells.shape[1], dtype=bool)
    keep[blank] = False
    return keep


def table_specs(schema: Schema) -> list[tuple[str, str, Sequence[Column], bool]]:
    """(key, Excel table name, columns, is a settings table) for every table the workbook holds."""
    specs: list[tuple[str, str, Sequence[Column], bool]] = [(s.key, s.table, s.columns, False) for s in schema.sheets]
    specs += [(k, t.table, t.columns, True) for k, t in schema.settings_tables.items()]
    return specs
