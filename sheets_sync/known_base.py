"""The last synced state (the workbook's ``_sync_base``) known without reading it, when that is provable.

Why: the base is the largest thing a sync reads. At 10 000 creators it is a 240 000-row long table,
about a second to parse from the workbook, while the creators table and the whole archive read in a
fifth of that. After a sync the base almost always equals the workbook's own rows (what was pushed
and pulled is what was merged), and a refresh that finds the workbook byte for byte as its last
run wrote it (:mod:`workbook_addin.jobs.refresh_memo`) can know what that run wrote into the base.

So a sync may be given, instead of the base, a :class:`KnownBase`: a :func:`certificate` of the
base as last written (a SHA-256 over every creator's base cells, and the columns each creator's
cells are in) and a way to read the real one. :class:`BaseSide` builds the base the certificate
claims out of the workbook's own canonical rows and keeps it only if it hashes to the certificate;
else it reads the real base at once. Even a certified base is used for one thing only: to find that
every creator is the same in the workbook, the archive and the base, so that the merge has nothing
to do and the base stays as it is. If any creator differs (a team mate's edit in the archive, an
open conflict, a creator added or removed anywhere), the real base is read before the merge, and
the sync runs exactly as it always did. The archive itself is read in full at every sync.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .backend import RemoteRow
from .rows import ColumnRows, Rows, RunRows, base_rows, unchanged_keys


@dataclass(frozen=True)
class KnownBase:
    """A sync base not read: what it holds (``certificate``) and how to read it (``load``)."""

    certificate: Mapping[str, Any]
    load: Callable[[], pd.DataFrame] = field(compare=False)


def rows_digest(rows: RunRows) -> str:
    """SHA-256 over each creator's base cells (key, columns in order, values), creators sorted by
    key: the order the creators' runs have in the sheet does not count, their content does."""
    cols, vals = rows.cols, rows.vals
    text = json.dumps([[key, cols[a:b], vals[a:b]] for key, (a, b) in sorted(rows.runs.items())],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def certificate(base: pd.DataFrame | None, sheet_key: str) -> dict[str, Any] | None:
    """What a later sync needs to know ``base`` (as the workbook will hold it) without reading it:
    None when its creators' cells are not all in the same columns (nothing is certified then)."""
    rows = base_rows(base, sheet_key)
    if not isinstance(rows, RunRows) or not rows.runs:
        return None
    a, b = next(iter(rows.runs.values()))
    columns = rows.cols[a:b]
    if any(rows.cols[a:b] != columns for a, b in rows.runs.values()):
        return None
    return {"sheet": sheet_key, "columns": columns, "creators": len(rows.runs), "digest": rows_digest(rows)}


def claimed_rows(cert: Mapping[str, Any], mine: Rows, sheet_key: str) -> RunRows | None:
    """The base ``cert`` describes, if it is the workbook's rows in the certified columns; else None."""
    columns = list(cert.get("columns") or [])
    if cert.get("sheet") != sheet_key or not columns or cert.get("creators") != len(mine) \
            or not isinstance(mine, ColumnRows) or any(c not in mine.names for c in columns):
        return None
    at = {name: i for i, name in enumerate(mine.names)}
    lines = list(zip(*[mine.columns[at[c]] for c in columns]))
    n = len(columns)
    vals = [v for pos in mine.where.values() for v in lines[pos]]
    runs = {key: (i * n, i * n + n) for i, key in enumerate(mine.where)}
    rows = RunRows(columns * len(runs), vals, runs)
    return rows if rows_digest(rows) == cert.get("digest") else None


class BaseSide:
    """The base side of one sync: the real base frame and its rows, or a certified stand-in that is
    swapped for the real base the moment the merge has anything to do (see the module docstring)."""

    def __init__(self, base: pd.DataFrame | KnownBase | None, mine: Rows, sheet_key: str) -> None:
        self.sheet_key = sheet_key
        self.known: KnownBase | None = None
        self.frame: pd.DataFrame | None = None
        self.rows: Rows
        claimed = claimed_rows(base.certificate, mine, sheet_key) if isinstance(base, KnownBase) else None
        if claimed is not None:
            self.known, self.rows = base, claimed
        else:
            self._use(base.load() if isinstance(base, KnownBase) else base)

    def _use(self, frame: pd.DataFrame | None) -> None:
        self.known, self.frame = None, frame
        self.rows = base_rows(frame if frame is not None else pd.DataFrame(), self.sheet_key)

    def unchanged(self, columns: list[str], mine: Rows, remote: Mapping[str, RemoteRow], exclude: Collection[str],
                  spare: Collection[str], *, merge_all: bool = False) -> tuple[set[str], Rows]:
        """:func:`~sheets_sync.rows.unchanged_keys` against this base (none when ``merge_all``), and the
        base rows the merge is to see. A certified base stays only when every creator of the workbook,
        the archive and the base is among them, so the merge sees no row at all; else the real base is
        read and asked again."""
        same = set() if merge_all else unchanged_keys(columns, mine, self.rows, remote, exclude, spare)
        if self.known is not None and not (len(same) == len(mine) == len(self.rows) == len(remote)
                                           and all(k in same for k in remote) and all(k in same for k in self.rows)):
            self._use(self.known.load())
            same = set() if merge_all else unchanged_keys(columns, mine, self.rows, remote, exclude, spare)
        return same, self.rows
