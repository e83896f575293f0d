"""Input checks: turn what people type into typed columns, and say what was wrong.

Every input column is coerced by its schema type (templates/schema.toml), reading each cell with the
one parser in :mod:`.cells`. A cell that cannot be read becomes missing and yields a
:class:`~.problems.Problem` naming the sheet (bilingual name), the Excel row and the column header,
so the person can find and fix it; every other cell and row is still used. That is the product rule
"bad input gets a clear message; the rest of the work goes on".

The work is vectorised: already-typed columns (what the workbook reader or calamine hands over) pass
through numpy checks; text columns are parsed once per *distinct* value, so 500 000 rows holding a
few thousand distinct strings cost a few thousand parses.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import partial
from operator import attrgetter
from typing import Any

import numpy as np
import pandas as pd

from . import distinct
from .cells import EXCEL_EPOCH, SERIAL_RANGE, blank_mask, column_date_order, parse_date, parse_number
from .problems import Problem, excel_rows, show
from .schema import Column, Sheet, load_schema

#: Common spellings that are not label halves in the schema but mean one allowed value.
ENUM_ALIASES: dict[str, dict[str, str]] = {
    "yes_no": {"y": "yes", "true": "yes", "1": "yes", "x": "yes", "✓": "yes", "n": "no", "false": "no", "0": "no"},
    "market": {"gb": "UK", "united kingdom": "UK", "uae": "AE", "ksa": "SA", "usa": "US", "germany": "DE",
               "japan": "JP"},
    "currency": {"rmb": "CNY", "us$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"},
}


def _by_distinct(series: pd.Series, parse) -> tuple[np.ndarray, np.ndarray, dict]:
    """Applies ``parse`` once per distinct value; returns (values, bad mask, reasons by value)."""
    values = series.to_numpy(dtype=object) if isinstance(series, pd.Series) else series
    codes, uniques = distinct.factorize(values)
    # one slot per distinct value plus a last one for missing cells, which code -1 indexes
    parsed = np.full(len(uniques) + 1, None, dtype=object)
    bad_u = np.zeros(len(uniques) + 1, dtype=bool)
    reasons: dict[int, str] = {}
    for i, u in enumerate(uniques):
        try:
            parsed[i] = parse(u)
        except ValueError as exc:
            reasons[i] = str(exc)
            bad_u[i] = True
    # cells left empty (or unreadable, which are None too): what the required check needs
    none_u = np.array([p is None for p in parsed], dtype=bool)
    clean = not none_u[:-1].any() and (codes >= 0).all()  # nothing empty, so nothing unreadable either
    bad = bad_u[codes] if bad_u.any() else np.zeros(len(codes), dtype=bool)
    none = none_u[codes] if not clean else np.zeros(len(codes), dtype=bool)
    return parsed[codes], bad, {"codes": codes, "reasons": reasons, "uniques": uniques, "none": none}


def _text_values(arr: np.ndarray) -> np.ndarray:
    """Text cells stripped; empty -> None; numbers typed in text cells shown without ".0"."""
    out = np.empty(len(arr), dtype=object)
    out[:] = [
        (v.strip() or None) if type(v) is str
        else None if v is None or v != v or v is pd.NaT
        else str(int(v)) if isinstance(v, float) and v.is_integer()
        else str(v)
        for v in arr
    ]
    return out


#: What ``infer_dtype`` says of an object column holding only numbers (and missing cells).
_NUMBER_KINDS = ("floating", "integer", "mixed-integer-float")


def _numeric(series: pd.Series, col: Column) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(float values, bad mask, reason per bad row)."""
    n = len(series)
    numbers = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    if not numbers and series.dtype == object and n > 1000 and \
            pd.api.types.infer_dtype(series.to_numpy(dtype=object), skipna=True) in _NUMBER_KINDS:
        # an object column of numbers and empty cells, as the workbook reader hands them over
        series, numbers = series.astype(float), True
    if numbers:
        # already numbers (typed exports, the reader's number cells): only the range checks remain
        values = series.to_numpy(dtype=float, na_value=np.nan, copy=True)
        bad = np.zeros(n, dtype=bool)
        reasons: list[str] = []
    else:
        fast = pd.to_numeric(series, errors="coerce")
        values = fast.to_numpy(dtype=float, na_value=np.nan).copy()
        todo = np.isnan(values) & ~blank_mask(series)
        bad = np.zeros(n, dtype=bool)
        reasons = []
        if todo.any():
            sub = series[todo]
            parsed, sub_bad, info = _by_distinct(sub, lambda v: parse_number(v, integer=col.type == "integer"))
            vals = np.array([np.nan if p is None else p for p in parsed], dtype=float)
            values[todo] = vals
            idx = np.flatnonzero(todo)
            bad[idx[sub_bad]] = True
            codes = info["codes"]
            reasons = [f"{show(info['uniques'][c])} {info['reasons'][c]}" for c in codes[sub_bad]]
    # A percent typed as points ("15" in a 0-1 percent column) means 15 %.
    if col.type == "percent" and col.max == 1:
        points = (values > 1) & (values <= 100)
        if points.any() and not pd.api.types.is_numeric_dtype(series.dtype):
            points &= ~series.astype("string").str.contains("%", regex=False).fillna(False).to_numpy(dtype=bool)
        if points.any():
            values = np.where(points, values / 100.0, values)
    return values, bad, reasons


