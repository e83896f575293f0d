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
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from .archive_changes import apply_sync_result, rescore_note
from .refresh_tables import apply_updates, as_read, confirm_rows, new_snapshots, unmatched_rows
from ..workbook.calc_sheet import LAST as LAST_REFRESH, last_refresh_frame
from ..core.schema import load_schema
# the layout and changes modules, not the tables_io facade: xlwings Lite loads this job without
# the file reader and writer
from ..workbook.tables_changes import WorkbookChanges, diff_columns, replace_rows
from ..core.gc_pause import gc_paused
from ..workbook.tables_layout import STATUS_NAME, WorkbookData
from ..core.errors import LianxingError
from ..core.settings import Settings
from ..core.timing import timed

if TYPE_CHECKING:
    from ..engine.evaluation import Evaluation
    from ..importers.batch import ImportBatch

Progress = Callable[[str, float], None]  # (what is happening, fraction done 0..1)
#: how many unmatched rows the run-log message lists by name (all are in the report)
LIST_UNMATCHED = 10


class WorkbookAdapter(Protocol):
    """A workbook the refresh reads and writes: a file headless, the open book in live Excel."""

    @property
    def folder(self) -> Path: ...

    @property
    def formulas_recalculate(self) -> bool: ...  # live Excel recalculates formula cells; files need cached values

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
    proposals: pd.DataFrame = field(default_factory=pd.DataFrame)  # guessed matches awaiting a person
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)  # export values not written, and why
    order_changes: pd.DataFrame = field(default_factory=pd.DataFrame)  # ledger orders a newer export changed
    unmatched_sheet: pd.DataFrame | None = None  # the Unmatched exports sheet as this run wrote it
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # engine / import problems (sheet, row, column)
    sync: dict[str, Any] | None = None  # the sync's run-log entry, when it ran
    sync_ok: bool | None = None
    sync_note: str = ""  # why the sync did not run here and where it runs instead (xlwings Lite)
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
        attention = self.warnings or self.problems or self.rows_unmatched or len(self.proposals) or len(self.rejected)
        return "warnings" if attention else "ok"

    def unmatched_lines(self, limit: int | None = None) -> list[str]:
        """One line per unmatched or ambiguous export row; the identifying text whole and escaped."""
        lines = []
        for frame, kind in ((self.unmatched, "未匹配 unmatched"), (self.ambiguous, "多个匹配 ambiguous")):
            if frame is None or frame.empty:
                continue
            for r in frame.to_dict("records"):
                where = f"{r.get('source_file', '?')} 第{r.get('source_row', '?')}行 row {r.get('source_row', '?')}"
                what = next((r[k] for k in ("post_url", "promo_code", "utm_campaign", "handle")
                             if isinstance(r.get(k), str) and r[k]), "")
                reason = r.get("reason") or r.get("candidates") or ""
                lines.append(f"{kind}: {where} {shown(what) if what else ''}: {reason}".replace("  ", " ").strip())
        return lines if limit is None else lines[:limit]

    def unmatched_table(self) -> pd.DataFrame:
        """Every unmatched or ambiguous export row, rejected value and unreadable cell: the Unmatched
        exports sheet's rows (``lianxing refresh --unmatched-csv``)."""
        return self.unmatched_sheet if self.unmatched_sheet is not None else unmatched_rows(self, [])

    def order_lines(self) -> list[str]:
        """Orders a newer export changed (refunds, cancellations), with by how much."""
        if self.order_changes is None or self.order_changes.empty:
            return []
        lines = []
        for (source, item, cid), g in self.order_changes.groupby(["source", "item_id", "collab_id"], sort=False):
            parts = [f"{'成交额 GMV' if c == 'gmv' else '订单 orders'} {_num(o)} → {_num(n)} ({_signed(n - o)})"
                     for c, o, n in zip(g["column"], g["old"], g["new"])]
            lines.append(f"{source} {item} ({cid}): {', '.join(parts)} [{g['file'].iloc[-1]}]")
        return lines

    def summary(self) -> str:
        """A few bilingual lines for a person (CLI output, the Excel alert)."""
        lines = [self.status_line]
        if self.sync is not None:
            lines.append(f"同步 Sync: {self.sync.get('message', '')}")
        if self.sync_note:
            lines.append(self.sync_note)
        orders = self.order_lines()
        if orders:
            lines.append(f"订单有变化 Orders changed by a newer export ({len(orders)}):")
            lines += ["  " + m for m in orders[:LIST_UNMATCHED]]
            lines += [f"  … +{len(orders) - LIST_UNMATCHED}"] if len(orders) > LIST_UNMATCHED else []
        if len(self.proposals):
            lines.append(f"待确认匹配 Matches to confirm ({len(self.proposals)}): 见工作表 see the sheet 待确认匹配 "
                         "Matches to "
                         "confirm")
        if len(self.rejected):
            lines.append(f"拒绝的导出值 Export values rejected ({len(self.rejected)}): 见工作表 see the sheet 未匹配 "
                         "Unmatched "
                         "exports")
        more = self.unmatched_lines()
        if more:
            lines.append(f"未匹配的导出行 Export rows not matched ({len(more)}; 全部见工作表 all on the sheet 未匹配 "
                         "Unmatched "
                         "exports):")
            lines += ["  " + m for m in more[:LIST_UNMATCHED]]
            if len(more) > LIST_UNMATCHED:
                lines.append(f"  … +{len(more) - LIST_UNMATCHED}")
        for w in (self.warnings + self.problems)[:LIST_UNMATCHED]:
            lines.append("  ! " + w)
        if len(self.warnings) + len(self.problems) > LIST_UNMATCHED:
            lines.append(f"  ! … +{len(self.warnings) + len(self.problems) - LIST_UNMATCHED}")
        return "\n".join(lines)


