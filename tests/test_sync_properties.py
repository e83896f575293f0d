"""Property tests of the whole sync: hundreds of cases on the local SQLite archive (in memory, fast),
and a smaller number against the fake Google Sheets API through real gspread.

Two workbooks share one archive. Workbook B (a team mate) and workbook A both edit cells, add creators,
and A removes some; then:
* every edit is either on both sides or recorded in Conflicts, and nothing typed in A is overwritten;
* a second sync changes nothing and writes nothing;
* once every conflict is resolved, both workbooks equal the archive.
"""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheets_sync.sqlite_archive import SqliteArchive
from sheets_sync.sync import local_rows, sync_table
from tests.sync_support import backend_for, new_archive
from workbook_addin.core.schema import load_schema

SCHEMA = load_schema()
SHEET = SCHEMA.sheet("creators")
COLS = ["followers", "notes", "owner", "status", "score"]
VALUES = st.sampled_from(["", "1", "2", "10", "=1+1", "@mia", "-3", "+86 1", "x", "y", "active", "paused"])
HANDLES = [f"c{i}" for i in range(6)]


class CountingArchive(SqliteArchive):
    """Counts the syncs that wrote anything."""

    commits = 0

    def commit(self, *args, **kwargs):
        self.commits += 1
        return super().commit(*args, **kwargs)


def canon(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    return local_rows(frame, SHEET, SCHEMA)[0]


def archive_rows(db) -> dict[str, dict[str, str]]:
    return {k: r.values for k, r in db.read(SHEET).rows.items()}


def set_cell(frame: pd.DataFrame, key: str, col: str, value: str) -> None:
    frame.loc[frame["creator_key"] == key, col] = value


edit = st.tuples(st.sampled_from(HANDLES), st.sampled_from(COLS), VALUES)
new_row = st.tuples(st.sampled_from(["n0", "n1", "n2"]), st.sampled_from(COLS), VALUES)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 6),
    local_edits=st.lists(edit, max_size=8),
    remote_edits=st.lists(edit, max_size=8),
    local_new=st.lists(new_row, max_size=2),
    remote_new=st.lists(new_row, max_size=2),
    removed=st.sets(st.sampled_from(HANDLES), max_size=2),
    choices=st.lists(st.sampled_from(["keep_local", "keep_remote", "custom"]), min_size=40, max_size=40),
)
def test_sync_converges_and_loses_nothing(n, local_edits, remote_edits, local_new, remote_new, removed, choices):
    db = CountingArchive(":memory:")
    check(db, lambda: db.commits, n, local_edits, remote_edits, local_new, remote_new, removed, choices)
    db.close()


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(2, 5),
    local_edits=st.lists(edit, max_size=6),
    remote_edits=st.lists(edit, max_size=6),
    local_new=st.lists(new_row, max_size=2),
    remote_new=st.lists(new_row, max_size=2),
    removed=st.sets(st.sampled_from(HANDLES), max_size=2),
    choices=st.lists(st.sampled_from(["keep_local", "keep_remote", "custom"]), min_size=40, max_size=40),
)
def test_sync_with_the_shared_sheet_converges(srv, key_dir, n, local_edits, remote_edits, local_new, remote_new,
                                              removed, choices):
    db = backend_for(srv, key_dir, new_archive(srv))
    check(db, lambda: srv.stats.writes, n, local_edits, remote_edits, local_new, remote_new, removed, choices)


def shared(row: dict[str, str], archived: dict[str, str]) -> dict[str, str]:
    """The cells of a workbook row the archive holds (personal columns are not shared by default)."""
    return {k: v for k, v in row.items() if k in archived}


