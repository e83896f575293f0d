"""The live-Excel path of the Refresh button, on Linux: a small in-memory fake of the xlwings API
(Book, Sheet, Range, Table, Name, App) loaded from a real .xlsm. What is tested is the adapter in
workbook_addin.macros and that it shares the job with the headless path: both must leave the same
values in the same cells, and the live one must not overwrite Excel's formulas."""
from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from tests.lite_runtime.fake_book import FakeBook as FakeWorkbook
from tests.test_refresh import EXPORTS, export_case_rows
from tests.test_workbook_io_fixtures import make_workbook
from workbook_addin import macros
from workbook_addin.workbook import tables_io as wio
from workbook_addin.jobs.refresh import refresh_workbook
from workbook_addin.core.schema import load_schema
from workbook_addin.workbook.xlsx import XlsxPackage
from workbook_addin.workbook.xlsx.cells import parse_cells

NOW = dt.datetime(2026, 11, 25, 9, 0)


# ---------------------------------------------------------------------------------------- the fake
class FakeBook(FakeWorkbook):
    """The fake (tests/lite_runtime/fake_book.py) holding a real .xlsm's cells, formulas, tables and names."""

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.load_state(xlsm_state(path))

_ROW = re.compile(r"<row\b([^>]*?)(/>|>(.*?)</row>)", re.S)  # a <row>, its attributes and its cells


def xlsm_state(path: Path) -> dict[str, Any]:
    """A workbook file's sheets (cell values, formulas, tables) and single-cell names, as the fake holds them."""
    pkg = XlsxPackage(path)
    cal = CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in pkg.sheets:
        grid = cal.get_sheet_by_name(name).to_python(skip_empty_area=False)
        cells = [[r, c, v] for r, row in enumerate(grid, start=1) for c, v in enumerate(row, start=1) if v != ""]
        formulas = [[cell.row, cell.col, "=" + cell.formula_text.replace("&gt;", ">").replace("&quot;", '"')]
                    for m in _ROW.finditer(pkg.sheet_xml(name)) for cell in parse_cells(m.group(3) or "")
                    if cell.formula_text]
        tables = [[t.name, *t.ref] for t in pkg.tables.values() if t.sheet == name]
        sheets.append({"name": name, "cells": cells, "formulas": formulas, "tables": tables, "print_area": None})
    workbook = pkg.data["xl/workbook.xml"].decode("utf-8")
    for index, area in re.findall(r'<definedName name="_xlnm.Print_Area" localSheetId="(\d+)">[^<]*!([^<]*)<', workbook):
        sheets[int(index)]["print_area"] = area  # like Excel: '$A$1:$Z$13'
    names = [[n, cell.sheet, cell.row, cell.col] for n in pkg.defined_names
             if (cell := pkg.defined_cell(n)) is not None]
    return {"sheets": sheets, "names": names}


def assert_same_cells(book: FakeWorkbook, headless: Path, *, skip: dict[str, list[str]] | None = None):
    """The live book's tables hold what the headless job wrote to ``headless`` (the formula column
    ROAS is left to Excel, and its formula survives); returns (live read, headless read)."""
    expected = wio.read_workbook(headless)
    got = macros.XlwingsWorkbook(book).read()
    skip = {"collaborations": ["roas"], **(skip or {})}  # roas: a formula column, Excel computes it live
    for key in ("creators", "collaborations", "scores", "snapshots", "run_log", "sync_base"):
        diffs = wio.frames_equal_cells({key: got.tables[key].drop(columns=skip.get(key, []))},
                                       {key: expected.tables[key].drop(columns=skip.get(key, []))})
        assert diffs == [], diffs[:5]
    roas = load_schema().sheet("collaborations").keys.index("roas") + 1
    collabs = book.sheets[load_schema().sheet("collaborations").name]
    assert collabs.formulas[(expected.layouts["collaborations"].first_data_row, roas)].startswith("=IF(")
    return got, expected


# ---------------------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_workbook(tmp_path_factory.mktemp("tpl") / "Lianxing_Evaluation.xlsm", export_case_rows())


def _copy(template: Path, folder: Path) -> Path:
    folder.mkdir()
    shutil.copytree(EXPORTS / "batch", folder / "exports")
    return Path(shutil.copy(template, folder / template.name))


