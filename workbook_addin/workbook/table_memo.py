"""Long tables remembered as the next read of the file will give them back, so that the next job
on the same file does not parse them again.

Before a refresh can match anything it reads 50 000 collaborations, the import ledger (hidden; one
row per order and post reading, and growing) and the other long tables: more than a second of
a core, parsing and framing, on the path every later step waits for. Between two refreshes of the
same file the refresh itself is what wrote them last. So, after a save, the writer keeps each long
table's values, as the reader will give them (:func:`stored_form`), in the user's cache folder,
under a key made of the stored bytes of every part the reading depends on (the table's sheet and
table parts, the shared strings, the styles) and of the product's code and readers (a workbook
counting days from 1904 is not remembered). A file changed in any of those parts, by Excel or by
anyone, misses the memo and is read; so does a file refreshed on another computer.

What is remembered is what the reader would give, or nothing:

- a cell the save left alone keeps the value it was read with (a number within the writer's
  tolerance of the new one is not rewritten);
- a written number reads back as a float, a written date or midnight time as its day, text as
  itself less the characters XML cannot hold, true/false as itself, an infinite number or NaN as
  a blank (a day before 1 March 1900, counted otherwise by Excel's serial numbers, is not
  remembered); the read's own rules (``tables_layout.tidy``: empty text is blank, a whole number in a
  text column its digits) then apply as on any read;
- a cell's style decides whether a number in it is read as a date: a date column holds dates and
  the other columns no dates. A column read with a value of the other kind (a format a person
  set by hand), a written value whose reading depends on more (a time of day, a duration, a
  column of mixed kinds) or a row left blank (the writer may put the rows it appends there) is
  not remembered, and the next refresh reads the table. A cell that gets a number or a day where
  the read gave none (a blank, text) shows its style by no value: after the save its style is
  looked up in the sheet and put to the reader itself (:func:`day_styles`), and a table with a
  cell that would read otherwise (a date format set by hand on a blank cell) is not remembered.

The writer notes what each save writes into each table (:class:`Written`); a table the saves left
alone is remembered as read, under the key it was read with, and a table recalled and written
keeps the stored arrays of the columns they did not write. Tests refresh real workbooks and write
random ledgers with the real writer, and read them with the real reader against the memo. Memos are
numpy arrays read without pickle (nothing in a cache folder can run code), each distinct text or
day once (19 MB for 50 000 collaborations); the newest few of each table are kept.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ..core.schema import Column
from .xlsx.cells import ATTR_RE, kept_text
from .xlsx.members import data_start
from .xlsx.refs import col_letter
from .tables_layout import DATE_COLUMN_TYPES, TEXT_TYPES, tidy

#: a table this long is remembered (a shorter one is parsed in a few milliseconds)
MIN_ROWS = 1000
#: memos kept per table (the oldest go first): one per workbook a person refreshes, and spare
KEEP = 3
#: a staged memo this old belongs to a job that was killed (a job stages and places within seconds)
STALE_SECONDS = 3600
_VERSION = 2
_DAY = dt.date.fromordinal
_INFINITE = [np.inf, -np.inf]
_DAYS = {dt.date, dt.datetime}
_FIRST_DAY = dt.date(1900, 3, 1)
_EPOCH = dt.datetime(1, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Recalled:
    """A table's frame as remembered, and the arrays it was made of (a save that rewrites some of
    its columns keeps the others' arrays)."""

    frame: pd.DataFrame
    arrays: dict[str, np.ndarray]


