"""Where each table sits and the frames read from it: what both adapters (file, live Excel) share.

Headers are mapped to schema column keys through the schema's bilingual headers, so a column
moved or a user column inserted does not matter. Nothing here reads a file, so the xlwings Lite
bundle carries it (with :mod:`.tables_changes`) without the file reader and writer.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

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


def frame_from_rows(columns: Sequence[Column], headers: Sequence[Any], rows: Sequence[Sequence[Any]],
                    first_row: int, where: str) -> tuple[pd.DataFrame, dict[str, int], list[str]]:
    """A table's header and body cells -> (frame with schema keys, key -> offset in the table, warnings).

    The frame's index is named ``excel_row`` and holds the Excel row number, so every message the
    engine makes names the row a person sees. Rows with no value at all are left out.
    """
    lookup = header_map(columns)
    offsets: dict[str, int] = {}
    warnings = []
    i: int | None
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
    specs: list[tuple[str, str, Sequence[Column], bool]] = [(s.key, s.table, s.columns, False) for s in schema.sheets]
    specs += [(k, t.table, t.columns, True) for k, t in schema.settings_tables.items()]
    return specs
