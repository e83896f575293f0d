"""The monthly report renders from the sample data: HTML with every section and embedded charts,
a valid PDF with the expected pages, and no personal data in either."""
import base64
import re
import warnings

import pandas as pd

import pytest

from workbook_addin.cli import main
from workbook_addin.report import PDF_PAGES, SECTIONS, build_report, render_html, render_pdf
from workbook_addin.core.sample import load_sample

MONTH = "2026-11"
TODAY = "2026-11-25"


@pytest.fixture(scope="module")
def data():
    return build_report(load_sample(), MONTH, today=TODAY)


@pytest.fixture(scope="module")
def html(data):
    return render_html(data)


def test_html_has_every_section_and_embedded_svg_charts(html):
    for section_id, title in SECTIONS:
        assert f'id="{section_id}"' in html
        assert title in html
    images = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 5
    for img in images:
        assert base64.b64decode(img).lstrip().startswith(b"<?xml")
    # self-contained: nothing fetched from elsewhere
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_html_shows_the_engine_results_and_insights(data, html):
    # the month's best creator by ROI, with the engine's explanation
    best = data.roi_ranked.iloc[0]
    assert best["creator_key"] in html and best["explanation"].split(" | ")[0] in html
    assert "扩量 Scale" in html or "延长试点 Extend pilot" in html or "停止 Stop" in html
    assert "逾期未发布 Promised post overdue" in html  # C-013 promised 2026-11-15, not posted
    assert "tiktok:trendtok_maxx_demo" in data.blacklist["creator_key"].tolist()
    assert "Brightline Talent (demo)" in html  # agency scorecard


def test_no_personal_data_in_the_report(html):
    sample = load_sample()["creators"]
    for value in list(sample["email"].dropna()) + list(sample["display_name"].dropna()):
        assert value not in html


def test_month_figures(data):
    summary = dict(data.summary)
    # November: posts by Mia (C-002) and Noor (C-015) are live; Lena, Cozy and Berlin promised
    assert summary["本月发布内容 Posts live"] == "2 / 5"
    assert summary["本月建联 Contacts made"] == "5"  # O-020 re-contacts the blacklisted trendtok on 2026-11-10
    assert data.as_of.strftime("%Y-%m-%d") == TODAY
    assert [g.campaign for g in data.pilots] == ["2026-11 Black Friday"]


def test_pdf_is_valid_with_one_page_per_planned_page(data, tmp_path):
    path = render_pdf(data, tmp_path / "r.pdf")
    raw = path.read_bytes()
    assert raw.startswith(b"%PDF-") and raw.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b", raw)) == len(PDF_PAGES) == 7


def test_past_month_leaves_later_data_out():
    data = build_report(load_sample(), "2026-10", today=TODAY)
    assert data.as_of.strftime("%Y-%m-%d") == TODAY  # the one as-of date: the day the data is read
    assert "2026-11" not in list(data.trend.columns)


def test_cli_writes_html_and_pdf(tmp_path, capsys):
    assert main(["report", "--example", "--month", MONTH, "--out", str(tmp_path), "--format", "html"]) == 0
    assert (tmp_path / f"lianxing_report_{MONTH}.html").is_file()
    assert not (tmp_path / f"lianxing_report_{MONTH}.pdf").exists()
    assert "wrote" in capsys.readouterr().out


def test_cli_refuses_a_bad_month_and_a_missing_workbook(tmp_path, capsys):
    assert main(["report", "--example", "--month", "2026-13"]) == 2
    assert main(["report", str(tmp_path / "nope.xlsm"), "--month", MONTH]) == 2
    err = capsys.readouterr().err
    assert "2026-13" in err and "not found" in err


def test_report_from_the_built_workbook_matches_the_sample(tmp_path, data):
    from workbook_addin.workbook.build import build_workbook
    from workbook_addin.report import tables_for
    from workbook_addin.workbook.tables_io import read_tables

    path = tmp_path / "Lianxing_Evaluation.xlsm"
    build_workbook(path)
    from_workbook = build_report(read_tables(path), MONTH, today=TODAY)
    assert from_workbook.summary == data.summary
    a, b = tables_for(from_workbook), tables_for(data)
    for name in ("roi", "reminders", "agencies", "pilot", "quotes", "tier_review"):
        assert a[name].rows == b[name].rows, name


