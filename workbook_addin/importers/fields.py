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

import pandas as pd

from ..core.cells import (NO_DATA, CellError, column_date_order, currency_of, infer_decimal, is_blank, is_no_data,
                          parse_date, parse_number)
from ..core.problems import show
from .detect import Detection
from .formats import FIELD_TYPES, TOTAL_LABELS, norm_header
from .problems import Problem, file_problem
from .readers import Decoding

_LONGEST_NO_DATA = max(map(len, NO_DATA))
_SCIENTIFIC_ID = re.compile(r"^\d(?:[.,]\d+)?[eE]\+\d+$")
#: whole numbers with thousands separators only (the other character being the decimal mark)
_GROUPED_POINT = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+\Z")
_GROUPED_COMMA = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+\Z")


@dataclass
class Extracted:
    frame: pd.DataFrame  # one column per detected field plus source_row (the row number in the file)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0
    summary_rows: int = 0


def extract(decoding: Decoding, det: Detection, file: str) -> Extracted:
    """The data rows under the header, typed; rows that are summaries or cut short are skipped."""
    records = decoding.records
    width = len(det.headers)
    used = sorted(set(det.columns.values()))
    needed = max(used) + 1
    out = Extracted(pd.DataFrame())
    keep_rows: list[list[Any]] = []
    numbers: list[int] = []
    last = len(records) - 1
    while last > det.header_row and _blank(records[last]):
        last -= 1
    id_columns = [j for j in (det.columns.get("video_id"), det.columns.get("post_url"),
                              det.columns.get("order_id")) if j is not None]
    for i in range(det.header_row + 1, last + 1):
        rec = records[i]
        if _blank(rec):
            continue
        if _is_summary(rec, id_columns):
            out.summary_rows += 1
            continue
        cut_here = i == last and decoding.truncated
        if len(rec) < needed or cut_here:
            why = ("文件在此行中断 the file ends in the middle of this row" if i == last
                   else f"此行只有 {len(rec)} 列 only {len(rec)} of {width} columns")
            out.problems.append(file_problem(file, i + 1, None,
                                             f"{why}; row skipped — 请重新下载 download the export again"))
            out.skipped += 1
            continue
        keep_rows.append([rec[j] if j < len(rec) else "" for j in range(needed)])
        numbers.append(i + 1)
    raw = pd.DataFrame(keep_rows, columns=range(needed),
                       dtype=object) if keep_rows else pd.DataFrame(columns=range(needed), dtype=object)
    frame = pd.DataFrame({"source_row": pd.Series(numbers, dtype="int64")})
    default_decimal = det.format.decimal if det.format.decimal != "." or decoding.delimiter != ";" else ","
    for fld, j in det.columns.items():
        header = det.headers[j]
        values = raw[j].tolist()
        frame[fld], problems = _typed(fld, values, numbers, file, header, default_decimal, det.format.date_order)
        out.problems.extend(problems)
        if FIELD_TYPES.get(fld) == "money":
            known: dict[Any, str | None] = {}  # one currency lookup per distinct cell
            cur = [known[v] if v in known else known.setdefault(v, currency_of(v)) for v in values]
            if any(cur):
                frame[f"{fld}__currency"] = pd.Series(cur, dtype=object)
            elif fld in det.header_currency:
                frame[f"{fld}__currency"] = det.header_currency[fld]
    out.frame = frame
    out.problems.sort(key=lambda p: (p.row or 0))
    return out


def _blank(rec: list[Any]) -> bool:
    return all(map(is_blank, rec))


def _no_data(value: Any) -> bool:
    """:func:`is_no_data`, with the text cells of a CSV (nearly all of them) decided inline."""
    if type(value) is str:
        text = value.strip()
        return not text or (len(text) <= _LONGEST_NO_DATA and text.casefold() in NO_DATA)
    return is_no_data(value)


def _is_summary(rec: list[Any], id_columns: list[int]) -> bool:
    """A "Total"/合计 row: its first filled cell, or its id/link cell, is a total label."""
    first = next((c for c in rec if not _no_data(c)), "")
    cells = [first] + [rec[j] for j in id_columns if j < len(rec)]
    return (any(isinstance(c, str) and len(c) < 24 and not c[:1].isdigit() and norm_header(c) in TOTAL_LABELS
            for c in cells))


def _typed(fld: str, values: list[Any], rows: list[int], file: str, header: str, decimal: str,
           date_order: str) -> tuple[pd.Series, list[Problem]]:
    kind = FIELD_TYPES.get(fld, "text")
    problems: list[Problem] = []
    if kind in ("integer", "money"):
        dec = infer_decimal(values, decimal)
        cache: dict[Any, float] = {}
        out = []
        grouped = _GROUPED_POINT if dec == "." else _GROUPED_COMMA  # "1,234,567" where "." is the decimal mark
        thousands = "," if dec == "." else "."
        for v, row in zip(values, rows):
            if isinstance(v, str):  # the common cases, parsed without parse_number's checks
                if v.isdigit():
                    out.append(float(v))
                    continue
                if grouped.match(v):  # what parse_number reads it as, whatever the column's type
                    out.append(float(v.replace(thousands, "")))
                    continue
            key = v if isinstance(v, str) else repr(v)
            if key not in cache:
                try:
                    cache[key] = parse_number(v, decimal=dec, integer=kind == "integer")
                except CellError as exc:
                    problems.append(file_problem(file, row, header, f"不是数字 {show(v)} {exc}", v))
                    cache[key] = math.nan
                    out.append(math.nan)
                    continue
            out.append(cache[key])
        return pd.Series(out, dtype="float64"), problems
    if kind == "datetime":
        order = date_order if date_order in ("DMY", "MDY") else ("DMY" if decimal == "," else "MDY")
        order, note = column_date_order(values, order)
        if note:
            problems.append(file_problem(file, None, header, note))
        out_d: list[Any] = []
        seen: dict[Any, Any] = {}  # exports repeat the same dates many times
        for v, row in zip(values, rows):
            key = v if isinstance(v, str) else repr(v)
            if key not in seen:
                try:
                    seen[key] = parse_date(v, order=order)
                except CellError as exc:
                    problems.append(file_problem(file, row, header, f"不是日期 {show(v)} {exc}", v))
                    out_d.append(None)
                    continue
            out_d.append(seen[key])
        return pd.Series(pd.to_datetime(out_d), dtype="datetime64[ns]"), problems
    out_t: list[str | None] = []
    for v, row in zip(values, rows):
        if _no_data(v):
            out_t.append(None)
            continue
        if isinstance(v, float) and kind == "id" and abs(v) > 2**53:
            problems.append(file_problem(file, row, header,
                                         f"ID 存成了数字，末几位已丢失 {v:.0f}: the spreadsheet stored this ID as a "
                                         "number and "
                                         "lost its last digits; matched by link or handle instead", v))
            out_t.append(None)
            continue
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        text = str(v).strip()
        if kind == "id" and _SCIENTIFIC_ID.match(text):
            problems.append(file_problem(file, row, header,
                                         f"ID 被 Excel 改成科学计数法 {text!r}: Excel shortened this ID; matched by "
                                         "link or "
                                         "handle instead", v))
            out_t.append(None)
            continue
        out_t.append(text)
    return pd.Series(out_t, dtype=object), problems
