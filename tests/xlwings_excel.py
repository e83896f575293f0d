"""Calling the UDFs the way Excel does, without Excel: xlwings' own conversion code on the values
its Windows engine would hand over. Shared by the UDF tests and benchmarks/udfs.py.

The per-cell steps of xlwings' Windows engine (``xlwings/_xlwindows.py``: ``clean_value_data``
on the way in, ``prepare_xl_data_element`` on the way out) live in a module that imports pywin32,
so they are restated here step for step, one Python call per cell as there: the benchmark counts
what they cost, not a cheaper shortcut. Only pywin32's own COM types are missing: a date arrives
from COM as a datetime, so a date-only cell read back from a file is handed over as one.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import xlwings
from xlwings import conversion

#: ``_xlwindows.time_types`` without pywintypes.TimeType (a datetime subclass)
TIME_TYPES = (dt.date, dt.datetime, np.datetime64)
#: ``_xlwindows.cell_errors``: how COM hands over Excel's error values
CELL_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
               -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!"}


def _from_com(value):
    """What COM hands Python for a cell that a file holds as ``value``: dates as datetimes."""
    return dt.datetime(value.year, value.month, value.day) if type(value) is dt.date else value


def _clean_value_data_element(value, datetime_builder, empty_as, number_builder, err_to_str):
    """``_xlwindows._clean_value_data_element``, step for step."""
    value = _from_com(value)
    if value in ("", None):
        return empty_as
    elif isinstance(value, TIME_TYPES):
        return datetime_builder(month=value.month, day=value.day, year=value.year, hour=value.hour,
                                minute=value.minute, second=value.second, microsecond=value.microsecond, tzinfo=None)
    elif number_builder is not None and isinstance(value, float):
        value = number_builder(value)
    elif isinstance(value, int) and value in CELL_ERRORS:
        return CELL_ERRORS[value] if err_to_str else None
    return value


class FakeExcelImpl:
    """What xlwings' Windows engine does to values on their way in and out (``_xlwindows``):
    blanks become None, NaN becomes an empty cell."""

    name = "excel"
    type = "desktop"

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        return [[_clean_value_data_element(c, datetime_builder, empty_as, number_builder, err_to_str) for c in row]
                for row in data]

    @staticmethod
    def prepare_xl_data_element(x, options):
        """``_xlwindows.Engine.prepare_xl_data_element`` (no function here returns a date)."""
        if isinstance(x, TIME_TYPES):
            raise AssertionError(f"a function returned a date: {x!r}")
        elif pd.isna(x):
            return ""
        elif isinstance(x, (np.floating, float)) and np.isnan(x):
            return ""
        elif isinstance(x, np.number):
            return float(x)
        elif x is None:
            return ""
        else:
            return x


def excel_engine() -> Any:
    """An xlwings Engine over :class:`FakeExcelImpl`, to register as ``engines_by_name["excel"]``."""
    return xlwings.main.Engine(impl=FakeExcelImpl())


def call_like_excel(fn, *values):
    """Mirror xlwings.udfs.call_udf: convert each argument with its options, call, convert back."""
    info = fn.__xlfunc__
    args = [conversion.read(None, value, info["args"][i]["options"]) for i, value in enumerate(values)]
    return conversion.write(fn(*args), None, info["ret"]["options"])