@dataclass(frozen=True)
class TableMemo:
    """Where memos are kept, what else their key holds (the product's code and reader: ``salt``,
    asked for only when a key is made, so a job that reads no long table pays nothing) and from
    how many rows a table is remembered."""

    folder: Path
    salt: Callable[[], str]
    min_rows: int = MIN_ROWS

    def key(self, table: str, parts: list[tuple[str, bytes]]) -> str:
        """The key of schema table ``table`` read from ``parts`` (name, :func:`part_digest`)."""
        h = hashlib.sha256(f"{_VERSION}\0{self.salt()}\0{table}".encode())
        for name, digest in parts:
            h.update(f"\0{name}\0".encode())
            h.update(digest)
        return h.hexdigest()

    def _path(self, table: str, key: str) -> Path:
        return self.folder / f"{table}.{key}.npz"

    def recall(self, table: str, key: str, columns: Sequence[Column]) -> Recalled | None:
        """What is remembered of ``table`` under ``key`` (its columns ``columns``), or None: never
        seen, or unreadable (then the table is read)."""
        path = self._path(table, key)
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {name: z[name] for name in z.files}
            frame = _frame(arrays, columns)
            if frame is not None:
                os.utime(path)  # recently used: kept before memos of files long since changed
        except Exception:  # noqa: BLE001 - a memo that cannot be read (damaged, another layout) is as if missing
            return None
        return None if frame is None else Recalled(frame, arrays)

    def remember(self, table: str, key: str, arrays: dict[str, np.ndarray]) -> None:
        """Keeps a table's :func:`stored_form` under ``key``."""
        self.place(table, key, self.stage(table, arrays))

    def stage(self, table: str, arrays: dict[str, np.ndarray]) -> Path | None:
        """Writes a table's :func:`stored_form` to a file of its own in the folder, before its key
        is known (the memo thread writes while the save runs); None if it cannot be written."""
        tmp = self.folder / f".{table}.{os.getpid()}.{id(arrays)}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                np.savez(fh, allow_pickle=False, **arrays)
            return tmp
        except (OSError, ValueError):  # a full disk, a folder not ours: the next read reads
            tmp.unlink(missing_ok=True)
            return None

    def place(self, table: str, key: str, staged: Path | None) -> None:
        """Keeps a staged memo under ``key`` (atomically), dropping the table's oldest memos."""
        if staged is None:
            return
        try:
            os.replace(staged, self._path(table, key))
            old = sorted(self.folder.glob(f"{table}.*.npz"), key=lambda p: p.stat().st_mtime_ns)
            for p in old[:max(0, len(old) - KEEP)]:
                p.unlink(missing_ok=True)
            for p in self.folder.glob(".*.tmp"):  # a job killed while it staged
                if time.time() - p.stat().st_mtime > STALE_SECONDS:
                    p.unlink(missing_ok=True)
        except OSError:
            staged.unlink(missing_ok=True)


def key_parts(pkg: Any, table: str) -> list[str]:
    """The parts whose stored bytes decide what reading Excel table ``table`` gives."""
    t = pkg.tables[table]
    parts = [pkg.sheets[t.sheet].part, t.part, "xl/styles.xml", pkg.shared_strings]
    return [p for p in parts if p]


def part_digest(crc: int, size: int, raw: bytes) -> bytes:
    """A part's digest, from its stored (deflated) bytes and the CRC and size of what they inflate to."""
    h = hashlib.sha256(f"{crc}\0{size}\0{len(raw)}\0".encode())
    h.update(raw)
    return h.digest()


def stored(pkg: Any, name: str) -> bytes | None:
    """:func:`part_digest` of a part of a package as read; None if it cannot be had."""
    info = pkg.info(name)
    raw = pkg.data.raw(info) if info is not None else None
    return None if raw is None else part_digest(info.CRC, info.file_size, raw)


def stored_in_file(path: Path, names: list[str]) -> dict[str, bytes]:
    """:func:`part_digest` of each part of a file on disk that can be had, reading only those parts."""
    out: dict[str, bytes] = {}
    try:
        with open(path, "rb") as fh, zipfile.ZipFile(fh) as z:
            for name in names:
                info = z.getinfo(name)
                fh.seek(info.header_offset)
                start = data_start(info, fh.read(30))
                if start is not None:
                    fh.seek(start)
                    out[name] = part_digest(info.CRC, info.file_size, fh.read(info.compress_size))
    except (OSError, KeyError, zipfile.BadZipFile):
        pass
    return out


