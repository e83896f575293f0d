"""The monthly report: one bilingual page ops staff and their manager read at month end.

``build_report(tables, "2026-11")`` gathers every number (scores, tiers, ROI and explanations
from ``engine.evaluate``; the rest from :mod:`workbook_addin.insights`); ``render_html`` writes a
self-contained HTML page (charts embedded as base64 SVG, no external files or fonts needed) and
``render_pdf`` a PDF.

Why the PDF is drawn with matplotlib's ``PdfPages`` rather than converted from the HTML: it is
pure Python, so it works the same on a Windows laptop without LibreOffice as on a Linux server,
needs no browser, and gives a fixed, testable page layout (:data:`PDF_PAGES`). The HTML is the
richer, interactive-friendly view; the PDF is the one to attach to an e-mail.

Personal data (display names, e-mails, contacts) never appears: creators are named by their key.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import charts
from ..insights import frames
from ..insights.agencies import COLUMNS as AGENCY_COLUMNS
from ..insights.agencies import agency_scorecard
from ..insights.duplicates import BLACKLIST_COLUMNS, blacklist_hits, duplicate_creators
from ..insights.duplicates import COLUMNS as DUPLICATE_COLUMNS
from ..insights.history import KIND_MONTH, score_history, slice_tables, trend
from ..insights.pilot import DECISIONS, KPIS, RULE as PILOT_RULE, PilotGate, collab_dates, pilot_gates
from ..insights.playbook import COLUMNS as PLAYBOOK_COLUMNS
from ..insights.playbook import outreach_facts, playbook
from ..insights.quotes import COLUMNS as QUOTE_COLUMNS
from ..insights.quotes import RULE as QUOTE_RULE
from ..insights.quotes import quote_check, quoted_fee_base
from ..insights.reminders import COLUMNS as REMINDER_COLUMNS
from ..insights.reminders import reminders
from ..insights.stats import proportion
from ..insights.tier_review import COLUMNS as LIFT_COLUMNS
from ..insights.tier_review import tier_mix, tier_review
from ..core.text_width import display_width, wrap

#: The PDF's pages, in order; every report has exactly these (a section without data says so).
PDF_PAGES: tuple[str, ...] = (
    "概览 Summary",
    "市场与 ROI Markets and ROI",
    "达人排名 Top and bottom creators",
    "S/A 达人共性 S-tier review",
    "提醒与试点 Reminders and pilot gate",
    "服务商与话术 Agencies and playbook",
    "报价、重复与趋势 Quotes, duplicates and trends",
)

#: HTML section ids and titles, in order
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "概览 Summary"),
    ("tiers", "等级分布 Tier distribution"),
    ("roi", "达人 ROI 排名 Top and bottom creators by ROI"),
    ("funnel", "建联漏斗 Outreach funnel"),
    ("markets", "各市场花费与成交额 Spend vs GMV by market"),
    ("tier-review", "S/A 达人共性 S-tier review"),
    ("reminders", "提醒 Reminders"),
    ("agencies", "服务商评分卡 Agency scorecard"),
    ("pilot", "试点评估 Pilot gate"),
    ("playbook", "话术复盘 Outreach playbook"),
    ("quotes", "报价检查 Quote check"),
    ("duplicates", "重复达人与黑名单 Duplicates and blacklist"),
    ("trend", "评分趋势 Score trend"),
)

TOP_N = 5


@dataclass
class Table:
    """A table ready to show: bilingual headers and formatted cells."""

    headers: list[str]
    rows: list[list[str]]
    row_classes: list[str] = field(default_factory=list)
    note: str = ""

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class ReportData:
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
        return f"达人月报 {self.month} Creator report {self.month}"


# ----------------------------------------------------------------------------- gathering


def settings_from_tables(tables: Mapping[str, pd.DataFrame]) -> tuple[Any, list[str]]:
    """The Settings the workbook carries (``workbook_io.read_tables`` adds a "settings" frame and
    the er_benchmarks / fx_rates tables), else the template defaults."""
    from ..core.settings import Settings

    frame = tables.get("settings")
    if frame is None or frame.empty:
        return Settings.defaults(), []
    values = {k: v for k, v in frame["value"].items() if not (isinstance(v, float) and math.isnan(v)) and v is not None and v != ""}
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


def build_report(tables: Mapping[str, pd.DataFrame], month: str | pd.Period, *, settings: Any = None, today: Any = None) -> ReportData:
    """Everything the report shows for ``month`` ("2026-11"), evaluated as of the month's end
    (or ``today`` when the month is still running)."""
    from ..engine.evaluation import evaluate
    from ..engine.metrics import funnel as engine_funnel
    from ..engine.metrics import roas as engine_roas
    from ..engine.metrics import roi as engine_roi

    period = pd.Period(month, "M")
    problems: list[str] = []
    if settings is None:
        settings, problems = settings_from_tables(tables)
    end = period.to_timestamp(how="end").normalize()
    as_of = min(end, frames.as_date(today))
    if as_of < period.to_timestamp(how="start"):
        as_of = end
    inputs = {k: v for k, v in tables.items() if k in ("creators", "outreach", "collaborations", "reviews", "snapshots")}
    # Everything up to the month's end: later months stay out of a past month's report, while the
    # month's own planned posts (promised for next week) stay in, for reminders and the pilot gate.
    archive = _as_of_slice(inputs, end)
    ev = evaluate(archive, settings, today=as_of)
    problems += [str(p) for p in ev.problems]
    et = ev.tables
    base = settings.base_currency

    col = et["collaborations"]
    month_col = _in_month(collab_dates(col), period)
    month_keys = set(frames.texts(col, "creator_key")[month_col].dropna())
    # The month's own scoring round: its collaborations only, scored by the engine.
    month_ev = evaluate(slice_tables(archive, month_col, snapshot_until=as_of), settings, today=as_of)
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
    ranked = ranked.reset_index(drop=True)

    out = et["outreach"]
    out_month = out[_in_month(frames.dates(out, "contacted_at"), period)]
    funnel = engine_funnel(out_month) if len(out_month) else pd.DataFrame({"stage": [], "reached": []})
    if len(funnel):
        funnel = funnel[["stage", "reached"]].copy()
        funnel["label"] = funnel["stage"].map(lambda s: frames.label("funnel", s))

    cre = et["creators"]
    market_of = dict(zip(frames.texts(cre, "creator_key"), frames.codes(cre, "country", "market")))
    mc = col[month_col]
    by_market = (
        pd.DataFrame(
            {
                "market": frames.texts(mc, "creator_key").map(lambda k: frames.label("market", market_of.get(k))),
                "spend": frames.numbers(mc, "total_cost"),
                "gmv": frames.numbers(mc, "gmv_base"),
            }
        )
        .groupby("market", as_index=False)
        .sum(min_count=1)
        .fillna(0.0)
        .sort_values("spend", ascending=False)
    )

    live = frames.dates(mc, "publish_date").notna()
    spend = float(frames.numbers(mc, "total_cost").sum())
    gmv = float(frames.numbers(mc, "gmv_base").sum())
    facts = outreach_facts({"outreach": out_month})
    reply = proportion(int(facts["replied"].sum()), len(facts))
    mix = tier_mix(et)
    summary = [
        ("报告月份 Month", str(period)),
        ("数据截至 Data as of", f"{as_of:%Y-%m-%d}"),
        ("本月合作达人 Creators with collaborations", f"{len(month_keys)}"),
        ("本月发布内容 Posts live", f"{int(live.sum())} / {len(mc)}"),
        ("本月建联 Contacts made", f"{len(out_month)}"),
        ("本月回复率 Reply rate", _pct_ci(reply.rate, reply.low, reply.high, reply.n)),
        (f"花费 Spend ({base})", _money(spend)),
        (f"成交额 GMV ({base})", _money(gmv)),
        ("ROAS", _num(float(engine_roas(gmv, spend)) if spend else np.nan, 2)),
        ("ROI", _pct(float(engine_roi(gmv, spend, frames.setting(settings, "gross_margin"))) if spend else np.nan)),
        ("S/A 达人（档案库）S/A creators (archive)", f"{int(mix.get('S', 0)) + int(mix.get('A', 0))} / {int(mix.sum())}"),
    ]

    month_campaigns = sorted({c for c in frames.texts(mc, "campaign") if c})
    history = score_history(archive, settings, today=as_of, kinds=("month",))
    return ReportData(
        month=period,
        as_of=as_of,
        base_currency=base,
        summary=summary,
        tier_mix=mix,
        roi_ranked=ranked,
        funnel=funnel,
        by_market=by_market,
        lifts=tier_review(et, quoted_fee_base=quoted_fee_base(cre, settings)),
        playbook=playbook(et, er_benchmarks=getattr(settings, "er_benchmarks", None)),
        reminders=reminders(et, as_of, settings=settings),
        agencies=agency_scorecard(et, settings, today=as_of),
        pilots=pilot_gates(et, settings, month_campaigns),
        quotes=quote_check(et, settings),
        duplicates=duplicate_creators(frames.table(tables, "creators")),
        blacklist=blacklist_hits(et),
        trend=trend(history, KIND_MONTH),
        problems=problems,
    )


# ----------------------------------------------------------------------------- formatting


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT


def _money(v: Any) -> str:
    return "–" if _missing(v) else f"{float(v):,.0f}"


def _num(v: Any, digits: int = 1) -> str:
    return "–" if _missing(v) else f"{float(v):,.{digits}f}"


def _pct(v: Any) -> str:
    return "–" if _missing(v) else f"{float(v):.0%}"


def _pct_ci(rate: float, low: float, high: float, n: int | None = None) -> str:
    if _missing(rate):
        return "–"
    text = f"{rate:.0%} ({low:.0%}–{high:.0%})"
    return f"{text}, n={n}" if n is not None else text


def _date(v: Any) -> str:
    return "–" if _missing(v) else f"{pd.Timestamp(v):%Y-%m-%d}"


def _text(v: Any) -> str:
    if _missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "是 Yes" if v else ""
    return str(v)


def _headers(columns: Mapping[str, tuple[str, str]], keys: Sequence[str]) -> list[str]:
    return [frames.bilingual(*columns[k]) for k in keys]


def tables_for(data: ReportData) -> dict[str, Table]:
    """Every report table, formatted once for both the HTML and the PDF."""
    t: dict[str, Table] = {}
    t["summary"] = Table(["指标 Measure", "数值 Value"], [[a, b] for a, b in data.summary])
    r = data.roi_ranked
    t["roi"] = Table(
        ["达人键 Creator key", "等级 Tier", "总分 Score", f"成本 Cost ({data.base_currency})", f"成交额 GMV ({data.base_currency})", "ROI", "评分说明 Why this score"],
        [[_text(x.creator_key), _text(x.tier), _num(x.score), _money(x.total_cost), _money(x.gmv), _pct(x.roi), _text(x.explanation)] for x in r.itertuples()],
        ["good" if x.roi >= 0 else "bad" for x in r.itertuples()],
        note=f"本月合作按 ROI 排序，前 {TOP_N} 与后 {TOP_N} 名 Collaborations this month by ROI: top and bottom {TOP_N}.",
    )
    # the strongest and the weakest signals: what S/A creators share, and what they lack
    lifts = data.lifts if len(data.lifts) <= 14 else pd.concat([data.lifts.head(9), data.lifts.tail(5)])
    t["tier_review"] = Table(
        _headers(LIFT_COLUMNS, ["feature", "value", "creators", "top", "top_rate", "lift", "too_few"]),
        [
            [_text(x.feature), _text(x.value), str(x.creators), str(x.top), _pct_ci(x.top_rate, x.top_rate_low, x.top_rate_high),
             _num(x.lift, 2), _text(x.too_few)]
            for x in lifts.itertuples()
        ],
        ["few" if x.too_few else "" for x in lifts.itertuples()],
        note="提升度 = P(S/A | 特征) / P(S/A)；括号内为 95% Wilson 区间；灰色行样本不足。 "
        "Lift = P(S/A | feature) / P(S/A); brackets: 95% Wilson interval; grey rows have too few creators.",
    )
    rem = data.reminders
    t["reminders"] = Table(
        _headers(REMINDER_COLUMNS, ["kind", "creator_key", "collab_id", "due_date", "days_left", "message"]),
        [[_text(x.kind), _text(x.creator_key), _text(x.collab_id), _date(x.due_date), str(x.days_left), _text(x.message)] for x in rem.itertuples()],
        ["bad" if x.days_left < 0 else "" for x in rem.itertuples()],
    )
    ag = data.agencies
    t["agencies"] = Table(
        _headers(AGENCY_COLUMNS, ["agency", "creators", "contacts", "reply_rate", "agreed_rate", "median_score", "tier_mix", "spend", "gmv", "roi", "on_time"]),
        [
            [_text(x.agency), str(x.creators), str(x.contacts), _pct_ci(x.reply_rate, x.reply_rate_low, x.reply_rate_high),
             _pct_ci(x.agreed_rate, x.agreed_rate_low, x.agreed_rate_high), _num(x.median_score), _text(x.tier_mix),
             _money(x.spend), _money(x.gmv), _pct(x.roi), f"{x.on_time}/{x.posts_due}"]
            for x in ag.itertuples()
        ],
        ["few" if x.too_few else "" for x in ag.itertuples()],
        note="回复率与谈妥率括号内为 95% Wilson 区间；灰色行联系次数不足。 Rates with 95% Wilson intervals; grey rows have too few contacts.",
    )
    rows, classes = [], []
    for g in data.pilots:
        k = g.kpis.set_index("kpi")
        cells = []
        for kpi in KPIS:
            a, tgt, met = k.at[kpi, "actual"], k.at[kpi, "target"], k.at[kpi, "met"]
            fmt = _pct if kpi == "er" else (lambda v: _num(v, 2)) if kpi == "roas" else _money
            mark = "" if met is None else (" ✓" if met else " ✗")
            cells.append(f"{fmt(a)} / {fmt(tgt)}{mark}")
        rows.append([g.campaign, str(len(g.pilot_creators)), f"{g.posts_live}/{g.posts}", *cells, g.decision_label, g.reason])
        classes.append({"scale": "good", "stop": "bad"}.get(g.decision, ""))
    t["pilot"] = Table(
        ["活动 Campaign", "试点达人 Pilot creators", "已发布 Live", *[f"{frames.bilingual(*KPIS[k])} 实际/目标 actual/target" for k in KPIS], "建议 Recommendation", "依据 Why"],
        rows,
        classes,
        note=PILOT_RULE,
    )
    pb = data.playbook
    t["playbook"] = Table(
        _headers(PLAYBOOK_COLUMNS, ["dimension", "group", "contacts", "reply_rate", "median_reply_hours", "agreed_rate", "too_few"]),
        [
            [_text(x.dimension), _text(x.group), str(x.contacts), _pct_ci(x.reply_rate, x.reply_rate_low, x.reply_rate_high),
             _num(x.median_reply_hours), _pct_ci(x.agreed_rate, x.agreed_rate_low, x.agreed_rate_high), _text(x.too_few)]
            for x in pb.itertuples()
        ],
        ["few" if x.too_few else "" for x in pb.itertuples()],
        note="截至数据日期的全部建联；灰色行联系次数不足，勿据此判断优劣。 All outreach to date; grey rows have too few contacts to call a winner.",
    )
    q = data.quotes
    t["quotes"] = Table(
        _headers(QUOTE_COLUMNS, ["creator_key", "quoted_fee_base", "group", "history", "median", "q1", "q3", "ratio_to_median", "overpriced", "note"]),
        [
            [_text(x.creator_key), _money(x.quoted_fee_base), _text(x.group), str(x.history), _money(x.median), _money(x.q1), _money(x.q3),
             _num(x.ratio_to_median, 2), _text(x.overpriced), _text(x.note)]
            for x in q.itertuples()
        ],
        ["bad" if x.overpriced else "" for x in q.itertuples()],
        note=QUOTE_RULE,
    )
    d = data.duplicates
    t["duplicates"] = Table(
        _headers(DUPLICATE_COLUMNS, list(DUPLICATE_COLUMNS)),
        [[str(x.row_a), _text(x.creator_key_a), str(x.row_b), _text(x.creator_key_b), _text(x.evidence)] for x in d.itertuples()],
        note="疑似同一人，未自动合并，请人工确认。 Suspected same person; nothing was merged — please check.",
    )
    b = data.blacklist
    t["blacklist"] = Table(
        _headers(BLACKLIST_COLUMNS, list(BLACKLIST_COLUMNS)),
        [[str(x.outreach_row), _text(x.outreach_id), _text(x.creator_key), _text(x.blacklisted_key), _date(x.contacted_at), _text(x.reason), _text(x.evidence)] for x in b.itertuples()],
        ["bad"] * len(b),
    )
    tr = data.trend
    t["trend"] = Table(
        ["达人键 Creator key", *[str(c) for c in tr.columns]],
        [[str(k), *[_num(v) for v in row]] for k, row in zip(tr.index, tr.to_numpy())],
        note="每月仅用当月合作重新评分（引擎计算）。 Each month scored by the engine from that month's collaborations only.",
    )
    return t


# ----------------------------------------------------------------------------- HTML


def chart_figures(data: ReportData) -> dict[str, Any]:
    return {
        "tiers": charts.tier_chart(data.tier_mix),
        "roi": charts.roi_chart(data.roi_ranked),
        "funnel": charts.funnel_chart(data.funnel),
        "markets": charts.spend_gmv_chart(data.by_market, data.base_currency),
        "tier-review": charts.lift_chart(data.lifts),
    }


def render_html(data: ReportData) -> str:
    """The report as one self-contained HTML page."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: resources.files("templates").joinpath("report", name).read_text(encoding="utf-8")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    figures = chart_figures(data)
    images = {k: charts.svg_data_uri(f) for k, f in figures.items()}
    return env.get_template("report.html.j2").render(
        data=data, tables=tables_for(data), charts=images, sections=SECTIONS, generated=dt.date.today().isoformat()
    )


