"""The three-way merge: local table, archive, and the state both had after the last sync.

Pure functions on canonical text (see :mod:`sheets_sync.safe_values`), no I/O, so every backend gets
the same decisions and the rules can be tested exhaustively. Per cell, with ``b`` the last synced
value, ``l`` the local and ``r`` the archive value:

* ``l == r``: nothing to do (also when both changed to the same value);
* only ``l`` changed: push it; only ``r`` changed: pull it;
* both changed to different values: a conflict; neither side is touched and the base keeps ``b``
  until a person picks ``keep_local`` / ``keep_remote`` / ``custom`` in the Conflicts sheet, which the
  next sync applies to both sides.

Rows: a creator only in the workbook is appended to the archive; a creator only in the archive is
added to the workbook; a creator removed from the workbook is archived (its status cell becomes
``archived``), never deleted. A creator that was synced and is now gone from the archive was deleted
there by a person - often on an erasure request - so it stays deleted: the base keeps a tombstone
(:data:`TOMBSTONE`) instead of values, the row is not appended again, and the workbook is told
(``MergeResult.deleted``). If the archive gets the creator back, the tombstone is lifted.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from operator import itemgetter

from .backend import CellWrite, RemoteRow

KEEP_LOCAL, KEEP_REMOTE, CUSTOM = "keep_local", "keep_remote", "custom"
#: The base "column" that marks a creator deleted from the archive (its value: when that was seen).
TOMBSTONE = "__deleted__"


@dataclass(frozen=True)
class Conflict:
    """One cell changed on both sides (the schema's "conflicts" columns)."""

    conflict_id: str
    detected_at: str
    sheet: str
    creator_key: str
    column: str
    base_value: str
    local_value: str
    remote_value: str
    remote_by: str = ""
    resolution: str = ""
    resolved_value: str = ""

    def decided_value(self, local: str, remote: str) -> str | None:
        """The value the person chose, or None while undecided."""
        if self.resolution == KEEP_LOCAL:
            return local
        if self.resolution == KEEP_REMOTE:
            return remote
        if self.resolution == CUSTOM:
            return self.resolved_value
        return None


def conflict_id(sheet: str, key: str, column: str) -> str:
    """Stable id per cell: a conflict that persists over syncs keeps its row and id."""
    return "C-" + hashlib.sha1(f"{sheet}|{key}|{column}".encode()).hexdigest()[:10]


@dataclass
class MergeResult:
    """What one sync does; counts are in rows."""

    local_cells: dict[str, dict[str, str]] = field(default_factory=dict)  # existing local rows: col -> value
    local_rows: dict[str, dict[str, str]] = field(default_factory=dict)  # rows to add to the workbook
    remote_cells: list[CellWrite] = field(default_factory=list)
    remote_rows: list[dict[str, str]] = field(default_factory=list)  # rows to append to the archive
    base: dict[str, dict[str, str]] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)  # conflict ids applied or gone
    archived: list[str] = field(default_factory=list)  # keys archived because the workbook dropped them
    deleted: list[str] = field(default_factory=list)  # keys a person deleted from the archive (tombstoned now)
    #: keys set aside before merging, the same everywhere (:func:`sheets_sync.rows.unchanged_keys`): not in
    #: ``base``, their base rows stand as they were
    unchanged: set[str] = field(default_factory=set)

    @property
    def pulled_rows(self) -> int:
        return len(self.local_cells) + len(self.local_rows)

    @property
    def pushed_rows(self) -> int:
        return len({c.key for c in self.remote_cells}) + len(self.remote_rows)


def three_way(
    sheet: str,
    columns: list[str],
    local: Mapping[str, Mapping[str, str]],
    base: Mapping[str, Mapping[str, str]],
    remote: Mapping[str, RemoteRow],
    open_conflicts: Mapping[tuple[str, str], Conflict],
    now: str,
    key_column: str = "creator_key",
    status_column: str | None = "status",
    archived: str = "archived",
) -> MergeResult:
    """Merge ``local`` and ``remote`` (creator key -> column -> canonical text) against ``base``.

    ``columns`` are the synced columns other than the key. ``open_conflicts`` are the Conflicts rows
    of earlier syncs, keyed by (creator key, column), with the person's resolution where given.
    """
    out = MergeResult()
    empty: dict[str, str] = {}
    disputed = {k for k, _ in open_conflicts}
    same_row = _unchanged(columns)
    for key in sorted(set(local) | set(remote) | set(base)):
        l_row, r_obj, b_row = local.get(key), remote.get(key), base.get(key)
        r_row = r_obj.values if r_obj is not None else None
        if l_row is not None and r_row is not None and b_row is not None and key not in disputed \
                and not r_obj.needs_key:  # type: ignore[union-attr]
            same = same_row(l_row, r_row, b_row)
            if same is not None:
                out.base[key] = same  # the usual row: nothing changed anywhere
                continue
        if l_row is None and r_row is None:
            continue  # gone everywhere: forget it
        if r_row is None:
            assert l_row is not None
            if b_row is not None:  # synced before, deleted from the archive since: it stays deleted
                out.base[key] = {TOMBSTONE: b_row.get(TOMBSTONE) or now}
                if TOMBSTONE not in b_row:
                    out.deleted.append(key)
                continue
            row = {c: l_row.get(c, "") for c in columns}  # new in the workbook
            out.remote_rows.append({key_column: key, **row})
            out.base[key] = row
            continue
        if b_row is not None and TOMBSTONE in b_row:
            b_row = None  # back in the archive: merged like a creator both sides have just added
        if r_obj is not None and r_obj.needs_key:
            out.remote_cells.append(CellWrite(key, key_column, key, ""))
        if l_row is None and b_row is None:
            # New in the archive: add it to the workbook.
            out.local_rows[key] = {c: r_row.get(c, "") for c in columns}
            out.base[key] = dict(out.local_rows[key])
            continue
        virtual = l_row is None  # removed from the workbook: treated as "status -> archived"
        if l_row is None:
            archived_row = dict(b_row or empty)
            if status_column:
                archived_row[status_column] = archived
            l_row = archived_row
        conflicts_before = len(out.conflicts)
        assert r_obj is not None  # r_row is not None above
        new_base, pulls = _merge_cells(out, sheet, key, columns, l_row, r_obj, b_row or empty, open_conflicts, now)
        out.base[key] = new_base
        if virtual:
            row_conflicted = len(out.conflicts) > conflicts_before
            merged = {**l_row, **pulls}
            status = merged.get(status_column, "") if status_column else archived
            if status != archived and not row_conflicted:
                # Revived in the archive (or a person chose the archive's status): back into the workbook.
                out.local_rows[key] = {c: merged.get(c, "") for c in columns}
            elif b_row is not None and status_column and b_row.get(status_column) != archived:
                out.archived.append(key)
        elif pulls:
            out.local_cells[key] = pulls
    return out


