"""The stricter fake (issue 13): Google's write quota shared by every workbook of one service account,
strict protected ranges, and what the sync makes of them; plus the smaller defects (integers above
2^53, the sync-log line under a transient error). Real gspread against the fake over HTTP."""
from __future__ import annotations

import threading

import pandas as pd
import pytest
from tests.sync_support import (TAB, backend_for, canon, creators, fast_policy, new_archive,
                               run_threads, settings_for, sheet_rows)

from sheets_sync.retry import RetryPolicy
from sheets_sync.sync import sync_table, sync_workbook_tables
from tests.fake_sheets_api import DEFAULT_EMAIL

LOG_TAB = "同步日志 Sync log"


class TeamClock:
    """Time as several workbooks waiting at once see it: each sleeps on its own, the minute passes
    for all. The fake's quota window reads the same clock, so no test waits for real."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()
        self.own = threading.local()

    def __call__(self) -> float:
        with self.lock:
            return max(self.now, getattr(self.own, "t", 0.0))

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.own.t = max(getattr(self.own, "t", 0.0), self.now) + seconds
            self.now = max(self.now, self.own.t)


def test_the_fake_refuses_the_61st_write_of_a_minute_for_every_client_of_the_account(srv):
    clock = TeamClock()
    srv.quota.enable(per_minute=60, clock=clock)
    try:
        sid = new_archive(srv)
        ws = srv.gspread_client().open_by_key(sid).worksheet(TAB)
        srv.quota.consume(DEFAULT_EMAIL, 59)  # other workbooks of the same service account
        ws.update([["a"]], "A1")
        from gspread.exceptions import APIError

        with pytest.raises(APIError) as error:
            srv.gspread_client().open_by_key(sid).worksheet(TAB).update([["b"]], "A2")
        assert error.value.response.status_code == 429 and "per minute per user" in str(error.value)
        ws.get_all_values()  # reads are not write requests
        clock.sleep(61)
        ws.update([["b"]], "A2")
    finally:
        srv.quota.disable()


def test_a_burst_of_three_workbooks_in_one_minute_syncs_everything_once(srv, tmp_path):
    clock = TeamClock()
    sid = new_archive(srv)
    first = sync_table(creators(6), None, None, backend_for(srv, tmp_path, sid))
    srv.quota.enable(per_minute=60, clock=clock)
    srv.quota.consume(DEFAULT_EMAIL, 52)  # the team's other workbooks already wrote this minute
    results: dict[int, object] = {}

    def workbook(w: int) -> None:
        local = first.local.copy()
        local.loc[local["creator_key"] == f"tiktok:c{w}", "notes"] = f"from workbook {w}"
        local = pd.concat([local, creators(2, prefix=f"w{w}new")], ignore_index=True)
        policy = RetryPolicy(sleep=clock.sleep, clock=clock)
        settings = {**settings_for(srv, tmp_path, sid), "sync_name": f"workbook {w}"}
        results[w] = sync_workbook_tables({"creators": local, "sync_base": first.base, "conflicts": first.conflicts},
                                          settings, policy=policy)

    try:
        assert run_threads(workbook, 3) == []
    finally:
        srv.quota.disable()
    assert srv.quota.refused > 0  # the quota was really hit
    assert all(results[w].ok for w in range(3)), [results[w].log["message"] for w in range(3)]
    rows = sheet_rows(srv, sid)  # raises on a duplicate key
    for w in range(3):
        assert rows[f"tiktok:c{w}"]["notes"] == f"from workbook {w}"
        assert {f"tiktok:w{w}new0", f"tiktok:w{w}new1"} <= set(rows)
    assert len(rows) == 6 + 6
    signed = [line[1] for line in srv.values(sid, LOG_TAB)[1:]]
    assert sorted(s for s in signed if s.startswith("workbook")) == ["workbook 0", "workbook 1", "workbook 2"]


def _protect_notes_strictly(srv, sid: str) -> None:
    """The sheet's owner locks the notes column for everyone but themselves (not warning-only)."""
    owner = srv.gspread_client("boss@example.com")
    book = owner.open_by_key(sid)
    ws = book.worksheet(TAB)
    col = ws.row_values(1).index("备注 Notes")
    book.batch_update({"requests": [{"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": ws.id, "startRowIndex": 1, "startColumnIndex": col, "endColumnIndex": col + 1},
        "description": "notes: owner only", "warningOnly": False}}}]})


