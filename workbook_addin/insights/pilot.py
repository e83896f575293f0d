"""Pilot gate: after a campaign's first few creators, scale it, extend the pilot, or stop.

The brief says to start a campaign with a pilot of at most 5 creators (Settings ``pilot_size``).
The pilot is the first ``pilot_size`` creators of the campaign by their first collaboration date
(publish date, else promised date, else sample-shipped date). Its results are compared with the
KPI targets typed on those collaborations (kpi_views, kpi_er, kpi_orders, kpi_roas), falling back
to the Settings targets (er_good, target_roas) where a row has none.

A blank is unknown, never 0: a post counts as measured once its metrics are in (views), each KPI
is compared on the rows that carry both its result and its target (two posts of 600 views do not
meet a 1 000-view target typed on one of them), ROAS over the posts with both GMV and cost (the
one definition of ROAS, as on the Scores sheet), and ER on each platform's basis.

The rule (:data:`RULE`), applied in this order:
1. fewer than half of the pilot's posts are measured -> extend (too early to judge);
2. no KPI can be compared -> extend;
3. ROAS below 1 (the pilot lost money) and fewer than half of the KPIs met -> stop;
4. no KPI met -> stop;
5. the ROAS target met and at least 3 of 4 KPIs met (75 % of those with data) -> scale, once at
   least ``pilot_min_live_posts`` (Settings) posts are measured; before that -> extend;
6. otherwise -> extend (mixed results: run a second small round before committing budget).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.settings import SettingsLike
from ..core.schema import load_schema
from . import frames

#: The rule and the recommendation labels live in templates/schema.toml (the Pilot gate sheet's
#: "decision" column and the ``pilot_decision`` list), so the sheet, its header note and the report agree.
_DECISION = load_schema().sheet("pilot").column("decision")
RULE = f"{_DECISION.help_zh} {_DECISION.help_en}"

#: decision code -> (zh, en), from the schema's ``pilot_decision`` list ("扩量 Scale" -> ("扩量", "Scale"))
DECISIONS: dict[str, tuple[str, str]] = {
    v.code: tuple(v.label.split(" ", 1)) for v in load_schema().enums["pilot_decision"].values  # type: ignore[misc]
}

#: Pilot gate sheet columns (key -> zh, en), from templates/schema.toml.
COLUMNS: dict[str, tuple[str, str]] = frames.schema_labels("pilot")

#: The KPIs a pilot is judged on (key -> zh, en), labelled as the schema labels them.
KPIS: dict[str, tuple[str, str]] = {
    key: (col.zh, col.en)
    for key, col in ((k, load_schema().sheet(sheet).column(k))
                     for k, sheet in (("views", "collaborations"), ("er", "scores"), ("orders", "collaborations"),
                                      ("roas", "collaborations")))
}


@dataclass
class PilotGate:
    """The gate for one campaign: who was in the pilot, the numbers, and the recommendation."""

    campaign: str
    pilot_creators: list[str]
    posts: int
    posts_live: int
    kpis: pd.DataFrame = field(repr=False)  # columns kpi, actual, target, met
    decision: str = "extend"
    reason: str = ""

    @property
    def decision_label(self) -> str:
        return frames.bilingual(*DECISIONS[self.decision])


def collab_dates(collabs: pd.DataFrame) -> pd.Series:
    """When a collaboration happened: publish, else promised, else sample-shipped date."""
    return (
        frames.dates(collabs, "publish_date")
        .fillna(frames.dates(collabs, "promised_date"))
        .fillna(frames.dates(collabs, "sample_shipped_date"))
    )


def pilot_rows(collabs: pd.DataFrame, campaign: str, pilot_size: int,
               campaigns: pd.Series | None = None) -> pd.DataFrame:
    """The campaign's collaborations that belong to its first ``pilot_size`` creators.

    ``campaigns`` is ``frames.texts(collabs, "campaign")`` when the caller has it (it checks every
    campaign). The pilot creators are chosen on the few columns that decide them, and only their
    rows are copied: copying every column of a campaign's 20 000 rows was most of the gate's time.
    """
    in_campaign = ((frames.texts(collabs, "campaign") if campaigns is None else campaigns) == campaign).to_numpy()
    at = np.flatnonzero(in_campaign)
    deciding = [c for c in ("creator_key", "collab_id", "publish_date", "promised_date", "sample_shipped_date")
                if c in collabs.columns]
    mine = collabs[deciding].iloc[at]
    keys, when = frames.texts(mine, "creator_key"), collab_dates(mine)
    early = _earliest(when, keys, pilot_size)
    first = (
        pd.DataFrame({"creator_key": keys, "when": when, "id": frames.texts(mine, "collab_id")})[early]
        .sort_values(["when", "id"], na_position="last", kind="stable")
        .drop_duplicates("creator_key")
    )
    chosen = list(first["creator_key"].head(pilot_size))
    order = {key: i for i, key in enumerate(chosen)}
    return collabs.iloc[at[keys.isin(chosen).to_numpy()]].assign(
        _order=lambda f: frames.texts(f, "creator_key").map(order))


def _earliest(when: pd.Series, keys: pd.Series, count: int) -> np.ndarray:
    """The rows dated no later than the day by which ``count`` creators have a row (every row when
    fewer have a date): the first ``count`` creators in (date, id) order all have their first row
    among them, in the same order, so only these few rows need sorting by id as well."""
    days = when.to_numpy(dtype="datetime64[ns]")
    stamps = np.where(np.isnat(days), np.iinfo(np.int64).max, days.view(np.int64))  # undated last
    order = np.argsort(stamps, kind="stable")
    seen: set[Any] = set()
    cut = np.iinfo(np.int64).max
    for key, stamp in zip(keys.to_numpy()[order], stamps[order]):
        seen.add(key)
        if len(seen) >= count:
            cut = stamp
            break
    return stamps <= cut


def _compare(actual: pd.Series, target: pd.Series, how: str) -> tuple[float, float]:
    """(actual, target) over the rows that carry both: summed, or averaged for rates."""
    both = actual.notna() & target.notna()
    if not both.any():
        return np.nan, np.nan
    if how == "sum":
        return float(actual[both].sum()), float(target[both].sum())
    return float(actual[both].mean()), float(target[both].mean())


def pilot_kpis(measured: pd.DataFrame, settings: SettingsLike = None) -> pd.DataFrame:
    """Each KPI's actual and target (columns kpi, actual, target, met) over the measured posts."""
    from ..engine.metrics import tracked_return

    er = frames.numbers(measured, "er" if "er" in measured.columns else "er_views")
    er_target = frames.numbers(measured, "kpi_er").fillna(float(frames.setting(settings, "er_good")))
    roas_target = frames.numbers(measured, "kpi_roas").fillna(float(frames.setting(settings, "target_roas")))
    gmv, cost = frames.numbers(measured, "gmv_base"), frames.numbers(measured, "total_cost")
    tracked = gmv.notna() & cost.notna()
    roas, _ = tracked_return(gmv.to_numpy(), cost.to_numpy(), float(frames.setting(settings, "gross_margin")))
    kpis = pd.DataFrame(
        [
            ("views", *_compare(frames.numbers(measured, "views"), frames.numbers(measured, "kpi_views"), "sum")),
            ("er", *_compare(er, er_target.where(er.notna()), "mean")),
            ("orders", *_compare(frames.numbers(measured, "orders"), frames.numbers(measured, "kpi_orders"), "sum")),
            ("roas", roas, float(roas_target[tracked].mean()) if tracked.any() else np.nan),
        ],
        columns=["kpi", "actual", "target"],
    )
    kpis["actual"] = kpis["actual"].astype(float)
    kpis["target"] = kpis["target"].astype(float)
    has = kpis["actual"].notna() & kpis["target"].notna()
    kpis["met"] = np.where(has, kpis["actual"] >= kpis["target"], None)
    kpis["label"] = kpis["kpi"].map(lambda k: frames.bilingual(*KPIS[k]))
    return kpis


