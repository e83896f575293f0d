"""The dashboard's helper cells: where they sit, their native formulas, and the values those hold.

The 看板 Dashboard's charts read small helper ranges on the same sheet, all native Excel formulas
over the Tables, so they follow every edit: KPIs, tier counts, the funnel, the ROI ranking, and
spend and GMV per market (SUMIFS over Scores' country column, plus an "other markets" row with the
rest). Each formula also carries the value :func:`cached_values` computes from the engine's tables:
the build writes them, and the headless refresh writes them again (the workbook does not
recalculate on open). Kept apart from the XlsxWriter builder (:mod:`.dashboard`) because the reader
and the refresh need only this part.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from ..core.schema import Schema
from .structured_refs import refs
from .tables_layout import STATUS_NAME
from .xlsx.refs import col_letter

DASHBOARD_SHEET = "看板 Dashboard"
BUTTON_CAPTION = "刷新数据 Refresh metrics"
TOP_N = 10
#: Funnel stages in order; a contact counts for a stage when its status is that stage or a later one.
FUNNEL_STAGES = ("contacted", "replied", "negotiating", "agreed", "sample_shipped", "posted")
_REACHED = {
    "contacted": ("contacted", "replied", "negotiating", "agreed", "sample_shipped", "posted", "declined",
                  "no_response"),
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


def quote_sheet(sheet: str) -> str:
    """A sheet name as a formula writes it: 'Sheet''s name'."""
    return "'" + sheet.replace("'", "''") + "'"


def abs_cell(row: int, col: int) -> str:
    """(0-based row, column) -> "$B$12"."""
    return f"${col_letter(col + 1)}${row + 1}"


def cell(row: int, col: int) -> str:
    """(0-based row, column) -> "B12"."""
    return f"{col_letter(col + 1)}{row + 1}"


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
    layout.cells[STATUS_NAME] = abs_cell(3, 2)
    for i in range(len(KPI_FORMATS)):
        layout.cells[f"kpi_{i}"] = abs_cell(6, i)
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
    layout.cells["tier_counts"] = f"{abs_cell(tier_rows[0], 1)}:{abs_cell(tier_rows[1], 1)}"
    layout.cells["funnel_counts"] = f"{abs_cell(funnel_rows[0], 1)}:{abs_cell(funnel_rows[1], 1)}"
    layout.cells["top_roi"] = f"{abs_cell(top_rows[0], 0)}:{abs_cell(top_rows[1], 1)}"
    layout.cells["market_totals"] = f"{abs_cell(market_rows[0], 0)}:{abs_cell(market_rows[1], 2)}"
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
    sc, out, co, cr = refs("scores", schema), refs("outreach", schema), refs("collaborations", schema), refs("creators",
                                                                                                             schema)
    f: dict[str, str] = {}
    kpis = [f"=COUNTA({cr.col('handle')})", f"=COUNTA({co.col('collab_id')})", f"=SUM({co.col('total_cost')})",
            f"=SUM({co.col('gmv_base')})", f'=IFERROR(SUM({co.col("gmv_base")})/SUM({co.col("total_cost")}),"")']
    for i, formula in enumerate(kpis):
        f[cell(6, i)] = formula
    r0 = layout.rows["tiers"]
    for i, code in enumerate(schema.enums["tier"].codes):
        f[cell(r0 + 1 + i, 1)] = f'=COUNTIF({sc.col("tier")},"{code}")'
    f0 = layout.rows["funnel"]
    for i, stage in enumerate(FUNNEL_STAGES):
        f[cell(f0 + 1 + i, 1)] = f"=SUMPRODUCT(COUNTIF({out.col('status')},{{{_funnel_criteria(schema, stage)}}}))"
    t0 = layout.rows["top"]
    for i in range(TOP_N):
        rr = t0 + 1 + i
        roi_cell = cell(rr, 1)
        f[cell(rr, 1)] = f'=IFERROR(LARGE({sc.col("roi")},{i + 1}),"")'
        f[cell(rr, 0)] = f'=IF({roi_cell}="","",INDEX({sc.col("handle")},MATCH({roi_cell},{sc.col("roi")},0)))'
    m0 = layout.rows["markets"]
    first, other = m0 + 1, m0 + 1 + len(layout.markets)
    for col, key in ((1, "total_cost"), (2, "gmv")):
        for i, label in enumerate(layout.markets):
            f[cell(first + i, col)] = f"=SUMIFS({sc.col(key)},{sc.col('country')},{_excel_text(label)})"
        listed = f"SUM({cell(first, col)}:{cell(other - 1, col)})" if layout.markets else "0"
        f[cell(other, col)] = f"=SUM({sc.col(key)})-{listed}"
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
        v[cell(6, i)] = value
    r0 = layout.rows["tiers"]
    tiers = scores["tier"] if scores is not None and "tier" in scores.columns else pd.Series([], dtype=object)
    for i, code in enumerate(schema.enums["tier"].codes):
        v[cell(r0 + 1 + i, 1)] = int((tiers == code).sum())
    f0 = layout.rows["funnel"]
    status = (_codes(schema, "funnel", outreach["status"]) if outreach is not None and "status" in outreach.columns
              else pd.Series([], dtype=object))
    for i, stage in enumerate(FUNNEL_STAGES):
        v[cell(f0 + 1 + i, 1)] = int(status.isin(_REACHED[stage]).sum())
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
        v[cell(t0 + 1 + i, 1)] = value
        v[cell(t0 + 1 + i, 0)] = handle
    m0 = layout.rows["markets"]
    first, other = m0 + 1, m0 + 1 + len(layout.markets)
    shown = scores["country"] if scores is not None and "country" in scores.columns else pd.Series([], dtype=object)
    for col, key in ((1, "total_cost"), (2, "gmv")):
        amounts = _num(scores, key).fillna(0.0)
        listed = 0.0
        for i, label in enumerate(layout.markets):
            # SUMIFS matches text case-insensitively
            total = (float(amounts[(shown.astype(str).str.casefold() == label.casefold()).to_numpy()].sum())
                     if len(amounts) else 0.0)
            v[cell(first + i, col)] = total
            listed += total
        v[cell(other, col)] = float(amounts.sum()) - listed
    return v
