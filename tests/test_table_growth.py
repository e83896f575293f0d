"""Tables that grow headlessly keep everything with them: conditional formats, drop-downs, print
areas, the dashboard's ranges and charts; and a printed sheet shows every row in its colours.

A new team workbook (``lianxing new``: one blank row per Table) gets the sample's creators,
outreach, collaborations, reviews and snapshots written in through the file adapter every job uses
(tables_io, zip/XML patches), then a headless refresh grows Scores from its blank row. What the
file holds is compared with the sample workbook built with those rows from the start, and
LibreOffice shows what a person would see and print."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from workbook_addin.core.schema import load_schema
from workbook_addin.jobs.refresh import refresh_workbook
from workbook_addin.office.libreoffice import pdf_to_png
from workbook_addin.workbook import tables_io as wio
from workbook_addin.workbook.build import build_workbook
from workbook_addin.workbook.dashboard_cells import DASHBOARD_SHEET, dashboard_layout
from workbook_addin.workbook.formats import TIER_COLOURS
from workbook_addin.workbook.xlsx import XlsxPackage
from workbook_addin.workbook.xlsx.refs import parse_range

SCHEMA = load_schema()
TYPED = ("creators", "outreach", "collaborations", "reviews", "snapshots")
#: the tables the refresh fills from their one blank row (reminders too, but they depend on the date)
GROWN = TYPED + ("scores", "playbook", "agencies", "pilot", "quotes")
NOW = dt.datetime(2026, 11, 25, 9, 0)


@pytest.fixture(scope="module")
def grown(tmp_path_factory, sample_workbook) -> Path:
    folder = tmp_path_factory.mktemp("grow")
    path = folder / "team.xlsm"
    build_workbook(path, empty=True)
    sample, data = wio.read_workbook(sample_workbook), wio.read_workbook(path)
    changes = wio.WorkbookChanges()
    for key in TYPED:
        typed = sample.tables[key].drop(columns=sorted(data.layouts[key].formula_columns & set(sample.tables[key])))
        wio.replace_rows(changes, key, data.tables[key], typed.reset_index(drop=True), data.layouts[key])
    wio.write_changes(path, changes, backup=False)
    (folder / "exports").mkdir()
    refresh_workbook(path, folder / "exports", sync=False, now=NOW, backup=False)
    return path


def _ranges(pkg: XlsxPackage, sheet: str) -> dict[str, list[str]]:
    """The sheet's conditional-format and validation ranges, and its print area."""
    xml = pkg.sheet_xml(sheet)
    index = list(pkg.sheets).index(sheet)
    workbook = pkg.data["xl/workbook.xml"].decode("utf-8")
    area = re.findall(rf'<definedName name="_xlnm.Print_Area" localSheetId="{index}">([^<]*)<', workbook)
    return {
        "conditional_formats": sorted(re.findall(r'<conditionalFormatting\b[^>]*\bsqref="([^"]*)"', xml)
                                      + re.findall(r"<xm:sqref>([^<]*)</xm:sqref>", xml)),
        "validations": sorted(re.findall(r'<dataValidation\b[^>]*\bsqref="([^"]*)"', xml)),
        "print_area": area,
    }


def test_grown_tables_have_the_layout_of_a_workbook_built_with_those_rows(grown, sample_workbook):
    got, expected = XlsxPackage(grown), XlsxPackage(sample_workbook)
    for key in GROWN:
        sheet = SCHEMA.sheet(key)
        assert got.tables[sheet.table].ref == expected.tables[sheet.table].ref, key
        assert got.tables[sheet.table].ref[2] > 2, key  # it did grow from its one blank row
        assert _ranges(got, sheet.name) == _ranges(expected, sheet.name), key


def _cover(refs: list[str], last_row: int) -> bool:
    return all(parse_range(ref.split("!")[-1].replace("$", ""))[2] == last_row for ref in refs)


def test_formats_drop_downs_and_print_area_follow_past_the_builds_limit(tmp_path, sample_workbook):
    """The build lays drop-downs down to row 1001; a sync of 1 100 more creators goes beyond."""
    path = Path(shutil.copy(sample_workbook, tmp_path / "big.xlsm"))
    changes = wio.WorkbookChanges()
    changes.appends["creators"] = [{"platform": "TikTok", "handle": f"new_{i}", "display_name": f"New {i}"}
                                   for i in range(1100)]
    wio.write_changes(path, changes, backup=False)
    pkg = XlsxPackage(path)
    table = pkg.tables[SCHEMA.sheet("creators").table]
    last = table.ref[2]
    assert last == 13 + 1100
    ranges = _ranges(pkg, table.sheet)
    assert ranges["validations"] and _cover(ranges["validations"], last)
    assert ranges["conditional_formats"] and _cover(ranges["conditional_formats"], last)
    assert ranges["print_area"] and _cover(ranges["print_area"], last)