def pilot_gate(evaluation_tables: Mapping[str, pd.DataFrame], campaign: str,
               settings: SettingsLike = None, campaigns: pd.Series | None = None) -> PilotGate:
    """The gate for ``campaign`` from the engine's evaluated collaborations (``campaigns``: see
    :func:`pilot_rows`)."""
    col = frames.table(evaluation_tables, "collaborations")
    size = int(frames.setting(settings, "pilot_size"))
    rows = pilot_rows(col, campaign, size, campaigns)
    creators = list(dict.fromkeys(frames.texts(rows.sort_values("_order", kind="stable"), "creator_key")))
    live = rows[frames.dates(rows, "publish_date").notna()]
    measured = live[frames.numbers(live, "views").notna().to_numpy()]  # published and its metrics imported
    kpis = pilot_kpis(measured, settings)
    decision, reason = decide(len(rows), len(live), kpis, measured=len(measured),
                              min_live=int(frames.setting(settings, "pilot_min_live_posts")))
    return PilotGate(campaign, creators, len(rows), len(live), kpis, decision, reason)


def decide(posts: int, live: int, kpis: pd.DataFrame, *, measured: int | None = None,
           min_live: int = 1) -> tuple[str, str]:
    """Applies :data:`RULE` to the pilot's numbers; returns (decision, bilingual reason)."""
    measured = live if measured is None else measured
    if posts == 0 or measured * 2 < posts:
        return "extend", (f"仅 {measured}/{posts} 条试点内容已发布并有数据，结果未出。 "
                          f"Only {measured} of {posts} pilot posts are live "
                          f"with metrics imported ({live} published); too early to judge.")
    judged = kpis[kpis["met"].notna()]
    met = int(judged["met"].astype(bool).sum())
    n = len(judged)
    if n == 0:
        return "extend", ("没有可与目标比较的 KPI（数据未导入或未填目标）。 "
                          "No KPI has both a result and a target yet: unknown, not failed.")
    roas = kpis.set_index("kpi").loc["roas"]
    roas_known = not pd.isna(roas["actual"])
    roas_met = bool(roas["met"]) if roas["met"] is not None else False
    roas_zh = f"ROAS {roas['actual']:.2f}（目标 {roas['target']:.2f}）" if roas_known else "ROAS 未知"
    roas_en = f"ROAS {roas['actual']:.2f} (target {roas['target']:.2f})" if roas_known else "ROAS unknown (no GMV yet)"
    summary_zh, summary_en = f"{met}/{n} 项 KPI 达标，{roas_zh}。", f"{met} of {n} KPIs met, {roas_en}."
    if roas_known and roas["actual"] < 1 and met * 2 < n:
        return "stop", f"{summary_zh} 试点亏损。 {summary_en} The pilot lost money."
    if met == 0:
        return "stop", f"{summary_zh} {summary_en}"
    if roas_met and met * 4 >= 3 * n:
        if measured < min_live:
            return "extend", (f"{summary_zh} 仅 {measured} 条有数据，扩量至少需要 {min_live} 条。 "
                              f"{summary_en} Only {measured} measured "
                              f"post(s); scaling needs at least {min_live} (Settings).")
        return "scale", f"{summary_zh} {summary_en}"
    return "extend", (f"{summary_zh} 结果不一，再做一轮小规模测试。 "
                      f"{summary_en} Mixed results: run one more small round.")


def pilot_gates(evaluation_tables: Mapping[str, pd.DataFrame], settings: SettingsLike = None,
                campaigns: list[str] | None = None) -> list[PilotGate]:
    """One gate per campaign (every campaign on the Collaborations sheet unless named)."""
    col = frames.table(evaluation_tables, "collaborations")
    typed = frames.texts(col, "campaign")
    names = campaigns if campaigns is not None else sorted({c for c in typed if c})
    return [pilot_gate(evaluation_tables, c, settings, typed) for c in names]


def gates_table(gates: list[PilotGate]) -> pd.DataFrame:
    """The gates as one table (columns :data:`COLUMNS`) for the Pilot gate sheet or a report."""
    rows = []
    for g in gates:
        k = g.kpis.set_index("kpi")
        rows.append(
            {
                "campaign": g.campaign,
                "decision": g.decision,
                "pilot_creators": len(g.pilot_creators),
                "posts": g.posts,
                "posts_live": g.posts_live,
                **{f"{kpi}_{what}": k.at[kpi, what] for kpi in KPIS for what in ("actual", "target")},
                "reason": g.reason,
                "pilot_creator_keys": "; ".join(g.pilot_creators),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))
