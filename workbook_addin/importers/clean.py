"""Turn the text that export files hold into numbers, money and dates.

Exports are written for people, not programs: ``1,234``, ``1.234`` (German), ``1 234``, ``1.2K``,
``3,4 Mio.``, ``1.5万``, ``$1,234.56``, ``12.5%``, ``Nov 3, 2026``, ``03.11.2026`` and
``2026/11/03`` all occur. The decimal separator and day/month order are ambiguous value by value,
so they are decided once per *column* (:func:`infer_decimal`, :func:`infer_date_order`) from the
values that settle it, falling back to the format's locale, and every value is then read the same way.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")  # 1 234 / 1'234 (Swiss) / narrow no-break space
_SUFFIX = {
    "k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "mio": 1e6, "b": 1e9, "bn": 1e9, "mrd": 1e9,
    "千": 1e3, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "w": 1e4,
}
_NUMBER = re.compile(r"^([+-]?)([0-9][0-9.,]*|[.,][0-9]+)(?:\s*([a-zA-Z]{1,3}|千|万|萬|亿|億))?\.?$")
_CURRENCY_SIGNS = {
    "US$": "USD", "$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY", "￥": "CNY", "RMB": "CNY",
    "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD", "円": "JPY", "元": "CNY",
}
_ISO = re.compile(r"\b([A-Z]{3})\b")
_KNOWN_ISO = {"USD", "GBP", "EUR", "JPY", "AED", "SAR", "CNY", "CAD", "AUD", "MXN", "BRL", "KRW", "SGD", "MYR", "THB", "IDR", "PHP", "VND"}
#: digits grouped by one separator only, three digits after each: never settles the decimal mark
_GROUPED = re.compile(r"\d+(?:(?:,\d{3})+|(?:\.\d{3})+)\Z")
MISSING = {"", "-", "--", "—", "n/a", "na", "nan", "none", "null", "/", "無", "无", "暂无"}


class CleanError(ValueError):
    """A cell that cannot be read as the type its column needs; the message says what was seen."""


def is_missing(value: Any) -> bool:
    """True for empty cells and the placeholders exports use for 'no data'."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and value.strip().casefold() in MISSING:
        return True
    return value is pd.NaT


def infer_decimal(values: Iterable[Any], default: str = ".") -> str:
    """The decimal separator of a text column: ``","`` or ``"."``.

    A value settles it when it has both separators (the last one is the decimal mark) or one
    separator followed by other than three digits (``1,5`` / ``12.50``). Values such as ``1,234``
    settle nothing; then the format's locale (``default``) decides.
    """
    comma = point = 0
    for v in values:
        if not isinstance(v, str) or v.isdigit() or _GROUPED.match(v):  # "1,234,567" settles nothing
            continue
        if comma + point >= 50:  # settled beyond doubt; no need to read a 50 000-row column
            break
        s = _SPACES.sub("", v)
        if "," in s and "." in s:
            if s.rfind(",") > s.rfind("."):
                comma += 1
            else:
                point += 1
            continue
        m = re.search(r"\d([.,])(\d+)(?!.*[.,]\d)", s)
        if m and s.count(m.group(1)) == 1 and len(m.group(2)) != 3:
            if m.group(1) == ",":
                comma += 1
            else:
                point += 1
    if comma > point:
        return ","
    if point > comma:
        return "."
    return default


