"""Subscores, weighted score and tiers: hand-worked examples and properties that must always hold."""
import math

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from workbook_addin.engine import scoring as s

CUT = (85.0, 70.0, 55.0)
unit = st.floats(0, 1, allow_nan=False)
score_or_nan = st.one_of(st.floats(0, 100, allow_nan=False), st.just(math.nan))


def test_responsiveness_hand_worked():
    # reply rate 0.5, median 48 h against 24 h: 50*0.5 + 0.5*(100*24/48) = 25 + 25 = 50
    assert s.responsiveness_score(0.5, 48, 24) == pytest.approx(50.0)
    # all replied within the target: 50 + 50 = 100
    assert s.responsiveness_score(1.0, 3, 24) == pytest.approx(100.0)
    # replied but no reply times: reply rate alone, 0.8 -> 80
    assert s.responsiveness_score(0.8, np.nan, 24) == pytest.approx(80.0)
    # never replied: 0, a real result; no outreach at all: NaN
    assert s.responsiveness_score(0.0, np.nan) == 0.0
    assert math.isnan(s.responsiveness_score(np.nan, np.nan))


def test_content_hand_worked():
    # mean of 4, 3, 5 = 4 -> (4 - 1) / 4 * 100 = 75
    assert s.content_score(4, 3, 5) == pytest.approx(75.0)
    assert s.content_score(1, 1, 1) == 0.0 and s.content_score(5, 5, 5) == 100.0
    assert math.isnan(s.content_score(np.nan, np.nan, np.nan))


def test_compliance_hand_worked():
    # 1 of 2 posts missing #ad: 100 - 30*0.5 = 85; a false claim on the only post: 100 - 60 = 40
    assert s.compliance_score(0.5, 0.0, 0.0) == pytest.approx(85.0)
    assert s.compliance_score(0.0, 1.0, 0.0) == pytest.approx(40.0)
    # everything wrong floors at 0
    assert s.compliance_score(1.0, 1.0, 1.0) == 0.0
    assert math.isnan(s.compliance_score(np.nan, np.nan, np.nan))


def test_performance_hand_worked():
    # views 120 000 vs 150 000 = 0.8 -> 0.8/1.25*100 = 64
    # ER 0.06 vs 0.05 = 1.2 -> 96;  orders 300 vs 200 = 1.5, capped 1.25 -> 100; no ROAS target
    # mean (64 + 96 + 100) / 3 = 86.667
    assert s.performance_score(120_000, 150_000, 0.06, 0.05, 300, 200) == pytest.approx(260 / 3)
    # meeting every target exactly = 80
    assert s.performance_score(1, 1, 1, 1, 1, 1, 1, 1) == pytest.approx(80.0)
    assert math.isnan(s.performance_score(np.nan, 100))


def test_authenticity_hand_worked():
    # fake rate 6 % with a 15 % flag: 100*(1 - 0.06/0.30) = 80
    assert s.authenticity_score(0.06, 0, 0, 0, 0.15) == pytest.approx(80.0)
    # unknown rate, ER far above band (-25) and a follower jump (-30): 100 - 55 = 45
    assert s.authenticity_score(np.nan, 1, 0, 1) == pytest.approx(45.0)
    # rate at twice the flag: 0, and penalties cannot go below 0
    assert s.authenticity_score(0.30, -1, 1, 1, 0.15) == 0.0
    assert math.isnan(s.authenticity_score(np.nan, np.nan, np.nan, np.nan))


def test_audience_fit_hand_worked():
    # market yes (0.3), language no (0.2), category yes (0.3), share 0.35/0.5 = 0.7 (0.2)
    # = (0.3 + 0 + 0.3 + 0.14) / 1.0 = 0.74 -> 74
    assert s.audience_fit_score(1, 0, 1, 0.35) == pytest.approx(74.0)
    # only market known and matching: 100
    assert s.audience_fit_score(1) == pytest.approx(100.0)
    # share unknown: the audience's top country match stands in
    assert s.audience_fit_score(1, 1, 1, np.nan, 0) == pytest.approx(80.0)


