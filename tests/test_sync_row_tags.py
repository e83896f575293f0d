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

from sheets_sync.sync import sync_table
from tests.sync_support import (TAB, FakeSheetsServer, backend_for, canon, creators, new_archive, sheet_rows)

N = 12
PERSON = "person@team.example"
SORTER = "sorter@team.example"
WORKBOOK_WRITES = ("values:batchUpdate", "values:batchUpdateByDataFilter")


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


# ------------------------------------------------------------------ how tags are made and trusted

def tags_on_rows(srv, sid: str) -> dict[str, str]:
    """Row tag value -> the creator key in the row the tag sits on now (read from the fake's model)."""
    book = srv.spreadsheet(sid)
    values = srv.values(sid, TAB)
    out = {}
    for md in book.developer_metadata:
        if md["metadataKey"] == "lianxing.row":
            row = md["location"]["dimensionRange"]["startIndex"]
            out[md["metadataValue"]] = values[row][0] if row < len(values) else None
    return out


def untag_everything(srv, sid: str) -> None:
    """An archive written by a version before row tags (or whose tags someone removed)."""
    book = srv.gspread_client().open_by_key(sid)
    book.batch_update({"requests": [{"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
        "metadataKey": "lianxing.row"}}}}]})
    assert tags_on_rows(srv, sid) == {}


def with_notes(frame: pd.DataFrame, which: set[str], text: str) -> pd.DataFrame:
    out = frame.copy()
    out["notes"] = [f"{text} {k}" if k in which else n for k, n in zip(out["creator_key"], out["notes"])]
    return out


def test_every_row_the_sync_adds_is_tagged_on_its_own_row(srv, tmp_path):
    sid = new_archive(srv)
    sync_table(creators(N), None, None, backend_for(srv, tmp_path, sid))
    tags = tags_on_rows(srv, sid)
    assert tags == {k: k for k in keys(range(N))}


def test_rows_without_tags_are_tagged_where_they_are_and_written(srv, tmp_path):
    sid = new_archive(srv)
    first = sync_table(creators(N), None, None, backend_for(srv, tmp_path, sid))
    untag_everything(srv, sid)
    srv.stats.reset()
    out = sync_table(with_notes(first.local, keys(range(3)), "tagged now"), first.base, first.conflicts,
                     backend_for(srv, tmp_path, sid))
    assert out.attempts == 1
    rows = sheet_rows(srv, sid)
    assert [rows[f"tiktok:c{i}"]["notes"] for i in range(4)] == [
        "tagged now tiktok:c0", "tagged now tiktok:c1", "tagged now tiktok:c2", "note 3"]
    assert tags_on_rows(srv, sid) == {k: k for k in keys(range(3))}  # only the rows written, each on its own
    kinds = [p.rsplit("/", 1)[-1].split(":")[-1] for _, p, _ in srv.stats.log]
    assert kinds.count("batchUpdate") == 1 and kinds.count("getByDataFilter") == 2  # tag, read back, then write


def test_a_sort_between_the_read_and_the_tagging_never_misplaces_a_write(srv, tmp_path):
    sid = new_archive(srv)
    first = sync_table(creators(N), None, None, backend_for(srv, tmp_path, sid))
    untag_everything(srv, sid)
    sorter = srv.gspread_client().open_by_key(sid).worksheet(TAB)
    be = backend_for(srv, tmp_path, sid)
    struck: list[int] = []
    # after the main read: the rows the sync saw are elsewhere when it tags them by position
    be.after_read = lambda: None if struck else (struck.append(1), sorter.sort((1, "des"), range=f"A2:Z{N + 1}"))
    out = sync_table(with_notes(first.local, keys(range(N)), "mine"), first.base, first.conflicts, be)
    assert struck and out.attempts == 2  # misplaced tags found on read-back, removed, made again
    rows = sheet_rows(srv, sid)
    assert all(rows[k]["notes"] == f"mine {k}" and rows[k]["handle"] == k.split(":")[1] for k in keys(range(N)))
    assert tags_on_rows(srv, sid) == {k: k for k in keys(range(N))}


