"""The dashboard sheet (看板 Dashboard): the refresh button, its status cell, KPIs and four charts.

Where each helper range sits, its formulas and their cached values come from
:mod:`.dashboard_cells`; this module lays them out with XlsxWriter and draws the charts over them.
"""
from __future__ import annotations

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .formats import TIER_COLOURS, Formats, cached_value
from ..core.schema import Schema
from .dashboard_cells import (
    BUTTON_CAPTION,
    DASHBOARD_SHEET,
    FUNNEL_STAGES,
    KPI_FORMATS,
    MARKETS_NAME,
    OTHER_MARKETS,
    STATUS_NAME,
    TOP_N,
    DashboardLayout,
    abs_cell,
    cached_values,
    cell,
    dashboard_layout,
    formulas,
    market_labels,
    quote_sheet,
)
from .vba import REFRESH_MACRO

__all__ = ["DASHBOARD_SHEET", "DashboardLayout", "build_dashboard"]

KPI_LABELS = ("达人数 Creators", "合作数 Collaborations", "总成本 Spend (base)", "成交额 GMV (base)",
              "整体 ROAS Overall ROAS")
CHART_FONT = {"name": "Microsoft YaHei", "size": 9}
CHART_GRID = {"visible": True, "line": {"color": "#E0E0E0"}}


class _Sheet:
    """The dashboard being written: its worksheet, formats, helper formulas and their cached values."""

    def __init__(self, book: Workbook, ws: Worksheet, fmt: Formats, schema: Schema, layout: DashboardLayout,
                 tables: dict[str, pd.DataFrame]):
        self.book, self.ws, self.fmt, self.schema, self.layout = book, ws, fmt, schema, layout
        self.cells = formulas(schema, layout)
        self.values = cached_values(schema, tables, layout)
        self.head = fmt.get(bold=True, bg_color="#DDEBF7", border=1)

    def formula(self, row: int, col: int, cell_format) -> None:
        ref = cell(row, col)
        self.ws.write_formula(row, col, self.cells[ref], cell_format, cached_value(self.values[ref]))

    def range(self, r1: int, c1: int, r2: int, c2: int) -> str:
        return f"={quote_sheet(DASHBOARD_SHEET)}!{abs_cell(r1, c1)}:{abs_cell(r2, c2)}"

    def titled_table(self, row: int, title: str, headers: tuple[str, ...]) -> None:
        """A helper range's subtitle above its header row at ``row``."""
        self.ws.write_string(row - 1, 0, title, self.fmt.subtitle())
        for col, text in enumerate(headers):
            self.ws.write_string(row, col, text, self.head)

    def place(self, chart, key: str, title: str, row: int, col: int, x_axis: dict, y_axis: dict,
              legend: dict | None = None, height: int = 300) -> None:
        """Title, legend, axes and size in the dashboard's one style, then the chart at (row, col)."""
        chart.set_title({"name": title, "name_font": {**CHART_FONT, "size": 12}})
        chart.set_legend(legend or {"none": True})
        chart.set_x_axis({"num_font": CHART_FONT, **x_axis})
        chart.set_y_axis({"num_font": CHART_FONT, **y_axis})
        chart.set_size({"width": 480, "height": height})
        self.ws.insert_chart(row, col, chart)
        self.layout.charts.append(key)


def build_dashboard(book: Workbook, ws: Worksheet, fmt: Formats, schema: Schema, tables: dict[str, pd.DataFrame],
                    status_text: str, target_markets: tuple[str, ...] = ()) -> DashboardLayout:
    layout = dashboard_layout(schema, market_labels(schema, tables.get("scores"), target_markets))
    sheet = _Sheet(book, ws, fmt, schema, layout, tables)
    _page_and_status(sheet, status_text)
    rows = _helper_ranges(sheet)
    _charts(sheet, rows)
    return layout


def _page_and_status(sheet: _Sheet, status_text: str) -> None:
    """Page set-up, title, the button and the status cell the refresh writes, the KPI tiles."""
    ws, fmt = sheet.ws, sheet.fmt
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
    ws.insert_button(2, 0, {"macro": REFRESH_MACRO, "caption": BUTTON_CAPTION, "width": 190, "height": 34})
    ws.write_string(2, 2, "上次刷新 Last refresh", fmt.get(bold=True, font_color="#595959"))
    ws.merge_range(3, 2, 3, 8, status_text, fmt.get(italic=True, font_color="#375623", bg_color="#F2F7EE", border=1))
    sheet.book.define_name(STATUS_NAME, f"={quote_sheet(DASHBOARD_SHEET)}!{abs_cell(3, 2)}")
    kpi_label = fmt.get(bold=True, font_color="#FFFFFF", bg_color="#1F4E78", align="center", text_wrap=True)
    for i, (label, num_format) in enumerate(zip(KPI_LABELS, KPI_FORMATS)):
        ws.write_string(5, i, label, kpi_label)
        sheet.formula(6, i, fmt.get(num_format=num_format, bold=True, font_size=16, align="center",
                                    font_color="#1F4E78"))
    ws.set_row(5, 30)
    ws.set_row(6, 30)


