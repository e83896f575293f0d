"""Reading a workbook file headless: every schema table as a frame, the Settings, where things sit.

python-calamine reads the cell values (openpyxl takes tens of seconds on 50 000 rows) and the
Excel Table parts say where each table sits.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.schema import Column, Schema, load_schema
from .dashboard_cells import MARKETS_NAME, markets_from_labels
from .xlsx import XlsxPackage
from .xlsx.package import PackageError
from .xlsx.refs import parse_range
from .table_columns import FastReader, Loaded, fast_table
from .tables_layout import (TEXT_TYPES, TableLayout, WorkbookData, frame_from_columns, frame_from_rows, header_offsets,
                            table_specs)
from ..core.gc_pause import gc_paused
from .tables_locks import WorkbookError

#: a defined name pointing at a range on one sheet: 'Sheet'!$A$1:$C$9
_RANGE_NAME = re.compile(r"^(?:'((?:[^']|'')+)'|([^'!]+))!(\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+)$")

#: settings tables on the Settings sheet, keyed like ``Schema.settings_tables``
SETTINGS_FRAME = "settings"


def _clean(value: Any, text_column: bool) -> Any:
    if value == "" or value is None:
        return None
    if text_column and isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID typed as 1001 reads back as 1001.0
    return value


class Grids:
    """Cell rows by sheet, each sheet parsed once: here when first needed, or ahead of need on a
    background thread (calamine releases the GIL while it parses, so where a core is free the
    50 000-row Collaborations sheet is parsed while this thread frames the other sheets, and the
    sheets a refresh needs last while it matches exports). A sheet holding one long table is read
    column by column instead (:mod:`.table_columns`), the cell rows only where that cannot be.
    Kept by the file adapter, so a second read of the same file parses no sheet twice."""

    def __init__(self) -> None:
        self.parsed: dict[str, list[list[Any]]] = {}
        self.columns: dict[str, Any] = {}  # table -> its columns (a Loaded until framed), if read so
        self.behind: dict[str, Future] = {}  # sheet -> the job reading it behind (into parsed or columns)
        self.fast: FastReader | None = None  # the background thread's fast reader, once started
        self.known: dict[str, pd.DataFrame] = {}  # table -> its frame, remembered (.table_memo): not parsed

    def get(self, book, sheet: str) -> list[list[Any]]:
        """The sheet's rows: parsed already, being parsed behind (waited for), or parsed here (also
        a sheet queued behind but not started: this thread would otherwise wait for it)."""
        if sheet not in self.parsed:
            self._wait(sheet)
        if sheet not in self.parsed:
            self.parsed[sheet] = _parsed(lambda: book.get_sheet_by_name(sheet).to_python(skip_empty_area=False), sheet)
        return self.parsed[sheet]

    def table(self, pkg: XlsxPackage, table: str) -> list[Any] | None:
        """A long table's columns, when the background thread read its sheet that way, or None:
        the sheet's rows are then what :meth:`get` gives."""
        sheet = pkg.tables[table].sheet
        job = self.behind.get(sheet)
        if job is not None and job.running() and self.fast is not None and self.fast.reading() and _alone(pkg, table):
            try:
                self.fast.look(table)  # this thread's share while fastexcel parses the sheet
            except Exception:  # noqa: BLE001 - a damaged part: the background thread meets it too, and says so
                pass
        self._wait(sheet)
        found = self.columns.get(table)
        if isinstance(found, Loaded):  # made into columns here, where the frame is made
            found = self.columns[table] = found.columns()
            if found is None:
                del self.columns[table]
        return found

    def _wait(self, sheet: str) -> None:
        """Takes what the background thread read of ``sheet`` (a job not started is dropped)."""
        job = self.behind.pop(sheet, None)
        if job is not None and not job.cancel():
            _parsed(job.result, sheet)

    def cancel(self) -> None:
        """Drops the background parses not yet started (a job that stops, or has read all it needs)."""
        for job in self.behind.values():
            job.cancel()

    def order(self, sheet: str) -> int:
        """When to frame a sheet's tables so that this thread waits least: parsed (or never queued)
        first, then those queued behind, then the one being parsed behind now."""
        job = self.behind.get(sheet)
        return 0 if job is None else 1 if job.done() else 2 if not job.running() else 3

    def parse_behind(self, pkg: XlsxPackage, path: Path, sheets: list[str]) -> None:
        """Starts reading ``sheets`` (in this order, one after the other) on a background thread,
        with a workbook handle of its own (one handle is not shared across threads): a sheet that
        holds one long table column by column, the others (and that one where it cannot be) cell by cell."""
        sheets = [s for s in dict.fromkeys(sheets) if s not in self.parsed and s not in self.behind]
        if not sheets:
            return
        from python_calamine import CalamineWorkbook

        pool = ThreadPoolExecutor(max_workers=1)
        handle: list[Any] = []
        alone = {t.sheet: name for name, t in pkg.tables.items() if _alone(pkg, name)}
        fast = self.fast = FastReader(pkg, path)

        def parse(sheet: str) -> None:
            if sheet in alone:
                try:
                    found = fast.read(alone[sheet])
                except Exception:  # noqa: BLE001 - an odd part: the cell reader reads it, and says what is wrong
                    found = None
                if found is not None:
                    self.columns[alone[sheet]] = found
                    return
            if not handle:
                handle.append(CalamineWorkbook.from_path(str(path)))
            self.parsed[sheet] = handle[0].get_sheet_by_name(sheet).to_python(skip_empty_area=False)

        try:
            self.behind.update({sheet: pool.submit(parse, sheet) for sheet in sheets})
        finally:
            pool.shutdown(wait=False)  # the thread ends with its last sheet


