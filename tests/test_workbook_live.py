"""The live workbook: linear Python cost, never blank without Python, formulas stored as Excel 365
stores them, native formulas equal to the engine, one kind of Creators row.

LibreOffice stands in for every place the Python functions do not run (Excel for Mac with classic
xlwings, Excel on the web, blocked macros, WPS): it recalculates every native formula and answers
#NAME? for the KOL_ calls, so each cell shows what it would show there.
"""
from __future__ import annotations

import html
import math
import re
import shutil
import zipfile

import pytest

from tests.generated import scaled_sample, varied_sample
from tests.workbook_cost import python_cost
from workbook_addin import udfs
from workbook_addin.core.schema import load_schema
from workbook_addin.importers import sample_exports_folder
from workbook_addin.jobs.refresh import refresh_workbook
from workbook_addin.workbook.build import build_workbook
from workbook_addin.workbook.calc_sheet import CALC_SHEET
from workbook_addin.workbook.dashboard import DASHBOARD_SHEET
from workbook_addin.workbook.formulas import NOT_SCORED
from workbook_addin.workbook.tables_io import WorkbookChanges, read_tables, write_changes

SCHEMA = load_schema()
SHEETS = [SCHEMA.sheet(k).name for k in ("creators", "outreach", "collaborations", "scores")] + [DASHBOARD_SHEET]
#: sheet -> (row, column) of the live-values line
LINE = {DASHBOARD_SHEET: (5, 1), SCHEMA.sheet("scores").name: (1, 1)}
THREE_CREATORS = [
    {"platform": "TikTok", "handle": "@NewOne", "country": "美国 US", "language": "英语 English", "category": "美妆 Beauty",
     "followers": 120000, "blacklisted": "否 No"},
    {"platform": "Instagram", "handle": "new.two", "country": "德国 DE", "followers": 56000, "blacklisted": "否 No"},
    {"platform": "YouTube", "handle": "@NewThree", "followers": 9000, "blacklisted": "是 Yes"},
]


def _same(before, after) -> bool:
    if isinstance(before, float) and isinstance(after, float):
        # sums of per-post costs rounded to cents may differ from the rounded sum by a cent
        return math.isclose(before, after, rel_tol=1e-6, abs_tol=0.011)
    return before == after


def _lost(probe: dict, *, same: bool = True) -> list[tuple]:
    """Formula cells that turned into an error or went blank on recalculation, or (``same``) whose
    value changed at all: a workbook the build or refresh wrote holds the engine's values. The
    live-values line is checked apart: recalculated without Python it says so."""
    lost = []
    for sheet in SHEETS:
        for before, after in zip(probe["before"][sheet], probe["after"][sheet]):
            assert (before["row"], before["col"]) == (after["row"], after["col"])
            if (before["row"], before["col"]) == LINE.get(sheet):
                assert before["value"].startswith("上次刷新（") and after["value"].startswith("○ 未运行 Python："), after
                assert "Python is not running" in after["value"] and after["error"] == 0
                continue
            blank = before["value"] not in ("", None) and after["value"] in ("", None)
            if after["error"] or blank or (same and not _same(before["value"], after["value"])):
                lost.append((sheet, before["row"], before["col"], before["value"], after["value"], before["formula"][:80]))
    return lost


def test_built_workbook_keeps_every_value_without_python(office, sample_workbook):
    probe = office.probe(sample_workbook, SHEETS)
    assert sum(len(probe["before"][s]) for s in SHEETS) > 300
    assert _lost(probe) == []
    assert CALC_SHEET in probe["hidden"] and "_last_refresh" in probe["hidden"]


def test_refreshed_workbook_keeps_every_value_without_python(office, sample_workbook, tmp_path):
    path = tmp_path / "refreshed.xlsm"
    shutil.copyfile(sample_workbook, path)
    tables = read_tables(path)
    changes = WorkbookChanges()  # a review mark changed by hand before the refresh
    first = int(tables["reviews"].index[0])
    changes.set("reviews", first, "visuals", 1)
    write_changes(path, changes, backup=False)
    report = refresh_workbook(path, sample_exports_folder(), sync=False)  # the sample's export files: metrics change
    probe = office.probe(path, SHEETS)
    assert _lost(probe) == []
    when = report.run_at.strftime("%Y-%m-%d %H:%M")
    for sheet, (row, col) in LINE.items():  # the line names this refresh, before and after recalculation
        for state in ("before", "after"):
            (cell,) = [c for c in probe[state][sheet] if (c["row"], c["col"]) == (row, col)]
            assert f"（{when}）" in cell["value"] and f"({when})" in cell["value"], (sheet, state, cell["value"])