def test_weighted_score_redistributes_missing_weight():
    w = np.array([0.15, 0.20, 0.15, 0.25, 0.15, 0.10])
    sub = np.array([90, 80, 100, np.nan, 60, 70.0])
    # present weight 0.75; (90*.15 + 80*.2 + 100*.15 + 60*.15 + 70*.1) / 0.75 = 60.5 / 0.75 = 80.667
    score, completeness = s.weighted_score(sub, w)
    assert score == pytest.approx(60.5 / 0.75)
    assert completeness == pytest.approx(0.75)
    score, completeness = s.weighted_score(np.full(6, np.nan), w)
    assert math.isnan(score) and completeness == 0.0


def test_weighted_score_normalises_weights():
    a, _ = s.weighted_score(np.array([80, 60, 100, 40, 20, 0.0]), np.array([1, 1, 1, 1, 1, 1.0]))
    b, _ = s.weighted_score(np.array([80, 60, 100, 40, 20, 0.0]), np.array([3, 3, 3, 3, 3, 3.0]))
    assert a == pytest.approx(50.0) == pytest.approx(b)


@pytest.mark.parametrize("score, tier", [(85.0, "S"), (84.9, "A"), (70.0, "A"), (69.9, "B"), (55.0, "B"), (54.9, "C"), (0.0, "C")])
def test_tier_boundaries_are_inclusive_at_the_cut_off(score, tier):
    assert s.assign_tier(score, False, CUT) == tier


def test_blacklisted_capped_and_incomplete_has_no_tier():
    assert s.assign_tier(99.0, True, CUT) == "C"
    assert s.assign_tier(np.nan, True, CUT) == "C"
    assert s.assign_tier(90.0, False, CUT, completeness=0.4, min_completeness=0.5) is None
    assert s.assign_tier(90.0, False, CUT, completeness=0.5, min_completeness=0.5) == "S"
    assert s.assign_tier(np.nan, False, CUT) is None
    assert list(s.assign_tier(np.array([90.0, 60.0]), np.array([False, False]), {"S": 85, "A": 70, "B": 55})) == ["S", "B"]


def test_explanation_names_tier_margin_weights_and_missing():
    sub = np.array([[100, 80, 100, np.nan, 60, 70.0]])
    w = np.array([0.15, 0.20, 0.15, 0.25, 0.15, 0.10])
    score, comp = s.weighted_score(sub, w)
    score = np.round(score, 1)
    tier = s.assign_tier(score, np.array([False]), CUT, comp, 0.5)
    text = s.explain(score, tier, comp, sub, w, np.array([False]), CUT, 0.5, np.array(["x flag"], dtype=object))[0]
    # (15 + 16 + 15 + 9 + 7) / 0.75 = 62 / 0.75 = 82.7 -> A, 2.3 below S
    assert text.startswith("A: 82.7 ≥ 70; 2.3 below S (85) | 响应速度 Responsiveness 100.0×15% + 内容质量 Content quality 80.0×20%")
    assert "缺少 missing: 效果表现 Performance (weight shared out)" in text
    assert text.endswith("| 风险 flags: x flag")


def test_explanation_spells_out_subscores_outside_0_100_and_many_rows_alike():
    # the public function may be handed any numbers; texts inside 0-100 come from a table
    sub = np.array([[120.04, -5.0, 99.95, 0.04, np.nan, 50.0]] + [[10.0, 20.0, 30.0, 40.0, 50.0, 60.0]] * 3)
    w = np.full(6, 1 / 6)
    score = np.array([55.0, 35.0, 35.0, 35.0])
    texts = s.explain(score, np.array(["B", "C", "C", "C"], dtype=object), np.ones(4), sub, w, np.zeros(4, dtype=bool),
                      CUT, 0.5, np.array(["", "", None, "late"], dtype=object))
    assert "响应速度 Responsiveness 120.0×17% + 内容质量 Content quality -5.0×17% + " in texts[0]
    assert "合规 Compliance 100.0×17% + " in texts[0] and "0.0×17%" in texts[0]
    assert texts[1] == texts[2] and "风险" not in texts[1]
    assert texts[3] == texts[1] + " | 风险 flags: late"


