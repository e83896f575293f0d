"""Decisions ops staff can trust (issue 14, points 1-6): money in the tier, no audit never beats a
clean audit, views per follower, each platform's ER, bounded reviewer normalisation, edge rules.

Each test names the point it pins down; the numbers are worked by hand from the sample CSVs."""
import numpy as np
import pandas as pd
import pytest

from workbook_addin.core.sample import load_sample
from workbook_addin.core.schema import load_schema
from workbook_addin.core.settings import Settings
from workbook_addin.engine import authenticity as auth
from workbook_addin.engine import scoring
from workbook_addin.engine.evaluation import evaluate, score_creator

TODAY = "2026-11-25"
LOSING = ("youtube:techtomo_demo", "instagram:cozycorner.uk_demo", "youtube:kawaiikitchen_demo", "instagram:desert.chic_demo",
          "tiktok:bargainbella_demo")


@pytest.fixture(scope="module")
def scores():
    return evaluate(load_sample(), today=TODAY).scores.set_index("creator_key")


def one_creator(collabs, creator=None, **tables):
    """Tables for one TikTok creator (1 000 000 followers unless given) and the rows given."""
    base = {"platform": "TikTok", "handle": "solo_demo", "followers": "1000000", "country": "US", "fake_follower_rate": "2%"}
    rows = {"creators": pd.DataFrame([{**base, **(creator or {})}]),
            "collaborations": pd.DataFrame([{"collab_id": f"K-{i}", "creator_key": "tiktok:solo_demo", "platform": "TikTok",
                                             "currency": "USD", **c} for i, c in enumerate(collabs)])}
    rows.update({k: pd.DataFrame(v) for k, v in tables.items()})
    return rows


# ----------------------------------------------------------------------------- 1. money in the tier
def test_1_no_creator_whose_sales_lost_money_is_s_or_a_and_each_explanation_names_roi(scores):
    for key in LOSING:
        row = scores.loc[key]
        assert row.sales_roi < 0, key
        assert row.tier not in ("S", "A"), key
        assert "ROI -" in row.explanation, key
    tomo = scores.loc["youtube:techtomo_demo"]
    # 74.5 would be A; C-005 lost 16 % (GMV 3 484 x 50 % margin - cost 2 070.30) / 2 070.30
    assert tomo.tier == "B" and tomo.explanation.startswith("B: 亏损封顶 capped at B: ROI -16% on sales collaborations (score 74.5 would be A)")


def test_1_the_roi_cap_has_a_settings_switch():
    off = Settings.defaults().with_values(roi_cap="否 No")
    tomo = evaluate(load_sample(), off, today=TODAY).scores.set_index("creator_key").loc["youtube:techtomo_demo"]
    assert tomo.tier == "A" and "capped at B" not in tomo.explanation


def test_1_a_loss_making_sales_post_never_meets_its_target():
    # every KPI beaten, but ROAS 1.5 against a typed target of 1.2 at a 50 % margin: ROI -25 %
    tables = one_creator([{"objective": "带货 Sales", "publish_date": "2026-11-01", "fee": "1000", "views": "500000",
                           "likes": "40000", "comments": "2000", "orders": "90", "gmv": "1500",
                           "kpi_views": "100000", "kpi_er": "3%", "kpi_orders": "50", "kpi_roas": "1.2"}])
    result = evaluate(tables, today=TODAY)
    row = result.scores.iloc[0]
    # at most ROAS against break-even 2.0: min(1.5 / 2, 1.25) / 1.25 x 100 = 60, below "met" (80)
    assert row.performance == pytest.approx(60.0)
    assert "ROAS target at or below break-even (2.00): K-0" in row["flags"]
    assert "ROI -25% 带货亏损 on sales: loss-making posts count below target (K-0)" in row.explanation


def test_1_awareness_posts_are_judged_on_reach_and_cost_and_their_roi_is_not_scored():
    post = {"objective": "曝光 Awareness", "publish_date": "2026-11-01", "fee": "1000", "views": "80000", "likes": "4000",
            "comments": "100", "gmv": "100", "kpi_views": "100000"}
    row = evaluate(one_creator([post]), today=TODAY).scores.iloc[0]
    # views 80 000 / 100 000 -> 64; CPM 12.50 against 25 -> capped 1.25 -> 100; mean 82
    assert row.performance == pytest.approx((64.0 + 100.0) / 2)
    assert row.roi < 0 and np.isnan(row.sales_roi)                  # shown, not scored, never capped
    assert "ROI" not in row.explanation.split(" | 风险")[0].split("|", 1)[0]
    # the same post as a sales post loses money and is judged on it
    as_sales = evaluate(one_creator([{**post, "objective": "带货 Sales"}]), today=TODAY).scores.iloc[0]
    assert as_sales.performance < row.performance and as_sales.sales_roi < 0