def test_a_tag_on_a_row_that_now_holds_another_creator_is_not_trusted(srv, tmp_path):
    sid = new_archive(srv)
    first = sync_table(creators(N), None, None, backend_for(srv, tmp_path, sid))
    # a person cut and pasted the cells of rows 2 and 3 over each other: the tags stayed with the rows
    srv.share(sid, PERSON)
    ws = srv.gspread_client(PERSON).open_by_key(sid).worksheet(TAB)
    top, second = ws.row_values(2), ws.row_values(3)
    ws.update([second, top], "A2", raw=True)
    assert tags_on_rows(srv, sid)["tiktok:c0"] == "tiktok:c1"
    out = sync_table(with_notes(first.local, {"tiktok:c0"}, "only c0"), first.base, first.conflicts,
                     backend_for(srv, tmp_path, sid))
    rows = sheet_rows(srv, sid)
    assert rows["tiktok:c0"]["notes"] == "only c0 tiktok:c0" and rows["tiktok:c1"]["notes"] == "note 1"
    assert tags_on_rows(srv, sid)["tiktok:c0"] == "tiktok:c0" and out.attempts == 1


def test_many_new_rows_go_in_several_atomic_batches_each_row_tagged(srv, tmp_path):
    sid = new_archive(srv)
    sync_table(creators(2), None, None, backend_for(srv, tmp_path, sid))
    be = backend_for(srv, tmp_path, sid, chunk_bytes=1500)  # a 20 000-creator first sync is ~30 MB
    srv.stats.reset()
    first = sync_table(creators(N), None, None, be)
    batches = [p for m, p, _ in srv.stats.log if p.endswith(":batchUpdate")]
    assert len(batches) > 2 and len(first.merge.remote_rows) == N - 2
    rows = sheet_rows(srv, sid)
    assert set(rows) == keys(range(N)) and all(rows[k]["handle"] == k.split(":")[1] for k in rows)
    assert tags_on_rows(srv, sid) == {k: k for k in keys(range(N))}


def test_rows_moved_inserted_and_deleted_between_read_and_write(srv, tmp_path):
    sid = new_archive(srv)
    first = sync_table(creators(N), None, None, backend_for(srv, tmp_path, sid))
    srv.share(sid, SORTER)
    book = srv.gspread_client(SORTER).open_by_key(sid)
    ws = book.worksheet(TAB)
    struck: list[int] = []

    def strike(method: str, path: str, account: str) -> None:
        if account == SORTER or struck or not path.endswith(WORKBOOK_WRITES):
            return
        struck.append(1)
        gone = ws.col_values(1).index("tiktok:c3") + 1
        ws.delete_rows(gone)  # an erasure request, right now
        ws.insert_rows([["", "YouTube", "@typed"]], row=2, value_input_option="RAW")
        book.batch_update({"requests": [{"moveDimension": {"source": {  # drag rows 3-5 to the bottom
            "sheetId": ws.id, "dimension": "ROWS", "startIndex": 2, "endIndex": 5}, "destinationIndex": N + 1}}]})

    srv.intercept = strike
    try:
        out = sync_table(with_notes(first.local, keys(range(N)), "mine"), first.base, first.conflicts,
                         backend_for(srv, tmp_path, sid))
    finally:
        srv.intercept = None
    assert struck and out.attempts == 2  # c3's row was gone when the write came: the next attempt saw why
    rows = sheet_rows(srv, sid)
    assert "tiktok:c3" not in rows and "tiktok:c3" in out.merge.deleted  # not put back, and the workbook is told
    for key in keys(range(N)) - {"tiktok:c3"}:
        assert rows[key]["notes"] == f"mine {key}" and rows[key]["handle"] == key.split(":")[1]
    assert rows["youtube:typed"]["handle"] == "@typed" and rows["youtube:typed"].get("notes", "") == ""
