"""Long tables remembered as saved (workbook/table_memo.py): what the memo gives is what reading the
file gives, value for value and type for type, or the file is read. Real files, the real writer and
readers, the real refresh."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_refresh import EXPORTS
from tests.test_refresh_ledger import case_book, sample_book  # noqa: F401 - fixtures (sample_book: formulas)
from workbook_addin.core.schema import load_schema
from workbook_addin.jobs import refresh_memo
from workbook_addin.jobs.refresh import refresh_workbook
from workbook_addin.workbook import table_columns, table_memo, tables_io as wio, tables_read
from workbook_addin.workbook.tables_changes import WorkbookChanges, replace_rows
from workbook_addin.workbook.tables_write import WorkbookFile
from workbook_addin.workbook.xlsx import XlsxPackage

NOW = dt.datetime(2026, 11, 25, 15, 30)
LEDGER = load_schema().sheet("ledger")


def _types(frame: pd.DataFrame) -> dict[str, list[tuple[type, object]]]:
    return {c: [(type(v), v) for v in frame[c]] for c in frame.columns}


def remembered(path: Path, memo: table_memo.TableMemo, key: str = "ledger") -> pd.DataFrame | None:
    """The memo's table ``key`` for the file as it is now (None: a read would parse it)."""
    pkg = XlsxPackage(path)
    sheet = load_schema().sheet(key)
    parts = [(name, table_memo.stored(pkg, name)) for name in table_memo.key_parts(pkg, sheet.table)]
    found = memo.recall(key, memo.key(key, parts), sheet.columns)  # type: ignore[arg-type]
    return None if found is None else found.frame


def read_table(path: Path, key: str = "ledger") -> pd.DataFrame:
    book = WorkbookFile(path)  # no memo: the readers parse the sheet
    try:
        return book.read(keys={key}).tables[key]
    finally:
        book.close()


def _early(*frames: pd.DataFrame) -> bool:
    """Whether a day before 1 March 1900 (Excel's serial numbers count a 29 February 1900) was written."""
    return any(isinstance(v, dt.date) and dt.date(v.year, v.month, v.day) < dt.date(1900, 3, 1)
               for frame in frames for v in frame.to_numpy().ravel())


def assert_same_as_read(path: Path, memo: table_memo.TableMemo, written: pd.DataFrame | None = None,
                        early: bool = False, key: str = "ledger") -> None:
    """The memo gives what the reader gives; it may only be missing for a table ``written`` with a
    row left blank in the file (the reader skips it) or after an ``early`` day was written."""
    mine, read = remembered(path, memo, key), read_table(path, key)
    if mine is None and written is not None:
        assert len(read) < len(written) or early
        return
    assert mine is not None
    assert mine.index.equals(read.index) and list(mine.columns) == list(read.columns)
    assert _types(mine) == _types(read)


def parsed_sheets(monkeypatch) -> list[str]:
    """The sheets and long tables the readers parse from now on."""
    seen: list[str] = []
    get, fast = tables_read.Grids.get, table_columns.FastReader.read
    monkeypatch.setattr(tables_read.Grids, "get", lambda self, book, sheet: seen.append(sheet) or get(self, book, sheet))
    monkeypatch.setattr(table_columns.FastReader, "read", lambda self, table: seen.append(table) or fast(self, table))
    return seen


@pytest.fixture
def every_table(monkeypatch) -> table_memo.TableMemo:
    """The refresh's memo, remembering tables of any length (the test workbooks are short)."""
    usual = refresh_memo.table_memo
    monkeypatch.setattr(refresh_memo, "table_memo", lambda: dataclasses.replace(usual(), min_rows=1))
    return refresh_memo.table_memo()


TABLES = [s.key for s in load_schema().sheets]


def assert_every_memo_is_the_read(path: Path, memo: table_memo.TableMemo, must: set[str]) -> set[str]:
    """Every table remembered for the file as it is now is what reading it gives; those in ``must``
    are remembered. Returns the tables remembered."""
    found = {key for key in TABLES if remembered(path, memo, key) is not None}
    assert must <= found
    for key in found:
        assert_same_as_read(path, memo, key=key)
    return found


