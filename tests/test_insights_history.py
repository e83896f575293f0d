"""Score history: each slice scored by the engine on that slice's rows only."""
import pandas as pd
import pytest

from workbook_addin.engine.evaluation import evaluate
from workbook_addin.insights.history import KIND_CAMPAIGN, KIND_MONTH, score_history, slice_tables, trend
from workbook_addin.core.sample import load_sample


@pytest.fixture(scope="module")
def history():
    return score_history(load_sample(), today="2026-11-25")


def test_months_and_campaigns_are_slices(history):
    months = history[history["kind"] == KIND_MONTH]
    assert sorted(months["slice"].unique()) == ["2026-10", "2026-11"]
    campaigns = history[history["kind"] == KIND_CAMPAIGN]
    assert list(dict.fromkeys(campaigns["slice"])) == ["2026-10 Autumn launch", "2026-11 Black Friday"]


def test_only_creators_with_a_collaboration_in_the_slice_appear(history):
    nov = history[(history["kind"] == KIND_MONTH) & (history["slice"] == "2026-11")]
    # Mia and Noor posted in October and November; Jake only in October
    assert {"tiktok:glowwithmia_demo", "tiktok:homewithnoor_demo"} <= set(nov["creator_key"])
    assert "tiktok:fitbyjake_demo" not in set(nov["creator_key"])


def test_a_slice_score_is_the_engines_score_on_that_slice(history):
    tables = load_sample()
    col = tables["collaborations"]
    mask = (col["campaign"] == "2026-11 Black Friday").to_numpy()
    expected = evaluate(slice_tables(tables, mask), today="2026-11-25").tables["scores"].set_index("creator_key")
    got = history[(history["kind"] == KIND_CAMPAIGN) & (history["slice"] == "2026-11 Black Friday")].set_index("creator_key")
    for key in got.index:
        assert got.at[key, "score"] == pytest.approx(expected.at[key, "score"], nan_ok=True)


def test_change_is_the_difference_from_the_previous_slice(history):
    mia = history[(history["kind"] == KIND_MONTH) & (history["creator_key"] == "tiktok:glowwithmia_demo")].set_index("slice")
    assert pd.isna(mia.at["2026-10", "change"])
    assert mia.at["2026-11", "change"] == pytest.approx(mia.at["2026-11", "score"] - mia.at["2026-10", "score"])
    pivot = trend(history)
    assert list(pivot.columns) == ["2026-10", "2026-11"]
    assert pivot.at["tiktok:glowwithmia_demo", "2026-11"] == mia.at["2026-11", "score"]


def test_keys_typed_differently_still_find_their_creator():
    tables = load_sample()
    col = tables["collaborations"]
    col.loc[col["creator_key"] == "tiktok:fitbyjake_demo", "creator_key"] = "TikTok:FitByJake_Demo"
    history = score_history(tables, today="2026-11-25", kinds=("campaign",))
    assert "tiktok:fitbyjake_demo" in set(history["creator_key"])
