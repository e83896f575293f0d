"""Long tables read column by column (fastexcel) give exactly what the cell reader gives, or are
left to the cell reader: text fastexcel would take for a blank, mixed columns, times of day."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
import time
import zipfile
from pathlib import Path

import pytest

import workbook_addin.workbook.table_columns as table_columns
import workbook_addin.workbook.tables_read as tables_read
from workbook_addin.workbook.tables_changes import WorkbookChanges
from workbook_addin.workbook.tables_write import WorkbookFile, write_changes
from workbook_addin.workbook.xlsx import XlsxPackage
from workbook_addin.workbook.xlsx.refs import col_letter

ROWS = 150  # the sample's collaborations and these: over the FAST_ROWS the tests set


@pytest.fixture(scope="module")
def long_book(sample_workbook, tmp_path_factory) -> Path:
    """The sample with 150 more collaborations of every kind of value, written by this product."""
    path = tmp_path_factory.mktemp("long") / "book.xlsm"
    shutil.copy(sample_workbook, path)
    changes = WorkbookChanges()
    changes.appends["collaborations"] = [
        {"collab_id": f"L-{i:04d}", "creator_key": f"tiktok:long_{i % 7}", "campaign": ["夏季 Summer", "Q4"][i % 2],
         "platform": "TikTok", "post_url": f"https://www.tiktok.com/@long_{i % 7}/video/{7400 + i}",
         "publish_date": dt.date(2026, 1, 1) + dt.timedelta(days=i), "currency": "USD",
         "fee": None if i % 9 == 0 else 100.5 + i, "views": float(i * 1000), "likes": None if i % 4 else i,
         "promo_code": "2024" if i % 10 == 0 else None, "kpi_er": 0.05}
        for i in range(ROWS)]
    write_changes(path, changes, backup=False)
    return path


def _read(path: Path, fast_rows: int, monkeypatch) -> tuple[dict, list[str]]:
    """Every table as a refresh reads it (Collaborations on the background thread), and which
    tables were framed from columns."""
    monkeypatch.setattr(table_columns, "FAST_ROWS", fast_rows)
    framed: list[str] = []
    real = tables_read.frame_from_columns

    def spy(columns, headers, cells, first_row, where):
        framed.append(where)
        return real(columns, headers, cells, first_row, where)

    monkeypatch.setattr(tables_read, "frame_from_columns", spy)
    book = WorkbookFile(path)
    try:
        data = book.read(first={"creators"})
        book.read_later()
    finally:
        book.close()
    return data.tables, framed


def _cells(frame) -> dict:
    return {c: [(type(v), v) for v in frame[c]] for c in frame.columns}


def _same_both_ways(path: Path, monkeypatch) -> tuple[dict, list[str]]:
    fast, framed = _read(path, 100, monkeypatch)
    slow, none = _read(path, 10**9, monkeypatch)
    assert not none
    assert fast.keys() == slow.keys()
    for key in slow:
        assert fast[key].index.equals(slow[key].index), key
        assert _cells(fast[key]) == _cells(slow[key]), key
    return fast, framed


def _copy(path: Path, tmp_path: Path) -> Path:
    out = tmp_path / "book.xlsm"
    shutil.copy(path, out)
    return out


def test_a_long_table_is_read_by_columns_with_the_cell_readers_values(long_book, monkeypatch):
    tables, framed = _same_both_ways(long_book, monkeypatch)
    assert any("tblCollabs" in w for w in framed)  # the fast read was taken, and agreed cell for cell
    c = tables["collaborations"].set_index("collab_id")
    assert c.at["L-0003", "publish_date"] == dt.date(2026, 1, 4) and c.at["L-0003", "fee"] == 103.5
    assert c.at["L-0000", "fee"] is None and c.at["L-0010", "promo_code"] == "2024"


def _typed_in_excel(path: Path, row: int, col: int, text: str) -> None:
    """Puts ``text`` into a cell of Collaborations as Excel saves typed text: a shared string."""
    sheet = XlsxPackage(path).sheets["合作 Collaborations"].part
    ref = f"{col_letter(col)}{row}"
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    shared = parts["xl/sharedStrings.xml"]
    index = len(re.findall(rb"<si>|<si/>", shared))
    parts["xl/sharedStrings.xml"] = shared.replace(b"</sst>", b"<si><t>" + text.encode() + b"</t></si></sst>")
    cell = re.compile(rb'<c r="%s"(?: [^>]*)?(?:/>|>.*?</c>)' % ref.encode())
    assert cell.search(parts[sheet])
    parts[sheet] = cell.sub(b'<c r="%s" t="s"><v>%d</v></c>' % (ref.encode(), index), parts[sheet], count=1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def _typed_in_a_copy(long_book: Path, tmp_path: Path, collab_id: str, key: str, text: str) -> tuple[Path, int]:
    """A copy of the long book with ``text`` typed in Excel into collaboration ``collab_id``'s ``key``."""
    path = _copy(long_book, tmp_path)
    book = WorkbookFile(path)
    data = book.read()
    book.close()
    row = int(data.tables["collaborations"].index[data.tables["collaborations"]["collab_id"] == collab_id][0])
    _typed_in_excel(path, row, data.layouts["collaborations"].columns[key], text)
    return path, row


