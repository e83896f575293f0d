"""Personal data by choice (issue 13, defect 4): which personal columns are shared, rows deleted in
the shared sheet stay deleted, ``lianxing sync --forget``, and no local paths, e-mails or login names
in logs. Real gspread against the fake Sheets API over HTTP."""
from __future__ import annotations

import json

import pandas as pd
from tests.sync_support import (TAB, backend_for, canon, creators, fast_policy, new_archive,
                               settings_for, sheet_rows)

from sheets_sync.sync import sync_table, sync_workbook_tables
from workbook_addin.cli import main


def _people(n: int = 2) -> pd.DataFrame:
    frame = creators(n)
    frame["display_name"] = [f"Mia {i}" for i in range(n)]
    frame["email"] = [f"mia{i}@example.com" for i in range(n)]
    frame["contact"] = [f"wechat-mia{i}" for i in range(n)]
    return frame


def test_by_default_no_email_or_contact_reaches_the_shared_sheet(srv, tmp_path):
    sid = new_archive(srv)
    res = sync_workbook_tables({"creators": _people()}, settings_for(srv, tmp_path, sid), policy=fast_policy())
    assert res.ok
    text = json.dumps(srv.values(sid, TAB), ensure_ascii=False)
    assert "example.com" not in text and "wechat" not in text and "Mia 0" in text
    # a sheet that already has an e-mail column (an older release): nothing pushed there, nothing pulled
    values = srv.values(sid, TAB)
    srv.set_values(sid, TAB, [["邮箱 E-mail"], ["typed@sheet.example"]], start=f"{chr(65 + len(values[0]))}1",
                   user_entered=False)
    local = res.local.copy()
    local.loc[local["creator_key"] == "tiktok:c1", "email"] = "new@example.com"
    again = sync_workbook_tables({"creators": local, "sync_base": res.base, "conflicts": res.conflicts},
                                 settings_for(srv, tmp_path, sid), policy=fast_policy())
    assert again.ok and again.log["pushed"] == 0
    assert canon(again.local)["tiktok:c0"]["email"] == "mia0@example.com"
    assert "new@example.com" not in json.dumps(srv.values(sid, TAB))
    # a team that chooses to share e-mail gets it added and pushed
    shared = {**settings_for(srv, tmp_path, sid), "sync_personal_columns": "display_name, 邮箱 E-mail"}
    third = sync_workbook_tables({"creators": again.local, "sync_base": again.base, "conflicts": again.conflicts},
                                 shared, policy=fast_policy())
    assert third.ok and sheet_rows(srv, sid)["tiktok:c1"]["email"] == "new@example.com"


def test_a_row_deleted_in_the_sheet_stays_deleted_and_the_workbook_is_told(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(3), None, None, be)
    ws = srv.gspread_client().open_by_key(sid).worksheet(TAB)
    row = ws.col_values(1).index("tiktok:c1") + 1
    ws.delete_rows(row)  # an erasure request, handled in the shared sheet
    out = sync_table(first.local, first.base, first.conflicts, be)
    assert set(sheet_rows(srv, sid)) == {"tiktok:c0", "tiktok:c2"}
    [told] = [p for p in out.problems if "tiktok:c1" in p]
    assert "deleted from the shared archive" in told and "--forget" in told
    for _ in range(2):  # nor at any later sync of this workbook, or of another that had it
        out = sync_table(out.local, out.base, out.conflicts, be)
        assert set(sheet_rows(srv, sid)) == {"tiktok:c0", "tiktok:c2"} and not out.problems
    other = sync_table(first.local, first.base, first.conflicts, be)
    assert set(sheet_rows(srv, sid)) == {"tiktok:c0", "tiktok:c2"}
    assert any("tiktok:c1" in p for p in other.problems)


def test_forget_clears_a_creators_personal_data_in_the_archive_and_the_tables(srv, tmp_path):
    sid = new_archive(srv)
    folder = tmp_path / "t"
    folder.mkdir()
    _people(2).to_csv(folder / "creators.csv", index=False)
    settings = {**settings_for(srv, tmp_path, sid), "sync_personal_columns": "display_name,email,contact"}
    (folder / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    assert main(["sync", "--tables-dir", str(folder), "--no-progress"]) == 0
    assert sheet_rows(srv, sid)["tiktok:c0"]["email"] == "mia0@example.com"
    assert main(["sync", "--tables-dir", str(folder), "--no-progress", "--forget", "TikTok:@C0"]) == 0
    rows = sheet_rows(srv, sid)
    assert [rows["tiktok:c0"][c] for c in ("display_name", "email", "contact")] == ["", "", ""]
    assert rows["tiktok:c0"]["notes"] == "note 0" and rows["tiktok:c1"]["email"] == "mia1@example.com"
    local = pd.read_csv(folder / "creators.csv", dtype=str, keep_default_na=False).set_index("creator_key")
    assert [local.loc["tiktok:c0", c] for c in ("display_name", "email", "contact")] == ["", "", ""]
    assert local.loc["tiktok:c1", "email"] == "mia1@example.com"
    srv.stats.reset()
    assert main(["sync", "--tables-dir", str(folder), "--no-progress"]) == 0
    assert srv.stats.writes == 0  # settled: nothing comes back


def test_logs_carry_no_login_name_key_path_or_service_account_email(srv, tmp_path, monkeypatch):
    import getpass

    monkeypatch.setattr(getpass, "getuser", lambda: "secretlogin")
    sid = new_archive(srv)
    settings = settings_for(srv, tmp_path, sid)
    res = sync_workbook_tables({"creators": creators(1)}, settings, policy=fast_policy())
    shared_log = json.dumps(srv.values(sid, "同步日志 Sync log"), ensure_ascii=False)
    assert res.ok and "secretlogin" not in shared_log and "unnamed" in shared_log
    local = res.local.copy()
    local["notes"] = "changed"
    named = sync_workbook_tables({"creators": local, "sync_base": res.base},
                                 {**settings, "sync_name": "Team Shenzhen"}, policy=fast_policy(), user="secretlogin")
    assert named.ok and "Team Shenzhen" in json.dumps(srv.values(sid, "同步日志 Sync log"), ensure_ascii=False)
    assert "secretlogin" not in json.dumps(srv.values(sid, "同步日志 Sync log"))
    broken = dict(settings, google_credentials=str(tmp_path / "keys" / "missing-key.json"))
    bad = sync_workbook_tables({"creators": creators(1)}, broken, policy=fast_policy())
    assert not bad.ok and str(tmp_path) not in bad.log["message"] and "missing-key.json" in bad.log["message"]