def parse_number(value: Any, decimal: str = ".", *, integer: bool = False) -> float:
    """A number from an export cell; NaN for an empty cell. Raises :class:`CleanError` otherwise.

    ``integer`` columns (views, likes, orders) never have decimals, so a lone ``1.234`` or
    ``1,234`` there is a thousands group whatever the locale. Abbreviations (``1.2K``, ``3.4M``,
    ``1.5万``) are expanded; ``12.5%`` gives 0.125.
    """
    if isinstance(value, bool):
        raise CleanError(f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    if is_missing(value):
        return math.nan
    text = str(value).strip()
    original = text
    percent = text.endswith("%") or text.endswith("％")
    if percent:
        text = text[:-1].strip()
    text, _ = strip_currency(text)
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    text = _SPACES.sub("", text)
    text = re.sub(r"(?i)(mio|mrd)\.?$", lambda m: m.group(1), text)
    m = _NUMBER.match(text)
    if not m:
        raise CleanError(f"{original!r} is not a number")
    sign, digits, suffix = m.groups()
    factor = 1.0
    if suffix:
        factor = _SUFFIX.get(suffix.casefold(), 0.0)
        if not factor:
            raise CleanError(f"{original!r} is not a number")
    number = _digits(digits, decimal, integer=integer and not suffix, original=original)
    result = number * factor * (-1 if sign == "-" or negative else 1)
    if percent:
        result /= 100.0
    if suffix:
        result = round(result, 6)
    return result


def _digits(digits: str, decimal: str, *, integer: bool, original: str) -> float:
    seps = [c for c in digits if c in ",."]
    if not seps:
        return float(digits)
    if len(set(seps)) == 2:
        dec = digits[max(digits.rfind(","), digits.rfind("."))]
        thou = "," if dec == "." else "."
    elif len(seps) > 1:
        thou, dec = seps[0], None  # 1,234,567 / 1.234.567
    else:
        sep = seps[0]
        tail = digits.rsplit(sep, 1)[1]
        if integer and len(tail) == 3:
            thou, dec = sep, None
        elif sep == decimal:
            thou, dec = None, sep
        elif len(tail) == 3:
            thou, dec = sep, None
        else:  # "1,5" in an en column: a decimal comma after all (one value cannot be grouped so)
            thou, dec = None, sep
    text = digits
    if thou:
        groups = text.split(dec)[0].split(thou) if dec else text.split(thou)
        if any(len(g) != 3 for g in groups[1:]) or not groups[0]:
            raise CleanError(f"{original!r} is not a number (digit groups do not fit a thousands separator)")
        text = text.replace(thou, "")
    if dec:
        text = text.replace(dec, ".")
    return float(text)


def strip_currency(text: str) -> tuple[str, str | None]:
    """``("1,234.56", "USD")`` from ``"$1,234.56"``, ``"1.234,56 €"`` or ``"USD 12.00"``."""
    s = text.strip()
    found: str | None = None
    m = _ISO.search(s)
    if m and m.group(1) in _KNOWN_ISO:
        found = m.group(1)
        s = (s[: m.start()] + s[m.end():]).strip()
    for sign in sorted(_CURRENCY_SIGNS, key=len, reverse=True):
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
    if inner.upper() in _KNOWN_ISO:
        return inner.upper()
    return _CURRENCY_SIGNS.get(inner)


# ----------------------------------------------------------------------------- dates

_MONTHS = {
    **{m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)},
    "sept": 9, "mär": 3, "mrz": 3, "mai": 5, "okt": 10, "dez": 12, "janv": 1, "févr": 2, "fev": 2,
    "avr": 4, "juin": 6, "juil": 7, "août": 8, "déc": 12, "ene": 1, "abr": 4, "ago": 8, "dic": 12,
}
_NUMERIC_DATE = re.compile(r"^(\d{1,4})[./\-](\d{1,2})[./\-](\d{1,4})(?:[ T,]+(.*))?$")
_CJK_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?(?:\s*(.*))?$")
_TEXT_DATE = re.compile(r"^(?:[A-Za-z]+,?\s+)?([A-Za-zéûä]+)\.?\s+(\d{1,2}),?\s+(\d{4})(?:[ ,]+(.*))?$")  # Nov 3, 2026
_TEXT_DATE_DMY = re.compile(r"^(\d{1,2})\.?\s+([A-Za-zéûä]+)\.?\s+(\d{4})(?:[ ,]+(.*))?$")  # 3 Nov 2026 / 3. Nov. 2026
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp][Mm])?\s*(?:Z|UTC|GMT)?\s*([+-]\d{2}:?\d{2})?\s*(?:[A-Z]{3,4})?$")


def infer_date_order(values: Iterable[Any], default: str = "MDY") -> str:
    """``"DMY"`` or ``"MDY"`` for slash dates of a column, settled by any value with a part above 12.

    Dotted dates (``03.11.2026``) are day-first everywhere and do not vote; year-first dates
    (``2026/11/03``) are always Y-M-D.
    """
    dmy = mdy = 0
    for v in values:
        if not isinstance(v, str):
            continue
        m = _NUMERIC_DATE.match(v.strip())
        if not m or len(m.group(1)) == 4:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:
            dmy += 1
        elif b > 12 >= a:
            mdy += 1
    if dmy and not mdy:
        return "DMY"
    if mdy and not dmy:
        return "MDY"
    return default


def parse_datetime(value: Any, order: str = "MDY") -> dt.datetime | None:
    """A naive datetime (local wall time of the export) or None for an empty cell.

    Raises :class:`CleanError` for text that is not a date. ``order`` resolves ``11/03/2026``.
    Time-zone offsets (Shopify's ``2026-11-03 14:22:11 +0100``) are dropped: the wall time is what
    the shop owner saw, and only the day matters for matching.
    """
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isnan(value):
            return None
        if 20000 < value < 80000:  # an Excel serial date that lost its format
            return dt.datetime(1899, 12, 30) + dt.timedelta(days=float(value))
        raise CleanError(f"{value!r} is not a date")
    if is_missing(value):
        return None
    text = str(value).strip()
    try:
        return _parse_date_text(text, order)
    except (ValueError, KeyError) as exc:
        raise CleanError(f"{text!r} is not a date") from exc


def _month(name: str) -> int:
    key = name.casefold().rstrip(".")
    for n in (len(key), 4, 3):
        if key[:n] in _MONTHS:
            return _MONTHS[key[:n]]
    raise ValueError(name)


def _parse_date_text(text: str, order: str) -> dt.datetime:
    rest = None
    if m := _NUMERIC_DATE.match(text):
        a, b, c, rest = m.groups()
        sep = text[len(a)]
        if len(a) == 4:
            y, mo, d = int(a), int(b), int(c)
        elif sep == "." or order == "DMY":
            d, mo, y = int(a), int(b), int(c)
        else:
            mo, d, y = int(a), int(b), int(c)
        if y < 100:
            y += 2000
    elif m := _CJK_DATE.match(text):
        y, mo, d, rest = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    elif m := _TEXT_DATE.match(text):
        mo, d, y, rest = _month(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    elif m := _TEXT_DATE_DMY.match(text):
        d, mo, y, rest = int(m.group(1)), _month(m.group(2)), int(m.group(3)), m.group(4)
    else:
        raise ValueError(text)
    hour = minute = second = 0
    if rest:
        rest = rest.strip()
        t = _TIME.match(rest)
        if not t:
            raise ValueError(text)
        hour, minute, second = int(t.group(1)), int(t.group(2)), int(t.group(3) or 0)
        if t.group(4):
            hour = hour % 12 + (12 if t.group(4).lower() == "pm" else 0)
    return dt.datetime(y, mo, d, hour, minute, second)
