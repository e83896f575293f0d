"""A big table's cells column by column: fastexcel's Arrow columns, turned into the very values the
cell reader (python-calamine, :mod:`.tables_read`) gives, or nothing where they might differ.

Both read the sheet with the same calamine, but python-calamine copies every text and makes a
Python object of every cell, row after row, before the table is framed, while fastexcel hands over
typed columns of text borrowed from the shared strings: the 50 000-row Collaborations sheet takes
about 0.9 s of CPU this way (0.1 s of it the look for blank-like text below) and 1.3 s the other
(parse, frame, columns made anew). fastexcel releases the GIL while it parses, so the refresh's
background thread runs it as it ran the cell reader. The headers are the table part's column
names (Excel and LibreOffice keep them equal to the header cells). nanoarrow reads the Arrow
columns: pyarrow, once installed, would change how pandas stores every text column.

fastexcel decides each column's type; the table is read here only where that type says exactly what
the cell reader would have said (``None`` otherwise, and the cell reader reads it):

- a column of text, numbers or true/false values, blank cells and error cells (blank both ways);
- dates without a time of day in years 1900 to 9999 (the cell reader's ``datetime.date``);
- never text fastexcel takes for a blank (``"N/A"``, ``"NULL"``, ...) in a column it typed as
  numbers, dates or booleans: the cell reader keeps that text, and the refresh reports it. Such
  text (typed, shared, or a formula's result) is looked for in the sheet's XML first; a column
  holding it must come out as text, or the cell reader reads the table;
- never a column that mixes types, a time of day, a duration, or a table of another size.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Collection
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

from .xlsx.refs import col_index

#: tables this long are read column by column when the background thread reads them: the 50 000
#: collaborations (at 10 000 rows the look for blank-like text and the conversion cost what they save)
FAST_ROWS = 20_000

#: text fastexcel reads as a blank when it sizes up a column (its NULL_STRING_VALUES, but "",
#: which is a blank to the cell reader too)
_BLANK_LIKE = ("#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
               "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
_ALT = b"|".join(re.escape(t.encode()) for t in sorted(_BLANK_LIKE, key=len, reverse=True))
#: an inline string that is one of them (or rich text, in runs: counted in), or a formula's text
#: result that is (the sheet's own text)
_TYPED = re.compile(rb'<is><(?:t(?: [^>]*)?>(?:' + _ALT + rb')</t>|r>)')
_RESULT = re.compile(rb't="str"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?<v>(?:' + _ALT + rb')</v>')
#: a shared string that is one of them, and a cell that points at shared string ``%s``
_SHARED = re.compile(rb'<si(?:\s[^>]*)?>(?:<t(?: [^>]*)?>(?:' + _ALT + rb')</t>|<r>)')
_ITEM = re.compile(rb'<si(?:\s[^>]*?)?(/?)>')
_SHARED_CELL = rb't="s"[^>]*><v>(?:%s)</v>'
#: the column of the cell whose tag starts here
_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})\d+"')

#: days from 0001-01-01 to 1970-01-01 (fastexcel's timestamps count from the latter); 1900-03-01
#: (before it Excel's serial numbers count a day that never was) and 9999-12-31, as such days
_EPOCH = dt.date(1970, 1, 1).toordinal()
_FIRST_DAY, _LAST_DAY = dt.date(1900, 3, 1).toordinal() - _EPOCH, dt.date(9999, 12, 31).toordinal() - _EPOCH
_MS_A_DAY = 86_400_000


def blank_like_shared(shared_strings: bytes) -> list[int]:
    """Indices of the shared strings that are text fastexcel reads as a blank (rich-text items,
    whose text is split in runs, are counted in: rare, and then the cell reader decides)."""
    at = {m.start() for m in _SHARED.finditer(shared_strings)}  # in C: most files have none
    if not at:
        return []
    return [i for i, m in enumerate(_ITEM.finditer(shared_strings)) if m.start() in at]


def blank_like_columns(sheet_xml: bytes, shared: list[int]) -> set[int] | None:
    """The sheet columns (numbers) whose cells hold text fastexcel would take for a blank: their
    own, or a shared one; None when such a cell's column cannot be told (then the cell reader reads)."""
    found = [m.start() for m in _TYPED.finditer(sheet_xml)] + [m.start() for m in _RESULT.finditer(sheet_xml)]
    if shared:
        found += [m.start() for m in re.finditer(_SHARED_CELL % b"|".join(b"%d" % i for i in shared), sheet_xml)]
    columns = set()
    for at in found:
        start = sheet_xml.rfind(b"<c ", 0, at)
        ref = _CELL_REF.match(sheet_xml, start) if start >= 0 else None
        between = sheet_xml[start:at]
        if ref is None or b"</c>" in between or b"/>" in between:  # not this cell's own tag
            return None
        columns.add(col_index(ref.group(1).decode()))
    return columns


