"""The "刷新数据 Refresh metrics" job: exports in, metrics updated, everything recomputed, archive synced.

One job, two fronts: :func:`refresh_workbook` runs it on a file (headless, ``lianxing refresh``);
:func:`workbook_addin.macros.refresh_metrics` runs it on the workbook open in Excel. Both hand
:func:`run_refresh` an adapter with ``read() -> WorkbookData`` and ``write(WorkbookChanges)``; all the
logic (matching, which cells change, the status line, the run log) lives here once.

Idempotent by design: only cells whose value differs are written, so running the job twice on the
same exports changes nothing the second time except the two things that record *that it ran*: the
RefreshStatus line and one new run-log row ("0 rows updated"). A run log that skipped quiet runs
would hide a nightly job that silently stopped finding its export files.
"""
from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from .archive_changes import apply_sync_result
from ..workbook.calc_sheet import LAST as LAST_REFRESH, last_refresh_frame
from ..workbook.dashboard import DASHBOARD_SHEET, cached_values, dashboard_layout
from ..core.schema import load_schema
from ..workbook.tables_io import (
    STATUS_NAME,
    WorkbookChanges,
    WorkbookData,
    WorkbookFile,
    diff_columns,
    gc_paused,
    replace_rows,
    same_value,
)

Progress = Callable[[str, float], None]  # (what is happening, fraction done 0..1)
#: how many unmatched rows the run-log message lists by name (all are in the report)
LIST_UNMATCHED = 10


class WorkbookAdapter(Protocol):
    folder: Path
    formulas_recalculate: bool  # live Excel recalculates formula cells itself; files need cached values

    def read(self) -> WorkbookData: ...

    def write(self, changes: WorkbookChanges) -> None: ...


@dataclass
class RefreshReport:
    """What one refresh did, for the CLI summary, the Excel alert and the tests."""

    run_at: dt.datetime
    exports_dir: Path | None = None
    files: list[Any] = field(default_factory=list)  # importers' FileReport per export file
    rows_updated: int = 0  # collaborations whose metric cells changed
    cells_updated: int = 0  # metric cells written from exports
    computed_cells: int = 0  # computed cells whose value changed after recomputing
    snapshots_added: int = 0
    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)
    ambiguous: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # engine / import problems (sheet, row, column)
    sync: dict[str, Any] | None = None  # the sync's run-log entry, when it ran
    sync_ok: bool | None = None
    timings: dict[str, float] = field(default_factory=dict)
    status_line: str = ""
    reminders: str = ""  # insights.reminders' one-line summary, shown in the status line and the run log
    changes: WorkbookChanges | None = None

    @property
    def rows_unmatched(self) -> int:
        return len(self.unmatched) + len(self.ambiguous)

    @property
    def status(self) -> str:
        if self.sync_ok is False:
            return "error"
        return "warnings" if (self.warnings or self.problems or self.rows_unmatched) else "ok"

    def unmatched_lines(self, limit: int | None = None) -> list[str]:
        lines = []
        for frame, kind in ((self.unmatched, "未匹配 unmatched"), (self.ambiguous, "多个匹配 ambiguous")):
            if frame is None or frame.empty:
                continue
            for r in frame.to_dict("records"):
                where = f"{r.get('source_file', '?')} 第{r.get('source_row', '?')}行 row {r.get('source_row', '?')}"
                what = r.get("post_url") or r.get("promo_code") or r.get("utm_campaign") or r.get("handle") or ""
                reason = r.get("reason") or r.get("candidates") or ""
                lines.append(f"{kind}: {where} {what}: {reason}".strip())
        return lines if limit is None else lines[:limit]

    def summary(self) -> str:
        """A few bilingual lines for a person (CLI output, the Excel alert)."""
        lines = [self.status_line]
        if self.sync is not None:
            lines.append(f"同步 Sync: {self.sync.get('message', '')}")
        more = self.unmatched_lines()
        if more:
            lines.append(f"未匹配的导出行 Export rows not matched ({len(more)}):")
            lines += ["  " + m for m in more[:LIST_UNMATCHED]]
            if len(more) > LIST_UNMATCHED:
                lines.append(f"  … +{len(more) - LIST_UNMATCHED}")
        for w in (self.warnings + self.problems)[:LIST_UNMATCHED]:
            lines.append("  ! " + w)
        if len(self.warnings) + len(self.problems) > LIST_UNMATCHED:
            lines.append(f"  ! … +{len(self.warnings) + len(self.problems) - LIST_UNMATCHED}")
        return "\n".join(lines)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - containers without a login name
        return "unknown"


