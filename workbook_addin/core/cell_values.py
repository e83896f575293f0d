"""What a cell value means, wherever the cell lives (a file, live Excel, xlwings Lite): when it is
empty, and the serial number Excel stores for a date."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

EPOCH_1900 = dt.datetime(1899, 12, 30)
EPOCH_1904 = dt.datetime(1904, 1, 1)


def excel_serial(value: dt.date | dt.datetime, date1904: bool = False) -> float:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    delta = value - (EPOCH_1904 if date1904 else EPOCH_1900)
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6


def is_blank(value: Any) -> bool:
    """None, NaN, NaT and "" all mean an empty cell."""
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    if isinstance(value, float):
        return math.isnan(value)
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False
