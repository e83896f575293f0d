"""Writing changed cells back to a workbook file: zip/XML patches, an atomic save, a backup.

Writing goes through :mod:`workbook_addin.workbook.xlsx`, which patches only the worksheet and table
parts that change and copies every other part (VBA project, the Refresh button, charts, comments,
styles, sheets a user added) byte for byte. Saves are atomic with a timestamped backup, and are
refused while Excel or LibreOffice has the file open.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import threading
import time
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.schema import Schema, load_schema
from .xlsx import XlsxPackage
from .xlsx.package import PackageError
from .xlsx.part_patch import SecondProcess
from .xlsx.refs import split_ref
from .tables_changes import WorkbookChanges
from ..core.gc_pause import gc_paused
from . import table_memo
from .tables_layout import TableLayout, WorkbookData, table_specs
from .tables_locks import WorkbookError, check_not_open
from .tables_read import Grids, read_later, read_package
from .upgrade import add_missing_sheets

if TYPE_CHECKING:
    from .table_memo import TableMemo

BACKUP_DIR = "backups"
KEEP_BACKUPS = 10


def apply_to_package(pkg: XlsxPackage, data: WorkbookData, changes: WorkbookChanges) -> None:
    """Turns schema-keyed changes into cell writes and table resizes on a package."""
    for key, rows in changes.cells.items():
        layout = data.layouts[key]
        pkg.set_table_rows(layout.table, _by_column(rows, layout.columns), owned=True)
    for key, keep in changes.keep_rows.items():
        layout = data.layouts[key]
        pkg.resize_table(layout.table, layout.first_data_row + keep - 1)
        if keep == 0:  # a table keeps one (empty) data row
            for col in layout.columns.values():
                pkg.set_table_value(layout.table, layout.first_data_row, col, None)
    for key, records in changes.appends.items():
        if not records:
            continue
        layout = data.layouts[key]
        start = append_start(changes, key, layout)
        last = start + len(records) - 1
        if last > layout.last_row:
            pkg.resize_table(layout.table, last)
        pkg.set_table_rows(layout.table, {start + i: {layout.columns[k]: v for k,
                                                      v in rec.items() if k in layout.columns}
                                          for i, rec in enumerate(records)}, owned=True)
    for name, value in changes.names.items():
        where = data.names.get(name)
        if where is None:
            data.warnings.append(f"名称 {name} 不存在 / named cell {name} is missing; not written")
            continue
        pkg.set_cell(where[0], where[1], where[2], value)
    for sheet, values in changes.sheet_values.items():
        if sheet not in pkg.sheets:
            data.warnings.append(f"工作表 {sheet} 不存在 / sheet {sheet} is missing; not written")
            continue
        for ref, value in values.items():
            row, col = split_ref(ref)
            pkg.set_cell(sheet, row, col, value)


def append_start(changes: WorkbookChanges, key: str, layout: TableLayout) -> int:
    """The row where the rows ``changes`` append to table ``key`` start."""
    if key in changes.keep_rows:
        return layout.first_data_row + changes.keep_rows[key]
    start = layout.next_row
    if changes.cells.get(key):  # rows written above may extend past the last non-empty row
        start = max(start, max(changes.cells[key]) + 1)
    return start


def _by_column(rows: dict[int, dict[str, Any]], columns: dict[str, int]) -> dict[int, dict[int, Any]]:
    """Row -> schema key -> value as row -> sheet column -> value (keys the table lacks left out):
    rows that set the same keys (a refresh's 50 000 rows of metrics) map their keys once, and a row
    whose keys the table all has is made by one ``dict(zip(...))``."""
    out: dict[int, dict[int, Any]] = {}
    seen: dict[tuple[str, ...], tuple[list[int | None], bool]] = {}
    for row, values in rows.items():
        keys = tuple(values)
        found = seen.get(keys)
        if found is None:
            cols = [columns.get(k) for k in keys]
            found = seen[keys] = (cols, None not in cols)
        cols, whole = found
        out[row] = dict(zip(cols, values.values())) if whole else {  # type: ignore[arg-type]
            c: v for c, v in zip(cols, values.values()) if c is not None}
    return out


def backup_file(path: Path, *, keep: int = KEEP_BACKUPS, now: dt.datetime | None = None) -> Path:
    """Copies the workbook to ``backups/<stem>.<YYYY-MM-DDTHHMMSS>.bak<suffix>`` and keeps the last ``keep``."""
    path = Path(path)
    folder = path.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    stamp = (now or dt.datetime.now()).strftime("%Y-%m-%dT%H%M%S")
    target = folder / f"{path.stem}.{stamp}.bak{path.suffix}"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{path.stem}.{stamp}-{n}.bak{path.suffix}"
    shutil.copy2(path, target)
    old = sorted(folder.glob(f"{glob_escape(path.stem)}.*.bak{path.suffix}"), key=lambda p: p.stat().st_mtime_ns)
    for p in old[: max(0, len(old) - keep)]:
        p.unlink()
    return target


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def save_package(pkg: XlsxPackage, path: str | Path, *, backup: bool = True, keep: int = KEEP_BACKUPS,
                 now: dt.datetime | None = None, helper: SecondProcess | None = None) -> Path | None:
    """Atomic save: write a temp file beside the workbook, fsync, back the old file up, os.replace.

    A crash at any point leaves either the old workbook or the new one, never half of each.
    Returns the backup's path (None when no backup was made).
    """
    path = Path(path)
    check_not_open(path)
    remove_stale_temps(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        with open(tmp, "wb") as f:
            pkg.save(f, helper)
            f.flush()
            os.fsync(f.fileno())
        made = backup_file(path, keep=keep, now=now) if backup and path.exists() else None
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # directories cannot be fsynced on some platforms (Windows)
        pass
    return made


#: a temp file this old belongs to a save that was killed (a save takes seconds)
STALE_TEMP_SECONDS = 3600


def remove_stale_temps(path: Path) -> list[Path]:
    """Deletes the hidden full-size temp files that killed saves of ``path`` left behind: those of a
    process that no longer runs, or older than :data:`STALE_TEMP_SECONDS`. A running save's file stays."""
    removed = []
    for tmp in path.parent.glob(f".{glob_escape(path.stem)}.*.tmp{glob_escape(path.suffix)}"):
        pid = tmp.name[len(path.stem) + 2:-len(".tmp" + path.suffix)]
        try:
            old = time.time() - tmp.stat().st_mtime > STALE_TEMP_SECONDS
            if pid.isdigit() and int(pid) != os.getpid() and (old or not _running(int(pid))):
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            continue
    return removed


def _running(pid: int) -> bool:
    if os.name != "posix":  # Windows' os.kill would end the process: go by age alone there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkbookFile:
    """The headless adapter: a workbook file read with calamine, written by zip/XML patching."""

    def __init__(self, path: str | Path, *, schema: Schema | None = None, backup: bool = True,
                 upgrade: bool = False, second_process: bool = False, memo: TableMemo | None = None):
        self.path = Path(path)
        self.memo = memo  # where long tables are remembered as saved (.table_memo)
        self._memos: table_memo.FileMemos | None = None  # this file's, through this job
        self.schema = schema or load_schema()
        self.backup = backup
        self.upgrade = upgrade  # add the sheets an older build lacks (workbook.upgrade) to what write() saves
        self.upgraded: list[str] = []  # the sheets read() added
        self._pkg: XlsxPackage | None = None
        self._book: Any = None  # the calamine workbook read() parses sheets from
        self._grids = Grids()  # the sheets' cell rows parsed so far
        self._data: WorkbookData | None = None
        self._stamp: tuple[int, int] | None = None
        self.last_backup: Path | None = None
        # a job that will write a big workbook starts the save's second process after reading it (xlsx.part_patch)
        self.second_process = second_process
        self._helper: SecondProcess | None = None
        self._written_early: set[str] = set()  # tables write_early took: the job may not change them again
        self._garbage: list[Any] = []  # see free_during_write

    @property
    def folder(self) -> Path:
        return self.path.resolve().parent

    formulas_recalculate = False  # nobody recalculates a file on disk: formula cells get cached values

    def read(self, keys: Collection[str] | None = None, *, same_file: bool = False,
             first: Collection[str] | None = None) -> WorkbookData:
        """The workbook's tables (only the schema sheets in ``keys`` when given), Settings and layout.
        ``same_file``: a further read for the same job, refused if the file changed since the last
        (its tables would not be those the job has read so far). ``first``: only these tables are
        framed now, the others parsed in the background and framed by :meth:`read_later`, so a job
        starts on what it needs first (the refresh reads its exports meanwhile)."""
        if not self.path.exists():
            raise WorkbookError(f"{self.path}: 文件不存在 / no such workbook")
        check_not_open(self.path)
        st = self.path.stat()
        if same_file and self._pkg is not None and (st.st_mtime_ns, st.st_size) != self._stamp:
            raise WorkbookError(f"{self.path.name} 在刷新期间被修改 / changed on disk while the job ran")
        if self._pkg is None or self._book is None or (st.st_mtime_ns, st.st_size) != self._stamp:
            self._open()  # else a second read (the whole workbook after a repeat's check) reuses the first's
        self._stamp = (st.st_mtime_ns, st.st_size)
        added = add_missing_sheets(self._pkg, self.schema) if self.upgrade and keys is None else {}
        self.upgraded += list(added)
        self._grids.parsed.update({name: [headers] for name, headers in added.items()})
        self._recall(keys)
        with gc_paused():
            self._data = read_package(self._pkg, self._book, self.path, self.schema, keys, self._grids, first)
        if self._memos is not None:
            self._memos.framed(self._data.tables)
        if keys is None and first is None:
            self._start_helper()
        self._data.warnings += [f"已添加工作表 added the sheet {name}: 此工作簿建于该表之前 "
                                "this workbook was built before it existed" for name in added]
        return self._data

    def _recall(self, keys: Collection[str] | None) -> None:
        """The memo's frames of the tables this read frames, for the grids to give instead of parsing."""
        if self._memos is not None:
            self._memos.recall(keys, self._grids.known)

    def _apply(self, changes: WorkbookChanges) -> None:
        """Applies ``changes`` to the package, and notes what they write for the memo."""
        apply_to_package(self._pkg, self._data, changes)  # type: ignore[arg-type]
        if self._memos is None or self._data is None:
            return
        for key in changes.tables():
            layout = self._data.layouts[key]
            self._memos.written.setdefault(key, []).append(table_memo.Written(
                changes.cells.get(key, {}), changes.appends.get(key, []), append_start(changes, key, layout),
                changes.keep_rows.get(key)))
        self._memos.touched += [(sheet, *split_ref(ref)) for sheet, cells in changes.sheet_values.items()
                                for ref in cells]
        self._memos.touched += [tuple(where) for name in changes.names  # type: ignore[misc]
                                if (where := self._data.names.get(name)) is not None]

    def _memos_on_a_thread(self) -> tuple[threading.Thread, dict[str, Any]]:
        """Starts making the memos of the long tables read, on a thread that runs while the save
        waits for the second process and the disk."""
        made: dict[str, Any] = {}
        if self._memos is not None and self._data is not None:
            layouts = self._data.layouts
            make = self._memos.making({k: v.first_data_row for k, v in layouts.items()},
                                      {k: v.columns for k, v in layouts.items()})
        else:
            make = dict

        thread = threading.Thread(target=lambda: made.update(make()), name="lianxing-memo", daemon=True)
        thread.start()
        return thread, made

    def _memorise(self, thread: threading.Thread, made: dict[str, Any]) -> None:
        """Keeps the memos made, each keyed by the parts just saved."""
        thread.join()
        if self._memos is not None and made:
            self._memos.keep(self.path, made)

    def read_later(self, keys: Collection[str] | None = None) -> list[str]:
        """Adds the tables ``read(first=...)`` left for later (those in ``keys``, or all) to the
        WorkbookData it returned; returns the warnings that adds (a table missing, a column missing)."""
        if self._pkg is None or self._data is None:
            raise WorkbookError("read() the workbook before reading the rest of it")
        with gc_paused():
            warnings = read_later(self._pkg, self._book, self._data, self.schema, keys, self._grids)
        if self._memos is not None:
            self._memos.framed(self._data.tables)
        self._start_helper()
        return warnings

    def _start_helper(self) -> None:
        """Starts the second process for a job that will write a big workbook, once it has read what
        it works on first: its start-up and the sheets sent ahead (0.45 s of CPU) then run while
        the job works on one core, not while two cores parse the sheets."""
        if (self.second_process and self._helper is None and self._pkg is not None
                and self._pkg.worth_a_second_process()):
            self._helper = SecondProcess.start()
            if self._helper is not None:
                self._pkg.preload(self._helper)

    def _open(self) -> None:
        from python_calamine import CalamineWorkbook

        try:
            self._pkg = XlsxPackage(self.path)
            self._book = CalamineWorkbook.from_path(str(self.path))
            self._memos = table_memo.FileMemos(self.memo, self._pkg, table_specs(self.schema)) if self.memo else None
        except PackageError as exc:
            raise WorkbookError(str(exc)) from exc
        except Exception as exc:
            raise WorkbookError(f"{self.path.name}: 无法读取 cannot be read ({exc})") from exc
        self._grids = Grids()

    def digest(self) -> str:
        """SHA-256 of the file as :meth:`read` read it (the refresh memo's key)."""
        if self._pkg is None:
            raise WorkbookError("read() the workbook before asking for its digest")
        return self._pkg.digest()

    def written_digest(self) -> str:
        """SHA-256 of the file as :meth:`write` left it."""
        with open(self.path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()

    def write_early(self, changes: WorkbookChanges) -> None:
        """Starts saving tables the job will not change again (the refresh's ledger once the
        exports are matched, Collaborations once scored): their cells go into the package now and
        the big sheets among them to the second process, which patches them while the job computes
        the rest. Nothing touches the file before :meth:`write`; without a second process this
        only moves work earlier."""
        if self._pkg is None or self._data is None:
            raise WorkbookError("read() the workbook before writing it")
        self._apply(changes)
        tables = changes.tables()
        self._written_early |= tables
        self._pkg.send_final(sorted({self._data.layouts[k].sheet for k in tables}), self._helper)

    def write(self, changes: WorkbookChanges, *, now: dt.datetime | None = None) -> None:
        if self._pkg is None or self._data is None:
            raise WorkbookError("read() the workbook before writing it")
        if again := changes.tables() & self._written_early:
            self.close()  # a job that changed a table after writing it early is a bug: saving would lose rows
            raise WorkbookError(f"已提前写入的表又有更改，未保存 / tables written early changed again: "
                                f"{', '.join(sorted(again))}; nothing was written")
        st = self.path.stat()
        if (st.st_mtime_ns, st.st_size) != self._stamp:
            raise WorkbookError(f"{self.path.name} 在刷新期间被修改，未保存 / changed on disk while the job ran; "
                                "nothing was "
                                "written")
        freeing = self._free_on_a_thread()
        try:
            with gc_paused():
                self._apply(changes)
                memos = self._memos_on_a_thread()  # what the tables hold once all is applied
                self.last_backup = save_package(self._pkg, self.path, backup=self.backup, now=now,
                                                helper=self._helper)
                self._memorise(*memos)
        finally:
            self.close()
            freeing.join()

    def _free_on_a_thread(self) -> threading.Thread:
        """Starts dropping what :meth:`free_during_write` was given and the parsed cells (a read
        after the write parses the saved file again)."""
        self._grids.cancel()
        garbage, self._garbage = [*self._garbage, self._grids], []
        self._grids = Grids()
        thread = threading.Thread(target=garbage.clear, name="lianxing-free", daemon=True)
        thread.start()
        return thread

    def free_during_write(self, objects: list[Any]) -> None:
        """Objects the job no longer needs (its frames): :meth:`write` drops them, with the cells it
        parsed, on a thread while it waits for the second process and the disk."""
        self._garbage = objects

    def close(self) -> None:
        """Ends the second process, if one was started, and the background parse of sheets not yet
        started (a job that stops before writing calls it)."""
        self._grids.cancel()
        if self._helper is not None:
            self._helper.close()
            self._helper = None

    def status(self, text: str) -> None:  # the headless front shows progress itself
        pass


def write_changes(path: str | Path, changes: WorkbookChanges, *, backup: bool = True) -> Path | None:
    """Reads the workbook's layout and applies ``changes`` to it (atomic save, backup)."""
    book = WorkbookFile(path, backup=backup)
    book.read()
    book.write(changes)
    return book.last_backup
