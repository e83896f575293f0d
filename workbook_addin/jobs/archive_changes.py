"""The workbook side of an archive sync: what a SyncResult changes in the workbook's cells.

``lianxing sync`` and the refresh job both sync the archive and must write its outcome into the
workbook the same way, so the translation lives here once.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..engine.inputs import ENGINE_COLUMNS
from ..workbook.tables_changes import WorkbookChanges, replace_rows, same_value
from ..workbook.tables_layout import WorkbookData

if TYPE_CHECKING:
    from sheets_sync.sync import SyncResult


def apply_sync_result(changes: WorkbookChanges, data: WorkbookData, tables: dict[str, pd.DataFrame],
                      result: SyncResult, *,
                      log: bool = True) -> int:
    """Adds to ``changes`` the cells a sync pulled into existing creators, the creators team mates
    added to the archive, the new sync base and conflicts, and (``log``) the sync's run-log row.

    Returns how many creators the pull left with scores computed from older inputs: those with a
    scored column pulled (followers, blacklist, ...) and those added. The sync runs after the
    scoring (it shares the scores), so the caller must say that a refresh is needed to rescore them;
    pulled notes or contacts change no score and are not counted."""
    creators = tables["creators"]
    scored = set(ENGINE_COLUMNS["creators"])
    rescore: set[object] = set()
    for label, col, value in result.patches:  # cells pulled from the archive into existing rows
        if label in creators.index and not same_value(creators.at[label, col], value):
            changes.set("creators", label, col, value)
            if col in scored:
                rescore.add(label)
    synced = result.tables["creators"]
    added = synced[~synced.index.isin(creators.index)]
    if len(added):  # creators a team mate added to the archive
        changes.appends.setdefault("creators", []).extend(
            {k: v for k, v in r.items() if v is not None and v == v} for r in added.to_dict("records"))
    for key in ("sync_base", "conflicts"):
        if result.tables.get(key) is tables.get(key):
            continue  # the frame the workbook holds, handed back unchanged (a no-op sync's base)
        if key in data.layouts and key in result.tables:
            replace_rows(changes, key, tables.get(key, pd.DataFrame()), result.tables[key], data.layouts[key])
    if log and "run_log" in data.layouts:
        changes.appends.setdefault("run_log", []).append(dict(result.log))
    return len(rescore) + len(added)


def rescore_note(creators: int) -> str:
    """The line that says scores shown predate what the archive just brought in."""
    return (f"档案库带来 {creators} 位达人的评分数据更改（或新达人），本次评分在更改之前：请再刷新一次 "
            f"{creators} creators' scoring inputs changed in the archive (or were added); their scores predate it: "
            "refresh again to rescore them")
