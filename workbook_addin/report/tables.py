"""The report's tables, formatted once (bilingual headers, text cells, row classes) for both the
HTML and the PDF: :func:`tables_for` is the one place a report number becomes text."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..insights import frames
from ..insights.agencies import COLUMNS as AGENCY_COLUMNS
from ..insights.duplicates import BLACKLIST_COLUMNS
from ..insights.duplicates import COLUMNS as DUPLICATE_COLUMNS
from ..insights.pilot import KPIS, RULE as PILOT_RULE, PilotGate
from ..insights.playbook import COLUMNS as PLAYBOOK_COLUMNS
from ..insights.quotes import COLUMNS as QUOTE_COLUMNS
from ..insights.quotes import RULE as QUOTE_RULE
from ..insights.reminders import COLUMNS as REMINDER_COLUMNS
from ..insights.tier_review import COLUMNS as LIFT_COLUMNS
from .data import TOP_N, ReportData
from .format import date, headers, money, num, pct, pct_ci, text


@dataclass
class Table:
    """A table ready to show: bilingual headers and formatted cells."""

    headers: list[str]
    rows: list[list[str]]
    row_classes: list[str] = field(default_factory=list)
    note: str = ""

    def __len__(self) -> int:
        return len(self.rows)


def roi_table(r: pd.DataFrame, base: str) -> Table:
    """The month's top and bottom creators by ROI, with the engine's explanation."""
    return Table(
        ["达人键 Creator key", "等级 Tier", "总分 Score", f"成本 Cost ({base})", f"成交额 GMV ({base})", "ROI",
         "评分说明 Why this score"],
        [[text(x.creator_key), text(x.tier), num(x.score), money(x.total_cost), money(x.gmv), pct(x.roi),
          text(x.explanation)] for x in r.itertuples()],
        ["good" if x.roi >= 0 else "bad" for x in r.itertuples()],
        note=f"本月合作按 ROI 排序，前 {TOP_N} 与后 {TOP_N} 名 Collaborations this month by ROI: top and bottom "
             f"{TOP_N}.",
    )


def lift_table(lifts: pd.DataFrame) -> Table:
    """What S/A creators share: every feature value, ranked by the lower bound of its lift."""
    return Table(
        headers(LIFT_COLUMNS, ["feature", "value", "creators", "top", "top_rate", "lift", "too_few"]),
        [
            [text(x.feature), text(x.value), str(x.creators), str(x.top), pct_ci(x.top_rate, x.top_rate_low,
                                                                                 x.top_rate_high),
             num(x.lift, 2), text(x.too_few)]
            for x in lifts.itertuples()
        ],
        ["few" if x.too_few else "" for x in lifts.itertuples()],
        note="提升度 = P(S/A | 特征) / P(S/A)，按区间下限排序；括号内为 95% Wilson 区间；灰色行样本不足。 "
        "Lift = P(S/A | feature) / P(S/A), ranked by its lower bound; brackets: 95% Wilson interval; "
        "grey rows have too few creators.",
    )


def reminder_table(rem: pd.DataFrame) -> Table:
    """Reminders, overdue ones marked."""
    return Table(
        headers(REMINDER_COLUMNS, ["kind", "creator_key", "collab_id", "due_date", "days_left", "message"]),
        [[text(x.kind), text(x.creator_key), text(x.collab_id), date(x.due_date), str(x.days_left),
          text(x.message)] for x in rem.itertuples()],
        ["bad" if x.days_left < 0 else "" for x in rem.itertuples()],
    )


def agency_table(ag: pd.DataFrame) -> Table:
    """The agency scorecard with Wilson intervals on its rates."""
    return Table(
        headers(AGENCY_COLUMNS, ["agency", "creators", "contacts", "reply_rate", "agreed_rate", "median_score",
                                 "tier_mix", "spend", "gmv", "roi",
                                 "on_time"]),
        [
            [text(x.agency), str(x.creators), str(x.contacts), pct_ci(x.reply_rate, x.reply_rate_low,
                                                                      x.reply_rate_high),
             pct_ci(x.agreed_rate, x.agreed_rate_low, x.agreed_rate_high), num(x.median_score), text(x.tier_mix),
             money(x.spend), money(x.gmv), pct(x.roi), f"{x.on_time}/{x.posts_due}"]
            for x in ag.itertuples()
        ],
        ["few" if x.too_few else "" for x in ag.itertuples()],
        note="回复率与谈妥率括号内为 95% Wilson 区间；灰色行联系次数不足。 Rates with 95% Wilson intervals; grey rows "
             "have too few contacts.",
    )


def pilot_table(pilots: list[PilotGate]) -> Table:
    """One row per pilot campaign: each KPI's actual / target and the recommendation."""
    rows, classes = [], []
    for g in pilots:
        k = g.kpis.set_index("kpi")
        cells = []
        for kpi in KPIS:
            a, tgt, met = k.at[kpi, "actual"], k.at[kpi, "target"], k.at[kpi, "met"]
            fmt = pct if kpi == "er" else (lambda v: num(v, 2)) if kpi == "roas" else money
            mark = "" if met is None else (" ✓" if met else " ✗")
            cells.append(f"{fmt(a)} / {fmt(tgt)}{mark}")
        rows.append([g.campaign, str(len(g.pilot_creators)), f"{g.posts_live}/{g.posts}", *cells, g.decision_label,
                     g.reason])
        classes.append({"scale": "good", "stop": "bad"}.get(g.decision, ""))
    return Table(
        ["活动 Campaign", "试点达人 Pilot creators", "已发布 Live",
         *[f"{frames.bilingual(*KPIS[k])} 实际/目标 actual/target" for k in KPIS],
         "建议 Recommendation", "依据 Why"],
        rows,
        classes,
        note=PILOT_RULE,
    )


