"""The same refresh again syncs the archive without reading the hidden _sync_base sheet (the memo
certifies it), yet a change a team mate made in the archive between two identical refreshes is
pulled, and the workbook ends exactly as a full refresh with no memo leaves it."""
from __future__ import annotations

import datetime as dt
import shutil

from tests.test_refresh import NOW
from tests.test_refresh_memo import book, repeated, template  # noqa: F401 - fixtures
from sheets_sync.backend import CellWrite
from sheets_sync.sqlite_archive import SqliteArchive
from workbook_addin.core.schema import load_schema
from workbook_addin.jobs import refresh_base, refresh_memo
from workbook_addin.jobs.refresh import refresh_workbook, run_log_row
from workbook_addin.workbook import tables_io as wio

LATER = NOW + dt.timedelta(hours=1)


def reads_of(monkeypatch) -> list:
    """The table keys each workbook read asks for (None: every table)."""
    seen: list = []
    read = wio.WorkbookFile.read

    def recording(self, keys=None, **kwargs):
        seen.append(None if keys is None else frozenset(keys))
        return read(self, keys, **kwargs)

    monkeypatch.setattr(wio.WorkbookFile, "read", recording)
    return seen


def team_mate_edits(archive_path, key: str, notes: str, column: str = "notes") -> None:
    """What a team mate's sync does to the archive: one cell of one creator changed."""
    sheet = load_schema().sheet("creators")
    archive = SqliteArchive(archive_path, user="mate")
    try:
        with archive.session():
            remote = archive.read(sheet)
            archive.write_cells(sheet, remote, [CellWrite(key, column, notes, remote.rows[key].values[column])])
    finally:
        archive.close()


def test_a_repeat_reads_no_base_yet_pulls_a_team_mates_change_like_a_full_refresh(book, tmp_path, monkeypatch):
    first = refresh_workbook(book, now=NOW)
    assert first.sync_ok and first.sync["pushed"] > 0
    seen = reads_of(monkeypatch)
    quiet = refresh_workbook(book, now=LATER)
    assert repeated(quiet) and quiet.sync_ok and quiet.sync["pulled"] == 0
    assert seen and all(keys is not None and "sync_base" not in keys for keys in seen)
    key = str(wio.read_workbook(book).tables["creators"]["creator_key"].iloc[0])
    team_mate_edits(book.parent / "lianxing_archive.sqlite", key, "改了 changed by a team mate")
    control = tmp_path / "control"
    shutil.copytree(book.parent, control)  # the workbook, its archive and exports as they are now
    seen.clear()
    pulled = refresh_workbook(book, now=LATER + dt.timedelta(minutes=5))
    assert repeated(pulled) and pulled.sync_ok and pulled.sync["pulled"] == 1
    assert any(keys is not None and "sync_base" in keys for keys in seen)  # read once the merge had work
    after = wio.read_tables(book)
    assert after["creators"].set_index("creator_key").loc[key, "notes"] == "改了 changed by a team mate"
    base = after["sync_base"]
    assert base[(base["creator_key"] == key) & (base["column"] == "notes")]["value"].tolist() == [
        "改了 changed by a team mate"]
    # the same refresh with no memo at all, on the copy
    monkeypatch.setenv(refresh_memo.CACHE_ENV, str(tmp_path / "empty-cache"))
    full = refresh_workbook(control / book.name, now=LATER + dt.timedelta(minutes=5))
    assert not repeated(full) and full.summary() == pulled.summary()
    assert run_log_row(full, "ops") == run_log_row(pulled, "ops")
    assert wio.frames_equal_cells(after, wio.read_tables(control / book.name)) == []


def test_a_memo_whose_certificate_does_not_match_only_costs_reading_the_base(book, monkeypatch):
    refresh_workbook(book, now=NOW)
    memos = list(refresh_memo.cache_dir().glob("*.json"))
    assert len(memos) == 1
    text = memos[0].read_text(encoding="utf-8")
    facts = refresh_memo.recall(memos[0].stem)
    assert facts is not None and facts[refresh_base.MEMO_KEY]["digest"] in text
    memos[0].write_text(text.replace(facts[refresh_base.MEMO_KEY]["digest"], "0" * 64), encoding="utf-8")
    seen = reads_of(monkeypatch)
    before = wio.read_tables(book)
    report = refresh_workbook(book, now=LATER)
    assert repeated(report) and report.sync_ok and report.sync["pulled"] == report.sync["pushed"] == 0
    assert any(keys is not None and "sync_base" in keys for keys in seen)
    after = wio.read_tables(book)
    assert wio.frames_equal_cells({k: v for k, v in before.items() if k != "run_log"},
                                  {k: v for k, v in after.items() if k != "run_log"}) == []


def test_a_workbook_changed_while_a_repeat_syncs_is_neither_read_again_nor_written(book, monkeypatch):
    import os

    import pytest

    refresh_workbook(book, now=NOW)
    key = str(wio.read_workbook(book).tables["creators"]["creator_key"].iloc[0])
    team_mate_edits(book.parent / "lianxing_archive.sqlite", key, "a team mate's edit")  # the base must be read
    given = refresh_base.known_base

    def then_saved_in_excel(book_file, run, keys):
        out = given(book_file, run, keys)
        st = book.stat()
        os.utime(book, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # saved by someone meanwhile
        return out

    monkeypatch.setattr(refresh_base, "known_base", then_saved_in_excel)
    before = book.read_bytes()
    with pytest.raises(wio.WorkbookError, match="changed on disk"):
        refresh_workbook(book, now=LATER)
    assert book.read_bytes() == before
    archive = SqliteArchive(book.parent / "lianxing_archive.sqlite")
    try:  # the failed sync wrote nothing into the archive either
        assert archive.read(load_schema().sheet("creators")).rows[key].values["notes"] == "a team mate's edit"
    finally:
        archive.close()


def test_a_pulled_scoring_input_is_flagged_for_rescoring_and_a_pulled_note_is_not(book):
    """The sync runs after the scoring (it shares the scores), so followers pulled from the archive
    are scored only by the next refresh: this refresh must say so, and the next one rescores."""
    refresh_workbook(book, now=NOW)
    archive = book.parent / "lianxing_archive.sqlite"
    key = str(wio.read_workbook(book).tables["creators"]["creator_key"].iloc[0])

    def rescore_lines(report) -> list[str]:
        return [w for w in report.warnings if "refresh again to rescore" in w]

    team_mate_edits(archive, key, "只是备注 just a note")
    noted = refresh_workbook(book, now=LATER)
    assert noted.sync["pulled"] == 1 and rescore_lines(noted) == []
    score_before = wio.read_tables(book)["creators"].set_index("creator_key").loc[key, "score"]
    team_mate_edits(archive, key, "9000000", column="followers")
    pulled = refresh_workbook(book, now=LATER + dt.timedelta(minutes=5))
    assert pulled.sync["pulled"] == 1 and pulled.status == "warnings"
    assert [line.split("请再刷新一次")[0] for line in rescore_lines(pulled)] == ["档案库带来 1 位达人的评分数据更改（或新达人），本次评分在更改之前："]
    assert wio.read_tables(book)["creators"].set_index("creator_key").loc[key, "score"] == score_before
    again = refresh_workbook(book, now=LATER + dt.timedelta(minutes=10))
    assert rescore_lines(again) == []
    assert wio.read_tables(book)["creators"].set_index("creator_key").loc[key, "score"] != score_before