def test_new_workbook_with_three_creators_shows_a_marker_not_a_blank(office, tmp_path):
    path = tmp_path / "team.xlsm"
    build_workbook(path, empty=True)
    changes = WorkbookChanges()
    changes.appends["creators"] = THREE_CREATORS
    write_changes(path, changes, backup=False)
    probe = office.probe(path, SHEETS)
    assert _lost(probe, same=False) == []  # the counts change: three creators more
    sheet = SCHEMA.sheet("creators")
    after = {(c["row"], c["col"]): c["value"] for c in probe["after"][sheet.name]}
    col = {k: sheet.keys.index(k) + 1 for k in ("creator_key", "score", "tier")}
    rows = sorted({r for r, _c in after})
    assert len(rows) == 3
    keys = [after[(r, col["creator_key"])] for r in rows]
    assert keys == ["tiktok:newone", "instagram:new.two", "youtube:newthree"]
    assert [after[(r, col["score"])] for r in rows] == [NOT_SCORED] * 3
    tiers = [after[(r, col["tier"])] for r in rows]
    assert tiers[2] == "C" and tiers[0] == tiers[1] and tiers[0].startswith("未评分")  # blacklisted: C without data


def test_native_formulas_equal_the_engine_on_generated_data(office, tmp_path):
    """The build caches the engine's values; LibreOffice recomputes every native formula (score,
    completeness, tier, ROAS, ROI, ER, CPM, CPE, CPA, sums) from the subscores of the last refresh."""
    path = tmp_path / "varied.xlsm"
    build_workbook(path, varied_sample(60))
    probe = office.probe(path, SHEETS)
    assert _lost(probe) == []
    scores = SCHEMA.sheet("scores")
    tiers = {c["value"] for c in probe["after"][scores.name] if c["col"] == scores.keys.index("tier") + 1}
    assert {"S", "A", "B", "C"} & tiers and "C" in tiers  # the generated data reaches several tiers


def test_tier_rounds_the_score_to_one_decimal_first():
    assert udfs.KOL_TIER(84.96, "否 No", [[85], [70], [55]], 1.0, 0.5) == "S"
    assert udfs.KOL_TIER(84.94, "否 No", [[85], [70], [55]], 1.0, 0.5) == "A"


@pytest.fixture(scope="module")
def sizes(tmp_path_factory):
    out = {}
    for n in (250, 1000):
        path = tmp_path_factory.mktemp("cost") / f"cost_{n}.xlsm"
        build_workbook(path, scaled_sample(n))
        out[n] = python_cost(path)
    return out


def test_python_cost_of_a_full_recalculation_grows_linearly(sizes):
    small, large = sizes[250], sizes[1000]
    assert small.calls == large.calls == 7  # one spilled call per function, whatever the size
    assert large.cells <= 100 * 1000
    assert 3.6 <= large.cells / small.cells <= 4.4  # x4 creators: x4 cells
    assert set(large.per_function) == {"KOL_KEY", "KOL_RESPONSIVENESS", "KOL_CONTENT_SCORE", "KOL_COMPLIANCE",
                                       "KOL_PERFORMANCE", "KOL_AUTHENTICITY", "KOL_FIT"}


def test_an_edit_in_a_child_table_reruns_each_function_reading_it_once(sizes):
    cost = sizes[1000]
    assert cost.calls_reading("tblReviews") == {"KOL_CONTENT_SCORE": 1, "KOL_COMPLIANCE": 1}
    assert cost.calls_reading("tblOutreach") == {"KOL_RESPONSIVENESS": 1}
    assert cost.calls_reading("tblSnapshots") == {"KOL_AUTHENTICITY": 1}
    assert cost.calls_reading("tblCollabs") == {"KOL_PERFORMANCE": 1, "KOL_AUTHENTICITY": 1}


def test_formulas_are_stored_as_excel_365_stores_them(sample_workbook):
    """Python calls only as dynamic-array formulas (t="array" + cm="1" cell metadata, so Excel 365
    shows no implicit-intersection @); newer functions with their _xlfn. prefix; no @ anywhere."""
    with zipfile.ZipFile(sample_workbook) as z:
        names = z.namelist()
        assert "xl/metadata.xml" in names and "XLDAPR" in z.read("xl/metadata.xml").decode()
        workbook = z.read("xl/workbook.xml").decode()
        sheet_files = {m.group(1): m.group(2) for m in re.finditer(r'<sheet name="([^"]+)" sheetId="\d+"[^>]*r:id="rId(\d+)"', workbook)}
        assert CALC_SHEET in sheet_files
        calls = 0
        for name in names:
            if not re.match(r"xl/(worksheets/sheet\d+|tables/table\d+)\.xml$", name):
                continue
            xml = z.read(name).decode()
            for cell in re.finditer(r"<c ([^>]*)>(<f[^>]*>)([^<]*)</f>", xml):
                attrs, head, text = cell.groups()
                assert "@" not in re.sub(r'"[^"]*"', "", html.unescape(text)), (name, text[:80])  # text literals aside
                if "AGGREGATE(" in text:
                    assert "_xlfn.AGGREGATE(" in text
                if "KOL_" in text:
                    calls += 1
                    assert 'cm="1"' in attrs and 't="array"' in head, (name, text[:80])
            assert "KOL_" not in "".join(re.findall(r"<calculatedColumnFormula>([^<]*)<", xml)), name
        assert calls == 7
