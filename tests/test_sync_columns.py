"""Columns people rename, delete or never had: never read as blank, never a crash (issue 13, defects 1-2).

Everything runs through real gspread against the fake Sheets API over HTTP.
"""
from __future__ import annotations

import pandas as pd
import pytest
from tests.sync_support import (TAB, backend_for, canon, creators, fast_policy, new_archive,
                               settings_for, sheet_rows, synced_by_an_older_release)

from sheets_sync.sync import sync_table, sync_workbook_tables


ALL_PERSONAL = ["display_name", "email", "contact"]


def _rename(srv, sid: str, old: str, new: str) -> None:
    values = srv.values(sid, TAB)
    header = list(values[0])
    header[header.index(old)] = new
    srv.set_values(sid, TAB, [header], user_entered=False)


def _delete_column(srv, sid: str, header: str) -> None:
    values = srv.values(sid, TAB)
    col = values[0].index(header)
    gc = srv.gspread_client()
    ws = gc.open_by_key(sid).worksheet(TAB)
    ws.delete_columns(col + 1)


def _synced(srv, tmp_path, n=3, **extra):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    frame = creators(n, contact=None, **extra)
    frame["contact"] = [f"wechat-{i}" for i in range(n)]
    first = sync_table(frame, None, None, be, share_personal=ALL_PERSONAL)
    return sid, be, first


@pytest.mark.parametrize("renamed", ["Notes (team)", "Notes 备注", "备注"])
def test_a_header_renamed_recognisably_keeps_syncing_that_column(srv, tmp_path, renamed):
    sid, be, first = _synced(srv, tmp_path)
    _rename(srv, sid, "备注 Notes", renamed)
    local = first.local.copy()
    local.loc[local["creator_key"] == "tiktok:c1", "notes"] = "pushed under the new name"
    out = sync_table(local, first.base, first.conflicts, be)
    values = srv.values(sid, TAB)
    col = values[0].index(renamed)
    assert {line[0]: line[col] for line in values[1:]}["tiktok:c1"] == "pushed under the new name"
    assert canon(out.local)["tiktok:c0"]["notes"] == "note 0"


def test_a_header_renamed_beyond_recognition_is_never_read_as_blank(srv, tmp_path):
    sid, be, first = _synced(srv, tmp_path)
    _rename(srv, sid, "备注 Notes", "Remarks")
    local = first.local.copy()
    local.loc[local["creator_key"] == "tiktok:c2", "notes"] = "typed in Excel meanwhile"
    out = sync_table(local, first.base, first.conflicts, be)
    mine = canon(out.local)
    assert [mine[f"tiktok:c{i}"]["notes"] for i in range(3)] == ["note 0", "note 1", "typed in Excel meanwhile"]
    values = srv.values(sid, TAB)
    assert "备注 Notes" not in values[0]  # not repaired behind the team's back: they renamed it
    assert [line[values[0].index("Remarks")] for line in values[1:]] == ["note 0", "note 1", "note 2"]
    [problem] = [p for p in out.problems if "备注 Notes" in p]
    assert "not pulled or pushed" in problem and "rename" in problem
    # a fresh workbook does not pull empty notes either, and a later sync (header back) pulls them
    fresh = sync_table(pd.DataFrame(dtype=object), None, None, be)
    assert len(fresh.local) == 3
    _rename(srv, sid, "Remarks", "备注 Notes")
    again = sync_table(out.local, out.base, out.conflicts, be)
    assert canon(again.local)["tiktok:c2"]["notes"] == "typed in Excel meanwhile"
    assert sheet_rows(srv, sid)["tiktok:c2"]["notes"] == "typed in Excel meanwhile"
    later = sync_table(fresh.local, fresh.base, fresh.conflicts, be)
    assert canon(later.local)["tiktok:c0"]["notes"] == "note 0"


