"""A long table this product alone writes, remembered as the next read of the file will give it
back, so that the next job on the same file does not parse it again.

The refresh reads the whole import ledger (hidden; one row per order and post reading: 50 000 rows
and growing) to fold the new exports into it: half a second of a core, on the path every later
step waits for. Nobody types into it; each refresh writes it and the next one reads back what the
last one wrote. So, after a save, the writer keeps the table's values (as the reader will give
them: :func:`as_saved`) in the user's cache folder, under a key made of the stored bytes of every
part the reading depends on (the table's sheet and table parts, the shared strings, the styles,
workbook.xml) and of the product's code and reader. A file changed in any of those parts, by
Excel or by anyone, misses the memo and is read; so does a file refreshed on another computer.

What is remembered is what the reader would give, or nothing:

- a cell the save left alone keeps the value it was read with (a number within the writer's
  tolerance of the new one is not rewritten);
- a written number reads back as a float, a written date or midnight time as its day, text as
  itself less the characters XML cannot hold, true/false as itself, an infinite number or NaN as
  a blank (a day before 1 March 1900, counted otherwise by Excel's serial numbers, is not
  remembered); the read's own rules (``tables_layout.tidy``: empty text is blank, a whole number in a
  text column its digits) then apply as on any read;
- the product's styles decide whether a number cell is read as a date: a date column holds dates
  and the other columns no dates. A column read with a value of the other kind (a format a person
  set by hand), a written value whose reading depends on more (a time of day, a duration, a
  column of mixed kinds) or a row left blank (the writer may put the rows it appends there) is
  not remembered, and the next refresh reads the table. A format set by hand on cells that have
  never held a value is not seen: the hidden ledger's cells are the product's own.

A test writes random ledgers with the real writer and reads them with the real reader against
the memo. Memos are numpy arrays read without pickle (nothing in a cache folder can run code),
each distinct text or day once (7 MB at 50 000 rows); the newest few are kept.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.schema import Column
from .xlsx.cells import kept_text
from .xlsx.members import data_start
from .tables_layout import DATE_COLUMN_TYPES, framed, kept_rows, tidy

#: memos kept in the folder (the oldest go first): one per workbook a person refreshes, and spare
KEEP = 4
_VERSION = 1
_DAY = dt.date.fromordinal
_INFINITE = [np.inf, -np.inf]
_DAYS = {dt.date, dt.datetime}
_FIRST_DAY = dt.date(1900, 3, 1)


@dataclass(frozen=True)
class TableMemo:
    """Where memos are kept, and what else their key holds (the product's code and reader:
    ``salt``, asked for only when a key is made, so a refresh that reads no ledger pays nothing)."""

    folder: Path
    salt: Callable[[], str]
    tables: frozenset[str] = frozenset({"ledger"})  # schema keys of the tables remembered

    def key(self, parts: list[tuple[str, int, int, bytes]]) -> str:
        """The key of a table whose reading depends on ``parts`` (name, CRC, size, stored bytes)."""
        h = hashlib.sha256(f"{_VERSION}\0{self.salt()}".encode())
        for name, crc, size, raw in parts:
            h.update(f"\0{name}\0{crc}\0{size}\0{len(raw)}\0".encode())
            h.update(raw)
        return h.hexdigest()

    def recall(self, key: str, columns: Sequence[Column]) -> pd.DataFrame | None:
        """The frame remembered under ``key`` (its columns ``columns``), or None: never seen,
        or unreadable (then the table is read)."""
        try:
            with np.load(self.folder / f"{key}.npz", allow_pickle=False) as z:
                return _frame(z, columns)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None

    def remember(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        """Keeps a table's :func:`stored_form` under ``key`` (atomically), dropping the oldest
        memos; a folder that cannot be written only means the next read reads."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.tmp"
            with open(tmp, "wb") as fh:
                np.savez(fh, allow_pickle=False, **arrays)
            os.replace(tmp, self.folder / f"{key}.npz")
            old = sorted(self.folder.glob("*.npz"), key=lambda p: p.stat().st_mtime_ns)
            for p in old[:max(0, len(old) - KEEP)]:
                p.unlink(missing_ok=True)
        except (OSError, ValueError):  # a full disk, a folder not ours
            pass


def key_parts(pkg: Any, table: str) -> list[str]:
    """The parts whose stored bytes decide what reading ``table`` gives."""
    t = pkg.tables[table]
    parts = [pkg.sheets[t.sheet].part, t.part, "xl/workbook.xml", "xl/styles.xml", pkg.shared_strings]
    return [p for p in parts if p]


