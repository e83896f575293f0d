"""Outreach playbook: per-group rates with honest intervals, and small groups marked."""
import math

import pandas as pd
import pytest

from workbook_addin.insights.playbook import COLUMNS, headers, outreach_facts, playbook
from workbook_addin.insights.stats import wilson_interval


def _tables():
    creators = pd.DataFrame(
        {
            "creator_key": ["tiktok:a", "tiktok:b", "instagram:c"],
            "platform": ["TikTok", "TikTok", "Instagram"],
            "country": ["US", "美国 US", "DE"],
            "followers": [5000, 20000, 600000],
        }
    )
    # template T1: 4 contacts, 3 replies (one a decline), 2 agreed or later
    # template T2: 2 contacts, 0 replies
    outreach = pd.DataFrame(
        {
            "outreach_id": ["O1", "O2", "O3", "O4", "O5", "O6"],
            "creator_key": ["tiktok:a", "tiktok:b", "instagram:c", "tiktok:a", "tiktok:b", "instagram:c"],
            "contacted_at": pd.to_datetime(["2026-11-01"] * 6),
            "channel": ["email", "email", "ig_dm", "email", "tiktok_dm", "ig_dm"],
            "template": ["T1", "T1", "T1", "T1", "T2", "T2"],
            "status": ["posted", "已谈妥 Agreed", "declined", "replied", "contacted", "no_response"],
            "replied_at": pd.to_datetime(["2026-11-01 02:00", "2026-11-01 10:00", "2026-11-02 00:00", None, None, None]),
            "reply_hours": [2.0, 10.0, 24.0, 6.0, None, None],
        }
    )
    return {"creators": creators, "outreach": outreach}


def test_replied_and_agreed_follow_the_funnel():
    facts = outreach_facts(_tables())
    assert facts["replied"].tolist() == [True, True, True, True, False, False]
    assert facts["agreed"].tolist() == [True, True, False, False, False, False]
    assert facts["follower_band"].tolist() == ["nano", "micro", "macro", "nano", "micro", "macro"]


def test_template_rows_carry_counts_rates_and_intervals():
    table = playbook(_tables())
    t1 = table[(table["dimension"] == "话术模板 Message template") & (table["group"] == "T1")].iloc[0]
    assert (t1["contacts"], t1["creators"], t1["replies"], t1["agreed"]) == (4, 3, 4, 2)
    assert t1["reply_rate"] == 1.0
    assert (t1["agreed_rate_low"], t1["agreed_rate_high"]) == pytest.approx(wilson_interval(2, 4))
    # median of 2, 10, 24, 6 hours = (6 + 10) / 2
    assert t1["median_reply_hours"] == 8.0
    assert t1["too_few"]  # 4 contacts is no evidence of a winner
    t2 = table[(table["group"] == "T2")].iloc[0]
    assert t2["reply_rate"] == 0.0 and math.isnan(t2["median_reply_hours"])
    assert t2["reply_rate_high"] == pytest.approx(wilson_interval(0, 2)[1])


def test_every_dimension_is_present_and_markets_are_labelled():
    table = playbook(_tables(), min_contacts=2)
    assert set(table["dimension"]) == {
        "话术模板 Message template", "渠道 Channel", "平台 Platform", "市场 Market", "粉丝段 Follower band",
    }
    market = table[table["dimension"] == "市场 Market"].set_index("group")
    assert market.loc["美国 US", "contacts"] == 4  # "US" and "美国 US" are one market
    assert not market.loc["美国 US", "too_few"]
    assert list(table.columns) == list(COLUMNS)
    assert headers()[0] == "维度 Dimension"


def test_groups_rank_by_the_lower_bound_not_the_raw_rate():
    creators = pd.DataFrame({"creator_key": ["k"], "platform": ["TikTok"], "country": ["US"], "followers": [1]})
    n_big, n_small = 40, 2
    outreach = pd.DataFrame(
        {
            "creator_key": ["k"] * (n_big + n_small),
            "template": ["big"] * n_big + ["small"] * n_small,
            # big: 30 of 40 replied (75 %); small: 2 of 2 (100 %)
            "status": ["replied"] * 30 + ["no_response"] * 10 + ["replied"] * 2,
        }
    )
    table = playbook({"creators": creators, "outreach": outreach}, dimensions=("template",))
    assert table["group"].tolist() == ["big", "small"]


def test_empty_outreach_gives_an_empty_table_with_the_columns():
    assert list(playbook({"outreach": pd.DataFrame(columns=["creator_key"])}).columns) == list(COLUMNS)