def _range_check(values: np.ndarray, col: Column, raw: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Cells outside the column's min/max, or fractions in an integer column, with their messages."""
    msgs: dict[int, str] = {}
    with np.errstate(invalid="ignore"):
        if col.min is not None:
            for i in np.flatnonzero(values < col.min):
                msgs[int(i)] = f"{show(raw.iloc[i])} is below the allowed minimum {col.min:g}" + (
                    " (negative numbers are not allowed here)" if col.min == 0 else "")
        if col.max is not None:
            shown = f"{col.max:.0%}" if col.type == "percent" else f"{col.max:g}"
            for i in np.flatnonzero(values > col.max):
                msgs[int(i)] = f"{show(raw.iloc[i])} is above the allowed maximum {shown}"
        if col.type == "integer" and not pd.api.types.is_integer_dtype(raw.dtype):
            # v - floor(v) > 0 exactly where a finite v is not whole (NaN and ±inf give NaN: False)
            frac = (values - np.floor(values)) > 0
            for i in np.flatnonzero(frac):
                msgs.setdefault(int(i), f"{show(raw.iloc[i])} is not a whole number")
    bad = np.zeros(len(values), dtype=bool)
    if msgs:
        order = sorted(msgs)
        bad[order] = True
        return bad, [msgs[i] for i in order]
    return bad, []


def _enum(series: pd.Series, col: Column) -> tuple[pd.Series, np.ndarray, list[str], np.ndarray]:
    """(codes, bad mask, reasons, empty mask) of an enum column."""
    enum_name = col.enum or ""
    enum = load_schema().enums[enum_name]
    aliases = ENUM_ALIASES.get(enum_name, {})

    def norm(v: Any) -> str:
        if isinstance(v, (bool, np.bool_)) and col.enum == "yes_no":
            return "yes" if v else "no"
        text = unicodedata.normalize("NFKC", str(v)).strip()
        if isinstance(v, float) and v.is_integer():
            text = str(int(v))
        code = enum.normalise(text) or aliases.get(text.casefold())
        if code is None:
            shown = ", ".join(enum.codes) if len(enum.codes) <= 10 else ", ".join(enum.codes[:10]) + ", ..."
            raise ValueError(f"is not one of the allowed values ({shown})")
        return code

    def norm_or_blank(v: Any) -> str | None:
        if isinstance(v, str) and not v.strip():
            return None
        return norm(v)

    parsed, bad, info = _by_distinct(series, norm_or_blank)
    reasons = [f"{show(info['uniques'][c])} {info['reasons'][c]}" for c in info["codes"][bad]]
    what = {"platform": "unknown platform", "currency": "unknown currency"}.get(enum_name)
    if what:
        reasons = [f"{what}: {r}" for r in reasons]
    return pd.Series(parsed, index=series.index, dtype=object, copy=False), bad, reasons, info["none"]


#: Dates pandas can hold at nanosecond precision (what the text path gives), as datetime64[us].
_TIMESTAMP_BOUNDS = (np.datetime64("1677-09-22", "us"), np.datetime64("2262-04-11", "us"))


def _naive_datetimes(series: pd.Series) -> pd.Series | None:
    """An object column of timezone-free datetimes / dates and empty cells (what the workbook
    reader hands over) converted in one numpy call; None for any other column."""
    arr = series.to_numpy(dtype=object)
    if len(arr) < 1000 or pd.api.types.infer_dtype(arr, skipna=True) not in ("datetime", "date"):
        return None
    missing = distinct.isna(arr)
    values = arr[~missing]
    types = set(map(type, values))
    if not types <= {datetime, date, pd.Timestamp} or (date in types and len(types) > 1):
        return None
    if date not in types and any(map(attrgetter("tzinfo"), values)):
        return None  # timezone-aware: converted to UTC cell by cell
    converted = np.full(len(arr), np.datetime64("NaT"), dtype="datetime64[us]")
    converted[~missing] = pd.to_datetime(values).to_numpy().astype("datetime64[us]")  # 20x numpy's own conversion
    present = converted[~missing]
    if len(values) and (present.min() < _TIMESTAMP_BOUNDS[0] or present.max() > _TIMESTAMP_BOUNDS[1]):
        return None
    return pd.Series(converted, index=series.index, copy=False)


#: ISO dates and datetimes without an offset: read by pandas in one call.
_ISO_TEXT = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$"


def _date_order(series: pd.Series) -> tuple[str, str | None]:
    """The column's day/month order (:func:`.cells.column_date_order`) from its distinct text values."""
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "MDY", None
    return column_date_order(pd.unique(series.to_numpy(dtype=object)))


def _dates(series: pd.Series, col: Column, order: str = "MDY") -> tuple[pd.Series, np.ndarray, list[str]]:
    n = len(series)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        # an offset is dropped and the wall time kept, as cells.parse_date does
        out = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
        bad, reasons = np.zeros(n, dtype=bool), list[str]()
    elif (naive := _naive_datetimes(series)) is not None:
        out, bad, reasons = naive, np.zeros(n, dtype=bool), []
    else:
        blank = blank_mask(series)
        fast = pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]")
        if series.dtype != object and pd.api.types.is_numeric_dtype(series.dtype):
            vals = series.to_numpy(dtype=float, na_value=np.nan)
            ok = (vals >= SERIAL_RANGE[0]) & (vals <= SERIAL_RANGE[1])
            fast[ok] = pd.Timestamp(EXCEL_EPOCH) + pd.to_timedelta(vals[ok], unit="D")
        else:
            text = series.where(~blank)
            iso = text.astype("string").str.match(_ISO_TEXT).fillna(False).to_numpy(dtype=bool)
            if iso.any():
                fast[iso] = pd.to_datetime(text[iso].astype(str), format="ISO8601", errors="coerce").to_numpy()
        todo = fast.isna().to_numpy() & ~blank
        bad = np.zeros(n, dtype=bool)
        reasons = []
        if todo.any():
            parsed, sub_bad, info = _by_distinct(series[todo], partial(parse_date, order=order))
            vals = pd.to_datetime(pd.Series([pd.NaT if p is None else p for p in parsed], dtype=object),
                                  errors="coerce")
            # a serial number's fraction of a day can land below a microsecond: round it to the column's unit
            fast[todo] = vals.to_numpy().astype("datetime64[us]")
            idx = np.flatnonzero(todo)
            bad[idx[sub_bad]] = True
            reasons = [f"{show(info['uniques'][c])} {info['reasons'][c]}" for c in info["codes"][sub_bad]]
        out = fast
    out = out.astype("datetime64[us]")
    if col.type == "date":
        out = out.dt.normalize()
    return out, bad, reasons