# --------------------------------------------------------------------------- properties
@hsettings(max_examples=150, deadline=None)
@given(sub=st.lists(score_or_nan, min_size=6, max_size=6), w=st.lists(st.floats(0.01, 1), min_size=6, max_size=6))
def test_score_is_within_0_and_100(sub, w):
    score, completeness = s.weighted_score(np.array(sub), np.array(w))
    assert 0.0 <= completeness <= 1.0 + 1e-12
    if not math.isnan(score):
        assert -1e-9 <= score <= 100 + 1e-9


@hsettings(max_examples=150, deadline=None)
@given(sub=st.lists(st.floats(0, 100), min_size=6, max_size=6), j=st.integers(0, 5), bump=st.floats(0, 100))
def test_raising_one_subscore_never_lowers_the_score(sub, j, bump):
    w = np.array([0.15, 0.20, 0.15, 0.25, 0.15, 0.10])
    higher = list(sub)
    higher[j] = min(100.0, sub[j] + bump)
    assert s.weighted_score(np.array(higher), w)[0] >= s.weighted_score(np.array(sub), w)[0] - 1e-9


@hsettings(max_examples=150, deadline=None)
@given(rr=unit, more=unit, hours=st.one_of(st.floats(0.1, 500), st.just(math.nan)))
def test_higher_reply_rate_never_lowers_responsiveness(rr, more, hours):
    hi = min(1.0, rr + more)
    assert s.responsiveness_score(hi, hours) >= s.responsiveness_score(rr, hours) - 1e-9


@hsettings(max_examples=150, deadline=None)
@given(views=st.floats(0, 1e7), extra=st.floats(0, 1e7), kpi=st.floats(1, 1e7), er=st.floats(0, 0.3), orders=st.floats(0, 1e4))
def test_more_views_against_the_kpi_never_lowers_performance(views, extra, kpi, er, orders):
    low = s.performance_score(views, kpi, er, 0.05, orders, 100)
    high = s.performance_score(views + extra, kpi, er, 0.05, orders, 100)
    assert high >= low - 1e-9 and 0 <= high <= 100


@hsettings(max_examples=150, deadline=None)
@given(v=st.lists(st.floats(1, 5), min_size=3, max_size=3), j=st.integers(0, 2), bump=st.floats(0, 4))
def test_better_review_scores_never_lower_content(v, j, bump):
    hi = list(v)
    hi[j] = min(5.0, v[j] + bump)
    assert s.content_score(*hi) >= s.content_score(*v) - 1e-9


@hsettings(max_examples=150, deadline=None)
@given(rate=unit, lower=unit, er=st.sampled_from([0.0, 1.0, -1.0, math.nan]), jump=st.sampled_from([0.0, 1.0, math.nan]))
def test_lower_fake_follower_rate_never_lowers_authenticity(rate, lower, er, jump):
    better = rate * lower
    assert s.authenticity_score(better, er, 0, jump) >= s.authenticity_score(rate, er, 0, jump) - 1e-9


@hsettings(max_examples=200, deadline=None)
@given(score=st.floats(0, 100), blacklisted=st.booleans(),
       cuts=st.lists(st.floats(0, 100), min_size=3, max_size=3).map(lambda c: tuple(sorted(c, reverse=True))))
def test_tiers_respect_cut_offs_and_blacklist(score, blacklisted, cuts):
    tier = s.assign_tier(score, blacklisted, cuts)
    if blacklisted:
        assert tier == "C"
    elif score >= cuts[0]:
        assert tier == "S"
    elif score >= cuts[1]:
        assert tier == "A"
    elif score >= cuts[2]:
        assert tier == "B"
    else:
        assert tier == "C"