def test_live_refresh_writes_the_same_values_as_the_headless_job(template, tmp_path):
    headless = _copy(template, tmp_path / "headless")
    live = _copy(template, tmp_path / "live")
    refresh_workbook(headless, now=NOW)
    book = FakeBook(live)
    report = macros.refresh_metrics(book, now=NOW)
    assert report is not None and report.rows_updated == 6  # T-06's guessed match waits for a person
    got, expected = assert_same_cells(book, headless)
    assert got.settings_values == expected.settings_values
    status = book.names[[n.name for n in book.names].index(wio.STATUS_NAME)].refers_to_range.value
    assert "rows updated 6" in status
    # progress went to Excel's status bar, which is handed back at the end; one summary alert
    assert any(isinstance(s, str) and "Reading exports" in s for s in book.app.status_history)
    assert book.app.status_bar is False
    assert len(book.app.alerts) == 1 and "rows updated 6" in book.app.alerts[0]["prompt"]
    assert "BLACKFRIDAY" in book.app.alerts[0]["prompt"]


def test_live_writes_are_batched_by_column_runs(template, tmp_path):
    book = FakeBook(_copy(template, tmp_path / "live"))
    report = macros.refresh_metrics(book, now=NOW)
    cells = sum(report.changes.cell_count(t) for t in report.changes.cells)
    cells += sum(len(rec) for records in report.changes.appends.values() for rec in records)  # new rows' cells
    assert book.writes < cells  # consecutive cells of a column go in one range write


def test_live_refresh_of_an_unsaved_workbook_asks_to_save_first(template, tmp_path):
    book = FakeBook(_copy(template, tmp_path / "live"))
    book.fullname = "Book1"  # Excel's name for a workbook never saved
    assert macros.refresh_metrics(book, now=NOW) is None
    assert "Save the workbook first" in book.app.alerts[0]["prompt"] and book.writes == 0


def test_live_refresh_failure_is_an_alert_not_a_traceback(template, tmp_path, monkeypatch):
    book = FakeBook(_copy(template, tmp_path / "live"))

    def boom(*a, **k):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr("workbook_addin.engine.evaluation.evaluate", boom)
    assert macros.refresh_metrics(book, now=NOW) is None
    assert book.app.alerts[0]["mode"] == "critical" and "engine exploded" in book.app.alerts[0]["prompt"]
    assert book.app.status_bar is False and book.writes == 0


@pytest.mark.parametrize("mode", ["automatic", "manual", "semiautomatic"])
def test_live_refresh_writes_with_calculation_manual_and_recalculates_once(template, tmp_path, mode):
    book = FakeBook(_copy(template, tmp_path / "live"))
    book.app.calculation = mode
    report = macros.refresh_metrics(book, now=NOW)
    assert report is not None and book.writes > 0
    assert book.write_modes == {("manual", False)}  # no write set off a recalculation or a redraw
    assert book.app.calculations == ["manual"]  # one recalculation, after the writes
    assert (book.app.calculation, book.app.screen_updating) == (mode, True)


def test_live_refresh_restores_calculation_and_screen_when_a_write_fails(template, tmp_path, monkeypatch):
    book = FakeBook(_copy(template, tmp_path / "live"))
    book.app.screen_updating = True

    def broken_write(self, changes):
        self.book.sheets[0].range((1, 1)).value = "half-written"
        raise OSError("Excel refused the write")

    monkeypatch.setattr(macros.XlwingsWorkbook, "write", broken_write)
    assert macros.refresh_metrics(book, now=NOW) is None
    assert "Excel refused the write" in book.app.alerts[0]["prompt"]
    assert book.write_modes == {("manual", False)}
    assert book.app.calculations == ["manual"]  # what was written is still recalculated once
    assert (book.app.calculation, book.app.screen_updating) == ("automatic", True)


def test_live_refresh_print_area_follows_a_growing_table(sample_workbook, tmp_path):
    """Each refresh appends a run-log row beyond the table: what prints grows with it."""
    book = FakeBook(_copy(sample_workbook, tmp_path / "live"))
    log = book.sheets[load_schema().sheet("run_log").name]
    before = log.page_setup.print_area
    last_before = int(before.rsplit("$", 1)[1])
    for _ in range(3):
        assert macros.refresh_metrics(book, now=NOW) is not None
    table = next(t for t in log.tables if t.name == load_schema().sheet("run_log").table)
    assert table.ref[2] > last_before  # the refreshes' run-log rows grew the table
    assert log.page_setup.print_area == before.rsplit("$", 1)[0] + f"${table.ref[2]}"
    others = book.sheets[load_schema().sheet("creators").name].page_setup.print_area
    assert others.endswith("$13")  # a table that did not grow keeps its print area