def _next_day_against_a_cold_copy(book: Path, memo: table_memo.TableMemo, must: set[str], now: dt.datetime,
                                  tmp_path: Path, monkeypatch) -> None:
    """Refreshes ``book`` with its memos, and a copy with none; both give the same report and cells,
    the first without parsing a remembered table, and what it remembers is the read again."""
    remembered_before = {key for key in TABLES if remembered(book, memo, key) is not None}
    other = tmp_path / "other"
    shutil.copytree(book.parent, other)
    seen = parsed_sheets(monkeypatch)
    report = refresh_workbook(book, sync=False, now=now)
    schema = load_schema()
    parsed = {s.key for s in schema.sheets if s.name in seen or s.table in seen}
    assert remembered_before and not parsed & remembered_before  # taken from the memo
    monkeypatch.setenv(refresh_memo.CACHE_ENV, str(tmp_path / "empty-cache"))
    seen.clear()
    cold = refresh_workbook(other / book.name, sync=False, now=now)
    assert {s.key for s in schema.sheets if s.name in seen or s.table in seen} >= {"ledger", "collaborations"}
    assert report.summary() == cold.summary() and report.order_lines() == cold.order_lines()
    mine, theirs = wio.read_tables(book), wio.read_tables(other / book.name)
    assert wio.frames_equal_cells(mine, theirs) == []
    assert all(_types(mine[key]) == _types(theirs[key]) for key in TABLES)
    assert_every_memo_is_the_read(book, memo, must)


def test_a_refresh_remembers_its_tables_as_the_file_reads_them_and_the_next_one_uses_them(case_book, tmp_path,
                                                                                          every_table, monkeypatch):
    folder = case_book.parent / "exports"
    shutil.copy(EXPORTS / "batch" / "shopify_orders_2026-11-15.csv", folder)
    refresh_workbook(case_book, sync=False, now=NOW)
    # orders: net GMV, currencies, statuses, first and last seen; metrics; scores
    must = {"ledger", "collaborations", "creators", "scores"}
    assert_every_memo_is_the_read(case_book, every_table, must)

    # the next day: a newer export refunds an order
    (folder / "shopify_orders_2026-11-15.csv").unlink()
    shutil.copy(EXPORTS / "batch" / "shopify_orders_2026-11-20.csv", folder)
    _next_day_against_a_cold_copy(case_book, every_table, must, NOW + dt.timedelta(days=5), tmp_path, monkeypatch)


def test_formula_columns_of_the_built_workbook_are_remembered_with_the_values_written(sample_book, tmp_path,
                                                                                     every_table, monkeypatch):
    refresh_workbook(sample_book, sync=False, now=NOW)
    must = {"ledger", "collaborations", "creators", "outreach", "snapshots", "scores"}
    assert_every_memo_is_the_read(sample_book, every_table, must)
    tiktok = sample_book.parent / "exports" / "tiktok_campaign_videos_2026-11-24.csv"
    text = tiktok.read_text(encoding="utf-8")
    tiktok.write_text(text.replace('"251,300"', '"263,800"').replace('"271,900"', '"290,050"'), encoding="utf-8")
    _next_day_against_a_cold_copy(sample_book, every_table, must, NOW + dt.timedelta(days=1), tmp_path, monkeypatch)


def test_a_ledger_changed_by_anyone_else_is_read_not_recalled(case_book, every_table, monkeypatch):
    folder = case_book.parent / "exports"
    shutil.copy(EXPORTS / "batch" / "shopify_orders_2026-11-15.csv", folder)
    refresh_workbook(case_book, sync=False, now=NOW)
    memo = every_table
    assert remembered(case_book, memo) is not None
    ledger = wio.read_tables(case_book)["ledger"]
    row = int(ledger.index[ledger["item_id"] == "#1004"][0])
    assert ledger.at[row, "gmv"] == 65.0
    changes = WorkbookChanges()
    changes.set("ledger", row, "gmv", 99.0)  # another program (or Excel) saves the file
    wio.write_changes(case_book, changes, backup=False)
    assert remembered(case_book, memo) is None
    (folder / "shopify_orders_2026-11-15.csv").unlink()  # nothing newer of #1004 comes in
    seen = parsed_sheets(monkeypatch)
    refresh_workbook(case_book, sync=False, now=NOW + dt.timedelta(days=1))
    assert "_ledger" in seen or "tblLedger" in seen
    after = wio.read_tables(case_book)["ledger"]
    assert after.loc[after["item_id"] == "#1004", "gmv"].tolist() == [99.0]  # kept: nothing newer of #1004


