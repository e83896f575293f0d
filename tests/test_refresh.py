"""The headless refresh job on a real .xlsm with real export files, the real importers, engine and
local SQLite archive: metrics land, computed columns hold the engine's values, a second run changes
nothing, and a locked or damaged workbook stops the CLI with a clear message."""
from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from tests.test_workbook_io_fixtures import assert_same_members, make_workbook, typed, zip_members
from workbook_addin.engine import evaluation as engine
from workbook_addin.workbook import tables_io as wio
from workbook_addin.cli import main
from workbook_addin.jobs.refresh import ExportFolderError, refresh_workbook
from workbook_addin.core.schema import load_schema
from workbook_addin.workbook.xlsx import XlsxPackage

EXPORTS = Path(__file__).parent / "data" / "exports"
NOW = dt.datetime(2026, 11, 25, 15, 30)


def export_case_rows() -> dict[str, list[dict]]:
    """The importers' own test creators and collaborations (their exports match these), typed."""
    schema = load_schema()
    rows = {}
    for key in ("creators", "collaborations"):
        frame = pd.read_csv(EXPORTS / f"{key}.csv", dtype=object)
        sheet = schema.sheet(key)
        rows[key] = [{c.key: typed(r.get(c.key), c.type) for c in sheet.columns} for r in frame.to_dict("records")]
    for r in rows["collaborations"]:
        r["fee"] = 500.0  # a cost, so ROAS/ROI/CPM have something to divide by
    rows["snapshots"] = [{"creator_key": "tiktok:glowwithmia", "date": dt.datetime(2026, 10, 1), "followers": 150000,
                          "source": "manual"}]
    return rows


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_workbook(tmp_path_factory.mktemp("tpl") / "Lianxing_Evaluation.xlsm", export_case_rows())


@pytest.fixture
def book(template, tmp_path) -> Path:
    target = tmp_path / template.name
    shutil.copy(template, target)
    shutil.copytree(EXPORTS / "batch", tmp_path / "exports")  # Settings' export_folder: "exports"
    return target


def computed_keys(sheet_key: str) -> list[str]:
    return [c.key for c in load_schema().sheet(sheet_key).computed_columns]


def test_refresh_imports_metrics_recomputes_and_logs(book):
    report = refresh_workbook(book, now=NOW)
    data = wio.read_workbook(book)
    collabs = data.tables["collaborations"].set_index("collab_id")
    # the importers' own expectations for these exports now sit in the workbook
    assert collabs.loc["T-01", "views"] == 240_100 and collabs.loc["T-01", "likes"] == 15_200
    assert collabs.loc["T-01", "clicks"] == 3210
    assert report.rows_updated == 6 and len(report.files) == 7  # T-06's guessed match waits for a person
    # every computed column holds what the engine computes from the refreshed inputs
    inputs = {k: data.tables[k] for k in ("creators", "outreach", "collaborations", "reviews", "snapshots")}
    settings, _ = data.settings()
    expected = engine.evaluate(inputs, settings, today=NOW.date())
    for key in ("creators", "collaborations"):
        diffs = wio.frames_equal_cells({key: data.tables[key][computed_keys(key)]},
                                       {key: expected.tables[key][computed_keys(key)]})
        assert diffs == [], diffs[:5]
    assert collabs["roas"].notna().sum() >= 1  # the formula column's cached values were filled in
    scores = data.tables["scores"].reset_index(drop=True)
    exp_scores = expected.tables["scores"].reset_index(drop=True)
    assert len(scores) == len(exp_scores) == len(data.tables["creators"])
    assert wio.frames_equal_cells({"s": scores[["creator_key", "score", "tier"]]},
                                  {"s": exp_scores[["creator_key", "score", "tier"]]}) == []
    # status line, run log, archive
    status = data.names[wio.STATUS_NAME]
    from python_calamine import CalamineWorkbook

    grid = CalamineWorkbook.from_path(str(book)).get_sheet_by_name(status[0]).to_python(skip_empty_area=False)
    text = grid[status[1] - 1][status[2] - 1]
    assert text.startswith("2026-11-25 15:30") and "rows updated 6" in text and "unmatched 3" in text
    log = data.tables["run_log"]
    assert len(log) == 1
    row = log.iloc[0]
    assert row["job"] == "refresh" and row["files_read"] == 7 and row["rows_updated"] == 6 and row["rows_unmatched"] == 3
    assert "BLACKFRIDAY" in row["message"] and "randomcreator" in row["message"]  # unmatched posts are named
    assert row["run_at"] == NOW
    with sqlite3.connect(book.parent / "lianxing_archive.sqlite") as db:
        names = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        assert names and db.execute(f'select count(*) from "{[n for n in names if "creators" in n][0]}"').fetchone()[0] == 8
    assert (book.parent / wio.BACKUP_DIR).is_dir()


