"""Keys that change (issue 13, defect 6): a handle renamed in the workbook or in the shared sheet is
one creator, recognised through its profile URL, never two rows; where only a display name matches,
the pair is listed for a person. Real gspread against the fake Sheets API over HTTP."""
from __future__ import annotations

import pandas as pd
from tests.sync_support import TAB, backend_for, canon, new_archive, sheet_rows

from sheets_sync.sync import sync_table


def _channels(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame([{"platform": "YouTube", "handle": f"chan{i}", "display_name": f"Channel {i}",
                          "profile_url": f"https://www.youtube.com/channel/UC00{i}", "notes": f"note {i}"}
                         for i in range(n)], dtype=object)


def _rename_locally(frame: pd.DataFrame, old: str, new: str, url: str | None = None) -> pd.DataFrame:
    """What a refresh leaves after a person renames a handle: the key follows the handle."""
    out = frame.copy()
    at = out["creator_key"] == f"youtube:{old}"
    out.loc[at, "handle"] = new
    out.loc[at, "creator_key"] = f"youtube:{new}"
    if url is not None:
        out.loc[at, "profile_url"] = url
    return out


def test_a_handle_renamed_in_the_workbook_stays_one_creator(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(_channels(), None, None, be)
    local = _rename_locally(first.local, "chan1", "chan1_new")
    out = sync_table(local, first.base, first.conflicts, be)
    rows = sheet_rows(srv, sid)
    assert len(rows) == 3 and rows["youtube:chan1"]["handle"] == "chan1_new"
    assert rows["youtube:chan1"].get("status", "") != "archived"
    assert any("chan1_new" in p and "renamed" in p for p in out.problems)
    assert len(out.local) == 3
    again = sync_table(_rename_locally(out.local, "chan1", "chan1_new"), out.base, out.conflicts, be)
    assert again.log["pushed"] == 0 and len(sheet_rows(srv, sid)) == 3


def test_a_handle_renamed_in_the_sheet_stays_one_creator(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(_channels(), None, None, be)
    values = srv.values(sid, TAB)
    header = values[0]
    row = next(n for n, line in enumerate(values) if line and line[0] == "youtube:chan2")
    values[row][0] = ""  # the team mate retypes the handle and clears the key cell
    values[row][header.index("账号 Handle")] = "chan2_renamed"
    srv.set_values(sid, TAB, values, user_entered=False)
    out = sync_table(first.local, first.base, first.conflicts, be)
    mine = canon(out.local)
    assert len(out.local) == 3 and mine["youtube:chan2"]["handle"] == "chan2_renamed"
    assert not any("deleted from the shared archive" in p for p in out.problems)
    assert any("renamed" in p for p in out.problems)


def test_a_rename_that_cannot_be_recognised_is_listed_for_a_person(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(_channels(), None, None, be)
    local = _rename_locally(first.local, "chan0", "chan0_other", url="https://www.youtube.com/@chan0_other")
    out = sync_table(local, first.base, first.conflicts, be)
    [listed] = [p for p in out.problems if "chan0_other" in p]
    assert "youtube:chan0" in listed and "same display name" in listed
