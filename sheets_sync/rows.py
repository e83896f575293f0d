"""The workbook's side and the last synced side of the merge, as canonical rows per creator key.

Why its own module, and why column-wise: every sync turns the whole creators table (20 000 rows x 25
columns is half a million cells) and the whole long ``_sync_base`` table (one row per cell) into
``creator key -> column -> canonical text`` before it can tell that nothing changed. Done cell by cell
in Python that was most of a no-op sync's time; here each column is canonicalised at once
(:func:`~sheets_sync.safe_values.canonical_many`), rows are zipped from the columns, and the base is
pivoted with array indexing instead of a loop over its half a million rows.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbook_addin.core.cells import is_blank
from workbook_addin.core.keys import CreatorKeyError, creator_key
from workbook_addin.core.schema import Schema, Sheet

from .safe_values import canonical_many

LocalRows = tuple[dict[str, dict[str, str]], dict[str, Any], list[tuple[Any, str, Any]], list[str]]


def _row_number(frame: pd.DataFrame, position: int) -> Any:
    """Workbook row of a frame row, as the engine contract numbers them (for messages)."""
    if frame.index.name == "excel_row":
        return frame.index[position]
    return position + 2


def local_rows(frame: pd.DataFrame, sheet: Sheet, schema: Schema) -> LocalRows:
    """Canonical synced values per creator key, the row label of each key, keys to fill in, problems.

    Rows without a key get one from platform + handle (``@Name``, ``name`` and the profile URL are one
    creator); rows where no key can be made are reported (sheet, row, column) and left as they are.
    """
    names = [c.key for c in sheet.synced_columns if c.key != "creator_key"]
    raw = {k: frame[k].tolist() for k in frame.columns if k in sheet.keys}
    blank = [""] * len(frame)
    canon = [canonical_many(raw[k], sheet.column(k), schema) if k in raw else blank for k in names]
    keys = canonical_many(raw.get("creator_key", [None] * len(frame)))
    out: dict[str, dict[str, str]] = {}
    label_of: dict[str, Any] = {}
    fills: list[tuple[Any, str, Any]] = []
    problems: list[str] = []
    for pos, (label, key, values) in enumerate(zip(frame.index, keys, zip(*canon) if canon else [()] * len(frame))):
        if not key:
            key = _made_key(raw, pos, sheet, frame, problems)
            if not key:
                continue
            fills.append((label, "creator_key", key))
        if key in out:
            problems.append(f"{sheet.name}, row {_row_number(frame, pos)}: creator {key} appears twice; only the first "
                            "row is synced")
            continue
        out[key] = dict(zip(names, values))
        label_of[key] = label
    return out, label_of, fills, problems


def _made_key(raw: dict[str, list[Any]], pos: int, sheet: Sheet, frame: pd.DataFrame, problems: list[str]) -> str:
    """The key of a row typed without one (platform + handle or profile URL); "" for a blank line or
    a row no key can be made for (reported)."""
    rec = {k: v[pos] for k, v in raw.items()}
    if all(is_blank(v) for v in rec.values()):
        return ""  # a blank line in the table
    try:
        return creator_key(rec.get("platform"), rec.get("handle") or rec.get("profile_url"))
    except CreatorKeyError as error:
        where = sheet.column("handle").header if "handle" in sheet.keys else "creator_key"
        problems.append(f"{sheet.name}, row {_row_number(frame, pos)}, {where}: {error}; not synced")
        return ""


def base_rows(base: pd.DataFrame | None, sheet_key: str) -> dict[str, dict[str, str]]:
    """The long ``sync_base`` table (sheet, creator_key, column, value) as key -> column -> text.

    The base is written one creator after another, so each creator's cells are one run of rows: the
    runs are found with one array comparison and each becomes its row at once. A base whose creators
    are not in runs (edited by hand) is read cell by cell, later rows winning, as always."""
    if base is None or base.empty:
        return {}
    part = base[base["sheet"].astype(str) == sheet_key]
    if part.empty:
        return {}
    values = part["value"].where(part["value"].notna(), "").astype(str).tolist()
    keys = part["creator_key"].astype(str).to_numpy(dtype=object)
    columns = part["column"].astype(str).tolist()
    bounds = [0, *(np.flatnonzero(keys[1:] != keys[:-1]) + 1).tolist(), len(keys)]
    run_keys = keys[bounds[:-1]].tolist()
    if len(set(run_keys)) == len(run_keys):
        return {k: dict(zip(columns[a:b], values[a:b])) for k, a, b in zip(run_keys, bounds[:-1], bounds[1:])}
    out: dict[str, dict[str, str]] = {}
    for key, col, value in zip(keys.tolist(), columns, values):
        row = out.get(key)
        if row is None:
            row = out[key] = {}
        row[col] = value
    return out
