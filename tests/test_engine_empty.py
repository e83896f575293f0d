"""The engine on a new, empty workbook and on workbooks without some sheets: an empty Scores table, never an exception."""
import numpy as np
import pandas as pd
import pytest

from workbook_addin.cli import main
from workbook_addin.engine import INPUT_SHEETS, evaluate
from workbook_addin.core.sample import load_sample
from workbook_addin.core.schema import load_schema
from workbook_addin.workbook.tables_io import read_workbook

TODAY = "2026-11-25"
SCORES_COLUMNS = load_schema().sheet("scores").keys


def _header_only(key: str, dtype) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtype) for c in load_schema().sheet(key).keys})


def _assert_empty_scores(result) -> None:
    assert list(result.scores.columns) == SCORES_COLUMNS
    assert len(result.scores) == 0
    assert result.tier_counts() == {"S": 0, "A": 0, "B": 0, "C": 0, "-": 0}


def test_new_empty_workbook_evaluates_to_an_empty_scores_table(tmp_path):
    path = tmp_path / "team.xlsm"
    assert main(["new", str(path)]) == 0
    data = read_workbook(path)
    assert all(len(data.tables[k]) == 0 for k in INPUT_SHEETS)
    for explain in (True, False):
        result = evaluate(data.tables, today=TODAY, explain=explain)
        _assert_empty_scores(result)
        assert result.problems == []
        for key in INPUT_SHEETS:  # every sheet comes back with its schema columns, still empty
            assert len(result.tables[key]) == 0
            assert set(load_schema().sheet(key).keys) <= set(result.tables[key].columns)


def test_no_tables_at_all():
    result = evaluate({}, today=TODAY)
    _assert_empty_scores(result)
    assert result.problems == []
    assert "funnel" not in result.tables


@pytest.mark.parametrize("dtype", [object, float, "str"])
def test_header_only_tables_of_any_dtype(dtype):
    result = evaluate({k: _header_only(k, dtype) for k in INPUT_SHEETS}, today=TODAY)
    _assert_empty_scores(result)
    assert result.problems == []


def test_tables_without_any_columns():
    result = evaluate({k: pd.DataFrame() for k in INPUT_SHEETS}, today=TODAY)
    _assert_empty_scores(result)
    assert result.problems == []


@pytest.mark.parametrize("missing", [("snapshots",), ("reviews",), ("outreach",), ("collaborations",),
                                     ("snapshots", "reviews", "outreach", "collaborations")])
def test_missing_sheets_count_as_empty_and_the_creators_are_still_scored(missing):
    sample = load_sample()
    without = {k: v for k, v in sample.items() if k not in missing}
    empty = {**without, **{k: _header_only(k, object) for k in missing}}
    result = evaluate(without, today=TODAY)
    assert result.problems == []
    assert len(result.scores) == len(sample["creators"])
    assert result.scores["audience_fit"].notna().all()  # read from the Creators sheet alone
    if "outreach" in missing:
        assert result.scores["responsiveness"].isna().all()
        assert result.scores["reply_rate"].isna().all()
    if "reviews" in missing:
        assert result.scores["content_quality"].isna().all()
        assert result.scores["compliance"].isna().all()
    if "collaborations" in missing:
        assert result.scores["performance"].isna().all()
        assert result.scores["total_cost"].isna().all()
    if "snapshots" in missing:
        assert not result.scores["flags"].str.contains("粉丝突增").any()
    # a missing sheet and an empty one are the same thing
    pd.testing.assert_frame_equal(result.scores, evaluate(empty, today=TODAY).scores)
    # dimensions read from the sheets still there are exactly what the full workbook gives
    full = evaluate(sample, today=TODAY).scores
    same = ["audience_fit"] + (["responsiveness"] if "outreach" not in missing else []) + (
        ["content_quality", "compliance"] if "reviews" not in missing else [])
    pd.testing.assert_frame_equal(result.scores[same], full[same])
    assert np.isfinite(result.scores["score"].to_numpy(dtype=float)).any()


def test_child_rows_without_creators_are_reported_not_scored():
    sample = load_sample()
    tables = {**sample, "creators": _header_only("creators", object)}
    result = evaluate(tables, today=TODAY)
    _assert_empty_scores(result)
    child_rows = sum(len(sample[k]) for k in ("outreach", "collaborations", "reviews", "snapshots"))
    not_in = [p for p in result.problems if "is not in 达人 Creators" in p.message]
    assert len(not_in) == child_rows
    assert {p.sheet_key for p in not_in} == {"outreach", "collaborations", "reviews", "snapshots"}


def test_rows_without_their_required_columns_give_one_problem_per_column():
    tables = {"creators": pd.DataFrame({"display_name": ["Mia", "Omar"]}),
              "outreach": pd.DataFrame({"channel": ["email"]})}
    result = evaluate(tables, today=TODAY)
    _assert_empty_scores(result)
    missing = {(p.sheet_key, p.column_key) for p in result.problems if p.message == "required column is missing from the sheet"}
    assert {("creators", "platform"), ("creators", "handle"), ("outreach", "creator_key"), ("outreach", "contacted_at")} <= missing
