"""The workbook open in Excel, read and written through xlwings' object model.

Classic xlwings (the Refresh button's ``RunPython``, :mod:`workbook_addin.macros`) and xlwings Lite
(:mod:`workbook_addin.lite_script`) hand the refresh job the same adapter: it reads the Excel Tables
through xlwings ranges into the frames the file reader makes (:mod:`.tables_layout`) and writes back only
the cells that change, a run of consecutive cells of a column in one range write. Formula cells are
left to Excel, which recalculates them itself. Only the open-source xlwings API is used (ranges,
tables, names, ``app.status_bar``, ``app.alert``).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from ..core.cells import flatten
from ..core.schema import Schema, load_schema
from .tables_changes import WorkbookChanges, plain_value
from .tables_layout import TableLayout, WorkbookData, frame_from_rows, table_specs
from .xlsx.refs import col_letter, parse_range
from .xlsx.ranges import follows_table

TITLE = "刷新数据 Refresh metrics"


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers -> (first, last) runs of consecutive rows, so a column of changes costs a
    few range writes instead of one COM call per cell."""
    out: list[tuple[int, int]] = []
    for r in sorted(rows):
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


class XlwingsWorkbook:
    """The live adapter: the workbook open in Excel, through xlwings (``xw.Book.caller()``)."""

    formulas_recalculate = True

    def __init__(self, book: Any, *, schema: Schema | None = None):
        self.book = book
        self.schema = schema or load_schema()
        self._tables: dict[str, tuple[Any, Any]] = {}
        self._data: WorkbookData | None = None

    @property
    def folder(self) -> Path:
        return Path(self.book.fullname).resolve().parent

    def status(self, text: str, fraction: float | None = None) -> None:
        pct = f" {int(fraction * 100)}%" if fraction is not None else ""
        self.book.app.status_bar = f"{TITLE}{pct}: {text}"

    def _first_row_formulas(self, table: str, sheet: Any, row: int, c1: int, c2: int) -> list[Any]:
        """The formulas (or values) of a table's first data row, to tell Excel's calculated columns,
        which the refresh must not overwrite, from typed ones."""
        return flatten(sheet.range((row, c1), (row, c2)).formula)

    def _find_tables(self) -> None:
        self._tables = {}
        for sheet in self.book.sheets:
            for table in sheet.tables:
                self._tables[table.name] = (sheet, table)

    def read(self) -> WorkbookData:
        self._find_tables()
        tables: dict[str, Any] = {}
        settings_tables: dict[str, Any] = {}
        layouts: dict[str, TableLayout] = {}
        warnings: list[str] = []
        for key, table_name, columns, is_setting in table_specs(self.schema):
            if table_name not in self._tables:
                warnings.append(f"表格 {table_name} 不存在 / table {table_name} is missing")
                continue
            sheet, table = self._tables[table_name]
            rng = table.range
            header_row, c1 = rng.row, rng.column
            last_row, c2 = rng.last_cell.row, rng.last_cell.column
            headers = flatten(table.header_row_range.value)
            body = table.data_body_range
            if body is None:
                rows: list[list[Any]] = []
                first = header_row + 1
            else:
                first = body.row
                values = body.options(ndim=2).value
                rows = [list(r) for r in values]
            frame, offsets, warn = frame_from_rows(columns, headers, rows, first, f"{sheet.name} [{table_name}]")
            warnings += warn
            formulas = set()
            if rows:
                first_formulas = self._first_row_formulas(table_name, sheet, first, c1, c2)
                formulas = {k for k, off in offsets.items()
                            if off < len(first_formulas) and str(first_formulas[off] or "").startswith("=")}
            layouts[key] = TableLayout(
                key=key, table=table_name, sheet=sheet.name, header_row=header_row, first_data_row=first,
                last_row=max(last_row, first), next_row=(int(frame.index.max()) + 1) if len(frame) else first,
                columns={k: c1 + off for k, off in offsets.items()}, formula_columns=formulas,
            )
            (settings_tables if is_setting else tables)[key] = frame
        names: dict[str, tuple[str, int, int]] = {}
        named_values: dict[str, Any] = {}
        for n in self.book.names:
            try:
                target = n.refers_to_range
            except Exception:  # noqa: BLE001 - names that are formulas or constants have no range
                continue
            if target is None or target.count != 1:
                continue
            names[n.name] = (target.sheet.name, target.row, target.column)
            named_values[n.name] = target.value
        settings_values = {}
        for s in self.schema.settings:
            if s.name in named_values:
                v = named_values[s.name]
                settings_values[s.key] = (str(int(v)) if s.type == "text" and isinstance(v, float) and v.is_integer()
                                          else v)
            else:
                warnings.append(f"设置 {s.zh} 缺少名称 {s.name} / setting {s.en}: named cell {s.name} is missing; "
                                "default used")
                settings_values[s.key] = s.value
        self._data = WorkbookData(tables, settings_values, settings_tables, layouts, names, self.folder, warnings)
        return self._data

    def _write_cells(self, layout: TableLayout, rows: dict[int, dict[str, Any]]) -> None:
        sheet, _ = self._tables[layout.table]
        by_col: dict[str, dict[int, Any]] = {}
        for row, values in rows.items():
            for key, value in values.items():
                by_col.setdefault(key, {})[row] = value
        for key, cells in by_col.items():
            col = layout.columns.get(key)
            if col is None or key in layout.formula_columns:
                continue  # Excel recalculates formula cells; writing a value would destroy the formula
            for r0, r1 in _runs(list(cells)):
                block = [[_excel_value(cells[r])] for r in range(r0, r1 + 1)]
                sheet.range((r0, col), (r1, col)).value = block if r1 > r0 else block[0][0]

    def _resize(self, sheet: Any, table: Any, layout: TableLayout, last: int) -> None:
        """The Table ends at row ``last``; a print area that was the table's follows it, as in the
        file adapter (Excel carries formats and calculated columns along itself, not the print area)."""
        rng = table.range
        c1, c2, old_last = rng.column, rng.last_cell.column, rng.last_cell.row
        table.resize(sheet.range((layout.header_row, c1), (last, c2)))
        area = sheet.page_setup.print_area
        try:
            r1, a1, _r2, a2 = parse_range(str(area or "").replace("$", ""))
        except ValueError:
            return  # no print area, or several: nothing of the table's to follow
        if follows_table((r1, a1, _r2, a2), c1, c2, layout.first_data_row, old_last, last):
            sheet.page_setup.print_area = f"${col_letter(a1)}${r1}:${col_letter(a2)}${last}"

    def write(self, changes: WorkbookChanges) -> None:
        data = self._data
        if data is None:
            raise RuntimeError("read() the workbook before writing it")
        for key, rows in changes.cells.items():
            self._write_cells(data.layouts[key], rows)
        for key, keep in changes.keep_rows.items():
            layout = data.layouts[key]
            sheet, table = self._tables[layout.table]
            c1, c2 = min(layout.columns.values()), max(layout.columns.values())
            first_clear = layout.first_data_row + keep
            if first_clear <= layout.last_row:
                sheet.range((first_clear, c1), (layout.last_row, c2)).clear_contents()
            self._resize(sheet, table, layout, max(first_clear - 1, layout.first_data_row))
        for key, records in changes.appends.items():
            if not records:
                continue
            layout = data.layouts[key]
            sheet, table = self._tables[layout.table]
            start = layout.next_row
            if key in changes.cells:
                start = max(start, max(changes.cells[key]) + 1)
            if key in changes.keep_rows:
                start = layout.first_data_row + changes.keep_rows[key]
            last = start + len(records) - 1
            if last > layout.last_row:  # Excel extends the table's formats and calculated columns
                self._resize(sheet, table, layout, last)
            self._write_cells(layout, {start + i: rec for i, rec in enumerate(records)})
        for name, value in changes.names.items():
            where = data.names.get(name)
            if where is not None:
                self.book.sheets[where[0]].range((where[1], where[2])).value = _excel_value(value)


def _excel_value(value: Any) -> Any:
    """Values xlwings can hand to Excel: no NaN/NaT, no numpy scalars, and text that stays text.

    Excel treats a string assigned to ``Range.value`` like typed input: "=..." (or "+", "-", "@")
    becomes a formula and "0012" the number 12. Text from outside (the shared archive, exports) gets
    Excel's leading apostrophe, which marks it as text and is not part of the value."""
    v = plain_value(value)
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime(v.year, v.month, v.day)
    if isinstance(v, str) and _EXCEL_REREADS.match(v):
        return "'" + v
    return v


#: Text Excel would not keep as typed: formula leads, an apostrophe, or anything number-, date- or
#: boolean-like (digits with signs, separators, %, currency, exponents; TRUE/FALSE).
_EXCEL_REREADS = re.compile(r"^(?:[=+\-@']|\s*[$€¥£]?[\d.,:/ %eE$€¥£+\-]*\d[\d.,:/ %eE$€¥£+\-]*\s*$|(?i:true|false)$)")
