"""The monthly report: one bilingual page ops staff and their manager read at month end.

``build_report(tables, "2026-11")`` (:mod:`.data`) gathers every number (scores, tiers, ROI and
explanations from ``engine.evaluate``; the rest from :mod:`workbook_addin.insights`);
:mod:`.tables` formats them once; ``render_html`` (:mod:`.html`) writes a self-contained HTML page
and ``render_pdf`` (:mod:`.pdf`) a PDF with a fixed page layout; :mod:`.charts` draws both's charts.

Personal data (display names, e-mails, contacts) never appears: creators are named by their key.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.settings import Settings
from ..insights.pilot import DECISIONS
from . import charts
from .data import ReportData, build_report, settings_from_tables
from .html import SECTIONS, render_html
from .pdf import PDF_PAGES, render_pdf
from .tables import Table, tables_for


def write_report(tables: Mapping[str, pd.DataFrame], month: str, out_dir: str | Path, *,
                 formats: Sequence[str] = ("html", "pdf"),
                 settings: Settings | None = None, today: Any = None) -> list[Path]:
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


__all__ = ["build_report", "render_html", "render_pdf", "write_report", "tables_for", "settings_from_tables", "charts",
           "ReportData",
           "Table", "PDF_PAGES", "SECTIONS", "DECISIONS"]
