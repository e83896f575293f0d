"""Faults from the Sheets API (429, 5xx, timeouts, dropped connections), also in the middle of a sync:
once they stop, the next syncs converge with nothing lost and nothing duplicated."""
from __future__ import annotations

import pandas as pd
import pytest

from sheets_sync.backend import SyncError
from sheets_sync.sync import sync_table
from tests.sync_support import (FakeSheetsServer, backend_for, canon, creators, fast_policy, new_archive,
                                     sheet_rows)


@pytest.fixture(scope="module")
def srv():
    with FakeSheetsServer() as server:
        server.faults.delay_seconds = 0.6
        yield server


@pytest.fixture(autouse=True)
def no_faults(srv):
    srv.faults.clear()
    yield
    srv.faults.clear()


def edit(frame: pd.DataFrame, key: str, col: str, value) -> pd.DataFrame:
    out = frame.copy()
    out.loc[out["creator_key"] == key, col] = value
    return out


@pytest.mark.parametrize("fault", ["429", "500", "503", "drop", "delay"])
def test_fault_on_the_write_itself_is_retried_without_duplicates(srv, tmp_path, fault):
    sid = new_archive(srv)
    policy = fast_policy()
    first = sync_table(creators(3), None, None, backend_for(srv, tmp_path, sid, policy))
    local = edit(first.local, "tiktok:c1", "notes", "after fault")
    local = pd.concat([local, creators(2, prefix="new")], ignore_index=True)
    be = backend_for(srv, tmp_path, sid, policy)
    be.http.set_timeout(0.3)
    # the fault hits the first request after the guard read: the cell write (delay: applied, answer lost)
    fired = []

    def hook():
        if not fired:
            fired.append(1)
            srv.faults.schedule([(fault, 1)])

    be.before_write = hook
    out = sync_table(local, first.base, first.conflicts, be)
    assert srv.faults.injected[-1] == fault and out.attempts == 2  # the whole attempt ran again
    assert policy.waits  # after a back-off
    rows = sheet_rows(srv, sid)  # asserts no duplicate keys
    assert set(rows) == {"tiktok:c0", "tiktok:c1", "tiktok:c2", "tiktok:new0", "tiktok:new1"}
    assert rows["tiktok:c1"]["notes"] == "after fault"
    again = sync_table(out.local, out.base, out.conflicts, backend_for(srv, tmp_path, sid))
    assert again.log["pushed"] == again.log["pulled"] == 0


@pytest.mark.parametrize("fault", ["drop", "delay", "500"])
def test_fault_on_the_append_of_new_rows_never_duplicates_them(srv, tmp_path, fault):
    sid = new_archive(srv)
    first = sync_table(creators(2), None, None, backend_for(srv, tmp_path, sid))
    be = backend_for(srv, tmp_path, sid)
    be.http.set_timeout(0.3)
    # A delayed request is applied when the delay ends, long after the client gave up. A write that
    # lands that late, after the next attempt already re-appended, is not covered by the sync (no
    # conditional writes in the Sheets API); the delay is kept well beyond this test's own checks.
    srv.faults.delay_seconds = 10
    fired = []

    def hook():
        if not fired:  # no cell changes: the next request after the guard read is the append
            fired.append(1)
            srv.faults.schedule([(fault, 1)])

    be.before_write = hook
    local = pd.concat([first.local, creators(3, prefix="fresh")], ignore_index=True)
    out = sync_table(local, first.base, first.conflicts, be)
    assert fired and out.attempts == 2
    rows = sheet_rows(srv, sid)
    assert sorted(rows) == ["tiktok:c0", "tiktok:c1", "tiktok:fresh0", "tiktok:fresh1", "tiktok:fresh2"]


def test_random_faults_during_many_syncs_then_convergence(srv, tmp_path):
    sid = new_archive(srv)
    start = sync_table(creators(8), None, None, backend_for(srv, tmp_path, sid))
    books = {"a": [start.local, start.base, start.conflicts], "b": [pd.DataFrame(dtype=object), None, None]}
    b0 = sync_table(books["b"][0], None, None, backend_for(srv, tmp_path, sid))
    books["b"] = [b0.local, b0.base, b0.conflicts]
    expected: dict[tuple[str, str], str] = {}
    srv.faults.random(rate=0.3, kinds=("429", "500", "503", "drop", "delay"), seed=7)
    failures = 0
    for step in range(12):
        name = "ab"[step % 2]
        local, base, conflicts = books[name]
        key = f"tiktok:c{step % 8}"
        col = "notes" if name == "a" else "owner"  # a and b own different columns: no conflicts expected
        value = f"{name}-{step}"
        local = edit(local, key, col, value)
        if step % 4 == 0:
            local = pd.concat([local, creators(1, prefix=f"{name}{step}x")], ignore_index=True)
        expected[(key, col)] = value
        be = backend_for(srv, tmp_path, sid, fast_policy(max_attempts=4))
        be.http.set_timeout(0.3)
        try:
            out = sync_table(local, base, conflicts, be, max_attempts=3)
            books[name] = [out.local, out.base, out.conflicts]
        except SyncError as error:
            failures += 1
            assert "Traceback" not in str(error) and sid in str(error)
            books[name] = [local, base, conflicts]  # the workbook keeps what was typed
    assert srv.faults.injected, "faults were injected"
    srv.faults.clear()
    for _ in range(2):
        for name in "ab":
            out = sync_table(*books[name], backend_for(srv, tmp_path, sid))
            books[name] = [out.local, out.base, out.conflicts]
    rows = sheet_rows(srv, sid)  # no duplicates (asserted inside)
    assert len(rows) == 8 + 3  # three creators were added (steps 0, 4, 8)
    for (key, col), value in expected.items():
        assert rows[key][col] == value, (key, col)
    for name in "ab":
        assert books[name][2].empty
        mine = canon(books[name][0])
        assert set(mine) == set(rows)
        for key, row in mine.items():
            assert row["notes"] == str(rows[key]["notes"]) and row["owner"] == str(rows[key]["owner"])
