"""The dashboard sheet (看板 Dashboard): the refresh button, its status cell, KPIs and four charts.

Charts read small helper ranges on the same sheet, all native Excel formulas over the Tables, so
they follow every edit: KPIs, tier counts, the funnel, the ROI ranking, and spend and GMV per
market (SUMIFS over Scores' country column, plus an "other markets" row with the rest). Each
formula also carries the value :func:`cached_values` computes from the engine's tables: the build
writes them, and the headless refresh writes them again (the workbook does not recalculate on open).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .formats import TIER_COLOURS, Formats, cached_value
from ..core.schema import Schema
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


MARKETS_NAME = "Dashboard_Markets"
OTHER_MARKETS = "其他市场 Other markets"
KPI_FORMATS = ("#,##0", "#,##0", "#,##0", "#,##0", "0.00")


@dataclass
class DashboardLayout:
    """Where the helper ranges sit. ``cells``: name -> A1 reference (tests, the refresh job);
    ``markets``: the market labels of the Spend-vs-GMV rows, fixed when the workbook was built."""

    markets: list[str] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)
    charts: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # first row (0-based) of each helper range


def _q(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _abs(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)


def _ref(row: int, col: int) -> str:
    return xl_rowcol_to_cell(row, col)


def _codes(schema: Schema, enum: str, series: pd.Series | None) -> pd.Series:
    if series is None:
        return pd.Series([], dtype=object)
    e = schema.enums[enum]
    return series.map(lambda v: e.normalise(v) if isinstance(v, str) else None)


def _num(frame: pd.DataFrame | None, key: str) -> pd.Series:
    if frame is None or key not in frame.columns:
        return pd.Series([], dtype=float)
    return pd.to_numeric(frame[key], errors="coerce")


def market_labels(schema: Schema, scores: pd.DataFrame | None, target_markets: tuple[str, ...] = ()) -> list[str]:
    """The market rows a build lays out: every market with spend or GMV in Scores, and every target
    market, in the enum's order. Markets added later land in the "other markets" row."""
    enum = schema.enums["market"]
    wanted = {enum.normalise(m) for m in target_markets}
    if scores is not None and len(scores) and "country" in scores.columns:
        codes = _codes(schema, "market", scores["country"])
        has_data = (_num(scores, "total_cost").fillna(0.0) != 0) | (_num(scores, "gmv").fillna(0.0) != 0)
        wanted |= set(codes[has_data.to_numpy()].dropna())
    return [enum.label_of(code) for code in enum.codes if code in wanted]


def dashboard_layout(schema: Schema, markets: list[str]) -> DashboardLayout:
    """The positions of every helper range: a function of the schema and the market rows only, so
    the refresh job finds the cells of a workbook built earlier."""
    layout = DashboardLayout(markets=list(markets))
    layout.cells[STATUS_NAME] = _abs(3, 2)
    for i in range(len(KPI_FORMATS)):
        layout.cells[f"kpi_{i}"] = _abs(6, i)
    n_tiers = len(schema.enums["tier"].codes)
    r0 = 9
    tier_rows = (r0 + 1, r0 + n_tiers)
    f0 = tier_rows[1] + 3
    funnel_rows = (f0 + 1, f0 + len(FUNNEL_STAGES))
    t0 = funnel_rows[1] + 3
    top_rows = (t0 + 1, t0 + TOP_N)
    m0 = top_rows[1] + 3
    market_rows = (m0 + 1, m0 + len(markets) + 1)  # + the "other markets" row
    layout.rows = {"tiers": r0, "funnel": f0, "top": t0, "markets": m0}
    layout.cells["tier_counts"] = f"{_abs(tier_rows[0], 1)}:{_abs(tier_rows[1], 1)}"
    layout.cells["funnel_counts"] = f"{_abs(funnel_rows[0], 1)}:{_abs(funnel_rows[1], 1)}"
    layout.cells["top_roi"] = f"{_abs(top_rows[0], 0)}:{_abs(top_rows[1], 1)}"
    layout.cells["market_totals"] = f"{_abs(market_rows[0], 0)}:{_abs(market_rows[1], 2)}"
    return layout


def markets_from_labels(labels: list[object]) -> list[str]:
    """The layout's markets from the first column of the workbook's ``Dashboard_Markets`` range."""
    out = []
    for label in labels:
        if label == OTHER_MARKETS:
            break
        out.append(str(label))
    return out


def _funnel_criteria(schema: Schema, stage: str) -> str:
    funnel = schema.enums["funnel"]
    words = []
    for code in _REACHED[stage]:
        words += [funnel.label_of(code), code]
    return ",".join(f'"{w}"' for w in dict.fromkeys(words))


