"""Pictures of workbook sheets as a person sees them: LibreOffice prints to PDF, pdftoppm to PNG.

Used to check the layout by eye (fonts, widths, colours, charts) without Excel. The workbook is
opened from a copy and never re-saved.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..workbook.dashboard_cells import DASHBOARD_SHEET
from .libreoffice import LibreOffice, pdf_to_png
from ..core.schema import load_schema


def default_sheets() -> list[str]:
    return [DASHBOARD_SHEET, load_schema().sheet("scores").name]


def _slug(name: str) -> str:
    ascii_part = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()
    return ascii_part or "sheet"


def render_workbook(workbook: Path, out_dir: Path, sheets: list[str] | None = None) -> list[Path]:
    """One PNG per printed page of each sheet; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with LibreOffice() as lo:
        for sheet in sheets or default_sheets():
            pdf = out_dir / f"{_slug(sheet)}.pdf"
            lo.sheet_pdf(workbook, sheet, pdf)
            for old in out_dir.glob(f"{_slug(sheet)}-*.png"):
                old.unlink()
            written += pdf_to_png(pdf, out_dir / _slug(sheet), dpi=150)
            pdf.unlink()
    return written
