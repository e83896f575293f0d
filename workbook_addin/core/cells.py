"""What a cell's content means: the one blank-cell rule and the one parser of numbers, money and dates.

A cell means the same thing whether a person typed it into the workbook or an export file holds it,
so the workbook's input checks (:mod:`.coerce`), the Settings sheet and the export importers all read
cells here. People and exports write the same value many ways: ``1,234``, ``1.234`` (German),
``1 234``, ``1.2K``, ``3,4 Mio.``, ``1.5万``, ``$1,234.56``, ``12.5%``, ``Nov 3, 2026``,
``03.11.2026``, ``2026/11/03`` and Excel date serials that lost their format (``46297``).

Options exist only where exports really differ and one value cannot tell: the decimal mark
(``decimal``, settled per column by :func:`infer_decimal`), the day/month order of slash dates
(``order``, settled by :func:`infer_date_order`) and whether a column holds counts (``integer``,
where a lone ``1.234`` is a thousands group). Everything else is one rule:

- a blank cell is None, NaN, NaT or text of spaces only (:func:`is_blank`); where a value is
  expected, the placeholders exports write for "no data" (``n/a``, ``-``, ``暂无`` ...) are blank too
  (:func:`is_no_data`);
- Excel error values (``#N/A``) are errors, never blanks: a formula broke and someone should look;
- a date's wall time is kept and a time-zone offset dropped, so a cell's day never shifts.
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from .errors import LianxingError


class CellError(LianxingError, ValueError):
    """A cell that cannot be read as the type its column needs. ``str()`` is the reason only
    ("is not a number"); the caller names the cell and shows its value."""


# ----------------------------------------------------------------------------- blank cells
#: Text exports and people write for "no data", read as a blank wherever a value is expected.
NO_DATA = frozenset({"-", "--", "—", "–", "n/a", "na", "nan", "none", "null", "/", "無", "无", "暂无"})


#: cells of these exact types are never blank (decided without asking pandas: 50 000 dates a column)
_NEVER_BLANK = frozenset({int, bool, dt.date, dt.datetime, dt.time})


def is_blank(value: Any) -> bool:
    """The one blank-cell rule: None, NaN, NaT, pd.NA and text of spaces only are one empty cell."""
    if value is None:
        return True
    if type(value) in _NEVER_BLANK:
        return False
    if isinstance(value, str):
        return not value or value.isspace()
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    if isinstance(value, (list, tuple, dict, set)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


_LONGEST_NO_DATA = max(map(len, NO_DATA))


def is_missing(value: Any) -> bool:
    """None, NaN or NaT: a value pandas holds for "no value". Narrower than :func:`is_blank`
    (empty text stays text): for encoding, formatting and typing frames, not for reading cells."""
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def is_no_data(value: Any) -> bool:
    """Blank, or a placeholder for "no data" (:data:`NO_DATA`): use it where a number, date, key or
    link is expected; free text keeps its placeholders as typed."""
    if type(value) is str:  # most cells: decided without case-folding long text (casefold never shortens)
        text = value.strip()
        return not text or (len(text) <= _LONGEST_NO_DATA and text.casefold() in NO_DATA)
    return is_blank(value) or (isinstance(value, str) and value.strip().casefold() in NO_DATA)


def stripped_texts(values: Iterable[str]) -> list[str | None]:
    """Each text stripped, None where it is "no data" (:func:`is_no_data`): a column of text cells read
    at once (a 200 000-row export has several)."""
    return [t if t and not (len(t) <= _LONGEST_NO_DATA and t.casefold() in NO_DATA) else None
            for t in map(str.strip, values)]


def present_cells(values: Iterable[Any]) -> list[Any]:
    """The cells, None where a cell is blank or "no data" (:func:`is_no_data`): a column read at once,
    text, empty cells and dates decided inline (50 000-row columns)."""
    values = values if isinstance(values, list) else list(values)
    if values and values[0] is None and _all_none(values):  # an empty column
        return values.copy()
    longest, no_data, never = _LONGEST_NO_DATA, NO_DATA, _NEVER_BLANK
    return [v if ((kind := type(v)) is str and (t := v.strip()) and not (len(t) <= longest and t.casefold() in no_data))
            or kind in never or (kind is not str and v is not None and not is_no_data(v)) else None for v in values]


def _all_none(values: list[Any]) -> bool:
    try:
        return values.count(None) == len(values)
    except (TypeError, ValueError):  # a cell that cannot say whether it equals None (pd.NA)
        return False


def blank_mask(values: Any) -> np.ndarray:
    """:func:`is_blank` for a whole column (a Series or array), as a boolean array."""
    if isinstance(values, pd.Series) and pd.api.types.is_numeric_dtype(values.dtype):
        return values.isna().to_numpy()
    arr = np.asarray(values, dtype=object)
    mask = np.asarray(pd.isna(arr), dtype=bool)
    return mask | np.fromiter((type(v) is str and (not v or v.isspace()) for v in arr), dtype=bool, count=len(arr))


def flatten(value: Any) -> list[Any]:
    """A range's values as one list: xlwings returns a scalar for one cell, a list for a row and a
    list of lists for a block."""
    if isinstance(value, (list, tuple)):
        out: list[Any] = []
        for v in value:
            out.extend(flatten(v))
        return out
    if isinstance(value, (np.ndarray, pd.Series)):
        return list(np.asarray(value, dtype=object).ravel())
    return [value]


# ----------------------------------------------------------------------------- numbers and money
_EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!",
                 "#GETTING_DATA"}
_MULTIPLIERS = {
    "k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "mio": 1e6, "b": 1e9, "bn": 1e9, "mrd": 1e9,
    "千": 1e3, "万": 1e4, "萬": 1e4, "w": 1e4, "亿": 1e8, "億": 1e8,
}
_CURRENCY_SIGNS = {
    "US$": "USD", "$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY", "￥": "CNY", "RMB": "CNY",
    "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD", "円": "JPY", "元": "CNY",
}
_SIGNS_LONGEST_FIRST = sorted(_CURRENCY_SIGNS, key=len, reverse=True)
_ISO = re.compile(r"(?<![A-Za-z])([A-Za-z]{3})(?![A-Za-z])")
KNOWN_CURRENCIES = frozenset({
    "USD", "GBP", "EUR", "JPY", "AED", "SAR", "CNY", "CAD", "AUD", "MXN", "BRL", "KRW", "SGD", "MYR",
    "THB", "IDR", "PHP", "VND",
})
#: Thousands groups of spaces or apostrophes: 1 234 / 1'234 (Swiss) / narrow no-break space.
_SPACE_GROUP = re.compile(r"(?<=\d)[\s\u00a0\u202f\u2009'](?=\d{3}(?!\d))")
_SCIENTIFIC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)e[+-]?\d+", re.I)
_NUMBER = re.compile(r"([+-]?)\s*(\d[\d.,]*|[.,]\d+)\s*([a-z]{1,3}|千|万|萬|亿|億)?\.?", re.I)
#: digits grouped by one separator only, three digits after each: never settles the decimal mark
_GROUPED = re.compile(r"\d+(?:(?:,\d{3})+|(?:\.\d{3})+)\Z")


def strip_currency(text: str) -> tuple[str, str | None]:
    """``("1,234.56", "USD")`` from ``"$1,234.56"``, ``"1.234,56 €"`` or ``"USD 12.00"``."""
    s = text.strip()
    found: str | None = None
    for m in _ISO.finditer(s):
        if m.group(1).upper() in KNOWN_CURRENCIES:
            found = m.group(1).upper()
            s = (s[: m.start()] + s[m.end():]).strip()
            break
    for sign in _SIGNS_LONGEST_FIRST:
        if sign in s:
            found = found or _CURRENCY_SIGNS[sign]
            s = s.replace(sign, "").strip()
            break
    return s, found


def currency_of(value: Any) -> str | None:
    """The ISO currency a money cell names by sign or code, or None."""
    if not isinstance(value, str):
        return None
    return strip_currency(value)[1]


def currency_from_header(header: str) -> str | None:
    """``"GMV (USD)"`` / ``"成交金额(￥)"`` -> the currency the header declares, or None."""
    m = re.search(r"[(（\[]\s*([^)）\]]+?)\s*[)）\]]", header or "")
    if not m:
        return None
    inner = m.group(1).strip()
    if inner.upper() in KNOWN_CURRENCIES:
        return inner.upper()
    return _CURRENCY_SIGNS.get(inner)


def infer_decimal(values: Iterable[Any], default: str = ".") -> str:
    """The decimal mark of a text column: ``","`` or ``"."``.

    A value settles it when it has both separators (the last one is the decimal mark) or one
    separator followed by other than three digits (``1,5`` / ``12.50``). Values such as ``1,234``
    settle nothing; then the format's locale (``default``) decides.
    """
    comma = point = 0
    for v in values:
        if not isinstance(v, str) or v.isdigit() or _GROUPED.match(v):
            continue
        if comma + point >= 50:  # settled beyond doubt; no need to read a 50 000-row column
            break
        s = re.sub(r"[\s\u00a0\u202f\u2009']+", "", v)
        if "," in s and "." in s:
            comma, point = (comma + 1, point) if s.rfind(",") > s.rfind(".") else (comma, point + 1)
            continue
        m = re.search(r"\d([.,])(\d+)(?!.*[.,]\d)", s)
        if m and s.count(m.group(1)) == 1 and len(m.group(2)) != 3:
            comma, point = (comma + 1, point) if m.group(1) == "," else (comma, point + 1)
    if comma != point:
        return "," if comma > point else "."
    return default


def parse_number(value: Any, *, decimal: str = ".", integer: bool = False) -> float:
    """A cell as a float; NaN for a blank or "no data" cell. Raises :class:`CellError` otherwise.

    Reads thousands groups (``1,234``, ``1.234.567``, ``1 234``, ``1'234``), decimal commas
    (``3,5``; ``decimal=","`` for columns known to use them), currency signs and codes
    (``$1,200``, ``1200 EUR``), multipliers (``18.5k``, ``1.9M``, ``3 Mio``, ``3万``), accounting
    negatives ``(12)``, scientific notation and ``12.5%`` (= 0.125). ``integer`` columns (views,
    orders) never hold decimals, so a lone ``1.234`` there is a thousands group.
    """
    if isinstance(value, (bool, np.bool_)):
        raise CellError("is a yes/no value, not a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if is_no_data(value):
        return math.nan
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.upper() in _EXCEL_ERRORS:
        raise CellError("is an Excel error value")
    if _SCIENTIFIC.fullmatch(text):
        return float(text)
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1].strip()
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    text, _ = strip_currency(text)
    text = _SPACE_GROUP.sub("", text)
    m = _NUMBER.fullmatch(text)
    if not m:
        raise CellError("is not a number")
    sign, digits, suffix = m.groups()
    factor = _MULTIPLIERS.get(suffix.casefold(), 0.0) if suffix else 1.0
    if not factor:
        raise CellError("is not a number")
    number = _digits(digits, decimal, integer=integer and not suffix) * factor
    if sign == "-" or negative:
        number = -number
    if percent:
        number /= 100.0
    return round(number, 6) if suffix else number


def _digits(digits: str, decimal: str, *, integer: bool) -> float:
    """The digits of a number with its separators, read as thousands groups or a decimal mark."""
    seps = [c for c in digits if c in ",."]
    if not seps:
        return float(digits)
    dec: str | None
    if len(set(seps)) == 2:
        dec = digits[max(digits.rfind(","), digits.rfind("."))]
        thou: str | None = "," if dec == "." else "."
    elif len(seps) > 1:
        thou, dec = seps[0], None  # 1,234,567 / 1.234.567
    else:
        sep = seps[0]
        head, tail = digits.split(sep)
        if len(tail) == 3 and 0 < len(head) <= 3 and (integer or sep != decimal):
            thou, dec = sep, None
        else:  # the column's decimal mark, or "1,5" in an en column: one value cannot be grouped so
            thou, dec = None, sep
    text = digits
    if thou:
        groups = text.split(dec)[0].split(thou) if dec else text.split(thou)
        if not 0 < len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
            raise CellError("is not a number (digit groups do not fit a thousands separator)")
        text = text.replace(thou, "")
    if dec:
        text = text.replace(dec, ".")
    try:
        return float(text)
    except ValueError:
        raise CellError("is not a number") from None


# ----------------------------------------------------------------------------- dates
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
#: Excel serial numbers read as dates: 1982-02-18 to 2173-10-14; other numbers are not dates.
SERIAL_RANGE = (30000.0, 100000.0)
_MONTHS = {
    **{m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
                                  1)},
    "sept": 9, "mär": 3, "mrz": 3, "mai": 5, "okt": 10, "dez": 12, "janv": 1, "févr": 2, "fev": 2,
    "avr": 4, "juin": 6, "juil": 7, "août": 8, "déc": 12, "ene": 1, "abr": 4, "ago": 8, "dic": 12,
}
_NUMERIC_DATE = re.compile(r"^(\d{1,4})([./\-])(\d{1,2})[./\-](\d{1,4})(?:[ T,]+(.*))?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CJK_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?(?:\s*(.*))?$")
#: Nov 3, 2026 / Tue, Nov 3, 2026
_TEXT_DATE = re.compile(r"^(?:[A-Za-z]+,?\s+)?([A-Za-zéûä]+)\.?\s+(\d{1,2}),?\s+(\d{4})(?:[ ,]+(.*))?$")
#: 3 Nov 2026 / 3. Nov. 2026
_TEXT_DATE_DMY = re.compile(r"^(\d{1,2})\.?\s+([A-Za-zéûä]+)\.?,?\s+(\d{4})(?:[ ,]+(.*))?$")
_TIME = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp][Mm])?\s*(?:Z|UTC|GMT)?\s*([+-]\d{2}:?\d{2})?\s*(?:[A-Z]{3,4})?$")


def infer_date_order(values: Iterable[Any], default: str = "MDY") -> str:
    """``"DMY"`` or ``"MDY"`` for the slash dates of a column, settled by any value with a part above 12.

    Dotted dates (``03.11.2026``) are day-first everywhere and do not vote; year-first dates
    (``2026/11/03``) are always Y-M-D.
    """
    return column_date_order(values, default)[0]


def column_date_order(values: Iterable[Any], default: str = "MDY",
                      counts: Iterable[int] | None = None) -> tuple[str, str | None]:
    """``(order, note)``: one day/month order for a whole column, decided from all its values, so
    ``05/10/2026`` and ``13/10/2026`` in one column are both October. A value with a part above 12
    votes; the majority wins. ``note`` says why the order is a guess (the values never settle it, or
    they disagree), None when they settle it. ``counts``: how many cells hold each of ``values``
    (a column given as its distinct values: the same votes, each date read once)."""
    dmy = mdy = unsettled = 0
    for v, n in zip(values, itertools.repeat(1) if counts is None else counts):
        if not isinstance(v, str):
            continue
        m = _NUMERIC_DATE.match(v.strip())
        if not m or len(m.group(1)) == 4 or m.group(2) == ".":
            continue
        a, b = int(m.group(1)), int(m.group(3))
        if a > 12 >= b:
            dmy += n
        elif b > 12 >= a:
            mdy += n
        elif a != b:
            unsettled += n
    order = "DMY" if dmy > mdy else "MDY" if mdy > dmy else default
    if dmy and mdy:
        return order, (f"日期顺序不一致 dates in this column disagree ({dmy} day-first, {mdy} month-first): "
                       f"read as {order}; 请检查 please check them")
    if not (dmy or mdy) and unsettled:
        return order, (f"日期顺序无法确定 no date in this column settles day/month order: read as {order}; "
                       "写成 2026-10-05 可避免歧义 write dates year first to be sure")
    return order, None


def parse_date(value: Any, *, order: str = "MDY") -> dt.datetime | None:
    """A cell as a naive datetime (the wall time written), or None for a blank or "no data" cell.

    Raises :class:`CellError` for anything else. Reads date and datetime values, Excel serial
    numbers (``46297`` = 2026-10-02, as a number or as text), ISO dates with or without time and
    offset, ``2026/10/05 09:00``, ``20261005``, ``2026年10月5日``, dotted day-first dates
    (``05.10.2026``), month names (``Nov 3, 2026``, ``3. Nov. 2026``) and slash or dash dates: a
    part over 12 settles which is the day, and ``order`` (the column's, see :func:`infer_date_order`)
    decides the rest. A time-zone offset is dropped: the wall time is what the writer saw, and the
    day of a cell never shifts.
    """
    if isinstance(value, (dt.datetime, np.datetime64)):
        ts = pd.Timestamp(value)
        return None if ts is pd.NaT else ts.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (bool, np.bool_)):
        raise CellError("is a yes/no value, not a date")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return None if math.isnan(value) else _serial(float(value))
    if is_no_data(value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text) and not _COMPACT_DATE.match(text):
        return _serial(float(text))
    try:
        return _date_text(text, order)
    except (ValueError, KeyError, OverflowError):
        raise CellError("is not a date") from None


def _serial(number: float) -> dt.datetime:
    if SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
        return EXCEL_EPOCH + dt.timedelta(days=number)
    raise CellError("is a number, not a date")


EXCEL_EPOCH_1904 = dt.datetime(1904, 1, 1)


def excel_serial(value: dt.date | dt.datetime, date1904: bool = False) -> float:
    """The serial number Excel stores for a date or datetime (its wall time; an offset is dropped)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    delta = value - (EXCEL_EPOCH_1904 if date1904 else EXCEL_EPOCH)
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6


def _month(name: str) -> int:
    key = name.casefold().rstrip(".")
    for n in (len(key), 4, 3):
        if key[:n] in _MONTHS:
            return _MONTHS[key[:n]]
    raise ValueError(name)


def _date_text(text: str, order: str) -> dt.datetime:
    rest = None
    if m := _NUMERIC_DATE.match(text):
        a, sep, b, c, rest = m.groups()
        if len(a) == 4:
            y, mo, d = int(a), int(b), int(c)
        else:
            first, second, y = int(a), int(b), int(c)
            day_first = sep == "." or first > 12 or (second <= 12 and order == "DMY")
            d, mo = (first, second) if day_first else (second, first)
            y += 2000 if y < 100 else 0
    elif m := _COMPACT_DATE.match(text):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _CJK_DATE.match(text):
        y, mo, d, rest = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    elif m := _TEXT_DATE.match(text):
        mo, d, y, rest = _month(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    elif m := _TEXT_DATE_DMY.match(text):
        d, mo, y, rest = int(m.group(1)), _month(m.group(2)), int(m.group(3)), m.group(4)
    else:
        raise ValueError(text)
    hour = minute = second = 0
    if rest and rest.strip():
        t = _TIME.match(rest.strip())
        if not t:
            raise ValueError(text)
        hour, minute, second = int(t.group(1)), int(t.group(2)), int(t.group(3) or 0)
        if t.group(4):
            hour = hour % 12 + (12 if t.group(4).lower() == "pm" else 0)
    return dt.datetime(y, mo, d, hour, minute, second)
