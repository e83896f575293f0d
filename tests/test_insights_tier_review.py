"""S-tier review: lifts of features among S/A creators, with counts and Wilson intervals."""
import pandas as pd
import pytest

from workbook_addin.engine.evaluation import evaluate
from workbook_addin.insights.stats import wilson_interval
from workbook_addin.insights.tier_review import lifts, tier_mix, tier_review
from workbook_addin.core.sample import load_sample


def _evaluated():
    # 10 tiered creators, 4 of them S/A; Beauty: 3 creators, 2 of them S/A
    tiers = ["S", "A", "B", "C", "A", "B", "C", "S", "C", "B"]
    cats = ["Beauty", "Beauty", "Beauty", "Tech", "Tech", "Home", "Home", "Home", "Food", "Food"]
    creators = pd.DataFrame(
        {
            "creator_key": [f"tiktok:c{i}" for i in range(10)] + ["tiktok:untiered"],
            "platform": ["TikTok"] * 11,
            "category": cats + ["Beauty"],
            "country": ["US"] * 11,
            "followers": [20000] * 11,
            "tier": tiers + [None],
        }
    )
    return {"creators": creators, "scores": pd.DataFrame({"creator_key": creators["creator_key"], "er": [0.05] * 11})}


def test_lift_arithmetic_and_interval():
    table = tier_review(_evaluated())
    beauty = table[(table["feature"] == "品类 Category") & (table["value"] == "美妆 Beauty")].iloc[0]
    # P(S/A | Beauty) = 2/3; P(S/A) = 4/10 (the untiered creator is left out) -> lift 1.6667
    assert (beauty["creators"], beauty["top"]) == (3, 2)
    assert beauty["lift"] == pytest.approx((2 / 3) / (4 / 10))
    assert (beauty["top_rate_low"], beauty["top_rate_high"]) == pytest.approx(wilson_interval(2, 3))
    assert beauty["lift_low"] == pytest.approx(wilson_interval(2, 3)[0] / 0.4)
    assert beauty["too_few"]
    food = table[table["value"] == "美食 Food"].iloc[0]
    assert food["lift"] == 0.0
    # one value shared by everyone has lift exactly 1
    us = table[table["value"] == "美国 US"].iloc[0]
    assert us["lift"] == pytest.approx(1.0) and us["creators"] == 10


def test_table_is_ranked_by_the_lower_bound_of_the_lift():
    table = tier_review(_evaluated())
    assert table["lift_low"].is_monotonic_decreasing


def test_no_top_creators_gives_undefined_lift_not_a_crash():
    ev = _evaluated()
    ev["creators"]["tier"] = "C"
    assert tier_review(ev)["lift"].isna().all()
    assert lifts(pd.DataFrame({"tier": []})).empty


def test_on_the_engines_tiers():
    ev = evaluate(load_sample(), today="2026-11-25")
    table = tier_review(ev.tables)
    mix = tier_mix(ev.tables)
    engine_tiers = ev.tables["scores"]["tier"].value_counts()
    assert mix["S"] == engine_tiers.get("S", 0) and mix["C"] == engine_tiers.get("C", 0)
    platform = table[table["feature"] == "平台 Platform"]
    assert platform["creators"].sum() == engine_tiers.sum()
    assert platform["top"].sum() == engine_tiers.get("S", 0) + engine_tiers.get("A", 0)
