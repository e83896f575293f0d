"""One canonical text form per cell value, and the typed value written to the archive.

Why a canonical form: the three-way merge compares a cell as the workbook holds it (``12000``,
``"12000"``, ``12000.0``, ``"美国 US"``), as the shared sheet returns it (``12000``, ``"US"``) and as the
hidden ``_sync_base`` sheet stores it (text). Without one spelling per value, a sync would see changes
that are not there and write them back forever. Enum values are stored as their code (the schema's
``Enum.normalise``), numbers without a trailing ``.0``, empty cells as ``""``.

Why no formula escaping here: every write to the shared sheet uses ``valueInputOption=RAW``, under which
Google stores a string as a string; ``"=HYPERLINK(...)"``, ``"+86 138..."``, ``"-5%"`` and ``"@mia"`` stay
text. :func:`cell_for_sheet` therefore never turns text into anything else and never prefixes an
apostrophe (which under RAW would become part of the value). :func:`looks_like_formula` exists for
tests and for messages.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from workbook_addin.core.cells import CellError, column_date_order, is_blank, parse_date, parse_number
from workbook_addin.core.schema import Column, Schema, load_schema

_PLAIN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
#: Google Sheets keeps numbers as doubles: integers from here on lose digits as numbers.
EXACT_LIMIT = 2**53

#: The leading characters that spreadsheet programs read as the start of a formula.
FORMULA_LEADS = ("=", "+", "-", "@")
#: OWASP CSV injection: cells starting with these are escaped with a leading apostrophe (tab and
#: carriage return too, which some programs skip before reading "="). An apostrophe itself is escaped
#: as well, so unescaping is exact: "'=x" in the file is "=x" in the table, "''x" is "'x".
CSV_ESCAPED_LEADS = ("=", "+", "-", "@", "\t", "\r", "'")


def _number_text(value: float) -> str:
    if math.isinf(value):
        return repr(value)
    if float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))


def _numeric_text(text: str) -> str:
    """Canonical spelling of a numeric column's text: integers exactly (a 19-digit id must not come
    back rounded), other numbers through the one cell parser, anything else kept as typed."""
    if _INTEGER.fullmatch(text):
        return str(int(text))
    number = _parse_number(text)
    return _number_text(number) if number is not None else text


def _parse_number(text: str) -> float | None:
    """The number a numeric column's text means (the project's one cell parser: ``"12,000"``,
    ``"3.5%"``, ``"1.9M"``), or None when it is not a number, so the text is kept as typed."""
    if _PLAIN.fullmatch(text):
        return float(text)
    try:
        number = parse_number(text)
    except CellError:
        return None
    if not math.isfinite(number):
        return None
    return round(number, 12) if "%" in text else number


def _date_text(value: Any, order: str = "MDY") -> str | None:
    """``YYYY-MM-DD`` for a date column's cell as the one cell parser reads it (a date, an Excel
    serial, ``2026-01-05``, ``1/5/2026``, ``2026年1月5日``), None when it is not a date."""
    try:
        when = parse_date(value, order=order)
    except CellError:
        return None
    return "" if when is None else when.strftime("%Y-%m-%d")


def canonical(value: Any, column: Column | None = None, schema: Schema | None = None) -> str:
    """The one text spelling of ``value`` used for comparing and for the sync base.

    ``column`` (a schema column) lets enum labels collapse to codes and numeric text (``"12000"``,
    ``" 3.5 "``) collapse to the number's spelling; other text is kept exactly (only surrounding
    spaces are trimmed, because a trailing space typed in a browser is never a real edit).
    """
    if is_blank(value):
        return ""
    if column is not None and column.type == "date" and not isinstance(value, bool):
        text = _date_text(value)  # a date typed in the browser, a datetime from the workbook: one spelling
        if text is not None:
            return text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_text(float(value)) if isinstance(value, float) else str(int(value))
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return canonical(value.item(), column, schema)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if column is not None:
        if column.is_numeric:
            return _numeric_text(text)
        if column.type == "enum" and column.enum:
            code = (schema or load_schema()).enums[column.enum].normalise(text)
            return code if code is not None else text
    return text


def canonical_many(values: list[Any], column: Column | None = None, schema: Schema | None = None) -> list[str]:
    """:func:`canonical` for a whole column at once, with fast paths for the common types (a 20 000-row
    archive is a million cells per sync)."""
    lookup = None
    if column is not None and column.type == "enum" and column.enum:
        lookup = (schema or load_schema()).enums[column.enum].lookup
    numeric = column is not None and column.is_numeric
    if column is not None and column.type == "date":
        return _date_column(values, column)
    types = set(map(type, values))
    if types <= {str} and lookup is None and not numeric:
        return list(map(str.strip, values))  # free text: the whole column at C speed
    if types <= {int} and lookup is None:
        return list(map(str, values))
    if bool not in types and len(values) > 64:
        try:
            distinct = set(values)
        except TypeError:
            distinct = None
        if distinct is not None and len(distinct) * 4 < len(values):  # codes, flags, owners: few values
            memo = dict(zip(distinct, _canonical_loop(list(distinct), lookup, numeric, column, schema)))
            return list(map(memo.__getitem__, values))
    return _canonical_loop(values, lookup, numeric, column, schema)


def _date_column(values: list[Any], column: Column) -> list[str]:
    """A date column: one day/month order for the whole column (``05/10`` and ``13/10`` are both
    October), each distinct value read once; text that is no date is kept as typed."""
    distinct = list(dict.fromkeys(v for v in values if isinstance(v, str)))
    order = column_date_order(distinct)[0]
    memo: dict[Any, str] = {}
    out = []
    for v in values:
        hit = memo.get(v) if isinstance(v, (str, int, float)) else None
        if hit is None:
            hit = _date_text(v, order) if not is_blank(v) else ""
            if hit is None:
                hit = canonical(v)
            if isinstance(v, (str, int, float)):
                memo[v] = hit
        out.append(hit)
    return out


def _canonical_loop(values: list[Any], lookup: Mapping[str, str] | None, numeric: bool, column: Column | None,
                    schema: Schema | None) -> list[str]:
    out: list[str] = []
    add = out.append
    for v in values:
        t = type(v)
        if t is str:
            text = v.strip()
            if not text:
                add("")
            elif lookup is not None:
                add(lookup.get(text.casefold(), text))
            elif numeric:
                add(_numeric_text(text))
            else:
                add(text)
        elif v is None:
            add("")
        elif t is int:
            add(str(v))
        elif t is float:
            add("" if v != v else _number_text(v))
        else:
            add(canonical(v, column, schema))
    return out


def cell_for_sheet(text: str, column: Column | None = None) -> str | float | int:
    """The value sent to the shared sheet (RAW) for canonical ``text``.

    Numbers in numeric columns go as numbers so the sheet can sum and sort them; everything else as
    a string, which RAW keeps literally, so a leading ``=``, ``+``, ``-`` or ``@`` never becomes a formula.
    ``""`` clears the cell (null would mean "leave it alone" to the API).
    """
    if text == "" or column is None or not column.is_numeric:
        return text
    if _INTEGER.fullmatch(text) and abs(int(text)) >= EXACT_LIMIT:
        return text  # as a number Google would round it; as text (RAW) every digit stays
    return _typed_number(text)


def _typed_number(text: str) -> str | float | int:
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if number.is_integer() and abs(number) < EXACT_LIMIT else number


def typed_local(text: str, column: Column | None = None) -> Any:
    """The value put into the local table for canonical ``text`` (numbers as numbers, integers
    exactly however long, empty as None)."""
    if text == "":
        return None
    if column is not None and column.type == "date":
        try:
            return datetime.strptime(text, "%Y-%m-%d")  # a date cell in the workbook, not text
        except ValueError:
            return text
    if column is None or not column.is_numeric:
        return text
    return _typed_number(text)


def looks_like_formula(value: Any) -> bool:
    """True when a spreadsheet would read this text as a formula if it were typed or USER_ENTERED."""
    return isinstance(value, str) and value.startswith(FORMULA_LEADS)


def csv_escape(value: Any) -> Any:
    """A cell for a CSV file a person may open in Excel: text that a spreadsheet would run as a
    formula gets a leading apostrophe (OWASP's CSV-injection advice); other values are unchanged."""
    if isinstance(value, str) and value.startswith(CSV_ESCAPED_LEADS):
        return "'" + value
    return value


def csv_unescape(text: str) -> str:
    """The table value of a CSV cell written by :func:`csv_escape` (exact inverse)."""
    return text[1:] if text.startswith("'") else text
