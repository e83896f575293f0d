"""A workbook built before the import ledger: the refresh adds the hidden _ledger Table and the
Matches to confirm and Unmatched exports sheets, keeps everything typed, and from then on keeps
history like a workbook built today. The old workbook is the current build with those three sheets
taken out, as an older builder wrote it (sheet, Table, relationships, content types, names)."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from workbook_addin.core.schema import load_schema
from workbook_addin.jobs.refresh import refresh_workbook
from workbook_addin.office.libreoffice import LibreOffice
from workbook_addin.workbook import tables_io as wio
from workbook_addin.workbook.build import build_workbook
from workbook_addin.workbook.upgrade import ADDED_SHEETS
from workbook_addin.workbook.xlsx import XlsxPackage

NOW = dt.datetime(2026, 11, 25, 9, 0)
SCHEMA = load_schema()
NEW = [SCHEMA.sheet(k) for k in ADDED_SHEETS]


def without_sheets(path: Path, names: list[str]) -> None:
    """Takes sheets out of a workbook file as if they had never been built into it."""
    pkg = XlsxPackage(path)
    drop = set()
    texts = {n: pkg.part_text(n) for n in ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")}
    for name in names:
        part = pkg.sheets[name].part
        drop |= {part, f"xl/worksheets/_rels/{part.rsplit('/', 1)[1]}.rels"}
        drop |= {t.part for t in pkg.tables.values() if t.sheet == name}
        order = re.findall(r'<sheet name="([^"]*)"', texts["xl/workbook.xml"])
        index = order.index(name)

        def local(m: re.Match, index: int = index) -> str:  # sheet-scoped names follow the sheets' positions
            i = int(m.group(2))
            return "" if i == index else m.group(0).replace(f'localSheetId="{i}"', f'localSheetId="{i - (i > index)}"')

        wb = re.sub(r'(<definedName\b[^>]*localSheetId=")(\d+)"[^>]*>[^<]*</definedName>', local,
                    texts["xl/workbook.xml"])
        rid = re.search(rf'<sheet name="{re.escape(name)}"[^>]*r:id="([^"]+)"', wb).group(1)
        texts["xl/workbook.xml"] = re.sub(rf'<sheet name="{re.escape(name)}"[^>]*/>', "", wb)
        texts["xl/_rels/workbook.xml.rels"] = re.sub(rf'<Relationship Id="{rid}"[^>]*/>', "",
                                                      texts["xl/_rels/workbook.xml.rels"])
    for part in drop:
        texts["[Content_Types].xml"] = texts["[Content_Types].xml"].replace(
            re.search(rf'<Override PartName="/{re.escape(part)}"[^>]*/>', texts["[Content_Types].xml"]).group(0)
            if f'"/{part}"' in texts["[Content_Types].xml"] else "\0", "")
    members = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if info.filename not in drop:
                members[info] = texts.get(info.filename, "").encode() or z.read(info.filename)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members.items():
            z.writestr(info, data)


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("upgrade")
    old, new = folder / "old" / "Lianxing_Evaluation.xlsm", folder / "new" / "Lianxing_Evaluation.xlsm"
    for book in (old, new):
        book.parent.mkdir()
        shutil.copytree(Path(str(resources.files("templates").joinpath("sample", "exports"))), book.parent / "exports")
    build_workbook(new)
    shutil.copy(new, old)
    without_sheets(old, [s.name for s in NEW])
    before = wio.read_workbook(old)
    assert not {s.table for s in NEW} & set(XlsxPackage(old).tables)
    report = refresh_workbook(old, now=NOW, sync=False)
    refresh_workbook(new, now=NOW, sync=False)
    return old, new, before, report


def test_the_refresh_adds_the_ledger_and_the_two_sheets_and_says_so(upgraded):
    old, new, before, report = upgraded
    added = [w for w in report.warnings if "added the sheet" in w]
    assert len(added) == 3 and all(any(s.name in w for w in added) for s in NEW)
    assert not any("no import ledger" in w for w in report.warnings)
    pkg = XlsxPackage(old)
    assert {s.table for s in NEW} <= set(pkg.tables) and pkg.sheets["_ledger"].state == "hidden"
    after = wio.read_workbook(old)
    # the ledger, the proposals and the leftovers are those a workbook built today gets
    fresh = wio.read_workbook(new)
    for key in ADDED_SHEETS:
        got, want = after.tables[key].reset_index(drop=True), fresh.tables[key].reset_index(drop=True)
        assert len(got) == len(want) > 0 and wio.frames_equal_cells({key: got}, {key: want}) == []
    assert wio.frames_equal_cells({"c": after.tables["collaborations"]}, {"c": fresh.tables["collaborations"]}) == []


def test_nothing_typed_changes_and_the_ledger_keeps_history_from_then_on(upgraded, tmp_path):
    old, _new, before, _report = upgraded
    after = wio.read_workbook(old)
    for sheet in SCHEMA.sheets:
        if sheet.key in before.tables and not sheet.computed and sheet.key != "collaborations":
            keys, rows = [c.key for c in sheet.input_columns], before.tables[sheet.key].index  # (snapshots grow)
            assert wio.frames_equal_cells({sheet.key: before.tables[sheet.key][keys]},
                                          {sheet.key: after.tables[sheet.key].loc[rows, keys]}) == []
    book = tmp_path / old.name
    shutil.copy(old, book)
    shutil.copytree(old.parent / "exports", tmp_path / "exports")
    totals = after.tables["collaborations"].set_index("collab_id")[["orders", "gmv"]]
    report = refresh_workbook(book, now=NOW + dt.timedelta(minutes=5), sync=False)  # the upgrade is told once
    assert "match" in report.timings and not any("added the sheet" in w for w in report.warnings)
    for shop in (tmp_path / "exports").glob("*shopify*"):
        shop.unlink()  # last month's shop export leaves the folder
    report = refresh_workbook(book, now=NOW + dt.timedelta(days=1), sync=False)
    assert not any("added the sheet" in w for w in report.warnings)
    report = refresh_workbook(book, now=NOW + dt.timedelta(days=1, hours=1), sync=False)  # a repeat says it neither
    assert "match" not in report.timings and not any("added the sheet" in w for w in report.warnings)
    again = wio.read_workbook(book).tables["collaborations"].set_index("collab_id")[["orders", "gmv"]]
    assert wio.frames_equal_cells({"t": totals}, {"t": again}) == []


def test_libreoffice_opens_the_upgraded_workbook_with_every_sheet(upgraded):
    old, *_ = upgraded
    with LibreOffice() as lo:
        probe = lo.probe(old)
    for sheet in SCHEMA.sheets:
        assert sheet.name in probe["sheets"]
    assert "_ledger" in probe["hidden"] and "_sync_base" in probe["hidden"]
    assert "RefreshStatus" in probe["named_ranges"]
