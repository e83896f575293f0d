"""The guard read and the checks that keep a write on the row it was meant for.

Why its own module: the Sheets API has no conditional write, and people sort the shared sheet while
others sync. What a sync knows about where each creator is *right before* writing, and how it proves
afterwards that a write landed on the right row, is a concern of its own (see
:mod:`sheets_sync.google_sheet` for the whole protocol and its remaining window).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gspread.utils import a1_range_to_grid_range, absolute_range_name, rowcol_to_a1

from workbook_addin.core.cells import is_blank
from workbook_addin.core.keys import CreatorKeyError

from .google_table import IDENTITY, TabState, row_key
from .safe_values import canonical

#: What a row is, apart from its key cell: travels with the row through sorts, so a write checked
#: against it cannot be fooled by a key we wrote ourselves.
FINGERPRINT = ("platform", "handle", "profile_url")


@dataclass
class Guard:
    """The guard read: metadata, where each creator is now, and the raw cells of the read columns."""

    meta: dict[str, Any]
    row_of: dict[str, int]
    columns: dict[str, list[Any]]
    key_of_print: dict[tuple[str, ...], str] = field(default_factory=dict)
    height: int = 1  # rows down to the last one with anything in the read columns

    def cell(self, column: str, row: int) -> Any:
        """Raw value the guard read saw in sheet row ``row`` (1-based) of ``column``."""
        values = self.columns.get(column) or []
        return values[row - 1] if row - 1 < len(values) else None

    def print_of(self, key: str) -> tuple[str, ...] | None:
        row = self.row_of.get(key)
        return None if row is None else fingerprint({k: self.cell(k, row) for k in FINGERPRINT})

    def print_after(self, key: str, written: list[dict[str, Any]]) -> tuple[str, ...] | None:
        """The fingerprint creator ``key``'s row has once ``written`` (identity cells included) lands."""
        row = self.row_of.get(key)
        if row is None:
            return None
        cells = {k: self.cell(k, row) for k in FINGERPRINT}
        for rec in written:
            cells.update({k: v for k, v in rec.items() if k in FINGERPRINT})
        return fingerprint(cells)

    def tab(self, title: str) -> dict[str, Any] | None:
        return next((s for s in self.meta.get("sheets", []) if s["properties"]["title"] == title), None)


def fingerprint(cells: Mapping[str, Any]) -> tuple[str, ...]:
    """A row's identity apart from its key cell (see FINGERPRINT)."""
    return tuple(canonical(cells.get(k)) for k in FINGERPRINT)


def column_ranges(state: TabState, keys: list[str]) -> list[str]:
    """Whole-column A1 ranges of schema columns ``keys`` in the tab."""
    return [absolute_range_name(state.title, f"{col(state.col_of[k])}:{col(state.col_of[k])}") for k in keys]


def grid_columns(tab: dict[str, Any] | None, by_index: Mapping[int, str]) -> dict[str, list[Any]]:
    """Raw values per column key from a ``spreadsheets.get`` answer with grid data (one grid per column)."""
    columns: dict[str, list[Any]] = {}
    for g in (tab or {}).get("data") or []:
        key = by_index.get(g.get("startColumn", 0))
        if key is None:
            continue
        values: list[Any] = [None] * g.get("startRow", 0)
        for rd in g.get("rowData", []):
            cells = rd.get("values") or [{}]
            ev = cells[0].get("effectiveValue", {}) if cells else {}
            values.append(next(iter(ev.values()), None) if ev else None)
        columns[key] = values
    return columns


def build_guard(meta: dict[str, Any], columns: dict[str, list[Any]], state: TabState) -> Guard:
    """Where each creator is, from the identity columns as they are now (rows below the header)."""
    height = max((len(c) for c in columns.values()), default=0)
    row_of: dict[str, int] = {}
    for r in range(state.header_row, height):  # 0-based r = sheet row r + 1; the header is skipped
        cells = {k: (columns[k][r] if r < len(columns[k]) else None) for k in IDENTITY if k in columns}
        if all(is_blank(v) for v in cells.values()):
            continue
        try:
            key, _ = row_key(cells)
        except CreatorKeyError:
            continue
        row_of.setdefault(key, r + 1)
    last = max((r + 1 for c in columns.values() for r in range(len(c) - 1, -1, -1) if not is_blank(c[r])), default=0)
    guard = Guard(meta, row_of, columns, height=max(last, state.header_row))
    guard.key_of_print = {fp: k for k in row_of if (fp := guard.print_of(k)) is not None}
    return guard


def echo(data: dict[str, Any] | None, row: int, state: TabState) -> dict[str, Any] | None:
    """The identity cells of sheet row ``row`` from an ``updatedData`` echo (None when not all in it)."""
    if not data or "range" not in data:
        return None
    box = a1_range_to_grid_range(data["range"].rsplit("!", 1)[-1])
    r0, c0 = box.get("startRowIndex", 0), box.get("startColumnIndex", 0)
    c1 = box.get("endColumnIndex", c0 + 1)
    idents = {k: state.col_of[k] for k in IDENTITY if k in state.col_of}
    if r0 != row - 1 or not all(c0 <= i < c1 for i in idents.values()):
        return None
    line = (data.get("values") or [[]])[0] if data.get("values") else []
    return {k: (line[i - c0] if i - c0 < len(line) else None) for k, i in idents.items()}


def row_range(title: str, row: int, lo: int, hi: int) -> str:
    return absolute_range_name(title, f"{rowcol_to_a1(row, lo + 1)}:{rowcol_to_a1(row, hi + 1)}")


def col(index: int) -> str:
    return rowcol_to_a1(1, index + 1)[:-1]


def chunks(data: list[dict[str, Any]], limit: int) -> list[list[dict[str, Any]]]:
    """Split ranges into request bodies under ``limit`` bytes of JSON."""
    out: list[list[dict[str, Any]]] = []
    size = 0
    for d in data:
        n = len(json.dumps({"range": d["range"], "values": d["values"]}, ensure_ascii=False).encode()) + 2
        if not out or size + n > limit:
            out.append([])
            size = 200
        out[-1].append(d)
        size += n
    return out
