"""The blacklist is a team fact: whether, why and since when a creator is blacklisted travel to the
shared archive, and an archive made before ``blacklisted_on`` was shared gets the column added."""
from __future__ import annotations

import datetime as dt

import pandas as pd
from tests.sync_support import (SHEET, TAB, canon, sheet_rows,
                                synced_by_an_older_release)

from sheets_sync.sync import sync_table


def test_the_blacklist_columns_are_all_synced():
    synced = {c.key for c in SHEET.synced_columns}
    assert {"blacklisted", "blacklist_reason", "blacklisted_on"} <= synced


def test_an_existing_sheet_without_blacklisted_on_gets_the_column_and_the_dates(srv, tmp_path):
    sid, be, first = synced_by_an_older_release(srv, tmp_path, without="blacklisted_on")
    local = first.local.copy()
    local["blacklisted"] = ["yes", None]
    local["blacklisted_on"] = [dt.datetime(2026, 3, 9), None]  # a date cell, as the workbook holds it
    out = sync_table(local, first.base, first.conflicts, be)
    rows = sheet_rows(srv, sid)
    assert rows["tiktok:a"]["blacklisted_on"] == "2026-03-09" and rows["tiktok:b"]["blacklisted_on"] == ""
    assert canon(out.local)["tiktok:a"]["blacklisted_on"] == "2026-03-09"
    # a team mate's workbook gets the date as a date; a date typed in the browser reads the same
    other = sync_table(pd.DataFrame(dtype=object), None, None, be)
    got = other.local.set_index("creator_key").loc["tiktok:a", "blacklisted_on"]
    assert got == dt.datetime(2026, 3, 9)
    ws = srv.gspread_client().open_by_key(sid).worksheet(TAB)
    at = ws.col_values(1).index("tiktok:b") + 1
    ws.update_cell(at, ws.row_values(1).index("拉黑日期 Blacklisted on") + 1, "3/10/2026")  # typed, USER_ENTERED
    again = sync_table(other.local, other.base, other.conflicts, be)
    assert canon(again.local)["tiktok:b"]["blacklisted_on"] == "2026-03-10"
    srv.stats.reset()
    sync_table(again.local, again.base, again.conflicts, be)
    assert srv.stats.writes == 0  # the typed date and the workbook's date are one value: nothing to write