# ----------------------------------------------------------------------------- PDF

A4_LANDSCAPE = (11.69, 8.27)


def _page(title: str, data: ReportData, number: int):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    with plt.rc_context(charts.style()):
        fig = Figure(figsize=A4_LANDSCAPE)
        fig.text(0.03, 0.965, title, fontsize=15, weight="bold", va="top")
        fig.text(0.97, 0.965, data.title, fontsize=8, ha="right", va="top", color="#666")
        fig.text(0.97, 0.02, f"{number} / {len(PDF_PAGES)}", fontsize=8, ha="right", color="#666")
    return fig


def _fit_columns(headers: Sequence[str], rows: Sequence[Sequence[str]], avail: int) -> list[int]:
    """Column widths (half-width character cells) that fit ``avail``: the widest column is
    narrowed (its text wrapped) until the table fits, never below 6 cells."""
    widths = []
    for i, h in enumerate(headers):
        cells = [str(r[i]) for r in rows]
        natural = max([display_width(line) for c in cells for line in c.split("\n")] + [1])
        word = max([display_width(w) for w in h.split()] + [1])
        widths.append(max(natural, min(word, 14), 3))
    while sum(widths) > avail and max(widths) > 6:
        i = int(np.argmax(widths))
        widths[i] = max(6, int(widths[i] * 0.85))
    return widths


