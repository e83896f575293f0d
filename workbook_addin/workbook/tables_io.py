"""The workbook as data: read its tables and settings headless, write changed cells back safely.

Reading uses python-calamine for the cell values (openpyxl takes tens of seconds on 50 000 rows) and
the Excel Table parts for where each table sits; headers are mapped to schema column keys through
the schema's bilingual headers, so a column moved or a user column inserted does not matter.

Writing goes through :mod:`workbook_addin.workbook.xlsx`, which patches only the worksheet and table parts
that change and copies every other part (VBA project, the Refresh button, charts, comments, styles,
sheets a user added) byte for byte. Saves are atomic with a timestamped backup, and are refused
while Excel or LibreOffice has the file open.

The live Excel path (:mod:`workbook_addin.macros`) builds the same :class:`WorkbookData` from xlwings
ranges and applies the same :class:`WorkbookChanges`; only that thin adapter differs.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.schema import Column, Schema, header_map, load_schema, normalise_header
from .xlsx import XlsxPackage
from .xlsx.cells import excel_serial, is_blank
from .xlsx.package import PackageError
from .xlsx.refs import parse_range, split_ref

#: a defined name pointing at a range on one sheet: 'Sheet'!$A$1:$C$9
_RANGE_NAME = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+)$")

#: settings tables on the Settings sheet, keyed like ``Schema.settings_tables``
SETTINGS_FRAME = "settings"
BACKUP_DIR = "backups"
KEEP_BACKUPS = 10
STATUS_NAME = "RefreshStatus"


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector for a bulk job (restored after, even on error).

    Reading a 50 000-row workbook creates millions of cell values and row lists that hold no
    reference cycles; the collector still walks all of them every time allocations pass its
    threshold, which cost a refresh of the 10 000-creator workbook several seconds. Reference
    counting frees everything as usual meanwhile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class WorkbookError(RuntimeError):
    """The workbook cannot be read or written; the message says why, in Chinese and English."""


class WorkbookLockedError(WorkbookError):
    """Excel or LibreOffice has the workbook open: saving now would fight with its own save."""


# ---------------------------------------------------------------------------------------------- locks
def lock_files(path: Path) -> list[Path]:
    """Lock files that say the workbook is open: Excel's ``~$Name.xlsm``, LibreOffice's ``.~lock.Name.xlsm#``."""
    path = Path(path)
    candidates = [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]
    if len(path.name) > 2:  # Excel shortens long names: ~$ replaces the first two characters
        candidates.append(path.with_name("~$" + path.name[2:]))
    return [p for p in candidates if p.exists()]


def check_not_open(path: Path) -> None:
    found = lock_files(path)
    if found:
        raise WorkbookLockedError(
            f"{Path(path).name} 正在被 Excel 或 LibreOffice 打开，请先关闭再刷新 / is open in Excel or LibreOffice "
            f"(lock file {found[0].name}); close it and run again, or use the Refresh button inside Excel.")


# ---------------------------------------------------------------------------------------------- layout
@dataclass
class TableLayout:
    """Where one table sits, so changes keyed by schema column can become cell writes."""

    key: str  # schema sheet key, or a settings table key
    table: str  # Excel table name
    sheet: str  # tab name
    header_row: int
    first_data_row: int
    last_row: int  # last row inside the table (inclusive)
    next_row: int  # first row after the last non-empty data row
    columns: dict[str, int]  # schema key -> sheet column number (1-based)
    formula_columns: set[str] = field(default_factory=set)


@dataclass
class WorkbookData:
    tables: dict[str, pd.DataFrame]  # schema sheet key -> frame (index "excel_row")
    settings_values: dict[str, Any]  # settings.toml key -> value as the workbook holds it
    settings_tables: dict[str, pd.DataFrame]  # er_benchmarks, fx_rates, import_map
    layouts: dict[str, TableLayout]
    names: dict[str, tuple[str, int, int]]  # single-cell defined names -> (sheet, row, col)
    folder: Path | None = None  # the workbook's folder (relative paths in Settings start here)
    warnings: list[str] = field(default_factory=list)
    dashboard_markets: list[str] | None = None  # the dashboard's market rows (None: no such range)

    def settings(self):
        """``(Settings, problems)`` from the Settings sheet, through the engine's own reader."""
        from ..core.settings import Settings

        return Settings.from_values(self.settings_values, self.settings_tables.get("er_benchmarks"),
                                    self.settings_tables.get("fx_rates"))


