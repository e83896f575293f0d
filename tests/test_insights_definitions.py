"""One definition per number (issue 14, point 8): Scores, every insight sheet and the report count
contacts, ROAS/ROI and scores the same way."""
import pandas as pd
import pytest

from workbook_addin.core.sample import load_sample
from workbook_addin.engine.evaluation import evaluate
from workbook_addin.insights.agencies import agency_scorecard
from workbook_addin.insights.playbook import playbook
from workbook_addin.report import build_report, tables_for

TODAY = "2026-11-25"


def _tables():
    creators = pd.DataFrame({"platform": ["TikTok", "TikTok"], "handle": ["a_demo", "b_demo"], "agency": ["Agency X", "Agency X"],
                             "country": ["US", "US"]})
    outreach = pd.DataFrame({
        "outreach_id": ["O1", "O2", "O3", "O4"],
        "creator_key": ["tiktok:a_demo"] * 4,
        "contacted_at": ["2026-11-01 09:00", "2026-11-02 09:00", "2026-11-25 07:00", None],
        "replied_at": ["2026-11-01 12:00", None, None, None],
        "template": ["T1"] * 4,
        # O3 was sent two hours before "today": still inside the 24 h reply window; O4 never sent
        "status": ["replied", "no_response", "contacted", None],
    })
    collabs = pd.DataFrame({
        "collab_id": ["C1", "C2"], "creator_key": ["tiktok:a_demo", "tiktok:a_demo"], "platform": ["TikTok"] * 2,
        "currency": ["USD"] * 2, "fee": ["100", "100"], "gmv": ["400", None],
        "publish_date": ["2026-11-05", "2026-11-20"], "views": ["10000", None],
    })
    return {"creators": creators, "outreach": outreach, "collaborations": collabs}


def test_contacts_are_counted_as_the_scores_sheet_counts_them():
    ev = evaluate(_tables(), today="2026-11-25 09:00")
    assert ev.scores.set_index("creator_key").loc["tiktok:a_demo", "reply_rate"] == pytest.approx(0.5)
    row = playbook(ev.tables, today="2026-11-25 09:00").query("group == 'T1'").iloc[0]
    # the pending contact and the unsent row are neither replies nor non-replies
    assert (row["contacts"], row["replies"], row["reply_rate"]) == (2, 1, 0.5)
    agency = agency_scorecard(ev.tables, today="2026-11-25 09:00").set_index("agency").loc["Agency X"]
    assert agency["contacts"] == 2 and agency["reply_rate"] == pytest.approx(0.5)


def test_agency_roi_and_median_score_match_the_scores_sheet():
    ev = evaluate(_tables(), today=TODAY)
    scores = ev.scores.set_index("creator_key")
    agency = agency_scorecard(ev.tables, today=TODAY).set_index("agency").loc["Agency X"]
    # ROI over the collaboration with both GMV and cost: (400 x 50 % - 100) / 100 = 100 %, as on Scores
    assert agency["roi"] == pytest.approx(1.0) == pytest.approx(scores.loc["tiktok:a_demo", "roi"])
    # b_demo has no data (no tier): left out of the median, which is a_demo's tiered score alone
    assert pd.isna(scores.loc["tiktok:b_demo", "tier"]) and pd.notna(scores.loc["tiktok:b_demo", "score"])
    assert pd.notna(scores.loc["tiktok:a_demo", "tier"])
    assert agency["median_score"] == scores.loc["tiktok:a_demo", "score"]


def test_report_numbers_have_one_definition():
    data = build_report(load_sample(), "2026-11", today=TODAY)
    summary = dict(data.summary)
    pilot = data.pilots[0].kpis.set_index("kpi")
    # November ROAS over the posts with GMV and cost: (19 800 + 7 896.7) / (4 079.05 + 2 625.84)
    assert summary["ROAS"] == f"{pilot.at['roas', 'actual']:.2f}" == f"{27696.7 / 6704.89:.2f}"
    # one November score per creator: the ROI ranking and the trend score the same slice
    t = tables_for(data)
    trend = {r[0]: r[-1] for r in t["trend"].rows}
    for key, _tier, score, *_ in t["roi"].rows:
        assert trend[key].startswith(score + " "), key
    # an untiered (incomplete) score is never shown as a plain number
    assert trend["instagram:berlinbeauty_demo"].endswith("无等级 no tier")
