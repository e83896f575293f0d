"""The one parser of cell text: every accepted and refused form, typed into the workbook or imported.

One table per type pins what each spelling means. The same rows are run through the workbook's input
checks (``coerce_table``) and through the export importer's field reader, so a cell cannot mean one
thing typed and another imported. The ``# was:`` notes mark the forms on which the two former parsers
(the workbook's input checks and the importers' own) disagreed, and what was decided.
"""
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbook_addin.core.cells import (
    CellError,
    blank_mask,
    column_date_order,
    currency_from_header,
    flatten,
    infer_date_order,
    infer_decimal,
    is_blank,
    is_no_data,
    parse_date,
    parse_number,
    strip_currency,
)
from workbook_addin.core.coerce import coerce_table
from workbook_addin.importers.fields import _typed

NaN = math.nan

# (text, options, expected); options are parse_number's keyword arguments
NUMBERS = [
    ("1,234", {}, 1234),
    ("1 234", {}, 1234),
    ("1\u202f234,50", {"decimal": ","}, 1234.5),        # narrow no-break space groups (French exports)
    ("1'234", {}, 1234),                                # Swiss
    ("1.234.567", {}, 1234567),
    ("1,234,567.89", {}, 1234567.89),
    ("1.234.567,89", {"decimal": ","}, 1234567.89),
    ("1.234,56", {}, 1234.56),                          # both marks: the last is the decimal mark
    ("3,5", {}, 3.5),                                   # one comma, not three digits after it
    ("1.234", {}, 1.234),                               # en money
    ("1.234", {"decimal": ","}, 1234),                  # German thousands
    ("1.234", {"integer": True}, 1234),                 # a count never has decimals
    ("1,234", {"decimal": ","}, 1.234),                 # a German decimal
    ("1,234", {"decimal": ",", "integer": True}, 1234),
    ("12345,678", {}, 12345.678),                       # a group of five digits is no thousands group
    ("$1,200", {}, 1200),
    ("US$ 12.00", {}, 12),
    ("1200 EUR", {}, 1200),
    ("1.234,56 €", {"decimal": ","}, 1234.56),
    ("AED 5,000", {}, 5000),
    ("-$5", {}, -5),
    ("- 5", {}, -5),
    ("+5", {}, 5),
    ("(12)", {}, -12),                                  # accounting negative
    ("(12.00)", {}, -12),
    ("18.5k", {}, 18500),
    ("1.2K", {"integer": True}, 1200),
    ("1.9M", {}, 1.9e6),
    ("3.4M", {"integer": True}, 3_400_000),
    ("3 Mio", {}, 3_000_000),                           # was: an error typed, 3 000 000 imported
    ("3,4 Mio.", {"decimal": ","}, 3_400_000),
    ("2 Mrd", {}, 2e9),
    ("1.5bn", {}, 1.5e9),
    ("3万", {}, 30_000),
    ("18.2万", {}, 182_000),
    ("1.5亿", {}, 150_000_000),
    ("12.5%", {}, 0.125),
    ("3.5%", {}, 0.035),
    ("4,5 %", {"decimal": ","}, 0.045),
    ("12％", {}, 0.12),                                 # full-width, as Chinese input methods type it
    ("１２３", {}, 123),                                 # full-width digits
    (" 42 ", {}, 42),
    ("1e3", {}, 1000),                                  # was: refused imported
    ("1.23E+06", {}, 1_230_000),                        # Excel's CSV spelling of a big number
    ("12.", {}, 12),
    (1234, {}, 1234),
    (12.5, {}, 12.5),
    (np.int64(7), {}, 7),
    # blank and "no data" cells are NaN, never zero and never an error
    ("", {}, NaN),
    ("   ", {}, NaN),
    (None, {}, NaN),
    (NaN, {}, NaN),
    ("n/a", {}, NaN),                                   # was: an error typed, empty imported
    ("N/A", {}, NaN),
    ("-", {}, NaN),                                     # was: an error typed
    ("--", {"integer": True}, NaN),
    ("—", {}, NaN),
    ("暂无", {}, NaN),
    ("null", {}, NaN),
]

