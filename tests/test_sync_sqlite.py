"""The local SQLite archive end to end: two workbooks sharing one archive file."""
from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from sheets_sync.backend import SyncError
from sheets_sync.sqlite_archive import SqliteArchive
from sheets_sync.sync import sync_table, sync_workbook_tables
from workbook_addin.core.schema import load_schema

SHEET = load_schema().sheet("creators")


def creators(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def by_key(frame: pd.DataFrame) -> dict[str, dict]:
    return {r["creator_key"]: r for r in frame.to_dict("records")}


@pytest.fixture
def archive(tmp_path):
    db = SqliteArchive(tmp_path / "archive.sqlite", user="tester")
    yield db
    db.close()


def test_file_is_in_wal_mode_with_one_table_per_synced_sheet(archive, tmp_path):
    sync_table(creators({"platform": "TikTok", "handle": "@Mia"}), None, None, archive)
    con = sqlite3.connect(tmp_path / "archive.sqlite")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT creator_key FROM creators").fetchall() == [("tiktok:mia",)]


def test_handle_url_and_at_name_are_one_creator(archive):
    first = sync_table(creators({"platform": "TikTok", "handle": "@GlowWithMia", "followers": 100}), None, None, archive)
    assert first.patches[0] == (0, "creator_key", "tiktok:glowwithmia")  # the key is written back
    other = sync_table(creators({"handle": "https://www.tiktok.com/@glowwithmia?lang=en", "followers": 100}),
                       None, None, archive)
    assert other.merge.remote_rows == [] and other.merge.local_rows == {}
    assert list(other.local["creator_key"]) == ["tiktok:glowwithmia"]


def test_two_workbooks_exchange_edits_and_a_rerun_changes_nothing(archive):
    a = sync_table(creators({"platform": "TikTok", "handle": "a", "followers": 1},
                            {"platform": "YouTube", "handle": "b", "notes": "=cmd|' /c calc'!A0"}), None, None, archive)
    b = sync_table(creators(), None, None, archive, user="b")
    assert set(b.local["creator_key"]) == {"tiktok:a", "youtube:b"}
    assert by_key(b.local)["youtube:b"]["notes"] == "=cmd|' /c calc'!A0"
    bl = b.local.copy()
    bl.loc[bl["creator_key"] == "tiktok:a", "followers"] = 2
    b2 = sync_table(bl, b.base, b.conflicts, archive, user="b")
    a2 = sync_table(a.local, a.base, a.conflicts, archive)
    assert by_key(a2.local)["tiktok:a"]["followers"] == 2
    assert a2.log["pulled"] == 1 and a2.log["pushed"] == 0
    # the archive's log names who synced
    assert [r["user"] for r in archive.log_rows()] == ["tester", "b"]  # no-op syncs write nothing, log included
    again = sync_table(a2.local, a2.base, a2.conflicts, archive)
    assert again.log["pulled"] == again.log["pushed"] == 0 and len(archive.log_rows()) == 2
    assert b2.log["pushed"] == 1


def test_conflict_shows_who_changed_the_archive_and_resolution_applies(archive):
    a = sync_table(creators({"platform": "TikTok", "handle": "a", "followers": 1}), None, None, archive)
    b = sync_table(creators(), None, None, archive, user="lin")
    bl = b.local.copy(); bl["followers"] = 5
    b2 = sync_table(bl, b.base, b.conflicts, archive, user="lin")
    al = a.local.copy(); al["followers"] = 7
    a2 = sync_table(al, a.base, a.conflicts, archive)
    [c] = a2.conflicts.to_dict("records")
    assert (c["local_value"], c["remote_value"], c["base_value"], c["remote_by"]) == ("7", "5", "1", "lin")
    assert archive.read(SHEET).rows["tiktok:a"].values["followers"] == "5"
    decided = a2.conflicts.copy(); decided["resolution"] = "保留本地 Keep local"  # the drop-down label works too
    a3 = sync_table(a2.local, a2.base, decided, archive)
    assert a3.conflicts.empty and a3.log["pushed"] == 1
    b3 = sync_table(b2.local, b2.base, b2.conflicts, archive, user="lin")
    assert by_key(b3.local)["tiktok:a"]["followers"] == 7


def test_rows_removed_from_the_workbook_are_archived(archive):
    a = sync_table(creators({"platform": "TikTok", "handle": "a", "status": "active"},
                            {"platform": "TikTok", "handle": "b", "status": "active"}), None, None, archive)
    kept = a.local[a.local["creator_key"] == "tiktok:b"]
    a2 = sync_table(kept, a.base, a.conflicts, archive)
    rows = archive.read(SHEET).rows
    assert rows["tiktok:a"].values["status"] == "archived"  # still in the archive
    assert list(a2.local["creator_key"]) == ["tiktok:b"]  # not pulled back into the workbook
    assert "archived 1" in a2.log["message"]


def test_a_failed_sync_rolls_back_the_whole_transaction(archive, monkeypatch):
    a = sync_table(creators({"platform": "TikTok", "handle": "a", "followers": 1}), None, None, archive)
    local = a.local.copy(); local["followers"] = 2
    local = pd.concat([local, creators({"platform": "TikTok", "handle": "new"})], ignore_index=True)

    def boom(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(archive, "log_sync", boom)
    with pytest.raises(SyncError) as error:
        sync_table(local, a.base, a.conflicts, archive)
    assert "disk I/O error" in str(error.value) and "Nothing was lost" in str(error.value)
    rows = archive.read(SHEET).rows
    assert set(rows) == {"tiktok:a"} and rows["tiktok:a"].values["followers"] == "1"


def test_rows_without_a_usable_handle_are_reported_by_row_and_left_alone(archive):
    out = sync_table(creators({"platform": "TikTok", "handle": "a"}, {"platform": "", "handle": "nobody"}), None, None, archive)
    assert out.problems and "row 3" in out.problems[0] and "账号 Handle" in out.problems[0]
    assert len(out.local) == 2 and out.log["rows_unmatched"] == 1


def test_sync_workbook_tables_takes_and_returns_the_four_tables(tmp_path):
    settings = {"archive_backend": "local", "archive_path": "team.sqlite"}
    res = sync_workbook_tables({"creators": creators({"platform": "Instagram", "handle": "x"})}, settings,
                               workbook_dir=tmp_path, user="ops")
    assert res.ok and (tmp_path / "team.sqlite").exists()
    assert set(res.tables) == {"creators", "sync_base", "conflicts", "run_log"}
    assert res.tables["run_log"].iloc[-1]["job"] == "sync" and res.tables["run_log"].iloc[-1]["user"] == "ops"
    assert set(res.tables["sync_base"].columns) == {"sheet", "creator_key", "column", "value", "synced_at"}
    bad = sync_workbook_tables(res.tables, {"archive_backend": "google", "google_sheet_key": "abc"}, workbook_dir=tmp_path)
    assert not bad.ok and "google_credentials" in bad.log["message"] and bad.tables["run_log"].iloc[-1]["status"] == "error"
    assert bad.tables["creators"] is res.tables["creators"]  # nothing typed is lost


def test_parallel_workbooks_on_one_archive_file_are_serialised(tmp_path):
    from tests.sync_support import run_threads

    path = tmp_path / "shared.sqlite"
    seed = SqliteArchive(path)
    start = sync_table(creators(*[{"platform": "TikTok", "handle": f"c{i}", "notes": "-"} for i in range(9)]),
                       None, None, seed)
    seed.close()

    def workbook(w: int) -> None:
        db = SqliteArchive(path, user=f"w{w}")
        state = [start.local, start.base, start.conflicts]
        for rnd in range(5):
            local = state[0].copy()
            for i in range(w, 9, 3):
                local.loc[local["creator_key"] == f"tiktok:c{i}", "notes"] = f"c{i} w{w} r{rnd}"
            out = sync_table(local, state[1], state[2], db)
            state = [out.local, out.base, out.conflicts]
        db.close()

    errors = run_threads(workbook, 3)
    assert not errors
    check = SqliteArchive(path)
    rows = check.read(SHEET).rows
    assert {k: r.values["notes"] for k, r in rows.items()} == {f"tiktok:c{i}": f"c{i} w{i % 3} r4" for i in range(9)}
    assert len(check.log_rows()) == 1 + 15