_TEXT_TYPES = {"text", "url", "enum"}


def _clean(value: Any, text_column: bool) -> Any:
    if value == "" or value is None:
        return None
    if text_column and isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID typed as 1001 reads back as 1001.0
    return value


def frame_from_rows(columns: Sequence[Column], headers: Sequence[Any], rows: Sequence[Sequence[Any]],
                    first_row: int, where: str) -> tuple[pd.DataFrame, dict[str, int], list[str]]:
    """A table's header and body cells -> (frame with schema keys, key -> offset in the table, warnings).

    The frame's index is named ``excel_row`` and holds the Excel row number, so every message the
    engine makes names the row a person sees. Rows with no value at all are left out.
    """
    lookup = header_map(columns)
    offsets: dict[str, int] = {}
    warnings = []
    for i, h in enumerate(headers):
        key = lookup.get(normalise_header(h))
        if key is not None and key not in offsets:
            offsets[key] = i
    for c in columns:
        if c.key not in offsets:
            warnings.append(f"{where}: 缺少列 missing column {c.header}")
    data: dict[str, list[Any]] = {}
    # rows are padded to the table's width: transposed at once (zip), not one list per column
    by_column = list(zip(*rows)) if rows and len(set(map(len, rows))) == 1 else None
    for c in columns:
        i = offsets.get(c.key)
        text = c.type in _TEXT_TYPES
        if i is None:
            data[c.key] = [None] * len(rows)
        else:
            values = by_column[i] if by_column is not None else [r[i] for r in rows]
            if text:  # an ID typed as 1001 reads back as 1001.0
                data[c.key] = [None if v == "" or v is None else
                               (str(int(v)) if type(v) is float and v.is_integer() else v) for v in values]
            else:
                data[c.key] = [None if v == "" else v for v in values]
    index = pd.RangeIndex(first_row, first_row + len(rows), name="excel_row")
    frame = pd.DataFrame(data, index=index, dtype=object) if rows else pd.DataFrame(
        {c.key: pd.Series([], dtype=object) for c in columns}, index=pd.Index([], name="excel_row", dtype="int64"))
    if len(frame):
        keep = frame.notna().any(axis=1)
        if not keep.all():
            frame = frame[keep]
    return frame, offsets, warnings


# ---------------------------------------------------------------------------------------------- reading
def _grid(book, sheet: str, cache: dict[str, list[list[Any]]]) -> list[list[Any]]:
    if sheet not in cache:
        cache[sheet] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return cache[sheet]


def _cell(grid: list[list[Any]], row: int, col: int) -> Any:
    if row - 1 < len(grid) and col - 1 < len(grid[row - 1]):
        v = grid[row - 1][col - 1]
        return None if v == "" else v
    return None


def _table_specs(schema: Schema) -> list[tuple[str, str, Sequence[Column], bool]]:
    """(key, Excel table name, columns, is a settings table) for every table the workbook holds."""
    specs = [(s.key, s.table, s.columns, False) for s in schema.sheets]
    specs += [(k, t.table, t.columns, True) for k, t in schema.settings_tables.items()]
    return specs


