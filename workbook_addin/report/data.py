"""What the monthly report shows, gathered once: :func:`build_report` evaluates the archive up to
the month's end with the engine and calls each insight, so the HTML and the PDF show the same
numbers. Formatting lives in :mod:`.tables`, drawing in :mod:`.html` and :mod:`.pdf`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.settings import Settings
from ..insights import frames
from ..insights.agencies import agency_scorecard
from ..insights.duplicates import blacklist_hits, duplicate_creators
from ..insights.history import KIND_MONTH, month_slice, score_history, slice_tables, trend_cells
from ..insights.pilot import PilotGate, collab_dates, pilot_gates
from ..insights.playbook import outreach_facts, playbook
from ..insights.quotes import quote_check, quoted_fee_base
from ..insights.reminders import reminders
from ..insights.stats import proportion
from ..insights.tier_review import tier_mix, tier_review
from .format import money, num, pct, pct_ci

#: Creators shown at each end of the ROI ranking
TOP_N = 5

INPUT_SHEETS = ("creators", "outreach", "collaborations", "reviews", "snapshots")


@dataclass
class ReportData:
    """Every number one month's report shows (unformatted)."""

    month: pd.Period
    as_of: pd.Timestamp
    base_currency: str
    summary: list[tuple[str, str]]
    tier_mix: pd.Series
    roi_ranked: pd.DataFrame
    funnel: pd.DataFrame
    by_market: pd.DataFrame
    lifts: pd.DataFrame
    playbook: pd.DataFrame
    reminders: pd.DataFrame
    agencies: pd.DataFrame
    pilots: list[PilotGate]
    quotes: pd.DataFrame
    duplicates: pd.DataFrame
    blacklist: pd.DataFrame
    trend: pd.DataFrame
    problems: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"达人月报 {self.month} Creator report {self.month} · 数据截至 data as of {self.as_of:%Y-%m-%d}"


def settings_from_tables(tables: Mapping[str, pd.DataFrame]) -> tuple[Settings, list[str]]:
    """The Settings the workbook carries (``workbook_io.read_tables`` adds a "settings" frame and
    the er_benchmarks / fx_rates tables), else the template defaults."""
    frame = tables.get("settings")
    if frame is None or frame.empty:
        return Settings.defaults(), []
    values = {k: v for k,
              v in frame["value"].items() if not (isinstance(v, float) and math.isnan(v)) and v is not None and v != ""}
    settings, problems = Settings.from_values(values, tables.get("er_benchmarks"), tables.get("fx_rates"))
    return settings, [str(p) for p in problems]


