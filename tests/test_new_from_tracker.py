"""``lianxing new team.xlsm --from FILE_OR_DIR``: a workbook started from a team's existing tracker."""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from workbook_addin.cli import main
from workbook_addin.core.schema import load_schema
from workbook_addin.workbook import tables_io as wio

INPUT_SHEETS = ("creators", "outreach", "collaborations", "reviews", "snapshots")


def export_as_csv(book: Path, folder: Path) -> None:
    """Every sheet of ``book`` saved as CSV, as Excel's "Save as CSV" does sheet by sheet."""
    folder.mkdir()
    wb = CalamineWorkbook.from_path(str(book))
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            for r in rows:
                w.writerow([c.strftime("%Y-%m-%d %H:%M") if isinstance(c, dt.datetime) else
                            c.isoformat() if isinstance(c, dt.date) else c for c in r])


def input_cells(book: Path) -> dict[str, object]:
    schema = load_schema()
    tables = wio.read_tables(book)
    return {k: tables[k][[c.key for c in schema.sheet(k).input_columns]].reset_index(drop=True) for k in INPUT_SHEETS}


def test_the_sample_workbook_exported_as_csv_comes_back_with_every_row(sample_workbook, tmp_path, capsys):
    export_as_csv(sample_workbook, tmp_path / "csv")
    out = tmp_path / "team.xlsm"
    assert main(["new", str(out), "--from", str(tmp_path / "csv")]) == 0
    printed = capsys.readouterr().out
    assert "达人 Creators.csv -> 达人 Creators: 12 rows" in printed
    assert "看板 Dashboard.csv" in printed and "none of its rows were taken" in printed  # listed, not skipped silently
    want, got = input_cells(sample_workbook), input_cells(out)
    for key in INPUT_SHEETS:
        assert len(got[key]) == len(want[key]) > 0, key
    diffs = wio.frames_equal_cells(want, got)
    assert diffs == [], diffs[:5]


def test_an_xlsx_tracker_with_english_headers_and_rows_that_cannot_be_taken(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Creators"
    ws.append(["Platform", "Handle", "Followers", "Country", "Quoted fee", "Currency", "Vibe"])
    ws.append(["TikTok", "@MiaGlow", 184000, "US", 1500, "USD", "sunny"])
    ws.append(["Instagram", "sara.home", "52,300", "UK", 800, "GBP", "calm"])
    ws.append(["YouTube", None, 10000, "DE", 300, "EUR", "?"])  # no handle: not a creator
    deals = wb.create_sheet("Deals 2026")
    deals.append(["Our tracker, exported 2026-11-20"])  # a title line above the header
    deals.append(["Collab ID", "Creator", "Platform", "Post URL", "Promised date", "Fee", "Currency", "Views"])
    deals.append(["D-1", "MiaGlow", "TikTok", "https://www.tiktok.com/@miaglow/video/7301234567890123456",
                  dt.datetime(2026, 11, 2), 1200, "USD", 240000])
    deals.append(["D-2", "https://www.instagram.com/sara.home/", "Instagram", None, dt.datetime(2026, 11, 20), 600, "GBP", None])
    deals.append([None, "sara.home", "Instagram", None, None, 100, "GBP", None])  # no collab ID
    wb.create_sheet("Notes").append(["remember to chase Sara"])
    wb.save(tmp_path / "tracker.xlsx")
    out = tmp_path / "team.xlsm"
    assert main(["new", str(out), "--from", str(tmp_path / "tracker.xlsx")]) == 0
    printed = capsys.readouterr().out
    assert "tracker.xlsx [Creators], row 4" in printed and "required value missing" in printed
    assert "tracker.xlsx [Deals 2026], row 5" in printed
    assert "columns not used: Vibe" in printed and "tracker.xlsx [Notes]" in printed
    tables = wio.read_tables(out)
    creators = tables["creators"].set_index("creator_key")
    assert set(creators.index) == {"tiktok:miaglow", "instagram:sara.home"}
    assert creators.at["instagram:sara.home", "followers"] == 52300 and creators.at["tiktok:miaglow", "score"] is not None
    collabs = tables["collaborations"].set_index("collab_id")
    assert list(collabs.index) == ["D-1", "D-2"]
    assert collabs.at["D-2", "creator_key"] == "instagram:sara.home"  # a profile link is a creator too
    assert collabs.at["D-1", "views"] == 240000 and collabs.at["D-1", "promised_date"] == dt.date(2026, 11, 2)