NOT_NUMBERS = [
    ("abc", "is not a number"),
    ("12abc", "is not a number"),
    ("12O455", "is not a number"),                      # a letter O among the digits
    ("1.2X", "is not a number"),
    ("1.2.3x", "is not a number"),
    ("1..2", "is not a number"),
    ("1,23,4", "digit groups do not fit"),
    ("1234,567.89", "digit groups do not fit"),
    ("1 2", "is not a number"),                         # a space is a thousands group or nothing
    ("#N/A", "Excel error value"),                      # a broken formula is reported, not a blank
    ("#DIV/0!", "Excel error value"),
    (True, "yes/no value"),
]


@pytest.mark.parametrize("text, options, expected", NUMBERS)
def test_number_spellings(text, options, expected):
    got = parse_number(text, **options)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


@pytest.mark.parametrize("text, reason", NOT_NUMBERS)
def test_text_that_is_not_a_number_is_refused_with_a_reason(text, reason):
    with pytest.raises(CellError, match=reason):
        parse_number(text)


# (value, options, expected); options are parse_date's keyword arguments
DATES = [
    ("46297", {}, dt.datetime(2026, 10, 2)),            # was: 2026-10-02 typed, an error imported
    (46297, {}, dt.datetime(2026, 10, 2)),
    (46329.5, {}, dt.datetime(2026, 11, 3, 12)),
    ("2026-10-05", {}, dt.datetime(2026, 10, 5)),
    ("2026-10-05T09:30:00Z", {}, dt.datetime(2026, 10, 5, 9, 30)),
    ("2026-11-03 14:22:11 +0100", {}, dt.datetime(2026, 11, 3, 14, 22, 11)),  # was: 13:22 typed (UTC)
    ("2026/10/05", {}, dt.datetime(2026, 10, 5)),
    ("2026/10/05 09:00", {}, dt.datetime(2026, 10, 5, 9)),
    ("2026.10.05", {}, dt.datetime(2026, 10, 5)),
    ("20261005", {}, dt.datetime(2026, 10, 5)),
    ("2026年10月5日", {}, dt.datetime(2026, 10, 5)),
    ("05.10.2026", {"order": "MDY"}, dt.datetime(2026, 10, 5)),  # dotted dates are day-first everywhere
    ("25/10/2026", {"order": "MDY"}, dt.datetime(2026, 10, 25)),  # a part over 12 settles the day
    ("10/25/2026", {"order": "DMY"}, dt.datetime(2026, 10, 25)),
    ("11/03/2026", {}, dt.datetime(2026, 11, 3)),       # both could be either: month first (Excel's US default)
    ("11/03/2026", {"order": "DMY"}, dt.datetime(2026, 3, 11)),
    ("11-03-2026", {"order": "DMY"}, dt.datetime(2026, 3, 11)),
    ("11/03/26", {}, dt.datetime(2026, 11, 3)),
    ("11/03/2026 2:05 PM", {}, dt.datetime(2026, 11, 3, 14, 5)),
    ("5 Oct 2026", {}, dt.datetime(2026, 10, 5)),
    ("3. Nov. 2026", {}, dt.datetime(2026, 11, 3)),
    ("Nov 3, 2026", {"order": "DMY"}, dt.datetime(2026, 11, 3)),
    ("Tue, Nov 3, 2026", {}, dt.datetime(2026, 11, 3)),
    ("October 5 2026", {}, dt.datetime(2026, 10, 5)),
    ("5. Okt. 2026", {}, dt.datetime(2026, 10, 5)),
    (dt.date(2026, 10, 5), {}, dt.datetime(2026, 10, 5)),
    (pd.Timestamp("2026-10-05 09:00", tz="Europe/Berlin"), {}, dt.datetime(2026, 10, 5, 9)),
    ("", {}, None),
    ("n/a", {}, None),
    (None, {}, None),
    (NaN, {}, None),
]

NOT_DATES = [
    ("next week", "is not a date"),
    ("31/02/2026", "is not a date"),
    ("2026-13-01", "is not a date"),
    ("11/03/2026 lunchtime", "is not a date"),
    (12, "is a number, not a date"),
    ("12", "is a number, not a date"),
    (250000, "is a number, not a date"),
    (True, "yes/no value"),
]


@pytest.mark.parametrize("value, options, expected", DATES)
def test_date_spellings(value, options, expected):
    assert parse_date(value, **options) == expected


@pytest.mark.parametrize("value, reason", NOT_DATES)
def test_text_that_is_not_a_date_is_refused_with_a_reason(value, reason):
    with pytest.raises(CellError, match=reason):
        parse_date(value)


