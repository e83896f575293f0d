"""Every metric formula against a hand-worked example (the arithmetic is written next to it)."""
import math

import numpy as np
import pandas as pd
import pytest

from workbook_addin.engine import metrics as m


def test_er_by_views_counts_likes_comments_shares_saves():
    # (900 + 100 + 50 + 150) / 20 000 = 1 200 / 20 000 = 0.06
    assert m.er_views(900, 100, 50, 150, 20_000) == pytest.approx(0.06)


def test_er_by_views_missing_saves_count_as_zero_but_all_missing_is_nan():
    # YouTube has no saves: (900 + 100 + 0 + 0) / 20 000 = 0.05
    assert m.er_views(900, 100, np.nan, np.nan, 20_000) == pytest.approx(0.05)
    assert math.isnan(m.er_views(np.nan, np.nan, np.nan, np.nan, 20_000))


def test_er_by_followers_is_likes_plus_comments_over_followers():
    # (1 900 + 160) / 42 000 = 2 060 / 42 000 = 0.049047...
    assert m.er_followers(1900, 160, 42_000) == pytest.approx(2060 / 42000)


def test_rates_and_costs_per_unit():
    assert m.ctr(820, 26_000) == pytest.approx(820 / 26000)          # 3.15 %
    assert m.conversion_rate(58, 820) == pytest.approx(58 / 820)     # 7.07 %
    assert m.cpm(1200, 240_000) == pytest.approx(5.0)                # 1 200 / 240 000 * 1 000
    assert m.cpe(1200, 24_000) == pytest.approx(0.05)                # 1 200 / 24 000
    assert m.cpc(1200, 4_800) == pytest.approx(0.25)                 # 1 200 / 4 800
    assert m.cpa(1200, 300) == pytest.approx(4.0)                    # 1 200 / 300


def test_roas_roi_and_emv():
    assert m.roas(6000, 1500) == pytest.approx(4.0)                  # 6 000 / 1 500
    # ROI with 50 % margin: (6 000 * 0.5 - 1 500) / 1 500 = 1 500 / 1 500 = 1.0
    assert m.roi(6000, 1500, 0.5) == pytest.approx(1.0)
    # losing money: (1 000 * 0.5 - 1 500) / 1 500 = -2/3
    assert m.roi(1000, 1500, 0.5) == pytest.approx(-2 / 3)
    assert m.emv(250_000, 20) == pytest.approx(5000.0)               # 250 000 / 1 000 * 20


def test_division_by_zero_or_missing_is_nan_not_zero():
    assert math.isnan(m.cpm(100, 0))
    assert math.isnan(m.cpa(100, np.nan))
    assert math.isnan(m.roas(500, 0))
    assert math.isnan(m.ctr(10, -5))


def test_total_cost_adds_commission_on_gmv_and_agency_fee_on_the_spend():
    # fee 1 200 + 10 % of GMV 14 200 (1 420) + sample 35 + shipping 12 + tools 20 = 2 687
    # agency 15 % of that: 2 687 * 1.15 = 3 090.05
    assert m.total_cost(1200, 0.10, 14_200, 35, 12, 20, 0.15) == pytest.approx(3090.05)
    # only a fee, nothing else typed: 800
    assert m.total_cost(800) == pytest.approx(800)
    assert math.isnan(m.total_cost())


def test_functions_broadcast_arrays_and_series():
    views = pd.Series([1000.0, 0.0, np.nan])
    out = m.cpm(np.array([10.0, 10.0, 10.0]), views)
    assert out[0] == pytest.approx(10.0) and np.isnan(out[1]) and np.isnan(out[2])
    assert m.roas(np.array([300.0, 600.0]), 100.0) == pytest.approx([3.0, 6.0])


def test_reply_hours():
    assert m.reply_hours(np.datetime64("2026-09-15T09:00"), np.datetime64("2026-09-15T12:30")) == pytest.approx(3.5)
    assert math.isnan(m.reply_hours(np.datetime64("2026-09-15T09:00"), np.datetime64("2026-09-14T09:00")))


def test_funnel_stage_reached_implies_earlier_stages():
    status = np.array(["posted", "agreed", "declined", "no_response", "contacted"], dtype=object)
    assert list(m.stage_reached(status)) == [5, 3, 1, 0, 0]
    out = pd.DataFrame({"status": status, "replied_at": [1, 1, 1, None, None]})
    f = m.funnel(out).set_index("stage")
    # contacted 5; replied: posted, agreed, declined = 3 (3/5); negotiating: posted, agreed = 2 (2/3)
    assert f.loc["contacted", "reached"] == 5
    assert f.loc["replied", "reached"] == 3 and f.loc["replied", "conversion"] == pytest.approx(0.6)
    assert f.loc["negotiating", "conversion"] == pytest.approx(2 / 3)
    assert f.loc["posted", "reached"] == 1


def test_funnel_by_template():
    out = pd.DataFrame({"status": ["replied", "no_response", "posted"], "replied_at": [1, None, 1], "template": ["T1", "T1", "T2"]})
    f = m.funnel(out, by="template")
    t1 = f[(f.template == "T1") & (f.stage == "replied")].iloc[0]
    assert t1.reached == 1 and t1.conversion == pytest.approx(0.5)
