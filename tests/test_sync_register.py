"""The archive's register of creators: a deletion or an erasure made once is known to every workbook,
including one that never synced the creator (real gspread against the fake Sheets API)."""
from __future__ import annotations

import json

import pandas as pd
from tests.sync_support import (TAB, backend_for, canon, creators, fast_policy, new_archive, settings_for,
                                sheet_rows)

from sheets_sync.google_register import PROTECTION_NOTE
from sheets_sync.register import REGISTER_TAB, Register, key_hash
from sheets_sync.sqlite_archive import SqliteArchive
from sheets_sync.sync import sync_table, sync_workbook_tables


def _sync(srv, tmp_path, sid, tables, **settings):
    out = sync_workbook_tables(tables, {**settings_for(srv, tmp_path, sid), **settings}, policy=fast_policy())
    assert out.ok, out.log["message"]
    return out


def _tables(out):
    return {"creators": out.local, "sync_base": out.base, "conflicts": out.conflicts, "run_log": out.tables["run_log"]}


def _delete_in_sheet(srv, sid, key):
    ws = srv.gspread_client().open_by_key(sid).worksheet(TAB)
    ws.delete_rows(ws.col_values(1).index(key) + 1)


def test_a_row_deleted_in_the_sheet_is_not_pushed_back_by_a_workbook_that_never_synced_it(srv, tmp_path):
    sid = new_archive(srv)
    a = _sync(srv, tmp_path, sid, {"creators": creators(3)})
    _delete_in_sheet(srv, sid, "tiktok:c1")  # an erasure request, handled by a person in the shared sheet
    b = _sync(srv, tmp_path, sid, {"creators": creators(4)})  # a new workbook: c0..c3, never synced
    assert set(sheet_rows(srv, sid)) == {"tiktok:c0", "tiktok:c2", "tiktok:c3"}
    message = b.tables["run_log"]["message"].iloc[-1]
    assert "达人 tiktok:c1 已从共享档案删除" in message and "add its row to the shared sheet again" in message
    assert "1 deleted in the archive" in b.log["message"]
    srv.stats.reset()
    again = _sync(srv, tmp_path, sid, _tables(b))  # settled: not told again, nothing written
    assert srv.stats.writes == 0 and "tiktok:c1" not in again.log["message"]
    a2 = _sync(srv, tmp_path, sid, _tables(a))  # the workbook that had synced it keeps it out as before
    assert set(sheet_rows(srv, sid)) == {"tiktok:c0", "tiktok:c2", "tiktok:c3"}
    assert "tiktok:c1" in a2.log["message"]


def test_the_register_is_a_hidden_protected_tab_of_key_hashes_without_handles(srv, tmp_path):
    sid = new_archive(srv)
    _sync(srv, tmp_path, sid, {"creators": creators(3, prefix="mia")})
    _delete_in_sheet(srv, sid, "tiktok:mia1")
    _sync(srv, tmp_path, sid, {"creators": creators(3, prefix="mia")})
    book = srv.gspread_client().open_by_key(sid)
    tab = next(ws for ws in book.worksheets(exclude_hidden=False) if ws.title == REGISTER_TAB)
    assert tab.isSheetHidden
    meta = book.fetch_sheet_metadata({"fields": "sheets(properties(title),protectedRanges)"})
    protected = next(s.get("protectedRanges", []) for s in meta["sheets"] if s["properties"]["title"] == REGISTER_TAB)
    assert [(p["warningOnly"], p["description"]) for p in protected] == [(True, PROTECTION_NOTE)]
    values = srv.values(sid, REGISTER_TAB)
    assert "mia" not in json.dumps(values)
    state = Register.from_rows(values)
    assert state.deleted.keys() == {key_hash("tiktok:mia1")}
    assert state.seen == {key_hash(f"tiktok:mia{i}") for i in range(3)}