@pytest.mark.parametrize("key, fast", [("views", False), ("promo_code", True)])
def test_blank_like_text_a_person_typed_is_kept(long_book, tmp_path, monkeypatch, key, fast):
    # typed in Excel (a shared string): in a number column fastexcel would read "N/A" as a blank,
    # so the cell reader reads the table; in a text column fastexcel keeps it, and reads on
    path, row = _typed_in_a_copy(long_book, tmp_path, "L-0005", key, "N/A")
    tables, framed = _same_both_ways(path, monkeypatch)
    assert any("tblCollabs" in w for w in framed) is fast
    assert tables["collaborations"].at[row, key] == "N/A"


@pytest.mark.parametrize("key, text", [("views", "NULL"), ("er", "N/A")])
def test_blank_like_text_this_product_wrote_is_kept(long_book, tmp_path, monkeypatch, key, text):
    # an inline string in a number column, and a formula's cached text result (t="str")
    path = _copy(long_book, tmp_path)
    tables, _ = _read(path, 10**9, monkeypatch)
    row = int(tables["collaborations"].index[tables["collaborations"]["collab_id"] == "L-0007"][0])
    changes = WorkbookChanges()
    changes.set("collaborations", row, key, text)
    write_changes(path, changes, backup=False)
    tables, framed = _same_both_ways(path, monkeypatch)
    assert not any("tblCollabs" in w for w in framed)
    assert tables["collaborations"].at[row, key] == text


def test_a_column_of_text_and_numbers_is_left_to_the_cell_reader(long_book, tmp_path, monkeypatch):
    path = _copy(long_book, tmp_path)
    tables, _ = _read(path, 10**9, monkeypatch)
    row = int(tables["collaborations"].index[tables["collaborations"]["collab_id"] == "L-0011"][0])
    changes = WorkbookChanges()
    changes.set("collaborations", row, "views", "12万")
    write_changes(path, changes, backup=False)
    tables, framed = _same_both_ways(path, monkeypatch)
    assert not any("tblCollabs" in w for w in framed)
    assert tables["collaborations"].at[row, "views"] == "12万"


def test_dates_with_a_time_of_day_are_left_to_the_cell_reader(long_book, tmp_path, monkeypatch):
    path = _copy(long_book, tmp_path)
    tables, _ = _read(path, 10**9, monkeypatch)
    row = int(tables["collaborations"].index[tables["collaborations"]["collab_id"] == "L-0020"][0])
    changes = WorkbookChanges()
    changes.set("collaborations", row, "publish_date", dt.datetime(2026, 3, 1, 9, 30))
    write_changes(path, changes, backup=False)
    tables, framed = _same_both_ways(path, monkeypatch)
    assert not any("tblCollabs" in w for w in framed)
    assert tables["collaborations"].at[row, "publish_date"] == dt.datetime(2026, 3, 1, 9, 30)


