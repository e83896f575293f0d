"""One schema sheet as an Excel Table: headers, values, formula columns, drop-downs, formats.

Every layout decision comes from ``templates/schema.toml`` through :mod:`workbook_addin.core.schema`:
the header text, the number format, the width, the drop-down list of an enum, the allowed range of
a number. Enum cells show the bilingual label (the engine accepts labels and codes alike).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from ..core.cells import is_blank
from .formats import TIER_COLOURS, Formats, cached_value, column_width, write_cell
from ..core.schema import Column, Schema, Sheet
from ..core.text_width import wrap
from .formulas import shareable
from .table_worksheet import TableWorksheet

LISTS_SHEET = "_lists"


def list_name(enum: str) -> str:
    """The workbook name of an enum's drop-down list (on the hidden ``_lists`` sheet)."""
    return f"list_{enum}"


def build_lists_sheet(book: Workbook, ws: Worksheet, fmt: Formats, schema: Schema) -> dict[str, str]:
    """One column per enum holding its labels; returns enum name -> defined name."""
    names: dict[str, str] = {}
    for col, (enum_name, enum) in enumerate(schema.enums.items()):
        ws.write_string(0, col, enum_name, fmt.get(bold=True))
        for row, label in enumerate(enum.labels, start=1):
            ws.write_string(row, col, label)
        letter = xl_col_to_name(col)
        name = list_name(enum_name)
        book.define_name(name, f"='{LISTS_SHEET}'!${letter}$2:${letter}${len(enum.labels) + 1}")
        names[enum_name] = name
        ws.set_column(col, col, 22)
    return names


def display_value(schema: Schema, col: Column, value: Any) -> Any:
    """What a cell shows: an enum code becomes its bilingual label; other values pass through."""
    if col.type == "enum" and col.enum and not is_blank(value):
        enum = schema.enums[col.enum]
        code = enum.normalise(value)
        if code is not None:
            return enum.label_of(code)
    return value


def _validation(col: Column, list_names: Mapping[str, str]) -> dict[str, Any] | None:
    label = col.header
    if col.type == "enum" and col.enum is not None and col.enum in list_names:
        return {"validate": "list", "source": "=" + list_names[col.enum],
                "input_title": col.zh[:32], "input_message": "从列表选择 Choose from the list"[:255],
                "error_type": "warning", "error_title": "不在列表中 Not in the list",
                "error_message": f"{label}: 请从下拉列表选择。Please choose a value from the list."}
    if col.type in ("integer", "number", "money", "percent") and (col.min is not None or col.max is not None):
        kind = "integer" if col.type == "integer" else "decimal"
        if col.min is not None and col.max is not None:
            rule = {"criteria": "between", "minimum": col.min, "maximum": col.max}
            text = f"{col.min:g} – {col.max:g}" if col.type != "percent" else f"{col.min:.0%} – {col.max:.0%}"
        elif col.min is not None:
            rule = {"criteria": ">=", "value": col.min}
            text = f">= {col.min:g}"
        else:
            rule = {"criteria": "<=", "value": col.max}
            text = f"<= {col.max:g}"
        return {"validate": kind, **rule, "error_type": "stop", "error_title": "超出范围 Out of range",
                "error_message": f"{label}: 允许范围 allowed {text}"}
    if col.type in ("date", "datetime"):
        return {"validate": "date", "criteria": ">", "value": pd.Timestamp("2000-01-01").to_pydatetime(),
                "error_type": "warning", "error_title": "日期 Date",
                "error_message": f"{label}: 请输入日期，例如 2026-10-05。Enter a date such as 2026-10-05."}
    return None


