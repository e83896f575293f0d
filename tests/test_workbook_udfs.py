"""The KOL_* functions as plain Python and through xlwings' own argument/result conversion."""
from __future__ import annotations

import re

import numpy as np
import pytest
import xlwings
from hypothesis import given, settings as hsettings, strategies as st
from python_calamine import CalamineWorkbook

from workbook_addin.engine import metrics, scoring
from workbook_addin import udfs
from workbook_addin.workbook.build import build_workbook, evaluate_for_build
from workbook_addin.core.sample import load_sample
from workbook_addin.core.schema import load_schema
from workbook_addin.workbook.vba import udf_module_text

from .xlwings_excel import call_like_excel
from .xlwings_excel import excel_engine as fake_excel_engine

WEIGHTS = [[0.15], [0.2], [0.15], [0.25], [0.15], [0.1]]


@pytest.fixture()
def excel_engine(monkeypatch):
    engine = fake_excel_engine()
    monkeypatch.setitem(xlwings.engines.engines_by_name, "excel", engine)
    return engine


def test_single_cells_give_single_values():
    assert udfs.KOL_ROAS(3000.0, 1000.0) == pytest.approx(3.0)
    assert udfs.KOL_ROI(3000.0, 1000.0, 0.5) == pytest.approx(metrics.roi(3000.0, 1000.0, 0.5))
    assert udfs.KOL_ER(100, 10, 5, 5, 1000) == pytest.approx(0.12)
    assert udfs.KOL_CPM(50.0, 10000) == pytest.approx(5.0)
    assert udfs.KOL_CPA(100.0, 4) == pytest.approx(25.0)
    assert udfs.KOL_CPE(100.0, 40, 10, None, None) == pytest.approx(2.0)
    assert udfs.KOL_RESPONSE_SCORE(1.0, 12.0, 24) == pytest.approx(scoring.responsiveness_score(1.0, 12.0, 24.0))
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
    spilled = udfs.KOL_ROAS([[1], [2], [3]], [[1], [2]])  # a spilled call: the reason on every row it was asked for
    assert len(spilled) == 3 and all("differ in length" in row[0] and len(row[0]) <= udfs.MAX_REASON for row in spilled)


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


# ----------------------------------------------------------------------------- subscores over the Tables
@pytest.fixture(scope="module")
def sample_book(tmp_path_factory):
    """The sample workbook's Table columns as Excel holds them (labels, dates, cached results),
    and the engine's evaluation of the same sample."""
    path = tmp_path_factory.mktemp("udf") / "sample.xlsm"
    build_workbook(path)
    schema = load_schema()
    cal = CalamineWorkbook.from_path(str(path))
    columns = {}
    for key in ("creators", "outreach", "reviews", "collaborations", "snapshots", "scores"):
        sheet = schema.sheet(key)
        rows = cal.get_sheet_by_name(sheet.name).to_python()
        rows = rows[next(i for i, r in enumerate(rows) if r and r[0] == sheet.columns[0].header):]  # the header row
        header = rows[0]
        for col in sheet.columns:
            j = header.index(col.header)
            # a column range reaches Python as a tuple of 1-tuples, blank cells None
            columns[key, col.key] = tuple((None if r[j] == "" else r[j],) for r in rows[1:])
    return columns, evaluate_for_build(load_sample()).scores


def _setting(key):
    return load_schema().setting(key).value


