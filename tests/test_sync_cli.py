"""``lianxing sync`` on CSV tables and on a real workbook file."""
from __future__ import annotations

import json

import pandas as pd

from tests.sync_support import TAB, FakeSheetsServer, new_archive, settings_for, sheet_rows
from workbook_addin.workbook.build import build_workbook
from workbook_addin.cli import main
from workbook_addin.workbook.tables_io import read_tables


def write_creators(folder, rows):
    folder.mkdir(exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / "creators.csv", index=False)


def read(folder, name):
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def test_two_table_folders_share_a_local_archive(tmp_path, capsys):
    archive = str(tmp_path / "team.sqlite")
    a, b = tmp_path / "a", tmp_path / "b"
    write_creators(a, [{"platform": "TikTok", "handle": "@Mia", "followers": "12,000", "notes": "=1+1"}])
    write_creators(b, [{"platform": "YouTube", "handle": "techtomo", "followers": 5}])
    assert main(["sync", "--tables-dir", str(a), "--archive", archive, "--no-progress"]) == 0
    assert "appended 1 rows" in capsys.readouterr().out
    assert main(["sync", "--tables-dir", str(b), "--archive", archive, "--no-progress", "--user", "lin"]) == 0
    got = read(b, "creators").set_index("creator_key")
    assert got.loc["tiktok:mia", "notes"] == "'=1+1" and got.loc["tiktok:mia", "followers"] == "12000"
    bc = read(b, "creators")
    bc.loc[bc["creator_key"] == "tiktok:mia", "notes"] = "@mia booked"
    bc.to_csv(b / "creators.csv", index=False)
    assert main(["sync", "--tables-dir", str(b), "--archive", archive, "--no-progress"]) == 0
    assert main(["sync", "--tables-dir", str(a), "--archive", archive, "--no-progress"]) == 0
    got = read(a, "creators").set_index("creator_key")
    assert got.loc["tiktok:mia", "notes"] == "'@mia booked" and "youtube:techtomo" in got.index
    log = read(a, "run_log")
    assert list(log["job"]) == ["sync", "sync"] and log.iloc[-1]["pulled"] == "2"
    assert set(read(a, "sync_base")["sheet"]) == {"creators"}


def test_google_sheet_from_a_settings_file(tmp_path, capsys):
    with FakeSheetsServer() as srv:
        sid = new_archive(srv)
        folder = tmp_path / "t"
        write_creators(folder, [{"platform": "Instagram", "handle": "lena.style", "notes": "-20% code"}])
        (folder / "settings.json").write_text(json.dumps(settings_for(srv, tmp_path, sid)), encoding="utf-8")
        assert main(["sync", "--tables-dir", str(folder), "--no-progress"]) == 0
        assert sheet_rows(srv, sid)["instagram:lena.style"]["notes"] == "-20% code"
        assert srv.values(sid, TAB)[0][0] == "达人键 Creator key"


def test_failed_sync_keeps_the_tables_and_logs_the_reason(tmp_path, capsys):
    folder = tmp_path / "t"
    write_creators(folder, [{"platform": "TikTok", "handle": "a"}])
    before = (folder / "creators.csv").read_text()
    code = main(["sync", "--tables-dir", str(folder), "--backend", "google", "--sheet-key", "SHEET42",
                 "--credentials", str(tmp_path / "missing.json"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1 and "missing.json" in out and "SHEET42" in out and "Traceback" not in out
    assert (folder / "creators.csv").read_text() == before
    assert read(folder, "run_log").iloc[-1]["status"] == "error"


def test_workbook_file_syncs_and_a_second_workbook_pulls_the_archive(tmp_path, capsys):
    archive = str(tmp_path / "team.sqlite")
    first, second = tmp_path / "a.xlsm", tmp_path / "b.xlsm"
    build_workbook(first)
    build_workbook(second, empty=True)
    assert main(["sync", str(first), "--archive", archive, "--no-progress"]) == 0
    tables = read_tables(first)
    n = len(tables["creators"])
    assert len(tables["sync_base"]) > 0 and tables["run_log"].iloc[-1]["job"] == "sync"
    assert main(["sync", str(first), "--archive", archive, "--no-progress"]) == 0
    assert "pushed 0 cells in 0 rows, appended 0 rows" in capsys.readouterr().out.splitlines()[-1]
    assert main(["sync", str(second), "--archive", archive, "--no-progress"]) == 0
    # the sync does not score: the creators it brought in are unscored until a refresh, and it says so
    assert f"{n} creators' scoring inputs changed in the archive (or were added)" in capsys.readouterr().out
    pulled = read_tables(second)["creators"]
    assert len(pulled) == n
    assert set(pulled["creator_key"]) == set(tables["creators"]["creator_key"])


def test_text_pulled_into_csv_cannot_run_as_a_formula_and_round_trips(tmp_path, capsys):
    """OWASP CSV injection: a team mate types formula-like text in the shared sheet; the CSV that
    ``lianxing sync --tables-dir`` writes must not run it when opened in Excel."""
    nasty = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1 555 0100", "-2+3", "@SUM(A1)", "\t=1+1",
             "'quoted", "0012", "12345678901234567890"]
    with FakeSheetsServer() as srv:
        sid = new_archive(srv)
        folder = tmp_path / "t"
        write_creators(folder, [{"platform": "TikTok", "handle": f"n{i}"} for i in range(len(nasty))])
        (folder / "settings.json").write_text(json.dumps(settings_for(srv, tmp_path, sid)), encoding="utf-8")
        assert main(["sync", "--tables-dir", str(folder), "--no-progress"]) == 0
        values = srv.values(sid, TAB)
        notes = values[0].index("备注 Notes")
        for n, line in enumerate(values[1:], start=2):  # a person types into the shared sheet (RAW: text)
            srv.set_values(sid, TAB, [[nasty[int(str(line[2])[1:])]]], start=f"{chr(65 + notes)}{n}", user_entered=False)
        assert main(["sync", "--tables-dir", str(folder), "--no-progress"]) == 0
        raw = read(folder, "creators").set_index("handle")["notes"]
        for i, text in enumerate(nasty):
            cell, want = raw[f"n{i}"], text.strip()  # surrounding white space is never an edit
            assert not cell.startswith(("=", "+", "-", "@", "\t")), cell
            assert cell == (("'" + want) if want[0] in "=+-@'" else want)
        srv.stats.reset()
        assert main(["sync", "--tables-dir", str(folder), "--no-progress"]) == 0  # read back exactly: no-op
        assert srv.stats.writes == 0
        assert sorted(sheet_rows(srv, sid)[f"tiktok:n{i}"]["notes"] for i in range(len(nasty))) == sorted(nasty)
