"""The workbook's side and the last synced side of the merge, as canonical rows per creator key.

Why its own module, and why column-wise: every sync turns the whole creators table (20 000 rows x 25
columns is half a million cells) and the whole long ``_sync_base`` table (one row per cell) into
``creator key -> column -> canonical text`` before it can tell that nothing changed. Done cell by cell
in Python that was most of a no-op sync's time; here each column is canonicalised at once
(:func:`~sheets_sync.safe_values.canonical_many`), rows are zipped from the columns, and the base is
read by runs of rows instead of cell by cell.

And why rows are made only when asked for: most creators are the same in the workbook, the archive
and the base at every sync. :func:`unchanged_keys` finds them by comparing whole rows as tuples cut
from the columns (or from the base's runs); the merge then makes dicts only for the rest, so a
no-op sync builds no per-creator dict at all.
"""
from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from itertools import accumulate
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from workbook_addin.core.cells import is_blank
from workbook_addin.core.keys import CreatorKeyError, creator_key
from workbook_addin.core.schema import Schema, Sheet

from .backend import RemoteRow
from .safe_values import canonical_many


class Rows(Mapping[str, dict[str, str]]):
    """key -> column -> canonical text, kept as read; each row's dict is made (once) when asked for."""

    def __init__(self, index: Mapping[str, Any]) -> None:
        self._index = index  # key -> where its row is held (a position, a run)
        self._made: dict[str, dict[str, str]] = {}

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __getitem__(self, key: str) -> dict[str, str]:
        row = self._made.get(key)
        if row is None:
            row = self._made[key] = self._make(key)
        return row

    def _make(self, key: str) -> dict[str, str]:
        raise NotImplementedError

    def picked(self, columns: list[str], spare: Collection[str] = ()) -> dict[str, tuple[str, ...]]:
        """key -> the row's values in ``columns``, for the rows that can be compared whole (others
        are left out, and so never taken for unchanged); ``spare``: other columns a row may hold."""
        raise NotImplementedError


class ColumnRows(Rows):
    """Rows held as whole columns (the workbook's table after canonicalisation)."""

    def __init__(self, names: list[str], columns: list[list[str]], where: dict[str, int]) -> None:
        super().__init__(where)
        self.names, self.columns, self.where = names, columns, where  # where: key -> position

    def _make(self, key: str) -> dict[str, str]:
        pos = self.where[key]
        return dict(zip(self.names, [c[pos] for c in self.columns]))

    def picked(self, columns: list[str], spare: Collection[str] = ()) -> dict[str, tuple[str, ...]]:
        at = {n: i for i, n in enumerate(self.names)}
        if any(c not in at for c in columns):
            return {}
        lines = list(zip(*[self.columns[at[c]] for c in columns]))
        return {k: lines[p] for k, p in self.where.items()}


class RunRows(Rows):
    """Rows held as runs of the long base table: creator ``k`` is ``cols[a:b]`` / ``vals[a:b]``."""

    def __init__(self, cols: list[str], vals: list[str], runs: dict[str, tuple[int, int]]) -> None:
        super().__init__(runs)
        self.cols, self.vals, self.runs = cols, vals, runs

    def _make(self, key: str) -> dict[str, str]:
        a, b = self.runs[key]
        return dict(zip(self.cols[a:b], self.vals[a:b]))

    def picked(self, columns: list[str], spare: Collection[str] = ()) -> dict[str, tuple[str, ...]]:
        """Only runs holding ``columns`` in that order (as the sync writes the base) and otherwise
        nothing but ``spare`` columns (left out of the merge, kept as they are): any other base row
        would change when merged, so it is never "unchanged"."""
        n, cols, vals, spare = len(columns), self.cols, self.vals, set(spare)
        out: dict[str, tuple[str, ...]] = {}
        for key, (a, b) in self.runs.items():
            if b - a == n:
                if cols[a:b] == columns:
                    out[key] = tuple(vals[a:b])
            elif b - a > n and spare:
                kept = [i for i in range(a, b) if cols[i] not in spare]
                if [cols[i] for i in kept] == columns:
                    out[key] = tuple(vals[i] for i in kept)
        return out


LocalRows = tuple[Rows, dict[str, Any], list[tuple[Any, str, Any]], list[str]]


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
    where: dict[str, int] = {}
    label_of: dict[str, Any] = {}
    fills: list[tuple[Any, str, Any]] = []
    problems: list[str] = []
    for pos, (label, key) in enumerate(zip(frame.index, keys)):
        if not key:
            key = _made_key(raw, pos, sheet, frame, problems)
            if not key:
                continue
            fills.append((label, "creator_key", key))
        if key in where:
            problems.append(f"{sheet.name}, row {_row_number(frame, pos)}: creator {key} appears twice; only the first "
                            "row is synced")
            continue
        where[key] = pos
        label_of[key] = label
    return ColumnRows(names, canon, where), label_of, fills, problems


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


def base_rows(base: pd.DataFrame | None, sheet_key: str) -> Rows:
    """The long ``sync_base`` table (sheet, creator_key, column, value) as key -> column -> text.

    The base is written one creator after another, so each creator's cells are one run of rows: the
    runs are found with one array comparison and kept as they are. A base whose creators are not in
    runs (edited by hand) is read cell by cell, later rows winning, as always."""
    if base is None or base.empty:
        return RunRows([], [], {})
    part = base[base["sheet"].astype(str) == sheet_key]
    if part.empty:
        return RunRows([], [], {})
    values = part["value"].where(part["value"].notna(), "").astype(str).tolist()
    keys = part["creator_key"].astype(str).to_numpy(dtype=object)
    columns = part["column"].astype(str).tolist()
    bounds = [0, *(np.flatnonzero(keys[1:] != keys[:-1]) + 1).tolist(), len(keys)]
    runs = dict(zip(keys[bounds[:-1]].tolist(), zip(bounds[:-1], bounds[1:])))
    if len(runs) == len(bounds) - 1:
        return RunRows(columns, values, runs)
    out: dict[str, dict[str, str]] = {}
    for key, col, value in zip(keys.tolist(), columns, values):
        row = out.get(key)
        if row is None:
            row = out[key] = {}
        row[col] = value
    flat_cols = [c for row in out.values() for c in row]
    flat_vals = [v for row in out.values() for v in row.values()]
    ends = list(accumulate(len(row) for row in out.values()))
    return RunRows(flat_cols, flat_vals, {k: (e - len(row), e) for (k, row), e in zip(out.items(), ends)})


def unchanged_keys(columns: list[str], local: Rows, base: Rows, remote: Mapping[str, RemoteRow],
                   exclude: Collection[str] = (), spare: Collection[str] = ()) -> set[str]:
    """Creators the same in the workbook, the archive and the base in every merged column, and whose
    base row holds exactly those columns: the merge would change nothing for them (no pull, no push,
    the same base row), so it never looks at them. Compared as whole tuples, a row at a time in C.
    ``exclude``: keys the merge must see anyway (open conflicts, creators being forgotten); ``spare``:
    columns left out of the merge whose base cells are kept as they are (:func:`sheets_sync.sync.keep_base`)."""
    if not columns:
        return set()
    mine, last = local.picked(columns), base.picked(columns, spare)
    pick = itemgetter(*columns) if len(columns) > 1 else (lambda values: (values[columns[0]],))
    same = set()
    for key, line in mine.items():
        if last.get(key) != line or key in exclude:
            continue
        row = remote.get(key)
        if row is None or row.needs_key:
            continue
        try:
            if pick(row.values) == line:
                same.add(key)
        except KeyError:
            continue
    return same