def _draw_table(fig, rect: tuple[float, float, float, float], table: Table, title: str, *, font: float = 7.5) -> None:
    """A table drawn into ``rect`` (left, bottom, width, height as page fractions).

    Matplotlib tables neither wrap nor shrink, so the layout is done here: column widths from the
    text's display width (CJK counts double), long columns wrapped to fit the page, fixed line
    height in points, and rows that do not fit replaced by a "more rows in the HTML" note.
    """
    import matplotlib.pyplot as plt

    page_w, page_h = A4_LANDSCAPE
    with plt.rc_context(charts.style()):
        ax = fig.add_axes(rect)
        ax.axis("off")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(title, loc="left", fontsize=10, weight="bold")
        if not table.rows:
            ax.text(0, 0.97, "无 None", fontsize=8, color="#777", va="top")
            if table.note:
                ax.text(0, 0.85, wrap(table.note, 200), fontsize=6, color="#555", va="top")
            return
        char_w = font * 0.56 / 72 / (rect[2] * page_w)  # one half-width character, in axes width
        line_h = font * 1.3 / 72 / (rect[3] * page_h)  # one text line, in axes height
        avail = int(0.99 / char_w) - 2 * len(table.headers)
        widths = _fit_columns(table.headers, table.rows, avail)
        headers = [wrap(h, w) for h, w in zip(table.headers, widths)]
        cells_all = [[wrap(c, w) for c, w in zip(r, widths)] for r in table.rows]
        head_lines = max(h.count("\n") + 1 for h in headers)
        used = (head_lines + 0.4) * line_h
        cells: list[list[str]] = []
        heights: list[float] = []
        note_room = 3 * line_h if table.note else line_h
        for r in cells_all:
            h = (max(c.count("\n") + 1 for c in r) + 0.4) * line_h
            if used + h > 0.97 - note_room:  # matplotlib pads an "upper left" table ~0.02 from the top
                break
            cells.append(r)
            heights.append(h)
            used += h
        col_fracs = [(w + 2) * char_w for w in widths]
        tbl = ax.table(cellText=cells or None, colLabels=headers, colWidths=col_fracs, loc="upper left", cellLoc="left")
        tbl.auto_set_font_size(False)
        tbl.set_fontsize(font)
        for (r, c), cell in tbl.get_celld().items():
            cell.set_height((head_lines + 0.4) * line_h if r == 0 else heights[r - 1])
            cell.set_edgecolor("#ccc")
            cell.PAD = 0.02
            cls = table.row_classes[r - 1] if r > 0 and table.row_classes else ""
            if r == 0:
                cell.set_facecolor("#eef2f7")
                cell.set_text_props(weight="bold")
            elif cls == "bad":
                cell.set_facecolor("#fdecea")
            elif cls == "good":
                cell.set_facecolor("#e8f5e9")
            elif cls == "few":
                cell.get_text().set_color("#888")
        extra = len(table.rows) - len(cells)
        foot = (f"…另有 {extra} 行，见 HTML 报告 {extra} more rows in the HTML report. " if extra > 0 else "") + table.note
        if foot:
            ax.text(0, 1 - used - 0.04 - 0.4 * line_h, wrap(foot, int(1 / char_w * 0.8)), fontsize=font - 0.5, color="#555", va="top")