def read_workbook(path: str | Path, *, schema: Schema | None = None) -> WorkbookData:
    """Every schema table as a frame, the Settings values and tables, and where each table sits."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    schema = schema or load_schema()
    try:
        pkg = XlsxPackage(path)
        book = CalamineWorkbook.from_path(str(path))
    except (PackageError, OSError) as exc:
        raise WorkbookError(str(exc)) from exc
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise WorkbookError(f"{path.name}: 无法读取 cannot be read ({exc})") from exc
    with gc_paused():
        return _read_package(pkg, book, path, schema)


def _read_package(pkg: XlsxPackage, book, path: Path, schema: Schema) -> WorkbookData:
    grids: dict[str, list[list[Any]]] = {}
    tables: dict[str, pd.DataFrame] = {}
    settings_tables: dict[str, pd.DataFrame] = {}
    layouts: dict[str, TableLayout] = {}
    warnings: list[str] = []
    for key, table_name, columns, is_setting in _table_specs(schema):
        t = pkg.tables.get(table_name)
        if t is None:
            warnings.append(f"表格 {table_name} 不存在 / table {table_name} is missing")
            continue
        grid = _grid(book, t.sheet, grids)
        r1, c1, r2, c2 = t.ref
        headers = [_cell(grid, t.header_row, c) for c in range(c1, c2 + 1)]
        width = c2 - c1 + 1
        body = [cells[c1 - 1:c2] for cells in grid[t.first_data_row - 1:t.last_data_row]]
        if any(len(cells) != width for cells in body):  # rows cut short by the sheet's used area
            body = [cells if len(cells) == width else list(cells) + [None] * (width - len(cells)) for cells in body]
        body += [[None] * width for _ in range(t.last_data_row - t.first_data_row + 1 - len(body))]
        frame, offsets, warn = frame_from_rows(columns, headers, body, t.first_data_row, f"{t.sheet} [{table_name}]")
        warnings += warn
        layouts[key] = TableLayout(
            key=key, table=table_name, sheet=t.sheet, header_row=t.header_row, first_data_row=t.first_data_row,
            last_row=t.last_data_row, next_row=(int(frame.index.max()) + 1) if len(frame) else t.first_data_row,
            columns={k: c1 + off for k, off in offsets.items()},
            formula_columns={k for k, off in offsets.items() if c1 + off in t.calculated},
        )
        (settings_tables if is_setting else tables)[key] = frame
    names: dict[str, tuple[str, int, int]] = {}
    for name in pkg.defined_names:
        cell = pkg.defined_cell(name)
        if cell is not None and cell.sheet in pkg.sheets:
            names[name] = (cell.sheet, cell.row, cell.col)
    settings_values: dict[str, Any] = {}
    for s in schema.settings:
        where = names.get(s.name)
        if where is None:
            warnings.append(f"设置 {s.zh} 缺少名称 {s.name} / setting {s.en}: named cell {s.name} is missing; default used")
            settings_values[s.key] = s.value
            continue
        value = _cell(_grid(book, where[0], grids), where[1], where[2])
        settings_values[s.key] = _clean(value, s.type in _TEXT_TYPES)
    return WorkbookData(tables, settings_values, settings_tables, layouts, names, path.parent, warnings,
                        _dashboard_markets(pkg, book, grids))


def _dashboard_markets(pkg: XlsxPackage, book, grids: dict[str, list[list[Any]]]) -> list[str] | None:
    """The market labels in the first column of the dashboard's ``Dashboard_Markets`` range: the
    refresh needs them to find that table's cells (their number was fixed by the build)."""
    from .dashboard import MARKETS_NAME, markets_from_labels

    m = _RANGE_NAME.match((pkg.defined_names.get(MARKETS_NAME) or "").strip())
    sheet = m and ((m.group(1) or "").replace("''", "'") or m.group(2))
    if not m or sheet not in pkg.sheets:
        return None
    r1, c1, r2, _ = parse_range(m.group(3).replace("$", ""))
    grid = _grid(book, sheet, grids)
    return markets_from_labels([_cell(grid, r, c1) for r in range(r1, r2 + 1)])


def read_tables(path: str | Path) -> dict[str, pd.DataFrame]:
    """Schema sheet key -> frame (schema column keys, index ``excel_row``), plus the Settings sheet:
    ``"settings"`` (index = setting key, column ``value``) and its tables (``er_benchmarks``,
    ``fx_rates``, ``import_map``)."""
    data = read_workbook(path)
    out = dict(data.tables)
    out.update(data.settings_tables)
    out[SETTINGS_FRAME] = pd.DataFrame({"value": pd.Series(data.settings_values, dtype=object)}).rename_axis("key")
    return out


def read_settings(path: str | Path):
    """``(Settings, problems)`` as the workbook's Settings sheet holds them."""
    return read_workbook(path).settings()


# ---------------------------------------------------------------------------------------------- changes
_PLAIN_TYPES = (str, int, float)