def stored(pkg: Any, names: list[str]) -> list[tuple[str, int, int, bytes]] | None:
    """(name, CRC, size, stored bytes) of each part of a package as read; None if one cannot be had."""
    out = []
    for name in names:
        info = pkg.info(name)
        raw = pkg.data.raw(info) if info is not None else None
        if raw is None:
            return None
        out.append((name, info.CRC, info.file_size, raw))
    return out


def stored_in_file(path: Path, names: list[str]) -> list[tuple[str, int, int, bytes]] | None:
    """:func:`stored` of a file on disk, reading only those parts."""
    try:
        with open(path, "rb") as fh, zipfile.ZipFile(fh) as z:
            out = []
            for name in names:
                info = z.getinfo(name)
                fh.seek(info.header_offset)
                start = data_start(info, fh.read(30))
                if start is None:
                    return None
                fh.seek(start)
                out.append((name, info.CRC, info.file_size, fh.read(info.compress_size)))
            return out
    except (OSError, KeyError, zipfile.BadZipFile):
        return None


def stored_form(columns: Sequence[Column], current: pd.DataFrame, held: dict[str, list[Any]], first_row: int,
                count: int) -> dict[str, np.ndarray] | None:
    """What the memo keeps of a table a save leaves as :func:`as_saved` says (None: nothing)."""
    cells = _saved_cells(columns, current, held, first_row, count)
    return None if cells is None else _arrays(cells, [c.key for c in columns], first_row)


def as_saved(columns: Sequence[Column], current: pd.DataFrame, held: dict[str, list[Any]], first_row: int,
             count: int) -> pd.DataFrame | None:
    """The frame a read of the table will give after a save that left it holding ``held`` (the
    columns it wrote, as :func:`~.tables_changes.replace_rows` returns them) in its first ``count``
    rows from ``first_row``, its other columns as ``current`` (the table as read); None where that
    cannot be told (see the module)."""
    cells = _saved_cells(columns, current, held, first_row, count)
    return None if cells is None else framed(columns, cells, first_row)


def _saved_cells(columns: Sequence[Column], current: pd.DataFrame, held: dict[str, list[Any]], first_row: int,
                 count: int) -> np.ndarray | None:
    """:func:`as_saved`'s cells, one row per schema column."""
    old = current.reindex(range(first_row, first_row + count))
    cells = np.full((len(columns), count), None, dtype=object)
    offsets = {}
    for j, c in enumerate(columns):
        dates = c.type in DATE_COLUMN_TYPES
        if c.key in current.columns and not _fits(current[c.key].tolist(), dates):
            return None  # read with a value of the other kind: a format set by hand decides
        if c.key in held:
            read = _read_back(held[c.key], dates)
            if read is None:
                return None
        elif c.key in current.columns:  # not written: as read (a row the table did not hold, blank)
            read = old[c.key].to_numpy(dtype=object, copy=True)
            read[pd.isna(read)] = None
        else:
            continue
        cells[j] = read
        offsets[c.key] = j
    tidy(columns, offsets, cells, compact=False)
    if not kept_rows(cells).all():
        return None  # a blank row: the writer may start the rows it appends on it
    return cells


def _fits(values: list[Any], dates: bool) -> bool:
    """Whether cells read as ``values`` show a date column's style to be a date format (nothing
    but days there) and another column's not (no day there)."""
    kinds = set(map(type, values))
    return kinds <= _DAYS | {type(None)} if dates else not kinds & _DAYS


def _read_back(values: list[Any], dates: bool) -> np.ndarray | None:
    """What the cell reader gives for cells holding ``values`` (a date column's style is a date
    format, another column's not; NaN, a row the table did not hold, is a blank), or None where
    that cannot be told."""
    cells = np.array(values, dtype=object)
    blank = pd.isna(cells)
    cells[blank] = None
    present = cells[~blank].tolist()
    kinds = set(map(type, present))
    if float in kinds:
        cells[pd.Series(cells).isin(_INFINITE).to_numpy()] = None  # the writer leaves these cells blank
    if dates:
        if not kinds <= _DAYS:
            return None
        if dt.datetime in kinds:
            at = [i for i, v in enumerate(cells.tolist()) if type(v) is dt.datetime]
            if any(cells[i].time() != dt.time() or cells[i].tzinfo is not None for i in at):
                return None
            cells[at] = [cells[i].date() for i in at]
        days = cells[~blank].tolist()
        if days and (min(days) < _FIRST_DAY):  # Excel's serial numbers count a 29 February 1900
            return None
        return cells
    if not kinds <= {str, float, int, bool}:
        return None
    if int in kinds:
        cells[:] = [float(v) if type(v) is int else v for v in cells.tolist()]
    if kinds == {str}:
        if (kept := kept_text(present)) is not present:
            cells[~blank] = kept
    elif str in kinds:
        listed = cells.tolist()
        at = [i for i, v in enumerate(listed) if type(v) is str]
        cells[at] = kept_text([listed[i] for i in at])
    return cells