def _stripped_strings(arr: np.ndarray) -> np.ndarray | None:
    """``_text_values(arr)`` for a column holding only ``str`` and None (what the workbook reader
    and most exports hand over), with C-level ``str.strip`` calls instead of a per-cell branch;
    None for any other column."""
    types = set(map(type, arr))
    if not types <= {str, type(None)}:
        return None
    out = np.array(arr, dtype=object, copy=True)
    has = slice(None) if types == {str} else (arr != None)  # noqa: E711 (element-wise)
    stripped = list(map(str.strip, out[has]))
    out[has] = stripped
    if not all(stripped):  # a cell of spaces only
        out[out == ""] = None
    return out


def _text(series: pd.Series) -> np.ndarray:
    """Stripped text; columns with few distinct values (reviewer, owner) are cleaned per value."""
    arr = series.to_numpy(dtype=object)
    n = len(arr)
    if n > 5000:
        sample = arr[:: n // 2000]
        if len(set(sample.tolist())) * 20 < len(sample):
            codes, uniques = distinct.factorize(arr)
            cleaned = np.append(_text_values(np.asarray(uniques, dtype=object)), np.array([None], dtype=object))
            return cleaned[codes]
        out = _stripped_strings(arr)
        if out is not None:
            return out
    return _text_values(arr)


_URL_RX = re.compile(r"(?:https?://)?[\w\-]+(?:\.[\w\-]+)+(?::\d+)?(?:[/?#]\S*)?", re.I)


def _url_ok(values: np.ndarray) -> np.ndarray:
    """True where a (stripped, present) value is a web link; fast path for plain https links."""
    return np.fromiter(
        ((v.startswith(("https://", "http://")) and " " not in v and "." in v) or _URL_RX.fullmatch(v) is not None
         for v in values), dtype=bool, count=len(values))


def coerce_table(sheet_key: str, frame: pd.DataFrame, *, columns: Any = None) -> tuple[pd.DataFrame, list[Problem]]:
    """The frame with every schema input column typed, and the problems found.

    Numbers become float64 (NaN = missing; integer columns stay float so missing fits), percents
    fractions (0.035), dates ``datetime64``, enums their schema code, text stripped ``object`` with
    None for empty. Schema columns absent from ``frame`` are added empty, so later steps can rely on
    them; other columns pass through untouched. Computed columns are left as given (the engine
    overwrites them).

    ``columns`` limits the work to those column keys (others pass through as given): the engine
    uses it to skip free-text columns it never reads on very large tables.
    """
    sheet = load_schema().sheet(sheet_key)
    rows = excel_rows(frame)
    only = None if columns is None else set(columns)
    problems: list[Problem] = []
    columns = {}
    bad_cells: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}  # empty cells, where coercing a column found them anyway
    for col in sheet.columns:
        if col.key not in frame.columns:
            columns[col.key] = _empty(col, len(frame))
            continue
        if not col.is_input or (only is not None and col.key not in only):
            continue
        raw = frame[col.key]
        bad = np.zeros(len(frame), dtype=bool)
        reasons: list[str] = []
        if col.is_numeric:
            values, bad, reasons = _numeric(raw, col)
            rbad, rreasons = _range_check(np.where(bad, np.nan, values) if bad.any() else values, col, raw)
            if rbad.any():
                reasons = _merge_reasons(bad, reasons, rbad, rreasons)
                bad = bad | rbad
            if bad.any():
                values = np.where(bad, np.nan, values)
            typed: Any = values
        elif col.type == "enum":
            typed, bad, reasons, missing[col.key] = _enum(raw, col)  # unreadable cells are already None
        elif col.type in ("date", "datetime"):
            order, note = _date_order(raw)
            typed, bad, reasons = _dates(raw, col, order)
            if note:
                problems.append(Problem(sheet.name, None, col.header, note, None, sheet.key, col.key))
            if bad.any():
                typed = typed.where(~bad)
        elif col.type == "url":
            typed = _text(raw)
            present = ~pd.isna(typed)
            if present.any():
                ok = _url_ok(typed[present])
                idx = np.flatnonzero(present)[~ok]
                bad[idx] = True
                reasons = [f"{show(typed[i])} is not a web link" for i in idx]
                typed = np.where(bad, None, typed)
        else:
            typed = _text(raw)
        columns[col.key] = typed
        bad_cells[col.key] = bad
        for i, reason in zip(np.flatnonzero(bad), reasons):
            problems.append(Problem(sheet.name, int(rows[i]), col.header, reason, raw.iloc[i], sheet.key, col.key))
    data = {k: frame[k] for k in frame.columns}
    for key, values in columns.items():
        arr = values.to_numpy() if isinstance(values, pd.Series) else values
        # dtype=object keeps text as typed Python strings (pandas 3 would otherwise re-scan and
        # convert every text column to its "str" dtype, which costs more than the scoring).
        data[key] = pd.Series(arr, index=frame.index, copy=False, dtype=object if arr.dtype == object else None)
    out = pd.DataFrame(data, index=frame.index, copy=False)
    problems.extend(_required(sheet, out, rows, bad_cells, {c.key for c in sheet.columns if c.key not in frame.columns},
                              missing))
    problems.sort(key=lambda p: (p.row or 0))
    return out, problems


