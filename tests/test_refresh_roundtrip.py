"""Round trip on the real product: build Lianxing_Evaluation.xlsm, let a "user" add a sheet, refresh it
headless from the bundled sample exports, then open it in LibreOffice (through the builder's UNO probe)
and check that nothing was lost: the Refresh button still calls RefreshMetrics, the VBA modules, the
charts, the named cells, the validations and the user's sheet are all there, and the computed columns
hold the engine's values for the refreshed inputs."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from workbook_addin.engine import evaluation as engine
from workbook_addin.workbook import tables_io as wio
from workbook_addin.workbook.build import build_workbook
from workbook_addin.office.libreoffice import LibreOffice
from workbook_addin.jobs.refresh import refresh_workbook
from workbook_addin.core.schema import load_schema
from workbook_addin.workbook.xlsx import XlsxPackage

USER_SHEET = "团队备注 Team notes"
NOW = dt.datetime(2026, 11, 25, 16, 0)


def add_user_sheet(path: Path, name: str, text: str) -> None:
    """What a person does in Excel: insert a sheet. Done at the zip level so nothing else changes."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    n = 1 + max(int(m) for m in re.findall(r"xl/worksheets/sheet(\d+)\.xml", " ".join(parts)))
    part = f"xl/worksheets/sheet{n}.xml"
    parts[part] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>{text}</t></is></c></row></sheetData></worksheet>').encode()
    wb = parts["xl/workbook.xml"].decode()
    sheet_id = 1 + max(int(i) for i in re.findall(r'<sheet [^>]*sheetId="(\d+)"', wb))
    parts["xl/workbook.xml"] = wb.replace(
        "</sheets>", f'<sheet name="{name}" sheetId="{sheet_id}" r:id="rIdUser1"/></sheets>').encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", (
        '<Relationship Id="rIdUser1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'worksheet" Target="worksheets/sheet{n}.xml"/></Relationships>')).encode()
    ct = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = ct.replace("</Types>", (
        f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>')).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name_, data in parts.items():
            z.writestr(name_, data)


def validations(pkg: XlsxPackage) -> dict[str, list[str]]:
    out = {}
    for name in pkg.sheets:
        out[name] = re.findall(r"<dataValidation\b[^>]*>.*?</dataValidation>", pkg.sheet_xml(name), re.S)
    return out


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roundtrip")
    book = folder / "Lianxing_Evaluation.xlsm"
    build_workbook(book)
    add_user_sheet(book, USER_SHEET, "别删 Do not delete")
    shutil.copytree(Path(str(resources.files("templates").joinpath("sample", "exports"))), folder / "exports")
    before = book.read_bytes()
    before_pkg = XlsxPackage(book)
    report = refresh_workbook(book, now=NOW)
    with LibreOffice() as lo:
        before_copy = folder / "before.xlsm"
        before_copy.write_bytes(before)
        probe_before = lo.probe(before_copy)
        probe_after = lo.probe(book)
    return book, report, before_pkg, probe_before, probe_after


def test_refresh_changed_metrics_on_the_built_workbook(roundtrip):
    book, report, *_ = roundtrip
    assert report.rows_updated > 0 and report.files and report.sync_ok
    assert report.changes.cells["collaborations"]


def test_libreoffice_still_finds_button_vba_charts_names_and_user_sheet(roundtrip):
    book, report, before_pkg, before, after = roundtrip
    assert USER_SHEET in after["sheets"] and after["sheets"] == before["sheets"]
    assert after["hidden"] == before["hidden"]
    assert after["basic"] == before["basic"] and any("RefreshMetrics" in src for lib in after["basic"].values()
                                                     for src in lib.values())
    assert after["charts"] == before["charts"] and sum(len(c) for c in after["charts"].values()) >= 1
    assert after["shapes"] == before["shapes"]
    events = [e for s in after["shapes"].values() for e in s["events"]]
    assert any("RefreshMetrics" in str(e.get("script")) for e in events), events
    assert sorted(after["named_ranges"]) == sorted(before["named_ranges"])
    assert "RefreshStatus" in after["named_ranges"]


def test_validations_survive_and_untouched_parts_are_identical(roundtrip):
    book, report, before_pkg, *_ = roundtrip
    after_pkg = XlsxPackage(book)
    va, vb = validations(after_pkg), validations(before_pkg)
    assert sum(len(v) for v in vb.values()) > 0
    assert {k: len(v) for k, v in va.items()} == {k: len(v) for k, v in vb.items()}
    changed = {n for n in after_pkg.data if after_pkg.data[n] != before_pkg.data.get(n)}
    sheet_parts = {s.part for s in after_pkg.sheets.values()} | {t.part for t in after_pkg.tables.values()}
    assert changed <= sheet_parts | {"xl/workbook.xml"}  # VBA project, drawings, charts, styles: byte-identical
    # workbook.xml: only the print areas of the tables that grew moved with them
    def without_print_areas(xml: bytes) -> str:
        return re.sub(r'(<definedName name="_xlnm.Print_Area"[^>]*>)[^<]*', r"\1", xml.decode("utf-8"))

    workbook = "xl/workbook.xml"
    assert without_print_areas(after_pkg.data[workbook]) == without_print_areas(before_pkg.data[workbook])
    assert "xl/vbaProject.bin" in after_pkg.data


def test_computed_columns_hold_the_engine_values(roundtrip):
    book, *_ = roundtrip
    data = wio.read_workbook(book)
    settings, _ = data.settings()
    inputs = {k: data.tables[k] for k in ("creators", "outreach", "collaborations", "reviews", "snapshots")}
    expected = engine.evaluate(inputs, settings, today=NOW.date())
    schema = load_schema()
    for key in ("creators", "outreach", "collaborations"):
        cols = [c.key for c in schema.sheet(key).computed_columns]
        diffs = wio.frames_equal_cells({key: data.tables[key][cols]}, {key: expected.tables[key][cols]})
        assert diffs == [], diffs[:5]
    got = data.tables["scores"].reset_index(drop=True)
    exp = expected.tables["scores"].reset_index(drop=True)[got.columns]
    assert wio.frames_equal_cells({"scores": got}, {"scores": exp}) == []
