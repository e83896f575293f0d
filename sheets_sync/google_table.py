"""Where the creator table is in the shared tab, which column is which, and its rows.

Why its own module: people move things around in a shared sheet (a title row above the header, a
blank column A, frozen rows, a renamed header, a deleted column) and the rules for finding the table
despite all that change for those reasons alone, not because the API or the merge changes.

* The header row is the row among the first :data:`SCAN_ROWS` that names the most synced columns
  (a title, notes or a blank row above it are skipped; any column may come first).
* A header is recognised by its exact bilingual text, either half, the key, or - when a person edited
  it - by containing exactly one synced column's Chinese or English label ("Notes (team)",
  "Notes 备注"). A synced column not found that way is *missing*: never read as blank (that would tell
  the merge "the sheet cleared it" and wipe the column in every workbook).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import zip_longest
from typing import Any

from workbook_addin.core.cells import is_blank
from workbook_addin.core.keys import CreatorKeyError, creator_key
from workbook_addin.core.schema import Column, Sheet, header_map, normalise_header

from .backend import RemoteRow, RemoteTable, SyncError
from .safe_values import canonical, canonical_many

IDENTITY = ("creator_key", "platform", "handle", "profile_url")
#: How far down a title, notes or blank rows may push the header row.
SCAN_ROWS = 30
_PUNCT = re.compile(r"[\s()\[\]{}（）【】/\\|,;:，；：_\-–—.·]+")


@dataclass
class TabState:
    """What the read learned about the tab: where the header is, where each schema column is."""

    title: str
    header: list[str]
    col_of: dict[str, int]  # schema column key -> 0-based column index
    missing: list[str] = field(default_factory=list)  # synced columns the header lacks
    header_row: int = 1  # 1-based sheet row of the header
    last_row: int = 1
    renamed: dict[str, str] = field(default_factory=dict)  # column key -> header text a person gave it
    recorded: bool | None = None  # whether the tab records its columns (None: not asked)


def row_key(cells: Mapping[str, Any]) -> tuple[str, bool]:
    """(creator key, needs_key) of a sheet row; raises CreatorKeyError when none can be made."""
    key = canonical(cells.get("creator_key"))
    if key:
        return key, False
    return creator_key(cells.get("platform"), cells.get("handle") or cells.get("profile_url")), True


def _words(text: Any) -> str:
    return " " + _PUNCT.sub(" ", normalise_header(text)).strip() + " "


@lru_cache(maxsize=512)
def _label_words(label: str) -> str:
    """:func:`_words` of a schema label: the header scan asks for every label against every cell of
    the first rows (30 rows x 26 cells x 50 labels on each sync), and labels never change."""
    return _words(label)


def recognise(header: list[Any], columns: list[Column]) -> tuple[dict[str, int], dict[str, str]]:
    """Column key -> index for the synced ``columns`` in ``header``, and the keys recognised only
    loosely (key -> the header text, so a message can say "read 'Notes (team)' as 备注 Notes")."""
    exact = header_map(columns)
    col_of: dict[str, int] = {}
    loose: list[int] = []
    for i, text in enumerate(header):
        key = exact.get(normalise_header(text)) if not is_blank(text) else None
        if key is not None and key not in col_of:
            col_of[key] = i
        elif key is None and not is_blank(text):
            loose.append(i)
    left = [c for c in columns if c.key not in col_of]
    claims: dict[str, list[int]] = {}
    for i in loose:
        words = _words(header[i])
        hits = [c.key for c in left if any(_label_words(label) in words for label in (c.zh, c.en) if label.strip())]
        if len(hits) == 1:
            claims.setdefault(hits[0], []).append(i)
    renamed = {}
    for key, where in claims.items():
        if len(where) == 1:  # two headers both look like "Notes": neither is trusted
            col_of[key] = where[0]
            renamed[key] = str(header[where[0]])
    return col_of, renamed


def find_header(values: list[list[Any]], sheet: Sheet) -> int | None:
    """0-based index of the header row in ``values`` (None when no row names two identity columns)."""
    synced = sheet.synced_columns
    best, best_score = None, 0
    for r, line in enumerate(values[:SCAN_ROWS]):
        if not line:
            continue
        col_of, _ = recognise(line, synced)
        if sum(k in col_of for k in IDENTITY) < 2:
            continue
        if len(col_of) > best_score:
            best, best_score = r, len(col_of)
    return best


def read_table(sheet: Sheet, title: str, values: list[list[Any]]) -> RemoteTable:
    """The archive rows of the tab's ``values`` (as ``values.batchGet`` returns them from A1)."""
    at = find_header(values, sheet)
    if at is None:
        wanted = ", ".join(sheet.column(k).header for k in IDENTITY[:3])
        raise SyncError(f"共享表 shared sheet '{title}': 找不到表头 no header row found in the first {SCAN_ROWS} rows "
                        f"(looked for {wanted}). Put the header row back, or clear the tab to let the sync rebuild it.")
    synced = sheet.synced_columns
    header = [("" if is_blank(h) else str(h)) for h in values[at]]
    col_of, renamed = recognise(header, synced)
    missing = [c.key for c in synced if c.key not in col_of]
    state = TabState(title, header, col_of, missing, header_row=at + 1, last_row=len(values), renamed=renamed)
    if "creator_key" not in col_of:
        raise SyncError(f"共享表 shared sheet '{title}': 列 {sheet.column('creator_key').header} 不见了 the creator "
                        "key "
                        "column is missing; rows cannot be matched without it. Put the column back (undo in the "
                        "sheet, or version history) and sync again.")
    rows, problems = _rows(sheet, title, values, at, col_of)
    return RemoteTable(sheet, rows, problems, state)


def _rows(sheet: Sheet, title: str, values: list[list[Any]], at: int,
          col_of: dict[str, int]) -> tuple[dict[str, RemoteRow], list[str]]:
    """Column-wise canonical values, then one RemoteRow per keyed row (20 000 rows x 25 columns is
    half a million cells on every sync, so the body is transposed at once and the usual row - key
    cell filled - takes the short way)."""
    cols = [c for c in sheet.synced_columns if c.key != "creator_key" and c.key in col_of]
    body = values[at + 1:]
    by_col = list(zip_longest(*body)) if body else []  # ragged rows (Google trims empty tails) padded
    width = len(by_col)
    canon = [canonical_many(list(by_col[col_of[c.key]]) if col_of[c.key] < width else [None] * len(body), c)
             for c in cols]
    names = [c.key for c in cols]
    by_row = list(zip(*canon)) if canon else [()] * len(body)
    key_at = col_of["creator_key"]
    written_keys = by_col[key_at] if key_at < width else [None] * len(body)
    rows: dict[str, RemoteRow] = {}
    problems: list[str] = []
    first = at + 2
    for n, (raw, written, line) in enumerate(zip(body, written_keys, by_row), start=first):
        if type(written) is str and written.strip():
            key, needs_key = written.strip(), False
        elif not raw or all(v == "" or v is None for v in raw):
            continue
        else:
            try:
                cells = {k: (raw[i] if i < len(raw) else None) for k, i in col_of.items() if k in IDENTITY}
                key, needs_key = row_key(cells)
            except CreatorKeyError as error:
                problems.append(f"共享表 shared sheet '{title}', row {n}: {error}; not synced")
                continue
        if key in rows:
            problems.append(f"共享表 shared sheet '{title}', row {n}: creator {key} already in row "
                            f"{rows[key].row}; row {n} is not synced (merge the two rows by hand)")
            continue
        rows[key] = RemoteRow(key, dict(zip(names, line)), row=n, needs_key=needs_key)
    return rows, problems
