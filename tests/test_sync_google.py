"""The Google Sheet backend against the fake Sheets API, through real gspread and google-auth over HTTP."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from tests.sync_support import (TAB, backend_for, canon, creators, fast_policy, new_archive,
                               settings_for, sheet_rows)

from sheets_sync.backend import SyncError
from sheets_sync.google_sheet import GoogleSheetBackend
from sheets_sync.sync import sync_table, sync_workbook_tables


def test_first_sync_builds_the_tab_protects_computed_columns_and_logs(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    out = sync_table(creators(3, score=88, tier="S"), None, None, be, user="mia")
    rows = sheet_rows(srv, sid)
    assert set(rows) == {"tiktok:c0", "tiktok:c1", "tiktok:c2"} and rows["tiktok:c1"]["followers"] == 1001
    assert srv.values(sid, TAB)[0][0] == "达人键 Creator key"  # bilingual headers, Chinese first
    meta = be.http.fetch_sheet_metadata(sid)
    tab = next(s for s in meta["sheets"] if s["properties"]["title"] == TAB)
    protected = {p["description"]: p for p in tab.get("protectedRanges", [])}
    assert set(protected) == {"lianxing:computed:score", "lianxing:computed:tier"}
    assert all(p["warningOnly"] for p in protected.values())
    header = srv.values(sid, TAB)[0]
    assert protected["lianxing:computed:score"]["range"]["startColumnIndex"] == header.index("总分 Score")
    assert "邮箱 E-mail" not in header and "其他联系方式 Other contact" not in header  # not shared by default
    log = srv.values(sid, "同步日志 Sync log")
    assert log[0][:2] == ["run_at", "user"] and log[1][1] == "mia" and log[1][5] == "3"
    assert out.log["pushed"] == 3


def test_no_op_sync_is_one_read_and_no_write(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(5), None, None, be)
    srv.stats.reset()
    again = sync_table(first.local, first.base, first.conflicts, be)
    assert srv.stats.requests == 1 and srv.stats.writes == 0
    assert again.log["pushed"] == again.log["pulled"] == 0


def test_formula_like_text_stays_text_in_the_shared_sheet(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    nasty = ["=1+1", "+86 138 0000 0000", "-5% off", "@glowwithmia", "=HYPERLINK(\"http://evil\",\"x\")"]
    frame = pd.DataFrame([{"platform": "TikTok", "handle": f"n{i}", "notes": t, "display_name": t}
                          for i, t in enumerate(nasty)], dtype=object)
    sync_table(frame, None, None, be)
    rows = sheet_rows(srv, sid)
    for i, text in enumerate(nasty):
        assert rows[f"tiktok:n{i}"]["notes"] == text and rows[f"tiktok:n{i}"]["display_name"] == text
    # read back as a person's browser would show it, too (a formula would show its result)
    col = chr(ord("A") + srv.values(sid, TAB)[0].index("备注 Notes"))
    got = be.http.values_get(sid, f"'{TAB}'!{col}2:{col}6", params={"valueRenderOption": "FORMATTED_VALUE"})
    assert sorted(v[0] for v in got["values"]) == sorted(nasty)


def test_team_mate_sorts_inserts_and_types_a_row_without_key(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(4), None, None, be)
    # a team mate sorts the sheet (reverse), and types a new creator in the browser without a key
    values = srv.values(sid, TAB)
    header, body = values[0], values[1:]
    body = list(reversed(body))
    body.insert(1, ["", "Instagram", "@NewFace", "", "", "", "", "", "2,500"])
    srv.set_values(sid, TAB, [header] + body)
    local = first.local.copy()
    local.loc[local["creator_key"] == "tiktok:c2", "notes"] = "changed here"
    out = sync_table(local, first.base, first.conflicts, be)
    rows = sheet_rows(srv, sid)
    assert rows["tiktok:c2"]["notes"] == "changed here"
    assert all(rows[f"tiktok:c{i}"]["notes"] == f"note {i}" for i in (0, 1, 3))
    assert rows["instagram:newface"]["handle"] == "@NewFace"  # its key was written back into its own row
    assert canon(out.local)["instagram:newface"]["followers"] == "2500"


def test_conflict_round_trip_with_the_shared_sheet(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(2), None, None, be)
    values = srv.values(sid, TAB)
    col = values[0].index("备注 Notes")
    row = next(i for i, line in enumerate(values) if line and line[0] == "tiktok:c0")
    values[row][col] = "edited in browser"
    srv.set_values(sid, TAB, values)
    local = first.local.copy()
    local.loc[local["creator_key"] == "tiktok:c0", "notes"] = "edited in Excel"
    out = sync_table(local, first.base, first.conflicts, be)
    [c] = out.conflicts.to_dict("records")
    assert (c["local_value"], c["remote_value"]) == ("edited in Excel", "edited in browser")
    assert sheet_rows(srv, sid)["tiktok:c0"]["notes"] == "edited in browser"  # untouched until decided
    decided = out.conflicts.copy()
    decided["resolution"], decided["resolved_value"] = "custom", "merged note"
    done = sync_table(out.local, out.base, decided, be)
    assert done.conflicts.empty and sheet_rows(srv, sid)["tiktok:c0"]["notes"] == "merged note"
    assert canon(done.local)["tiktok:c0"]["notes"] == "merged note"


def test_missing_credentials_file_names_file_and_sheet(tmp_path):
    with pytest.raises(SyncError) as err:
        GoogleSheetBackend.from_settings({"google_sheet_key": "KEY123", "google_credentials": str(tmp_path / "nope.json")})
    assert "nope.json" in str(err.value) and "KEY123" in str(err.value)


def test_sheet_not_shared_with_the_account_is_explained(srv, tmp_path):
    sid = srv.create_spreadsheet("Private", sheets=(TAB,), owner="boss@example.com")
    res = sync_workbook_tables({"creators": creators(1)}, settings_for(srv, tmp_path, sid), policy=fast_policy())
    assert not res.ok
    msg = res.log["message"]
    assert sid in msg and "share" in msg and "google_credentials" in msg
    # the run log is read by the whole team: no service-account e-mail, no local path
    assert "@" not in msg and str(tmp_path) not in msg and "Traceback" not in msg


def test_refused_credentials_are_explained(srv, tmp_path):
    sid = new_archive(srv)
    settings = settings_for(srv, tmp_path, sid)
    info = json.loads(open(settings["google_credentials"]).read())
    info["private_key_id"] = "0" * 40  # a key deleted in the Cloud console
    open(settings["google_credentials"], "w").write(json.dumps(info))
    res = sync_workbook_tables({"creators": creators(1)}, settings, policy=fast_policy())
    assert not res.ok and "refused" in res.log["message"] and "google_credentials" in res.log["message"]
    assert sid in res.log["message"] and settings["google_credentials"] not in res.log["message"]


def test_expired_access_tokens_are_renewed_without_bothering_anyone(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(2), None, None, be)
    srv.expire_tokens()  # the hour is up: Google answers 401 until the client fetches a new token
    local = first.local.copy()
    local.loc[local["creator_key"] == "tiktok:c1", "notes"] = "after expiry"
    out = sync_table(local, first.base, first.conflicts, be)
    assert out.log["pushed"] == 1 and sheet_rows(srv, sid)["tiktok:c1"]["notes"] == "after expiry"


def test_oauth_user_credentials_file_works(srv, tmp_path):
    import datetime as dt

    from tests.fake_sheets_api import DEFAULT_EMAIL

    sid = new_archive(srv)
    user_file = tmp_path / "authorized_user.json"
    expiry = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    user_file.write_text(json.dumps({
        "type": "authorized_user", "client_id": "id.apps.googleusercontent.com", "client_secret": "s",
        "refresh_token": "1//refresh", "token": srv.tokens.issue_direct(DEFAULT_EMAIL), "expiry": expiry}))
    settings = {"google_sheet_key": sid, "google_credentials": str(user_file), "api_endpoint": srv.url,
                "google_creators_tab": TAB}
    res = sync_workbook_tables({"creators": creators(2)}, settings, policy=fast_policy())
    assert res.ok and set(sheet_rows(srv, sid)) == {"tiktok:c0", "tiktok:c1"}


def test_large_writes_are_chunked_under_the_request_size_limit(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(30), None, None, be)
    local = first.local.copy()
    local["notes"] = [f"long note {'x' * 50} {i}" for i in range(len(local))]
    be.chunk_bytes = 1500
    srv.stats.reset()
    out = sync_table(local, first.base, first.conflicts, be)
    batch_writes = [p for m, p, _ in srv.stats.log if p.endswith("values:batchUpdateByDataFilter")]
    assert len(batch_writes) > 1 and out.log["pushed"] == 30
    rows = sheet_rows(srv, sid)
    assert all(rows[f"tiktok:c{i}"]["notes"].endswith(f" {i}") for i in range(30))


def test_duplicate_rows_in_the_shared_sheet_are_reported_not_merged_silently(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    sync_table(creators(2), None, None, be)
    values = srv.values(sid, TAB)
    srv.set_values(sid, TAB, [values[1][:3] + ["twin"]], start=f"A{len(values) + 1}", user_entered=False)
    out = sync_table(pd.DataFrame(dtype=object), None, None, be)
    assert any("already in row" in p and values[1][0] in p for p in out.problems)
    assert len(out.local) == 2