class Loaded:
    """A table fastexcel has read (on the background thread), to be made into columns where it is framed."""

    def __init__(self, array: Any, width: int, rows: int):
        self.array, self.width, self.rows = array, width, rows

    def text_at(self, offsets: Collection[int]) -> bool:
        """Whether fastexcel typed each column at ``offsets`` (they hold blank-like text) as text:
        elsewhere it read that text as a blank."""
        from nanoarrow import Type

        return all(self.array.child(i).schema.type in (Type.STRING, Type.LARGE_STRING) for i in offsets)

    def columns(self) -> list[np.ndarray] | None:
        """The table's data cells as one object array per column (blanks None), or None where a
        column holds what the cell reader may read otherwise (see the module)."""
        out = []
        for i in range(self.width):
            child = self.array.child(i)
            try:
                column = _column(next(child.iter_chunk_views()), child.schema.type, self.rows)
            except Exception:  # noqa: BLE001 - a layout not met before: the cell reader reads the table
                return None
            if column is None:
                return None
            out.append(column)
        return out


def open_reader(path: Path) -> Any:
    """fastexcel's workbook (its shared strings read: 0.04 s at 50 000 rows), or None where
    fastexcel and nanoarrow are not installed or cannot open the file (the cell reader reads it all)."""
    try:
        import fastexcel
        import nanoarrow  # noqa: F401 - needed by load_table: checked here, once
    except ImportError:
        return None
    logging.getLogger("fastexcel").setLevel(logging.ERROR)  # not "falling back to string" for each blank column
    try:
        return fastexcel.read_excel(str(path))
    except Exception:  # noqa: BLE001 - fastexcel's own error types: the cell reader says what is wrong
        return None


def load_table(reader: Any, table: str, width: int, rows: int) -> Loaded | None:
    """fastexcel's read of ``table`` (``width`` columns, ``rows`` data rows), or None when it finds
    a column of mixed types, an odd cell or another size (then the cell reader reads it)."""
    import nanoarrow

    try:
        array = nanoarrow.Array(reader.load_table(table, dtype_coercion="strict", schema_sample_rows=None))
    except Exception:  # noqa: BLE001 - a mixed column, an odd cell: fastexcel's own error types
        return None
    if array.n_children != width or len(array) > rows or array.n_chunks != 1:
        return None
    return Loaded(array, width, rows)


def _column(view: Any, kind: Any, rows: int) -> np.ndarray | None:
    """One Arrow column as the cell reader's values, padded with blanks to ``rows``; None if it cannot be."""
    from nanoarrow import Type

    n, offset = view.length, view.offset
    buffers = list(view.buffers)
    out = np.full(rows, None, dtype=object)
    if kind == Type.NULL:
        return out
    valid = None
    if view.null_count:
        valid = np.unpackbits(np.frombuffer(buffers[0], dtype=np.uint8), bitorder="little")[offset:offset + n]
        valid = valid.astype(bool)
    if kind == Type.DOUBLE:
        values: Any = np.frombuffer(buffers[1], dtype=np.float64)[offset:offset + n].astype(object)
    elif kind == Type.INT64:
        values = np.array(np.frombuffer(buffers[1], dtype=np.int64)[offset:offset + n].tolist(), dtype=object)
    elif kind == Type.BOOL:
        bits = np.unpackbits(np.frombuffer(buffers[1], dtype=np.uint8), bitorder="little")[offset:offset + n]
        values = np.array(bits.astype(bool).tolist(), dtype=object)
    elif kind in (Type.STRING, Type.LARGE_STRING):
        values = _texts(buffers, offset, n, np.int32 if kind == Type.STRING else np.int64)
    elif kind == Type.TIMESTAMP:
        ms = np.frombuffer(buffers[1], dtype=np.int64)[offset:offset + n]
        values = _dates(np.where(valid, ms, _FIRST_DAY * _MS_A_DAY) if valid is not None else ms)
        if values is None:
            return None
    else:
        return None
    if valid is not None:
        values[~valid] = None
    out[:n] = values
    return out


