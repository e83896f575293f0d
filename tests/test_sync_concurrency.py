"""Three workbooks sync in parallel with one shared sheet while a fourth client sorts it and inserts
rows between their reads and their writes: no write may land on the wrong creator.

The fourth client strikes right after a workbook's main read, with nothing holding it back while
other workbooks are between their guard read and their write: every write is addressed to the
row tag of its creator (developer metadata, which moves with the row), so a sort anywhere in a
sync is harmless. The second test pins a sort landing exactly between one workbook's guard read
and its write; tests/test_sync_row_tags.py adds a person editing the very cells at that moment."""
from __future__ import annotations

import random
import threading

import pandas as pd

from sheets_sync.sync import sync_table
from tests.sync_support import (run_threads, TAB, backend_for, canon, creators, fast_policy, new_archive,
                                     sheet_rows)

N = 24
ROUNDS = 3
SORT_BY = ["达人键 Creator key", "账号 Handle", "粉丝数 Followers", "备注 Notes"]


class Shuffler:
    """The fourth client: sorts the shared tab by a random column and inserts browser-typed rows."""

    def __init__(self, srv, sid: str, seed: int) -> None:
        self.ws = srv.gspread_client().open_by_key(sid).worksheet(TAB)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.inserted: list[str] = []
        self.sorts = 0

    def once(self) -> None:
        with self.lock:  # one gspread session per shuffler; calls from several threads take turns
            n = len(self.ws.col_values(1))
            header = self.ws.row_values(1)
            col = header.index(self.rng.choice(SORT_BY)) + 1
            self.ws.sort((col, self.rng.choice(["asc", "des"])), range=f"A2:Z{max(n, 2)}")
            self.sorts += 1
            if self.rng.random() < 0.3:
                handle = f"browser{len(self.inserted)}"
                self.ws.insert_row(["", "YouTube", f"@{handle}"], index=self.rng.randint(2, max(n, 2)),
                                   value_input_option="RAW")
                self.inserted.append(f"youtube:{handle}")


def owner_values(w: int, rnd: int, i: int) -> tuple[str, int]:
    return f"tiktok:c{i}|w{w}|r{rnd}", 10_000 * (w + 1) + 100 * rnd + i


def test_parallel_workbooks_and_a_sorting_team_mate(srv, tmp_path):
    sid = new_archive(srv)
    seed = sync_table(creators(N), None, None, backend_for(srv, tmp_path, sid))
    books = []
    for w in range(3):
        out = seed if w == 0 else sync_table(pd.DataFrame(dtype=object), None, None, backend_for(srv, tmp_path, sid))
        books.append([out.local, out.base, out.conflicts])
    shuffler = Shuffler(srv, sid, seed=3)

    def workbook(w: int):
        for rnd in range(ROUNDS):
            local, base, conflicts = books[w]
            local = local.copy()
            for i in range(w, N, 3):  # each workbook owns every third creator
                note, followers = owner_values(w, rnd, i)
                mask = local["creator_key"] == f"tiktok:c{i}"
                local.loc[mask, "notes"] = note
                local.loc[mask, "followers"] = followers
            local = pd.concat([local, creators(1, prefix=f"w{w}r{rnd}x")], ignore_index=True)
            be = backend_for(srv, tmp_path, sid, fast_policy(max_attempts=8))
            struck: list[int] = []
            # the team mate sorts (and sometimes inserts a row) after this workbook has read the sheet
            be.after_read = lambda struck=struck: None if struck else (struck.append(1), shuffler.once())
            out = sync_table(local, base, conflicts, be, max_attempts=8)
            books[w] = [out.local, out.base, out.conflicts]

    errors = run_threads(workbook, 3)
    assert not errors, errors
    assert shuffler.sorts == 3 * ROUNDS

    for _ in range(2):  # settle: everyone syncs once more, in turn
        for w in range(3):
            out = sync_table(*books[w], backend_for(srv, tmp_path, sid))
            books[w] = [out.local, out.base, out.conflicts]

    rows = sheet_rows(srv, sid)  # raises on a duplicated creator
    for i in range(N):
        key, w = f"tiktok:c{i}", i % 3
        note, followers = owner_values(w, ROUNDS - 1, i)
        assert rows[key]["notes"] == note, f"{key} carries someone else's note"
        assert rows[key]["followers"] == followers
        assert rows[key]["handle"] == f"c{i}"
    for w in range(3):
        for rnd in range(ROUNDS):
            assert f"tiktok:w{w}r{rnd}x0" in rows
    assert set(shuffler.inserted) <= set(rows)  # browser rows got their key written back, in their own row
    for key in shuffler.inserted:
        assert rows[key]["handle"] == "@" + key.split(":")[1]
    for w in range(3):
        assert books[w][2].empty, books[w][2]
        mine = canon(books[w][0])
        assert set(mine) == set(rows)
        for key, row in mine.items():
            assert row["notes"] == str(rows[key].get("notes", "")), key


def test_a_sort_between_guard_read_and_write_moves_the_write_with_the_rows(srv, tmp_path):
    sid = new_archive(srv)
    first = sync_table(creators(N), None, None, backend_for(srv, tmp_path, sid))
    shuffler = Shuffler(srv, sid, seed=11)
    local = first.local.copy()
    for i in range(0, N, 2):
        local.loc[local["creator_key"] == f"tiktok:c{i}", "notes"] = f"tiktok:c{i}|new"
    be = backend_for(srv, tmp_path, sid)
    struck: list[int] = []
    be.before_write = lambda: None if struck else (struck.append(1), shuffler.once())
    out = sync_table(local, first.base, first.conflicts, be)
    assert struck and out.attempts == 1  # nothing to repair, nothing to redo: the writes followed the rows
    rows = sheet_rows(srv, sid)
    for i in range(N):
        want = f"tiktok:c{i}|new" if i % 2 == 0 else f"note {i}"
        assert rows[f"tiktok:c{i}"]["notes"] == want and rows[f"tiktok:c{i}"]["handle"] == f"c{i}"
        assert rows[f"tiktok:c{i}"]["followers"] == 1000 + i