def test_pdf_embeds_the_cjk_font_so_chinese_renders(data, tmp_path):
    raw = render_pdf(data, tmp_path / "r.pdf").read_bytes()
    assert re.search(rb"/BaseFont /[A-Z]{6}\+NotoSansCJK", raw)


def test_missing_cjk_font_warns_and_charts_still_render(monkeypatch):
    from matplotlib import font_manager

    from workbook_addin.report import charts

    charts.cjk_font.cache_clear()
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name])
    try:
        with pytest.warns(charts.MissingCJKFontWarning, match="fonts-noto-cjk"):
            assert charts.cjk_font() is None
        fig = charts.tier_chart(pd.Series({"S": 1, "A": 2, "B": 0, "C": 1}))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # one warning about the font, not one per missing glyph
            assert charts.svg_data_uri(fig).startswith("data:image/svg+xml;base64,")
    finally:
        charts.cjk_font.cache_clear()


def test_pdf_chinese_does_not_depend_on_matplotlibs_font_cache(data, tmp_path, monkeypatch):
    # a font cache built before the CJK font was installed knows no CJK font; registering the
    # font file itself (as the report does on import) still puts Noto Sans CJK into the PDF
    from matplotlib import font_manager

    from workbook_addin.report import charts

    monkeypatch.setattr(font_manager.fontManager, "ttflist", [f for f in font_manager.fontManager.ttflist if "CJK" not in f.name])
    charts.cjk_font.cache_clear()
    try:
        assert any("NotoSansCJK" in path for path in charts.register_cjk_fonts())
        assert charts.cjk_font().startswith("Noto Sans CJK")
        raw = render_pdf(data, tmp_path / "r.pdf").read_bytes()
        assert re.search(rb"/BaseFont /[A-Z]{6}\+NotoSansCJK", raw)
    finally:
        charts.cjk_font.cache_clear()


# ----------------------------------------------------------------------------- issue 14, point 11
def test_one_as_of_date_stated_on_page_1_with_the_rows_the_pdf_leaves_out(tmp_path):
    import subprocess

    data = build_report(load_sample(), MONTH, today="2026-12-01")
    assert data.as_of.strftime("%Y-%m-%d") == "2026-12-01"  # not the month's end
    assert dict(data.summary)["数据截至 Data as of"] == "2026-12-01"
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(render_pdf(data, tmp_path / "r.pdf")), "-"],
                           capture_output=True, text=True, check=True).stdout
    page1 = " ".join(page1.split())  # lines wrapped on the page
    assert "data as of 2026-12-01" in page1
    assert "Rows left out of this PDF (all are in the HTML report)" in page1


def test_the_example_report_uses_the_date_the_sample_workbook_is_built_as_of(tmp_path):
    from workbook_addin.workbook.build import SAMPLE_TODAY

    assert main(["report", "--example", "--month", MONTH, "--out", str(tmp_path), "--format", "html"]) == 0
    assert f"data as of {SAMPLE_TODAY:%Y-%m-%d}" in (tmp_path / f"lianxing_report_{MONTH}.html").read_text(encoding="utf-8")


def test_actionable_rows_come_first_and_no_table_is_cut_silently(data):
    from workbook_addin.report.pdf import actionable_first, omissions_note
    from workbook_addin.report.tables import Table, tables_for

    table = Table(["h"], [["a"], ["b"], ["c"]], ["", "bad", ""])
    assert [r[0] for r in actionable_first(table).rows] == ["b", "a", "c"]
    assert "Quote check 2" in omissions_note({"Quote check": 2, "Trend": 0})
    assert omissions_note({"Trend": 0}).endswith("Every row is in this PDF.")
    # the HTML shows every lift row
    assert len(tables_for(data)["tier_review"].rows) == len(data.lifts)


def test_lifts_are_ranked_by_their_lower_bound():
    from workbook_addin.insights.tier_review import lifts

    feats = pd.DataFrame({"tier": ["S"] + ["A"] * 9 + ["C"] + ["C"] * 9,
                          "category": ["Solo"] + ["Big"] * 10 + ["Other"] * 9})
    table = lifts(feats)
    # 1/1 has the higher point estimate, 9/10 the higher lower bound
    solo, big = table.set_index("value").loc["Solo"], table.set_index("value").loc["Big"]
    assert solo["lift"] > big["lift"] and big["lift_low"] > solo["lift_low"]
    assert table["value"].tolist().index("Big") < table["value"].tolist().index("Solo")
