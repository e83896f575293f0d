"""The three-way merge rules, cell by cell and row by row (no I/O)."""
from __future__ import annotations

from sheets_sync.backend import CellWrite, RemoteRow
from sheets_sync.merge import TOMBSTONE, Conflict, conflict_id, three_way

COLS = ["followers", "notes", "status"]
NOW = "2026-11-25 10:00:00"


def row(**kw: str) -> dict[str, str]:
    return {c: kw.get(c, "") for c in COLS}


def remote(**rows: dict[str, str]) -> dict[str, RemoteRow]:
    return {k.replace("_", ":"): RemoteRow(k.replace("_", ":"), v, by="lin") for k, v in rows.items()}


def merge(local, base, rem, conflicts=None, now=NOW):
    return three_way("creators", COLS, local, base, rem, conflicts or {}, now)


def test_local_only_change_is_pushed_and_remote_only_change_is_pulled():
    base = {"tiktok:a": row(followers="100", notes="x")}
    local = {"tiktok:a": row(followers="200", notes="x")}
    rem = remote(tiktok_a=row(followers="100", notes="y"))
    out = merge(local, base, rem)
    assert out.remote_cells == [CellWrite("tiktok:a", "followers", "200", "100")]
    assert out.local_cells == {"tiktok:a": {"notes": "y"}}
    assert out.base["tiktok:a"] == row(followers="200", notes="y")
    assert out.conflicts == []


def test_same_cell_changed_to_different_values_is_a_conflict_and_touches_neither_side():
    base = {"tiktok:a": row(followers="100")}
    out = merge({"tiktok:a": row(followers="200")}, base, remote(tiktok_a=row(followers="300")))
    assert out.remote_cells == [] and out.local_cells == {}
    [c] = out.conflicts
    assert (c.creator_key, c.column, c.base_value, c.local_value, c.remote_value, c.remote_by) == (
        "tiktok:a", "followers", "100", "200", "300", "lin")
    assert out.base["tiktok:a"]["followers"] == "100"  # base kept until a person decides


def test_both_sides_changed_to_the_same_value_is_not_a_conflict():
    base = {"tiktok:a": row(followers="100")}
    out = merge({"tiktok:a": row(followers="200")}, base, remote(tiktok_a=row(followers="200")))
    assert not out.conflicts and not out.remote_cells and not out.local_cells
    assert out.base["tiktok:a"]["followers"] == "200"


def test_resolutions_apply_to_both_sides_and_close_the_conflict():
    base = {"tiktok:a": row(followers="100", notes="n")}
    local = {"tiktok:a": row(followers="200", notes="l")}
    rem = remote(tiktok_a=row(followers="300", notes="r"))
    first = merge(local, base, rem)
    assert {c.column for c in first.conflicts} == {"followers", "notes"}
    decided = {(c.creator_key, c.column): c for c in first.conflicts}
    decided[("tiktok:a", "followers")] = Conflict(**{**decided[("tiktok:a", "followers")].__dict__, "resolution": "keep_remote"})
    decided[("tiktok:a", "notes")] = Conflict(**{**decided[("tiktok:a", "notes")].__dict__, "resolution": "custom",
                                                  "resolved_value": "both"})
    out = merge(local, first.base, rem, decided)
    assert out.conflicts == []
    assert out.local_cells == {"tiktok:a": {"followers": "300", "notes": "both"}}
    assert out.remote_cells == [CellWrite("tiktok:a", "notes", "both", "r")]
    assert set(out.resolved) == {conflict_id("creators", "tiktok:a", "followers"), conflict_id("creators", "tiktok:a", "notes")}


def test_resolution_is_asked_again_when_the_archive_changed_after_the_decision():
    base = {"tiktok:a": row(followers="100")}
    c = Conflict(conflict_id("creators", "tiktok:a", "followers"), NOW, "creators", "tiktok:a", "followers",
                 "100", "200", "300", resolution="keep_local")
    out = merge({"tiktok:a": row(followers="200")}, base, remote(tiktok_a=row(followers="400")), {("tiktok:a", "followers"): c})
    assert not out.remote_cells
    [again] = out.conflicts
    assert (again.local_value, again.remote_value, again.resolution) == ("200", "400", "")


def test_new_rows_travel_both_ways():
    out = merge({"tiktok:new": row(notes="mine")}, {}, remote(youtube_theirs=row(notes="theirs")))
    assert out.remote_rows == [{"creator_key": "tiktok:new", **row(notes="mine")}]
    assert out.local_rows == {"youtube:theirs": row(notes="theirs")}


def test_row_removed_from_workbook_is_archived_not_deleted():
    base = {"tiktok:a": row(status="active", notes="n")}
    out = merge({}, base, remote(tiktok_a=row(status="active", notes="n2")))
    assert out.remote_cells == [CellWrite("tiktok:a", "status", "archived", "active")]
    assert out.archived == ["tiktok:a"] and out.local_rows == {}
    assert out.base["tiktok:a"] == row(status="archived", notes="n2")
    # next sync: nothing more to do, the row stays out of the workbook
    again = merge({}, out.base, remote(tiktok_a=row(status="archived", notes="n2")))
    assert not again.remote_cells and not again.local_rows and not again.conflicts


def test_archived_creator_revived_in_the_shared_sheet_comes_back():
    base = {"tiktok:a": row(status="archived")}
    out = merge({}, base, remote(tiktok_a=row(status="active")))
    assert out.local_rows == {"tiktok:a": row(status="active")}


def test_row_deleted_from_the_shared_sheet_stays_deleted_with_a_tombstone():
    base = {"tiktok:a": row(notes="n")}
    out = merge({"tiktok:a": row(notes="n")}, base, {}, now="2026-11-27 10:00")
    assert out.remote_rows == [] and out.deleted == ["tiktok:a"]
    assert out.base == {"tiktok:a": {TOMBSTONE: "2026-11-27 10:00"}}
    again = merge({"tiktok:a": row(notes="edited later")}, out.base, {}, now="2026-11-28 10:00")
    assert again.remote_rows == [] and again.deleted == [] and again.base == out.base  # told once
    back = merge({"tiktok:a": row(notes="n")}, out.base, remote(tiktok_a=row(notes="n")))
    assert back.base["tiktok:a"]["notes"] == "n" and not back.remote_cells and not back.conflicts


def test_browser_row_without_key_gets_its_key_written_back():
    rem = {"tiktok:mia": RemoteRow("tiktok:mia", row(notes="typed"), row=7, needs_key=True)}
    out = merge({}, {}, rem)
    assert CellWrite("tiktok:mia", "creator_key", "tiktok:mia", "") in out.remote_cells
    assert out.local_rows == {"tiktok:mia": row(notes="typed")}