def shown(text: Any) -> str:
    """Text from an export as a person should see it: whole, quoted, control characters escaped."""
    return json.dumps(str(text), ensure_ascii=False)


def _num(v: float) -> str:
    return "-" if v != v else f"{v:,.2f}".rstrip("0").rstrip(".")


def _signed(v: float) -> str:
    return "-" if v != v else ("+" if v >= 0 else "−") + _num(abs(v))


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


def _sync(report: RefreshReport, data: WorkbookData, tables: dict[str, pd.DataFrame], folder: Path,
          now: dt.datetime, user: str, base: Any = None):
    """Runs the archive sync on the recomputed creators; returns its SyncResult (None when skipped).
    ``base``: the sync base known without reading it, on a repeat (:mod:`.refresh_base`)."""
    try:
        from sheets_sync.sync import sync_workbook_tables
    except ImportError as exc:  # the sync package is part of this product; a broken install is reported
        report.warnings.append(f"同步不可用 sync unavailable: {exc}")
        return None
    given: dict[str, pd.DataFrame] = {k: tables[k] for k in ("creators", "sync_base", "conflicts") if k in tables}
    result = sync_workbook_tables(given, {**data.settings_values, "user": user}, workbook_dir=folder,
                                  user=user, now=now.strftime("%Y-%m-%d %H:%M:%S"), base=base)
    report.sync = dict(result.log)
    report.sync_ok = bool(result.ok)
    report.warnings += [f"同步 sync: {p}" for p in result.problems[:LIST_UNMATCHED]]
    return result


class ExportFolderError(LianxingError):
    """The export folder does not exist: nothing is recomputed or saved (a typo must not look like a quiet day)."""


def run_refresh(book: WorkbookAdapter, exports_dir: str | Path | None = None, *, sync: bool = True,
                progress: Progress | None = None, now: dt.datetime | None = None,
                user: str | None = None, sync_note: str = "") -> RefreshReport:
    """The refresh job on any workbook adapter (file or live Excel). See the module docstring.

    ``sync_note`` (with ``sync=False``) tells the person where the archive sync runs instead; it
    goes into the status line, the summary and the run log.
    Raises :class:`ExportFolderError` before anything is written when the export folder is missing.
    """
    with gc_paused():  # millions of short-lived cell values, no cycles: see gc_paused
        report = RefreshReport(run_at=(now or dt.datetime.now()).replace(microsecond=0),
                               sync_note="" if sync else sync_note)
        return _run_refresh(book, exports_dir, report, sync=sync, progress=progress, user=user)


