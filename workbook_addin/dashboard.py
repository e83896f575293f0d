"""The dashboard sheet (看板 Dashboard): the refresh button, its status cell, KPIs and four charts.

Charts read small helper ranges on the same sheet. Tier counts, the funnel, the ROI ranking and the
KPIs are native Excel formulas over the Tables (they follow every edit); each also carries the value
the engine computed, so the charts are drawn before Excel recalculates. Spend and GMV by market join
collaborations to creators, which no cheap native formula can do over 10 000 rows, so those cells
hold the engine's figures and the refresh writes them again.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .build_formats import TIER_COLOURS, Formats, cached_value
from .schema import Schema
from .structured_refs import refs
from .vba import REFRESH_MACRO

DASHBOARD_SHEET = "看板 Dashboard"
STATUS_NAME = "RefreshStatus"
BUTTON_CAPTION = "刷新数据 Refresh metrics"
TOP_N = 10
#: Funnel stages in order; a contact counts for a stage when its status is that stage or a later one.
FUNNEL_STAGES = ("contacted", "replied", "negotiating", "agreed", "sample_shipped", "posted")
_REACHED = {
    "contacted": ("contacted", "replied", "negotiating", "agreed", "sample_shipped", "posted", "declined", "no_response"),
    "replied": ("replied", "negotiating", "agreed", "sample_shipped", "posted", "declined"),
    "negotiating": ("negotiating", "agreed", "sample_shipped", "posted"),
    "agreed": ("agreed", "sample_shipped", "posted"),
    "sample_shipped": ("sample_shipped", "posted"),
    "posted": ("posted",),
}


@dataclass
class DashboardLayout:
    """Cells the tests and the refresh job look for: name -> A1 reference on the dashboard."""

    cells: dict[str, str] = field(default_factory=dict)
    charts: list[str] = field(default_factory=list)


def _q(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _abs(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)


def _codes(schema: Schema, enum: str, series: pd.Series | None) -> pd.Series:
    if series is None:
        return pd.Series([], dtype=object)
    e = schema.enums[enum]
    return series.map(lambda v: e.normalise(v) if isinstance(v, str) else None)


def _num(frame: pd.DataFrame | None, key: str) -> pd.Series:
    if frame is None or key not in frame.columns:
        return pd.Series([], dtype=float)
    return pd.to_numeric(frame[key], errors="coerce")


def market_totals(schema: Schema, creators: pd.DataFrame | None, scores: pd.DataFrame | None
                  ) -> list[tuple[str, float, float]]:
    """(market label, spend, GMV) in base currency for every market with any spend or GMV."""
    if creators is None or scores is None or scores.empty or "creator_key" not in creators.columns:
        return []
    market = _codes(schema, "market", creators.get("country"))
    by_key = dict(zip(creators["creator_key"], market))
    joined = pd.DataFrame({
        "market": scores["creator_key"].map(by_key),
        "cost": _num(scores, "total_cost").fillna(0.0).to_numpy(),
        "gmv": _num(scores, "gmv").fillna(0.0).to_numpy(),
    })
    joined["market"] = joined["market"].fillna("Other")
    sums = joined.groupby("market", sort=False)[["cost", "gmv"]].sum()
    enum = schema.enums["market"]
    out = []
    for code in enum.codes:
        if code in sums.index and (sums.loc[code, "cost"] or sums.loc[code, "gmv"]):
            out.append((enum.label_of(code), float(sums.loc[code, "cost"]), float(sums.loc[code, "gmv"])))
    return out


def build_dashboard(book: Workbook, ws: Worksheet, fmt: Formats, schema: Schema, tables: dict[str, pd.DataFrame],
                    status_text: str) -> DashboardLayout:
    layout = DashboardLayout()
    sheet = DASHBOARD_SHEET
    scores = tables.get("scores")
    outreach = tables.get("outreach")
    collabs = tables.get("collaborations")
    creators = tables.get("creators")
    sc, out, co, cr = refs("scores", schema), refs("outreach", schema), refs("collaborations", schema), refs("creators", schema)

    ws.hide_gridlines(2)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 1)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 4, 15)
    ws.set_column(5, 5, 3)
    ws.set_column(6, 18, 10)
    ws.write_string(0, 0, "联星达人评估看板 Lianxing creator dashboard", fmt.title())
    ws.set_row(0, 28)

    # The button and the status cell the refresh macro writes into.
    ws.insert_button(2, 0, {"macro": REFRESH_MACRO, "caption": BUTTON_CAPTION, "width": 190, "height": 34})
    ws.write_string(2, 2, "上次刷新 Last refresh", fmt.get(bold=True, font_color="#595959"))
    ws.merge_range(3, 2, 3, 8, status_text, fmt.get(italic=True, font_color="#375623", bg_color="#F2F7EE", border=1))
    book.define_name(STATUS_NAME, f"={_q(sheet)}!{_abs(3, 2)}")
    layout.cells[STATUS_NAME] = f"{_abs(3, 2)}"

    # KPI tiles.
    kpi_label = fmt.get(bold=True, font_color="#FFFFFF", bg_color="#1F4E78", align="center", text_wrap=True)
    cost = _num(collabs, "total_cost").sum(min_count=1)
    gmv = _num(collabs, "gmv_base").sum(min_count=1)
    kpis = [
        ("达人数 Creators", f"=COUNTA({cr.col('handle')})", len(creators) if creators is not None else 0, "#,##0"),
        ("合作数 Collaborations", f"=COUNTA({co.col('collab_id')})", len(collabs) if collabs is not None else 0, "#,##0"),
        ("总成本 Spend (base)", f"=SUM({co.col('total_cost')})", 0.0 if pd.isna(cost) else float(cost), "#,##0"),
        ("成交额 GMV (base)", f"=SUM({co.col('gmv_base')})", 0.0 if pd.isna(gmv) else float(gmv), "#,##0"),
        ("整体 ROAS Overall ROAS", f'=IFERROR(SUM({co.col("gmv_base")})/SUM({co.col("total_cost")}),"")',
         (float(gmv) / float(cost)) if cost and not pd.isna(cost) and not pd.isna(gmv) else "", "0.00"),
    ]
    for i, (label, formula, value, num_format) in enumerate(kpis):
        ws.write_string(5, i, label, kpi_label)
        layout.cells[f"kpi_{i}"] = _abs(6, i)
        ws.write_formula(6, i, formula,
                         fmt.get(num_format=num_format, bold=True, font_size=16, align="center", font_color="#1F4E78"),
                         cached_value(value))
    ws.set_row(5, 30)
    ws.set_row(6, 30)

    head = fmt.get(bold=True, bg_color="#DDEBF7", border=1)
    r0 = 9
    # 1. Tier distribution.
    ws.write_string(r0 - 1, 0, "等级分布 Tier distribution", fmt.subtitle())
    ws.write_string(r0, 0, "等级 Tier", head)
    ws.write_string(r0, 1, "达人数 Creators", head)
    tiers = scores["tier"] if scores is not None and "tier" in scores.columns else pd.Series([], dtype=object)
    for i, code in enumerate(schema.enums["tier"].codes):
        ws.write_string(r0 + 1 + i, 0, code, fmt.get(bold=True, bg_color=TIER_COLOURS[code][0]))
        count = int((tiers == code).sum())
        ws.write_formula(r0 + 1 + i, 1, f'=COUNTIF({sc.col("tier")},"{code}")', fmt.get(num_format="0"), count)
    tier_rows = (r0 + 1, r0 + len(schema.enums["tier"].codes))
    layout.cells["tier_counts"] = f"{_abs(tier_rows[0], 1)}:{_abs(tier_rows[1], 1)}"

    # 2. Outreach funnel (cumulative: reached this stage or a later one).
    f0 = tier_rows[1] + 3
    ws.write_string(f0 - 1, 0, "建联漏斗 Outreach funnel", fmt.subtitle())
    ws.write_string(f0, 0, "阶段 Stage", head)
    ws.write_string(f0, 1, "联系数 Contacts", head)
    funnel = schema.enums["funnel"]
    status = _codes(schema, "funnel", outreach["status"]) if outreach is not None and "status" in outreach.columns else pd.Series([], dtype=object)
    for i, stage in enumerate(FUNNEL_STAGES):
        reached = _REACHED[stage]
        words = []
        for code in reached:
            words += [funnel.label_of(code), code]
        criteria = ",".join(f'"{w}"' for w in dict.fromkeys(words))
        ws.write_string(f0 + 1 + i, 0, funnel.label_of(stage))
        ws.write_formula(f0 + 1 + i, 1, f"=SUMPRODUCT(COUNTIF({out.col('status')},{{{criteria}}}))",
                         fmt.get(num_format="0"), int(status.isin(reached).sum()))
    funnel_rows = (f0 + 1, f0 + len(FUNNEL_STAGES))
    layout.cells["funnel_counts"] = f"{_abs(funnel_rows[0], 1)}:{_abs(funnel_rows[1], 1)}"

    # 3. Top creators by ROI.
    t0 = funnel_rows[1] + 3
    ws.write_string(t0 - 1, 0, f"ROI 最高的 {TOP_N} 位达人 Top {TOP_N} creators by ROI", fmt.subtitle())
    ws.write_string(t0, 0, "达人 Creator", head)
    ws.write_string(t0, 1, "ROI", head)
    ranked: list[tuple[str, float]] = []
    if scores is not None and "roi" in scores.columns:
        roi = _num(scores, "roi")
        order = roi.dropna().sort_values(ascending=False, kind="mergesort")
        ranked = [(str(scores["handle"].iloc[scores.index.get_loc(i)]), float(v)) for i, v in order.items()]
        # MATCH finds the first row holding a value; ties show that row's creator, as Excel does.
        first_handle = {}
        for h, v in zip(scores["handle"], roi):
            if not pd.isna(v):
                first_handle.setdefault(float(v), str(h))
        ranked = [(first_handle[v], v) for _, v in ranked]
    for i in range(TOP_N):
        rr = t0 + 1 + i
        roi_cell = xl_rowcol_to_cell(rr, 1)
        handle, value = ranked[i] if i < len(ranked) else ("", "")
        ws.write_formula(rr, 1, f'=IFERROR(LARGE({sc.col("roi")},{i + 1}),"")', fmt.get(num_format="0%"), value)
        ws.write_formula(rr, 0, f'=IF({roi_cell}="","",INDEX({sc.col("handle")},MATCH({roi_cell},{sc.col("roi")},0)))',
                         fmt.get(), handle)
    top_rows = (t0 + 1, t0 + TOP_N)
    layout.cells["top_roi"] = f"{_abs(top_rows[0], 0)}:{_abs(top_rows[1], 1)}"

    # 4. Spend vs GMV by market (engine figures; see the module docstring).
    m0 = top_rows[1] + 3
    ws.write_string(m0 - 1, 0, "各市场成本与成交额 Spend vs GMV by market", fmt.subtitle())
    ws.write_string(m0, 0, "市场 Market", head)
    ws.write_string(m0, 1, "总成本 Spend", head)
    ws.write_string(m0, 2, "成交额 GMV", head)
    ws.write_string(m0, 3, "由刷新数据更新 Updated by Refresh", fmt.get(italic=True, font_color="#7F7F7F", font_size=8))
    markets = market_totals(schema, creators, scores) or [("", 0.0, 0.0)]
    for i, (label, spend, sales) in enumerate(markets):
        ws.write_string(m0 + 1 + i, 0, label)
        ws.write_number(m0 + 1 + i, 1, round(spend, 2), fmt.get(num_format="#,##0"))
        ws.write_number(m0 + 1 + i, 2, round(sales, 2), fmt.get(num_format="#,##0"))
    market_rows = (m0 + 1, m0 + len(markets))
    layout.cells["market_totals"] = f"{_abs(market_rows[0], 0)}:{_abs(market_rows[1], 2)}"
    book.define_name("Dashboard_Markets", f"={_q(sheet)}!{_abs(market_rows[0], 0)}:{_abs(market_rows[1], 2)}")

    # Charts, to the right of the helper ranges.
    def rng(r1: int, c1: int, r2: int, c2: int) -> str:
        return f"={_q(sheet)}!{_abs(r1, c1)}:{_abs(r2, c2)}"

    font = {"name": "Microsoft YaHei", "size": 9}
    chart = book.add_chart({"type": "column"})
    chart.add_series({
        "name": "达人数 Creators",
        "categories": rng(tier_rows[0], 0, tier_rows[1], 0),
        "values": rng(tier_rows[0], 1, tier_rows[1], 1),
        "points": [{"fill": {"color": TIER_COLOURS[c][0]}, "border": {"color": TIER_COLOURS[c][1]}}
                   for c in schema.enums["tier"].codes],
        "data_labels": {"value": True},
    })
    chart.set_title({"name": "等级分布 Tier distribution", "name_font": {**font, "size": 12}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_font": font})
    chart.set_y_axis({"num_font": font, "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    chart.set_size({"width": 480, "height": 300})
    ws.insert_chart(8, 6, chart)
    layout.charts.append("tier_distribution")

    chart = book.add_chart({"type": "bar"})
    chart.add_series({
        "name": "联系数 Contacts",
        "categories": rng(funnel_rows[0], 0, funnel_rows[1], 0),
        "values": rng(funnel_rows[0], 1, funnel_rows[1], 1),
        "fill": {"color": "#2E75B6"}, "data_labels": {"value": True},
    })
    chart.set_title({"name": "建联漏斗 Outreach funnel", "name_font": {**font, "size": 12}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True, "num_font": font})
    chart.set_x_axis({"num_font": font})
    chart.set_size({"width": 480, "height": 300})
    ws.insert_chart(8, 12, chart)
    layout.charts.append("outreach_funnel")

    chart = book.add_chart({"type": "bar"})
    chart.add_series({
        "name": "ROI",
        "categories": rng(top_rows[0], 0, top_rows[1], 0),
        "values": rng(top_rows[0], 1, top_rows[1], 1),
        "fill": {"color": "#70AD47"}, "data_labels": {"value": True, "num_format": "0%"},
    })
    chart.set_title({"name": "ROI 最高的达人 Top creators by ROI", "name_font": {**font, "size": 12}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"reverse": True, "num_font": font, "label_position": "low"})
    chart.set_x_axis({"num_format": "0%", "num_font": font})
    chart.set_size({"width": 480, "height": 320})
    ws.insert_chart(25, 6, chart)
    layout.charts.append("top_roi")

    chart = book.add_chart({"type": "column"})
    chart.add_series({"name": "总成本 Spend", "categories": rng(market_rows[0], 0, market_rows[1], 0),
                      "values": rng(market_rows[0], 1, market_rows[1], 1), "fill": {"color": "#ED7D31"}})
    chart.add_series({"name": "成交额 GMV", "categories": rng(market_rows[0], 0, market_rows[1], 0),
                      "values": rng(market_rows[0], 2, market_rows[1], 2), "fill": {"color": "#4472C4"}})
    chart.set_title({"name": "各市场成本与成交额 Spend vs GMV by market", "name_font": {**font, "size": 12}})
    chart.set_legend({"position": "bottom", "font": font})
    chart.set_x_axis({"num_font": font})
    chart.set_y_axis({"num_format": "#,##0", "num_font": font,
                      "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    chart.set_size({"width": 480, "height": 320})
    ws.insert_chart(25, 12, chart)
    layout.charts.append("spend_vs_gmv_by_market")
    return layout