def test_a_strict_protected_range_is_left_alone_and_explained(srv, tmp_path):
    sid = srv.create_spreadsheet("Owned", sheets=(TAB,), owner="boss@example.com")
    srv.share(sid, DEFAULT_EMAIL, "writer")
    settings = settings_for(srv, tmp_path, sid)
    first = sync_workbook_tables({"creators": creators(3)}, settings, policy=fast_policy())
    _protect_notes_strictly(srv, sid)
    local = first.local.copy()
    local.loc[local["creator_key"] == "tiktok:c0", ["notes", "followers"]] = ["locked edit", 5555]
    res = sync_workbook_tables({"creators": local, "sync_base": first.base, "conflicts": first.conflicts},
                               settings, policy=fast_policy())
    assert res.ok, res.log["message"]
    rows = sheet_rows(srv, sid)
    assert rows["tiktok:c0"]["followers"] == 5555 and rows["tiktok:c0"]["notes"] == "note 0"
    [told] = [p for p in res.problems if "备注 Notes" in p]
    assert "protected" in told and "editor" in told and "share the sheet" not in told
    assert canon(res.local)["tiktok:c0"]["notes"] == "locked edit"  # kept, and pushed once it is allowed
    again = sync_workbook_tables(res.tables, settings, policy=fast_policy())
    assert again.ok and any("备注 Notes" in p for p in again.problems)


def test_a_protection_added_during_the_sync_gets_the_right_advice(srv, tmp_path):
    sid = srv.create_spreadsheet("Owned2", sheets=(TAB,), owner="boss@example.com")
    srv.share(sid, DEFAULT_EMAIL, "writer")
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(2), None, None, be)
    local = first.local.copy()
    local.loc[local["creator_key"] == "tiktok:c1", "notes"] = "edited"
    be.before_write = lambda: _protect_notes_strictly(srv, sid)  # right after the guard read
    from sheets_sync.backend import SyncError

    with pytest.raises(SyncError) as error:
        sync_table(local, first.base, first.conflicts, be)
    message = str(error.value)
    assert "protect" in message and "editor" in message and "share the sheet" not in message
    assert "@" not in message


def test_integers_above_2_53_are_not_rounded(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    big = 2**53 + 1
    frame = creators(1)
    frame["followers"] = [big]
    first = sync_table(frame, None, None, be)
    assert sheet_rows(srv, sid)["tiktok:c0"]["followers"] in (big, str(big))
    fresh = sync_table(pd.DataFrame(dtype=object), None, None, be)
    assert canon(fresh.local)["tiktok:c0"]["followers"] == str(big)
    again = sync_table(first.local, first.base, first.conflicts, be)
    assert again.log["pushed"] == 0 and canon(again.local)["tiktok:c0"]["followers"] == str(big)


def test_the_sync_log_line_survives_a_transient_error_on_its_write(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(2), None, None, be, user="first")
    local = first.local.copy()
    local["notes"] = "changed"
    original = be.log_sync

    def flaky_log(entry):  # the data is written; Google hiccups on the log line's request
        srv.faults.schedule([("503", 1)])
        original(entry)

    be.log_sync = flaky_log
    out = sync_table(local, first.base, first.conflicts, be, user="second")
    assert out.log["pushed"] == 2 and sheet_rows(srv, sid)["tiktok:c1"]["notes"] == "changed"
    signed = [line[1] for line in srv.values(sid, LOG_TAB)[1:]]
    assert signed == ["first", "second"]


def test_the_data_filter_value_methods_follow_the_discovery_document(srv):
    sid = srv.create_spreadsheet("Filters", sheets=("T",))
    srv.set_values(sid, "T", [["key", "notes"], ["tiktok:a", "x"], ["tiktok:b", "y"]], user_entered=False)
    gc = srv.gspread_client()
    book = gc.open_by_key(sid)
    book.batch_update({"requests": [{"createDeveloperMetadata": {"developerMetadata": {
        "metadataKey": "lianxing:creator", "metadataValue": "tiktok:b", "visibility": "DOCUMENT",
        "location": {"dimensionRange": {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}}}}}]})
    url = f"{srv.url}/v4/spreadsheets/{sid}/values"
    http = gc.http_client
    lookup = {"developerMetadataLookup": {"metadataKey": "lianxing:creator", "metadataValue": "tiktok:b"}}
    got = http.request("post", f"{url}:batchGetByDataFilter",
                       json={"dataFilters": [lookup], "valueRenderOption": "UNFORMATTED_VALUE"}).json()
    [match] = got["valueRanges"]
    assert match["valueRange"]["values"] == [["tiktok:b", "y"]] and match["dataFilters"] == [lookup]
    done = http.request("post", f"{url}:batchUpdateByDataFilter", json={
        "valueInputOption": "RAW", "data": [{"dataFilter": lookup, "values": [["tiktok:b", "=changed"]]}]}).json()
    assert done["totalUpdatedCells"] == 2 and done["responses"][0]["dataFilter"] == lookup
    assert srv.values(sid, "T")[2] == ["tiktok:b", "=changed"]
    from gspread.exceptions import APIError

    with pytest.raises(APIError) as error:  # held to the discovery document: no such field
        http.request("post", f"{url}:batchUpdateByDataFilter", json={"valueInputOption": "RAW", "rows": []})
    assert error.value.response.status_code == 400