class _Steps:
    """Runs the job's named steps in order, telling the user and timing each one (``report.timings``)."""

    def __init__(self, report: RefreshReport, progress: Progress | None):
        self.report, self.say = report, progress or (lambda text, fraction: None)

    @contextmanager
    def step(self, name: str, text: str, fraction: float) -> Iterator[None]:
        self.say(text, fraction)
        with timed(self.report.timings, name):
            yield


@dataclass
class _Run:
    """What the steps share: the workbook as read, its tables as they change, the cells to write."""

    data: WorkbookData
    tables: dict[str, pd.DataFrame]
    settings: Settings
    changes: WorkbookChanges = field(default_factory=WorkbookChanges)
    computed: dict[str, pd.DataFrame] = field(default_factory=dict)
    insights: dict[str, pd.DataFrame] = field(default_factory=dict)
    memo: dict[str, Any] | None = None  # the last refresh's findings, when this one repeats it
    memo_exports: str | None = None  # a file's export-folder digest for its memo (None: live Excel)
    facts: dict[str, Any] | None = None  # what this refresh remembers for a repeat
    known_base: Any = None  # a repeat's sync base, certified by the memo and not read (.refresh_base)
    synced: Any = None  # this refresh's SyncResult, when the sync ran
    written_early: list[WorkbookChanges] = field(default_factory=list)  # handed to the writer before the end


def _run_refresh(book: WorkbookAdapter, exports_dir: str | Path | None, report: RefreshReport, *, sync: bool,
                 progress: Progress | None, user: str | None) -> RefreshReport:
    now = report.run_at
    user = user or _user()
    steps = _Steps(report, progress)
    with steps.step("read", "读取工作簿 Reading the workbook", 0.0):
        run = _read_book(book, report, exports_dir, sync)
    if run.memo is None:
        _recompute(steps, report, run, book)
    with steps.step("sync", "同步档案库 Syncing the archive", 0.7):
        if sync:
            result = run.synced = _sync(report, run.data, {**run.tables, **run.computed}, Path(book.folder), now,
                                        user, run.known_base)
            if result is not None and result.ok:  # the refresh writes its own run-log row
                if stale := apply_sync_result(run.changes, run.data, run.tables, result, log=False):
                    report.warnings.append(rescore_note(stale))
    with steps.step("write", "写入结果 Writing results", 0.85):
        _finish(report, run, book, user)
        _remember(report, run, book)
    steps.say("完成 Done", 1.0)
    return report


#: tables final once the exports are in (the ledger) and once scored (Collaborations: nothing after
#: the engine changes them; the sync changes Creators): written early, see _write_early
_FINAL_AFTER_IMPORT = ("ledger",)
_FINAL_AFTER_SCORING = ("collaborations",)


def _recompute(steps: _Steps, report: RefreshReport, run: _Run, book: WorkbookAdapter) -> None:
    """Import, recompute, insight sheets, and the cells that change: the refresh proper."""
    with steps.step("match", "读取导出文件 Reading exports", 0.15):
        from ..importers import read_exports

        batch = read_exports(report.exports_dir or (), run.data.settings_tables.get("import_map"))
    with steps.step("read", "读取工作簿其余部分 Reading the rest of the workbook", 0.2):
        _read_later(report, run, book, _READ_FOR_IMPORT)
    with steps.step("match", "匹配导出行 Matching exports", 0.25):
        _import_exports(report, run, batch, book)
    with steps.step("compute", "重新计算 Recomputing scores", 0.5):
        inputs = _inputs(run.tables)
        evaluation = _evaluate(inputs, run.settings, report.run_at.date())
        report.problems += [str(p) for p in evaluation.problems]
        run.computed = dict(evaluation.tables)
        _diff_computed_columns(report, run)
        _write_early(run, book, _FINAL_AFTER_SCORING)
    with steps.step("insights", "更新分析表 Updating the insight sheets", 0.6):
        run.insights = _insights(report, evaluation, inputs, run.settings, report.run_at)
    with steps.step("read", "读取工作簿其余部分 Reading the rest of the workbook", 0.62):
        _read_later(report, run, book, None)
    with steps.step("write", "比较单元格 Comparing cells", 0.65):
        _diff_computed_sheets(run)
        if run.memo_exports is not None:  # what a repeat of this refresh must tell again (the sync adds its own)
            from . import refresh_memo

            run.facts = refresh_memo.facts_of(report)


