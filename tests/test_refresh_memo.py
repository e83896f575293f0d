"""The refresh memo: the same refresh again (same workbook bytes, exports, day and code) skips the
import, the engine and the insight sheets, and tells exactly what a full repeat would tell; any
change to one of those inputs runs the refresh in full."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from tests.test_refresh import EXPORTS, NOW, export_case_rows
from tests.test_workbook_io_fixtures import make_workbook
from workbook_addin.jobs import refresh_memo
from workbook_addin.jobs.refresh import refresh_workbook, run_log_row
from workbook_addin.workbook import tables_io as wio
from workbook_addin.workbook.xlsx import XlsxPackage

LATER = NOW + dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_workbook(tmp_path_factory.mktemp("memo_tpl") / "Lianxing_Evaluation.xlsm", export_case_rows())


@pytest.fixture
def book(template, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(refresh_memo.CACHE_ENV, str(tmp_path / "cache"))
    target = tmp_path / "work" / template.name
    target.parent.mkdir()
    shutil.copy(template, target)
    shutil.copytree(EXPORTS / "batch", target.parent / "exports")
    return target


def repeated(report) -> bool:
    return "match" not in report.timings and "compute" not in report.timings


def test_the_same_refresh_again_is_retold_exactly_as_a_full_repeat_would_tell_it(book, tmp_path, monkeypatch):
    first = refresh_workbook(book, now=NOW)
    assert not repeated(first)
    before = book.read_bytes()
    memo = refresh_workbook(book, now=LATER)
    assert repeated(memo)
    after_memo = wio.read_tables(book)
    # the same repeat with no memo to go by: the full refresh
    book.write_bytes(before)
    monkeypatch.setenv(refresh_memo.CACHE_ENV, str(tmp_path / "empty-cache"))
    full = refresh_workbook(book, now=LATER)
    assert not repeated(full)
    assert memo.summary() == full.summary() and memo.status_line == full.status_line
    assert run_log_row(memo, "ops") == run_log_row(full, "ops")
    assert memo.unmatched_table().equals(full.unmatched_table())
    assert (memo.rows_unmatched, len(memo.proposals), len(memo.rejected)) == (3, 2, len(full.rejected))
    assert wio.frames_equal_cells(after_memo, wio.read_tables(book)) == []
    # and a third run repeats the second (its own write is remembered)
    assert repeated(refresh_workbook(book, now=LATER + dt.timedelta(minutes=5)))


def test_a_new_day_new_exports_or_an_edited_workbook_run_the_refresh_in_full(book):
    refresh_workbook(book, now=NOW)
    assert not repeated(refresh_workbook(book, now=NOW + dt.timedelta(days=1)))  # reminders count days
    newest = sorted((book.parent / "exports").glob("*.csv"))[-1]
    newest.write_bytes(newest.read_bytes() + b"\n")
    assert not repeated(refresh_workbook(book, now=NOW + dt.timedelta(days=1)))
    assert repeated(refresh_workbook(book, now=NOW + dt.timedelta(days=1, hours=1)))
    # a person types a new fee into a collaboration: the workbook's bytes differ, the refresh recomputes it
    data = wio.read_workbook(book)
    layout = data.layouts["collaborations"]
    row = int(data.tables["collaborations"].index[0])
    pkg = XlsxPackage(book)
    pkg.set_cell(layout.sheet, row, layout.columns["fee"], 12345)
    wio.save_package(pkg, book, backup=False)
    report = refresh_workbook(book, now=NOW + dt.timedelta(days=1, hours=2))
    assert not repeated(report) and report.computed_cells > 0
    assert wio.read_workbook(book).tables["collaborations"].loc[row, "fee"] == 12345


def test_an_unreadable_memo_only_costs_a_full_refresh(book):
    refresh_workbook(book, now=NOW)
    folder = refresh_memo.cache_dir()
    memos = list(folder.glob("*.json"))
    assert len(memos) == 1 and os.environ[refresh_memo.CACHE_ENV] in str(folder)
    memos[0].write_text("{not json", encoding="utf-8")
    report = refresh_workbook(book, now=LATER)
    assert not repeated(report) and report.rows_unmatched == 3


def test_a_repeat_on_the_built_workbook_moves_only_the_status_lines_and_the_run_log(sample_workbook, tmp_path,
                                                                                     monkeypatch):
    from importlib import resources

    from python_calamine import CalamineWorkbook

    from workbook_addin.workbook.calc_sheet import LIVE_LINE_CELLS
    from workbook_addin.workbook.dashboard_cells import DASHBOARD_SHEET
    from workbook_addin.workbook.xlsx.refs import split_ref

    monkeypatch.setenv(refresh_memo.CACHE_ENV, str(tmp_path / "cache"))
    book = tmp_path / sample_workbook.name
    shutil.copy(sample_workbook, book)
    shutil.copytree(Path(str(resources.files("templates").joinpath("sample", "exports"))), tmp_path / "exports")
    refresh_workbook(book, now=NOW, sync=False, backup=False)
    before = wio.read_tables(book)
    report = refresh_workbook(book, now=LATER, sync=False, backup=False)
    assert repeated(report)
    after = wio.read_tables(book)
    assert wio.frames_equal_cells({k: v for k, v in before.items() if k != "run_log"},
                                  {k: v for k, v in after.items() if k != "run_log"}) == []
    assert len(after["run_log"]) == len(before["run_log"]) + 1
    wb = CalamineWorkbook.from_path(str(book))
    for sheet, ref in ((DASHBOARD_SHEET, LIVE_LINE_CELLS["dashboard"]),
                       (wio.read_workbook(book).layouts["scores"].sheet, LIVE_LINE_CELLS["scores"])):
        row, col = split_ref(ref)
        assert LATER.strftime("%Y-%m-%d %H:%M") in wb.get_sheet_by_name(sheet).to_python()[row - 1][col - 1]


def test_an_export_arriving_while_the_refresh_runs_is_read_by_the_next_one(book, monkeypatch):
    import workbook_addin.importers as importers

    folder = book.parent / "exports"
    newest = sorted(folder.glob("*.csv"))[-1]
    late = folder / f"late_{newest.name}"
    read = importers.read_exports

    def read_then_a_file_arrives(*args, **kwargs):
        batch = read(*args, **kwargs)
        late.write_bytes(newest.read_bytes())  # dropped into the folder after the refresh read it
        return batch

    monkeypatch.setattr(importers, "read_exports", read_then_a_file_arrives)
    first = refresh_workbook(book, now=NOW)
    monkeypatch.setattr(importers, "read_exports", read)
    assert late.name not in [f.name for f in first.files]
    second = refresh_workbook(book, now=LATER)
    assert not repeated(second) and late.name in [f.name for f in second.files]