def render_pdf(data: ReportData, path: str | Path) -> Path:
    """Writes the report as a PDF with exactly :data:`PDF_PAGES` pages."""
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    t = tables_for(data)
    pages = []
    # 1 summary + tiers + funnel
    fig = _page(PDF_PAGES[0], data, 1)
    _draw_table(fig, (0.04, 0.12, 0.36, 0.75), t["summary"], "本月概览 This month", font=9)
    charts.tier_chart(data.tier_mix, ax=fig.add_axes((0.50, 0.55, 0.45, 0.33)))
    charts.funnel_chart(data.funnel, ax=fig.add_axes((0.58, 0.10, 0.37, 0.35)))
    pages.append(fig)
    # 2 markets + ROI chart
    fig = _page(PDF_PAGES[1], data, 2)
    charts.spend_gmv_chart(data.by_market, data.base_currency, ax=fig.add_axes((0.07, 0.55, 0.88, 0.33)))
    charts.roi_chart(data.roi_ranked, ax=fig.add_axes((0.25, 0.08, 0.70, 0.37)))
    pages.append(fig)
    # 3 top / bottom creators with the engine's reasons
    fig = _page(PDF_PAGES[2], data, 3)
    _draw_table(fig, (0.03, 0.08, 0.94, 0.80), t["roi"], SECTIONS[2][1])
    pages.append(fig)
    # 4 S-tier review
    fig = _page(PDF_PAGES[3], data, 4)
    charts.lift_chart(data.lifts, ax=fig.add_axes((0.30, 0.52, 0.65, 0.36)))
    _draw_table(fig, (0.03, 0.06, 0.94, 0.38), t["tier_review"], SECTIONS[5][1])
    pages.append(fig)
    # 5 reminders + pilot gate
    fig = _page(PDF_PAGES[4], data, 5)
    _draw_table(fig, (0.03, 0.52, 0.94, 0.36), t["reminders"], SECTIONS[6][1])
    _draw_table(fig, (0.03, 0.08, 0.94, 0.34), t["pilot"], SECTIONS[8][1])
    pages.append(fig)
    # 6 agencies + playbook (templates only, the rest in the HTML)
    fig = _page(PDF_PAGES[5], data, 6)
    _draw_table(fig, (0.03, 0.56, 0.94, 0.32), t["agencies"], SECTIONS[7][1])
    templates_only = Table(t["playbook"].headers, [r for r in t["playbook"].rows if r[0].startswith("话术模板")],
                           [c for r, c in zip(t["playbook"].rows, t["playbook"].row_classes) if r[0].startswith("话术模板")], t["playbook"].note)
    _draw_table(fig, (0.03, 0.08, 0.94, 0.36), templates_only, SECTIONS[9][1] + "：话术模板 by template")
    pages.append(fig)
    # 7 quotes, duplicates and blacklist, trend
    fig = _page(PDF_PAGES[6], data, 7)
    _draw_table(fig, (0.03, 0.50, 0.94, 0.40), t["quotes"], SECTIONS[10][1], font=6.5)
    _draw_table(fig, (0.03, 0.28, 0.45, 0.17), t["duplicates"], "重复达人 Duplicates", font=6.5)
    _draw_table(fig, (0.52, 0.28, 0.45, 0.17), t["blacklist"], "黑名单达人再次建联 Blacklisted creators contacted", font=6.5)
    _draw_table(fig, (0.03, 0.03, 0.94, 0.20), t["trend"], SECTIONS[12][1], font=6.5)
    pages.append(fig)
    assert len(pages) == len(PDF_PAGES)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".pdf.tmp")
    import matplotlib.pyplot as plt

    with plt.rc_context(charts.style()), charts.quiet_glyphs(), PdfPages(tmp, metadata={"Title": data.title, "Creator": "lianxing report"}) as pdf:
        for page in pages:
            pdf.savefig(page)
    tmp.replace(path)
    return path


def write_report(tables: Mapping[str, pd.DataFrame], month: str, out_dir: str | Path, *, formats: Sequence[str] = ("html", "pdf"),
                 settings: Any = None, today: Any = None) -> list[Path]:
    """Builds the report and writes ``lianxing_report_<month>.html`` / ``.pdf`` into ``out_dir``."""
    data = build_report(tables, month, settings=settings, today=today)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    stem = f"lianxing_report_{data.month}"
    if "html" in formats:
        target = out / f"{stem}.html"
        tmp = target.with_suffix(".html.tmp")
        tmp.write_text(render_html(data), encoding="utf-8")
        tmp.replace(target)
        written.append(target)
    if "pdf" in formats:
        written.append(render_pdf(data, out / f"{stem}.pdf"))
    return written


__all__ = ["build_report", "render_html", "render_pdf", "write_report", "PDF_PAGES", "SECTIONS", "DECISIONS"]