def _excel_text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def formulas(schema: Schema, layout: DashboardLayout) -> dict[str, str]:
    """Every helper formula on the dashboard: A1 reference -> native Excel formula over the Tables."""
    sc, out, co, cr = refs("scores", schema), refs("outreach", schema), refs("collaborations", schema), refs("creators", schema)
    f: dict[str, str] = {}
    kpis = [f"=COUNTA({cr.col('handle')})", f"=COUNTA({co.col('collab_id')})", f"=SUM({co.col('total_cost')})",
            f"=SUM({co.col('gmv_base')})", f'=IFERROR(SUM({co.col("gmv_base")})/SUM({co.col("total_cost")}),"")']
    for i, formula in enumerate(kpis):
        f[_ref(6, i)] = formula
    r0 = layout.rows["tiers"]
    for i, code in enumerate(schema.enums["tier"].codes):
        f[_ref(r0 + 1 + i, 1)] = f'=COUNTIF({sc.col("tier")},"{code}")'
    f0 = layout.rows["funnel"]
    for i, stage in enumerate(FUNNEL_STAGES):
        f[_ref(f0 + 1 + i, 1)] = f"=SUMPRODUCT(COUNTIF({out.col('status')},{{{_funnel_criteria(schema, stage)}}}))"
    t0 = layout.rows["top"]
    for i in range(TOP_N):
        rr = t0 + 1 + i
        roi_cell = _ref(rr, 1)
        f[_ref(rr, 1)] = f'=IFERROR(LARGE({sc.col("roi")},{i + 1}),"")'
        f[_ref(rr, 0)] = f'=IF({roi_cell}="","",INDEX({sc.col("handle")},MATCH({roi_cell},{sc.col("roi")},0)))'
    m0 = layout.rows["markets"]
    first, other = m0 + 1, m0 + 1 + len(layout.markets)
    for col, key in ((1, "total_cost"), (2, "gmv")):
        for i, label in enumerate(layout.markets):
            f[_ref(first + i, col)] = f"=SUMIFS({sc.col(key)},{sc.col('country')},{_excel_text(label)})"
        listed = f"SUM({_ref(first, col)}:{_ref(other - 1, col)})" if layout.markets else "0"
        f[_ref(other, col)] = f"=SUM({sc.col(key)})-{listed}"
    return f


def cached_values(schema: Schema, frames: Mapping[str, pd.DataFrame], layout: DashboardLayout) -> dict[str, Any]:
    """What each formula of :func:`formulas` evaluates to over ``frames`` (the engine's tables):
    A1 reference -> value. The build stores these as the formulas' cached results and the headless
    refresh writes them again, because the workbook does not recalculate on open (that would call
    Python before the user has set it up), so any viewer shows these values until Excel recalculates.
    Live Excel needs none of this: it recalculates native formulas itself."""
    scores, outreach = frames.get("scores"), frames.get("outreach")
    collabs, creators = frames.get("collaborations"), frames.get("creators")
    v: dict[str, Any] = {}
    cost = _num(collabs, "total_cost").sum(min_count=1)
    gmv = _num(collabs, "gmv_base").sum(min_count=1)
    kpis = [
        int(creators["handle"].notna().sum()) if creators is not None and "handle" in creators.columns else 0,
        int(collabs["collab_id"].notna().sum()) if collabs is not None and "collab_id" in collabs.columns else 0,
        0.0 if pd.isna(cost) else float(cost),
        0.0 if pd.isna(gmv) else float(gmv),
        (float(gmv) / float(cost)) if cost and not pd.isna(cost) and not pd.isna(gmv) else "",
    ]
    for i, value in enumerate(kpis):
        v[_ref(6, i)] = value
    r0 = layout.rows["tiers"]
    tiers = scores["tier"] if scores is not None and "tier" in scores.columns else pd.Series([], dtype=object)
    for i, code in enumerate(schema.enums["tier"].codes):
        v[_ref(r0 + 1 + i, 1)] = int((tiers == code).sum())
    f0 = layout.rows["funnel"]
    status = (_codes(schema, "funnel", outreach["status"]) if outreach is not None and "status" in outreach.columns
              else pd.Series([], dtype=object))
    for i, stage in enumerate(FUNNEL_STAGES):
        v[_ref(f0 + 1 + i, 1)] = int(status.isin(_REACHED[stage]).sum())
    t0 = layout.rows["top"]
    ranked: list[tuple[str, float]] = []
    if scores is not None and "roi" in scores.columns:
        roi = _num(scores, "roi")
        order = roi.dropna().sort_values(ascending=False, kind="mergesort")
        # MATCH finds the first row holding a value; ties show that row's creator, as Excel does.
        first_handle: dict[float, str] = {}
        for h, x in zip(scores["handle"], roi):
            if not pd.isna(x):
                first_handle.setdefault(float(x), str(h))
        ranked = [(first_handle[float(x)], float(x)) for x in order]
    for i in range(TOP_N):
        handle, value = ranked[i] if i < len(ranked) else ("", "")
        v[_ref(t0 + 1 + i, 1)] = value
        v[_ref(t0 + 1 + i, 0)] = handle
    m0 = layout.rows["markets"]
    first, other = m0 + 1, m0 + 1 + len(layout.markets)
    shown = scores["country"] if scores is not None and "country" in scores.columns else pd.Series([], dtype=object)
    for col, key in ((1, "total_cost"), (2, "gmv")):
        amounts = _num(scores, key).fillna(0.0)
        listed = 0.0
        for i, label in enumerate(layout.markets):
            # SUMIFS matches text case-insensitively
            total = float(amounts[(shown.astype(str).str.casefold() == label.casefold()).to_numpy()].sum()) if len(amounts) else 0.0
            v[_ref(first + i, col)] = total
            listed += total
        v[_ref(other, col)] = float(amounts.sum()) - listed
    return v


