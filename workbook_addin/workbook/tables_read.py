"""Reading a workbook file headless: every schema table as a frame, the Settings, where things sit.

python-calamine reads the cell values (openpyxl takes tens of seconds on 50 000 rows) and the
Excel Table parts say where each table sits.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.schema import Column, Schema, load_schema
from .dashboard_cells import MARKETS_NAME, markets_from_labels
from .xlsx import XlsxPackage
from .xlsx.package import PackageError
from .xlsx.refs import parse_range
from .tables_layout import TEXT_TYPES, TableLayout, WorkbookData, frame_from_rows, table_specs
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


def _grid(book, sheet: str, cache: dict[str, list[list[Any]]]) -> list[list[Any]]:
    if sheet not in cache:
        cache[sheet] = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return cache[sheet]


#: a sheet part this large (as stored) is parsed on a second thread while the others are parsed
PREFETCH_BYTES = 2_000_000


def _prefetch(pkg: XlsxPackage, path: Path, sheets: list[str], grids: dict[str, list[list[Any]]]
              ) -> tuple[str, Future] | None:
    """Starts parsing the largest sheet's cells on a second thread and returns (sheet, its future),
    or None when no sheet is worth it. calamine releases the GIL while it parses, so where a core
    is free the 50 000-row Collaborations sheet is parsed while this thread parses the other sheets
    and builds their frames."""
    todo = sorted((s for s in dict.fromkeys(sheets) if s not in grids and s in pkg.sheets),
                  key=lambda s: pkg.infos_size(pkg.sheets[s].part), reverse=True)
    if len(todo) < 2 or pkg.infos_size(pkg.sheets[todo[0]].part) < PREFETCH_BYTES:
        return None
    from python_calamine import CalamineWorkbook

    def parse_biggest() -> list[list[Any]]:  # its own workbook handle: one handle is not shared across threads
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(todo[0]).to_python(skip_empty_area=False)

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return todo[0], pool.submit(parse_biggest)
    finally:
        pool.shutdown(wait=False)  # the thread ends with its one task


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
                 grids: dict[str, list[list[Any]]] | None = None) -> WorkbookData:
    """The workbook's tables (only the schema sheets in ``keys``, when given: a refresh that finds
    nothing changed reads its run log, not 50 000 collaborations), Settings and layout. ``grids``:
    cell rows by sheet parsed before (kept and added to: a second read parses no sheet twice), and of
    sheets the package holds but the file does not yet (sheets an upgrade added)."""
    grids = {} if grids is None else grids
    specs = [spec for spec in table_specs(schema) if keys is None or spec[3] or spec[0] in keys]
    sheet_of = [pkg.tables[spec[1]].sheet if spec[1] in pkg.tables else None for spec in specs]
    pending = _prefetch(pkg, path, [s for s in sheet_of if s is not None], grids)
    read: dict[int, tuple[pd.DataFrame, TableLayout, list[str]] | None] = {}
    # the prefetched sheet's tables last: the other sheets are parsed and framed while it is parsed
    for i in sorted(range(len(specs)), key=lambda i: pending is not None and sheet_of[i] == pending[0]):
        if pending is not None and sheet_of[i] == pending[0] and pending[0] not in grids:
            grids[pending[0]] = pending[1].result()
        read[i] = _read_table(pkg, book, specs[i], grids)
    tables: dict[str, pd.DataFrame] = {}
    settings_tables: dict[str, pd.DataFrame] = {}
    layouts: dict[str, TableLayout] = {}
    warnings: list[str] = []
    for i, (key, table_name, _columns, is_setting) in enumerate(specs):
        found = read[i]
        if found is None:
            warnings.append(f"表格 {table_name} 不存在 / table {table_name} is missing")
            continue
        frame, layouts[key], warn = found
        warnings += warn
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
            warnings.append(f"设置 {s.zh} 缺少名称 {s.name} / setting {s.en}: named cell {s.name} is missing; default "
                            "used")
            settings_values[s.key] = s.value
            continue
        value = _cell(_grid(book, where[0], grids), where[1], where[2])
        settings_values[s.key] = _clean(value, s.type in TEXT_TYPES)
    return WorkbookData(tables, settings_values, settings_tables, layouts, names, path.parent, warnings,
                        _dashboard_markets(pkg, book, grids))


def _read_table(pkg: XlsxPackage, book, spec: tuple[str, str, Sequence[Column], bool],
                grids: dict[str, list[list[Any]]]) -> tuple[pd.DataFrame, TableLayout, list[str]] | None:
    """One table's frame, layout and warnings (None when the workbook has no such Excel Table)."""
    key, table_name, columns, _is_setting = spec
    t = pkg.tables.get(table_name)
    if t is None:
        return None
    grid = _grid(book, t.sheet, grids)
    r1, c1, r2, c2 = t.ref
    headers = [_cell(grid, t.header_row, c) for c in range(c1, c2 + 1)]
    width = c2 - c1 + 1
    body = grid[t.first_data_row - 1:t.last_data_row]
    if c1 > 1:  # a table from column A takes its rows as parsed: cells right of it are never looked at
        body = [cells[c1 - 1:c2] for cells in body]
    body += [[None] * width for _ in range(t.last_data_row - t.first_data_row + 1 - len(body))]  # below the used area
    frame, offsets, warn = frame_from_rows(columns, headers, body, t.first_data_row, f"{t.sheet} [{table_name}]")
    layout = TableLayout(
        key=key, table=table_name, sheet=t.sheet, header_row=t.header_row, first_data_row=t.first_data_row,
        last_row=t.last_data_row, next_row=(int(frame.index.max()) + 1) if len(frame) else t.first_data_row,
        columns={k: c1 + off for k, off in offsets.items()},
        formula_columns={k for k, off in offsets.items() if c1 + off in t.calculated},
    )
    return frame, layout, warn


def _dashboard_markets(pkg: XlsxPackage, book, grids: dict[str, list[list[Any]]]) -> list[str] | None:
    """The market labels in the first column of the dashboard's ``Dashboard_Markets`` range: the
    refresh needs them to find that table's cells (their number was fixed by the build)."""
    m = _RANGE_NAME.match((pkg.defined_names.get(MARKETS_NAME) or "").strip())
    sheet = m and ((m.group(1) or "").replace("''", "'") or m.group(2))
    if not m or not sheet or sheet not in pkg.sheets:
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