def test_re_adding_the_row_by_hand_brings_the_creator_back_for_every_workbook(srv, tmp_path):
    sid = new_archive(srv)
    a = _sync(srv, tmp_path, sid, {"creators": creators(2)})
    _delete_in_sheet(srv, sid, "tiktok:c1")
    a = _sync(srv, tmp_path, sid, _tables(a))
    assert set(sheet_rows(srv, sid)) == {"tiktok:c0"}
    ws = srv.gspread_client().open_by_key(sid).worksheet(TAB)
    header = ws.row_values(1)
    row = [""] * len(header)
    row[header.index("达人键 Creator key")], row[header.index("备注 Notes")] = "tiktok:c1", "back again"
    ws.append_row(row, value_input_option="RAW", table_range="A1")  # the creator asked to be listed again
    a = _sync(srv, tmp_path, sid, _tables(a))
    assert Register.from_rows(srv.values(sid, REGISTER_TAB)).deleted == {}
    assert sheet_rows(srv, sid)["tiktok:c1"]["handle"] == "c1"  # synced again: the workbook fills in the rest
    assert [(c["creator_key"], c["column"]) for _, c in a.conflicts.iterrows()] == [("tiktok:c1", "notes")]
    _delete_in_sheet(srv, sid, "tiktok:c1")  # ... deleted once more: kept out again, for a new workbook too
    _sync(srv, tmp_path, sid, {"creators": creators(2)})
    assert set(sheet_rows(srv, sid)) == {"tiktok:c0"}


def _people(n: int) -> pd.DataFrame:
    frame = creators(n)
    frame["display_name"] = [f"Mia {i}" for i in range(n)]
    frame["email"] = [f"mia{i}@example.com" for i in range(n)]
    return frame


def test_forget_in_one_workbook_clears_the_personal_data_in_a_workbook_that_never_synced(srv, tmp_path):
    sid = new_archive(srv)
    a = _sync(srv, tmp_path, sid, {"creators": _people(2)})
    a = sync_workbook_tables(_tables(a), settings_for(srv, tmp_path, sid), policy=fast_policy(), forget=["tiktok:c0"])
    assert a.ok and sheet_rows(srv, sid)["tiktok:c0"]["display_name"] == ""
    b = _sync(srv, tmp_path, sid, {"creators": _people(2)})  # another workbook, with the data still in it
    assert sheet_rows(srv, sid)["tiktok:c0"]["display_name"] == ""
    mine = canon(b.local)
    assert (mine["tiktok:c0"]["display_name"], mine["tiktok:c0"]["email"]) == ("", "")
    assert mine["tiktok:c1"]["email"] == "mia1@example.com"
    assert "达人 tiktok:c0 的个人信息已按团队的删除请求清除" in b.tables["run_log"]["message"].iloc[-1]
    srv.stats.reset()
    _sync(srv, tmp_path, sid, _tables(b))
    assert srv.stats.writes == 0
    # the creator gives the name again: typed into the shared sheet, it comes back everywhere
    ws = srv.gspread_client().open_by_key(sid).worksheet(TAB)
    at = ws.col_values(1).index("tiktok:c0") + 1
    ws.update_cell(at, ws.row_values(1).index("名称 Display name") + 1, "Mia again")
    b = _sync(srv, tmp_path, sid, _tables(b))
    assert canon(b.local)["tiktok:c0"]["display_name"] == "Mia again"
    assert Register.from_rows(srv.values(sid, REGISTER_TAB)).forgotten == {}


def test_the_local_archive_keeps_the_same_register(tmp_path):
    db = SqliteArchive(tmp_path / "team.sqlite")
    sync_table(creators(3), None, None, db)
    db.db.execute('DELETE FROM "creators" WHERE creator_key = ?', ("tiktok:c1",))
    fresh = sync_table(creators(3), None, None, db)
    keys = {r[0] for r in db.db.execute('SELECT creator_key FROM "creators"')}
    assert keys == {"tiktok:c0", "tiktok:c2"} and fresh.merge is not None and fresh.merge.deleted == ["tiktok:c1"]


