"""Cell values: how typed text becomes a value (USER_ENTERED), how a value is shown (FORMATTED_VALUE).

The sync must never let imported text turn into a formula, so the fake has to parse input the way
Sheets does (``=`` starts a formula, a leading apostrophe keeps text, "12%" is a number with a
percent format, "2020-01-01" a date serial) and render it back the same way the recordings show.
Locale is en_US, like the recorded spreadsheets.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

EPOCH = _dt.datetime(1899, 12, 30)

_NUMERIC_START = frozenset("0123456789.+-$")
_DIGIT_RE = re.compile(r"\d")
_NUM_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?$")
_PCT_RE = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*%$")
_CUR_RE = re.compile(r"^([+-]?)\$\s*((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)$")
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_US_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?$")


def to_serial(d: _dt.datetime) -> float:
    """Datetime -> spreadsheet serial number (days since 1899-12-30)."""
    delta = d - EPOCH
    return delta.days + delta.seconds / 86400


def from_serial(serial: float) -> _dt.datetime:
    """Spreadsheet serial number -> datetime (rounded to the second)."""
    return EPOCH + _dt.timedelta(seconds=round(serial * 86400))


def _num(text: str) -> float | int:
    v = float(text.replace(",", ""))
    return int(v) if v.is_integer() and abs(v) < 2**53 and "e" not in text.lower() else v


def parse_user_entered(text: str) -> tuple[dict[str, Any], dict[str, str] | None]:
    """Parse what a person typed into (ExtendedValue, numberFormat or None), as Sheets does."""
    if text == "":
        return {}, None
    if text.startswith("'"):
        return {"stringValue": text[1:]}, None
    if text.startswith("=") and len(text) > 1:
        return {"formulaValue": text}, None
    s = text.strip()
    if not s or s[0] not in _NUMERIC_START or not _DIGIT_RE.search(s):
        # fast path (most imported text): numbers, percents, currency, dates and times all start
        # with a digit, sign, point or "$" and contain a digit; anything else is TRUE/FALSE or text
        if s.upper() in ("TRUE", "FALSE"):
            return {"boolValue": s.upper() == "TRUE"}, None
        return {"stringValue": text}, None
    if s.upper() in ("TRUE", "FALSE"):
        return {"boolValue": s.upper() == "TRUE"}, None
    if s and _NUM_RE.match(s) and any(ch.isdigit() for ch in s):
        fmt = None
        if "," in s:
            fmt = {"type": "NUMBER", "pattern": "#,##0.00" if "." in s else "#,##0"}
        elif "e" in s.lower():
            fmt = {"type": "SCIENTIFIC", "pattern": "0.00E+00"}
        return {"numberValue": _num(s)}, fmt
    m = _PCT_RE.match(s)
    if m:
        digits = m.group(1)
        value = float(digits) / 100
        pattern = "0.00%" if "." in digits else "0%"
        return {"numberValue": _clean(value)}, {"type": "PERCENT", "pattern": pattern}
    m = _CUR_RE.match(s)
    if m:
        value = _num(m.group(2)) * (-1 if m.group(1) == "-" else 1)
        return {"numberValue": value}, {"type": "CURRENCY", "pattern": '"$"#,##0.00'}
    for regex, order in ((_ISO_DATE_RE, "ymd"), (_US_DATE_RE, "mdy")):
        m = regex.match(s)
        if m:
            parts = [int(g) for g in m.groups()[:3]]
            y, mo, d = (parts[0], parts[1], parts[2]) if order == "ymd" else (parts[2], parts[0], parts[1])
            try:
                date = _dt.datetime(y, mo, d)
            except ValueError:
                return {"stringValue": text}, None
            base = "yyyy-mm-dd" if order == "ymd" else "M/d/yyyy"
            if m.group(4) is not None:
                hh, mm, ss = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
                if hh > 23 or mm > 59 or ss > 59:
                    return {"stringValue": text}, None
                date = date.replace(hour=hh, minute=mm, second=ss)
                return {"numberValue": _clean(to_serial(date))}, {"type": "DATE_TIME", "pattern": base + " H:mm:ss"}
            return {"numberValue": _clean(to_serial(date))}, {"type": "DATE", "pattern": base}
    m = _TIME_RE.match(s)
    if m:
        hh, mm, ss = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        ampm = (m.group(4) or "").upper()
        if ampm == "PM" and hh < 12:
            hh += 12
        if ampm == "AM" and hh == 12:
            hh = 0
        if hh < 24 and mm < 60 and ss < 60:
            pattern = "h:mm:ss am/pm" if ampm else "H:mm:ss" if m.group(3) else "H:mm"
            return {"numberValue": _clean((hh * 3600 + mm * 60 + ss) / 86400)}, {"type": "TIME", "pattern": pattern}
    return {"stringValue": text}, None


def _clean(v: float) -> float | int:
    """Floats that are whole numbers travel as JSON integers, like the API's answers."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def raw_value(value: Any) -> dict[str, Any]:
    """RAW input: JSON types are kept, strings stay strings (no formula, no number parsing)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": _clean(value)}
    if value == "":
        return {}
    return {"stringValue": str(value)}


def user_entered_value(value: Any) -> tuple[dict[str, Any], dict[str, str] | None]:
    """USER_ENTERED input: JSON numbers/bools as such; strings parsed like typed text."""
    if isinstance(value, bool):
        return {"boolValue": value}, None
    if isinstance(value, (int, float)):
        return {"numberValue": _clean(value)}, None
    return parse_user_entered(str(value))


# ---------------------------------------------------------------- rendering


def format_general(v: float) -> str:
    """The 'automatic' number format: up to 15 significant digits, no trailing zeros."""
    if v == 0:
        return "0"
    if math.isinf(v) or math.isnan(v):
        return "#NUM!"
    if abs(v) >= 1e15 or abs(v) < 1e-9:
        mant, exp = f"{v:.5E}".split("E")
        mant = mant.rstrip("0").rstrip(".")
        return f"{mant}E{int(exp):+03d}"
    s = f"{v:.15g}"
    if "e" in s:
        s = f"{v:.15f}".rstrip("0").rstrip(".")
    return s


def _format_number_pattern(v: float, pattern: str) -> str:
    section = pattern.split(";")[0]
    prefix_m = re.match(r'^((?:"[^"]*"|\[\$[^\]]*\]|[^#0.,%])*)', section)
    prefix = prefix_m.group(1) if prefix_m else ""
    body = section[len(prefix):]
    suffix_m = re.search(r'((?:"[^"]*"|[^#0.,])*)$', body)
    suffix = suffix_m.group(1) if suffix_m else ""
    core = body[: len(body) - len(suffix)] if suffix else body
    percent = "%" in suffix
    if percent:
        v = v * 100
    decimals = len(core.split(".")[1]) if "." in core else 0
    grouping = "," in core
    text = f"{abs(v):,.{decimals}f}" if grouping else f"{abs(v):.{decimals}f}"

    def literal(part: str) -> str:
        part = re.sub(r"\[\$([^\]-]*)[^\]]*\]", r"\1", part)
        return part.replace('"', "")

    sign = "-" if v < 0 and float(text.replace(",", "")) != 0 else ""
    return sign + literal(prefix) + text + literal(suffix)


def _format_datetime_pattern(serial: float, pattern: str) -> str:
    d = from_serial(serial)
    tokens = re.findall(r"yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|HH|H|ss|s|am/pm|AM/PM|.", pattern)
    has_ampm = any(t.lower() == "am/pm" for t in tokens)
    out = []
    for i, tok in enumerate(tokens):
        low = tok.lower()
        prev = next((t.lower() for t in reversed(tokens[:i]) if t.isalpha()), "")
        nxt = next((t.lower() for t in tokens[i + 1:] if t.isalpha()), "")
        if low == "yyyy":
            out.append(f"{d.year:04d}")
        elif low == "yy":
            out.append(f"{d.year % 100:02d}")
        elif low == "mmmm":
            out.append(d.strftime("%B"))
        elif low == "mmm":
            out.append(d.strftime("%b"))
        elif low in ("mm", "m"):
            minute = prev.startswith("h") or nxt.startswith("s")
            val = d.minute if minute else d.month
            out.append(f"{val:02d}" if low == "mm" else str(val))
        elif low == "dddd":
            out.append(d.strftime("%A"))
        elif low == "ddd":
            out.append(d.strftime("%a"))
        elif low in ("dd", "d"):
            out.append(f"{d.day:02d}" if low == "dd" else str(d.day))
        elif low in ("hh", "h"):
            h = d.hour % 12 or 12 if has_ampm else d.hour
            out.append(f"{h:02d}" if low == "hh" else str(h))
        elif low in ("ss", "s"):
            out.append(f"{d.second:02d}" if low == "ss" else str(d.second))
        elif low == "am/pm":
            out.append("AM" if d.hour < 12 else "PM")
        else:
            out.append(tok)
    return "".join(out)


DATE_TYPES = ("DATE", "TIME", "DATE_TIME")


def format_value(value: Any, number_format: dict[str, str] | None) -> str:
    """FORMATTED_VALUE of an effective value under a cell's number format."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        nf = number_format or {}
        pattern = nf.get("pattern")
        kind = nf.get("type")
        if kind in DATE_TYPES:
            default = {"DATE": "M/d/yyyy", "TIME": "h:mm:ss am/pm", "DATE_TIME": "M/d/yyyy H:mm:ss"}[kind]
            return _format_datetime_pattern(float(value), pattern or default)
        if kind == "TEXT":
            return format_general(float(value))
        if kind == "SCIENTIFIC":
            mant, exp = f"{float(value):.2E}".split("E")
            return f"{mant}E{int(exp):+03d}"
        if pattern:
            return _format_number_pattern(float(value), pattern)
        if kind == "PERCENT":
            return _format_number_pattern(float(value), "0.00%")
        if kind == "CURRENCY":
            return _format_number_pattern(float(value), '"$"#,##0.00')
        return format_general(float(value))
    return str(value)