def _exports_dir(data: WorkbookData, folder: Path, exports_dir: str | Path | None) -> Path:
    if exports_dir is not None:
        return Path(exports_dir)
    name = str(data.settings_values.get("export_folder") or "exports").strip() or "exports"
    path = Path(name).expanduser()
    return path if path.is_absolute() else folder / path


def _apply_updates(changes: WorkbookChanges, collabs: pd.DataFrame, updates: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Writes the importers' metric updates into a copy of the collaborations frame and records the
    cells that really change; returns (frame, rows changed, cells changed)."""
    frame = collabs.copy()
    cols = [c for c in updates.columns if c in frame.columns]
    rows, cells = set(), 0
    labels = [label for label in updates.index if label in frame.index]
    positions = frame.index.get_indexer(labels).tolist()
    for col in cols:  # column by column: plain lists, no per-cell pandas lookups or assignments
        current = frame[col].reindex(labels).tolist()
        wanted = updates[col].reindex(labels).tolist()
        new_values = None
        for label, at, a, b in zip(labels, positions, current, wanted):
            if b is None or b is pd.NaT or (isinstance(b, float) and b != b):
                continue
            if not same_value(a, b):
                if new_values is None:
                    new_values = frame[col].astype(object).tolist()
                new_values[at] = b
                changes.set("collaborations", label, col, b)
                rows.add(label)
                cells += 1
        if new_values is not None:
            frame[col] = pd.Series(new_values, index=frame.index, dtype=object)
    return frame, len(rows), cells


def _new_snapshots(snapshots: pd.DataFrame, followers: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Follower counts from the exports not yet in the Snapshots sheet (same creator and date)."""
    if followers is None or followers.empty:
        return []
    have = set()
    for key, date in zip(snapshots.get("creator_key", []), snapshots.get("date", [])):
        try:
            have.add((str(key), pd.Timestamp(date).date()))
        except (TypeError, ValueError):
            continue
    out = []
    for r in followers.to_dict("records"):
        try:
            day = pd.Timestamp(r["date"]).date()
        except (TypeError, ValueError, KeyError):
            continue
        if pd.isna(r.get("followers")) or (str(r.get("creator_key")), day) in have:
            continue
        have.add((str(r["creator_key"]), day))
        out.append({"creator_key": r["creator_key"], "date": day, "followers": r["followers"], "source": r.get("source")})
    return out


def _sync(report: RefreshReport, data: WorkbookData, tables: dict[str, pd.DataFrame], folder: Path,
          now: dt.datetime, user: str):
    """Runs the archive sync on the recomputed creators; returns its SyncResult (None when skipped)."""
    try:
        from sheets_sync.sync import sync_workbook_tables
    except ImportError as exc:  # the sync package is part of this product; a broken install is reported
        report.warnings.append(f"同步不可用 sync unavailable: {exc}")
        return None
    given = {k: tables[k] for k in ("creators", "sync_base", "conflicts") if k in tables}
    result = sync_workbook_tables(given, {**data.settings_values, "user": user}, workbook_dir=folder,
                                  user=user, now=now.strftime("%Y-%m-%d %H:%M:%S"))
    report.sync = dict(result.log)
    report.sync_ok = bool(result.ok)
    report.warnings += [f"同步 sync: {p}" for p in result.problems[:LIST_UNMATCHED]]
    return result


def run_refresh(book: WorkbookAdapter, exports_dir: str | Path | None = None, *, sync: bool = True,
                progress: Progress | None = None, now: dt.datetime | None = None,
                user: str | None = None) -> RefreshReport:
    """The refresh job on any workbook adapter (file or live Excel). See the module docstring."""
    with gc_paused():  # millions of short-lived cell values, no cycles: see gc_paused
        return _run_refresh(book, exports_dir, sync=sync, progress=progress, now=now, user=user)


def _run_refresh(book: WorkbookAdapter, exports_dir: str | Path | None, *, sync: bool, progress: Progress | None,
                 now: dt.datetime | None, user: str | None) -> RefreshReport:
    import time

    from ..engine import evaluation as engine
    from ..importers import match_exports, read_exports

    schema = load_schema()
    now = (now or dt.datetime.now()).replace(microsecond=0)
    user = user or _user()
    say = progress or (lambda text, fraction: None)
    report = RefreshReport(run_at=now)
    t = time.perf_counter()

    say("读取工作簿 Reading the workbook", 0.0)
    data = book.read()
    report.warnings += data.warnings
    tables = {k: v for k, v in data.tables.items()}
    settings, problems = data.settings()
    report.problems += [str(p) for p in problems]
    report.timings["read"] = time.perf_counter() - t

    t = time.perf_counter()
    folder = Path(book.folder)
    report.exports_dir = _exports_dir(data, folder, exports_dir)
    say("读取导出文件 Reading exports", 0.15)
    changes = WorkbookChanges()
    if report.exports_dir.is_dir():
        batch = read_exports(report.exports_dir, data.settings_tables.get("import_map"))
        report.files = list(batch.files)
        report.problems += [str(p) for p in batch.problems]
        report.warnings += [f"{f.name}: {w}" for f in batch.files for w in f.warnings]
        say("匹配合作 Matching collaborations", 0.3)
        matched = match_exports(batch, tables["collaborations"], tables.get("creators"))
        report.unmatched, report.ambiguous = matched.unmatched, matched.ambiguous
        report.problems += [str(p) for p in matched.problems]
        tables["collaborations"], report.rows_updated, report.cells_updated = _apply_updates(
            changes, tables["collaborations"], matched.updates)
        if "snapshots" in data.layouts:
            new = _new_snapshots(tables.get("snapshots", pd.DataFrame()), getattr(matched, "followers", None))
            if new:
                changes.appends["snapshots"] = new
                report.snapshots_added = len(new)
                extra = pd.DataFrame(new, columns=tables["snapshots"].columns, dtype=object)
                extra.index = pd.RangeIndex(data.layouts["snapshots"].next_row,
                                            data.layouts["snapshots"].next_row + len(new), name="excel_row")
                tables["snapshots"] = pd.concat([tables["snapshots"], extra]) if len(tables["snapshots"]) else extra
    else:
        report.warnings.append(f"导出文件夹不存在 export folder not found: {report.exports_dir}")
    report.timings["match"] = time.perf_counter() - t

    t = time.perf_counter()
    say("重新计算 Recomputing scores", 0.5)
    inputs = {k: tables[k] for k in ("creators", "outreach", "collaborations", "reviews", "snapshots") if k in tables}
    evaluation = engine.evaluate(inputs, settings, today=now.date())
    report.problems += [str(p) for p in evaluation.problems]
    report.timings["compute"] = time.perf_counter() - t

    t = time.perf_counter()
    say("更新分析表 Updating the insight sheets", 0.6)
    insight_frames = _insights(report, evaluation, inputs, settings, now)
    report.timings["insights"] = time.perf_counter() - t

    t = time.perf_counter()
    computed = dict(evaluation.tables)
    report.computed_cells += _computed_changes(changes, data, tables, inputs, computed, insight_frames)
    report.timings["diff"] = time.perf_counter() - t

    t = time.perf_counter()
    if sync:
        say("同步档案库 Syncing the archive", 0.7)
        result = _sync(report, data, {**tables, **computed}, folder, now, user)
        if result is not None and result.ok:
            apply_sync_result(changes, data, tables, result, log=False)  # the refresh writes its own run-log row
    report.timings["sync"] = time.perf_counter() - t

    t = time.perf_counter()
    say("写入结果 Writing results", 0.85)
    if not book.formulas_recalculate and data.dashboard_markets is not None:
        # A file on disk is not recalculated on open, so the dashboard's formulas get the values
        # the build would store (same function). Live Excel recalculates its native formulas itself.
        layout = dashboard_layout(schema, data.dashboard_markets)
        changes.sheet_values[DASHBOARD_SHEET] = cached_values(schema, {**computed, **insight_frames}, layout)
    report.status_line = status_line(report)
    changes.names[STATUS_NAME] = report.status_line
    if "run_log" in data.layouts:
        changes.appends.setdefault("run_log", []).append(run_log_row(report, user))
    report.changes = changes
    book.write(changes)
    report.timings["write"] = time.perf_counter() - t + report.timings.pop("diff")
    say("完成 Done", 1.0)
    return report


def _computed_changes(changes: WorkbookChanges, data: WorkbookData, tables: dict[str, pd.DataFrame],
                      inputs: dict[str, pd.DataFrame], computed: dict[str, pd.DataFrame],
                      insight_frames: dict[str, pd.DataFrame]) -> int:
    """Records the new computed cells: computed columns of the input sheets (what people typed is
    never rewritten), Scores and the insight sheets row for row, and the last refresh's values the
    formulas fall back to where Python is not running. Returns the input sheets' changed cells."""
    count = 0
    for sheet in load_schema().sheets:
        key = sheet.key
        if key in data.layouts and key in computed and key in inputs:
            # only columns the workbook has (a missing one is already a warning): the reader fills
            # it with blanks, so every computed cell would "differ" on every run and not be written
            present = data.layouts[key].columns
            count += diff_columns(changes, key, tables[key], computed[key],
                                  [c.key for c in sheet.computed_columns if c.key in present])
    rewritten = dict(insight_frames)  # Playbook, Reminders, Duplicates, ...: rewritten like Scores
    if "scores" in computed:
        rewritten["scores"] = computed["scores"].reset_index(drop=True)
        if "creators" in tables and "creators" in computed:
            creators = tables["creators"].assign(creator_key=computed["creators"]["creator_key"])
            rewritten[LAST_REFRESH] = last_refresh_frame(creators, computed["scores"])
    for key, frame in rewritten.items():
        if key in data.layouts:
            replace_rows(changes, key, data.tables[key], frame, data.layouts[key])
    return count


def _insights(report: RefreshReport, evaluation: Any, inputs: dict[str, pd.DataFrame], settings: Any,
              now: dt.datetime) -> dict[str, pd.DataFrame]:
    """The insight sheets' new contents and the reminders' summary line. A failure here is a warning,
    not a lost refresh: the metrics and scores are still written."""
    from ..insights import workbook_tables
    from ..insights.reminders import summary_of

    try:
        frames = workbook_tables(evaluation, inputs, settings, now.date())
    except Exception as exc:  # noqa: BLE001 - the refresh's own results must still be saved
        report.warnings.append(f"分析表未更新 insight sheets not updated: {type(exc).__name__}: {exc}")
        return {}
    report.reminders = summary_of(frames["reminders"])
    return frames


def status_line(report: RefreshReport) -> str:
    """The bilingual RefreshStatus text: when, files read, rows updated, rows unmatched, warnings."""
    when = report.run_at.strftime("%Y-%m-%d %H:%M")
    head = {"ok": "刷新完成 Refreshed", "warnings": "刷新完成(有提示) Refreshed with warnings",
            "error": "刷新完成，同步失败 Refreshed; sync failed"}[report.status]
    return (f"{when} {head}: 读取文件 files read {len(report.files)}, 更新行 rows updated {report.rows_updated}, "
            f"未匹配 unmatched {report.rows_unmatched}, 警告 warnings {len(report.warnings) + len(report.problems)}"
            + (f"; {report.reminders}" if report.reminders else ""))


def run_log_row(report: RefreshReport, user: str) -> dict[str, Any]:
    parts = [f"读取文件 files: {', '.join(f.name for f in report.files) or '-'}",
             f"更新 updated {report.cells_updated} cells in {report.rows_updated} rows, "
             f"recomputed {report.computed_cells} cells"]
    if report.snapshots_added:
        parts.append(f"粉丝快照 snapshots +{report.snapshots_added}")
    if report.sync is not None:
        parts.append(f"同步 sync: {report.sync.get('message', '')}")
    if report.reminders:
        parts.append(report.reminders)
    unmatched = report.unmatched_lines()
    if unmatched:
        parts.append("; ".join(unmatched[:LIST_UNMATCHED]) + (f" (+{len(unmatched) - LIST_UNMATCHED})" if len(unmatched) > LIST_UNMATCHED else ""))
    issues = report.warnings + report.problems
    if issues:
        parts.append(f"{len(issues)} 警告 warnings: " + " | ".join(issues[:5]))
    sync = report.sync or {}
    return {
        "run_at": report.run_at, "job": "refresh", "user": user, "files_read": len(report.files),
        "rows_updated": report.rows_updated, "rows_unmatched": report.rows_unmatched,
        "pushed": sync.get("pushed", 0), "pulled": sync.get("pulled", 0), "conflicts": sync.get("conflicts", 0),
        "status": report.status, "message": ". ".join(parts)[:4000],
    }


def refresh_workbook(path: str | Path, exports_dir: str | Path | None = None, *, sync: bool = True,
                     progress: Progress | None = None, now: dt.datetime | None = None,
                     backup: bool = True) -> RefreshReport:
    """Headless refresh of a workbook file: read, import, match, recompute, sync, atomic save.

    Raises :class:`workbook_addin.workbook.tables_io.WorkbookLockedError` when the file is open in Excel or
    LibreOffice and :class:`workbook_addin.workbook.tables_io.WorkbookError` when it cannot be read.
    """
    return run_refresh(WorkbookFile(path, backup=backup), exports_dir, sync=sync, progress=progress, now=now)
