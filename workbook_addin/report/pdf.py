"""The report as a PDF with a fixed page layout (:data:`PDF_PAGES`).

Why the PDF is drawn with matplotlib's ``PdfPages`` rather than converted from the HTML: it is
pure Python, so it works the same on a Windows laptop without LibreOffice as on a Linux server,
needs no browser, and gives a fixed, testable page layout. Matplotlib tables neither wrap nor
shrink, so :func:`_draw_table` lays them out itself.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import charts
from ..core.text_width import display_width, wrap
from .data import ReportData
from .html import SECTIONS
from .tables import Table, tables_for

PDF_PAGES: tuple[str, ...] = (
    "概览 Summary",
    "市场与 ROI Markets and ROI",
    "达人排名 Top and bottom creators",
    "S/A 达人共性 S-tier review",
    "提醒与试点 Reminders and pilot gate",
    "服务商与话术 Agencies and playbook",
    "报价、重复与趋势 Quotes, duplicates and trends",
)


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


def _draw_table(fig, rect: tuple[float, float, float, float], table: Table, title: str, *, font: float = 7.5) -> int:
    """A table drawn into ``rect`` (left, bottom, width, height as page fractions).

    Matplotlib tables neither wrap nor shrink, so the layout is done here: column widths from the
    text's display width (CJK counts double), long columns wrapped to fit the page, fixed line
    height in points, and rows that do not fit replaced by a "more rows in the HTML" note.
    Returns how many rows were left out.
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
            return 0
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
        for (r, _c), cell in tbl.get_celld().items():
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
        foot = ((f"…另有 {extra} 行，见 HTML 报告 {extra} more rows in the HTML report. " if extra > 0 else "")
                + table.note)
        if foot:
            ax.text(0, 1 - used - 0.04 - 0.4 * line_h, wrap(foot, int(1 / char_w * 0.8)), fontsize=font - 0.5,
                    color="#555", va="top")
        return max(extra, 0)


def actionable_first(table: Table) -> Table:
    """The table with its red (actionable) rows first, so a page that cannot hold every row
    drops context rows, never an overdue reminder or an overpriced quote."""
    if not table.row_classes:
        return table
    order = sorted(range(len(table.rows)), key=lambda i: table.row_classes[i] != "bad")
    return Table(table.headers, [table.rows[i] for i in order], [table.row_classes[i] for i in order], table.note)


def omissions_note(left_out: dict[str, int]) -> str:
    """Page 1's statement of which rows the PDF leaves out (and that the HTML has them)."""
    parts = [f"{name} {n}" for name, n in left_out.items() if n]
    if not parts:
        return "本 PDF 列出全部行。 Every row is in this PDF."
    return (f"本 PDF 省略的行（完整内容见 HTML 报告）：{'；'.join(parts)}。 "
            "Rows left out of this PDF (all are in the HTML report): "
            f"{'; '.join(parts)}.")


def render_pdf(data: ReportData, path: str | Path) -> Path:
    """Writes the report as a PDF with exactly :data:`PDF_PAGES` pages; page 1 states the as-of
    date and which rows, if any, the PDF leaves out."""
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    t = tables_for(data)
    left_out: dict[str, int] = {}

    def draw(fig, rect, key: str, title: str, **kw) -> None:
        table = actionable_first(t[key]) if key in ("reminders", "quotes", "blacklist") else t[key]
        left_out[title] = _draw_table(fig, rect, table, title, **kw)

    pages = []
    # 1 summary + tiers + funnel
    summary = _page(PDF_PAGES[0], data, 1)
    draw(summary, (0.04, 0.12, 0.36, 0.75), "summary", "本月概览 This month", font=9)
    charts.tier_chart(data.tier_mix, ax=summary.add_axes((0.50, 0.55, 0.45, 0.33)))
    charts.funnel_chart(data.funnel, ax=summary.add_axes((0.58, 0.10, 0.37, 0.35)))
    pages.append(summary)
    # 2 markets + ROI chart
    fig = _page(PDF_PAGES[1], data, 2)
    charts.spend_gmv_chart(data.by_market, data.base_currency, ax=fig.add_axes((0.07, 0.55, 0.88, 0.33)))
    charts.roi_chart(data.roi_ranked, ax=fig.add_axes((0.25, 0.08, 0.70, 0.37)))
    pages.append(fig)
    # 3 top / bottom creators with the engine's reasons
    fig = _page(PDF_PAGES[2], data, 3)
    draw(fig, (0.03, 0.08, 0.94, 0.80), "roi", SECTIONS[2][1])
    pages.append(fig)
    # 4 S-tier review
    fig = _page(PDF_PAGES[3], data, 4)
    charts.lift_chart(data.lifts, ax=fig.add_axes((0.30, 0.52, 0.65, 0.36)))
    draw(fig, (0.03, 0.06, 0.94, 0.38), "tier_review", SECTIONS[5][1])
    pages.append(fig)
    # 5 reminders + pilot gate
    fig = _page(PDF_PAGES[4], data, 5)
    draw(fig, (0.03, 0.46, 0.94, 0.44), "reminders", SECTIONS[6][1], font=6.5)
    draw(fig, (0.03, 0.06, 0.94, 0.32), "pilot", SECTIONS[8][1])
    pages.append(fig)
    # 6 agencies + playbook (templates only, the rest in the HTML)
    fig = _page(PDF_PAGES[5], data, 6)
    draw(fig, (0.03, 0.56, 0.94, 0.32), "agencies", SECTIONS[7][1])
    pb = t["playbook"]
    by_template = [i for i, r in enumerate(pb.rows) if r[0].startswith("话术模板")]
    t["playbook_templates"] = Table(pb.headers, [pb.rows[i] for i in by_template],
                                    [pb.row_classes[i] for i in by_template] if pb.row_classes else [], pb.note)
    _draw_table(fig, (0.03, 0.08, 0.94, 0.36), t["playbook_templates"], SECTIONS[9][1] + "：话术模板 by template")
    pages.append(fig)
    # 7 quotes, duplicates and blacklist, trend
    fig = _page(PDF_PAGES[6], data, 7)
    draw(fig, (0.03, 0.50, 0.94, 0.40), "quotes", SECTIONS[10][1], font=6.5)
    draw(fig, (0.03, 0.28, 0.45, 0.17), "duplicates", "重复达人 Duplicates", font=6.5)
    draw(fig, (0.52, 0.28, 0.45, 0.17), "blacklist", "黑名单达人再次建联 Blacklisted creators contacted", font=6.5)
    draw(fig, (0.03, 0.03, 0.94, 0.20), "trend", SECTIONS[12][1], font=6.5)
    pages.append(fig)
    summary.text(0.04, 0.05, wrap(omissions_note(left_out), 150), fontsize=7, color="#555", va="top")
    assert len(pages) == len(PDF_PAGES)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".pdf.tmp")
    import matplotlib.pyplot as plt

    metadata = {"Title": data.title, "Creator": "lianxing report"}
    with plt.rc_context(charts.style()), charts.quiet_glyphs(), PdfPages(tmp, metadata=metadata) as pdf:
        for page in pages:
            pdf.savefig(page)
    tmp.replace(path)
    return path
