"""Cut a recognised export into named fields and read each cell as its field's type.

Decimal separator and day/month order are decided per column from the values that settle them
(see :mod:`workbook_addin.core.cells`), so ``1.234`` is read the same way in every row of a German file. A cell that
cannot be read becomes empty and a :class:`Problem` naming the file, row and column; the rest of
the row is kept. Summary rows ("Total", 合计) and rows cut short are set aside and counted.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.cells import (CellError, column_date_order, currency_of, infer_decimal, is_blank, is_no_data,
                          parse_date, parse_number, stripped_texts)
from ..core.problems import show
from .detect import Detection
from .formats import FIELD_TYPES, is_total_label
from .problems import Problem, file_problem
from .readers import Decoding

_SCIENTIFIC_ID = re.compile(r"^\d(?:[.,]\d+)?[eE]\+\d+$")
#: whole numbers with thousands separators only (the other character being the decimal mark)
_GROUPED_POINT = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+\Z")
_GROUPED_COMMA = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+\Z")
#: money as shops write it where "." is the decimal mark ("123.45", "$1,234.56"): parse_number reads
#: the digits without the "$" and the commas as thousands groups, the point as the decimal mark
_PLAIN_MONEY = re.compile(r"\$?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(\.[0-9]+)?\Z")
#: text that cannot name a currency (no letters, no currency sign)
_NO_CURRENCY = re.compile(r"[0-9.,%()+\- ]*\Z")


def _lines(cell: str) -> re.Pattern[str]:
    """Text of lines that each match ``cell`` whole (a column's cells joined by line breaks)."""
    return re.compile(rf"(?:{cell})(?:\n(?:{cell}))*+\Z")


#: by thousands separator: digits, or digits in thousands groups of that separator (possessive: a
#: column of 200 000 cells is matched without backtracking)
_PLAIN_LINES = {sep: _lines(rf"[0-9]{{1,3}}+(?:(?:{re.escape(sep)}[0-9]{{3}})++|[0-9]*+)") for sep in ",."}
#: money as :data:`_PLAIN_MONEY` reads it
_MONEY_LINES = _lines(r"\$?+[0-9]{1,3}+(?:(?:,[0-9]{3})++|[0-9]*+)(?:\.[0-9]++)?+")


@dataclass
class Extracted:
    frame: pd.DataFrame  # one column per detected field plus source_row (the row number in the file)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0
    summary_rows: int = 0


def extract(decoding: Decoding, det: Detection, file: str) -> Extracted:
    """The data rows under the header, typed; rows that are summaries or cut short are skipped.

    Rows are sorted out once, then each used column is typed as a whole (:func:`_typed`)."""
    out = Extracted(pd.DataFrame())
    kept, numbers = _data_rows(decoding, det, file, out)
    frame = pd.DataFrame({"source_row": pd.Series(numbers, dtype="int64")})
    default_decimal = det.format.decimal if det.format.decimal != "." or decoding.delimiter != ";" else ","
    for fld, j, values in _columns(kept, det):
        header = det.headers[j]
        column = Column(values, text=decoding.delimiter is not None or None)
        frame[fld], problems = _typed(fld, column, numbers, file, header, default_decimal, det.format.date_order)
        out.problems.extend(problems)
        if FIELD_TYPES.get(fld) == "money":
            cur = column.mapped([_currency(v) for v in column.uniques])  # one lookup per distinct cell
            if any(cur):
                frame[f"{fld}__currency"] = pd.Series(cur, dtype=object)
            elif fld in det.header_currency:
                frame[f"{fld}__currency"] = det.header_currency[fld]
    del kept
    out.frame = frame
    out.problems.sort(key=lambda p: (p.row or 0))
    return out


def _columns(kept: list[list[Any]], det: Detection) -> list[tuple[str, int, list[Any]]]:
    """(field, column index, cells) of each used column: the rows turned into columns at once where
    the file has few other columns (every kept row has all the used ones), else column by column."""
    if kept and len(det.headers) <= 2 * len(det.columns):
        cells = list(zip(*kept))
        return [(fld, j, list(cells[j])) for fld, j in det.columns.items()]
    return [(fld, j, [rec[j] for rec in kept]) for fld, j in det.columns.items()]


def _data_rows(decoding: Decoding, det: Detection, file: str, out: Extracted) -> tuple[list[list[Any]], list[int]]:
    """(rows, their row numbers in the file): the records under the header that hold data; summary
    rows and rows cut short are counted in ``out`` (the latter also reported). Sorted out a column
    at a time (a 200 000-row export is read row by row only where a row may be a summary)."""
    records = decoding.records
    width, needed = len(det.headers), max(det.columns.values()) + 1
    last = len(records) - 1
    while last > det.header_row and _blank(records[last]):
        last -= 1
    id_columns = [j for j in (det.columns.get("video_id"), det.columns.get("post_url"),
                              det.columns.get("order_id")) if j is not None]
    start = det.header_row + 1
    body = records[start:last + 1]
    n = len(body)
    if decoding.delimiter is not None:  # a CSV's cells are all text: blank rows are told apart faster
        filled = np.fromiter(map(bool, map(str.strip, map("".join, body))), dtype=bool, count=n)
    else:
        filled = np.fromiter((not _blank(rec) for rec in body), dtype=bool, count=n)
    summary = filled & _summaries(body, id_columns)
    out.summary_rows += int(summary.sum())
    lens = np.fromiter(map(len, body), dtype=np.intp, count=n)
    short = filled & ~summary & (lens < needed)
    if n and decoding.truncated and filled[-1] and not summary[-1]:
        short[-1] = True  # the row the file ends in
    for p in np.flatnonzero(short).tolist():
        why = ("文件在此行中断 the file ends in the middle of this row" if p == n - 1
               else f"此行只有 {lens[p]} 列 only {lens[p]} of {width} columns")
        out.problems.append(file_problem(file, start + p + 1, None,
                                         f"{why}; row skipped — 请重新下载 download the export again"))
    out.skipped += len(np.flatnonzero(short))
    keep = np.flatnonzero(filled & ~summary & ~short)
    kept = body if len(keep) == n else [body[p] for p in keep.tolist()]
    return kept, (keep + start + 1).tolist()


def _summaries(body: list[list[Any]], id_columns: list[int]) -> np.ndarray:
    """:func:`_is_summary` of each row; a row whose first cell is plainly data (long text, text starting
    with a digit, a number) and whose id cells cannot be labels is settled without the call."""
    first = [rec[0] if rec else None for rec in body]
    maybe = np.array([not ((type(c) is str and (c[:1].isdigit() or (len(c) >= 24 and not c.isspace())))
                           or ((type(c) is float or type(c) is int) and c == c)) for c in first], dtype=bool)
    for j in id_columns:
        cells = [rec[j] if j < len(rec) else None for rec in body]
        maybe |= np.array([type(c) is str and len(c) < 24 and not c[:1].isdigit() for c in cells], dtype=bool)
    out = np.zeros(len(body), dtype=bool)
    for p in np.flatnonzero(maybe).tolist():
        out[p] = _is_summary(body[p], id_columns)
    return out


def _currency(value: Any) -> str | None:
    """:func:`currency_of`, with the plain amounts of a 200 000-row export ("123.45", "$1,234.56") settled
    without trying every currency sign and code."""
    if isinstance(value, str):
        if _NO_CURRENCY.match(value):
            return None
        if value.startswith("$") and _PLAIN_MONEY.match(value):
            return "USD"
    return currency_of(value)


def _blank(rec: list[Any]) -> bool:
    return all(map(is_blank, rec))


def _is_summary(rec: list[Any], id_columns: list[int]) -> bool:
    """A "Total"/合计 row: its first filled cell, or its id/link cell, is a total label."""
    first = rec[0] if rec and not is_no_data(rec[0]) else next((c for c in rec if not is_no_data(c)), "")
    if _label(first):
        return True
    width = len(rec)
    return any(j < width and _label(rec[j]) for j in id_columns)


def _label(cell: Any) -> bool:
    return isinstance(cell, str) and len(cell) < 24 and not cell[:1].isdigit() and is_total_label(cell)


class Column:
    """A column's cells as its distinct values and, per cell, which one it is: exports repeat dates,
    handles and currencies thousands of times, so each distinct cell is read once by the one parser
    (:mod:`workbook_addin.core.cells`) and the result mapped back, which gives every cell exactly the
    value reading it alone would. Text cells are told apart by value; any other cell (a spreadsheet's
    numbers, dates, booleans) by type and ``repr`` too, as ``True == 1 == 1.0`` must not share a reading.
    The distinct values are found when first asked for: a column of plain numbers or of links (every
    cell distinct) is read without them."""

    def __init__(self, values: list[Any], text: bool | None = None) -> None:
        self.values = values
        #: every cell is text (a CSV's columns, ``text``): the readers may take text-only shortcuts
        self.text = set(map(type, values)) <= {str} if text is None else text
        self._codes: np.ndarray | None = None
        self._uniques: list[Any] = []

    @property
    def codes(self) -> np.ndarray:
        if self._codes is None:
            self._distinct()
        return self._codes  # type: ignore[return-value]

    @property
    def uniques(self) -> list[Any]:
        if self._codes is None:
            self._distinct()
        return self._uniques

    def _distinct(self) -> None:
        if self.text:
            codes, uniques = pd.factorize(np.asarray(self.values, dtype=object), use_na_sentinel=False)
            self._codes, self._uniques = codes, list(uniques)
            return
        index: dict[Any, int] = {}
        codes_list = []
        for v in self.values:
            key = v if type(v) is str else (type(v), repr(v))
            if (k := index.get(key)) is None:
                k = index[key] = len(self._uniques)
                self._uniques.append(v)
            codes_list.append(k)
        self._codes = np.asarray(codes_list, dtype=np.intp)

    def counts(self) -> np.ndarray:
        """How many cells hold each distinct value."""
        return np.bincount(self.codes, minlength=len(self.uniques))

    def mapped(self, per_unique: list[Any]) -> list[Any]:
        """One value per cell from one value per distinct cell."""
        table = np.empty(len(per_unique), dtype=object)
        table[:] = per_unique
        return table[self.codes].tolist()

    def rows_of(self, bad: dict[int, Any], rows: list[int]) -> list[tuple[int, Any, Any]]:
        """(row, cell, what ``bad`` holds for it) for every cell whose distinct value is in ``bad``, in row order."""
        if not bad:
            return []
        at = np.flatnonzero(np.isin(self.codes, np.fromiter(bad, dtype=np.intp)))
        return [(rows[i], self.values[i], bad[int(self.codes[i])]) for i in at]


def _typed(fld: str, values: list[Any] | Column, rows: list[int], file: str, header: str, decimal: str,
           date_order: str) -> tuple[pd.Series, list[Problem]]:
    """A column's cells read as its field's type; the cells that cannot be read become empty and a problem each."""
    column = values if isinstance(values, Column) else Column(list(values))
    kind = FIELD_TYPES.get(fld, "text")
    if kind in ("integer", "money"):
        return _numbers(column, kind, rows, file, header, decimal)
    if kind == "datetime":
        return _dates(column, rows, file, header, decimal, date_order)
    return _texts(column, kind, rows, file, header)


def _numbers(column: Column, kind: str, rows: list[int], file: str, header: str,
             decimal: str) -> tuple[pd.Series, list[Problem]]:
    if (plain := _plain_numbers(column, kind, decimal)) is not None:
        return pd.Series(plain, dtype="float64"), []
    dec = infer_decimal(column.values, decimal)
    grouped = _GROUPED_POINT if dec == "." else _GROUPED_COMMA  # "1,234,567" where "." is the decimal mark
    thousands = "," if dec == "." else "."
    money_point = kind == "money" and dec == "."
    parsed = np.empty(len(column.uniques), dtype="float64")
    bad: dict[int, CellError] = {}
    for k, v in enumerate(column.uniques):
        if isinstance(v, str):  # the common cases, read without parse_number's checks (same value)
            if v.isascii() and v.isdigit():
                parsed[k] = float(v)
                continue
            if grouped.match(v):
                parsed[k] = float(v.replace(thousands, ""))
                continue
            if money_point and (m := _PLAIN_MONEY.match(v)):
                parsed[k] = float(m.group(1).replace(",", "") + (m.group(2) or ""))
                continue
        try:
            parsed[k] = parse_number(v, decimal=dec, integer=kind == "integer")
        except CellError as exc:
            bad[k], parsed[k] = exc, math.nan
    problems = [file_problem(file, row, header, f"不是数字 {show(v)} {exc}", v)
                for row, v, exc in column.rows_of(bad, rows)]
    return pd.Series(parsed[column.codes], dtype="float64"), problems


def _plain_numbers(column: Column, kind: str, decimal: str) -> np.ndarray | None:
    """Every cell of a text column at once when all are plain, as :func:`_numbers` reads them one by
    one; None: some cell is not plain. Plain: digits and thousands groups that settle no decimal mark
    (:func:`infer_decimal` keeps ``decimal``, which then says the separator groups thousands), or for
    money where "." is the decimal mark, "$1,234.56" (only "." settles any of them). Each is its
    digits without the thousands separators and "$"."""
    if not column.text or not column.values:
        return None
    joined = "\n".join(column.values)
    comma, point = "," in joined, "." in joined
    sep = "," if not point and (not comma or decimal == ".") else "." if not comma and decimal == "," else None
    if sep is not None and _PLAIN_LINES[sep].match(joined):
        joined = joined.replace(sep, "")
    elif kind == "money" and decimal == "." and _MONEY_LINES.match(joined):
        joined = joined.replace("$", "").replace(",", "")
    else:
        return None
    parts = joined.split("\n")
    if len(parts) != len(column.values):  # a cell holding a line break
        return None
    return np.fromiter(map(float, parts), dtype=np.float64, count=len(parts))


def _dates(column: Column, rows: list[int], file: str, header: str, decimal: str,
           date_order: str) -> tuple[pd.Series, list[Problem]]:
    problems: list[Problem] = []
    order = date_order if date_order in ("DMY", "MDY") else ("DMY" if decimal == "," else "MDY")
    order, note = column_date_order(column.uniques, order, counts=column.counts().tolist())
    if note:
        problems.append(file_problem(file, None, header, note))
    parsed: list[Any] = []
    bad: dict[int, CellError] = {}
    for k, v in enumerate(column.uniques):
        try:
            parsed.append(parse_date(v, order=order))
        except CellError as exc:
            bad[k] = exc
            parsed.append(None)
    problems += [file_problem(file, row, header, f"不是日期 {show(v)} {exc}", v)
                 for row, v, exc in column.rows_of(bad, rows)]
    stamps = pd.DatetimeIndex(pd.to_datetime(parsed), dtype="datetime64[ns]") if parsed else pd.DatetimeIndex(
        [], dtype="datetime64[ns]")
    return pd.Series(stamps.take(column.codes), dtype="datetime64[ns]"), problems


def _texts(column: Column, kind: str, rows: list[int], file: str, header: str) -> tuple[pd.Series, list[Problem]]:
    parsed: list[str | None] = []
    bad: dict[int, str] = {}
    if column.text and kind != "id":  # a CSV's text column: each cell stripped, "no data" as None
        return pd.Series(stripped_texts(column.values), dtype=object), []
    for k, v in enumerate(column.uniques):
        if is_no_data(v):
            parsed.append(None)
            continue
        if isinstance(v, float) and kind == "id" and abs(v) > 2**53:
            bad[k] = (f"ID 存成了数字，末几位已丢失 {v:.0f}: the spreadsheet stored this ID as a number and lost its "
                      "last digits; matched by link or handle instead")
            parsed.append(None)
            continue
        text = str(int(v) if isinstance(v, float) and v.is_integer() else v).strip()
        if kind == "id" and _SCIENTIFIC_ID.match(text):
            bad[k] = f"ID 被 Excel 改成科学计数法 {text!r}: Excel shortened this ID; matched by link or handle instead"
            parsed.append(None)
            continue
        parsed.append(text)
    problems = [file_problem(file, row, header, why, v) for row, v, why in column.rows_of(bad, rows)]
    return pd.Series(column.mapped(parsed), dtype=object), problems
