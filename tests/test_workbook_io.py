"""Headless workbook I/O: read tables by bilingual header, patch cells at the zip/XML level without
losing anything, grow tables, save atomically with a backup, refuse locked workbooks."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings, strategies as st
from python_calamine import CalamineWorkbook

from tests.test_workbook_io_fixtures import USER_SHEET, assert_same_members, make_workbook, sample_rows, zip_members
from workbook_addin.workbook import tables_io as wio
from workbook_addin.core.schema import load_schema
from workbook_addin.workbook.xlsx import XlsxPackage
from workbook_addin.workbook.xlsx.package import PackageError


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return make_workbook(tmp_path_factory.mktemp("built") / "Lianxing_Evaluation.xlsm", sample_rows())


@pytest.fixture
def book(built, tmp_path) -> Path:
    target = tmp_path / built.name
    shutil.copy(built, target)
    return target


def _sheet_xml(path: Path, sheet_name: str) -> str:
    pkg = XlsxPackage(path)
    return pkg.sheet_xml(sheet_name)


def test_read_tables_maps_bilingual_headers_to_schema_keys_with_excel_rows(book):
    tables = wio.read_tables(book)
    sample = sample_rows()
    creators = tables["creators"]
    assert creators.index.name == "excel_row"
    assert list(creators.index) == list(range(2, 2 + len(sample["creators"])))
    assert list(creators.columns) == load_schema().sheet("creators").keys
    assert creators.loc[2, "handle"] == sample["creators"][0]["handle"]
    assert creators.loc[2, "followers"] == sample["creators"][0]["followers"]
    collabs = tables["collaborations"]
    assert collabs.loc[2, "publish_date"] == sample["collaborations"][0]["publish_date"].date()
    assert collabs.loc[2, "commission_rate"] == pytest.approx(sample["collaborations"][0]["commission_rate"])
    # empty tables (one blank data row in Excel) read as empty frames
    assert tables["run_log"].empty and list(tables["run_log"].columns) == load_schema().sheet("run_log").keys
    # the Settings sheet: scalars by their set_<key> names, and its tables
    assert tables["settings"].loc["tier_s", "value"] == 85
    assert tables["settings"].loc["target_markets", "value"] == "US,UK,DE,JP,AE,SA"
    assert len(tables["er_benchmarks"]) == 15 and tables["fx_rates"].set_index("currency").loc["GBP", "rate"] == 1.27


def test_read_finds_columns_by_header_wherever_they_are(tmp_path):
    """A moved column, an English-only header and a column a user inserted do not confuse the reader."""
    sheet = load_schema().sheet("snapshots")
    path = tmp_path / "moved.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet.name)
    ws.write("A1", "标题 Title above the table")
    headers = ["Followers", "我的列 My column", sheet.column("creator_key").header, sheet.column("date").header]
    ws.add_table(2, 1, 4, 4, {"name": sheet.table, "columns": [{"header": h} for h in headers],
                              "data": [[1000, "x", "tiktok:a", "2026-01-01"], [2000, "y", "tiktok:b", None]]})
    wb.close()
    data = wio.read_workbook(path)
    snaps = data.tables["snapshots"]
    assert list(snaps.index) == [4, 5]
    assert snaps.loc[5, "creator_key"] == "tiktok:b" and snaps.loc[4, "followers"] == 1000
    assert data.layouts["snapshots"].columns == {"followers": 2, "creator_key": 4, "date": 5}
    assert any("Source" in w for w in data.warnings)  # the missing column is reported, not guessed


def test_patched_cells_read_back_and_nothing_else_changes(book):
    before = wio.read_tables(book)
    changes = wio.WorkbookChanges()
    changes.set("collaborations", 3, "views", 123456)
    changes.set("collaborations", 3, "gmv", 99.5)
    changes.set("collaborations", 3, "roas", 4.25)  # a formula cell: only its cached value changes
    changes.set("collaborations", 4, "publish_date", dt.date(2026, 12, 24))
    changes.set("creators", 2, "notes", '=1+1 <b>&amp; "quoted" _x0041_ 中文')
    changes.set("creators", 3, "tier", "A")  # a cell XlsxWriter never wrote
    changes.set("creators", 4, "notes", None)
    changes.names["RefreshStatus"] = "刷新完成 Refreshed"
    wio.write_changes(book, changes)
    after = wio.read_tables(book)
    diffs = wio.frames_equal_cells(before, after)
    assert sorted(d.split(":")[0] for d in diffs) == sorted([
        "collaborations row 3 views", "collaborations row 3 gmv", "collaborations row 3 roas",
        "collaborations row 4 publish_date", "creators row 2 notes", "creators row 3 tier", "creators row 4 notes"])
    assert after["collaborations"].loc[3, "views"] == 123456
    assert after["collaborations"].loc[4, "publish_date"] == dt.date(2026, 12, 24)  # date style kept
    assert after["creators"].loc[2, "notes"] == '=1+1 <b>&amp; "quoted" _x0041_ 中文'  # text, never a formula
    assert after["creators"].loc[3, "tier"] == "A"
    xml = _sheet_xml(book, load_schema().sheet("collaborations").name)
    roas_cell = re.search(r'<c r="AP3"[^>]*>(.*?)</c>', xml).group(1)
    assert roas_cell.startswith('<f>IF(N(AI3)&gt;0,AJ3/AI3,"")</f>') and "<v>4.25</v>" in roas_cell
    settings = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("设置 Settings").to_python()
    assert "刷新完成 Refreshed" in [v for row in settings for v in row]


def test_untouched_zip_members_are_byte_identical(book):
    before = zip_members(book)
    with zipfile.ZipFile(book) as z:
        order = z.namelist()
    changes = wio.WorkbookChanges()
    changes.set("collaborations", 2, "views", 1)
    wio.write_changes(book, changes)
    after = zip_members(book)
    with zipfile.ZipFile(book) as z:
        assert z.namelist() == order
        assert z.testzip() is None
    pkg = XlsxPackage(book)
    changed_part = pkg.sheets[load_schema().sheet("collaborations").name].part
    assert {n for n in before if before[n] != after[n]} == {changed_part}
    for name in ("xl/vbaProject.bin", "xl/drawings/vmlDrawing1.vml", "xl/charts/chart1.xml", "xl/styles.xml",
                 "xl/workbook.xml", "xl/comments1.xml"):
        assert after[name] == before[name], name


def test_appended_rows_grow_the_table_and_copy_styles_formulas_and_validations(book):
    schema = load_schema()
    creators = schema.sheet("creators")
    data = wio.read_workbook(book)
    n = len(data.tables["creators"])
    last = data.layouts["creators"].last_row
    changes = wio.WorkbookChanges()
    changes.appends["creators"] = [
        {"platform": "TikTok", "handle": f"new_{i}_demo", "followers": 1000 * i, "fake_follower_rate": 0.2}
        for i in range(3)
    ]
    changes.appends["collaborations"] = [{"collab_id": "C-900", "views": 10, "roas": 2.5}]
    wio.write_changes(book, changes)
    pkg = XlsxPackage(book)
    assert pkg.tables[creators.table].ref == (1, 1, last + 3, len(creators.columns))
    table_xml = pkg.data[pkg.tables[creators.table].part].decode()
    ref = f"A1:{wio_col(len(creators.columns))}{last + 3}"
    assert f'ref="{ref}"' in table_xml and f'<autoFilter ref="{ref}"/>' in table_xml
    xml = pkg.sheet_xml(creators.name)
    assert f'<dimension ref="{ref}"/>' in xml
    rate_col = wio_col(creators.keys.index("fake_follower_rate") + 1)
    style_prev = re.search(rf'<c r="{rate_col}{last}" s="(\d+)"', xml).group(1)
    assert re.search(rf'<c r="{rate_col}{last + 2}" s="{style_prev}"', xml)  # percent format copied
    # validation and conditional format follow the table down
    plat = wio_col(creators.keys.index("platform") + 1)
    assert f'sqref="{plat}2:{plat}{last + 3}"' in xml
    assert f'sqref="{rate_col}2:{rate_col}{last + 3}"' in xml
    after = wio.read_tables(book)
    assert len(after["creators"]) == n + 3
    assert after["creators"].loc[last + 2, "handle"] == "new_1_demo"
    # the formula column's formula is copied to the new row with its row references moved
    collab = schema.sheet("collaborations")
    cxml = pkg.sheet_xml(collab.name)
    new_row = data.layouts["collaborations"].last_row + 1
    assert f"<f>IF(N(AI{new_row})&gt;0,AJ{new_row}/AI{new_row},\"\")</f><v>2.5</v>" in cxml


def wio_col(n: int) -> str:
    from workbook_addin.workbook.xlsx.refs import col_letter

    return col_letter(n)


def test_appending_into_an_empty_table_uses_its_blank_row_first(book):
    changes = wio.WorkbookChanges()
    changes.appends["run_log"] = [{"job": "refresh", "rows_updated": 0}]
    wio.write_changes(book, changes)
    after = wio.read_workbook(book)
    assert list(after.tables["run_log"].index) == [2]
    assert after.layouts["run_log"].last_row == 2  # no growth needed
    changes = wio.WorkbookChanges()
    changes.appends["run_log"] = [{"job": "refresh", "rows_updated": 5}]
    wio.write_changes(book, changes)
    after = wio.read_workbook(book)
    assert list(after.tables["run_log"]["rows_updated"]) == [0, 5]


def test_table_cannot_grow_over_data_below_it(tmp_path):
    sheet = load_schema().sheet("snapshots")
    path = tmp_path / "below.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet.name)
    ws.add_table(0, 0, 1, 3, {"name": sheet.table, "columns": [{"header": c.header} for c in sheet.columns],
                              "data": [["tiktok:a", "2026-01-01", 5, "x"]]})
    ws.write("B4", "someone's note")
    wb.close()
    before = path.read_bytes()
    changes = wio.WorkbookChanges()
    changes.appends["snapshots"] = [{"creator_key": f"tiktok:{i}"} for i in range(3)]
    with pytest.raises(ValueError, match="B4"):
        wio.write_changes(path, changes)
    assert path.read_bytes() == before


def test_replace_rows_shrinks_and_rewrites_a_computed_table(book):
    data = wio.read_workbook(book)
    import pandas as pd

    changes = wio.WorkbookChanges()
    new = pd.DataFrame({"creator_key": [f"k{i}" for i in range(5)], "score": [float(i) for i in range(5)]})
    wio.replace_rows(changes, "scores", data.tables["scores"], new, data.layouts["scores"])
    wio.write_changes(book, changes)
    mid = wio.read_workbook(book)
    assert list(mid.tables["scores"]["creator_key"]) == [f"k{i}" for i in range(5)]
    assert mid.layouts["scores"].last_row == 6
    changes = wio.WorkbookChanges()
    wio.replace_rows(changes, "scores", mid.tables["scores"], new.iloc[:2], mid.layouts["scores"])
    assert changes.keep_rows == {"scores": 2} and not changes.cells  # the first two rows are already right
    wio.write_changes(book, changes)
    after = wio.read_workbook(book)
    assert list(after.tables["scores"]["score"]) == [0, 1]
    assert after.layouts["scores"].last_row == 3


@pytest.mark.parametrize("lock_name", ["~$Lianxing_Evaluation.xlsm", ".~lock.Lianxing_Evaluation.xlsm#"])
def test_locked_workbook_is_refused_and_left_alone(book, lock_name):
    (book.parent / lock_name).write_text("owner")
    before = book.read_bytes()
    changes = wio.WorkbookChanges()
    changes.set("creators", 2, "notes", "x")
    with pytest.raises(wio.WorkbookLockedError, match="Excel or LibreOffice"):
        wio.write_changes(book, changes)
    assert book.read_bytes() == before
    assert not (book.parent / wio.BACKUP_DIR).exists()


def test_save_keeps_timestamped_backups_and_prunes_old_ones(book):
    original = book.read_bytes()
    for i in range(4):
        pkg = XlsxPackage(book)
        pkg.set_cell(USER_SHEET, 5, 1, f"run {i}")
        wio.save_package(pkg, book, keep=3, now=dt.datetime(2026, 11, 25, 15, 30, i))
    backups = sorted((book.parent / wio.BACKUP_DIR).iterdir())
    assert [p.name for p in backups] == [f"Lianxing_Evaluation.2026-11-25T1530{i:02d}.bak.xlsm" for i in (1, 2, 3)]
    assert backups[0].read_bytes() != original  # the oldest (the original) was pruned
    assert "run 2" in str(CalamineWorkbook.from_path(str(backups[-1])).get_sheet_by_name(USER_SHEET).to_python())


def test_a_crash_mid_write_leaves_the_original_intact(book, monkeypatch):
    original = book.read_bytes()

    def crash(self, target, helper=None):
        target.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(XlsxPackage, "save", crash)
    changes = wio.WorkbookChanges()
    changes.set("creators", 2, "notes", "x")
    with pytest.raises(OSError, match="disk full"):
        wio.write_changes(book, changes)
    assert book.read_bytes() == original
    assert sorted(p.name for p in book.parent.iterdir()) == [book.name]  # no temp file, no backup


def test_damaged_workbook_gives_a_clear_error(tmp_path):
    bad = tmp_path / "broken.xlsm"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(wio.WorkbookError, match="broken.xlsm"):
        wio.read_workbook(bad)
    with pytest.raises(PackageError):
        XlsxPackage(bad)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
       number=st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_text_and_numbers_round_trip_exactly(tmp_path, text, number):
    sheet = load_schema().sheet("snapshots")
    path = tmp_path / "rt.xlsx"
    if not path.exists():
        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet(sheet.name)
        ws.add_table(0, 0, 1, 3, {"name": sheet.table, "columns": [{"header": c.header} for c in sheet.columns]})
        wb.close()
    changes = wio.WorkbookChanges()
    changes.set("snapshots", 2, "source", text)
    changes.set("snapshots", 2, "followers", number)
    wio.write_changes(path, changes, backup=False)
    got = wio.read_tables(path)["snapshots"]
    expected = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", text)
    if expected:
        assert got.loc[2, "source"] == expected
    assert got.loc[2, "followers"] == number


def test_libreoffice_opens_the_patched_workbook(book, tmp_path):
    changes = wio.WorkbookChanges()
    changes.set("creators", 2, "notes", "LibreOffice 读得到 can read this")
    changes.appends["creators"] = [{"platform": "YouTube", "handle": "lo_check_demo"}]
    wio.write_changes(book, changes)
    out = tmp_path / "csv"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to",
         "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir", str(out), str(book)],
        check=True, capture_output=True, timeout=180)
    files = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.csv")}
    creators = next(v for k, v in files.items() if "Creators" in k)
    assert "LibreOffice 读得到 can read this" in creators and "lo_check_demo" in creators
    assert any("Do not delete" in v for k, v in files.items() if "My notes" in k)


def test_the_diffs_inline_number_test_decides_as_same_value_does():
    # the refresh's 50 000-row diffs decide numbers inline; every pair of kinds must agree with same_value
    import itertools

    import numpy as np
    import pandas as pd

    from workbook_addin.workbook.tables_changes import differs, same_value

    values = [None, "", " ", "a", "1", 1, 1.0, 1.0000000000001, 1.1, 2, True, False, 0, 0.0, -0.0, float("nan"),
              np.float64(1.0), np.int64(1), pd.NaT, dt.date(2026, 1, 1), dt.datetime(2026, 1, 1), 46023, 46023.0,
              1e-13, 1e300, float("inf")]
    assert [(a, b) for a, b in itertools.product(values, values) if differs(a, b) == same_value(a, b)] == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.integers(-10**18, 10**18), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                          st.text(max_size=8), st.none()), min_size=3, max_size=3))
def test_patched_cells_are_what_cell_xml_writes_whatever_path_wrote_them(values):
    # the patcher's shortcuts (a number into a plain cell, a cached value spliced after a formula) must
    # write exactly the cell a full rewrite writes
    from workbook_addin.workbook.xlsx.cells import cell_xml
    from workbook_addin.workbook.xlsx.sheetxml import SheetEdit, patch_sheet_xml

    row = ('<row r="2"><c r="A2" s="3"><v>1</v></c><c r="B2" s="4"><f>A2*2</f><v>2</v></c>'
           '<c r="C2" s="5" t="str"><f>"x"&amp;A2</f><v>x1</v></c></row>')
    xml = f'<worksheet><sheetData>{row}</sheetData></worksheet>'.encode()
    edit = SheetEdit()
    for col, v in zip((1, 2, 3), values):
        edit.set(2, col, v)
    out = patch_sheet_xml(xml, edit).xml.decode()
    expected = (cell_xml("A2", values[0], attrs={"s": "3"})
                + cell_xml("B2", values[1], attrs={"s": "4"}, formula="<f>A2*2</f>")
                + cell_xml("C2", values[2], attrs={"s": "5"}, formula='<f>"x"&amp;A2</f>'))
    assert out == f'<worksheet><sheetData><row r="2">{expected}</row></sheetData></worksheet>'


_ODD_ROWS = (
    # a plain number, an empty styled cell, a formula holding "" (t="str"), a shared formula, an
    # array formula, an inline string, a missing cell, a row whose r= is not its first attribute
    '<row r="2" spans="1:8"><c r="A2" s="3"><v>1</v></c><c r="B2" s="3"/>'
    '<c r="C2" s="4" t="str"><f>IF(A2&gt;0,"","x")</f><v></v></c>'
    '<c r="D2" s="4"><f t="shared" ref="D2:D4" si="0">A2*2</f><v>2</v></c>'
    '<c r="E2" s="5" cm="1"><f t="array" ref="E2">A2:B2*1</f><v>1</v></c>'
    '<c r="F2" t="inlineStr"><is><t>abc</t></is></c><c r="H2" s="3"><v>7</v></c></row>'
    '<row r="3"><c r="A3" s="3"><v>3</v></c><c r="D3" s="4"><f t="shared" si="0"/><v>6</v></c></row>'
    '<row r="4"><c r="A4" s="3"><v>4</v></c><c r="D4" s="4"><f t="shared" si="0"/><v>8</v></c></row>'
    '<row spans="1:8" r="5"><c r="A5" s="3"><v>5</v></c></row>'
    '<row r="6"><c r="A06" s="3"><v>6</v></c></row>'  # a reference with a leading zero
)
_ODD_EDITS = [
    {(2, 1): 10.5, (2, 2): 3, (2, 3): 0.25, (2, 4): 21.0, (2, 5): 1e20},  # numbers into every form
    {(2, 6): 4.0},  # a number over an inline string: the row patch
    {(2, 7): 4.0, (3, 1): 30.0},  # a missing cell: the row patch inserts it in column order
    {(3, 4): "text", (4, 4): 8.5, (4, 1): True},  # text and a boolean: the row patch
    {(3, 1): float("nan"), (4, 1): None},  # blanks: the row patch
    {(5, 1): 50.0, (2, 1): 1.0},  # a row tag in another order: the row-by-row scan
    {(6, 1): 60.0, (2, 1): 2.0},  # "A06": the row patch
]


@pytest.mark.parametrize("cells", _ODD_EDITS)
def test_numbers_written_in_one_pass_equal_the_row_by_row_patch(cells):
    # write_numbers (one regular expression over the sheet) and rows_in_place are shortcuts: the
    # sheet they write must be byte for byte what the full row-by-row patch writes
    from workbook_addin.workbook.xlsx.sheetxml import SheetEdit, _SheetPatcher, patch_sheet_xml

    xml = f'<worksheet><dimension ref="A1:H6"/><sheetData>{_ODD_ROWS}</sheetData></worksheet>'.encode()
    edit = SheetEdit()
    for (r, c), v in cells.items():
        edit.set(r, c, v)
    got = patch_sheet_xml(xml, edit)
    head, body = xml.split(b"<sheetData>")
    body = body.split(b"</sheetData>")[0]
    full = _SheetPatcher(head.decode(), body, edit, False)
    expected = head + b"<sheetData>" + b"".join(full.patched_rows()) + b"</sheetData></worksheet>"
    assert got.xml == expected
    assert (got.max_row, got.removed_formula) == (full.max_row, full.removed_formula) == (6, False)
    for (r, c), v in cells.items():  # and every value is there
        if isinstance(v, float) and v == v and not v.is_integer():
            assert repr(v).encode() in got.xml


def test_the_number_pass_writes_every_copy_of_a_cell_it_finds():
    # write_numbers looks each number up once, by the cell's usual reference; a second copy of a
    # cell and a cell in another form (t="str") are finished apart, a reference written "A03" is
    # not taken (its row goes to the row patch, like a row with a cell missing). Each copy gets
    # the number, a row found twice is left to the row patch too, and a cell not written keeps
    # its old number
    from workbook_addin.workbook.xlsx.numbers_pass import write_numbers

    body = (b'<row r="2"><c r="A2" s="1"><v>1</v></c><c r="A2" s="1"><v>1</v></c></row>'
            b'<row r="3"><c r="A03" s="1"><v>3</v></c><c r="B3" s="1" t="str"><f>x</f><v>y</v></c></row>'
            b'<row r="4"><c r="A4" s="1"><v>4</v></c></row>')
    pieces, rest = write_numbers(b"<sheetData>" + body + b"</sheetData>", {2: {1: 5.0}, 3: {1: 6.5, 2: 7.0}, 4: {2: 1.0}},
                                 len(b"<sheetData>"), len(b"<sheetData>") + len(body))
    assert b"".join(pieces) == (b'<row r="2"><c r="A2" s="1"><v>5</v></c><c r="A2" s="1"><v>5</v></c></row>'
                                b'<row r="3"><c r="A03" s="1"><v>3</v></c><c r="B3" s="1"><f>x</f><v>7</v></c></row>'
                                b'<row r="4"><c r="A4" s="1"><v>4</v></c></row>')
    assert rest == {2: {1: 5.0}, 3: {1: 6.5, 2: 7.0}, 4: {2: 1.0}}
    # a cell the old pattern does not take (its <v> is not closed) is not taken apart either
    broken = b'<row r="2"><c r="A2" s="1"><v>"/></c></row>'
    pieces, rest = write_numbers(broken, {2: {1: 5.0}})
    assert (b"".join(pieces), rest) == (broken, {2: {1: 5.0}})


def _edited_sample(path):
    """The sample workbook with numbers, text and a grown table on three sheets (a save's usual mix)."""
    pkg = XlsxPackage(path)
    schema = load_schema()
    collabs, scores, creators = (schema.sheet(k) for k in ("collaborations", "scores", "creators"))
    t = pkg.tables[collabs.table]
    for r in range(t.first_data_row, t.last_data_row + 1):
        pkg.set_cell(collabs.name, r, 26, 1000.5 + r)  # views
    pkg.set_cell(scores.name, pkg.tables[scores.table].first_data_row, 24, "改 changed <&>")
    pkg.resize_table(creators.table, pkg.tables[creators.table].last_data_row + 2)
    return pkg


@pytest.mark.parametrize("fails", [False, True])
def test_a_sheet_patched_in_the_second_process_saves_the_same_members(sample_workbook, tmp_path, monkeypatch, fails):
    # the largest edited sheet goes to a second Python process at the save (xlsx.part_patch); the
    # file must hold, member for member, what the one patched here holds (a small part may be
    # deflated at another level), and a process that died must change nothing either
    from workbook_addin.workbook.xlsx import package
    from workbook_addin.workbook.xlsx.part_patch import SecondProcess

    here, there = tmp_path / "here.xlsm", tmp_path / "there.xlsm"
    _edited_sample(sample_workbook).save(here)
    monkeypatch.setattr(package, "OFFLOAD_BYTES", 1)
    decoy = tmp_path / "elsewhere" / "workbook_addin"  # another copy in the working folder is not used
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise SystemExit('the working folder copy was imported')\n")
    monkeypatch.chdir(decoy.parent)
    helper = SecondProcess.start()
    assert helper is not None  # this machine has two cores and a python executable
    pkg = _edited_sample(sample_workbook)
    if fails:
        helper._proc.kill()
        helper._proc.wait()
    try:
        pkg.save(there, helper)
    finally:
        helper.close()
    assert_same_members(here, there)
    assert bool(pkg._deflated) is not fails  # it did go to the other process (or was patched here)


def test_a_second_process_that_hangs_is_waited_for_only_so_long(sample_workbook, tmp_path, monkeypatch):
    # a hung second process costs one OFFLOAD_WAIT, not one a sheet: once an answer did not come,
    # the other sheets sent are not waited for and nothing more is sent
    from concurrent.futures import Future

    from workbook_addin.workbook.xlsx import package

    waits: list[float] = []

    class NeverAnswered(Future):
        def result(self, timeout=None):
            waits.append(timeout)
            raise TimeoutError

    class Hanging:  # answers never come
        def submit(self, *job):
            return NeverAnswered()

    schema = load_schema()
    here, there = tmp_path / "here.xlsm", tmp_path / "there.xlsm"
    _edited_sample(sample_workbook).save(here)
    monkeypatch.setattr(package, "OFFLOAD_BYTES", 1)
    monkeypatch.setattr(package, "OFFLOAD_WAIT", 0.2)
    pkg = _edited_sample(sample_workbook)
    sheets = [schema.sheet(k).name for k in ("collaborations", "creators")]
    assert pkg.send_final(sheets, Hanging()) == sheets  # type: ignore[arg-type]
    pkg.save(there, Hanging())  # type: ignore[arg-type]
    assert_same_members(here, there)
    assert not pkg._deflated and waits == [0.2, 0]  # Scores, left at the save, was not sent


def test_a_part_from_the_second_process_that_does_not_check_out_is_never_saved(sample_workbook, tmp_path,
                                                                                  monkeypatch):
    # where the deflated answer cannot be copied as it is (Zip64), it is inflated and checked
    # against its CRC; a part that does not check out stops the save, never an empty sheet
    from concurrent.futures import Future

    from workbook_addin.workbook.xlsx import package

    class Garbled:
        def submit(self, *job):
            answer: Future = Future()
            answer.set_result((b"not a deflate stream", 12345, 99, False))
            return answer

    monkeypatch.setattr(package, "OFFLOAD_BYTES", 1)
    monkeypatch.setattr(package, "write_raw", lambda *args: False)
    with pytest.raises(package.PackageError, match="does not check out"):
        _edited_sample(sample_workbook).save(tmp_path / "out.xlsm", Garbled())  # type: ignore[arg-type]


def test_the_second_process_runs_only_its_own_module(tmp_path):
    # a scheduled script without a __main__ guard must not run twice: the child runs the patching
    # module only, never a re-import of the caller's script
    script = tmp_path / "daily.py"
    marker = tmp_path / "ran.txt"
    script.write_text(
        f"with open({str(marker)!r}, 'a') as f:\n"
        "    f.write('x')\n"
        "from workbook_addin.workbook.xlsx.part_patch import SecondProcess\n"
        "h = SecondProcess.start()\n"
        "assert h is not None\n"
        "h.close()\n")
    subprocess.run([sys.executable, str(script)], check=True, timeout=60)
    assert marker.read_text() == "x"


def test_the_second_process_starts_without_pandas_and_still_writes_dates_and_blanks():
    # the child imports only the patching code (pandas would cost it 0.25 s of CPU at each start);
    # a value that is neither a number nor text brings the cell rules in when first written
    code = ("import sys\n"
            "from workbook_addin.workbook.xlsx.part_patch import _serve\n"
            "from workbook_addin.workbook.xlsx.cells import value_xml\n"
            "before = sorted(m for m in ('pandas', 'numpy', 'urllib.request') if m in sys.modules)\n"
            "import datetime as dt, fractions\n"
            "print(before, value_xml(dt.date(2026, 11, 28), False), value_xml(None, False),\n"
            "      value_xml(fractions.Fraction(3, 2), False))\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, timeout=60, capture_output=True, text=True).stdout
    assert out.strip() == "[] (None, '<v>46354</v>') (None, '') (None, '<v>1.5</v>')"


def test_a_big_sheet_part_round_trips_through_the_fast_deflate_and_inflate(tmp_path):
    # parts over BIG_PART are deflated and inflated with ISA-L (zlib where isal is missing): the saved
    # file must be a valid zip whose every member checks out, and read back to what was written
    from python_calamine import CalamineWorkbook

    from workbook_addin.workbook.xlsx import members

    path = tmp_path / "big.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    for r in range(30_000):
        ws.write_row(r, 0, [f"row {r}", r, r * 0.5, f"text {r % 97}"])
    wb.close()
    pkg = XlsxPackage(path)
    part = pkg.sheets["Data"].part
    assert pkg.infos_size(part) > 0 and len(pkg.data[part]) > members.BIG_PART
    pkg.set_cell("Data", 20_000, 3, 12345.25)
    pkg.set_cell("Data", 29_999, 1, "改 changed")
    with open(tmp_path / "out.xlsx", "wb") as f:
        pkg.save(f)
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        assert z.testzip() is None
        via_zipfile = z.read(part)
    again = XlsxPackage(tmp_path / "out.xlsx")
    assert again.data[part] == via_zipfile  # the fast inflate gives zipfile's bytes
    rows = CalamineWorkbook.from_path(str(tmp_path / "out.xlsx")).get_sheet_by_name("Data").to_python()
    assert rows[19_999][2] == 12345.25 and rows[29_998][0] == "改 changed"
    assert rows[100] == ["row 100", 100, 50, "text 3"]


def test_reading_the_largest_sheet_on_a_second_thread_reads_the_same_tables(sample_workbook, monkeypatch):
    from workbook_addin.workbook import tables_read

    alone = wio.read_workbook(sample_workbook)
    monkeypatch.setattr(tables_read, "PREFETCH_BYTES", 0)  # the sample's sheets are small: prefetch them all the same
    threaded = wio.read_workbook(sample_workbook)
    assert set(threaded.tables) == set(alone.tables) and threaded.settings_values == alone.settings_values
    assert wio.frames_equal_cells(threaded.tables, alone.tables) == []
    assert threaded.layouts == alone.layouts and threaded.dashboard_markets == alone.dashboard_markets
    assert list(threaded.tables) == list(alone.tables) and threaded.warnings == alone.warnings


@pytest.mark.parametrize("fails", [False, True])
def test_sheets_sent_early_and_edited_again_save_what_one_save_of_all_edits_saves(sample_workbook, tmp_path,
                                                                                   monkeypatch, fails):
    # a job hands the sheets it has finished to the second process while it goes on (send_final);
    # jobs queue there one after the other; a sheet edited again after it was sent is patched
    # further at the save. The file must hold, member for member, what one save of all the edits
    # holds, also when the second process died before answering
    from workbook_addin.workbook.xlsx import package
    from workbook_addin.workbook.xlsx.part_patch import SecondProcess

    schema = load_schema()
    collabs, creators = schema.sheet("collaborations"), schema.sheet("creators")
    here, there = tmp_path / "here.xlsm", tmp_path / "there.xlsm"

    def more(pkg):  # edits made after the sheets were sent
        first = pkg.tables[collabs.table].first_data_row
        pkg.set_table_rows(collabs.table, {first: {27: 77.25}, first + 1: {5: "later <text>"}})

    whole = _edited_sample(sample_workbook)
    more(whole)
    whole.save(here)
    monkeypatch.setattr(package, "OFFLOAD_BYTES", 1)
    helper = SecondProcess.start()
    assert helper is not None
    pkg = _edited_sample(sample_workbook)
    if fails:
        helper._proc.kill()
        helper._proc.wait()
    try:
        assert pkg.send_final([collabs.name, creators.name], helper) == [collabs.name, creators.name]
        assert not pkg._edits.get(collabs.name) and len(pkg._sent) == 2
        more(pkg)
        pkg.save(there, helper)
    finally:
        helper.close()
    assert_same_members(here, there)
    sent = {pkg.sheets[creators.name].part} if not fails else set()
    assert set(pkg._deflated) == sent  # Creators came back deflated; Collaborations was patched further here


def test_a_sheet_sent_ahead_is_patched_from_what_the_second_process_inflated(sample_workbook, tmp_path,
                                                                              monkeypatch):
    # preload sends a sheet as stored before its edit exists, to be inflated while the second
    # process waits; the edit then goes alone, and the saved file is the same
    from workbook_addin.workbook.xlsx import package
    from workbook_addin.workbook.xlsx.part_patch import SecondProcess

    collabs = load_schema().sheet("collaborations")
    here, there = tmp_path / "here.xlsm", tmp_path / "there.xlsm"
    _edited_sample(sample_workbook).save(here)
    monkeypatch.setattr(package, "OFFLOAD_BYTES", 1)
    pkg = _edited_sample(sample_workbook)
    info = pkg.info(pkg.sheets[collabs.name].part)
    helper = SecondProcess.start()
    assert helper is not None and info is not None
    try:
        helper.preload(pkg.data.raw(info), info.file_size, info.CRC)  # type: ignore[attr-defined]
        sent: list[tuple] = []
        run = helper._run
        helper._run = lambda job: sent.append(job) or run(job)  # type: ignore[method-assign]
        assert pkg.send_final([collabs.name], helper) == [collabs.name]
        pkg.save(there, helper)
    finally:
        helper.close()
    assert_same_members(here, there)
    assert [job[1] for job in sent if job[0] == "patch" and job[3] == info.CRC] == [None]  # the edit went alone
    assert info.filename in pkg._deflated  # and the second process patched it


def test_a_table_changed_after_it_was_written_early_is_never_saved(sample_workbook, tmp_path):
    # write_early promises the job will not change those tables again: a change after it would
    # land on rows the early write already moved, so the write refuses and the file stays as it was
    from workbook_addin.workbook.tables_changes import WorkbookChanges

    path = tmp_path / "book.xlsm"
    shutil.copy(sample_workbook, path)
    before = path.read_bytes()
    book = wio.WorkbookFile(path, backup=False)
    data = book.read()
    row = int(data.tables["collaborations"].index[0])
    changes = WorkbookChanges()
    changes.set("collaborations", row, "views", 12345)
    changes.set("creators", int(data.tables["creators"].index[0]), "notes", "x")
    early = changes.take(["collaborations"])
    assert set(early.cells) == {"collaborations"} and set(changes.cells) == {"creators"}
    book.write_early(early)
    changes.set("collaborations", row, "likes", 5)
    with pytest.raises(wio.WorkbookError, match="written early changed again"):
        book.write(changes)
    assert path.read_bytes() == before
    changes.merge(early)  # on record, the later change wins and the early one is kept
    assert changes.cells["collaborations"][row] == {"views": 12345, "likes": 5}


def test_reading_some_tables_first_and_the_rest_later_reads_the_same_workbook(sample_workbook, monkeypatch):
    # read(first=...) frames a few tables and parses the other sheets on a background thread;
    # read_later frames those (parsed behind, or here when not started yet): together the same
    # tables, layouts, settings and warnings as one read
    alone = wio.WorkbookFile(sample_workbook).read()
    book = wio.WorkbookFile(sample_workbook)
    data = book.read(first={"creators", "snapshots"})
    assert set(data.tables) == {"creators", "snapshots"} and data.settings_tables.keys() == alone.settings_tables.keys()
    assert book.read_later(["collaborations", "ledger"]) == []
    assert set(data.tables) == {"creators", "snapshots", "collaborations", "ledger"}
    book.read_later()
    assert set(data.tables) == set(alone.tables)
    assert wio.frames_equal_cells(data.tables, alone.tables) == []
    assert data.layouts == alone.layouts and data.settings_values == alone.settings_values
    assert data.dashboard_markets == alone.dashboard_markets and data.warnings == alone.warnings
    assert not book._grids.behind  # every sheet parsed behind was taken


def test_what_a_job_hands_over_is_freed_by_the_end_of_the_write(sample_workbook, tmp_path):
    # a job gives the writer its frames to drop while the save waits (free_during_write): by the
    # time write() returns they are gone, with the cells it parsed, and the file is written
    import weakref

    path = tmp_path / "book.xlsm"
    shutil.copy(sample_workbook, path)
    book = wio.WorkbookFile(path, backup=False)
    data = book.read()

    class Frames(dict):  # a dict a weak reference can follow
        pass

    frames = Frames(data.tables)
    gone, cells = weakref.ref(frames), weakref.ref(book._grids)
    book.free_during_write([frames])
    del frames
    changes = wio.WorkbookChanges()
    changes.set("creators", int(data.tables["creators"].index[0]), "notes", "写入 written")
    book.write(changes)
    assert gone() is None and cells() is None
    assert "写入 written" in set(wio.read_tables(path)["creators"]["notes"].dropna())


def test_cells_are_mapped_to_their_columns_and_a_column_outside_the_table_is_refused(sample_workbook):
    # rows setting the same keys share one mapping (a refresh's 50 000 rows); a key the table lacks
    # is left out; a sheet column outside the Table stops the write before anything is recorded
    from workbook_addin.workbook.tables_write import _by_column

    columns = {"views": 26, "likes": 27}
    rows = {5: {"views": 1.5, "likes": 2}, 6: {"views": 3.0, "likes": 4}, 7: {"likes": 9, "nope": "x"}}
    assert _by_column(rows, columns) == {5: {26: 1.5, 27: 2}, 6: {26: 3.0, 27: 4}, 7: {27: 9}}
    pkg = XlsxPackage(sample_workbook)
    table = pkg.tables[load_schema().sheet("collaborations").table]
    first, last_col = table.first_data_row, table.last_col
    with pytest.raises(PackageError, match=f"column {last_col + 1} is outside table"):
        pkg.set_table_rows(table.name, {first: {2: "ok"}, first + 1: {last_col + 1: "too far"}})
    assert not pkg._edits.get(table.sheet)
    given = {first: {2: "mine"}}
    pkg.set_table_rows(table.name, given)
    given[first][2] = "changed later"  # the package keeps its own copy
    assert pkg._edits[table.sheet].values[first] == {2: "mine"}