def same_value(a: Any, b: Any) -> bool:
    """Whether writing ``b`` over ``a`` would change what the cell shows (so unchanged cells stay untouched)."""
    ta, tb = type(a), type(b)
    if ta is tb and ta in (str, int, float) and a == b:
        return True  # the common case, decided without the checks below
    if is_blank(a) and is_blank(b):
        return True
    if is_blank(a) or is_blank(b):
        return False
    if hasattr(a, "item") and not isinstance(a, str):
        a = a.item()
    if hasattr(b, "item") and not isinstance(b, str):
        b = b.item()
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, (dt.date, dt.datetime)) or isinstance(b, (dt.date, dt.datetime)):
        try:
            sa = excel_serial(a) if isinstance(a, (dt.date, dt.datetime)) else float(a)
            sb = excel_serial(b) if isinstance(b, (dt.date, dt.datetime)) else float(b)
            return math.isclose(sa, sb, rel_tol=0, abs_tol=1e-6)
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


@dataclass
class WorkbookChanges:
    """What a job wants changed, in schema terms; both adapters (file, live Excel) apply it."""

    cells: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)  # table -> row -> key -> value
    appends: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    keep_rows: dict[str, int] = field(default_factory=dict)  # table -> data rows to keep (rest cleared)
    names: dict[str, Any] = field(default_factory=dict)  # defined-name cell -> value
    #: sheet name -> A1 reference -> value: cells outside Tables; a formula cell keeps its formula and
    #: gets the value as its cached result (the dashboard's, for files nobody recalculates)
    sheet_values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def set(self, table: str, row: int, key: str, value: Any) -> None:
        self.cells.setdefault(table, {}).setdefault(int(row), {})[key] = value

    def cell_count(self, table: str | None = None) -> int:
        tables = [table] if table else list(self.cells)
        return sum(len(cols) for t in tables for cols in self.cells.get(t, {}).values())

    def rows_changed(self, table: str) -> int:
        return len(self.cells.get(table, {}))

    def __bool__(self) -> bool:
        return bool(self.cells or self.appends or self.keep_rows or self.names or self.sheet_values)


def diff_columns(changes: WorkbookChanges, table: str, current: pd.DataFrame, new: pd.DataFrame,
                 columns: Iterable[str]) -> int:
    """Records the cells of ``columns`` where ``new`` differs from ``current`` (aligned by index)."""
    n = 0
    common = current.index.intersection(new.index)
    for key in columns:
        if key not in new.columns or key not in current.columns:
            continue
        old_values = current[key].reindex(common).tolist()
        new_values = new[key].reindex(common).tolist()
        for row, a, b in zip(common, old_values, new_values):
            if (a is b or (type(a) is type(b) and type(a) in _PLAIN_TYPES and a == b)) or same_value(a, b):
                continue  # the first test is same_value's own fast path, without the call
            changes.set(table, row, key, _plain(b))
            n += 1
    return n


