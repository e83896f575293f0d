"""Calling the UDFs the way Excel does, without Excel: xlwings' own conversion code on the values
its Windows engine would hand over. Shared by the UDF tests and benchmarks/udfs.py."""
from __future__ import annotations

from typing import Any

import numpy as np
import xlwings
from xlwings import conversion


class FakeExcelImpl:
    """What xlwings' Windows engine does to values on their way in and out (``_xlwindows``):
    blanks become None, NaN becomes an empty cell."""

    name = "excel"
    type = "desktop"

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        return [[empty_as if c in (None, "") else c for c in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x, options):
        if x is None or (isinstance(x, float) and np.isnan(x)):
            return ""
        return float(x) if isinstance(x, np.number) else x


def excel_engine() -> Any:
    """An xlwings Engine over :class:`FakeExcelImpl`, to register as ``engines_by_name["excel"]``."""
    return xlwings.main.Engine(impl=FakeExcelImpl())


def call_like_excel(fn, *values):
    """Mirror xlwings.udfs.call_udf: convert each argument with its options, call, convert back."""
    info = fn.__xlfunc__
    args = [conversion.read(None, value, info["args"][i]["options"]) for i, value in enumerate(values)]
    return conversion.write(fn(*args), None, info["ret"]["options"])
