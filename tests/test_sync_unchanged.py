"""Creators the same in the workbook, the archive and the base are set aside before the merge
(the speed of a no-op sync); anything that would change when merged must not be."""
from __future__ import annotations

import pandas as pd
from tests.sync_support import (SCHEMA, SHEET, backend_for, creators, new_archive, settings_for,
                                fast_policy)

from sheets_sync.backend import RemoteRow
from sheets_sync.merge import TOMBSTONE
from sheets_sync.rows import base_rows, local_rows, unchanged_keys
from sheets_sync.sync import sync_table, sync_workbook_tables

COLS = [c.key for c in SHEET.synced_columns if c.key in ("handle", "notes", "status")]  # in the schema's order


def _base(rows: dict[str, dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame([("creators", k, c, v, "") for k, row in rows.items() for c, v in row.items()],
                        columns=["sheet", "creator_key", "column", "value", "synced_at"], dtype=object)


def _local(rows: dict[str, dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"creator_key": k, "platform": "TikTok", **row} for k, row in rows.items()], dtype=object)


def test_only_rows_equal_on_all_three_sides_with_the_base_row_as_merged_are_set_aside():
    row = dict(zip(COLS, ["a", "n", "active"] if COLS == ["handle", "status", "notes"] else ["?"] * 3))
    assert COLS == ["handle", "status", "notes"]
    keys = ["same", "local_edit", "remote_edit", "base_differs", "extra_base_col", "spare_base_col", "tombstone",
            "needs_key", "excluded", "not_in_archive", "not_in_base", "base_reordered"]
    local = {k: dict(row) for k in keys}
    local["local_edit"]["notes"] = "mine"
    base = {k: dict(row) for k in keys if k != "not_in_base"}
    base["base_differs"]["notes"] = "old"
    base["extra_base_col"]["owner"] = "lin"
    base["spare_base_col"]["email"] = "x@example.com"
    base["tombstone"] = {TOMBSTONE: "2026-01-01"}
    base["base_reordered"] = dict(reversed(row.items()))  # the sync writes base rows in merge order
    remote = {k: RemoteRow(k, dict(row), needs_key=(k == "needs_key")) for k in keys if k != "not_in_archive"}
    remote["remote_edit"].values["notes"] = "theirs"
    mine, _, _, problems = local_rows(_local(local), SHEET, SCHEMA)
    assert not problems
    same = unchanged_keys(COLS, mine, base_rows(_base(base), "creators"), remote, exclude={"excluded"},
                          spare=["email"])
    assert same == {"same", "spare_base_col"}


def test_a_base_not_written_in_runs_is_read_cell_by_cell_with_later_rows_winning():
    frame = _base({"a": {"notes": "1"}, "b": {"notes": "2"}})
    late = _base({"a": {"notes": "3", "handle": "x"}})
    rows = base_rows(pd.concat([frame, late], ignore_index=True), "creators")
    assert dict(rows) == {"a": {"notes": "3", "handle": "x"}, "b": {"notes": "2"}}
    assert rows.picked(["notes", "handle"]) == {"a": ("3", "x")}


def test_a_no_op_sync_sets_every_creator_aside_and_keeps_the_base_frame(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(30), None, None, be)
    again = sync_table(first.local, first.base, first.conflicts, be)
    assert again.merge is not None and len(again.merge.unchanged) == 30 and again.merge.base == {}
    assert again.base is first.base and again.log["pushed"] == again.log["pulled"] == 0


def test_one_changed_creator_is_merged_and_only_its_base_rows_are_rewritten(srv, tmp_path):
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(30), None, None, be, now="2026-01-01 00:00:00")
    local = first.local.copy()
    local.loc[local["creator_key"] == "tiktok:c7", "notes"] = "changed"
    out = sync_table(local, first.base, first.conflicts, be, now="2026-01-02 00:00:00")
    assert out.merge is not None and set(out.merge.base) == {"tiktok:c7"} and len(out.merge.unchanged) == 29
    assert out.log["pushed"] == 1
    fresh = out.base[out.base["synced_at"] == "2026-01-02 00:00:00"]
    assert fresh[["creator_key", "column", "value"]].values.tolist() == [["tiktok:c7", "notes", "changed"]]
    old = first.base.set_index(["creator_key", "column"])["value"].to_dict()
    new = out.base.set_index(["creator_key", "column"])["value"].to_dict()
    assert len(new) == len(old) and new == {**old, ("tiktok:c7", "notes"): "changed"}


def test_a_base_holding_a_column_no_longer_shared_keeps_it_and_still_takes_the_fast_way(srv, tmp_path):
    sid = new_archive(srv)
    people = creators(5)
    people["email"] = [f"c{i}@example.com" for i in range(5)]
    shared = {**settings_for(srv, tmp_path, sid), "sync_personal_columns": "display_name, email"}
    first = sync_workbook_tables({"creators": people}, shared, policy=fast_policy())
    assert first.ok and (first.base["column"] == "email").sum() == 5
    tables = {"creators": first.local, "sync_base": first.base, "conflicts": first.conflicts}
    private = sync_workbook_tables(tables, settings_for(srv, tmp_path, sid), policy=fast_policy())
    assert private.ok and private.merge is not None and len(private.merge.unchanged) == 5
    assert private.base is first.base


def test_a_day_that_changes_most_creators_keeps_each_base_cell_in_its_row(srv, tmp_path):
    # the workbook writes the base by position: rebuilt creators keep their rows, so a sync that
    # changes one cell of most creators rewrites those cells (and their synced_at), not every row
    sid = new_archive(srv)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(creators(30), None, None, be, now="2026-01-01 00:00:00")
    local = first.local.copy()
    moved = local.index % 3 != 0  # two creators in three
    local.loc[moved, "notes"] = [f"day two {i}" for i in range(int(moved.sum()))]
    out = sync_table(local, first.base, first.conflicts, be, now="2026-01-02 00:00:00")
    assert out.merge is not None and len(out.merge.base) == 20 and out.log["pushed"] == 20
    before, after = first.base.reset_index(drop=True), out.base.reset_index(drop=True)
    assert len(after) == len(before)
    assert before[["sheet", "creator_key", "column"]].equals(after[["sheet", "creator_key", "column"]])
    changed = before["value"] != after["value"]
    assert changed.sum() == 20 and (after.loc[changed, "column"] == "notes").all()
    assert (after.loc[changed, "synced_at"] == "2026-01-02 00:00:00").all()
    assert (after.loc[~changed, "synced_at"] == "2026-01-01 00:00:00").all()  # the same cell keeps its time
