"""Finding the table wherever people put it (issue 13, defect 3): a blank column A, a title row,
frozen rows; new creators go to an explicit place below the data, never where append's table
detection guesses. Real gspread against the fake Sheets API over HTTP."""
from __future__ import annotations

import pandas as pd
import pytest
from tests.sync_support import (SHEET, TAB, backend_for, canon, creators, new_archive)

from sheets_sync.sync import sync_table


def _moved_table(srv, sid: str, title_rows: int = 2, blank_cols: int = 1) -> None:
    """The archive as a team re-laid it: a title row, a blank row, the table starting at column B."""
    values = srv.values(sid, TAB)
    pad = [""] * blank_cols
    rows = [pad + ["达人档案 Creator archive (team copy)"]] + [[] for _ in range(title_rows - 1)]
    rows += [pad + list(line) for line in values]
    with srv.lock:
        srv.spreadsheet(sid).sheet_by_title(TAB).rows = []
    srv.set_values(srv_sid := sid, TAB, rows, user_entered=False)
    gc = srv.gspread_client()
    gc.open_by_key(srv_sid).worksheet(TAB).freeze(rows=title_rows + 1)


def test_fake_models_append_table_detection_like_google(srv):
    """What the old sync relied on: values.append to A1 finds the table from A1. With column A blank
    the row lands at the top, above the header (the failure the issue reports)."""
    sid = srv.create_spreadsheet("Detect", sheets=("T",))
    srv.set_values(sid, "T", [[], [], ["", "key", "name"], ["", "k1", "a"], ["", "k2", "b"]], user_entered=False)
    ws = srv.gspread_client().open_by_key(sid).worksheet("T")
    got = ws.append_row(["", "k3", "c"], value_input_option="RAW", insert_data_option="INSERT_ROWS", table_range="A1")
    assert got["updates"]["updatedRange"].endswith("!A1:C1")  # row 1: above the header
    assert srv.values(sid, "T")[3] == ["", "key", "name"]  # INSERT_ROWS pushed the header down a row


def test_a_title_row_a_blank_column_a_and_frozen_rows_do_not_break_the_archive(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(3), None, None, be)
    _moved_table(srv, sid)
    local = first.local.copy()
    local.loc[local["creator_key"] == "tiktok:c1", "notes"] = "changed after the re-layout"
    local = pd.concat([local, creators(2, prefix="new")], ignore_index=True)
    out = sync_table(local, first.base, first.conflicts, be)
    assert out.ok and not out.problems, out.problems
    values = srv.values(sid, TAB)
    assert values[0] == ["", "达人档案 Creator archive (team copy)"] and values[2][1] == SHEET.column("creator_key").header
    keys = [line[1] for line in values[3:]]
    assert keys == ["tiktok:c0", "tiktok:c1", "tiktok:c2", "tiktok:new0", "tiktok:new1"]
    assert all(not line or line[0] == "" for line in values[1:])  # nothing written into the blank column A
    notes = values[2].index("备注 Notes")
    assert values[4][notes] == "changed after the re-layout"
    # every workbook, old or fresh, sees the five creators and nothing else
    fresh = sync_table(pd.DataFrame(dtype=object), None, None, be)
    assert set(canon(fresh.local)) == set(keys) and not fresh.problems
    again = sync_table(out.local, out.base, out.conflicts, be)
    assert again.log["pushed"] == 0 and again.log["pulled"] == 0 and not again.problems


def test_a_tab_without_any_recognisable_header_is_reported_not_overwritten(srv, tmp_path):
    sid = new_archive(srv)
    srv.set_values(sid, TAB, [["Name", "Followers"], ["mia", "100"]], user_entered=False)
    be = backend_for(srv, tmp_path, sid)
    from sheets_sync.backend import SyncError

    with pytest.raises(SyncError) as error:
        sync_table(creators(1), None, None, be)
    assert "header" in str(error.value) and TAB in str(error.value)
    assert srv.values(sid, TAB) == [["Name", "Followers"], ["mia", "100"]]