def test_a_memo_that_is_damaged_or_holds_objects_is_not_used(tmp_path):
    memo = table_memo.TableMemo(tmp_path, lambda: "salt")
    frame = pd.DataFrame({c.key: [None] for c in LEDGER.columns}, index=pd.RangeIndex(2, 3, name="excel_row"),
                         dtype=object)
    frame["source"] = ["tiktok"]
    memo.remember("ledger", "k", table_memo.stored_form(LEDGER.columns, frame, {}, 2, 1))
    found = memo.recall("ledger", "k", LEDGER.columns)
    assert found is not None and _types(found.frame) == _types(frame)
    assert memo.recall("ledger", "k", LEDGER.columns[:-1]) is None  # another schema: not this table's memo
    assert memo.recall("collaborations", "k", LEDGER.columns) is None  # kept by table
    (tmp_path / "ledger.k.npz").write_bytes(b"PK\x03\x04 not a memo")
    assert memo.recall("ledger", "k", LEDGER.columns) is None
    np.savez(tmp_path / "ledger.k.npz", head=np.array([{"columns": []}], dtype=object))  # a pickle inside
    assert memo.recall("ledger", "k", LEDGER.columns) is None
    arrays = table_memo.stored_form(LEDGER.columns, frame, {}, 2, 1)
    assert arrays is not None
    source = [c.key for c in LEDGER.columns].index("source")
    np.savez(tmp_path / "ledger.k.npz", **{**arrays, f"codes{source}": np.array([7], dtype=np.int32)})
    assert memo.recall("ledger", "k", LEDGER.columns) is None  # a code past the texts kept
    memo.remember("ledger", "k", arrays)
    whole = (tmp_path / "ledger.k.npz").read_bytes()
    (tmp_path / "ledger.k.npz").write_bytes(whole[:len(whole) // 2])
    assert memo.recall("ledger", "k", LEDGER.columns) is None  # cut short


def test_each_table_keeps_its_newest_memos(tmp_path):
    memo = table_memo.TableMemo(tmp_path, lambda: "salt")
    frame = pd.DataFrame({c.key: [None] for c in LEDGER.columns}, index=pd.RangeIndex(2, 3, name="excel_row"),
                         dtype=object)
    frame["source"] = ["x"]
    arrays = table_memo.stored_form(LEDGER.columns, frame, {}, 2, 1)
    memo.remember("creators", "other", arrays)  # type: ignore[arg-type]
    for n in range(table_memo.KEEP):
        memo.remember("ledger", f"k{n}", arrays)  # type: ignore[arg-type]
        os.utime(tmp_path / f"ledger.k{n}.npz", ns=((n + 1) * 10**9, (n + 1) * 10**9))
    assert memo.recall("ledger", "k0", LEDGER.columns) is not None  # used again: the newest
    memo.remember("ledger", "last", arrays)  # type: ignore[arg-type]
    kept = sorted(p.name for p in tmp_path.glob("*.npz"))
    assert kept == sorted(["creators.other.npz", "ledger.last.npz", "ledger.k0.npz",
                           *(f"ledger.k{n}.npz" for n in range(2, table_memo.KEEP))])


def _saved(values: dict[str, list], current: dict[str, list] | None = None) -> pd.DataFrame | None:
    columns = LEDGER.columns
    rows = len(next(iter(values.values())))
    base = pd.DataFrame({c.key: (current or {}).get(c.key, [None] * rows) for c in columns},
                        index=pd.RangeIndex(2, 2 + rows, name="excel_row"), dtype=object)
    return table_memo.as_saved(columns, base, values, 2, rows)


def test_what_a_read_would_give_is_remembered_and_what_it_cannot_tell_is_not():
    day = dt.date(2026, 11, 24)
    frame = _saved({"source": ["shopify", ""], "item_id": [1001.0, "#2"], "views": [5, None],
                    "gmv": [float("nan"), 1.5], "first_seen": [dt.datetime(2026, 11, 24), day]})
    assert frame["item_id"].tolist() == ["1001", "#2"]  # a whole number in a text column: its digits
    assert frame["source"].tolist() == ["shopify", None]
    assert [type(v) for v in frame["views"]] == [float, type(None)] and frame["gmv"].tolist() == [None, 1.5]
    assert frame["first_seen"].tolist() == [day, day]
    # a format set by hand: a number column read as dates, a date column read as numbers
    assert _saved({"views": [5.0]}, current={"views": [day]}) is None
    assert _saved({"source": ["x"]}, current={"last_seen": [46350.0]}) is None
    assert _saved({"first_seen": [dt.datetime(2026, 11, 24, 9, 30)]}) is None  # a time of day
    kept = _saved({"gmv": [0.1 + 0.2]}, current={"gmv": [0.30000000000000004]})
    assert kept["gmv"].tolist() == [0.30000000000000004]


TEXT = st.one_of(st.none(), st.sampled_from(["", " lead", "trail ", "N/A", "1001", "=cmd|' /C calc'!A0", "a\nb",
                                             "_x000D_", "达人 KOL", "@X", "'quoted"]),
                 st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
NUMBER = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False),
                   st.integers(-10**15, 10**15))
DAY = st.one_of(st.none(), st.dates(dt.date(1899, 12, 1), dt.date(9999, 12, 31)),
                st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)).map(lambda d: dt.datetime(d.year, d.month, d.day)))