def replace_rows(changes: WorkbookChanges, table: str, current: pd.DataFrame, new: pd.DataFrame,
                 layout: TableLayout) -> None:
    """Makes a table hold exactly ``new``'s rows (in order) with the fewest cell writes: row i of
    ``new`` lands on the table's i-th row; extra rows are appended, surplus rows cleared."""
    rows = list(range(layout.first_data_row, layout.last_row + 1))
    keys = [k for k in new.columns if k in layout.columns]
    full = current.reindex(rows)
    columns = [new[k].tolist() for k in keys]
    count = len(new)
    n = min(count, len(rows))
    for k, values in zip(keys, columns):  # column by column: plain lists, no per-cell pandas lookups
        old = full[k].tolist()[:n] if k in full.columns else [None] * n
        for i, (a, b) in enumerate(zip(old, values[:n])):
            if (a is b or (type(a) is type(b) and type(a) in _PLAIN_TYPES and a == b)) or same_value(a, b):
                continue  # the first test is same_value's own fast path, without the call
            changes.set(table, rows[i], k, _plain(b))
    if count > len(rows):
        extra = [values[len(rows):] for values in columns]
        changes.appends.setdefault(table, []).extend(
            ({k: _plain(v) for k, v in zip(keys, values)} for values in zip(*extra)) if keys
            else ({} for _ in range(count - len(rows))))
    elif count < len(rows) and (current.index > layout.first_data_row + count - 1).any():
        changes.keep_rows[table] = count


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return value or None
    if kind is int or (kind is float and value == value):
        return value
    if is_blank(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        try:
            return value.item()
        except (AttributeError, ValueError):
            return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


# ---------------------------------------------------------------------------------------------- writing
def apply_to_package(pkg: XlsxPackage, data: WorkbookData, changes: WorkbookChanges) -> None:
    """Turns schema-keyed changes into cell writes and table resizes on a package."""
    for key, rows in changes.cells.items():
        layout = data.layouts[key]
        pkg.set_table_rows(layout.table, {row: {layout.columns[k]: v for k, v in values.items() if k in layout.columns}
                                          for row, values in rows.items()})
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
        start = layout.next_row
        if key in changes.cells:  # rows written above may extend past the last non-empty row
            start = max(start, max(changes.cells[key]) + 1)
        if key in changes.keep_rows:
            start = layout.first_data_row + changes.keep_rows[key]
        last = start + len(records) - 1
        if last > layout.last_row:
            pkg.resize_table(layout.table, last)
        pkg.set_table_rows(layout.table, {start + i: {layout.columns[k]: v for k, v in rec.items() if k in layout.columns}
                                          for i, rec in enumerate(records)})
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
                 now: dt.datetime | None = None) -> Path | None:
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
            pkg.save(f)
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

    def __init__(self, path: str | Path, *, schema: Schema | None = None, backup: bool = True):
        self.path = Path(path)
        self.schema = schema or load_schema()
        self.backup = backup
        self._pkg: XlsxPackage | None = None
        self._data: WorkbookData | None = None
        self._stamp: tuple[int, int] | None = None
        self.last_backup: Path | None = None

    @property
    def folder(self) -> Path:
        return self.path.resolve().parent

    formulas_recalculate = False  # nobody recalculates a file on disk: formula cells get cached values

    def read(self) -> WorkbookData:
        from python_calamine import CalamineWorkbook

        if not self.path.exists():
            raise WorkbookError(f"{self.path}: 文件不存在 / no such workbook")
        check_not_open(self.path)
        st = self.path.stat()
        self._stamp = (st.st_mtime_ns, st.st_size)
        try:
            self._pkg = XlsxPackage(self.path)
            book = CalamineWorkbook.from_path(str(self.path))
        except PackageError as exc:
            raise WorkbookError(str(exc)) from exc
        except Exception as exc:
            raise WorkbookError(f"{self.path.name}: 无法读取 cannot be read ({exc})") from exc
        with gc_paused():
            self._data = _read_package(self._pkg, book, self.path, self.schema)
        return self._data

    def write(self, changes: WorkbookChanges, *, now: dt.datetime | None = None) -> None:
        if self._pkg is None or self._data is None:
            raise WorkbookError("read() the workbook before writing it")
        st = self.path.stat()
        if (st.st_mtime_ns, st.st_size) != self._stamp:
            raise WorkbookError(f"{self.path.name} 在刷新期间被修改，未保存 / changed on disk while the job ran; nothing was written")
        with gc_paused():
            apply_to_package(self._pkg, self._data, changes)
            self.last_backup = save_package(self._pkg, self.path, backup=self.backup, now=now)

    def status(self, text: str) -> None:  # the headless front shows progress itself
        pass


def write_changes(path: str | Path, changes: WorkbookChanges, *, backup: bool = True) -> Path | None:
    """Reads the workbook's layout and applies ``changes`` to it (atomic save, backup)."""
    book = WorkbookFile(path, backup=backup)
    book.read()
    book.write(changes)
    return book.last_backup


def frames_equal_cells(a: Mapping[str, pd.DataFrame], b: Mapping[str, pd.DataFrame]) -> list[str]:
    """Differences between two reads, cell by cell ("sheet row column: a != b"); used by tests and the
    idempotency check of the refresh job."""
    out = []
    for key in sorted(set(a) | set(b)):
        fa, fb = a.get(key), b.get(key)
        if fa is None or fb is None:
            out.append(f"{key}: only in one")
            continue
        for row in fa.index.union(fb.index):
            for col in fa.columns.union(fb.columns):
                va = fa.at[row, col] if row in fa.index and col in fa.columns else None
                vb = fb.at[row, col] if row in fb.index and col in fb.columns else None
                if not same_value(va, vb):
                    out.append(f"{key} row {row} {col}: {va!r} != {vb!r}")
    return out
