"""A sync given a certified base instead of the base (sheets_sync.known_base): it reads the archive as
always, reads no base when every creator is the same everywhere, and otherwise reads the real base
before merging, so every outcome equals that of a sync given the real base."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from tests.sync_support import creators

from sheets_sync.known_base import KnownBase, certificate, claimed_rows
from sheets_sync.rows import local_rows
from sheets_sync.sqlite_archive import SqliteArchive
from sheets_sync.sync import sync_table
from workbook_addin.core.schema import load_schema

SCHEMA = load_schema()
SHEET = SCHEMA.sheet("creators")
T1, T2 = "2026-11-01 09:00:00", "2026-11-02 09:00:00"


def sync(path: Path, local, base, conflicts, now: str, user: str = "me"):
    archive = SqliteArchive(path, user=user)
    try:
        return sync_table(local, base, conflicts, archive, now=now, user=user)
    finally:
        archive.close()


def known(base: pd.DataFrame, loads: list[int]) -> KnownBase:
    def load() -> pd.DataFrame:
        loads.append(1)
        return base

    cert = certificate(base, "creators")
    assert cert is not None
    return KnownBase(cert, load)


@pytest.fixture
def synced(tmp_path):
    """A workbook of 30 creators synced once into a fresh archive: (archive path, first result)."""
    path = tmp_path / "archive.sqlite"
    return path, sync(path, creators(30), None, None, T1)


def test_the_certificate_is_the_workbooks_rows_after_a_sync_and_nothing_else(synced):
    _path, first = synced
    cert = certificate(first.base, "creators")
    mine = local_rows(first.local, SHEET, SCHEMA)[0]
    assert cert is not None and cert["creators"] == 30
    assert claimed_rows(cert, mine, "creators") is not None
    for change in ({"value": "edited"}, {"column": "email"}):  # one base cell, or its column, differs
        # (a creator whose cells are in other columns than the rest's: no certificate at all)
        base = first.base.copy()
        base.loc[base.index[3], list(change)] = list(change.values())
        assert (certificate(base, "creators") or {}).get("digest") != cert["digest"]
    cut = 2 * len(cert["columns"])  # the first two creators' runs moved to the end
    moved = pd.concat([first.base.iloc[cut:], first.base.iloc[:cut]], ignore_index=True)
    assert certificate(moved, "creators") == cert
    local = first.local.copy()
    local.loc[local.index[5], "followers"] = 7
    assert claimed_rows(cert, local_rows(local, SHEET, SCHEMA)[0], "creators") is None


def test_a_sync_with_nothing_to_do_never_reads_a_certified_base(synced, tmp_path):
    path, first = synced
    control = shutil.copy(path, tmp_path / "control.sqlite")
    loads: list[int] = []
    quiet = sync(path, first.local, known(first.base, loads), first.conflicts, T2)
    real = sync(Path(control), first.local, first.base, first.conflicts, T2)
    assert loads == [] and isinstance(quiet.base, KnownBase)
    assert quiet.merge is not None and len(quiet.merge.unchanged) == 30
    assert quiet.log == real.log and quiet.patches == real.patches == []


def _team_mate_edits(path: Path) -> None:
    """Another workbook pulls the archive, edits one creator, adds another and syncs."""
    mate = sync(path, pd.DataFrame(), None, None, T1, user="mate")
    local = mate.local.copy()
    local.loc[local["creator_key"] == "tiktok:c7", "notes"] = "from a team mate"
    extra = creators(1, prefix="new")
    sync(path, pd.concat([local, extra], ignore_index=True), mate.base, mate.conflicts, T1, user="mate")


@pytest.mark.parametrize("change", ["team mate", "local edit", "other base"])
def test_any_change_reads_the_real_base_and_syncs_exactly_as_with_it(synced, tmp_path, change):
    path, first = synced
    local, base = first.local.copy(), first.base
    if change == "team mate":
        _team_mate_edits(path)
    elif change == "local edit":
        local.loc[local.index[2], "followers"] = 9999
    cert_of = base
    if change == "other base":  # a certificate that is not this base's: the real base is read at once
        cert_of = base.copy()
        cert_of.loc[cert_of.index[0], "value"] = "not what the workbook holds"
    control = shutil.copy(path, tmp_path / "control.sqlite")
    loads: list[int] = []
    stand_in = known(cert_of, loads)
    given = KnownBase(stand_in.certificate, lambda: loads.append(1) or base)
    out = sync(path, local, given, first.conflicts, T2)
    real = sync(Path(control), local, base, first.conflicts, T2)
    assert loads == [1]
    assert out.log == real.log and out.patches == real.patches and out.added == real.added
    assert out.local.equals(real.local) and out.conflicts.equals(real.conflicts)
    assert isinstance(out.base, pd.DataFrame) and out.base.equals(real.base)
    if change == "team mate":
        assert out.log["pulled"] == 2
        assert out.local.set_index("creator_key").loc["tiktok:c7", "notes"] == "from a team mate"
        assert "tiktok:new0" in set(out.local["creator_key"])


def test_with_the_google_sheet_too_a_team_mates_edit_is_pulled_and_nothing_else_reads_the_base(srv, tmp_path):
    from tests.sync_support import backend_for, new_archive

    sid = new_archive(srv)
    first = sync_table(creators(12), None, None, backend_for(srv, tmp_path, sid), now=T1)
    loads: list[int] = []
    quiet = sync_table(first.local, known(first.base, loads), first.conflicts, backend_for(srv, tmp_path, sid), now=T2)
    assert loads == [] and isinstance(quiet.base, KnownBase) and quiet.log["pulled"] == quiet.log["pushed"] == 0
    mate = sync_table(pd.DataFrame(), None, None, backend_for(srv, tmp_path, sid), now=T1, user="mate")
    edited = mate.local.copy()
    edited.loc[edited["creator_key"] == "tiktok:c3", "notes"] = "from a team mate"
    sync_table(edited, mate.base, mate.conflicts, backend_for(srv, tmp_path, sid), now=T1, user="mate")
    out = sync_table(first.local, known(first.base, loads), first.conflicts, backend_for(srv, tmp_path, sid), now=T2)
    real = sync_table(first.local, first.base, first.conflicts, backend_for(srv, tmp_path, sid), now=T2)
    assert loads == [1] and out.log["pulled"] == real.log["pulled"] == 1
    assert out.local.equals(real.local) and isinstance(out.base, pd.DataFrame) and out.base.equals(real.base)
    assert out.local.set_index("creator_key").loc["tiktok:c3", "notes"] == "from a team mate"