def test_second_refresh_on_the_same_exports_changes_nothing_but_status_and_log(book):
    refresh_workbook(book, now=NOW)
    before_tables = wio.read_tables(book)
    before = zip_members(book)
    report = refresh_workbook(book, now=NOW + dt.timedelta(hours=1))
    assert report.rows_updated == 0 and report.computed_cells == 0
    assert set(report.changes.cells) == set() and set(report.changes.appends) == {"run_log"}
    after_tables = wio.read_tables(book)
    diffs = wio.frames_equal_cells({k: v for k, v in before_tables.items() if k != "run_log"},
                                   {k: v for k, v in after_tables.items() if k != "run_log"})
    assert diffs == []
    log = after_tables["run_log"]
    assert len(log) == 2 and log.iloc[1]["rows_updated"] == 0 and log.iloc[1]["run_at"] == NOW + dt.timedelta(hours=1)
    # byte level: only the Settings sheet (status line), the run-log sheet and its table part differ
    pkg = XlsxPackage(book)
    allowed = {pkg.sheets[load_schema().sheet("run_log").name].part, pkg.tables["tblRunLog"].part,
               pkg.sheets[pkg.defined_cell(wio.STATUS_NAME).sheet].part}
    after = zip_members(book)
    assert {n for n in after if after[n] != before.get(n)} <= allowed


def test_refresh_without_sync_leaves_no_archive_and_says_so(book):
    report = refresh_workbook(book, sync=False, now=NOW)
    assert report.sync is None and not (book.parent / "lianxing_archive.sqlite").exists()
    assert report.rows_updated == 6


def test_a_missing_export_folder_is_an_error_and_nothing_is_saved(book, capsys):
    shutil.rmtree(book.parent / "exports")
    before = book.read_bytes()
    with pytest.raises(ExportFolderError, match="export folder not found"):
        refresh_workbook(book, sync=False, now=NOW)
    assert main(["refresh", str(book), "--exports", str(book.parent / "exprots"), "--quiet"]) == 2
    assert "exprots" in capsys.readouterr().err
    assert book.read_bytes() == before and not (book.parent / wio.BACKUP_DIR).exists()
    assert not (book.parent / "lianxing_archive.sqlite").exists()