def _table_args(name, c):
    """The arguments the calculation sheet passes (calc_sheet.py), minus the creators' key column."""
    bench = [list(row) for row in load_schema().settings_tables["er_benchmarks"].rows]
    crk = c["creators", "creator_key"]
    rv = [c["reviews", k] for k in ("creator_key", "reviewer", "visuals", "script", "brand_fit")]
    comp = [c["reviews", k] for k in ("creator_key", "review_id", "collab_id", "ad_disclosure", "false_claims",
                                      "platform_violation")]
    co = [c["collaborations", k] for k in ("creator_key", "total_cost", "gmv_base", "views", "likes", "comments",
                                           "shares", "saves", "orders", "kpi_views", "kpi_er", "kpi_orders", "kpi_roas")]
    au = ([c["creators", k] for k in ("creator_key", "followers", "fake_follower_rate")]
          + [c["collaborations", k] for k in ("creator_key", "views", "likes", "comments", "shares", "saves")]
          + [c["snapshots", k] for k in ("creator_key", "date", "followers")] + [bench]
          + [_setting(k) for k in ("fake_follower_flag", "er_low_factor", "er_high_factor", "follower_jump_flag")])
    out = [c["outreach", k] for k in ("creator_key", "contacted_at", "replied_at", "status")]
    return {"KOL_RESPONSIVENESS": [crk, *out, _setting("reply_target_hours")],
            "KOL_CONTENT_SCORE": [crk, *rv], "KOL_COMPLIANCE": [crk, *comp],
            "KOL_PERFORMANCE": [crk, *co, *(_setting(k) for k in ("target_cpm", "er_good", "target_roas")),
                                c["collaborations", "objective"], c["creators", "followers"], _setting("gross_margin")],
            "KOL_AUTHENTICITY": au}[name]


TABLE_SUBSCORES = {"KOL_RESPONSIVENESS": "responsiveness", "KOL_CONTENT_SCORE": "content_quality", "KOL_COMPLIANCE": "compliance",
                   "KOL_PERFORMANCE": "performance", "KOL_AUTHENTICITY": "authenticity"}


@pytest.mark.parametrize("name", sorted(TABLE_SUBSCORES))
def test_table_subscores_equal_the_engine_for_every_sample_creator(excel_engine, sample_book, name):
    columns, scores = sample_book
    fn, dimension = getattr(udfs, name), TABLE_SUBSCORES[name]
    args = _table_args(name, columns)
    expected = ["" if v != v else v for v in scores[dimension].tolist()]
    assert len(expected) >= 10 and any(v != "" for v in expected)
    # one call per Scores row with the row's key, as the Table column does
    keys = [k for (k,) in columns["scores", "creator_key"]]
    assert keys == scores["creator_key"].tolist()
    got = [call_like_excel(fn, key, *args) for key in keys]
    assert got == [[[v]] for v in expected], name
    # the whole key column at once spills the same column
    assert call_like_excel(fn, columns["scores", "creator_key"], *args) == [[v] for v in expected]


def test_table_subscores_memo_computes_once_and_follows_edits(monkeypatch, sample_book):
    columns, scores = sample_book
    runs = []
    real = udfs.subscore
    monkeypatch.setattr(udfs, "subscore", lambda *a, **k: runs.append(1) or real(*a, **k))
    udfs._MEMO.clear()
    args = _table_args("KOL_CONTENT_SCORE", columns)
    keys = [k for (k,) in columns["scores", "creator_key"]]
    before = [udfs.KOL_CONTENT_SCORE(k, *args) for k in keys]
    assert len(runs) == 1  # every row after the first looks its key up
    # a changed mark changes the content score: the cell is never stale
    visuals = list(args[3])
    first = next(i for i, (k,) in enumerate(args[1]) if k == keys[0])
    visuals[first] = (1.0 if visuals[first][0] != 1.0 else 5.0,)
    after = udfs.KOL_CONTENT_SCORE(keys[0], args[0], args[1], args[2], tuple(visuals), *args[4:])
    assert len(runs) == 2 and after != before[0]
    assert before[0] == scores["content_quality"].iloc[0]


def test_table_subscore_bad_input_gives_a_reason():
    out = udfs.KOL_CONTENT_SCORE("tiktok:a", [["tiktok:a"]], [["tiktok:a"], ["tiktok:a"]], [["x"]], [[5]], [[4]], [[3]])
    assert isinstance(out, str) and out.startswith("⚠") and "differ in length" in out