# ---------------------------------------------------------------------------- what a save leaves
@dataclass(frozen=True)
class Written:
    """What one save wrote into a table, in schema terms (``WorkbookChanges`` of one table)."""

    cells: dict[int, dict[str, Any]]  # row -> key -> value
    appended: list[dict[str, Any]]  # rows appended from ``start``
    start: int
    keep: int | None  # the data rows kept, the rest cleared (None: no row cleared)


@dataclass
class Saved:
    """A table as a save leaves it (:func:`saved_columns`)."""

    current: pd.DataFrame  # the table as read, less the rows the saves cleared
    held: dict[str, np.ndarray]  # each column written, as the table holds it afterwards
    unproven: dict[str, list[int]]  # per column written, the rows whose reading rests on a style no value showed


def saved_columns(current: pd.DataFrame, columns: set[str], first_row: int, count: int,
                  writes: list[Written]) -> Saved | None:
    """The table as a save leaves it in its ``count`` rows from ``first_row``: each column of
    ``columns`` the saves wrote (a cell left alone as read), and the cells given a number or a
    day where a read gave none (their style decides what the next read gives; see
    :meth:`FileMemos.keep`). None where the saves did what a save of this product does not (a cell
    written outside the table, or in a row it clears)."""
    saved = Saved(current, {}, {})
    aligned: list[pd.DataFrame] = []

    def column(key: str) -> np.ndarray:
        if key not in saved.held:
            saved.held[key] = _as_read(key, saved.current, first_row, count, aligned).copy()
        return saved.held[key]

    for w in writes:
        if w.keep is not None:
            if w.cells and max(w.cells) >= first_row + w.keep:
                return None
            saved.current = saved.current[saved.current.index < first_row + w.keep]
            aligned.clear()
            for values in saved.held.values():
                values[w.keep:] = None
        ends = [*((min(w.cells), max(w.cells)) if w.cells else ()), *((w.start, w.start + len(w.appended) - 1)
                                                                      if w.appended else ())]
        if ends and (min(ends) < first_row or max(ends) >= first_row + count):
            return None
        _overlay(column, columns, first_row, w.cells.items(), saved.unproven)
        _overlay(column, columns, first_row, ((w.start + i, rec) for i, rec in enumerate(w.appended)), saved.unproven)
    return saved


def _overlay(column: Callable[[str], np.ndarray], columns: set[str], first_row: int,
             written: Iterable[tuple[int, dict[str, Any]]], unproven: dict[str, list[int]]) -> None:
    """Sets each written value in its column (the rows that write the same keys, a refresh's 50 000
    rows of metrics, together, a column at a time), noting in ``unproven`` the rows whose cell
    gets a number or a day where it was read as something else."""
    groups: dict[tuple[str, ...], tuple[list[int], list[dict[str, Any]]]] = {}
    for row, values in written:
        group = groups.get(keys := tuple(values))
        if group is None:
            group = groups[keys] = ([], [])
        group[0].append(row - first_row)
        group[1].append(values)
    for keys, (rows, rows_values) in groups.items():
        at = np.array(rows, dtype=np.int64)
        for key in keys:
            if key in columns:
                held, new = column(key), np.fromiter(map(itemgetter(key), rows_values), dtype=object, count=len(rows))
                if len(fresh := _unproven(held[at], new)):
                    unproven.setdefault(key, []).extend((at[fresh] + first_row).tolist())
                held[at] = new


_NUMBER_KINDS = frozenset({"floating", "integer", "mixed-integer-float"})
_DAY_KINDS = frozenset({"date", "datetime"})