def _alone(pkg: XlsxPackage, table: str) -> bool:
    """Whether ``table`` is long (:func:`fast_table`) and the only table on its sheet."""
    return fast_table(pkg, table) and _sole(pkg, table)


def _sole(pkg: XlsxPackage, table: str) -> bool:
    """Whether ``table`` is the only table on its sheet (a sheet nothing else is read from)."""
    sheet = pkg.tables[table].sheet
    return sum(t.sheet == sheet for t in pkg.tables.values()) == 1


def _parsed(read, sheet: str):
    """``read()``, a damaged sheet's error said in the product's words."""
    try:
        return read()
    except Exception as exc:  # calamine raises its own error types for a damaged sheet
        raise WorkbookError(f"工作表 {sheet} 无法读取，文件可能已损坏；未更改任何内容 / the sheet {sheet} "
                            f"cannot be read, the file may be damaged ({type(exc).__name__}: {exc}); "
                            "nothing was changed") from exc


#: a sheet part this large (as stored) is parsed on a second thread while the others are parsed
PREFETCH_BYTES = 2_000_000


def _by_size(pkg: XlsxPackage, sheets: Iterable[str]) -> list[str]:
    """The sheets the package holds, the biggest (as stored) first."""
    return sorted((s for s in dict.fromkeys(sheets) if s in pkg.sheets),
                  key=lambda s: pkg.infos_size(pkg.sheets[s].part), reverse=True)


def _cell(grid: list[list[Any]], row: int, col: int) -> Any:
    if row - 1 < len(grid) and col - 1 < len(grid[row - 1]):
        v = grid[row - 1][col - 1]
        return None if v == "" else v
    return None


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
        return read_package(pkg, book, path, schema)


def read_package(pkg: XlsxPackage, book, path: Path, schema: Schema, keys: Collection[str] | None = None,
                 grids: Grids | None = None, first: Collection[str] | None = None) -> WorkbookData:
    """The workbook's tables (only the schema sheets in ``keys``, when given: a refresh that finds
    nothing changed reads its run log, not 50 000 collaborations), Settings and layout. ``grids``:
    the sheets parsed before (kept and added to), and those of sheets the package holds but the
    file does not yet (sheets an upgrade added). ``first``: only these tables (and the Settings) are
    framed now; the others are parsed on a background thread, biggest first, for :func:`read_later`."""
    grids = Grids() if grids is None else grids
    specs = [spec for spec in table_specs(schema) if keys is None or spec[3] or spec[0] in keys]
    now = [spec for spec in specs if first is None or spec[3] or spec[0] in first]
    sheet_of = {spec[0]: pkg.tables[spec[1]].sheet for spec in specs
                if spec[1] in pkg.tables and not (spec[1] in grids.known and _sole(pkg, spec[1]))}
    wanted = [sheet_of[spec[0]] for spec in now if spec[0] in sheet_of]
    later = {sheet_of[spec[0]] for spec in specs if spec not in now and spec[0] in sheet_of} - set(wanted)
    if later:
        grids.parse_behind(pkg, path, _by_size(pkg, later))
    else:
        biggest = _by_size(pkg, (s for s in wanted if s not in grids.parsed))
        if len(biggest) > 1 and pkg.infos_size(pkg.sheets[biggest[0]].part) >= PREFETCH_BYTES:
            grids.parse_behind(pkg, path, biggest[:1])
    data = WorkbookData({}, {}, {}, {}, _single_cell_names(pkg), path.parent, [])
    _frame_tables(pkg, book, now, grids, data)
    data.settings_values = _settings_values(book, schema, grids, data.names, data.warnings)
    data.dashboard_markets = _dashboard_markets(pkg, book, grids)
    return data


def read_later(pkg: XlsxPackage, book, data: WorkbookData, schema: Schema, keys: Collection[str] | None,
               grids: Grids) -> list[str]:
    """Frames tables :func:`read_package` left for later (all of them when ``keys`` is None) into
    ``data``, waiting for their sheets' background parse; returns the warnings it added."""
    specs = [spec for spec in table_specs(schema)
             if not spec[3] and spec[0] not in data.tables and (keys is None or spec[0] in keys)]
    before = len(data.warnings)
    _frame_tables(pkg, book, specs, grids, data)
    return data.warnings[before:]