_KIND = {"text": TEXT, "integer": NUMBER, "number": NUMBER, "datetime": DAY}


@st.composite
def ledgers(draw, rows: int) -> pd.DataFrame:
    return pd.DataFrame({c.key: draw(st.lists(_KIND[c.type], min_size=rows, max_size=rows)) for c in LEDGER.columns},
                        dtype=object)


def _write(path: Path, memo: table_memo.TableMemo, new: pd.DataFrame) -> None:
    book = WorkbookFile(path, memo=memo)
    data = book.read(keys={"ledger"})
    changes = WorkbookChanges()
    replace_rows(changes, "ledger", data.tables["ledger"], new, data.layouts["ledger"])
    book.write(changes)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.tuples(st.integers(1, 6), st.integers(1, 6)).flatmap(lambda n: st.tuples(ledgers(n[0]), ledgers(n[1]))),
       st.data())
def test_the_memo_is_what_the_real_writer_and_reader_make_of_any_ledger(sample_workbook, tmp_path_factory, pair,
                                                                       data):
    folder = tmp_path_factory.mktemp("memo")
    path = folder / "book.xlsm"
    shutil.copy(sample_workbook, path)
    memo = table_memo.TableMemo(folder / "memo", lambda: "test", min_rows=1)
    first, second = pair
    _write(path, memo, first)
    assert_same_as_read(path, memo, first, _early(first))
    nudge = data.draw(st.booleans())  # numbers rewritten within the writer's tolerance stay as read
    again = second.copy()
    if nudge:
        both = min(len(first), len(again))
        for key in ("views", "gmv"):
            again.loc[:both - 1, key] = [v * (1 + 1e-14) if isinstance(v, float) else v for v in first[key][:both]]
    _write(path, memo, again)
    assert_same_as_read(path, memo, again, _early(first, again))


def test_rows_appended_after_a_blank_row_that_writes_nothing_are_saved(sample_workbook, tmp_path):
    # found by the property test above: a table's blank rows read as NaN, a new row as blank as
    # them changed nothing, yet the table was entered in the changes with no cells, and the save
    # failed ("max() arg is an empty sequence") where the rows appended start
    path = tmp_path / "book.xlsm"
    shutil.copy(sample_workbook, path)
    new = pd.DataFrame({c.key: [None, "x" if c.type == "text" else None] for c in LEDGER.columns}, dtype=object)
    book = WorkbookFile(path)
    data = book.read(keys={"ledger"})
    changes = WorkbookChanges()
    replace_rows(changes, "ledger", data.tables["ledger"], new, data.layouts["ledger"])
    assert "ledger" not in changes.cells and len(changes.appends["ledger"]) == 1
    book.write(changes)
    ledger = read_table(path)
    assert len(ledger) == 1 and ledger.iloc[0]["source"] == "x" and ledger.iloc[0]["views"] is None