def _unproven(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Where ``new`` puts a number or a day over a cell ``old`` says held no such value (a blank,
    text, true/false): what a read gives there rests on the cell's style alone. Decided a column
    at a time where the values are all of a kind, one by one where not."""
    wrote, numbers = _of_kind(new)
    if wrote is None:
        return np.flatnonzero(np.zeros(len(new), dtype=bool))
    was = _of_kind(old, numbers)[0]
    return np.flatnonzero(wrote & ~was) if was is not None else np.flatnonzero(wrote)


def _of_kind(values: np.ndarray, numbers: bool | None = None) -> tuple[np.ndarray | None, bool]:
    """(which values are numbers, or days when ``numbers`` is False; None where none can be:
    text, true/false, blanks only) and whether numbers were looked for."""
    kind = infer_dtype(values, skipna=True)
    if numbers is None:
        if kind in _NUMBER_KINDS or kind in _DAY_KINDS:
            numbers = kind in _NUMBER_KINDS
        elif kind in ("string", "boolean", "empty"):
            return None, False
        else:  # mixed: numbers if any, else days
            numbers = any(type(v) in (int, float) for v in values.tolist())
    if kind in (_NUMBER_KINDS if numbers else _DAY_KINDS):
        return ~pd.isna(values), numbers
    if kind in ("string", "boolean", "empty"):
        return np.zeros(len(values), dtype=bool), numbers
    types = (int, float) if numbers else (dt.date, dt.datetime)
    return np.fromiter((type(v) in types and v == v for v in values.tolist()), dtype=bool, count=len(values)), numbers


def stored_form(columns: Sequence[Column], current: pd.DataFrame, held: dict[str, Any], first_row: int,
                count: int, recalled: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray] | None:
    """What the memo keeps of a table a save leaves holding ``held`` (:func:`saved_columns`) in its
    first ``count`` rows from ``first_row``, its other columns as ``current`` (the table as read),
    or as ``recalled`` (the arrays it was read from, when it was recalled); None where what a read
    will give cannot be told (see the module)."""
    keys = [c.key for c in columns]
    reused = _reused_kinds(recalled, keys, first_row, count) if recalled is not None else None
    old: list[pd.DataFrame] = []
    out: dict[str, np.ndarray] = {"index": np.arange(first_row, first_row + count, dtype=np.int64)}
    kinds, blank_rows = [], np.ones(count, dtype=bool)
    for j, c in enumerate(columns):
        kind: str | None
        dates = c.type in DATE_COLUMN_TYPES
        if reused is not None and c.key not in held:
            kind = _extended(recalled, j, count, out, reused[j])  # type: ignore[arg-type]
        elif c.key in held:
            if reused is None and c.key in current.columns and not _fits(current[c.key].tolist(), dates):
                return None  # read with a value of the other kind: a format set by hand decides
            kind = _written_column(c, held[c.key], j, out)
        else:  # not written: as read (its values tidied by the read; a row the table did not hold, blank)
            kind = _column_arrays(_as_read(c.key, current, first_row, count, old), j, out)
            if kind is not None and (kind in ("day", "time")) != dates and kind != "empty":
                return None  # read with a value of the other kind: a format set by hand decides
        if kind is None:
            return None
        kinds.append(kind)
        blank_rows &= out[f"blank{j}"]
    if blank_rows.any():
        return None  # a blank row: the writer may start the rows it appends on it
    out["head"] = np.frombuffer(json.dumps({"columns": keys, "kinds": kinds}).encode(), dtype=np.uint8)
    return out


def as_saved(columns: Sequence[Column], current: pd.DataFrame, held: dict[str, Any], first_row: int,
             count: int) -> pd.DataFrame | None:
    """The frame a read will give of a table a save left as :func:`stored_form` says (None where
    that cannot be told)."""
    arrays = stored_form(columns, current, held, first_row, count)
    return None if arrays is None else _frame(arrays, columns)


def _as_read(key: str, current: pd.DataFrame, first_row: int, count: int, old: list[pd.DataFrame]) -> np.ndarray:
    """A column the save did not write, as read (blank in rows the read did not give)."""
    if key not in current.columns:
        return np.full(count, None, dtype=object)
    if not old:
        old.append(current if current.index.equals(pd.RangeIndex(first_row, first_row + count))
                   else current.reindex(range(first_row, first_row + count)))
    return old[0][key].to_numpy(dtype=object)  # a blank may be NaN here: the stored form keeps no blank's value


def _written_column(c: Column, values: Sequence[Any], j: int, out: dict[str, np.ndarray]) -> str | None:
    """Puts a written column into ``out`` as a read will give it back (:func:`_read_back`); its kind."""
    dates = c.type in DATE_COLUMN_TYPES
    if not dates and c.type not in TEXT_TYPES:
        cells = np.array(values, dtype=object)
        blank = pd.isna(cells)
        if set(map(type, cells[~blank].tolist())) <= {int, float}:  # numbers: read back as floats
            data = cells[~blank].astype(np.float64)
            finite = np.isfinite(data)
            if not finite.all():  # the writer leaves infinite numbers blank
                blank[np.flatnonzero(~blank)[~finite]] = True
                data = data[finite]
            out[f"blank{j}"], out[f"data{j}"] = blank, data
            return "float" if len(data) else "empty"
    read = _read_back(values, dates)
    if read is None:
        return None
    tidy([c], {c.key: 0}, read[None, :], compact=False)
    return _column_arrays(read, j, out)


def _fits(values: list[Any], dates: bool) -> bool:
    """Whether cells read as ``values`` show a date column's style to be a date format (nothing
    but days there) and another column's not (no day there)."""
    kinds = set(map(type, values))
    return kinds <= _DAYS | {type(None)} if dates else not kinds & _DAYS