def test_a_deleted_column_keeps_its_values_and_the_next_syncs_do_not_crash(srv, tmp_path):
    sid, be, first = _synced(srv, tmp_path)
    _delete_column(srv, sid, "其他联系方式 Other contact")
    settings = {**settings_for(srv, tmp_path, sid), "sync_personal_columns": "display_name, email, contact"}
    tables = {"creators": first.local, "sync_base": first.base, "conflicts": first.conflicts}
    local = first.local.copy()
    local.loc[local["creator_key"] == "tiktok:c0", "notes"] = "a change to push"
    for _ in range(2):  # the second sync used to write a header past the grid: HTTP 400
        res = sync_workbook_tables({**tables, "creators": local}, settings, policy=fast_policy())
        assert res.ok, res.log["message"]
        assert [canon(res.local)[f"tiktok:c{i}"]["contact"] for i in range(3)] == ["wechat-0", "wechat-1", "wechat-2"]
        assert "其他联系方式 Other contact" in res.log["message"]
        tables = res.tables
        local = res.local
    assert sheet_rows(srv, sid)["tiktok:c0"]["notes"] == "a change to push"
    assert "其他联系方式 Other contact" not in srv.values(sid, TAB)[0]


def test_a_synced_column_new_in_this_release_is_added_growing_the_grid(srv, tmp_path):
    sid, be, first = synced_by_an_older_release(srv, tmp_path, without="w8ben_received")
    local = first.local.copy()
    local["w8ben_received"] = ["yes", None]
    out = sync_table(local, first.base, first.conflicts, be)
    rows = sheet_rows(srv, sid)
    assert rows["tiktok:a"]["w8ben_received"] == "yes" and rows["tiktok:b"]["w8ben_received"] == ""
    assert canon(out.local)["tiktok:a"]["w8ben_received"] == "yes"


def test_nothing_from_the_archive_escapes_as_an_exception(srv, tmp_path):
    sid = new_archive(srv)
    settings = settings_for(srv, tmp_path, sid)
    from sheets_sync import google_sheet

    original = google_sheet.GoogleSheetBackend.read

    def broken(self, sheet):
        raise KeyError("an answer the sync did not expect")

    google_sheet.GoogleSheetBackend.read = broken
    try:
        res = sync_workbook_tables({"creators": creators(2)}, settings, policy=fast_policy())
    finally:
        google_sheet.GoogleSheetBackend.read = original
    assert not res.ok and "Google Sheet" in res.log["message"] and "unexpected" in res.log["message"]
    assert len(res.tables["creators"]) == 2 and len(res.tables["run_log"]) == 1


def test_the_refresh_still_saves_the_workbook_when_the_archive_answers_nonsense(tmp_path, monkeypatch):
    """The crash used to escape sync_workbook_tables and take the refresh down before the save."""
    import shutil

    from tests.test_refresh import EXPORTS, NOW, export_case_rows
    from tests.test_workbook_io_fixtures import make_workbook
    from sheets_sync import sync as sync_module
    from workbook_addin.jobs.refresh import refresh_workbook
    from workbook_addin.workbook.tables_io import WorkbookFile

    book = make_workbook(tmp_path / "Lianxing_Evaluation.xlsm", export_case_rows())
    shutil.copytree(EXPORTS / "batch", tmp_path / "exports")

    class Broken:
        name = "google"
        user = ""

        def describe(self):
            return "Google Sheet KEY"

        def session(self):
            raise ValueError("exceeds grid limits")

        def close(self):
            pass

    monkeypatch.setattr(sync_module, "open_backend", lambda *a, **k: Broken())
    report = refresh_workbook(book, now=NOW)
    assert report.sync_ok is False and "exceeds grid limits" in report.sync["message"]
    saved = WorkbookFile(book).read()
    log = saved.tables["run_log"]
    assert log["message"].astype(str).str.contains("exceeds grid limits").any()
    assert report.rows_updated > 0  # the refresh's own work was saved, not lost with the sync