def _texts(buffers: list[Any], offset: int, n: int, width: type) -> np.ndarray:
    """An Arrow text column as str objects, a text the column repeats made once."""
    ends = np.frombuffer(buffers[1], dtype=width)[offset:offset + n + 1].tolist()
    data = bytes(buffers[2])
    if data.isascii():  # byte offsets are character offsets: one decode
        whole = data.decode("ascii")
        texts = [whole[a:b] for a, b in zip(ends, ends[1:])]
    else:
        texts = [data[a:b].decode("utf-8") for a, b in zip(ends, ends[1:])]
    once: dict[str, str] = {}
    return np.fromiter(map(once.setdefault, texts, texts), dtype=object, count=n)


def _dates(ms: np.ndarray) -> np.ndarray | None:
    """Timestamps (ms since 1970) as ``datetime.date`` when each is a whole day from 1900-03-01 to
    9999-12-31 (what the cell reader makes of such a date cell), else None."""
    days, rest = np.divmod(ms, _MS_A_DAY)
    if rest.any() or ((days < _FIRST_DAY) | (days > _LAST_DAY)).any():
        return None  # a time of day, or a day the cell reader may read otherwise: it reads the table
    return np.fromiter(map(dt.date.fromordinal, (days + _EPOCH).tolist()), dtype=object, count=len(ms))


def fast_table(pkg: Any, table: str) -> bool:
    """Whether a table is read column by column: long enough, one header row, no totals row."""
    t = pkg.tables.get(table)
    return (t is not None and t.header_rows == 1 and not t.totals_rows
            and t.last_data_row - t.first_data_row + 1 >= FAST_ROWS)


class FastReader:
    """The fast read of one workbook file: fastexcel's workbook (used on the one thread that reads
    the long tables) and the blank-like shared strings, each found once for all its tables, and
    each long table's look for blank-like text, taken by whichever thread comes for it first."""

    def __init__(self, pkg: Any, path: Path):
        self.pkg, self.path = pkg, path
        self._reader: Any = None
        self._blank_like: list[int] | None = None
        self._looks: dict[str, Future] = {}
        self._lock = threading.Lock()

    def read(self, table: str) -> Loaded | None:
        """:func:`load_table` of a long table, unless a column of it holding text fastexcel would
        take for a blank is not read as text; None when the cell reader must read it. fastexcel
        parses first: the thread that will frame the table, arriving meanwhile, takes the look
        (:meth:`look`) while the sheet is parsed, instead of waiting for both one after the other."""
        if self._reader is None:
            self._reader = open_reader(self.path) or False
        if self._reader is False:
            return None  # before the look: it inflates the whole sheet
        t = self.pkg.tables[table]
        width = t.last_col - t.first_col + 1
        loaded = load_table(self._reader, table, width, t.last_data_row - t.first_data_row + 1)
        if loaded is None:
            return None
        text = self.look(table)
        return None if text is None or not loaded.text_at(text) else loaded

    def reading(self) -> bool:
        """Whether fastexcel may read here (opened, or not yet tried)."""
        return self._reader is not False

    def look(self, table: str) -> list[int] | None:
        """Offsets of ``table``'s columns holding text fastexcel would take for a blank, found once
        (the thread asking second waits for the first's answer); None when that cannot be told."""
        with self._lock:
            found = self._looks.get(table)
            job = self._looks.setdefault(table, Future()) if found is None else found
        if found is None:
            try:
                job.set_result(self._look(table))
            except BaseException as exc:  # the other thread must not wait forever
                job.set_exception(exc)
                raise
        return job.result()

    def _look(self, table: str) -> list[int] | None:
        t = self.pkg.tables[table]
        xml = self.pkg.stored_bytes(self.pkg.sheets[t.sheet].part)
        columns = blank_like_columns(xml, self.blank_like()) if xml is not None else None
        del xml
        if columns is None:
            return None
        width = t.last_col - t.first_col + 1
        return sorted(c - t.first_col for c in columns if 0 <= c - t.first_col < width)

    def blank_like(self) -> list[int]:
        """The shared strings fastexcel reads as blanks (:func:`blank_like_shared`)."""
        if self._blank_like is None:
            part = self.pkg.shared_strings
            text = self.pkg.stored_bytes(part) if part else None
            self._blank_like = blank_like_shared(text) if text else []
        return self._blank_like