# ----------------------------------------------------------------------------- typed = imported
def _typed_in_workbook(sheet: str, column: str, values: list) -> list:
    frame = pd.DataFrame({column: pd.Series(values, dtype=object)})
    typed, _ = coerce_table(sheet, frame, columns=[column])
    return typed[column].tolist()


def _imported(field: str, values: list) -> list:
    series, _ = _typed(field, values, list(range(2, len(values) + 2)), "export.csv", field, ".", "MDY")
    return series.tolist()


SAME_MEANING_NUMBERS = ["3 Mio", "n/a", "-", "1,234", "1.9M", "3万", "$1,200", "1e3", "", "abc"]


def test_a_number_cell_means_the_same_typed_or_imported():
    typed = _typed_in_workbook("collaborations", "gmv", SAME_MEANING_NUMBERS)
    imported = _imported("gmv", SAME_MEANING_NUMBERS)
    assert typed == pytest.approx(imported, nan_ok=True)
    assert typed[:2] == [3_000_000, pytest.approx(NaN, nan_ok=True)]


SAME_MEANING_DATES = ["46297", "2026-10-05", "25/10/2026", "05.10.2026", "2026年10月5日", "n/a", "Nov 3, 2026",
                      "2026-11-03 14:22:11 +0100", "next week"]


def test_a_date_cell_means_the_same_typed_or_imported():
    typed = [None if pd.isna(v) else pd.Timestamp(v) for v in _typed_in_workbook("collaborations", "publish_date", SAME_MEANING_DATES)]
    imported = [None if pd.isna(v) else pd.Timestamp(v).normalize() for v in _imported("published_at", SAME_MEANING_DATES)]
    assert typed == imported
    assert typed[0] == pd.Timestamp("2026-10-02")


def test_unreadable_cells_are_reported_both_ways():
    _, problems = coerce_table("collaborations", pd.DataFrame({"gmv": ["abc", "3 Mio"]}), columns=["gmv"])
    assert [p.message for p in problems if p.column_key == "gmv"] == ["'abc' is not a number"]
    _, imported = _typed("gmv", ["abc", "3 Mio"], [2, 3], "export.csv", "GMV", ".", "MDY")
    assert [(p.row, p.message) for p in imported] == [(2, "不是数字 'abc' is not a number")]


#: a mixed export column as exports write it: abbreviations, grouping, junk, no-data marks, repeats
MIXED_NUMBERS = ["1.2万", "3K", "1,234", "n/a", "abc", "1.5万", "1.2万", "3K", "", "12.5%", "$1,200.50", "1.234",
                 "²", "1234567", "1,234,567", "(12)", "abc", 7.0, True, 1, "1"]
MIXED_DATES = ["05/10/2026", "13/10/2026", "2026-10-05", "next week", "05/10/2026", "Nov 3, 2026", "n/a",
               "10/13/2026", 46297.0, "2026年10月5日", "05.10.2026", "next week", dt.date(2026, 10, 5)]


def _per_cell(parse, values: list) -> tuple[list, list[int]]:
    """Each cell read alone by the one parser: (values, the rows refused)."""
    out, refused = [], []
    for row, v in enumerate(values, start=2):
        try:
            out.append(parse(v))
        except CellError:
            out.append(None)
            refused.append(row)
    return out, refused


@pytest.mark.parametrize("field, integer", [("views", True), ("gmv", False)])
def test_a_column_read_once_per_distinct_cell_equals_each_cell_read_alone(field, integer):
    """The importer types a column by reading each distinct cell once and mapping the result back:
    it must give every cell exactly what the per-cell parser gives it, and refuse the same rows."""
    rows = list(range(2, len(MIXED_NUMBERS) + 2))
    series, problems = _typed(field, MIXED_NUMBERS, rows, "export.csv", field, ".", "MDY")
    decimal = infer_decimal(MIXED_NUMBERS, ".")
    expected, refused = _per_cell(lambda v: parse_number(v, decimal=decimal, integer=integer), MIXED_NUMBERS)
    expected = [NaN if v is None else v for v in expected]
    assert series.tolist() == pytest.approx(expected, nan_ok=True, rel=0, abs=0)
    assert [p.row for p in problems] == refused == [6, 18, 20]  # abc, abc, True
    assert series.tolist()[:3] == [12000.0, 3000.0, 1234.0] and series[12] == 2.0  # "²" read as NFKC reads it
    assert series[19] == series[20] == 1.0 and series[17] == 7.0  # 1 and "1"; True refused, not merged with 1