def _merge_reasons(bad, reasons, rbad, rreasons) -> list[str]:
    merged = {int(i): r for i, r in zip(np.flatnonzero(bad), reasons)}
    merged.update({int(i): r for i, r in zip(np.flatnonzero(rbad), rreasons)})
    return [merged[i] for i in sorted(merged)]


def _empty(col: Column, n: int):
    if col.is_numeric:
        return np.full(n, np.nan)
    if col.type in ("date", "datetime"):
        return np.full(n, np.datetime64("NaT", "us"))
    return np.full(n, None, dtype=object)


def _required(sheet: Sheet, frame: pd.DataFrame, rows: np.ndarray, already: dict[str, np.ndarray],
              absent: set[str], known_missing: dict[str, np.ndarray] | None = None) -> list[Problem]:
    """Required cells left empty (cells already reported as unreadable are not reported twice).

    A required column missing from the sheet altogether is one problem, not one per row.
    """
    problems = []
    for col in sheet.columns:
        if not (col.required and col.is_input) or col.key == "creator_key" and sheet.key == "creators":
            continue
        if col.key in absent:
            if len(frame):
                problems.append(Problem(sheet.name, None, col.header, "required column is missing from the sheet", None,
                                        sheet.key, col.key))
            continue
        series = frame[col.key]
        text = series.dtype == object or isinstance(series.dtype, pd.StringDtype)
        missing = (known_missing or {}).get(col.key)
        if missing is None:
            missing = distinct.isna(series.to_numpy(dtype=object)) if text else series.isna().to_numpy()
        if col.key in already:
            missing = missing & ~already[col.key]
        for i in np.flatnonzero(missing):
            problems.append(Problem(sheet.name, int(rows[i]), col.header, "required value is missing", None, sheet.key,
                                    col.key))
    return problems