def test_a_table_cell_written_as_a_sheet_cell_keeps_the_table_out_of_the_memo(sample_workbook, tmp_path):
    path = tmp_path / "book.xlsm"
    shutil.copy(sample_workbook, path)
    memo = table_memo.TableMemo(tmp_path / "memo", lambda: "test", min_rows=1)
    rows = pd.DataFrame({c.key: ["x" if c.type == "text" else None] * 2 for c in LEDGER.columns}, dtype=object)
    _write(path, memo, rows)
    assert remembered(path, memo) is not None
    book = WorkbookFile(path, memo=memo)
    data = book.read(keys={"ledger"})
    changes = WorkbookChanges()
    replace_rows(changes, "ledger", data.tables["ledger"], rows.assign(source="y"), data.layouts["ledger"])
    changes.sheet_values[data.layouts["ledger"].sheet] = {"A3": "z"}  # a sheet cell: not in the memo's model
    book.write(changes)
    assert remembered(path, memo) is None
    assert read_table(path)["source"].tolist() == ["y", "z"]


def test_a_memo_that_fails_to_be_made_leaves_the_save_and_nothing_else(sample_workbook, tmp_path, monkeypatch):
    path = tmp_path / "book.xlsm"
    shutil.copy(sample_workbook, path)
    memo = table_memo.TableMemo(tmp_path / "memo", lambda: "test", min_rows=1)
    rows = pd.DataFrame({c.key: ["x" if c.type == "text" else None] * 3 for c in LEDGER.columns}, dtype=object)
    real, calls = table_memo.stored_form, []

    def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("a bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(table_memo, "stored_form", second_fails)
    book = WorkbookFile(path, memo=memo)
    data = book.read()  # every table: one is made (and staged), then one fails
    changes = WorkbookChanges()
    replace_rows(changes, "ledger", data.tables["ledger"], rows, data.layouts["ledger"])
    book.write(changes)
    assert len(calls) == 2
    assert read_table(path)["source"].tolist() == ["x"] * 3
    assert not list((tmp_path / "memo").glob("*"))  # nothing placed, nothing staged left behind


def _restyle(path: Path, part: str, ref: str, style: int) -> None:
    """Gives cell ``ref`` of sheet ``part`` the style ``style`` (as a person's format would), blank."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == part:
                cell = f'<c r="{ref}" s="{style}"/>'.encode()
                data, n = re.subn(rb'<c r="' + ref.encode() + rb'"(?:[^>]*/>|[^>]*>.*?</c>)', cell, data)
                assert n == 1
            z.writestr(info, data)


def test_a_number_written_into_a_cell_a_person_gave_a_date_format_is_not_remembered(sample_workbook, tmp_path):
    path = tmp_path / "book.xlsm"
    shutil.copy(sample_workbook, path)
    memo = table_memo.TableMemo(tmp_path / "memo", lambda: "test", min_rows=1)
    rows = pd.DataFrame({c.key: ["x" if c.type == "text" else None] * 2 for c in LEDGER.columns}, dtype=object)
    rows["views"], rows["first_seen"] = [5.0, None], [dt.date(2026, 11, 20)] * 2
    _write(path, memo, rows)
    pkg = XlsxPackage(path)
    part = pkg.sheets[pkg.tables[LEDGER.table].sheet].part
    book = WorkbookFile(path)
    layout = book.read(keys={"ledger"}).layouts["ledger"]
    book.close()
    views, first_seen = layout.columns["views"], layout.columns["first_seen"]
    from workbook_addin.workbook.xlsx.refs import col_letter

    xml = pkg.data[part]
    day = table_memo.cell_styles(xml, [(3, first_seen)])[(3, first_seen)]  # type: ignore[index]
    assert table_memo.day_styles(pkg.data["xl/styles.xml"], {day}) == {day: True}
    _restyle(path, part, f"{col_letter(views)}3", day)  # in Excel: a date format on the blank cell
    _write(path, memo, rows.assign(views=[5.0, 7.0]))
    read = read_table(path)
    assert isinstance(read.at[3, "views"], dt.date)  # what a person then sees, and the next read gives
    assert remembered(path, memo) is None  # so the next refresh reads the table
    # a number written into a blank cell of a number format is remembered as read
    _write(path, memo, rows.assign(views=[None, None]))
    _write(path, memo, rows.assign(views=[8.0, None]))
    assert remembered(path, memo) is not None
    assert_same_as_read(path, memo)