def test_cli_refresh_prints_a_summary(book, capsys):
    assert main(["refresh", str(book), "--exports", str(EXPORTS / "batch"), "--no-sync", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "rows updated 6" in out and "BLACKFRIDAY" in out and "time:" in out


def test_cli_writes_every_unmatched_row_whole_to_a_csv_and_the_sheet(book, tmp_path, capsys):
    many = tmp_path / "many"
    many.mkdir()
    utm = 'https://shop.example/?utm_campaign=mia"s_launch&x=1'
    rows = [f"#{2000 + i},paid,USD,10.00,10.00,ORPHAN{i},{'' if i else utm},2026-11-0{1 + i % 9}" for i in range(30)]
    (many / "shopify_orders_2026-11-21.csv").write_text(
        "Name,Financial Status,Currency,Subtotal,Total,Discount Code,Landing Site,Created at\n" + "\n".join(rows) + "\n")
    out_csv = tmp_path / "unmatched.csv"
    assert main(["refresh", str(book), "--exports", str(many), "--no-sync", "--quiet", "--unmatched-csv", str(out_csv)]) == 0
    listed = pd.read_csv(out_csv, dtype=object, encoding="utf-8-sig")
    assert len(listed) == 30 and set(listed["value"]) >= {"ORPHAN0", "ORPHAN29"}
    sheet = wio.read_tables(book)["unmatched"]
    assert len(sheet) == 30 and set(sheet["row"].astype(int)) == set(range(2, 32))
    out = capsys.readouterr().out
    assert "+20" in out and "Unmatched exports" in out  # the summary points at the sheet for the rest


def test_without_a_terminal_progress_is_plain_lines(book, capsys):
    assert main(["refresh", str(book), "--no-sync"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "Reading the workbook" in err and len(err.splitlines()) >= 5


def test_cli_refuses_a_workbook_open_in_excel(book, capsys):
    (book.parent / f"~${book.name}").write_text("x")
    before = book.read_bytes()
    assert main(["refresh", str(book), "--quiet"]) == 2
    assert "open in Excel or LibreOffice" in capsys.readouterr().err
    assert book.read_bytes() == before
    assert not (book.parent / "lianxing_archive.sqlite").exists()  # nothing ran, nothing synced


def test_cli_reports_a_damaged_workbook(tmp_path, capsys):
    bad = tmp_path / "Lianxing_Evaluation.xlsm"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook><sheets>")  # truncated XML
    assert main(["refresh", str(bad), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "错误 error" in err and "xl/workbook.xml" in err
    assert main(["refresh", str(tmp_path / "nope.xlsm"), "--quiet"]) == 3


def test_cli_names_a_damaged_sheet_and_changes_nothing(book, capsys):
    # a sheet whose XML breaks off mid-cell (a copy cut short, a disk error) is named in a clear
    # message, whether it is parsed first or in the background; the file stays as it was
    sheet = load_schema().sheet("collaborations")
    part = XlsxPackage(book).sheets[sheet.name].part
    with zipfile.ZipFile(book) as z:
        members = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == part:
                cut = data.index(b'<row r="5"')
                data = data[:cut] + b'<row r="5"><c r="A5" t="s"><v>1'  # the rest is gone
            z.writestr(info, data)
    before = book.read_bytes()
    assert main(["refresh", str(book), "--quiet", "--no-sync"]) == 3
    err = capsys.readouterr().err
    assert f"the sheet {sheet.name} cannot be read" in err and "Traceback" not in err
    assert book.read_bytes() == before


def test_demo_builds_refreshes_and_syncs_the_sample(tmp_path, capsys):
    from workbook_addin.cli.score import run_demo

    result = run_demo(tmp_path / "out")
    out = capsys.readouterr().out
    book = tmp_path / "out" / "Lianxing_Evaluation.xlsm"
    assert "rows updated" in out and "Sync" in out and (tmp_path / "out" / "lianxing_archive.sqlite").exists()
    data = wio.read_workbook(book)
    assert len(data.tables["run_log"]) == 1 and data.tables["run_log"].iloc[0]["files_read"] >= 5
    assert wio.frames_equal_cells({"c": result.tables["creators"][["score", "tier"]]},
                                  {"c": data.tables["creators"][["score", "tier"]]}) == []


def test_workbook_with_doubled_headers_refreshes_its_roas_and_roi_idempotently(tmp_path, monkeypatch):
    """Workbooks built before headers whose Chinese and English labels are the same were shown once
    head those columns "ROAS ROAS" and "ROI ROI". The reader must still find them: when it did not,
    every refresh reported them missing, diffed the engine's ROAS/ROI against empty placeholders and
    "recomputed" two cells per collaboration that were never written (100 000 cells on the 50 000-row
    benchmark workbook, every run), while the sheet kept stale values."""
    from workbook_addin.core.schema import Column

    with monkeypatch.context() as m:  # the header form every workbook had before the change
        m.setattr(Column, "header", property(lambda c: f"{c.zh} {c.en}"))
        book = make_workbook(tmp_path / "Lianxing_Evaluation.xlsm", export_case_rows())
    shutil.copytree(EXPORTS / "batch", tmp_path / "exports")
    first = refresh_workbook(book, sync=False, now=NOW)
    assert not [w for w in first.warnings if "missing column" in w], first.warnings
    data = wio.read_workbook(book)
    roas = data.tables["collaborations"][["roas", "roi"]]
    assert roas["roas"].notna().sum() >= 1 and roas["roi"].notna().sum() >= 1  # really written
    second = refresh_workbook(book, sync=False, now=NOW + dt.timedelta(hours=1))
    assert second.computed_cells == 0 and second.changes.cells == {}, second.changes.cells
    assert wio.frames_equal_cells({"c": roas}, {"c": wio.read_workbook(book).tables["collaborations"][["roas", "roi"]]}) == []


def test_a_column_missing_from_the_workbook_is_not_counted_as_recomputed(book):
    """A computed column a user deleted cannot be written; the refresh must not report (or queue)
    its cells as changed on every run."""
    refresh_workbook(book, sync=False, now=NOW)
    data = wio.read_workbook(book)
    layout = data.layouts["collaborations"]
    pkg = XlsxPackage(book)
    pkg.set_cell(layout.sheet, layout.header_row, layout.columns["roas"], "旧列 old column")
    wio.save_package(pkg, book, backup=False)
    report = refresh_workbook(book, sync=False, now=NOW + dt.timedelta(hours=1))
    assert any("missing column ROAS" in w for w in report.warnings)
    assert report.computed_cells == 0 and report.changes.cells == {}, report.changes.cells


def test_a_refresh_with_its_sheets_patched_in_a_second_process_saves_the_same_file(template, tmp_path, monkeypatch):
    # the refresh hands the ledger (once matched) and Collaborations (once scored) to a second
    # process while it computes the rest, and the largest remaining sheet at the save; the saved
    # file must hold, member for member, what a refresh patching everything itself saves
    from workbook_addin.workbook.xlsx import package

    saved, send = {}, package.XlsxPackage.send_final
    for name, offload in (("alone", False), ("helped", True)):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(template, folder / template.name)
        shutil.copytree(EXPORTS / "batch", folder / "exports")
        monkeypatch.setenv("LIANXING_SECOND_PROCESS", "1" if offload else "0")
        monkeypatch.setattr(package, "OFFLOAD_BYTES", 1 if offload else package.OFFLOAD_BYTES)
        sent: list[str] = []
        monkeypatch.setattr(package.XlsxPackage, "send_final",
                            lambda self, sheets, helper: sent.extend(send(self, sheets, helper)) or sent)
        report = refresh_workbook(folder / template.name, sync=False, now=NOW, backup=False)
        assert report.rows_updated > 0 and report.changes.cells["collaborations"] and report.changes.cells["ledger"]
        assert sent == ([load_schema().sheet("ledger").name, load_schema().sheet("collaborations").name]
                        if offload else [])
        saved[name] = folder / template.name
    assert_same_members(saved["alone"], saved["helped"])


def test_the_ledger_goes_to_the_second_process_before_the_import_works_out_its_totals(template, tmp_path,
                                                                                        monkeypatch):
    # the ledger is final once the exports are folded in: it is handed over then, so the second
    # process patches it while this one works out the collaborations' totals and changes
    from workbook_addin.importers import match
    from workbook_addin.workbook.xlsx import package

    events: list[str] = []
    send, totals = package.XlsxPackage.send_final, match.totals
    monkeypatch.setattr(package.XlsxPackage, "send_final",
                        lambda self, sheets, helper: events.extend(f"sent {s}" for s in sheets) or send(self, sheets,
                                                                                                      helper))
    monkeypatch.setattr(match, "totals", lambda *a, **k: events.append("totals") or totals(*a, **k))
    monkeypatch.setattr(package, "OFFLOAD_BYTES", 1)
    shutil.copy(template, tmp_path / template.name)
    shutil.copytree(EXPORTS / "batch", tmp_path / "exports")
    report = refresh_workbook(tmp_path / template.name, sync=False, now=NOW, backup=False)
    ledger = load_schema().sheet("ledger").name
    assert report.changes.cells["ledger"] and events.index(f"sent {ledger}") < events.index("totals"), events