def test_1_blank_objective_is_inferred_from_the_kpis():
    blank = {"publish_date": "2026-11-01", "fee": "1000", "views": "80000"}
    co = evaluate(one_creator([blank, {**blank, "kpi_roas": "3"}]), today=TODAY).tables["collaborations"]
    from workbook_addin.engine.dimensions import post_objectives
    assert post_objectives(co).tolist() == ["awareness", "sales"]


# ----------------------------------------------------------------------------- 2. no audit never beats a clean audit
def test_2_unaudited_creators_never_score_100_and_are_flagged(scores):
    for key in ("youtube:techtomo_demo", "tiktok:fitbyjake_demo"):
        row = scores.loc[key]
        assert not row.authenticity == 100.0, key
        assert np.isnan(row.authenticity) and row.completeness == pytest.approx(0.85)
        assert "未审核 Not audited" in row["flags"]
    # audited at 4 %: 100 x (1 - 4 % / 30 %) = 86.7, and not flagged
    assert scores.loc["tiktok:glowwithmia_demo", "authenticity"] == pytest.approx(86.7)
    assert "Not audited" not in scores.loc["tiktok:glowwithmia_demo", "flags"]


def test_2_a_problem_the_checks_found_still_counts_without_an_audit():
    assert scoring.authenticity_score(np.nan, -1, 0, 0) == pytest.approx(75.0)
    assert np.isnan(scoring.authenticity_score(np.nan, 0, 0, 0))
    assert scoring.authenticity_score(0.0, 0, 0, 0) == 100.0


# ----------------------------------------------------------------------------- 3. views per follower
def test_3_views_far_below_the_follower_band_are_flagged(scores):
    # bargainbella: 52 000 views on 1 200 000 followers = 4.3 % < 5 % (TikTok mega)
    assert "Views far below band: 4.3% of followers per post < 5.0% (TikTok mega)" in scores.loc["tiktok:bargainbella_demo", "flags"]
    # 1 M followers, 40 k views a post with a healthy ER by views: only views per follower shows it
    post = {"objective": "带货 Sales", "publish_date": "2026-11-01", "fee": "500", "views": "40000", "likes": "1000",
            "comments": "50", "kpi_roas": "3"}
    row = evaluate(one_creator([post], {"fake_follower_rate": ""}), today=TODAY).scores.iloc[0]
    assert "Views far below band" in row["flags"] and "ER far" not in row["flags"]
    assert row.authenticity == pytest.approx(75.0)


def test_3_the_band_and_its_source_are_in_settings():
    bench = Settings.defaults().er_benchmarks.set_index(["platform", "band"])
    assert bench.loc[("TikTok", "mega"), "vpf_low"] == pytest.approx(0.05)
    assert bench.loc[("YouTube", "mid"), "vpf_source"]
    keys = [c.key for c in load_schema().settings_tables["er_benchmarks"].columns]
    assert "vpf_low" in keys and "vpf_source" in keys
    band = auth.benchmark_band(np.array(["TikTok"], dtype=object), np.array([1_200_000.0]), Settings.defaults().er_benchmarks)
    assert auth.views_anomaly(np.array([0.043]), band["vpf_low"]).tolist() == [-1.0]


# ----------------------------------------------------------------------------- 4. each platform's ER
def test_4_instagram_er_target_is_checked_against_er_by_followers(scores):
    co = evaluate(load_sample(), today=TODAY).tables["collaborations"].set_index("collab_id")
    # desert.chic C-007: (14 200 + 380) / 1 900 000 = 0.77 %, against its 1.5 % target
    assert co.loc["C-007", "er"] == pytest.approx(14_580 / 1_900_000)
    assert co.loc["C-007", "er_views"] > 0.015
    # lena C-003: views 84 % -> 67.2, ER by followers (1 630 / 42 000) 97 % -> 77.6, orders 90 % -> 72,
    # ROAS 3.06 / 2.5 -> 97.9; mean 78.7 (by views the ER part would be 100)
    assert scores.loc["instagram:lena.style_demo", "performance"] == pytest.approx(78.7, abs=0.05)
    for sheet, column in (("scores", "er"), ("collaborations", "kpi_er"), ("collaborations", "er")):
        assert "Instagram by followers" in load_schema().sheet(sheet).column(column).help_en


