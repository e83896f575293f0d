"""The report as one self-contained HTML page (charts embedded as base64 SVG, no external files or
fonts), rendered from ``templates/report/report.html.j2``. It is the richer view; the PDF
(:mod:`.pdf`) is the one to attach to an e-mail."""
from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

from . import charts
from .data import ReportData
from .tables import tables_for

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
        loader=jinja2.FunctionLoader(
            lambda name: resources.files("templates").joinpath("report", name).read_text(encoding="utf-8")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    figures = chart_figures(data)
    images = {k: charts.svg_data_uri(f) for k, f in figures.items()}
    return env.get_template("report.html.j2").render(
        data=data, tables=tables_for(data), charts=images, sections=SECTIONS, generated=dt.date.today().isoformat()
    )
