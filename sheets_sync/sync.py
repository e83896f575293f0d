"""One sync: workbook table + last synced state + archive -> new table, new state, conflicts, log row.

This is the library call behind the workbook's button, the refresh job and ``lianxing sync``. It works
on DataFrames whose columns are schema keys, so the workbook file I/O stays a thin layer around it:

    result = sync_workbook_tables(tables, settings)      # tables: creators, sync_base, conflicts, run_log
    result.tables["creators"], result.tables["sync_base"], ...

Why a loop of attempts: a write to the Google Sheet that fails half-way (dropped connection, 5xx, a
sort detected under the write) may or may not have been applied. Instead of repeating the write
blindly, the whole attempt (read, merge, write) runs again: the three-way merge sees what did land
(both sides now equal) and writes only what is still missing, so nothing is lost or duplicated.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import re

import numpy as np
import pandas as pd

from workbook_addin.core.cells import is_blank
from workbook_addin.core.gc_pause import gc_paused
from workbook_addin.core.schema import Schema, Sheet, header_map, load_schema, normalise_header

from .backend import Backend, CellWrite, RaceDetected, RemoteTable, SyncError, WritePlan
from .merge import TOMBSTONE, Conflict, MergeResult, three_way
from .deletions import erasure_notes, keep_out, record, shared_erasures, start_register
from .renames import pair_renames
from .retry import RetriesExhausted, RetryPolicy, describe, is_transient
from .known_base import BaseSide, KnownBase
from .rows import local_rows
from .safe_values import typed_local

#: The column that marks a creator archived, and its code; checked against the schema on use.
STATUS_COLUMN, ARCHIVED = "status", "archived"
SYNC_TABLES = ("creators", "sync_base", "conflicts", "run_log")

Progress = Callable[[str], None]


@dataclass
class SyncResult:
    """The outcome of one sync. ``tables`` holds the new workbook tables (same keys as given)."""

    local: pd.DataFrame
    base: pd.DataFrame | KnownBase  # KnownBase: the base given, not read and unchanged (sheets_sync.known_base)
    conflicts: pd.DataFrame
    log: dict[str, Any]
    merge: MergeResult | None = None
    patches: list[tuple[Any, str, Any]] = field(default_factory=list)  # (row label, column, value) in existing rows
    added: list[Any] = field(default_factory=list)  # row labels of creators added to the workbook
    problems: list[str] = field(default_factory=list)
    attempts: int = 0
    ok: bool = True
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def empty_table(sheet_key: str, schema: Schema | None = None) -> pd.DataFrame:
    """An empty frame with the schema's columns for ``sheet_key``."""
    sheet = (schema or load_schema()).sheet(sheet_key)
    return pd.DataFrame({k: pd.Series(dtype=object) for k in sheet.keys})


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts, built column-wise (``DataFrame.to_dict("records")`` is row-wise and slow)."""
    names = [str(c) for c in frame.columns]
    return [dict(zip(names, vals)) for vals in frame.to_numpy(dtype=object).tolist()]


def open_conflicts(conflicts: pd.DataFrame | None, sheet_key: str) -> dict[tuple[str, str], Conflict]:
    """Conflicts rows of earlier syncs (with any resolution a person picked)."""
    out: dict[tuple[str, str], Conflict] = {}
    if conflicts is None or conflicts.empty:
        return out
    schema = load_schema()
    resolution = schema.enums["resolution"]
    for rec in records(conflicts):
        if str(rec.get("sheet", "")) != sheet_key:
            continue
        text = {k: ("" if is_blank(v) else str(v)) for k, v in rec.items()}
        res = resolution.normalise(text.get("resolution")) or ""
        c = Conflict(
            text.get("conflict_id", ""), text.get("detected_at", ""), sheet_key, text.get("creator_key", ""),
            text.get("column", ""), text.get("base_value", ""), text.get("local_value", ""),
            text.get("remote_value", ""), text.get("remote_by", ""), res, text.get("resolved_value", ""),
        )
        out[(c.creator_key, c.column)] = c
    return out


@gc_paused()
def sync_table(
    local: pd.DataFrame,
    base: pd.DataFrame | KnownBase | None,
    conflicts: pd.DataFrame | None,
    backend: Backend,
    *,
    sheet_key: str = "creators",
    user: str | None = None,
    now: str | None = None,
    policy: RetryPolicy | None = None,
    progress: Progress | None = None,
    max_attempts: int = 6,
    share_personal: Iterable[str] | None = None,
    forget: Iterable[str] = (),
) -> SyncResult:
    """Sync one workbook table with the archive. Raises :class:`SyncError` with a clear message.

    ``share_personal``: the personal columns the archive gets (default: Settings' default); the
    others are neither pushed nor pulled. ``forget``: creator keys whose personal data is cleared in
    the archive and in the workbook (an erasure request). ``base``: the ``sync_base`` frame or a KnownBase."""
    schema = load_schema()
    sheet = schema.sheet(sheet_key)
    user = user or getattr(backend, "user", "") or _default_user()
    now = now or _now()
    step = progress or (lambda _stage: None)
    status_column = _status_column(schema, sheet)
    backend.user = user  # type: ignore[attr-defined]
    frame = _with_columns(local, sheet)
    mine, label_of, fills, problems = local_rows(frame, sheet, schema)
    side = BaseSide(base, mine, sheet_key)
    private = private_columns(sheet, schema, share_personal)
    forget = sorted(set(forget))
    disputed = open_conflicts(conflicts, sheet_key)
    notes: list[str] = []

    def once() -> MergeResult:
        step("read")
        remote = backend.read(sheet)
        step("merge")
        reg = start_register(remote, now)
        erased = shared_erasures(reg, sheet, mine, remote.rows)
        erase = forget + erased
        add, skip = column_plan(sheet, remote, side.rows, private, backend)
        columns = [c.key for c in sheet.synced_columns if c.key != "creator_key" and c.key not in skip + private]
        exclude = {k for k, _ in disputed} | set(erase)
        same, base_map = side.unchanged(columns, mine, remote.rows, exclude, skip + private, merge_all=bool(add))
        remote.rows = {k: r for k, r in remote.rows.items() if k not in same}
        mine_keys, base_left = ({k: rows[k] for k in rows if k not in same} for rows in (mine, base_map))
        renames = pair_renames(mine_keys, base_left, remote.rows, labels := dict(label_of))
        unknown_as_base(remote, add, base_map)
        mine_now, base_now = forgotten(sheet, erase, mine_keys, base_left, remote)
        told = keep_out(reg, mine_now, remote.rows, base_now)  # creators the team deleted: tombstones
        result = three_way(sheet_key, columns, mine_now, {**base_now, **told}, remote.rows, disputed,
                           now, status_column=status_column, archived=ARCHIVED)
        result.unchanged, result.deleted = same, result.deleted + list(told)
        keep_base(result, skip + private, base_map)
        plan = WritePlan(result.remote_cells + forget_cells(sheet, erase, remote, private), result.remote_rows, add,
                         skip)
        forget_locally(sheet, erase, result, label_of)
        notes[:] = remote.problems + column_problems(sheet, remote, skip, backend.describe()) + renames.notes
        notes.extend(erasure_notes(erased))
        label_of.update(labels)
        entry = _log_entry(now, user, sheet_key, result, problems + notes, len(erase))
        step("write")
        if plan:
            backend.commit(sheet, remote, plan, entry)
        notes.extend(getattr(backend, "log_problems", []) + record(backend, reg, result, forget))
        notes.extend(withheld(sheet, result, getattr(backend, "withheld", []) if plan else [], backend.describe()))
        return result

    result, attempt = _attempts(backend, once, policy or getattr(backend, "policy", None) or RetryPolicy(),
                                max_attempts)
    step("done")
    problems = problems + notes + deleted_notes(sheet, result)
    new_local, patches, added = _apply_local(frame, sheet, schema, result, label_of, fills)
    new_base = side.known or _new_base(side.frame, sheet_key, side.rows, result.base, now, result.unchanged)
    new_conflicts = _new_conflicts(conflicts, sheet_key, result.conflicts)
    log = _run_log_row(now, user, result, problems, len(patches) + len(added), len(forget))
    return SyncResult(new_local, new_base, new_conflicts, log, result, patches, added, problems, attempt)


def _with_columns(local: pd.DataFrame, sheet: Sheet) -> pd.DataFrame:
    """A copy of the workbook table with every schema column (missing ones empty)."""
    frame = local.copy()
    for key in sheet.keys:
        if key not in frame.columns:
            frame[key] = None
    return frame


def _status_column(schema: Schema, sheet: Sheet) -> str | None:
    """The column that marks a creator archived, checked against the schema."""
    status_column = STATUS_COLUMN if STATUS_COLUMN in sheet.keys else None
    if status_column and ARCHIVED not in schema.enums[sheet.column(status_column).enum or ""].codes:
        raise SyncError(f"schema: {sheet.name} column {status_column!r} has no code {ARCHIVED!r}")
    return status_column


def _attempts(backend: Backend, once: Callable[[], MergeResult], policy: RetryPolicy,
              max_attempts: int) -> tuple[MergeResult, int]:
    """Run whole sync attempts (read, merge, write) until one finishes; see the module docstring."""
    attempt = 0
    while True:
        attempt += 1
        try:
            with backend.session():
                return once(), attempt
        except (RaceDetected, RetriesExhausted) as error:
            cause = error.__cause__ if isinstance(error, RetriesExhausted) else error
            if attempt >= max_attempts or not policy.pause(attempt - 1, cause or error):
                raise SyncError(f"同步未完成 Sync did not finish with {backend.describe()}: {error}") from error
        except SyncError:
            raise
        except Exception as error:  # noqa: BLE001 - transient ones are retried, the rest explained
            if not is_transient(error):
                raise SyncError(f"同步失败 Sync with {backend.describe()} stopped on an unexpected answer: "
                                f"{describe(error)}. Nothing was lost: the workbook keeps its values; "
                                "send this line to whoever maintains the workbook if it repeats.") from error
            if attempt >= max_attempts or not policy.pause(attempt - 1, error):
                raise SyncError(
                    f"同步未完成 Sync did not finish with {backend.describe()} after {attempt} attempts: "
                    f"{describe(error)}. "
                    "Nothing was lost: run the sync again later."
                ) from error


def private_columns(sheet: Sheet, schema: Schema, share: Iterable[str] | None) -> list[str]:
    """Personal synced columns the archive does not get (Settings › sync_personal_columns)."""
    if share is None:
        share = parse_column_list(schema.default_settings().get("sync_personal_columns", ""))
    shared = set(share)
    return [c.key for c in sheet.synced_columns if c.personal and c.key not in shared]


def parse_column_list(text: Any) -> list[str]:
    """"display_name, email" -> ["display_name", "email"] (keys; labels like "邮箱 E-mail" work too)."""
    labels = header_map(load_schema().sheet("creators").columns)
    out = []
    for part in re.split(r"[,;，；\n]+", str(text or "")):
        key = labels.get(normalise_header(part))
        if key:
            out.append(key)
    return out


def forgotten(sheet: Sheet, forget: list[str], mine: Mapping[str, dict[str, str]],
              base: Mapping[str, Mapping[str, str]], remote: RemoteTable) -> tuple[Mapping[str, dict[str, str]],
                                                                                   Mapping[str, Mapping[str, str]]]:
    """Local and base rows as the merge should see them for creators being forgotten: personal cells
    empty locally and "unchanged" in the archive since the last sync, so the merge clears them there."""
    if not forget:
        return mine, base
    personal = [c.key for c in sheet.synced_columns if c.personal]
    mine2, base2 = dict(mine), dict(base)
    for key in forget:
        if key in mine2:
            mine2[key] = {**mine2[key], **dict.fromkeys(personal, "")}
        if key in remote.rows and key in base2:
            base2[key] = {**base2[key], **{c: remote.rows[key].values.get(c, "") for c in personal}}
    return mine2, base2


def forget_cells(sheet: Sheet, forget: list[str], remote: RemoteTable, private: list[str]) -> list[CellWrite]:
    """Clearing writes for personal columns this workbook does not share but the archive still holds."""
    return [CellWrite(key, col, "", remote.rows[key].values[col]) for key in forget if key in remote.rows
            for col in private if remote.rows[key].values.get(col)]


def forget_locally(sheet: Sheet, forget: list[str], result: MergeResult, label_of: Mapping[str, Any]) -> None:
    """Personal cells of forgotten creators emptied in the workbook too."""
    for key in forget:
        if key in label_of:
            cells = result.local_cells.setdefault(key, {})
            cells.update({c.key: "" for c in sheet.columns if c.personal})
        elif key in result.local_rows:
            row = result.local_rows[key]
            row.update({c.key: "" for c in sheet.columns if c.personal and c.key in row})


def withheld(sheet: Sheet, result: MergeResult, cells: list[CellWrite], where: str) -> list[str]:
    """Writes a strict protected range refused: the base keeps what the archive has, so they are
    pushed once the owner allows it, and the workbook is told which column and what to ask for."""
    for cell in cells:
        if cell.key in result.base:
            result.base[cell.key][cell.column] = cell.old
    by_column: dict[str, int] = {}
    for cell in cells:
        by_column[cell.column] = by_column.get(cell.column, 0) + 1
    return [f"共享表受保护 {where}: 列 {sheet.column(col).header} is protected in the shared sheet and the sync's "
            f"account is not one of its editors, so {n} changes there were not pushed (kept in this workbook, "
            "pushed once allowed). Ask the sheet's owner to add the account to the range's editors, or to make "
            "the protection warning-only (Data › Protect sheets and ranges)." for col, n in by_column.items()]


def deleted_notes(sheet: Sheet, result: MergeResult) -> list[str]:
    """What the workbook is told about creators a person deleted from the archive."""
    return [f"达人 {key} 已从共享档案删除 creator {key} was deleted from the shared archive (for example on an "
            "erasure request) and is no longer shared. This workbook still holds the row: delete it here too if "
            f"the data must go, or run `lianxing sync --forget {key}` to clear its personal data. To bring the "
            "creator back on purpose, add its row to the shared sheet again by hand: every workbook then syncs it."
            for key in result.deleted]


def _default_user() -> str:
    """Who a sync is recorded as when Settings › user is empty: never the computer's login name,
    which would go to the shared sync log."""
    return "未署名 unnamed"


def column_plan(sheet: Sheet, remote: RemoteTable, base: Mapping[str, Mapping[str, str]],
                private: Iterable[str] = (), backend: Backend | None = None) -> tuple[list[str], list[str]]:
    """Synced columns the archive lacks, split into (columns to add, columns to leave out this sync).

    A column is added only when the archive never had it (a column new in this release): its record
    of columns says so, or, for an archive without a record, this workbook has synced before but never
    that column. A column the archive had (renamed beyond recognition, deleted by the team) is left
    out - neither pulled nor pushed - because reading it as blank would wipe it in every workbook."""
    add: list[str] = []
    skip: list[str] = []
    shared = [key for key in remote.missing if key not in private]  # columns not shared are never added
    known = remote.known
    if shared and known is None and backend is not None:
        known = backend.known_columns(remote)  # asked once, and only when a shared column is missing
    for key in shared:
        if known is not None:
            new = key not in known
        else:
            new = bool(base) and not any(key in row for row in base.values())
        (add if new else skip).append(key)
    order = {c.key: i for i, c in enumerate(sheet.columns)}
    return sorted(add, key=order.__getitem__), skip


def unknown_as_base(remote: RemoteTable, add: list[str], base: Mapping[str, Mapping[str, str]]) -> None:
    """A column about to be added has no cells yet: treat them as "as last synced", so the merge
    pushes what the workbook holds and pulls nothing."""
    for key, row in remote.rows.items():
        for col in add:
            row.values[col] = base.get(key, {}).get(col, "")


def keep_base(result: MergeResult, skip: list[str], base: Mapping[str, Mapping[str, str]]) -> None:
    """Columns left out of this sync keep their last synced values, so nothing looks changed when
    the column comes back."""
    for key, row in result.base.items():
        old = base.get(key, {})
        if TOMBSTONE in row:
            continue
        for col in skip:
            if col in old:
                row[col] = old[col]


def column_problems(sheet: Sheet, remote: RemoteTable, skip: list[str], where: str) -> list[str]:
    """Plain words for columns left out or recognised under a header a person changed."""
    title = getattr(remote.state, "title", sheet.name)
    out = []
    for key in skip:
        header = sheet.column(key).header
        out.append(f"共享表 shared sheet '{title}' ({where}): 列 {header} 不见了 the column {header} is missing "
                   "(renamed or deleted), so it was not pulled or pushed and every workbook keeps its values. "
                   f"To share it again, rename the column header back to '{header}' or add a column with that header.")
    for key, text in getattr(remote.state, "renamed", {}).items():
        out.append(f"共享表 shared sheet '{title}': column '{text}' is read as {sheet.column(key).header}.")
    return out


def _apply_local(frame: pd.DataFrame, sheet: Sheet, schema: Schema, result: MergeResult,
                 label_of: Mapping[str, Any], fills: list[tuple[Any, str, Any]]):
    """Pulled cells into existing rows, new creators appended; returns (frame, patches, added labels)."""
    cols = {c.key: c for c in sheet.columns}
    patches: list[tuple[Any, str, Any]] = list(fills)
    for key, cells in result.local_cells.items():
        label = label_of[key]
        for col, text in cells.items():
            patches.append((label, col, typed_local(text, cols[col])))
    touched = {col for _, col, _ in patches}
    for col in touched:
        frame[col] = frame[col].astype(object)
    for label, col, value in patches:
        frame.at[label, col] = value
    added: list[Any] = []
    if result.local_rows:
        ints = [i for i in frame.index if isinstance(i, (int,)) or hasattr(i, "item")]
        start = (max(ints) + 1) if ints else 0
        new = []
        for n, (key, cells) in enumerate(sorted(result.local_rows.items())):
            row = dict.fromkeys(frame.columns)
            row["creator_key"] = key
            for col, text in cells.items():
                row[col] = typed_local(text, cols.get(col))
            new.append(row)
            added.append(start + n)
        extra = pd.DataFrame(new, index=pd.Index(added, name=frame.index.name), columns=frame.columns, dtype=object)
        frame = pd.concat([frame.astype(object), extra]) if len(frame) else extra
    return frame, patches, added


_MISSING = object()


def _new_base(base: pd.DataFrame | None, sheet_key: str, old: Mapping[str, Mapping[str, str]],
              new: Mapping[str, Mapping[str, str]], now: str, unchanged: Collection[str] = ()) -> pd.DataFrame:
    """Long-format sync base: other sheets kept; this sheet's cells replaced, ``synced_at`` kept where
    unchanged. Only creators whose synced state changed are rebuilt: a 20 000-creator base is half a
    million rows, and a sync usually changes a few hundred of them. ``unchanged``: creators the merge
    set aside as the same everywhere (:attr:`MergeResult.unchanged`): their old rows stand."""
    columns = ["sheet", "creator_key", "column", "value", "synced_at"]
    changed = {k for k, row in new.items() if old.get(k) != row} | {k for k in old if k not in new and
                                                                     k not in unchanged}
    if not changed and base is not None and not base.empty and len(old) == len(new) + len(unchanged):
        return base
    rows = [(sheet_key, key, col, value) for key in sorted(k for k in changed if k in new)
            for col, value in new[key].items()]
    fresh = pd.DataFrame(rows, columns=columns[:4], dtype=object)
    if base is None or base.empty:
        return fresh.assign(synced_at=now)
    base = base.astype(object)
    redo = ((base["sheet"].astype(str) == sheet_key) & base["creator_key"].astype(str).isin(changed)).to_numpy()
    return _rebuilt_in_place(base, redo, fresh, old, now)


def _rebuilt_in_place(base: pd.DataFrame, redo: np.ndarray, fresh: pd.DataFrame,
                      old: Mapping[str, Mapping[str, str]], now: str) -> pd.DataFrame:
    """``base`` with its ``redo`` rows replaced by ``fresh``: a cell still there keeps its row (and its
    ``synced_at`` when its value is the same), a cell gone loses it, a new one goes at the end.
    The workbook writes the base by position, so on a day every creator's score moves only the
    cells that changed are written, not all 240 000 rows of a 10 000-creator base."""
    sheet, key, col = (base[c].astype(str) for c in ("sheet", "creator_key", "column"))
    first = ~pd.MultiIndex.from_arrays([sheet, key, col]).duplicated()  # a cell listed twice keeps one row
    where = pd.MultiIndex.from_arrays([fresh["creator_key"], fresh["column"]]).get_indexer(
        pd.MultiIndex.from_arrays([key, col]))
    where = np.where(redo & first, where, -1)  # each rebuilt row's place among the fresh cells, -1: gone
    stays = ~redo | (where >= 0)
    out, hit = base[stays].copy(), where[stays]
    update = hit >= 0
    values = fresh["value"].to_numpy()[hit[update]]
    stamps = [stamp if old.get(str(k), {}).get(str(c), _MISSING) == v else now for k, c, v, stamp in
              zip(out["creator_key"].to_numpy()[update], out["column"].to_numpy()[update], values,
                  out["synced_at"].to_numpy()[update])]
    rows = np.flatnonzero(update)
    out.iloc[rows, out.columns.get_loc("value")] = values
    out.iloc[rows, out.columns.get_loc("synced_at")] = stamps
    added = fresh[~np.isin(np.arange(len(fresh)), hit[update])]
    if len(added):
        out = pd.concat([out, added.assign(synced_at=now)], ignore_index=True)
    return out.reset_index(drop=True)


def _new_conflicts(conflicts: pd.DataFrame | None, sheet_key: str, current: list[Conflict]) -> pd.DataFrame:
    sheet = load_schema().sheet("conflicts")
    rows = [{k: getattr(c, k) for k in sheet.keys} for c in current]
    frame = pd.DataFrame(rows, columns=sheet.keys, dtype=object)
    if conflicts is not None and not conflicts.empty:
        others = conflicts[conflicts["sheet"].astype(str) != sheet_key]
        if len(others):
            frame = pd.concat([others.astype(object), frame], ignore_index=True)
    return frame


def _summary(result: MergeResult, forgot: int = 0) -> str:
    parts = [f"pulled {result.pulled_rows} rows", f"pushed {len(result.remote_cells)} cells in "
             f"{len({c.key for c in result.remote_cells})} rows", f"appended {len(result.remote_rows)} rows"]
    if result.archived:
        parts.append(f"archived {len(result.archived)}")
    if result.deleted:
        parts.append(f"{len(result.deleted)} deleted in the archive (not shared again)")
    if result.resolved:
        parts.append(f"applied {len(set(result.resolved))} resolved conflicts")
    if result.conflicts:
        parts.append(f"{len(result.conflicts)} conflicts open")
    if forgot:
        parts.append(f"forgot the personal data of {forgot} creators")
    return ", ".join(parts)


def _log_entry(now: str, user: str, sheet_key: str, result: MergeResult, problems: list[str],
               forgot: int = 0) -> dict[str, Any]:
    message = _summary(result, forgot)
    if problems:
        message += f"; {len(problems)} problems"
    return {"run_at": now, "user": user, "sheet": sheet_key, "pulled": result.pulled_rows,
            "pushed": result.pushed_rows, "appended": len(result.remote_rows),
            "conflicts": len(result.conflicts), "message": message}


def _run_log_row(now: str, user: str, result: MergeResult, problems: list[str], rows_updated: int,
                 forgot: int = 0) -> dict[str, Any]:
    message = _summary(result, forgot)
    if problems:
        message += ". " + " | ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else "")
    return {"run_at": now, "job": "sync", "user": user, "files_read": 0, "rows_updated": rows_updated,
            "rows_unmatched": len(problems), "pushed": result.pushed_rows, "pulled": result.pulled_rows,
            "conflicts": len(result.conflicts), "status": "conflicts" if result.conflicts else "ok",
            "message": message}


# ---------------------------------------------------------------------------------------------
# Settings -> backend, and the whole-workbook entry point
# ---------------------------------------------------------------------------------------------
def open_backend(settings: Mapping[str, Any], workbook_dir: str | Path | None = None,
                 policy: RetryPolicy | None = None) -> Backend:
    """The archive named by the Settings sheet: the Google Sheet when ``archive_backend`` is
    ``google`` (or a sheet key is set and the backend is not forced to local), else the SQLite file."""
    kind = str(settings.get("archive_backend") or "").strip().lower()
    sheet_key = str(settings.get("google_sheet_key") or "").strip()
    if kind == "google" or (kind in ("", "auto") and sheet_key):
        from .google_sheet import GoogleSheetBackend

        return GoogleSheetBackend.from_settings(settings, workbook_dir=workbook_dir, policy=policy)
    if kind not in ("", "local", "auto"):
        raise SyncError(f"设置 Settings, archive_backend: {kind!r} is not 'local' or 'google'")
    from .sqlite_archive import SqliteArchive

    path = Path(str(settings.get("archive_path") or "lianxing_archive.sqlite"))
    if not path.is_absolute() and workbook_dir is not None:
        path = Path(workbook_dir) / path
    return SqliteArchive(path, user=str(settings.get("sync_name") or ""))


def sync_workbook_tables(tables: Mapping[str, pd.DataFrame], settings: Mapping[str, Any],
                         backend: Backend | None = None, *, workbook_dir: str | Path | None = None,
                         user: str | None = None, now: str | None = None,
                         policy: RetryPolicy | None = None, progress: Progress | None = None,
                         forget: Iterable[str] = (), base: KnownBase | None = None) -> SyncResult:
    """Sync the workbook's creators table; takes and returns the "creators", "sync_base",
    "conflicts" and "run_log" frames (missing ones start empty).

    Never raises for archive trouble: a failed sync returns ``ok=False`` with the tables as they were
    and a run-log row whose message says what to fix, so the workbook can show it in its status line.
    ``user`` names the person in this workbook's own run log; the archive (seen by the whole team)
    gets Settings › sync_name instead, never a login name. ``forget``: see :func:`sync_table`.
    ``base``: the sync base known without reading it (:mod:`sheets_sync.known_base`), in place of
    ``tables["sync_base"]``; the result's tables then hold a "sync_base" only if it was read.
    """
    schema = load_schema()
    given = {k: (tables[k] if k in tables and tables[k] is not None else empty_table(k, schema)) for k in SYNC_TABLES}
    run_log = given["run_log"]
    own = backend is None
    shared_name = str(settings.get("sync_name") or "").strip() or _default_user()
    user = user or shared_name
    now = now or _now()
    share = settings.get("sync_personal_columns")
    try:
        if backend is None:
            backend = open_backend(settings, workbook_dir, policy)
        result = sync_table(given["creators"], base or given["sync_base"], given["conflicts"], backend,
                            user=shared_name, now=now, policy=policy, progress=progress, forget=forget,
                            share_personal=None if share is None else parse_column_list(share))
        result.log["user"] = user
    except Exception as error:  # noqa: BLE001 - the caller (a refresh, a button) must still save the workbook
        if not isinstance(error, SyncError):
            error = SyncError(f"同步失败 Sync with the archive stopped on an unexpected error "
                              f"({type(error).__name__}: {error}); nothing was changed in the workbook.")
        row = {"run_at": now, "job": "sync", "user": user, "files_read": 0, "rows_updated": 0,
               "rows_unmatched": 0, "pushed": 0, "pulled": 0, "conflicts": 0, "status": "error",
               "message": str(error)}
        result = SyncResult(given["creators"], base or given["sync_base"], given["conflicts"], row, ok=False,
                            problems=[str(error)])
    finally:
        if own and backend is not None:
            backend.close()
    log_row = pd.DataFrame([result.log], columns=schema.sheet("run_log").keys, dtype=object)
    new_log = pd.concat([run_log.astype(object), log_row], ignore_index=True) if len(run_log) else log_row
    result.tables = {"creators": result.local, "conflicts": result.conflicts, "run_log": new_log}
    if isinstance(result.base, pd.DataFrame):  # else a known base, not read and unchanged
        result.tables["sync_base"] = result.base
    return result