# ----------------------------------------------------------------------------- 5. reviewer normalisation
def test_5_raw_average_is_shown_and_the_adjustment_is_bounded_and_explained(scores):
    cozy = scores.loc["instagram:cozycorner.uk_demo"]
    # one review, 3/3/4: raw (3.33 - 1) / 4 = 58.3; Lin's harsh habit would push it lower, bounded at 0.5 points
    assert cozy.content_raw == pytest.approx(58.3)
    assert cozy.content_raw - cozy.content_quality <= 12.5 + 1e-9
    assert "评审校准 Reviewer normalisation: raw 58.3 → 47.1" in cozy.explanation
    assert (np.abs(scores["content_quality"] - scores["content_raw"]).dropna() <= 12.5 + 0.05).all()
    unbounded = evaluate(load_sample(), Settings.defaults().with_values(reviewer_max_adjust=0), today=TODAY).scores
    pd.testing.assert_series_equal(unbounded["content_quality"], unbounded["content_raw"], check_names=False)


# ----------------------------------------------------------------------------- 6. edge rules
def test_6_an_unknown_gmv_currency_is_never_converted_1_to_1():
    post = {"objective": "带货 Sales", "fee": "1000", "commission_rate": "10%", "gmv": "3000", "gmv_currency": "KRW"}
    result = evaluate(one_creator([post]), today=TODAY)
    co = result.tables["collaborations"].iloc[0]
    # the fee stays; the GMV and the commission on it cannot be converted and are left out
    assert co.total_cost == pytest.approx(1000.0) and np.isnan(co.gmv_base) and np.isnan(co.roi)
    assert any("KRW" in str(p) and "left out of cost and ROI" in str(p) for p in result.problems)
    # a known currency missing from the FX table: the same
    no_cad = Settings.defaults().with_values()
    no_cad = Settings.from_values(no_cad.values, None, pd.DataFrame({"currency": ["USD"], "rate": [1.0]}))[0]
    co = evaluate(one_creator([{**post, "gmv_currency": "CAD"}]), no_cad, today=TODAY).tables["collaborations"].iloc[0]
    assert co.total_cost == pytest.approx(1000.0) and np.isnan(co.gmv_base)


def test_6_follower_jumps_over_any_two_snapshots_in_the_window():
    # +20 % twice within 30 days is +44 %: neither neighbouring pair reaches 30 %
    dates = pd.to_datetime(["2026-10-01", "2026-10-15", "2026-10-29"]).to_numpy()
    out = auth.follower_jumps(np.zeros(3, dtype=int), dates, np.array([100_000, 120_000, 144_000.0]), 1, threshold=0.3)
    assert out["flag"][0] == 1.0 and out["growth"][0] == pytest.approx(0.44)
    assert str(out["start"][0])[:10] == "2026-10-01" and str(out["end"][0])[:10] == "2026-10-29"


def test_6_a_review_without_ids_keeps_its_compliance_marks():
    review = {"creator_key": "tiktok:solo_demo", "reviewer": "Lin", "visuals": "4", "script": "4", "brand_fit": "4",
              "ad_disclosure": "否 No", "false_claims": "是 Yes"}
    result = evaluate(one_creator([], reviews=[review]), today=TODAY)
    row = result.scores.iloc[0]
    # one post with both problems: 100 - 30 - 60 = 10
    assert row.compliance == pytest.approx(10.0)
    assert "Missing #ad disclosure: 评审 Reviews row 2" in row["flags"] and "False claims: 评审 Reviews row 2" in row["flags"]


def test_6_score_creator_agrees_with_evaluate_given_the_whole_reviews_table(scores):
    tables = load_sample()
    key = "instagram:cozycorner.uk_demo"
    creator = tables["creators"].iloc[6].dropna().to_dict()
    rows = {k: [r.dropna().to_dict() for _, r in tables[k][tables[k]["creator_key"] == key].iterrows()]
            for k in ("outreach", "collaborations", "reviews", "snapshots")}
    one = score_creator(creator, rows["outreach"], rows["collaborations"], rows["reviews"], rows["snapshots"], today=TODAY,
                        all_reviews=tables["reviews"])
    assert one["content_quality"] == scores.loc[key, "content_quality"]
    assert one["score"] == scores.loc[key, "score"] and one["content_basis"] == "all reviews"
    alone = score_creator(creator, rows["outreach"], rows["collaborations"], rows["reviews"], rows["snapshots"], today=TODAY)
    assert alone["content_basis"] == "this creator's reviews only"