def test_a_date_column_read_once_per_distinct_cell_equals_each_cell_read_alone():
    rows = list(range(2, len(MIXED_DATES) + 2))
    series, problems = _typed("published_at", MIXED_DATES, rows, "export.csv", "Date", ".", "MDY")
    order, note = column_date_order(MIXED_DATES, "MDY")
    expected, refused = _per_cell(lambda v: parse_date(v, order=order), MIXED_DATES)
    got = [None if pd.isna(v) else v.to_pydatetime() for v in series]
    assert got == expected
    assert [p.row for p in problems if p.row] == refused == [5, 13]
    assert [p.message for p in problems if p.row is None] == [note] and "disagree" in note
    assert got[0] == got[4] == dt.datetime(2026, 5, 10) and got[1] == dt.datetime(2026, 10, 13)


# ----------------------------------------------------------------------------- blank cells
@pytest.mark.parametrize("value, blank, no_data", [
    (None, True, True), ("", True, True), ("  \t", True, True), (NaN, True, True), (np.float64("nan"), True, True),
    (pd.NaT, True, True), (pd.NA, True, True), ("n/a", False, True), ("-", False, True), ("暂无", False, True),
    (0, False, False), ("0", False, False), ("x", False, False), (False, False, False), ([], False, False),
])
def test_one_blank_cell_rule(value, blank, no_data):
    assert is_blank(value) is blank
    assert is_no_data(value) is no_data


def test_blank_mask_is_the_rule_for_a_whole_column():
    values = [None, "", " ", "x", 0, NaN, pd.NaT, "n/a"]
    assert blank_mask(pd.Series(values, dtype=object)).tolist() == [is_blank(v) for v in values]
    assert blank_mask(pd.Series([1.0, NaN])).tolist() == [False, True]


def test_flatten_reads_a_cell_a_row_a_block_or_an_array():
    assert flatten(5) == [5]
    assert flatten([1, 2]) == [1, 2]
    assert flatten([[1, 2], [3, None]]) == [1, 2, 3, None]
    assert flatten(np.array([[1, 2], [3, 4]])) == [1, 2, 3, 4]


# ----------------------------------------------------------------------------- column options
def test_decimal_mark_is_settled_by_the_column_not_the_value():
    assert infer_decimal(["1.049,00", "89,50", "45,00"], ".") == ","
    assert infer_decimal(["1,049.00", "89.50"], ",") == "."
    assert infer_decimal(["1,234", "5,678"], ",") == ","  # nothing settles it: the locale decides
    assert infer_decimal(["1,234", "5,678"], ".") == "."


def test_day_month_order_is_settled_by_any_unambiguous_value():
    assert infer_date_order(["03/11/2026", "25/11/2026"], "MDY") == "DMY"
    assert infer_date_order(["11/03/2026", "11/25/2026"], "DMY") == "MDY"
    assert infer_date_order(["03/11/2026"], "DMY") == "DMY"
    assert infer_date_order(["25.11.2026"], "MDY") == "MDY"  # dotted dates do not vote


def test_currency_from_value_and_header():
    assert strip_currency("US$ 12.00") == ("12.00", "USD")
    assert strip_currency("1.234,56 €") == ("1.234,56", "EUR")
    assert strip_currency("AED 5,000") == ("5,000", "AED")
    assert currency_from_header("GMV (USD)") == "USD"
    assert currency_from_header("成交金额（￥）") == "CNY"
    assert currency_from_header("Views") is None


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_any_count_survives_en_and_de_grouping(n):
    en = f"{n:,}"
    assert parse_number(en, integer=True) == n
    assert parse_number(en.replace(",", "."), decimal=",", integer=True) == n
    assert parse_number(en.replace(",", " "), integer=True) == n


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_any_money_amount_survives_its_locale(d):
    value = float(d)
    en = f"{value:,.2f}"
    de = en.replace(",", "_").replace(".", ",").replace("_", ".")
    assert parse_number(en, decimal=infer_decimal([en], ".")) == pytest.approx(value)
    assert parse_number(de, decimal=infer_decimal([de], ",")) == pytest.approx(value)
