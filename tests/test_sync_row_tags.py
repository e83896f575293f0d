"""Rows that follow sorting: a sort landing between a sync's locating read and its write, while a
person edits the very cells, puts no edit on the wrong creator and loses none.

Two workbooks sync with one shared sheet. Right before each workbook's write reaches the server
(the fake's ``intercept`` hook, so the moment is exact, not a race the test hopes to hit), a
sorter reverses the rows with ``sortRange`` and a person, through real gspread, edits the column
the workbook is about to write in every row the workbook is *not* writing - the cells a write
addressed by row number would now hit. Before row tags the sync wrote by row number, noticed the
misplaced write and put back the values its guard read had seen: the person's edits were lost.
Writes addressed by the developer metadata on each creator's row land where the row went.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from sheets_sync.sync import sync_table
from tests.sync_support import (TAB, FakeSheetsServer, backend_for, canon, creators, new_archive, sheet_rows)

N = 12
PERSON = "person@team.example"
SORTER = "sorter@team.example"
WORKBOOK_WRITES = ("values:batchUpdate", "values:batchUpdateByDataFilter")


@pytest.fixture(scope="module")
def srv():
    with FakeSheetsServer() as server:
        yield server


class TeamMates:
    """The sorter and the person, each in their own browser (their own account and gspread client),
    striking once, right before the workbook's first cell write is answered."""

    def __init__(self, srv: FakeSheetsServer, sid: str) -> None:
        for email in (PERSON, SORTER):
            srv.share(sid, email, "writer")
        self.srv = srv
        self.sorter = srv.gspread_client(SORTER).open_by_key(sid).worksheet(TAB)
        self.person = srv.gspread_client(PERSON).open_by_key(sid).worksheet(TAB)
        self.lock = threading.Lock()
        self.plan: tuple[str, set[str], Callable[[str], Any], str] | None = None
        self.struck = 0
        srv.intercept = self.maybe_strike

    def arm(self, column: str, spared: set[str], value: Callable[[str], Any], direction: str) -> None:
        """Next workbook write: sort by key (``direction``), then set ``column`` of every creator not
        in ``spared`` to ``value(key)``."""
        self.plan = (column, spared, value, direction)

    def maybe_strike(self, method: str, path: str, account: str) -> None:
        if account in (PERSON, SORTER) or not path.endswith(WORKBOOK_WRITES):
            return
        with self.lock:
            if self.plan is None:
                return
            column, spared, value, direction = self.plan
            self.plan = None
            header = self.sorter.row_values(1)
            height = len(self.sorter.col_values(1))
            self.sorter.sort((header.index("达人键 Creator key") + 1, direction), range=f"A2:Z{height}")
            keys = self.person.col_values(header.index("达人键 Creator key") + 1)
            at = header.index(column) + 1
            edits = [{"range": self.person_cell(n + 1, at), "values": [[value(key)]]}
                     for n, key in enumerate(keys) if n and key not in spared]
            self.person.batch_update(edits, value_input_option="RAW")
            self.struck += 1

    @staticmethod
    def person_cell(row: int, col: int) -> str:
        from gspread.utils import rowcol_to_a1

        return rowcol_to_a1(row, col)


def keys(rng) -> set[str]:
    return {f"tiktok:c{i}" for i in rng}


def test_a_sort_and_a_persons_edits_between_read_and_write_lose_nothing(srv, tmp_path):
    sid = new_archive(srv)
    a = sync_table(creators(N), None, None, backend_for(srv, tmp_path, sid))
    b = sync_table(pd.DataFrame(dtype=object), None, None, backend_for(srv, tmp_path, sid))
    mates = TeamMates(srv, sid)
    try:
        mine_a, mine_b = keys(range(0, N // 2)), keys(range(N // 2, N))
        local_a = a.local.copy()
        local_a["notes"] = [f"A wrote {k}" if k in mine_a else n
                            for k, n in zip(local_a["creator_key"], local_a["notes"])]
        mates.arm("备注 Notes", mine_a, lambda key: f"person's note for {key}", "des")
        a = sync_table(local_a, a.base, a.conflicts, backend_for(srv, tmp_path, sid))
        assert mates.struck == 1

        local_b = b.local.copy()
        local_b["followers"] = [5000 + order(k) if k in mine_b else f
                                for k, f in zip(local_b["creator_key"], local_b["followers"])]
        mates.arm("粉丝数 Followers", mine_b, lambda key: 7000 + order(key), "asc")
        b = sync_table(local_b, b.base, b.conflicts, backend_for(srv, tmp_path, sid))
        assert mates.struck == 2
    finally:
        srv.intercept = None

    for _ in range(2):  # settle: each workbook syncs once more, in turn, with nobody striking
        a = sync_table(a.local, a.base, a.conflicts, backend_for(srv, tmp_path, sid))
        b = sync_table(b.local, b.base, b.conflicts, backend_for(srv, tmp_path, sid))

    rows = sheet_rows(srv, sid)  # raises on a duplicated creator
    assert set(rows) == keys(range(N))
    wrong = []
    for key, row in sorted(rows.items(), key=lambda kv: order(kv[0])):
        want = {"handle": key.split(":")[1]}
        if key in mine_a:  # A's note on its row; the person's followers edit kept
            want.update(notes=f"A wrote {key}", followers=7000 + order(key))
        else:  # the person's note kept; B's followers on its row
            want.update(notes=f"person's note for {key}", followers=5000 + order(key))
        wrong += [f"{key} {col}: {row[col]!r}, want {value!r}" for col, value in want.items() if row[col] != value]
    assert not wrong, "\n".join(wrong)
    for book in (a, b):
        assert book.conflicts.empty, book.conflicts
        mine = canon(book.local)
        assert {k: v["notes"] for k, v in mine.items()} == {k: str(r["notes"]) for k, r in rows.items()}


def order(key: str) -> int:
    return int(key.rsplit("c", 1)[1])
