"""The refresh keeps what it imported: the hidden ledger, guessed matches as proposals, the
Unmatched exports sheet. Real .xlsm files, real export files, the real job."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.test_refresh import EXPORTS, export_case_rows
from tests.test_workbook_io_fixtures import make_workbook
from workbook_addin.importers import sample_exports_folder
from workbook_addin.jobs.refresh import refresh_workbook
from workbook_addin.workbook import tables_io as wio
from workbook_addin.workbook.xlsx import XlsxPackage

NOW = dt.datetime(2026, 11, 25, 15, 30)
METRICS = ["views", "likes", "comments", "shares", "saves", "clicks", "orders", "gmv", "gmv_currency"]


def collab_metrics(book: Path) -> pd.DataFrame:
    return wio.read_tables(book)["collaborations"].set_index("collab_id")[METRICS]


@pytest.fixture
def sample_book(sample_workbook, tmp_path) -> Path:
    """The built sample workbook with the bundled exports in its export folder."""
    book = tmp_path / sample_workbook.name
    shutil.copy(sample_workbook, book)
    shutil.copytree(sample_exports_folder(), tmp_path / "exports")
    return book


@pytest.fixture
def case_book(tmp_path) -> Path:
    book = make_workbook(tmp_path / "Lianxing_Evaluation.xlsm", export_case_rows())
    (tmp_path / "exports").mkdir()
    return book


def test_moving_last_months_shop_export_out_of_the_folder_keeps_every_total(sample_book):
    refresh_workbook(sample_book, sync=False, now=NOW)
    before = collab_metrics(sample_book)
    assert before.at["C-006", "orders"] > 0 and before.at["C-006", "gmv"] > 0
    october = sample_book.parent / "exports" / "shopify_orders_2026-10-01_to_2026-10-31.csv"
    october.rename(sample_book.parent / october.name)  # someone cleans the folder
    report = refresh_workbook(sample_book, sync=False, now=NOW + dt.timedelta(days=1))
    after = collab_metrics(sample_book)
    assert wio.frames_equal_cells({"c": before}, {"c": after}) == []
    assert report.rows_updated == 0 and report.changes.cells.get("ledger") is None


def test_a_newer_export_of_an_order_updates_it_and_the_summary_says_by_how_much(case_book):
    folder = case_book.parent / "exports"
    shutil.copy(EXPORTS / "batch" / "shopify_orders_2026-11-15.csv", folder)
    refresh_workbook(case_book, sync=False, now=NOW)
    t07 = collab_metrics(case_book).loc["T-07"]
    assert t07["orders"] == 1  # #1008 paid on 11-15 (#1007 voided)
    (folder / "shopify_orders_2026-11-15.csv").unlink()
    shutil.copy(EXPORTS / "batch" / "shopify_orders_2026-11-20.csv", folder)  # #1008 refunded, #1011 paid
    report = refresh_workbook(case_book, sync=False, now=NOW + dt.timedelta(days=5))
    after = collab_metrics(case_book)
    assert after.at["T-07", "orders"] == 1 and after.at["T-07", "gmv"] == pytest.approx(64.00)
    assert after.at["T-01", "orders"] == 3  # #1002, #1004 from the file that left, #1001 from the new one
    changed = report.order_lines()
    assert any("#1008 (T-07)" in line and "→ 0" in line for line in changed), changed
    assert "#1008" in report.summary() and "#1008" in wio.read_tables(case_book)["run_log"].iloc[-1]["message"]


def test_the_ledger_holds_one_row_per_order_or_post_and_a_second_run_changes_nothing(case_book):
    shutil.rmtree(case_book.parent / "exports")
    shutil.copytree(EXPORTS / "batch", case_book.parent / "exports")
    refresh_workbook(case_book, sync=False, now=NOW)
    ledger = wio.read_tables(case_book)["ledger"]
    assert not ledger.duplicated(["source", "item_id"]).any()
    assert set(ledger["kind"]) == {"order", "post"} and len(ledger) < 20
    order = ledger[ledger["item_id"] == "#1004"].iloc[0]
    assert order["collab_id"] == "T-01" and order["gmv"] == 65.0 and order["file"] == "shopify_orders_2026-11-15.csv"
    again = refresh_workbook(case_book, sync=False, now=NOW + dt.timedelta(hours=1))
    assert again.changes.cells == {} and set(again.changes.appends) == {"run_log"}


def set_cells(book: Path, table: str, rows: dict[int, dict[str, object]]) -> None:
    """Types values into a Table's cells the way a person would (row: Excel row)."""
    data = wio.read_workbook(book)
    layout = data.layouts[table]
    pkg = XlsxPackage(book)
    for row, values in rows.items():
        for key, value in values.items():
            pkg.set_cell(layout.sheet, row, layout.columns[key], value)
    wio.save_package(pkg, book, backup=False)