#: the tables a refresh frames first (with the Settings); the others are parsed in the background
#: while it works and framed when needed: those the import needs once the exports are read (the
#: 50 000-row Collaborations sheet is parsed meanwhile), the rest once the scores are computed
_READ_FIRST = frozenset({"creators", "outreach", "reviews", "snapshots", "confirm", "run_log"})
_READ_FOR_IMPORT = ("collaborations", "ledger", "unmatched")

#: the tables a repeat of the last refresh reads (the run log it appends to) and those the sync needs
#: (its base only when the memo cannot vouch for it: see .refresh_base)
_REPEAT_KEYS = frozenset({"run_log"})
_SYNC_KEYS = frozenset({"creators", "conflicts"})


def _read_book(book: WorkbookAdapter, report: RefreshReport, exports_dir: str | Path | None, sync: bool) -> _Run:
    """Reads the workbook; a file whose bytes, exports, day and code are those the last refresh
    left is read only as far as a repeat needs (:mod:`.refresh_memo`), and its findings retold."""
    digest = getattr(book, "digest", None)
    exports = None
    if digest is not None:  # a file (live Excel is never memoised: its workbook has no bytes to compare)
        from . import refresh_memo

        keys = _REPEAT_KEYS | (_SYNC_KEYS if sync else frozenset())
        data = book.read(keys=keys)  # type: ignore[call-arg]
        report.exports_dir = _checked_exports(data, book, exports_dir)
        exports = refresh_memo.folder_digest(report.exports_dir)
        key = refresh_memo.inputs_key(digest(), exports, report.run_at.date())
        memo = refresh_memo.recall(key)
        if memo is not None:
            refresh_memo.retell(report, memo)
            settings, _problems = data.settings()  # remembered in the memo
            run = _Run(data, dict(data.tables), settings, memo=memo, memo_exports=exports, facts=memo)
            if sync:
                from . import refresh_base

                run.known_base = refresh_base.known_base(book, run, keys)
            return run
    data = book.read(first=_READ_FIRST) if hasattr(book, "read_later") else book.read()  # type: ignore[call-arg]
    report.exports_dir = _checked_exports(data, book, exports_dir)
    report.warnings += data.warnings
    settings, problems = data.settings()
    report.problems += [str(p) for p in problems]
    return _Run(data, dict(data.tables), settings, memo_exports=exports)


def _checked_exports(data: WorkbookData, book: WorkbookAdapter, exports_dir: str | Path | None) -> Path:
    folder = _exports_dir(data, Path(book.folder), exports_dir)
    if not folder.is_dir():
        raise ExportFolderError(f"导出文件夹不存在 export folder not found: {folder} — "
                                "未保存任何更改 nothing was changed; 请检查路径或设置表的导出文件夹 "
                                "check the path or the Settings sheet's export folder")
    return folder


def _read_later(report: RefreshReport, run: _Run, book: WorkbookAdapter, keys: tuple[str, ...] | None) -> None:
    """The tables a file's first read left for later (``keys``, or all the rest), into the run."""
    read_later = getattr(book, "read_later", None)
    if read_later is not None:
        report.warnings += read_later(keys)
        run.tables.update({k: v for k, v in run.data.tables.items() if k not in run.tables})


