"""Pilot gate: the first N creators, their numbers against KPI targets, and the rule's verdict."""
import pandas as pd
import pytest

from workbook_addin.insights.pilot import decide, pilot_gate, pilot_gates, pilot_rows


def _collabs(views=(100, 100, 100), roas_gmv=(400, 400, 400), published=(True, True, True)):
    n = len(views)
    return pd.DataFrame(
        {
            "collab_id": [f"C{i}" for i in range(n)] + ["C9"],
            "creator_key": [f"tiktok:p{i}" for i in range(n)] + ["tiktok:late"],
            "campaign": ["Spring"] * (n + 1),
            "publish_date": [pd.Timestamp(f"2026-11-0{i + 1}") if p else pd.NaT for i, p in enumerate(published)] + [pd.Timestamp("2026-11-20")],
            "promised_date": pd.to_datetime([f"2026-11-0{i + 1}" for i in range(n)] + ["2026-11-20"]),
            "views": list(views) + [1_000_000],
            "er_views": [0.05] * n + [0.5],
            "orders": [10] * n + [999],
            "gmv_base": list(roas_gmv) + [100000],
            "total_cost": [100.0] * n + [1.0],
            "kpi_views": [100] * (n + 1),
            "kpi_er": [0.04] * (n + 1),
            "kpi_orders": [10] * (n + 1),
            "kpi_roas": [3.0] * (n + 1),
        }
    )


def test_pilot_is_the_first_creators_by_date():
    rows = pilot_rows(_collabs(), "Spring", 3)
    assert sorted(rows["creator_key"]) == ["tiktok:p0", "tiktok:p1", "tiktok:p2"]
    gate = pilot_gate({"collaborations": _collabs()}, "Spring", {"pilot_size": 2})
    assert gate.pilot_creators == ["tiktok:p0", "tiktok:p1"]


def test_all_kpis_met_scales():
    gate = pilot_gate({"collaborations": _collabs()}, "Spring", {"pilot_size": 3})
    k = gate.kpis.set_index("kpi")
    # views 300 vs 300; ER 5% vs 4%; orders 30 vs 30; ROAS 1200/300 = 4 vs 3 -- the late creator is not in the pilot
    assert (k.at["views", "actual"], k.at["views", "target"]) == (300, 300)
    assert k.at["roas", "actual"] == pytest.approx(4.0)
    assert gate.decision == "scale" and gate.decision_label == "扩量 Scale"
    assert "4/4" in gate.reason and "4 of 4" in gate.reason


def test_money_losing_pilot_stops():
    gate = pilot_gate({"collaborations": _collabs(views=(10, 10, 10), roas_gmv=(50, 50, 50))}, "Spring", {"pilot_size": 3})
    # views 30 < 300 and ROAS 150/300 = 0.5 miss; ER and orders met: 2 of 4 is not "under half" -> extend
    assert gate.decision == "extend"
    # with orders missed too only 1 of 4 is met while ROAS < 1 -> stop
    gate = pilot_gate({"collaborations": _collabs(views=(10, 10, 10), roas_gmv=(50, 50, 50)).assign(orders=1)}, "Spring", {"pilot_size": 3})
    assert gate.decision == "stop" and "lost money" in gate.reason


def test_too_few_live_posts_extends():
    gate = pilot_gate({"collaborations": _collabs(published=(True, False, False))}, "Spring", {"pilot_size": 3})
    assert (gate.posts_live, gate.posts) == (1, 3)
    assert gate.decision == "extend" and "1 of 3" in gate.reason


def test_rule_table():
    kpis = pd.DataFrame({"kpi": ["views", "er", "orders", "roas"], "actual": [1, 1, 1, 3.5], "target": [2, 2, 1, 3.0]})
    kpis["met"] = [False, False, True, True]
    assert decide(3, 3, kpis)[0] == "extend"  # ROAS met but only 2 of 4
    kpis["met"] = [True, True, True, False]
    kpis.loc[3, "actual"] = 2.0
    assert decide(3, 3, kpis)[0] == "extend"  # 3 of 4 but ROAS missed
    kpis["met"] = [False] * 4
    assert decide(3, 3, kpis)[0] == "stop"


def test_every_campaign_gets_a_gate():
    col = pd.concat([_collabs(), _collabs().assign(campaign="Autumn")])
    assert [g.campaign for g in pilot_gates({"collaborations": col})] == ["Autumn", "Spring"]


# ----------------------------------------------------------------------------- issue 14, point 7
def test_posts_live_without_metrics_yet_extend_never_stop():
    # published yesterday, nothing imported: blanks are unknown, not a ROAS of 0
    col = _collabs().assign(views=None, er_views=None, orders=None, gmv_base=None)
    gate = pilot_gate({"collaborations": col}, "Spring", {"pilot_size": 3})
    assert gate.decision == "extend" and "0 of 3 pilot posts are live with metrics" in gate.reason
    assert gate.kpis["actual"].isna().all()


def test_kpis_are_compared_on_the_rows_that_carry_them():
    # two posts of 600 views; only the first has a 1 000-view target: 600 vs 1 000, not 1 200 vs 1 000
    col = _collabs(views=(600, 600, 100)).assign(kpi_views=[1000, None, None, None])
    k = pilot_gate({"collaborations": col}, "Spring", {"pilot_size": 3}).kpis.set_index("kpi")
    assert (k.at["views", "actual"], k.at["views", "target"]) == (600, 1000) and k.at["views", "met"] is False
    # ROAS over posts with both GMV and cost only: a post without GMV yet adds no cost
    col = _collabs().assign(gmv_base=[400, 400, None, 100000])
    assert pilot_gate({"collaborations": col}, "Spring", {"pilot_size": 3}).kpis.set_index("kpi").at["roas", "actual"] == 4.0


def test_scaling_needs_the_minimum_sample_from_settings():
    one = _collabs(views=(100,), roas_gmv=(400,), published=(True,))
    gate = pilot_gate({"collaborations": one}, "Spring", {"pilot_size": 1})
    assert gate.decision == "extend" and "scaling needs at least 3" in gate.reason
    assert pilot_gate({"collaborations": one}, "Spring", {"pilot_size": 1, "pilot_min_live_posts": 1}).decision == "scale"