def _as_of_slice(tables: Mapping[str, pd.DataFrame], as_of: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The input tables up to ``as_of``: later collaborations, contacts and snapshots left out."""
    from ..core.coerce import coerce_table

    col = frames.table(tables, "collaborations")
    keep = np.ones(len(col), dtype=bool)
    if len(col):
        when = collab_dates(coerce_table("collaborations", col)[0])
        keep = (when.isna() | (when <= as_of)).to_numpy()
    out = frames.table(tables, "outreach")
    out_mask = None
    if len(out):
        contacted = coerce_table("outreach", out)[0]["contacted_at"]
        out_mask = (contacted.isna() | (contacted.dt.normalize() <= as_of)).to_numpy()
    return slice_tables(tables, keep, outreach_mask=out_mask, snapshot_until=as_of)


def _in_month(when: pd.Series, month: pd.Period) -> np.ndarray:
    return (when.dt.to_period("M") == month).fillna(False).to_numpy(dtype=bool)


def report_dates(period: pd.Period, today: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(the month's last day, the as-of date). The as-of date is ``today`` (the day the data is
    read: reminders, pending replies and overdue posts count from it), the one date page 1
    states; only for a month that has not started yet is it the month's end."""
    end = period.to_timestamp(how="end").normalize()
    as_of = frames.as_date(today)
    if as_of < period.to_timestamp(how="start"):
        as_of = end
    return end, as_of


def roi_ranking(archive: Mapping[str, pd.DataFrame], period: pd.Period, month_keys: set, settings: Settings,
                as_of: pd.Timestamp) -> pd.DataFrame:
    """The month's own scoring round (the same slice the score trend scores, so a creator has one
    score for the month), ranked by ROI: the top and bottom :data:`TOP_N` creators with the
    engine's explanation."""
    from ..engine.evaluation import evaluate

    sliced, day, _ = month_slice(archive, period, as_of)
    month_ev = evaluate(sliced, settings, today=day)
    scores = month_ev.tables["scores"]
    scores = scores[frames.texts(scores, "creator_key").isin(month_keys).to_numpy()]
    ranked = pd.DataFrame(
        {
            "creator_key": frames.texts(scores, "creator_key"),
            "tier": frames.texts(scores, "tier"),
            "score": frames.numbers(scores, "score"),
            "total_cost": frames.numbers(scores, "total_cost"),
            "gmv": frames.numbers(scores, "gmv"),
            "roi": frames.numbers(scores, "roi"),
            "explanation": frames.texts(scores, "explanation"),
        }
    ).dropna(subset=["roi"]).sort_values("roi", ascending=False, kind="stable")
    if len(ranked) > 2 * TOP_N:
        ranked = pd.concat([ranked.head(TOP_N), ranked.tail(TOP_N)])
    return ranked.reset_index(drop=True)


def month_funnel(out_month: pd.DataFrame) -> pd.DataFrame:
    """Outreach made this month, stage by stage, with each stage's bilingual label."""
    from ..engine.metrics import funnel as engine_funnel

    funnel = engine_funnel(out_month) if len(out_month) else pd.DataFrame({"stage": [], "reached": []})
    if len(funnel):
        funnel = funnel[["stage", "reached"]].copy()
        funnel["label"] = funnel["stage"].map(lambda s: frames.label("funnel", s))
    return funnel


def spend_by_market(creators: pd.DataFrame, month_collabs: pd.DataFrame) -> pd.DataFrame:
    """The month's spend and GMV per creator market, biggest spend first."""
    market_of = dict(zip(frames.texts(creators, "creator_key"), frames.codes(creators, "country", "market")))
    return (
        pd.DataFrame(
            {
                "market": frames.texts(month_collabs,
                                       "creator_key").map(lambda k: frames.label("market", market_of.get(k))),
                "spend": frames.numbers(month_collabs, "total_cost"),
                "gmv": frames.numbers(month_collabs, "gmv_base"),
            }
        )
        .groupby("market", as_index=False)
        .sum(min_count=1)
        .fillna(0.0)
        .sort_values("spend", ascending=False)
    )


def month_summary(period: pd.Period, as_of: pd.Timestamp, month_keys: set, month_collabs: pd.DataFrame,
                  out_month: pd.DataFrame,
                  mix: pd.Series, settings: Settings) -> list[tuple[str, str]]:
    """The summary table's (measure, value) pairs."""
    from ..engine.metrics import tracked_return

    base = settings.base_currency
    live = frames.dates(month_collabs, "publish_date").notna()
    spend = float(frames.numbers(month_collabs, "total_cost").sum())
    gmv = float(frames.numbers(month_collabs, "gmv_base").sum())
    # ROAS and ROI over the collaborations with both GMV and cost, as everywhere else
    roas, roi = tracked_return(frames.numbers(month_collabs, "gmv_base").to_numpy(),
                               frames.numbers(month_collabs, "total_cost").to_numpy(),
                               float(frames.setting(settings, "gross_margin")))
    facts = outreach_facts({"outreach": out_month}, today=as_of, settings=settings)
    reply = proportion(int(facts["replied"].sum()), len(facts))
    return [
        ("报告月份 Month", str(period)),
        ("数据截至 Data as of", f"{as_of:%Y-%m-%d}"),
        ("本月合作达人 Creators with collaborations", f"{len(month_keys)}"),
        ("本月发布内容 Posts live", f"{int(live.sum())} / {len(month_collabs)}"),
        ("本月建联 Contacts made", f"{len(out_month)}"),
        ("本月回复率 Reply rate", pct_ci(reply.rate, reply.low, reply.high, reply.n)),
        (f"花费 Spend ({base})", money(spend)),
        (f"成交额 GMV ({base})", money(gmv)),
        ("ROAS", num(roas, 2)),
        ("ROI", pct(roi)),
        ("S/A 达人（档案库）S/A creators (archive)",
         f"{int(mix.get('S', 0)) + int(mix.get('A', 0))} / {int(mix.sum())}"),
    ]


def build_report(tables: Mapping[str, pd.DataFrame], month: str | pd.Period, *, settings: Settings | None = None,
                 today: Any = None) -> ReportData:
    """Everything the report shows for ``month`` ("2026-11"), evaluated as of the month's end
    (or ``today`` when the month is still running)."""
    from ..engine.evaluation import evaluate

    period = pd.Period(month, "M")
    problems: list[str] = []
    if settings is None:
        settings, problems = settings_from_tables(tables)
    end, as_of = report_dates(period, today)
    # Everything up to the month's end: later months stay out of a past month's report, while the
    # month's own planned posts (promised for next week) stay in, for reminders and the pilot gate.
    archive = _as_of_slice({k: v for k, v in tables.items() if k in INPUT_SHEETS}, end)
    ev = evaluate(archive, settings, today=as_of)
    problems += [str(p) for p in ev.problems]
    et = ev.tables
    col = et["collaborations"]
    month_col = _in_month(collab_dates(col), period)
    month_keys = set(frames.texts(col, "creator_key")[month_col].dropna())
    mc = col[month_col]
    out = et["outreach"]
    out_month = out[_in_month(frames.dates(out, "contacted_at"), period)]
    cre = et["creators"]
    mix = tier_mix(et)
    month_campaigns = sorted({c for c in frames.texts(mc, "campaign") if c})
    history = score_history(archive, settings, today=as_of, kinds=("month",))
    return ReportData(
        month=period,
        as_of=as_of,
        base_currency=settings.base_currency,
        summary=month_summary(period, as_of, month_keys, mc, out_month, mix, settings),
        tier_mix=mix,
        roi_ranked=roi_ranking(archive, period, month_keys, settings, as_of),
        funnel=month_funnel(out_month),
        by_market=spend_by_market(cre, mc),
        lifts=tier_review(et, quoted_fee_base=quoted_fee_base(cre, settings)),
        playbook=playbook(et, er_benchmarks=getattr(settings, "er_benchmarks", None), today=as_of, settings=settings),
        reminders=reminders(et, as_of, settings=settings),
        agencies=agency_scorecard(et, settings, today=as_of),
        pilots=pilot_gates(et, settings, month_campaigns),
        quotes=quote_check(et, settings),
        duplicates=duplicate_creators(frames.table(tables, "creators")),
        blacklist=blacklist_hits(et),
        trend=trend_cells(history, KIND_MONTH),
        problems=problems,
    )
