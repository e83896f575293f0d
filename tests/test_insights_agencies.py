"""Agency scorecard: rates with intervals, engine money, on-time posts."""
import pandas as pd
import pytest

from workbook_addin.engine.evaluation import evaluate
from workbook_addin.insights.agencies import DIRECT, agency_scorecard, on_time_posts
from workbook_addin.core.sample import load_sample


def _tables():
    creators = pd.DataFrame(
        {
            "creator_key": ["tiktok:a", "tiktok:b", "tiktok:c"],
            "agency": ["Alpha", "Alpha", None],
            "score": [90.0, 60.0, 75.0],
            "tier": ["S", "B", "A"],
        }
    )
    outreach = pd.DataFrame(
        {
            "creator_key": ["tiktok:a", "tiktok:a", "tiktok:b", "tiktok:c"],
            "status": ["posted", "no_response", "declined", "agreed"],
        }
    )
    collabs = pd.DataFrame(
        {
            "creator_key": ["tiktok:a", "tiktok:a", "tiktok:b", "tiktok:b", "tiktok:c"],
            "total_cost": [600.0, 400.0, None, 1000.0, 500.0],
            "gmv_base": [2000.0, 1000.0, None, 1000.0, None],
            # on time / late / unpublished and overdue / not yet due / no promised date
            "promised_date": pd.to_datetime(["2026-11-10", "2026-11-10", "2026-11-20", "2026-11-30", None]),
            "publish_date": pd.to_datetime(["2026-11-09", "2026-11-12", None, None, "2026-11-01"]),
        }
    )
    return {"creators": creators, "outreach": outreach, "collaborations": collabs}


def test_on_time_counts_only_due_posts():
    posts = on_time_posts(_tables()["collaborations"], "2026-11-25")
    assert posts["due"].tolist() == [True, True, True, False, False]
    assert posts["on_time"].tolist() == [True, False, False, False, False]


def test_scorecard_by_hand():
    card = agency_scorecard(_tables(), today="2026-11-25").set_index("agency")
    alpha = card.loc["Alpha"]
    assert (alpha["creators"], alpha["contacts"]) == (2, 3)
    # replies: posted and declined count, no_response does not -> 2/3; agreed or later: 1/3
    assert alpha["reply_rate"] == pytest.approx(2 / 3) and alpha["agreed_rate"] == pytest.approx(1 / 3)
    assert alpha["reply_rate_low"] < 2 / 3 < alpha["reply_rate_high"]
    # spend 2000, GMV 4000; ROI = (4000 x 0.5 - 2000) / 2000 = 0
    assert (alpha["spend"], alpha["gmv"], alpha["roi"]) == (2000, 4000, pytest.approx(0.0))
    assert (alpha["posts_due"], alpha["on_time"]) == (3, 1)
    assert alpha["median_score"] == 75.0 and alpha["tier_mix"] == "S:1 B:1"
    assert card.index[-1] == DIRECT  # the baseline comes last
    # cost 500 but no GMV recorded: ROI unknown, as the engine has it per collaboration
    assert card.loc[DIRECT, "spend"] == 500 and pd.isna(card.loc[DIRECT, "roi"])


def test_sample_agencies_use_engine_money():
    ev = evaluate(load_sample(), today="2026-11-25")
    card = agency_scorecard(ev.tables, today="2026-11-25")
    assert card["spend"].sum() == pytest.approx(ev.tables["collaborations"]["total_cost"].sum())
    assert card["creators"].sum() == len(ev.tables["creators"])


def test_the_playbooks_contacts_give_the_same_scorecard():
    # workbook_tables hands the Playbook's outreach facts (its own follower bands) to the scorecard
    from workbook_addin.insights.playbook import outreach_facts, playbook

    ev = evaluate(load_sample(), today="2026-11-25")
    bands = pd.DataFrame({"band": ["all"], "min_followers": [0], "max_followers": [1e12]})
    facts = outreach_facts(ev.tables, bands, today="2026-11-25")
    shared = agency_scorecard(ev.tables, today="2026-11-25", facts=facts)
    pd.testing.assert_frame_equal(shared, agency_scorecard(ev.tables, today="2026-11-25"))
    assert len(shared) > 1 and "agency" not in facts.columns  # the caller's facts are left as they were
    pd.testing.assert_frame_equal(playbook(ev.tables, er_benchmarks=bands, today="2026-11-25", facts=facts),
                                  playbook(ev.tables, er_benchmarks=bands, today="2026-11-25"))