def playbook_table(pb: pd.DataFrame) -> Table:
    """Reply and agreement rates per outreach template, channel, ..."""
    return Table(
        headers(PLAYBOOK_COLUMNS, ["dimension", "group", "contacts", "reply_rate", "median_reply_hours", "agreed_rate",
                                   "too_few"]),
        [
            [text(x.dimension), text(x.group), str(x.contacts), pct_ci(x.reply_rate, x.reply_rate_low,
                                                                       x.reply_rate_high),
             num(x.median_reply_hours), pct_ci(x.agreed_rate, x.agreed_rate_low, x.agreed_rate_high), text(x.too_few)]
            for x in pb.itertuples()
        ],
        ["few" if x.too_few else "" for x in pb.itertuples()],
        note="截至数据日期的全部建联；灰色行联系次数不足，勿据此判断优劣。 All outreach to date; grey rows have too "
             "few contacts to call a winner.",
    )


def quote_table(q: pd.DataFrame) -> Table:
    """Quoted fees against what comparable creators were paid; overpriced ones marked."""
    return Table(
        headers(QUOTE_COLUMNS, ["creator_key", "quoted_fee_base", "group", "history", "median", "q1", "q3",
                                "ratio_to_median", "overpriced",
                                "note"]),
        [
            [text(x.creator_key), money(x.quoted_fee_base), text(x.group), str(x.history), money(x.median), money(x.q1),
             money(x.q3),
             num(x.ratio_to_median, 2), text(x.overpriced), text(x.note)]
            for x in q.itertuples()
        ],
        ["bad" if x.overpriced else "" for x in q.itertuples()],
        note=QUOTE_RULE,
    )


def duplicate_tables(d: pd.DataFrame, b: pd.DataFrame) -> tuple[Table, Table]:
    """Suspected duplicate creators, and blacklisted creators contacted again."""
    duplicates = Table(
        headers(DUPLICATE_COLUMNS, list(DUPLICATE_COLUMNS)),
        [[str(x.row_a), text(x.creator_key_a), str(x.row_b), text(x.creator_key_b),
          text(x.evidence)] for x in d.itertuples()],
        note="疑似同一人，未自动合并，请人工确认。 Suspected same person; nothing was merged — please check.",
    )
    blacklist = Table(
        headers(BLACKLIST_COLUMNS, list(BLACKLIST_COLUMNS)),
        [[str(x.outreach_row), text(x.outreach_id), text(x.creator_key), text(x.blacklisted_key), date(x.contacted_at),
          text(x.reason),
          text(x.evidence)] for x in b.itertuples()],
        ["bad"] * len(b),
    )
    return duplicates, blacklist


def trend_table(tr: pd.DataFrame) -> Table:
    """Each creator's score and tier per month (a score without a tier says so)."""
    return Table(
        ["达人键 Creator key", *[str(c) for c in tr.columns]],
        [[str(k), *[text(v) or "–" for v in row]] for k, row in zip(tr.index, tr.to_numpy())],
        note="每月仅用当月合作重新评分（引擎计算）；“无等级”为数据不足。 "
             "Each month scored by the engine from that month's collaborations only; "
             "\"no tier\": too little data for a tier.",
    )


def tables_for(data: ReportData) -> dict[str, Table]:
    """Every report table, formatted once for both the HTML and the PDF."""
    duplicates, blacklist = duplicate_tables(data.duplicates, data.blacklist)
    return {
        "summary": Table(["指标 Measure", "数值 Value"], [[a, b] for a, b in data.summary]),
        "roi": roi_table(data.roi_ranked, data.base_currency),
        "tier_review": lift_table(data.lifts),
        "reminders": reminder_table(data.reminders),
        "agencies": agency_table(data.agencies),
        "pilot": pilot_table(data.pilots),
        "playbook": playbook_table(data.playbook),
        "quotes": quote_table(data.quotes),
        "duplicates": duplicates,
        "blacklist": blacklist,
        "trend": trend_table(data.trend),
    }