def _read_back(values: Sequence[Any], dates: bool) -> np.ndarray | None:
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
_KINDS = {"text": str, "float": float, "bool": bool, "day": dt.date, "time": dt.datetime}


def _column_arrays(cells: np.ndarray, j: int, out: dict[str, np.ndarray]) -> str | None:
    """Puts column ``j``'s cells into ``out`` as plain arrays (its blanks and values) and returns
    its kind; None for a column of mixed kinds, or of times with a time zone (not remembered)."""
    blank = pd.isna(cells)
    present = cells[~blank].tolist()
    found = set(map(type, present))
    kind = next((k for k, t in _KINDS.items() if found == {t}), "empty" if not found else None)
    if kind is None or (kind == "time" and any(v.tzinfo is not None for v in present)):
        return None
    out[f"blank{j}"] = blank
    if kind in ("text", "day", "time"):  # each distinct value once: most of a long table's repeat
        codes, distinct = pd.factorize(cells[~blank])
        out[f"codes{j}"] = codes.astype(np.int32)
        present = distinct.tolist()
    if kind == "text":
        out[f"ends{j}"], out[f"data{j}"] = _text_arrays(present)
    elif kind == "float":
        out[f"data{j}"] = np.array(present, dtype=np.float64)
    elif kind == "bool":
        out[f"data{j}"] = np.array(present, dtype=bool)
    elif kind == "day":
        out[f"data{j}"] = np.array([d.toordinal() for d in present], dtype=np.int64)
    elif kind == "time":
        out[f"data{j}"] = np.array([(t - _EPOCH) // _MICROSECOND for t in present], dtype=np.int64)
    return kind


def _reused_kinds(recalled: dict[str, np.ndarray], keys: list[str], first_row: int, count: int) -> list[str] | None:
    """The kinds of ``recalled``'s columns, when it holds these columns' first rows, from
    ``first_row``, no more than ``count`` (so a column not written keeps its arrays); else None."""
    try:
        head = json.loads(recalled["head"].tobytes())
    except (KeyError, ValueError):
        return None
    index = recalled["index"]
    holds = (head.get("columns") == keys and len(index) <= count
             and (not len(index) or (index[0] == first_row and index[-1] == first_row + len(index) - 1)))
    return head["kinds"] if holds else None


def _extended(recalled: dict[str, np.ndarray], j: int, count: int, out: dict[str, np.ndarray], kind: str) -> str:
    """Puts column ``j``'s recalled arrays into ``out``, blank in the rows appended since; its kind."""
    for name in ("codes", "ends", "data"):
        if f"{name}{j}" in recalled:
            out[f"{name}{j}"] = recalled[f"{name}{j}"]
    blank = recalled[f"blank{j}"]
    out[f"blank{j}"] = blank if len(blank) == count else np.concatenate([blank, np.ones(count - len(blank), bool)])
    return kind


def _text_arrays(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Texts as UTF-8 bytes end to end and where each ends (one encoding where all are ASCII)."""
    whole = "".join(texts)
    data = whole.encode("utf-8", "surrogatepass")
    if len(data) == len(whole):
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    else:
        sizes = np.fromiter((len(t.encode("utf-8", "surrogatepass")) for t in texts), dtype=np.int64, count=len(texts))
    return np.cumsum(sizes), np.frombuffer(data, dtype=np.uint8)


def _frame(arrays: dict[str, np.ndarray], columns: Sequence[Column]) -> pd.DataFrame | None:
    """The frame :func:`stored_form` stored, if it has the schema's columns."""
    head = json.loads(arrays["head"].tobytes())
    keys = [c.key for c in columns]
    if head["columns"] != keys:
        return None
    index = arrays["index"]
    data = {}
    for i, (key, kind) in enumerate(zip(keys, head["kinds"])):
        blank = arrays[f"blank{i}"]
        column = np.full(len(index), None, dtype=object)
        if kind != "empty":
            column[~blank] = _values(arrays, i, kind)
        data[key] = column
    at = pd.RangeIndex(int(index[0]), int(index[-1]) + 1, name="excel_row") if len(index) and (
        np.diff(index) == 1).all() else pd.Index(index, name="excel_row")
    return pd.DataFrame(data, index=at, columns=keys, dtype=object)


def _values(arrays: dict[str, np.ndarray], i: int, kind: str) -> np.ndarray:
    values = arrays[f"data{i}"]
    if kind == "float":
        return values.astype(object)
    if kind == "bool":
        return np.array(values.tolist(), dtype=object)
    if kind == "day":
        distinct: list[Any] = [_DAY(d) for d in values.tolist()]
    elif kind == "time":
        distinct = [_EPOCH + dt.timedelta(microseconds=t) for t in values.tolist()]
    else:
        data, ends = values.tobytes(), arrays[f"ends{i}"].tolist()
        starts = [0, *ends[:-1]]
        if data.isascii():
            whole = data.decode("ascii")
            distinct = [whole[a:b] for a, b in zip(starts, ends)]
        else:
            distinct = [data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(starts, ends)]
    return np.array(distinct + [None], dtype=object)[:-1][arrays[f"codes{i}"]]


# ---------------------------------------------------------------------------- one file, one job
class FileMemos:
    """The memos of one workbook file through one job: its long tables recalled when it is read,
    and remembered as they read after it is saved (by :class:`~.tables_write.WorkbookFile`)."""

    def __init__(self, memo: TableMemo, pkg: Any, specs: list[tuple[str, str, Sequence[Column], bool]]):
        self.memo, self.pkg = memo, pkg
        self.specs = {key: (table, columns) for key, table, columns, setting in specs if not setting}
        self.read_as: dict[str, str] = {}  # schema key -> the memo key it was read under
        self.frames: dict[str, pd.DataFrame] = {}  # the long tables as read (the job may drop its own)
        self.recalled: dict[str, dict[str, np.ndarray]] = {}
        self.written: dict[str, list[Written]] = {}
        self.touched: list[tuple[str, int, int]] = []  # cells written as sheet cells, not table cells
        self._digests: dict[str, bytes | None] = {}

    def recall(self, keys: Any, known: dict[str, pd.DataFrame]) -> None:
        """Puts the remembered frames of the long tables in ``keys`` (None: all) into ``known``."""
        if self.pkg.date1904:
            return
        for key, (table, columns) in self.specs.items():
            if (keys is not None and key not in keys) or table not in self.pkg.tables:
                continue
            digests = [(name, self._digest(name)) for name in key_parts(self.pkg, table)]
            if any(d is None for _, d in digests):
                continue
            self.read_as[key] = self.memo.key(key, digests)  # type: ignore[arg-type]
            if not self._long(table):
                continue  # parsed, and remembered if the save makes it long
            found = self.memo.recall(key, self.read_as[key], columns)
            if found is not None:
                known[table] = found.frame
                self.recalled[key] = found.arrays

    def _long(self, table: str) -> bool:
        t = self.pkg.tables.get(table)
        if t is None or t.totals_rows:
            return False
        r1, _c1, r2, _c2 = self.pkg.table_ref(table)
        return r2 - t.first_data_row + 1 >= self.memo.min_rows

    def _touched(self, table: str) -> bool:
        """Whether a cell written as a sheet cell lies in the table (the memo's model has table cells only)."""
        sheet = self.pkg.tables[table].sheet
        r1, c1, r2, c2 = self.pkg.table_ref(table)
        return any(s == sheet and r1 <= r <= r2 and c1 <= c <= c2 for s, r, c in self.touched)

    def _digest(self, name: str) -> bytes | None:
        if name not in self._digests:
            self._digests[name] = stored(self.pkg, name)
        return self._digests[name]

    def framed(self, tables: dict[str, pd.DataFrame]) -> None:
        """Notes the long tables a read framed, as it framed them."""
        self.frames.update((key, tables[key]) for key in self.read_as if key in tables)

    def making(self, first_rows: dict[str, int],
               layouts: dict[str, dict[str, int]]) -> Callable[[], dict[str, Made]]:
        """What to remember after the save of each long table the job read, made (and written to a
        file of its own) by the returned function, on a thread while the save waits for the
        second process and the disk (which also drops the frames as read); a table recalled and
        left alone is what was recalled."""
        jobs = []
        for key, current in self.frames.items():
            table, columns = self.specs[key]
            if self._long(table) and not self._touched(table):
                count = self.pkg.table_ref(table)[2] - first_rows[key] + 1
                jobs.append((key, columns, current, first_rows[key], count, layouts[key]))
        self.frames = {}

        def make() -> dict[str, Made]:
            made: dict[str, Made] = {}
            try:
                _make(made)
            except Exception:  # noqa: BLE001 - a memo not made costs the next read its parse, nothing else
                for found in made.values():
                    if found.staged is not None:
                        found.staged.unlink(missing_ok=True)
                made.clear()
            return made

        def _make(made: dict[str, Made]) -> None:
            while jobs:
                key, columns, current, first_row, count, sheet_columns = jobs.pop(0)
                if key in self.recalled and key not in self.written:
                    made[key] = Made(self.recalled[key], None, [])
                    continue
                writes = self.written.get(key, [])
                saved = saved_columns(current, set(sheet_columns), first_row, count, writes)
                cut = any(w.keep is not None for w in writes)  # rows cleared: no recalled column holds
                arrays = None if saved is None else stored_form(columns, saved.current, saved.held, first_row, count,
                                                                None if cut else self.recalled.get(key))
                if arrays is not None and saved is not None:
                    cells = self._cells_to_prove(key, columns, sheet_columns, saved.unproven)
                    made[key] = Made(arrays, self.memo.stage(key, arrays), cells)
                del current, saved
        return make

    def _cells_to_prove(self, key: str, columns: Sequence[Column], sheet_columns: dict[str, int],
                        unproven: dict[str, list[int]]) -> list[tuple[int, int, bool]]:
        """(row, sheet column, a day expected) of each cell whose style must be looked at: those of
        rows the table had, and of the rows it grew by only the first and last (they take their
        styles from the same row)."""
        last_read = self.pkg.tables[self.specs[key][0]].last_data_row
        dates = {c.key: c.type in DATE_COLUMN_TYPES for c in columns}
        cells = []
        for name, rows in unproven.items():
            old = [r for r in rows if r <= last_read]
            grown = [r for r in rows if r > last_read]
            for r in [*old, *({min(grown), max(grown)} if grown else ())]:
                cells.append((r, sheet_columns[name], dates.get(name, False)))
        return cells

    def keep(self, path: Path, made: dict[str, Made]) -> None:
        """Keeps the memos made, each keyed by its parts as saved in ``path``, where the cells whose
        reading rests on their style alone read as the memo says."""
        names = {key: key_parts(self.pkg, self.specs[key][0]) for key in made}
        digests = stored_in_file(path, sorted({n for parts in names.values() for n in parts}))
        for key, parts in names.items():
            found = made[key]
            now = self.memo.key(key, [(n, digests[n]) for n in parts]) if all(n in digests for n in parts) else None
            if now is not None and found.cells and not styles_read_as(path, parts[0], found.cells):
                now = None  # a format set by hand on a cell that held no such value: the next read tells
            if now is None:
                if found.staged is not None:
                    found.staged.unlink(missing_ok=True)
            elif found.staged is not None:
                self.memo.place(key, now, found.staged)
            elif now != self.read_as[key]:  # recalled, left alone, its key changed (the styles did)
                self.memo.remember(key, now, found.arrays)


@dataclass(frozen=True)
class Made:
    """A table's memo made after a save: its arrays, the file they were written to (None for a
    table recalled and left alone) and the cells whose style must be looked at (row, sheet
    column, a day expected)."""

    arrays: dict[str, np.ndarray]
    staged: Path | None
    cells: list[tuple[int, int, bool]]


# ---------------------------------------------------------------------------- styles, as the reader takes them
def styles_read_as(path: Path, part: str, cells: list[tuple[int, int, bool]]) -> bool:
    """Whether each cell (row, column, a day expected) of sheet ``part`` of the saved file has a
    style the reader takes a number in for a day exactly where a day is expected."""
    try:
        with zipfile.ZipFile(path) as z:
            xml, styles = z.read(part), z.read("xl/styles.xml")
    except (OSError, KeyError, zipfile.BadZipFile, zlib.error):
        return False
    found = cell_styles(xml, [(r, c) for r, c, _day in cells])
    if found is None:
        return False
    days = day_styles(styles, set(found.values()))
    return days is not None and all(days[found[(r, c)]] == day for r, c, day in cells)


def cell_styles(xml: bytes, cells: list[tuple[int, int]]) -> dict[tuple[int, int], int] | None:
    """Each cell's style index in a sheet's XML (0 where it names none); None if one is not there.
    The cells are looked for in the order the sheet holds them, each search going on from the last."""
    out: dict[tuple[int, int], int] = {}
    at = 0
    for r, c in sorted(set(cells)):
        head = b'<c r="' + col_letter(c).encode() + str(r).encode() + b'"'
        i = xml.find(head, at)
        if i < 0:
            i = xml.find(head)
            if i < 0:
                return None
        end = xml.find(b">", i)
        out[(r, c)] = int(dict(ATTR_RE.findall(xml[i + len(head):end].decode("utf-8"))).get("s", 0))
        at = end
    return out


def day_styles(styles: bytes, indexes: set[int]) -> dict[int, bool] | None:
    """Whether the reader takes a number in a cell of each style for a day, as it says itself: a
    workbook of one number per style, with these styles, read by python-calamine (fastexcel reads
    with the same rules). None if it cannot be told."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # a Python without it (Pyodide) keeps no memo anyway
        return None
    order = sorted(indexes)
    rows = "".join(f'<row r="{i + 1}"><c r="A{i + 1}" s="{s}"><v>45000</v></c></row>' for i, s in enumerate(order))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, text in _PROBE_PARTS.items():
            z.writestr(name, text)
        z.writestr("xl/styles.xml", styles)
        z.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{_MAIN}"><sheetData>{rows}</sheetData></worksheet>')
    try:
        values = CalamineWorkbook.from_filelike(io.BytesIO(buffer.getvalue())).get_sheet_by_name("S").to_python()
    except Exception:  # noqa: BLE001 - styles the reader cannot take: the table is read next time
        return None
    if len(values) != len(order):
        return None
    return {s: isinstance(row[0], (dt.date, dt.time, dt.timedelta)) for s, row in zip(order, values)}


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_PROBE_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{_PKG}/content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
        '</sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'),
}