def check(db, writes_so_far, n, local_edits, remote_edits, local_new, remote_new, removed, choices) -> None:
    start = pd.DataFrame([{"platform": "TikTok", "handle": h, "followers": i, "status": "active"}
                          for i, h in enumerate(HANDLES[:n])], dtype=object)
    a = sync_table(start, None, None, db, user="a")
    b = sync_table(pd.DataFrame(dtype=object), None, None, db, user="b")
    base = canon(a.local)
    keys = [f"tiktok:{h}" for h in HANDLES[:n]]

    # the team mate edits and adds, then syncs
    bl = b.local.astype(object).copy()
    remote_final: dict[tuple[str, str], str] = {}
    for h, col, v in remote_edits:
        if f"tiktok:{h}" in keys:
            set_cell(bl, f"tiktok:{h}", col, v)
            remote_final[(f"tiktok:{h}", col)] = v
    extra = [{"platform": "TikTok", "handle": h, col: v} for h, col, v in remote_new]
    bl = pd.concat([bl, pd.DataFrame(extra, dtype=object)], ignore_index=True) if extra else bl
    b = sync_table(bl, b.base, b.conflicts, db, user="b")

    # this workbook edits, adds and removes, then syncs
    al = a.local.astype(object).copy()
    local_final: dict[tuple[str, str], str] = {}
    for h, col, v in local_edits:
        if f"tiktok:{h}" in keys:
            set_cell(al, f"tiktok:{h}", col, v)
            local_final[(f"tiktok:{h}", col)] = v
    gone = {f"tiktok:{h}" for h in removed} & set(keys)
    al = al[~al["creator_key"].isin(gone)]
    extra = [{"platform": "TikTok", "handle": h, col: v} for h, col, v in local_new]
    al = pd.concat([al, pd.DataFrame(extra, dtype=object)], ignore_index=True) if extra else al
    a2 = sync_table(al, a.base, a.conflicts, db, user="a")

    local, remote = canon(a2.local), archive_rows(db)
    open_cells = {(c["creator_key"], c["column"]) for c in a2.conflicts.to_dict("records")}
    assert set(remote) >= set(local)  # every workbook creator is in the archive, once (primary key)
    for key, row in local.items():
        for col, value in shared(row, remote[key]).items():
            assert value == remote[key][col] or (key, col) in open_cells, (key, col)
    for (key, col), v in local_final.items():
        if key in gone or v == base[key][col]:
            continue
        assert local[key][col] == v  # what this person typed is never overwritten
    for (key, col), v in remote_final.items():
        if v == base[key][col]:
            continue
        assert remote[key][col] == v or (key, col) in open_cells or (key in gone and col == "status")
    for key in gone:
        assert remote[key]["status"] == "archived" or (key, "status") in open_cells
        assert key not in local or remote[key]["status"] != "archived"

    # a second sync has nothing to do and writes nothing
    writes = writes_so_far()
    a3 = sync_table(a2.local, a2.base, a2.conflicts, db, user="a")
    assert writes_so_far() == writes and a3.log["pushed"] == a3.log["pulled"] == 0
    assert canon(a3.local) == local and len(a3.conflicts) == len(a2.conflicts)

    # people decide every conflict; after the next syncs both workbooks equal the archive
    decided = a3.conflicts.copy()
    if len(decided):
        decided["resolution"] = choices[: len(decided)]
        decided["resolved_value"] = "decided"
    a4 = sync_table(a3.local, a3.base, decided, db, user="a")
    assert a4.conflicts.empty
    b2 = sync_table(b.local, b.base, b.conflicts, db, user="b")
    remote = archive_rows(db)
    for frame in (a4.local, b2.local):
        for key, row in canon(frame).items():
            assert shared(row, remote[key]) == remote[key], key
    assert set(canon(b2.local)) == set(remote)  # the team mate sees every creator, archived ones too
    for c in a3.conflicts.to_dict("records"):
        chosen = {"keep_local": c["local_value"], "keep_remote": c["remote_value"], "custom": "decided"}
        res = decided.set_index("conflict_id").loc[c["conflict_id"], "resolution"]
        assert remote[c["creator_key"]][c["column"]] == chosen[res]