def _helper_ranges(sheet: _Sheet) -> dict[str, tuple[int, int]]:
    """The four helper ranges the charts read; returns each one's (first, last) data row."""
    ws, fmt, schema, layout = sheet.ws, sheet.fmt, sheet.schema, sheet.layout
    tiers = schema.enums["tier"].codes
    r0 = layout.rows["tiers"]
    sheet.titled_table(r0, "等级分布 Tier distribution", ("等级 Tier", "达人数 Creators"))
    for i, code in enumerate(tiers):
        ws.write_string(r0 + 1 + i, 0, code, fmt.get(bold=True, bg_color=TIER_COLOURS[code][0]))
        sheet.formula(r0 + 1 + i, 1, fmt.get(num_format="0"))
    # Outreach funnel (cumulative: reached this stage or a later one).
    f0 = layout.rows["funnel"]
    sheet.titled_table(f0, "建联漏斗 Outreach funnel", ("阶段 Stage", "联系数 Contacts"))
    funnel = schema.enums["funnel"]
    for i, stage in enumerate(FUNNEL_STAGES):
        ws.write_string(f0 + 1 + i, 0, funnel.label_of(stage))
        sheet.formula(f0 + 1 + i, 1, fmt.get(num_format="0"))
    t0 = layout.rows["top"]
    sheet.titled_table(t0, f"ROI 最高的 {TOP_N} 位达人 Top {TOP_N} creators by ROI", ("达人 Creator", "ROI"))
    for i in range(TOP_N):
        sheet.formula(t0 + 1 + i, 1, fmt.get(num_format="0%"))
        sheet.formula(t0 + 1 + i, 0, fmt.get())
    # Spend vs GMV by market: SUMIFS over Scores' country column, plus the rest in "other markets".
    m0 = layout.rows["markets"]
    sheet.titled_table(m0, "各市场成本与成交额 Spend vs GMV by market", ("市场 Market", "总成本 Spend", "成交额 GMV"))
    for i, label in enumerate([*layout.markets, OTHER_MARKETS]):
        ws.write_string(m0 + 1 + i, 0, label)
        sheet.formula(m0 + 1 + i, 1, fmt.get(num_format="#,##0"))
        sheet.formula(m0 + 1 + i, 2, fmt.get(num_format="#,##0"))
    markets = (m0 + 1, m0 + 1 + len(layout.markets))
    sheet.book.define_name(MARKETS_NAME,
                           f"={quote_sheet(DASHBOARD_SHEET)}!{abs_cell(markets[0], 0)}:{abs_cell(markets[1], 2)}")
    return {"tiers": (r0 + 1, r0 + len(tiers)), "funnel": (f0 + 1, f0 + len(FUNNEL_STAGES)),
            "top": (t0 + 1, t0 + TOP_N), "markets": markets}


def _charts(sheet: _Sheet, rows: dict[str, tuple[int, int]]) -> None:
    """The four charts, to the right of the helper ranges they read."""
    book, rng = sheet.book, sheet.range
    tier_rows, funnel_rows, top_rows, market_rows = rows["tiers"], rows["funnel"], rows["top"], rows["markets"]
    chart = book.add_chart({"type": "column"})
    chart.add_series({
        "name": "达人数 Creators",
        "categories": rng(tier_rows[0], 0, tier_rows[1], 0),
        "values": rng(tier_rows[0], 1, tier_rows[1], 1),
        "points": [{"fill": {"color": TIER_COLOURS[c][0]}, "border": {"color": TIER_COLOURS[c][1]}}
                   for c in sheet.schema.enums["tier"].codes],
        "data_labels": {"value": True},
    })
    sheet.place(chart, "tier_distribution", "等级分布 Tier distribution", 8, 6, {}, {"major_gridlines": CHART_GRID})

    chart = book.add_chart({"type": "bar"})
    chart.add_series({
        "name": "联系数 Contacts",
        "categories": rng(funnel_rows[0], 0, funnel_rows[1], 0),
        "values": rng(funnel_rows[0], 1, funnel_rows[1], 1),
        "fill": {"color": "#2E75B6"}, "data_labels": {"value": True},
    })
    sheet.place(chart, "outreach_funnel", "建联漏斗 Outreach funnel", 8, 12, {}, {"reverse": True})

    chart = book.add_chart({"type": "bar"})
    chart.add_series({
        "name": "ROI",
        "categories": rng(top_rows[0], 0, top_rows[1], 0),
        "values": rng(top_rows[0], 1, top_rows[1], 1),
        "fill": {"color": "#70AD47"}, "data_labels": {"value": True, "num_format": "0%"},
    })
    sheet.place(chart, "top_roi", "ROI 最高的达人 Top creators by ROI", 25, 6, {"num_format": "0%"},
                {"reverse": True, "label_position": "low"}, height=320)

    chart = book.add_chart({"type": "column"})
    for name, col, colour in (("总成本 Spend", 1, "#ED7D31"), ("成交额 GMV", 2, "#4472C4")):
        chart.add_series({"name": name, "categories": rng(market_rows[0], 0, market_rows[1], 0),
                          "values": rng(market_rows[0], col, market_rows[1], col), "fill": {"color": colour}})
    sheet.place(chart, "spend_vs_gmv_by_market", "各市场成本与成交额 Spend vs GMV by market", 25, 12, {},
                {"num_format": "#,##0", "major_gridlines": CHART_GRID}, legend={"position": "bottom",
                                                                                "font": CHART_FONT},
                height=320)