def test_blank_like_shared_strings_are_found_by_index():
    xml = (b'<sst><si><t>views</t></si><si><t xml:space="preserve">N/A</t></si><si/><si><t>NAME</t></si>'
           b"<si><r><t>N</t></r><r><t>A</t></r></si><si><t>null</t></si><si><t>NA</t><rPh><t>x</t></rPh></si>"
           b"<si><t>US</t></si></sst>")
    assert table_columns.blank_like_shared(xml) == [1, 4, 5, 6]  # rich text counted in, "NAME" not
    sheet = b'<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" s="4" t="s"><v>14</v></c></row>'
    columns = table_columns.blank_like_columns
    assert columns(sheet, [1, 4, 5, 6]) == set()
    assert columns(sheet.replace(b"<v>14</v>", b"<v>4</v>"), [1, 4, 5, 6]) == {2}  # column B
    inline = b'<c r="C2" t="inlineStr"><is><t>%s</t></is></c>'
    assert columns(inline % b"NAME", []) == set()
    assert columns(inline % b"NA", []) == {3}
    assert columns(b'<c r="C2" t="inlineStr"><is><t>NA</t><rPh><t>x</t></rPh></is></c>', []) == {3}
    assert columns(b'<c r="AB2" t="inlineStr"><is><r><t>N/</t></r><r><t>A</t></r></is></c>', []) == {28}
    assert columns(b'<c r="D2" t="str"><f>IF(A2,"N/A",1)</f><v>N/A</v></c>', []) == {4}
    assert columns(b'<c r="D2" t="str"><f>IF(A2,"N/A",1)</f><v>N/Ax</v></c>', []) == set()
    assert columns(b'<c t="inlineStr"><is><t>NA</t></is></c>', []) is None  # no reference: not told
    assert columns(b'<c r="A2"><v>1</v></c><c\nr="B2" t="inlineStr"><is><t>NA</t></is></c>', []) is None


@pytest.mark.parametrize("broken", ["read", "_column"])
def test_a_fast_read_that_fails_leaves_the_table_to_the_cell_reader(long_book, monkeypatch, broken):
    slow, _ = _read(long_book, 10**9, monkeypatch)

    def fail(*args, **kwargs):
        raise RuntimeError("an Arrow layout not met before")

    monkeypatch.setattr(table_columns.FastReader if broken == "read" else table_columns, broken, fail)
    tables, framed = _read(long_book, 100, monkeypatch)
    assert not framed
    assert _cells(tables["collaborations"]) == _cells(slow["collaborations"])


def test_rows_the_sheet_does_not_hold_are_blank_both_ways(long_book, tmp_path, monkeypatch):
    # the first data rows and some in the middle absent from the XML (deleted by another tool):
    # both readers give the same rows, at the same Excel row numbers
    path = _copy(long_book, tmp_path)
    sheet = XlsxPackage(path).sheets["合作 Collaborations"].part
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    for r in (2, 3, 40, 41):
        parts[sheet], n = re.subn(rb'<row r="%d"[ >].*?</row>' % r, b"", parts[sheet], count=1, flags=re.S)
        assert n == 1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    tables, framed = _same_both_ways(path, monkeypatch)
    assert any("tblCollabs" in w for w in framed)
    assert not {2, 3, 40, 41} & set(tables["collaborations"].index) and 4 in tables["collaborations"].index


@pytest.mark.parametrize("typed", [None, "N/A"])
def test_the_framing_thread_looks_for_blank_like_text_while_fastexcel_parses(long_book, tmp_path, monkeypatch, typed):
    # the thread that frames Collaborations arrives while fastexcel parses it on the background
    # thread: it takes the look itself (once, for both), and what the look finds still decides
    path = _typed_in_a_copy(long_book, tmp_path, "L-0005", "views", typed)[0] if typed else long_book
    slow, _ = _read(path, 10**9, monkeypatch)
    looked: list[str] = []
    real_look, real_load = table_columns.FastReader._look, table_columns.load_table
    framing = threading.Event()

    def look(self, table):
        looked.append(threading.current_thread().name)
        return real_look(self, table)

    def load(*args, **kwargs):
        assert framing.wait(10)  # parses on only once the framing thread has come for the table
        time.sleep(0.2)
        return real_load(*args, **kwargs)

    real_table = tables_read.Grids.table

    def table(self, pkg, name):
        if name == "tblCollabs":
            framing.set()
        return real_table(self, pkg, name)

    monkeypatch.setattr(table_columns.FastReader, "_look", look)
    monkeypatch.setattr(table_columns, "load_table", load)
    monkeypatch.setattr(tables_read.Grids, "table", table)
    tables, framed = _read(path, 100, monkeypatch)
    assert looked == [threading.main_thread().name]
    assert any("tblCollabs" in w for w in framed) is (typed is None)  # "N/A" in a number column: cell reader
    assert _cells(tables["collaborations"]) == _cells(slow["collaborations"])
