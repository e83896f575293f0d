"""The KOL_* functions as plain Python and through xlwings' own argument/result conversion."""
from __future__ import annotations

import re

import numpy as np
import pytest
import xlwings
from hypothesis import given, settings as hsettings, strategies as st
from xlwings import conversion

from workbook_addin import metrics, scoring, udfs
from workbook_addin.vba import udf_module_text

WEIGHTS = [[0.15], [0.2], [0.15], [0.25], [0.15], [0.1]]


class _FakeExcelImpl:
    """What xlwings' Windows engine does to values on their way in and out (``_xlwindows``)."""

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


@pytest.fixture()
def excel_engine(monkeypatch):
    engine = xlwings.main.Engine(impl=_FakeExcelImpl())
    monkeypatch.setitem(xlwings.engines.engines_by_name, "excel", engine)
    return engine


def call_like_excel(fn, *values):
    """Mirror xlwings.udfs.call_udf: convert each argument with its options, call, convert back."""
    info = fn.__xlfunc__
    args = []
    for i, value in enumerate(values):
        arg_info = info["args"][i]
        args.append(conversion.read(None, value, arg_info["options"]))
    return conversion.write(fn(*args), None, info["ret"]["options"])


def test_single_cells_give_single_values():
    assert udfs.KOL_ROAS(3000.0, 1000.0) == pytest.approx(3.0)
    assert udfs.KOL_ROI(3000.0, 1000.0, 0.5) == pytest.approx(metrics.roi(3000.0, 1000.0, 0.5))
    assert udfs.KOL_ER(100, 10, 5, 5, 1000) == pytest.approx(0.12)
    assert udfs.KOL_CPM(50.0, 10000) == pytest.approx(5.0)
    assert udfs.KOL_CPA(100.0, 4) == pytest.approx(25.0)
    assert udfs.KOL_CPE(100.0, 40, 10, None, None) == pytest.approx(2.0)
    assert udfs.KOL_RESPONSE_SCORE(1.0, 12.0, 24) == pytest.approx(scoring.responsiveness_score(1.0, 12.0, 24.0))
    assert udfs.KOL_CONTENT_SCORE(5, 4, 3) == pytest.approx(75.0)
    assert udfs.KOL_COMPLIANCE(0.5, 0, 0) == pytest.approx(85.0)
    assert udfs.KOL_KEY("TikTok", "@GlowWithMia") == "tiktok:glowwithmia"
    assert udfs.KOL_TIER(86, "否 No", [[85], [70], [55]], 1.0, 0.5) == "S"
    assert udfs.KOL_TIER(86, "是 Yes", [[85], [70], [55]], 1.0, 0.5) == "C"


def test_missing_input_is_an_empty_cell_not_zero():
    assert udfs.KOL_ROAS(3000.0, None) is None
    assert udfs.KOL_CPM(100.0, 0) is None
    assert udfs.KOL_TIER(None, "否 No", [[85], [70], [55]], 0.0, 0.5) is None


def test_bad_input_gives_a_short_reason_not_a_traceback():
    out = udfs.KOL_ROAS("abc", 10)
    assert isinstance(out, str) and out.startswith("⚠") and "abc" in out and "Traceback" not in out
    assert len(out) <= udfs.MAX_REASON
    assert "6 numbers" in udfs.KOL_SCORE([[1, 2, 3, 4, 5, 6]], [[1], [2]])
    assert "differ in length" in udfs.KOL_ROAS([[1], [2], [3]], [[1], [2]])


def test_columns_give_a_spilled_column_equal_to_the_engine():
    gmv = [[3000.0], [None], [500.0]]
    cost = [[1000.0], [200.0], [0.0]]
    assert udfs.KOL_ROAS(gmv, cost) == [[3.0], [None], [None]]
    subs = [[80, 70, None, 90, 60, 50], [None] * 6]
    score, _ = scoring.weighted_score(np.array([[80, 70, np.nan, 90, 60, 50]], dtype=float), np.array(WEIGHTS).ravel())
    assert udfs.KOL_SCORE(subs, WEIGHTS) == [[pytest.approx(float(score[0]))], [None]]
    assert udfs.KOL_TIER([[90], [60], [None]], [["否 No"], ["no"], ["否 No"]], WEIGHTS[:3] and [[85], [70], [55]],
                         [[1], [1], [0]], 0.5) == [["S"], ["B"], [None]]


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e7), st.floats(0, 1e6)), min_size=1, max_size=30))
def test_roi_column_matches_engine_row_by_row(rows):
    gmv = [[g] for g, _ in rows]
    cost = [[c] for _, c in rows]
    out = udfs.KOL_ROI(gmv, cost, 0.4)
    expected = metrics.roi(np.array([g for g, _ in rows]), np.array([c for _, c in rows]), 0.4)
    got = out if isinstance(out, list) else [[out]]
    for (value,), exp in zip(got, np.atleast_1d(expected)):
        assert (value is None and np.isnan(exp)) or value == pytest.approx(exp)


def test_xlwings_conversion_of_ranges_and_results(excel_engine):
    # A column range reaches Python as a tuple of 1-tuples; blanks are None.
    column = ((3000.0,), (None,), (1200.0,))
    costs = ((1000.0,), (100.0,), (400.0,))
    assert call_like_excel(udfs.KOL_ROAS, column, costs) == [[3.0], [""], [3.0]]
    # xlwings hands every result to Excel as a 2-D block; a single value is a 1 x 1 block.
    assert call_like_excel(udfs.KOL_ROAS, 300.0, 100.0) == [[3.0]]
    assert call_like_excel(udfs.KOL_SCORE, ((100.0, 100.0, 100.0, 100.0, 100.0, 100.0),),
                           tuple((w[0],) for w in WEIGHTS)) == [[pytest.approx(100.0)]]
    assert call_like_excel(udfs.KOL_KEY, "Instagram", "https://www.instagram.com/Lena.Style/") == [["instagram:lena.style"]]
    assert call_like_excel(udfs.KOL_ROAS, 1.0, 0.0) == [[""]]


def test_metadata_the_vba_generator_reads():
    for name in udfs.UDF_NAMES:
        fn = getattr(udfs, name)
        meta = fn.__xlfunc__
        assert meta["name"] == name and meta["category"] == udfs.CATEGORY and not meta["sub"]
        assert meta["args"][0]["options"].get("ndim") == 2  # a cell or a whole range
        assert fn.__doc__ and meta["ret"]["doc"] == fn.__doc__
    text = udf_module_text()
    assert text.startswith('Attribute VB_Name = "xlwings_udfs"\r\n')
    assert "Function KOL_ROI(gmv, cost, Optional gross_margin)\r\n" in text
    assert sorted(re.findall(r"^Function (KOL_\w+)\(", text, re.M)) == sorted(udfs.UDF_NAMES)