def build_table_sheet(book: Workbook, ws: TableWorksheet, fmt: Formats, schema: Schema, sheet: Sheet,
                      frame: pd.DataFrame | None, formulas: Mapping[str, str], list_names: Mapping[str, str],
                      top: int = 0) -> int:
    """Writes ``sheet``'s Table with its header on row ``top`` (0: A1) and ``frame``'s rows; returns
    the number of data rows. Rows above the Table (the Scores sheet's live-values line) stay free.

    ``formulas`` maps column keys to the formula of that calculated column, as its first data row
    carries it (see :mod:`.table_worksheet`); the engine's value for the row is stored with it as
    the cached result, so any viewer shows real numbers before Excel recalculates.
    """
    n = 0 if frame is None else len(frame)
    rows = max(n, 1)  # an Excel Table needs at least one data row
    columns = []
    for col in sheet.columns:
        computed = not col.is_input
        spec: dict[str, Any] = {"header": col.header, "header_format": fmt.header(computed),
                                "format": fmt.for_column(col, computed)}
        if col.key in formulas:
            spec["formula"] = formulas[col.key]
        columns.append(spec)
    ws.add_table(top, 0, top + rows, len(sheet.columns) - 1, {
        "name": sheet.table, "style": "Table Style Light 1", "columns": columns, "autofilter": True,
    })
    for j, col in enumerate(sheet.columns):
        computed = not col.is_input
        cell_fmt = fmt.for_column(col, computed)
        values = frame[col.key].tolist() if frame is not None and col.key in frame.columns else [None] * n
        formula = formulas.get(col.key)
        if formula is not None:
            ws.calculated_column(xl_col_to_name(j), top + 2, top + rows + 1, shareable(formula))
            for i in range(rows):
                cached = cached_value(display_value(schema, col, values[i])) if i < n else ""
                ws.write_formula(top + i + 1, j, formula, cell_fmt, cached)
        else:
            for i in range(n):
                write_cell(ws, top + i + 1, j, display_value(schema, col, values[i]), cell_fmt)
        ws.set_column(j, j, column_width(col), cell_fmt)
        rule = _validation(col, list_names) if col.is_input else None
        if rule is not None:
            # Down to a generous limit so rows added below the table keep the drop-down.
            ws.data_validation(top + 1, j, top + max(rows, 1000), j, rule)
        if col.help_zh or col.help_en:
            ws.write_comment(top, j, f"{col.help_zh}\n{col.help_en}".strip(), {"x_scale": 1.6, "y_scale": 0.8})
    ws.set_row(top, header_height(sheet))
    # Printing: the Table only (long explanations would otherwise spill over blank pages), landscape,
    # one page wide, the header row repeated.
    ws.print_area(0, 0, top + rows, len(sheet.columns) - 1)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(top)
    ws.freeze_panes(top + 1, 1 if sheet.key in ("creators", "scores") else 0)
    _conditional_formats(ws, fmt, schema, sheet, rows, top)
    return n


#: Header row: points per wrapped line of the bold 10 pt header font, plus padding; never below two lines.
HEADER_LINE_POINTS = 14.5
HEADER_MIN_POINTS = 32.0


def header_height(sheet: Sheet) -> float:
    """A header row tall enough for the longest wrapped bilingual header, so none is clipped
    ("回复用时中位数(小时) Median hours to reply" needs four lines in a 13-wide column)."""
    lines = max((len(wrap(col.header, max(int(column_width(col)) - 1, 4)).split("\n")) for col in sheet.columns),
                default=1)
    points = max(HEADER_MIN_POINTS, lines * HEADER_LINE_POINTS + 4)
    return math.ceil(points / 0.75) * 0.75  # whole pixels (0.75 pt), as Excel stores row heights


def _col(sheet: Sheet, key: str) -> int | None:
    return sheet.keys.index(key) if key in sheet.keys else None