def _swapped(column):
    """``column`` (a tuple of 1-tuples) with its first cell that has a different value further
    down set to that value, or None where every cell holds the same value."""
    cells = [c for (c,) in column]
    for i, c in enumerate(cells):
        other = next((d for d in cells[i + 1:] if d != c or type(d) is not type(c)), None)
        if other is not None:
            return tuple((other if j == i else d,) for j, d in enumerate(cells))
    return None


@pytest.mark.parametrize("name", sorted(TABLE_SUBSCORES))
def test_table_subscore_memo_never_answers_for_an_edited_column(sample_book, name):
    """After a call the memo holds its answer; any one cell changed in any column argument gives the
    answer a fresh computation gives, and some of those edits move the subscore."""
    columns, _scores = sample_book
    fn, args = getattr(udfs, name), _table_args(name, columns)
    keys = columns["scores", "creator_key"]
    udfs._MEMO.clear()
    before = fn(keys, *args)
    edited = moved = 0
    for j, a in enumerate(args):
        changed = _swapped(a) if isinstance(a, tuple) and a and len(a[0]) == 1 else None
        if changed is None:
            continue
        fn(keys, *args)  # the memo holds the unedited answer
        with_memo = fn(keys, *args[:j], changed, *args[j + 1:])
        udfs._MEMO.clear()
        assert with_memo == fn(keys, *args[:j], changed, *args[j + 1:]), (name, j)
        edited += 1
        moved += with_memo != before
    assert edited >= 4 and moved >= 2, (name, edited, moved)


def test_key_column_equals_the_key_of_each_cell():
    """KOL_KEY reads whole columns at once (core.key_columns); each row is the key the one-cell rule gives."""
    from workbook_addin.core.keys import try_creator_key

    platforms = ["TikTok", "Instagram", "YouTube", "tiktok", "抖音 TikTok", None, "TikTok", "Instagram", "Snapchat",
                 "YouTube", "TikTok", 3.0]
    handles = ["@GlowWithMia", " lena.style ", "https://www.youtube.com/@TechTomo", "@Mia_2", "@mia", "@nobody", None,
               "https://www.instagram.com/p/Cx1/", "@snap", "channel/UCabc", "bad handle!", "@x"]
    got = udfs.KOL_KEY([[p] for p in platforms], [[h] for h in handles])
    assert got == [[try_creator_key(p, h) if h is not None else None] for p, h in zip(platforms, handles)]
    assert got[0] == ["tiktok:glowwithmia"] and got[6] == [None] and sum(k is None for (k,) in got) >= 3


def test_table_subscore_memo_holds_for_one_day(monkeypatch, sample_book):
    """Pending outreach depends on the day: the memo answers on the day it computed, not the next."""
    import pandas as pd

    columns, _scores = sample_book
    runs = []
    real = udfs.subscore
    monkeypatch.setattr(udfs, "subscore", lambda *a, **k: runs.append(k["today"]) or real(*a, **k))
    args = _table_args("KOL_RESPONSIVENESS", columns)
    keys = columns["scores", "creator_key"]
    udfs._MEMO.clear()
    for day in ("2026-11-25", "2026-11-25", "2026-11-26"):
        monkeypatch.setattr(udfs, "_today", lambda day=day: pd.Timestamp(day))
        udfs.KOL_RESPONSIVENESS(keys, *args)
    assert runs == [pd.Timestamp("2026-11-25"), pd.Timestamp("2026-11-26")]


def test_table_subscore_with_a_cell_python_cannot_hash_is_computed_not_kept():
    udfs._MEMO.clear()
    args = ([["tiktok:a"]], [["tiktok:a"]], [[{"name": "Ann"}]], [[5]], [[4]], [[3]])
    assert udfs.KOL_CONTENT_SCORE("tiktok:a", *args) == udfs.KOL_CONTENT_SCORE("tiktok:a", *args[:2], [["Ann"]],
                                                                                 *args[3:])
    assert len(udfs._MEMO) == 1  # only the hashable call is kept