def _frame_tables(pkg: XlsxPackage, book, specs: list[tuple[str, str, Sequence[Column], bool]], grids: Grids,
                  data: WorkbookData) -> None:
    """Frames ``specs`` into ``data``, in the schema's order; tables on sheets parsed behind last
    (see :meth:`Grids.order`): the others are framed while those are parsed."""
    read: dict[int, tuple[pd.DataFrame, TableLayout, list[str]] | None] = {}
    sheets = [pkg.tables[spec[1]].sheet if spec[1] in pkg.tables else "" for spec in specs]
    for i in sorted(range(len(specs)), key=lambda i: grids.order(sheets[i])):
        read[i] = _read_table(pkg, book, specs[i], grids)
    for i, (key, table_name, _columns, is_setting) in enumerate(specs):
        found = read[i]
        if found is None:
            data.warnings.append(f"表格 {table_name} 不存在 / table {table_name} is missing")
            continue
        frame, data.layouts[key], warn = found
        data.warnings.extend(warn)
        (data.settings_tables if is_setting else data.tables)[key] = frame


def _single_cell_names(pkg: XlsxPackage) -> dict[str, tuple[str, int, int]]:
    names: dict[str, tuple[str, int, int]] = {}
    for name in pkg.defined_names:
        cell = pkg.defined_cell(name)
        if cell is not None and cell.sheet in pkg.sheets:
            names[name] = (cell.sheet, cell.row, cell.col)
    return names


def _settings_values(book, schema: Schema, grids: Grids, names: dict[str, tuple[str, int, int]],
                     warnings: list[str]) -> dict[str, Any]:
    settings_values: dict[str, Any] = {}
    for s in schema.settings:
        where = names.get(s.name)
        if where is None:
            warnings.append(f"设置 {s.zh} 缺少名称 {s.name} / setting {s.en}: named cell {s.name} is missing; default "
                            "used")
            settings_values[s.key] = s.value
            continue
        value = _cell(grids.get(book, where[0]), where[1], where[2])
        settings_values[s.key] = _clean(value, s.type in TEXT_TYPES)
    return settings_values


def _read_table(pkg: XlsxPackage, book, spec: tuple[str, str, Sequence[Column], bool],
                grids: Grids) -> tuple[pd.DataFrame, TableLayout, list[str]] | None:
    """One table's frame, layout and warnings (None when the workbook has no such Excel Table)."""
    key, table_name, columns, _is_setting = spec
    t = pkg.tables.get(table_name)
    if t is None:
        return None
    r1, c1, r2, c2 = t.ref
    where = f"{t.sheet} [{table_name}]"
    known = grids.known.pop(table_name, None)
    cells = grids.table(pkg, table_name) if known is None else None
    if known is not None:  # remembered as this file holds it (.table_memo); its headers as the table part names them
        frame = known
        offsets, warn = header_offsets(columns, t.columns, where)
    elif cells is not None:  # a long table read column by column; its headers as the table part names them
        frame, offsets, warn = frame_from_columns(columns, t.columns, cells, t.first_data_row, where)
    else:
        grid = grids.get(book, t.sheet)
        headers = [_cell(grid, t.header_row, c) for c in range(c1, c2 + 1)]
        width = c2 - c1 + 1
        body = grid[t.first_data_row - 1:t.last_data_row]
        if c1 > 1:  # a table from column A takes its rows as parsed: cells right of it are never looked at
            body = [row[c1 - 1:c2] for row in body]
        body += [[None] * width for _ in range(t.last_data_row - t.first_data_row + 1 - len(body))]  # below used area
        frame, offsets, warn = frame_from_rows(columns, headers, body, t.first_data_row, where)
    layout = TableLayout(
        key=key, table=table_name, sheet=t.sheet, header_row=t.header_row, first_data_row=t.first_data_row,
        last_row=t.last_data_row, next_row=(int(frame.index.max()) + 1) if len(frame) else t.first_data_row,
        columns={k: c1 + off for k, off in offsets.items()},
        formula_columns={k for k, off in offsets.items() if c1 + off in t.calculated},
    )
    return frame, layout, warn


def _dashboard_markets(pkg: XlsxPackage, book, grids: Grids) -> list[str] | None:
    """The market labels in the first column of the dashboard's ``Dashboard_Markets`` range: the
    refresh needs them to find that table's cells (their number was fixed by the build)."""
    m = _RANGE_NAME.match((pkg.defined_names.get(MARKETS_NAME) or "").strip())
    sheet = m and ((m.group(1) or "").replace("''", "'") or m.group(2))
    if not m or not sheet or sheet not in pkg.sheets:
        return None
    r1, c1, r2, _ = parse_range(m.group(3).replace("$", ""))
    grid = grids.get(book, sheet)
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