# ---------------------------------------------------------------------------- stored form
_KINDS = {"text": str, "float": float, "bool": bool, "day": dt.date}


def _arrays(cells: np.ndarray, keys: list[str], first_row: int) -> dict[str, np.ndarray] | None:
    """A table's cells (one row per column, none blank throughout) as plain arrays: per column its
    kind, blanks and values; None for a column of mixed kinds (not remembered)."""
    out: dict[str, np.ndarray] = {"index": np.arange(first_row, first_row + cells.shape[1], dtype=np.int64)}
    kinds = []
    for i, column in enumerate(cells):
        blank = pd.isna(column)
        present = column[~blank].tolist()
        found = set(map(type, present))
        kind = next((k for k, t in _KINDS.items() if found == {t}), "empty" if not found else None)
        if kind is None:
            return None
        kinds.append(kind)
        out[f"blank{i}"] = blank
        if kind in ("text", "day"):  # each distinct value once: most of a ledger's repeat
            codes, distinct = pd.factorize(column[~blank])
            out[f"codes{i}"] = codes.astype(np.int32)
            present = distinct.tolist()
        if kind == "text":
            out[f"ends{i}"], out[f"data{i}"] = _text_arrays(present)
        elif kind == "float":
            out[f"data{i}"] = np.array(present, dtype=np.float64)
        elif kind == "bool":
            out[f"data{i}"] = np.array(present, dtype=bool)
        elif kind == "day":
            out[f"data{i}"] = np.array([d.toordinal() for d in present], dtype=np.int64)
    out["head"] = np.frombuffer(json.dumps({"columns": keys, "kinds": kinds}).encode(), dtype=np.uint8)
    return out


def _text_arrays(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Texts as UTF-8 bytes end to end and where each ends (one encoding where all are ASCII)."""
    whole = "".join(texts)
    data = whole.encode("utf-8", "surrogatepass")
    if len(data) == len(whole):
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    else:
        sizes = np.fromiter((len(t.encode("utf-8", "surrogatepass")) for t in texts), dtype=np.int64, count=len(texts))
    return np.cumsum(sizes), np.frombuffer(data, dtype=np.uint8)


def _frame(z: Any, columns: Sequence[Column]) -> pd.DataFrame | None:
    """The frame :func:`_arrays` stored, if it has the schema's columns."""
    head = json.loads(z["head"].tobytes())
    keys = [c.key for c in columns]
    if head["columns"] != keys:
        return None
    index = z["index"]
    data = {}
    for i, (key, kind) in enumerate(zip(keys, head["kinds"])):
        blank = z[f"blank{i}"]
        column = np.full(len(index), None, dtype=object)
        if kind != "empty":
            column[~blank] = _values(z, i, kind)
        data[key] = column
    at = pd.RangeIndex(int(index[0]), int(index[-1]) + 1, name="excel_row") if len(index) and (
        np.diff(index) == 1).all() else pd.Index(index, name="excel_row")
    return pd.DataFrame(data, index=at, columns=keys, dtype=object)


def _values(z: Any, i: int, kind: str) -> np.ndarray:
    values = z[f"data{i}"]
    if kind == "float":
        return values.astype(object)
    if kind == "bool":
        return np.array(values.tolist(), dtype=object)
    if kind == "day":
        distinct = [_DAY(d) for d in values.tolist()]
    else:
        data, ends = values.tobytes(), z[f"ends{i}"].tolist()
        starts = [0, *ends[:-1]]
        if data.isascii():
            whole = data.decode("ascii")
            distinct = [whole[a:b] for a, b in zip(starts, ends)]
        else:
            distinct = [data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(starts, ends)]
    return np.array(distinct + [None], dtype=object)[:-1][z[f"codes{i}"]]