def test_a_shrinking_table_pulls_its_print_area_back(tmp_path, sample_workbook):
    path = Path(shutil.copy(sample_workbook, tmp_path / "small.xlsm"))
    changes = wio.WorkbookChanges()
    changes.keep_rows["scores"] = 4
    wio.write_changes(path, changes, backup=False)
    pkg = XlsxPackage(path)
    # the live-values line above the Scores table, its header and the 4 rows kept
    assert _cover(_ranges(pkg, SCHEMA.sheet("scores").name)["print_area"], 6)
    assert _cover(_ranges(pkg, SCHEMA.sheet("creators").name)["print_area"], 13)  # other sheets untouched


def test_dashboard_and_charts_read_whole_table_columns(grown):
    """No fixed row range anywhere: the helper formulas name Table columns, the charts the helpers."""
    pkg = XlsxPackage(grown)
    formulas = re.findall(r"<f>([^<]*)</f>", pkg.sheet_xml(DASHBOARD_SHEET))
    assert formulas
    tables = {s.name for s in SCHEMA.sheets}
    for formula in formulas:
        for quoted in re.findall(r"'((?:[^']|'')+)'!", formula):
            assert quoted not in tables, formula  # a table sheet by A1 reference would miss new rows
    assert sum("tbl" in f for f in formulas) >= 20
    with zipfile.ZipFile(grown) as z:
        series = [ref for name in z.namelist() if name.startswith("xl/charts/chart")
                  for ref in re.findall(r"<c:f>([^<]*)</c:f>", z.read(name).decode("utf-8"))]
    assert series and all(ref.startswith(f"'{DASHBOARD_SHEET}'!") for ref in series)


# ------------------------------------------------------------------------------------- LibreOffice


def test_libreoffice_reads_the_grown_ranges(office, grown, sample_workbook):
    rows = {SCHEMA.sheet(k).name: XlsxPackage(grown).tables[SCHEMA.sheet(k).table].ref[2] for k in GROWN}
    got = office.layout(grown, rows)
    built = office.layout(sample_workbook, {name: 2 for name in rows})
    for key in GROWN:
        name, last = SCHEMA.sheet(key).name, rows[SCHEMA.sheet(key).name]
        width = len(SCHEMA.sheet(key).columns)
        assert got[name]["print_areas"] == [[1, 1, last, width]], key
        assert got[name]["conditional_formats"] == built[name]["conditional_formats"], key
        assert all(area[2] == last for f in got[name]["conditional_formats"] for area in f), key
        # the last, grown row offers the drop-downs the first row of the built workbook offers
        assert got[name]["drop_down_columns"] == built[name]["drop_down_columns"], key


def test_dashboard_recalculated_by_libreoffice_counts_the_grown_rows(office, grown):
    probe = office.probe(grown, [DASHBOARD_SHEET])
    before = {(c["row"], c["col"]): c["value"] for c in probe["before"][DASHBOARD_SHEET]}
    after = {(c["row"], c["col"]): c["value"] for c in probe["after"][DASHBOARD_SHEET]}
    data = wio.read_workbook(grown)
    layout = dashboard_layout(SCHEMA, data.dashboard_markets or [])
    kpi = parse_range(layout.cells["kpi_0"].replace("$", ""))
    assert after[kpi[:2]] == len(data.tables["creators"]) == 12  # =COUNTA(tblCreators[...]) over all rows
    funnel = parse_range(layout.cells["funnel_counts"].replace("$", ""))
    assert after[funnel[:2]] == before[funnel[:2]] >= len(data.tables["creators"])  # the refresh's value


def _words(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    html = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [(w, float(x0), float(y0), float(x1), float(y1)) for x0, y0, x1, y1, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)]


def test_printed_sheets_show_every_grown_row_and_its_tier_colour(office, grown, tmp_path):
    data = wio.read_workbook(grown)
    creators = SCHEMA.sheet("creators").name
    pdf = office.sheet_pdf(grown, creators, tmp_path / "creators.pdf")
    printed = {w for w, *_ in _words(pdf)}
    assert set(data.tables["creators"]["handle"]) <= printed

    pdf = office.sheet_pdf(grown, SCHEMA.sheet("scores").name, tmp_path / "scores.pdf")
    words = _words(pdf)
    [page] = pdf_to_png(pdf, tmp_path / "scores", dpi=300)
    image = Image.open(page).convert("RGB")
    tier_x = next(x0 for w, x0, *_ in words if w == "等级")  # the header "等级 Tier"
    scores = data.tables["scores"]
    coloured = 0
    for handle, tier in zip(scores["handle"], scores["tier"]):
        y = next(y0 for w, _x0, y0, *_ in words if w == handle)  # every row is printed
        if tier not in TIER_COLOURS:
            continue  # incomplete data: no tier, no colour
        x1, y0, y1 = next((x1, y0, y1) for w, x0, y0, _x1, y1 in words
                          for x1 in [_x1] if w == tier and abs(x0 - tier_x) < 2 and abs(y0 - y) < 1.5)
        pixel = image.getpixel((int((x1 + 3) * 300 / 72), int((y0 + y1) / 2 * 300 / 72)))
        assert "#{:02X}{:02X}{:02X}".format(*pixel) == TIER_COLOURS[tier][0], (handle, tier)
        coloured += 1
    assert coloured == scores["tier"].isin(list(TIER_COLOURS)).sum() >= 8