def _remember(report: RefreshReport, run: _Run, book: WorkbookAdapter) -> None:
    """Memoises this refresh under the workbook it just wrote, unless the sync pulled changes into
    it (then the next refresh must recompute them) or it added sheets (a repeat must not say so again)."""
    pulled = (report.sync or {}).get("pulled")
    if run.memo_exports is None or run.facts is None or pulled or getattr(book, "upgraded", []):
        return
    from . import refresh_base, refresh_memo

    key = refresh_memo.inputs_key(book.written_digest(), run.memo_exports, report.run_at.date())  # type: ignore[attr-defined]
    facts = {k: v for k, v in run.facts.items() if k != refresh_base.MEMO_KEY}
    cert = refresh_base.certificate_after(run, run.synced)
    refresh_memo.remember(key, {**facts, refresh_base.MEMO_KEY: cert} if cert else facts)


def _inputs(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {k: tables[k] for k in ("creators", "outreach", "collaborations", "reviews", "snapshots") if k in tables}


def _evaluate(inputs: dict[str, pd.DataFrame], settings: Settings, today: dt.date) -> Evaluation:
    from ..engine import evaluation as engine

    return engine.evaluate(inputs, settings, today=today)


def _import_exports(report: RefreshReport, run: _Run, batch: ImportBatch, book: WorkbookAdapter) -> None:
    """Matches the exports read, folds them into the ledger and applies the ledger's totals;
    rewrites the Matches to confirm, Unmatched exports and ledger sheets. The ledger is written
    early, the moment it is final (see _ledger_ready)."""
    from ..importers import match_exports

    data, tables, changes = run.data, run.tables, run.changes
    report.files = list(batch.files)
    report.problems += [str(p) for p in batch.problems]
    report.warnings += [f"{f.name}: {w}" for f in batch.files for w in f.warnings]
    if "ledger" not in data.layouts:
        report.warnings.append("工作簿没有台账表 the workbook has no import ledger (_ledger): totals count only the "
                               "files in the folder now; 用 lianxing new 重建 rebuild it with lianxing new --from")
    matched = match_exports(batch, tables["collaborations"], tables.get("creators"), ledger=tables.get("ledger"),
                            decisions=tables.get("confirm"),
                            ledger_ready=lambda ledger: _ledger_ready(run, book, ledger))
    report.unmatched, report.ambiguous = matched.unmatched, matched.ambiguous
    report.proposals, report.rejected = matched.proposals, matched.rejected
    report.order_changes = matched.ledger_changes
    report.problems += [str(p) for p in matched.problems]
    tables["collaborations"], report.rows_updated, report.cells_updated = apply_updates(
        changes, tables["collaborations"], matched.updates)
    _add_snapshots(report, run, getattr(matched, "followers", None))
    report.unmatched_sheet = unmatched_rows(report, batch.problems)
    sheets = {"confirm": confirm_rows(tables.get("confirm"), matched.proposals), "unmatched": report.unmatched_sheet}
    for key, frame in sheets.items():
        if key in data.layouts:
            frame = as_read(frame)
            replace_rows(changes, key, data.tables[key], frame, data.layouts[key])
            tables[key] = frame


def _ledger_ready(run: _Run, book: WorkbookAdapter, ledger: pd.DataFrame) -> None:
    """The ledger's cells, and the ledger to its writer, as soon as the exports are folded in: the
    second process patches the hidden sheet while the import works out totals and changes (the
    ledger is what it patches first, and Collaborations waits for it)."""
    if "ledger" in run.data.layouts:
        frame = as_read(ledger)
        replace_rows(run.changes, "ledger", run.data.tables["ledger"], frame, run.data.layouts["ledger"])
        run.tables["ledger"] = frame
    _write_early(run, book, _FINAL_AFTER_IMPORT)


def _add_snapshots(report: RefreshReport, run: _Run, followers: pd.DataFrame | None) -> None:
    data, tables = run.data, run.tables
    if "snapshots" not in data.layouts:
        return
    new = new_snapshots(tables.get("snapshots", pd.DataFrame()), followers)
    if not new:
        return
    run.changes.appends["snapshots"] = new
    report.snapshots_added = len(new)
    extra = pd.DataFrame(new, columns=tables["snapshots"].columns, dtype=object)
    extra.index = pd.RangeIndex(data.layouts["snapshots"].next_row,
                                data.layouts["snapshots"].next_row + len(new), name="excel_row")
    tables["snapshots"] = pd.concat([tables["snapshots"], extra]) if len(tables["snapshots"]) else extra


def _write_early(run: _Run, book: WorkbookAdapter, tables: tuple[str, ...]) -> None:
    """Hands a file's tables the job will not change again to its writer now (their big sheets are
    then patched in a second process while this one goes on computing). Live Excel writes at the end."""
    write_early = getattr(book, "write_early", None)
    if write_early is not None:
        taken = run.changes.take(tables)
        write_early(taken)
        run.written_early.append(taken)


def _diff_computed_columns(report: RefreshReport, run: _Run) -> None:
    """Records the computed cells of the input sheets whose value changed: what people typed is never rewritten."""
    data, tables, computed, inputs = run.data, run.tables, run.computed, _inputs(run.tables)
    for sheet in load_schema().sheets:
        key = sheet.key
        if key in data.layouts and key in computed and key in inputs:
            # only columns the workbook has (a missing one is already a warning): the reader fills
            # it with blanks, so every computed cell would "differ" on every run and not be written
            present = data.layouts[key].columns
            report.computed_cells += diff_columns(run.changes, key, tables[key], computed[key],
                                                  [c.key for c in sheet.computed_columns if c.key in present])


def _diff_computed_sheets(run: _Run) -> None:
    """Records the rows of the sheets Python fills (Scores, the insight sheets, the fallbacks) that changed."""
    data, tables, computed = run.data, run.tables, run.computed
    if "scores" in computed and "scores" in data.layouts:
        replace_rows(run.changes, "scores", data.tables["scores"], as_read(computed["scores"].reset_index(drop=True)),
                     data.layouts["scores"])
    for key, frame in run.insights.items():  # Playbook, Reminders, Duplicates, ...: rewritten like Scores
        if key in data.layouts:
            replace_rows(run.changes, key, data.tables[key], as_read(frame), data.layouts[key])
    if LAST_REFRESH in data.layouts and "scores" in computed and "creators" in computed and "creators" in tables:
        # what the Python-computed cells fall back to where Python is not running: keys as
        # computed, the key formula's platform|handle|profile text as the cells hold it
        creators = tables["creators"].assign(creator_key=computed["creators"]["creator_key"])
        replace_rows(run.changes, LAST_REFRESH, data.tables[LAST_REFRESH],
                     as_read(last_refresh_frame(creators, computed["scores"])), data.layouts[LAST_REFRESH])


def _finish(report: RefreshReport, run: _Run, book: WorkbookAdapter, user: str) -> None:
    """Dashboard values, status line, run-log row; then the one write."""
    data, changes = run.data, run.changes
    if not book.formulas_recalculate and data.dashboard_markets is not None and run.memo is None:
        # A file on disk is not recalculated on open, so the dashboard's formulas get the values
        # the build would store (same function). Live Excel recalculates its native formulas itself.
        from ..workbook.dashboard_cells import DASHBOARD_SHEET, cached_values, dashboard_layout

        schema = load_schema()
        layout = dashboard_layout(schema, data.dashboard_markets)
        changes.sheet_values[DASHBOARD_SHEET] = cached_values(schema, {**run.computed, **run.insights}, layout)
    report.status_line = status_line(report)
    changes.names[STATUS_NAME] = report.status_line
    if not book.formulas_recalculate and data.dashboard_markets is not None:
        # the live-values line's text as a viewer that does not recalculate shows it: this refresh's time
        from ..workbook.calc_sheet import LIVE_LINE_CELLS, live_line_text
        from ..workbook.dashboard_cells import DASHBOARD_SHEET

        for sheet, ref in ((DASHBOARD_SHEET, LIVE_LINE_CELLS["dashboard"]),
                           (load_schema().sheet("scores").name, LIVE_LINE_CELLS["scores"])):
            changes.sheet_values.setdefault(sheet, {})[ref] = live_line_text(report.status_line)
    if "run_log" in data.layouts:
        changes.appends.setdefault("run_log", []).append(run_log_row(report, user))
    _hand_over_frames(run, book)
    book.write(changes)
    for early in run.written_early:
        changes.merge(early)
    report.changes = changes  # everything written, the early tables too


#: what the job still reads once its cells are written: the sync base it certifies (.refresh_base)
_KEPT_AFTER_WRITE = frozenset({"sync_base"})


def _hand_over_frames(run: _Run, book: WorkbookAdapter) -> None:
    """Gives a file's writer the job's frames to drop while it saves (millions of objects at 50 000
    collaborations: freeing them after the job cost as long as the save waits for the second
    process and the disk). Live Excel and xlwings Lite free them when the job ends, as before."""
    free = getattr(book, "free_during_write", None)
    if free is None:
        return
    frames = [run.tables, dict(run.data.tables), run.computed, run.insights]
    run.tables = {k: v for k, v in run.tables.items() if k in _KEPT_AFTER_WRITE}
    run.computed, run.insights = {}, {}
    run.data.tables.clear()
    free(frames)


def _insights(report: RefreshReport, evaluation: Evaluation, inputs: dict[str, pd.DataFrame], settings: Settings,
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
            + (f", 待确认 to confirm {len(report.proposals)}" if len(report.proposals) else "")
            + (f"; {report.reminders}" if report.reminders else "")
            + (f"; {report.sync_note}" if report.sync_note else ""))


def run_log_row(report: RefreshReport, user: str) -> dict[str, Any]:
    parts = [f"读取文件 files: {', '.join(f.name for f in report.files) or '-'}",
             f"更新 updated {report.cells_updated} cells in {report.rows_updated} rows, "
             f"recomputed {report.computed_cells} cells"]
    if report.snapshots_added:
        parts.append(f"粉丝快照 snapshots +{report.snapshots_added}")
    if report.sync is not None:
        parts.append(f"同步 sync: {report.sync.get('message', '')}")
    if report.sync_note:
        parts.append(report.sync_note)
    if report.reminders:
        parts.append(report.reminders)
    basis = [f"{f.name}: {f.gmv_basis}" for f in report.files if getattr(f, "gmv_basis", None)]
    if basis:
        parts.append("成交额口径 GMV from " + "; ".join(basis))
    orders = report.order_lines()
    if orders:
        more = f" (+{len(orders) - LIST_UNMATCHED})" if len(orders) > LIST_UNMATCHED else ""
        parts.append("订单变化 orders changed: " + "; ".join(orders[:LIST_UNMATCHED]) + more)
    if len(report.proposals):
        parts.append(f"待确认匹配 matches to confirm {len(report.proposals)}")
    if len(report.rejected):
        parts.append(f"拒绝的导出值 values rejected {len(report.rejected)}")
    unmatched = report.unmatched_lines()
    if unmatched:
        more = f" (+{len(unmatched) - LIST_UNMATCHED})" if len(unmatched) > LIST_UNMATCHED else ""
        parts.append("; ".join(unmatched[:LIST_UNMATCHED]) + more)
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
    from ..workbook.tables_io import WorkbookFile
    from . import refresh_memo

    book = WorkbookFile(path, backup=backup, upgrade=True,  # a workbook built before the ledger gains its sheets
                        second_process=True, memo=refresh_memo.table_memo())
    try:
        return run_refresh(book, exports_dir, sync=sync, progress=progress, now=now)
    finally:
        book.close()  # the second process ends with the job, also when the job stopped before writing