def _unchanged(columns: list[str]) -> Callable[[Mapping[str, str], Mapping[str, str], Mapping[str, str]],
                                              dict[str, str] | None]:
    """A test for the usual row - the same in the workbook, the archive and the base - that answers
    the row as the new base (or None when anything differs).

    Why: a sync compares every creator, and most never change. Picking ``columns`` out of three rows
    with one C-level ``itemgetter`` each is several times faster than three comprehensions; a row
    lacking a column (a new column, a tombstone) takes the comprehensions, where a missing cell is ""."""
    if not columns:
        return lambda l_row, r_row, b_row: {}
    pick = itemgetter(*columns)
    single = len(columns) == 1  # itemgetter of one name answers the value, not a tuple

    def same(l_row: Mapping[str, str], r_row: Mapping[str, str], b_row: Mapping[str, str]) -> dict[str, str] | None:
        try:
            values = pick(b_row)
            if pick(l_row) != values or pick(r_row) != values:
                return None
            if single:
                values = (values,)
        except KeyError:
            values = tuple(b_row.get(c, "") for c in columns)
            if tuple(l_row.get(c, "") for c in columns) != values or tuple(r_row.get(c, "") for c in columns) != values:
                return None
        return dict(zip(columns, values))

    return same


def _merge_cells(out: MergeResult, sheet: str, key: str, columns: list[str], l_row: Mapping[str, str],
                 r_obj: RemoteRow, b_row: Mapping[str, str], open_conflicts: Mapping[tuple[str, str], Conflict],
                 now: str) -> tuple[dict[str, str], dict[str, str]]:
    """One creator both sides have, cell by cell (the rules in the module docstring); returns the new
    base row and the cells to pull. Pushes, conflicts and resolved conflicts go into ``out``."""
    new_base: dict[str, str] = {}
    pulls: dict[str, str] = {}
    r_row = r_obj.values
    for col in columns:
        l, r = l_row.get(col, ""), r_row.get(col, "")
        b = b_row.get(col, "")
        open_c = open_conflicts.get((key, col))
        decided = open_c.decided_value(l, r) if open_c is not None else None
        if decided is not None:
            assert open_c is not None
            out.resolved.append(open_c.conflict_id)
            if r in (open_c.remote_value, decided):
                if decided != l:
                    pulls[col] = decided
                if decided != r:
                    out.remote_cells.append(CellWrite(key, col, decided, r))
                new_base[col] = decided
            else:
                # The archive changed again after the person decided: ask again, keep their choice locally.
                if decided != l:
                    pulls[col] = decided
                out.conflicts.append(_conflict(sheet, key, col, b, decided, r, r_obj, now, None))
                new_base[col] = b
            continue
        if l == r:
            new_base[col] = l
            if open_c is not None:
                out.resolved.append(open_c.conflict_id)
        elif l == b:
            pulls[col] = r
            new_base[col] = r
            if open_c is not None:
                out.resolved.append(open_c.conflict_id)
        elif r == b:
            out.remote_cells.append(CellWrite(key, col, l, r))
            new_base[col] = l
            if open_c is not None:
                out.resolved.append(open_c.conflict_id)
        else:
            out.conflicts.append(_conflict(sheet, key, col, b, l, r, r_obj, now, open_c))
            new_base[col] = b
    return new_base, pulls


def _conflict(sheet: str, key: str, col: str, b: str, l: str, r: str, r_obj: RemoteRow | None, now: str,
              previous: Conflict | None) -> Conflict:
    by = r_obj.by if r_obj is not None else ""
    if previous is not None and previous.resolution == "":
        return replace(previous, local_value=l, remote_value=r, base_value=b, remote_by=by or previous.remote_by)
    return Conflict(conflict_id(sheet, key, col), now, sheet, key, col, b, l, r, by)