def test_an_emptied_tab_is_not_recorded_as_every_creator_deleted(srv, tmp_path):
    sid = new_archive(srv)
    _sync(srv, tmp_path, sid, {"creators": creators(3)})
    srv.gspread_client().open_by_key(sid).worksheet(TAB).clear()  # by mistake; version history brings it back
    _sync(srv, tmp_path, sid, {"creators": creators(3)})
    assert Register.from_rows(srv.values(sid, REGISTER_TAB)).deleted == {}
    assert set(sheet_rows(srv, sid)) == {"tiktok:c0", "tiktok:c1", "tiktok:c2"}


def _register_protections(srv, sid):
    meta = srv.gspread_client().open_by_key(sid).fetch_sheet_metadata(
        {"fields": "sheets(properties(title),protectedRanges)"})
    tab = next(s for s in meta["sheets"] if s["properties"]["title"] == REGISTER_TAB)
    return tab.get("protectedRanges", [])


def _unprotect_register(srv, sid):
    """The register as a version before its protection left it: the same tab, no protected range."""
    book = srv.gspread_client().open_by_key(sid)
    book.batch_update({"requests": [{"deleteProtectedRange": {"protectedRangeId": p["protectedRangeId"]}}
                                    for p in _register_protections(srv, sid)]})
    assert _register_protections(srv, sid) == []


def test_a_register_made_before_its_protection_is_protected_by_the_next_sync_that_writes(srv, tmp_path):
    sid = new_archive(srv)
    a = _sync(srv, tmp_path, sid, {"creators": creators(3)})
    _delete_in_sheet(srv, sid, "tiktok:c1")
    a = _sync(srv, tmp_path, sid, _tables(a))  # the deletion is registered: the tab exists
    _unprotect_register(srv, sid)
    srv.stats.reset()
    a = _sync(srv, tmp_path, sid, _tables(a))  # nothing to write: a no-op sync stays one read
    assert srv.stats.writes == 0 and _register_protections(srv, sid) == []
    tables = _tables(a)
    tables["creators"] = pd.concat([tables["creators"], creators(1, prefix="new")], ignore_index=True)
    a = _sync(srv, tmp_path, sid, tables)  # writes: the register gets its warning with them
    assert [(p["warningOnly"], p["description"]) for p in _register_protections(srv, sid)] == [(True, PROTECTION_NOTE)]
    tables = _tables(a)
    tables["creators"] = pd.concat([tables["creators"], creators(1, prefix="newer")], ignore_index=True)
    _sync(srv, tmp_path, sid, tables)  # protected already: not protected twice
    assert len(_register_protections(srv, sid)) == 1
    assert Register.from_rows(srv.values(sid, REGISTER_TAB)).deleted.keys() == {key_hash("tiktok:c1")}


def test_a_register_tab_deleted_while_a_sync_writes_does_not_stop_the_sync(srv, tmp_path):
    sid = new_archive(srv)
    a = _sync(srv, tmp_path, sid, {"creators": creators(2)})
    _delete_in_sheet(srv, sid, "tiktok:c1")
    a = _sync(srv, tmp_path, sid, _tables(a))
    be = backend_for(srv, tmp_path, sid, fast_policy())
    book = srv.gspread_client().open_by_key(sid)
    register = next(ws for ws in book.worksheets(exclude_hidden=False) if ws.title == REGISTER_TAB)
    be.after_read = lambda: book.del_worksheet(register) if register.id in [w.id for w in book.worksheets(
        exclude_hidden=False)] else None  # a person deletes the hidden tab between the read and the writes
    local = pd.concat([a.local, creators(1, prefix="late")], ignore_index=True)
    srv.stats.reset()
    out = sync_table(local, a.base, a.conflicts, be)
    assert out.ok, out.log["message"]
    guards = [status for _, path, status in srv.stats.log if path.endswith(":getByDataFilter")]
    assert guards[:2] == [400, 200]  # the guard asked for the vanished tab, then read again without it
    assert "tiktok:late0" in sheet_rows(srv, sid)
    # the new creator's register event made the tab again, protected as a new one is
    assert [p["description"] for p in _register_protections(srv, sid)] == [PROTECTION_NOTE]