def _conditional_formats(ws: Worksheet, fmt: Formats, schema: Schema, sheet: Sheet, rows: int, top: int = 0) -> None:
    first, last_row, r = top + 1, top + rows, top + 2  # first and last data row (0-based); r: the first's Excel number
    last_col = len(sheet.columns) - 1
    j: int | None
    tier = _col(sheet, "tier")
    if tier is not None:
        for code, (bg, fg) in TIER_COLOURS.items():
            ws.conditional_format(first, tier, last_row, tier, {
                "type": "cell", "criteria": "==", "value": f'"{code}"',
                "format": fmt.book.add_format({"bg_color": bg, "font_color": fg, "bold": True})})
    for col in sheet.columns:
        if col.type == "number" and col.min == 0 and col.max == 100 and not col.is_input:
            j = sheet.keys.index(col.key)
            ws.conditional_format(first, j, last_row, j, {
                "type": "data_bar", "bar_color": "#63BE7B", "min_type": "num", "min_value": 0,
                "max_type": "num", "max_value": 100, "bar_solid": True})
    blacklisted = _col(sheet, "blacklisted")
    if blacklisted is not None:
        letter = xl_col_to_name(blacklisted)
        yes = schema.enums["yes_no"].label_of("yes")
        ws.conditional_format(first, 0, last_row, last_col, {
            "type": "formula", "criteria": f'=OR(${letter}{r}="{yes}",LOWER(${letter}{r})="yes",${letter}{r}="是")',
            "format": fmt.book.add_format({"bg_color": "#D9D9D9", "font_color": "#7F7F7F", "italic": True})})
    red = fmt.book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True})
    yes_label = schema.enums["yes_no"].label_of("yes")
    no_label = schema.enums["yes_no"].label_of("no")
    # Compliance violations: no #ad disclosure, a false claim, a platform violation.
    for key, bad in (("ad_disclosure", no_label), ("false_claims", yes_label), ("platform_violation", yes_label)):
        j = _col(sheet, key)
        if j is not None:
            letter = xl_col_to_name(j)
            code = "no" if bad == no_label else "yes"
            ws.conditional_format(first, j, last_row, j, {
                "type": "formula", "criteria": f'=OR(${letter}{r}="{bad}",LOWER(${letter}{r})="{code}")',
                "format": red})
    if sheet.key == "scores":
        j = _col(sheet, "compliance")
        if j is not None:
            ws.conditional_format(first, j, last_row, j, {"type": "cell", "criteria": "<", "value": 60, "format": red})
        j = _col(sheet, "flags")
        if j is not None:
            letter = xl_col_to_name(j)
            ws.conditional_format(first, j, last_row, j, {
                "type": "formula", "criteria": f'=LEN(${letter}{r})>0',
                "format": fmt.book.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})})
    if sheet.key == "creators":
        j = _col(sheet, "fake_follower_rate")
        if j is not None:
            ws.conditional_format(first, j, last_row, j, {
                "type": "cell", "criteria": ">=", "value": "set_fake_follower_flag", "format": red})
    if sheet.key == "collaborations":
        j = _col(sheet, "roi")
        if j is not None:
            ws.conditional_format(first, j, last_row, j, {"type": "cell", "criteria": "<", "value": 0, "format": red})
    _insight_formats(ws, fmt, schema, sheet, last_row, red, top)


def _insight_formats(ws: Worksheet, fmt: Formats, schema: Schema, sheet: Sheet, last_row: int, red: Any,
                     top: int = 0) -> None:
    """The insight sheets' signals, found by column key: overdue reminders, overpriced quotes and
    blacklisted creators contacted again in red; groups with too few contacts grey; the pilot
    gate's "scale" green and "stop" red."""
    last_col = len(sheet.columns) - 1
    yes = schema.enums["yes_no"].label_of("yes")

    def whole_row(key: str, test: str, style: Any) -> None:
        j = _col(sheet, key)
        if j is not None:
            letter = xl_col_to_name(j)
            ws.conditional_format(top + 1, 0, last_row, last_col, {
                "type": "formula", "criteria": "=" + test.format(f"${letter}{top + 2}"),
                "format": fmt.book.add_format(style) if isinstance(style, dict) else style})

    whole_row("days_left", "AND(ISNUMBER({0}),{0}<0)", red)
    whole_row("overpriced", f'{{0}}="{yes}"', red)
    whole_row("blacklisted_key", "LEN({0})>0", red)
    whole_row("too_few", f'{{0}}="{yes}"', {"bg_color": "#EDEDED", "font_color": "#808080"})
    for col in sheet.columns:
        if col.type == "enum" and col.enum == "pilot_decision":
            j = sheet.keys.index(col.key)
            decisions = schema.enums["pilot_decision"]
            green = fmt.book.add_format({"bg_color": "#C6EFCE", "font_color": "#006100", "bold": True})
            for code, style in (("scale", green), ("stop", red)):
                ws.conditional_format(top + 1, j, last_row, j, {
                    "type": "cell", "criteria": "==", "value": f'"{decisions.label_of(code)}"', "format": style})