def build_dashboard(book: Workbook, ws: Worksheet, fmt: Formats, schema: Schema, tables: dict[str, pd.DataFrame],
                    status_text: str, target_markets: tuple[str, ...] = ()) -> DashboardLayout:
    sheet = DASHBOARD_SHEET
    layout = dashboard_layout(schema, market_labels(schema, tables.get("scores"), target_markets))
    cells = formulas(schema, layout)
    values = cached_values(schema, tables, layout)

    def formula(row: int, col: int, cell_format) -> None:
        ref = _ref(row, col)
        ws.write_formula(row, col, cells[ref], cell_format, cached_value(values[ref]))

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

    # KPI tiles.
    kpi_label = fmt.get(bold=True, font_color="#FFFFFF", bg_color="#1F4E78", align="center", text_wrap=True)
    kpi_labels = ("达人数 Creators", "合作数 Collaborations", "总成本 Spend (base)", "成交额 GMV (base)", "整体 ROAS Overall ROAS")
    for i, (label, num_format) in enumerate(zip(kpi_labels, KPI_FORMATS)):
        ws.write_string(5, i, label, kpi_label)
        formula(6, i, fmt.get(num_format=num_format, bold=True, font_size=16, align="center", font_color="#1F4E78"))
    ws.set_row(5, 30)
    ws.set_row(6, 30)

    head = fmt.get(bold=True, bg_color="#DDEBF7", border=1)
    # 1. Tier distribution.
    r0 = layout.rows["tiers"]
    ws.write_string(r0 - 1, 0, "等级分布 Tier distribution", fmt.subtitle())
    ws.write_string(r0, 0, "等级 Tier", head)
    ws.write_string(r0, 1, "达人数 Creators", head)
    for i, code in enumerate(schema.enums["tier"].codes):
        ws.write_string(r0 + 1 + i, 0, code, fmt.get(bold=True, bg_color=TIER_COLOURS[code][0]))
        formula(r0 + 1 + i, 1, fmt.get(num_format="0"))
    tier_rows = (r0 + 1, r0 + len(schema.enums["tier"].codes))

    # 2. Outreach funnel (cumulative: reached this stage or a later one).
    f0 = layout.rows["funnel"]
    ws.write_string(f0 - 1, 0, "建联漏斗 Outreach funnel", fmt.subtitle())
    ws.write_string(f0, 0, "阶段 Stage", head)
    ws.write_string(f0, 1, "联系数 Contacts", head)
    funnel = schema.enums["funnel"]
    for i, stage in enumerate(FUNNEL_STAGES):
        ws.write_string(f0 + 1 + i, 0, funnel.label_of(stage))
        formula(f0 + 1 + i, 1, fmt.get(num_format="0"))
    funnel_rows = (f0 + 1, f0 + len(FUNNEL_STAGES))

    # 3. Top creators by ROI.
    t0 = layout.rows["top"]
    ws.write_string(t0 - 1, 0, f"ROI 最高的 {TOP_N} 位达人 Top {TOP_N} creators by ROI", fmt.subtitle())
    ws.write_string(t0, 0, "达人 Creator", head)
    ws.write_string(t0, 1, "ROI", head)
    for i in range(TOP_N):
        formula(t0 + 1 + i, 1, fmt.get(num_format="0%"))
        formula(t0 + 1 + i, 0, fmt.get())
    top_rows = (t0 + 1, t0 + TOP_N)

    # 4. Spend vs GMV by market: SUMIFS over Scores' country column, plus the rest in "other markets".
    m0 = layout.rows["markets"]
    ws.write_string(m0 - 1, 0, "各市场成本与成交额 Spend vs GMV by market", fmt.subtitle())
    ws.write_string(m0, 0, "市场 Market", head)
    ws.write_string(m0, 1, "总成本 Spend", head)
    ws.write_string(m0, 2, "成交额 GMV", head)
    for i, label in enumerate([*layout.markets, OTHER_MARKETS]):
        ws.write_string(m0 + 1 + i, 0, label)
        formula(m0 + 1 + i, 1, fmt.get(num_format="#,##0"))
        formula(m0 + 1 + i, 2, fmt.get(num_format="#,##0"))
    market_rows = (m0 + 1, m0 + 1 + len(layout.markets))
    book.define_name(MARKETS_NAME, f"={_q(sheet)}!{_abs(market_rows[0], 0)}:{_abs(market_rows[1], 2)}")

    # Charts, to the right of the helper ranges.
    def rng(r1: int, c1: int, r2: int, c2: int) -> str:
        return f"={_q(sheet)}!{_abs(r1, c1)}:{_abs(r2, c2)}"

    font = {"name": "Microsoft YaHei", "size": 9}
    grid = {"visible": True, "line": {"color": "#E0E0E0"}}

    def place(chart, key: str, title: str, row: int, col: int, x_axis: dict, y_axis: dict,
              legend: dict | None = None, height: int = 300) -> None:
        """Title, legend, axes and size in the dashboard's one style, then the chart at (row, col)."""
        chart.set_title({"name": title, "name_font": {**font, "size": 12}})
        chart.set_legend(legend or {"none": True})
        chart.set_x_axis({"num_font": font, **x_axis})
        chart.set_y_axis({"num_font": font, **y_axis})
        chart.set_size({"width": 480, "height": height})
        ws.insert_chart(row, col, chart)
        layout.charts.append(key)

    chart = book.add_chart({"type": "column"})
    chart.add_series({
        "name": "达人数 Creators",
        "categories": rng(tier_rows[0], 0, tier_rows[1], 0),
        "values": rng(tier_rows[0], 1, tier_rows[1], 1),
        "points": [{"fill": {"color": TIER_COLOURS[c][0]}, "border": {"color": TIER_COLOURS[c][1]}}
                   for c in schema.enums["tier"].codes],
        "data_labels": {"value": True},
    })
    place(chart, "tier_distribution", "等级分布 Tier distribution", 8, 6, {}, {"major_gridlines": grid})

    chart = book.add_chart({"type": "bar"})
    chart.add_series({
        "name": "联系数 Contacts",
        "categories": rng(funnel_rows[0], 0, funnel_rows[1], 0),
        "values": rng(funnel_rows[0], 1, funnel_rows[1], 1),
        "fill": {"color": "#2E75B6"}, "data_labels": {"value": True},
    })
    place(chart, "outreach_funnel", "建联漏斗 Outreach funnel", 8, 12, {}, {"reverse": True})

    chart = book.add_chart({"type": "bar"})
    chart.add_series({
        "name": "ROI",
        "categories": rng(top_rows[0], 0, top_rows[1], 0),
        "values": rng(top_rows[0], 1, top_rows[1], 1),
        "fill": {"color": "#70AD47"}, "data_labels": {"value": True, "num_format": "0%"},
    })
    place(chart, "top_roi", "ROI 最高的达人 Top creators by ROI", 25, 6, {"num_format": "0%"},
          {"reverse": True, "label_position": "low"}, height=320)

    chart = book.add_chart({"type": "column"})
    for name, col, colour in (("总成本 Spend", 1, "#ED7D31"), ("成交额 GMV", 2, "#4472C4")):
        chart.add_series({"name": name, "categories": rng(market_rows[0], 0, market_rows[1], 0),
                          "values": rng(market_rows[0], col, market_rows[1], col), "fill": {"color": colour}})
    place(chart, "spend_vs_gmv_by_market", "各市场成本与成交额 Spend vs GMV by market", 25, 12, {},
          {"num_format": "#,##0", "major_gridlines": grid}, legend={"position": "bottom", "font": font}, height=320)
    return layout
