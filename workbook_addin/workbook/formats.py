"""Cell formats, column widths and cell writing for the workbook builder.

XlsxWriter formats are workbook objects: creating one per cell would bloat the styles part and
slow a 10 000-row build, so :class:`Formats` makes each distinct format once and hands it out by
column type.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..core.cells import is_blank
from ..core.schema import Column

#: Excel number formats by schema column type.
NUM_FORMATS = {
    "integer": "#,##0",
    "number": "#,##0.00",
    "money": "#,##0.00",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
#: 0-100 scores read better with one decimal.
SCORE_FORMAT = "0.0"
DEFAULT_WIDTHS = {"text": 16, "url": 30, "enum": 12, "integer": 11, "number": 10, "money": 11,
                  "percent": 10, "date": 12, "datetime": 17, "bool": 8}
FONT = "Microsoft YaHei"
HEADER_COLOUR = "#1F4E78"
COMPUTED_HEADER_COLOUR = "#375623"
TIER_COLOURS = {"S": ("#FFD966", "#7F6000"), "A": ("#C6EFCE", "#006100"),
                "B": ("#DDEBF7", "#1F4E78"), "C": ("#EDEDED", "#404040")}


class Formats:
    """One XlsxWriter format per distinct look, created on first use."""

    def __init__(self, book: Workbook):
        self.book = book
        self._cache: dict[tuple[tuple[str, Any], ...], Any] = {}

    def get(self, **props: Any):
        props.setdefault("font_name", FONT)
        props.setdefault("font_size", 10)
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = self.book.add_format(props)
        return self._cache[key]

    def for_column(self, col: Column, computed: bool = False):
        """The data format of a column: its number format, grey-green fill when computed."""
        props: dict[str, Any] = {}
        if col.type in NUM_FORMATS:
            props["num_format"] = NUM_FORMATS[col.type]
        if col.type == "number" and col.min == 0 and col.max == 100:
            props["num_format"] = SCORE_FORMAT
        if col.type in ("text", "url") and col.key in ("explanation", "notes", "message", "flags"):
            props["text_wrap"] = False
        if computed:
            props["bg_color"] = "#F2F7EE"
        return self.get(**props)

    def header(self, computed: bool = False):
        return self.get(bold=True, font_color="#FFFFFF", text_wrap=True, valign="vcenter",
                        bg_color=COMPUTED_HEADER_COLOUR if computed else HEADER_COLOUR, border=1,
                        border_color="#BFBFBF")

    def title(self):
        return self.get(bold=True, font_size=16, font_color=HEADER_COLOUR)

    def subtitle(self):
        return self.get(bold=True, font_size=12, font_color=HEADER_COLOUR)

    def wrap(self, **extra: Any):
        return self.get(text_wrap=True, valign="top", **extra)


def column_width(col: Column) -> float:
    return float(col.width or DEFAULT_WIDTHS.get(col.type, 12))


def excel_value(value: Any) -> Any:
    """A Python value XlsxWriter can write: numpy scalars unwrapped, pandas timestamps as datetimes."""
    if is_blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def write_cell(ws: Worksheet, row: int, col: int, value: Any, fmt: Any) -> None:
    """Writes a typed value; strings are never turned into formulas or links."""
    value = excel_value(value)
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            ws.write_blank(row, col, None, fmt)
        else:
            ws.write_number(row, col, value, fmt)
    elif isinstance(value, (dt.datetime, dt.date)):
        ws.write_datetime(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def cached_value(value: Any) -> Any:
    """The cached result stored with a formula: numbers stay numbers, missing becomes ''."""
    value = excel_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else ""
    if isinstance(value, dt.datetime):
        return (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400
    if isinstance(value, dt.date):
        return (value - dt.date(1899, 12, 30)).days
    return str(value)
