"""Locale-aware reading of numbers, money and dates as export files write them."""
import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook_addin.importers.clean import (
    CleanError,
    currency_from_header,
    infer_date_order,
    infer_decimal,
    parse_datetime,
    parse_number,
    strip_currency,
)


@pytest.mark.parametrize(
    "text, decimal, integer, expected",
    [
        ("1,234", ".", True, 1234),
        ("1.234", ",", True, 1234),          # German thousands
        ("1.234", ".", True, 1234),          # a count never has decimals
        ("1.234", ".", False, 1.234),        # but money in an en file does
        ("1 234", ".", True, 1234),
        ("1\u202f234,50", ",", False, 1234.5),
        ("1.234.567,89", ",", False, 1234567.89),
        ("1,234,567.89", ".", False, 1234567.89),
        ("1.2K", ".", True, 1200),
        ("3.4M", ".", True, 3_400_000),
        ("3,4 Mio.", ",", True, 3_400_000),
        ("18.2万", ".", True, 182_000),
        ("1.5亿", ".", True, 150_000_000),
        ("12.5%", ".", False, 0.125),
        ("4,5 %", ",", False, 0.045),
        ("$1,234.56", ".", False, 1234.56),
        ("1.234,56 €", ",", False, 1234.56),
        ("(12.00)", ".", False, -12.0),
        ("--", ".", True, math.nan),
        ("", ".", True, math.nan),
    ],
)
def test_numbers_in_every_locale_spelling(text, decimal, integer, expected):
    got = parse_number(text, decimal, integer=integer)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


@pytest.mark.parametrize("text", ["abc", "12O455", "1,23,4", "1.2X", "1..2"])
def test_text_that_is_not_a_number_is_refused(text):
    with pytest.raises(CleanError, match="not a number"):
        parse_number(text, ".", integer=True)


def test_decimal_separator_is_settled_by_the_column_not_the_value():
    assert infer_decimal(["1.049,00", "89,50", "45,00"], ".") == ","
    assert infer_decimal(["1,049.00", "89.50"], ",") == "."
    assert infer_decimal(["1,234", "5,678"], ",") == ","  # nothing settles it: the locale decides
    assert infer_decimal(["1,234", "5,678"], ".") == "."


def test_currency_from_value_and_header():
    assert strip_currency("US$ 12.00") == ("12.00", "USD")
    assert strip_currency("1.234,56 €") == ("1.234,56", "EUR")
    assert strip_currency("AED 5,000") == ("5,000", "AED")
    assert currency_from_header("GMV (USD)") == "USD"
    assert currency_from_header("成交金额（￥）") == "CNY"
    assert currency_from_header("Views") is None


@pytest.mark.parametrize(
    "text, order, expected",
    [
        ("2026/11/03", "MDY", dt.datetime(2026, 11, 3)),
        ("03.11.2026", "MDY", dt.datetime(2026, 11, 3)),  # dotted dates are day-first everywhere
        ("11/03/2026", "MDY", dt.datetime(2026, 11, 3)),
        ("11/03/2026", "DMY", dt.datetime(2026, 3, 11)),
        ("Nov 3, 2026", "DMY", dt.datetime(2026, 11, 3)),
        ("3. Nov. 2026", "MDY", dt.datetime(2026, 11, 3)),
        ("2026年11月3日", "MDY", dt.datetime(2026, 11, 3)),
        ("2026-11-03 14:22:11 +0100", "MDY", dt.datetime(2026, 11, 3, 14, 22, 11)),
        ("2026-11-03T10:00:00Z", "MDY", dt.datetime(2026, 11, 3, 10)),
        ("11/03/2026 2:05 PM", "MDY", dt.datetime(2026, 11, 3, 14, 5)),
        (46329, "MDY", dt.datetime(2026, 11, 3)),  # an Excel serial that lost its format
    ],
)
def test_localised_dates(text, order, expected):
    assert parse_datetime(text, order) == expected


def test_day_month_order_is_settled_by_any_unambiguous_value():
    assert infer_date_order(["03/11/2026", "25/11/2026"], "MDY") == "DMY"
    assert infer_date_order(["11/03/2026", "11/25/2026"], "DMY") == "MDY"
    assert infer_date_order(["03/11/2026"], "DMY") == "DMY"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_any_count_survives_en_and_de_grouping(n):
    en = f"{n:,}"
    assert parse_number(en, ".", integer=True) == n
    assert parse_number(en.replace(",", "."), ",", integer=True) == n
    assert parse_number(en.replace(",", " "), ".", integer=True) == n


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_any_money_amount_survives_its_locale(d):
    value = float(d)
    en = f"{value:,.2f}"
    de = en.replace(",", "_").replace(".", ",").replace("_", ".")
    assert parse_number(en, infer_decimal([en], "."), integer=False) == pytest.approx(value)
    assert parse_number(de, infer_decimal([de], ","), integer=False) == pytest.approx(value)