def test_a_guessed_match_is_written_only_after_a_person_accepts_it_and_a_rejection_is_kept(case_book):
    shutil.rmtree(case_book.parent / "exports")
    shutil.copytree(EXPORTS / "batch", case_book.parent / "exports")
    before = collab_metrics(case_book)
    first = refresh_workbook(case_book, sync=False, now=NOW)
    tables = wio.read_tables(case_book)
    confirm = tables["confirm"]
    assert set(confirm["collab_id"]) == {"T-06", "T-07"} and confirm["decision"].isna().all()
    t06_row = tables["collaborations"].index[tables["collaborations"]["collab_id"] == "T-06"][0]
    written = set(first.changes.cells.get("collaborations", {}).get(t06_row, {}))
    assert not written & {*METRICS, "post_url", "publish_date"}  # only T-06's computed columns are recomputed
    collabs = tables["collaborations"].set_index("collab_id")
    assert wio.frames_equal_cells({"c": before.loc[["T-06"]]}, {"c": collab_metrics(case_book).loc[["T-06"]]}) == []
    assert pd.isna(collabs.at["T-06", "post_url"]) and collabs.at["T-07", "views"] != 1_200_000
    rows = {r: v for r, v in zip(confirm.index, confirm["collab_id"])}
    set_cells(case_book, "confirm", {r: {"decision": "接受 Accept" if cid == "T-07" else "拒绝 Reject"} for r, cid in rows.items()})
    refresh_workbook(case_book, sync=False, now=NOW + dt.timedelta(hours=1))
    third = refresh_workbook(case_book, sync=False, now=NOW + dt.timedelta(hours=2))
    tables = wio.read_tables(case_book)
    collabs = tables["collaborations"].set_index("collab_id")
    assert collabs.at["T-07", "views"] == 1_200_000 and collabs.at["T-07", "post_url"].endswith("7303333333333333333")
    assert pd.isna(collabs.at["T-06", "post_url"])  # rejected: never written
    kept = tables["confirm"].set_index("collab_id")["decision"]
    assert kept["T-07"] == "接受 Accept" and kept["T-06"] == "拒绝 Reject"  # the choices stay on the sheet
    assert "collaborations" not in third.changes.cells and "confirm" not in third.changes.cells
    assert third.proposals.empty


def test_temp_files_of_killed_saves_are_cleaned_up_and_a_running_saves_file_is_kept(case_book):
    import os
    import subprocess

    folder = case_book.parent
    dead = subprocess.Popen(["true"])
    dead.wait()
    killed = folder / f".{case_book.stem}.{dead.pid}.tmp{case_book.suffix}"
    killed.write_bytes(b"x" * 1000)
    old = folder / f".{case_book.stem}.{os.getppid()}.tmp{case_book.suffix}"  # a live pid, but hours old
    old.write_bytes(b"x")
    os.utime(old, (0, 0))
    running = subprocess.Popen(["sleep", "30"])
    try:
        live = folder / f".{case_book.stem}.{running.pid}.tmp{case_book.suffix}"
        live.write_bytes(b"x")
        refresh_workbook(case_book, sync=False, now=NOW)
        assert not killed.exists() and not old.exists() and live.exists()
    finally:
        running.kill()
        running.wait()
