"""The Settings sheet (设置 Settings): every weight, cut-off and target, editable without code.

Each scalar setting's value cell carries an Excel name (``set_tier_s``), the six weights are the
name ``Weights`` and the three tier cut-offs ``TierCutoffs``, so formulas pass them to the Python
functions as arguments (``=KOL_SCORE(..., Weights)``) and recalculate when someone edits them.
The ER benchmarks, FX rates and import mapping are Tables beside it.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .formats import NUM_FORMATS, Formats, column_width, write_cell
from ..core.schema import Schema

#: The weight settings in the order the engine's weight vector takes them (= subscore order).
WEIGHT_KEYS = ("w_responsiveness", "w_content_quality", "w_compliance", "w_performance", "w_authenticity",
               "w_audience_fit")
TIER_KEYS = ("tier_s", "tier_a", "tier_b")
WEIGHTS_NAME = "Weights"
TIERS_NAME = "TierCutoffs"
SETTINGS_HEADERS = ("键 Key", "名称 Label (中文)", "名称 Label (English)", "值 Value", "说明/来源 Note / source")
FIRST_ROW = 2  # 0-based row of tblSettings' header (a title sits above it)


@dataclass
class SettingsLayout:
    """Where things landed, for formulas and tests: defined name -> absolute A1 reference."""

    sheet_name: str
    names: dict[str, str] = field(default_factory=dict)


def _abs(sheet_name: str, row: int, col: int, row2: int | None = None, col2: int | None = None) -> str:
    quoted = "'" + sheet_name.replace("'", "''") + "'"
    first = xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)
    if row2 is None:
        return f"{quoted}!{first}"
    return f"{quoted}!{first}:{xl_rowcol_to_cell(row2, col2, row_abs=True, col_abs=True)}"


def _contiguous(keys: Sequence[str], order: list[str]) -> int:
    """Index of the first of ``keys`` in ``order``, checking they follow one another there."""
    start = order.index(keys[0])
    if order[start:start + len(keys)] != list(keys):
        raise ValueError(f"settings.toml must list {', '.join(keys)} one after another (a named range spans them)")
    return start


def build_settings_sheet(book: Workbook, ws: Worksheet, fmt: Formats, schema: Schema,
                         values: Mapping[str, Any] | None = None, list_names: Mapping[str, str] | None = None
                         ) -> SettingsLayout:
    """Writes tblSettings and the small tables; defines the names. ``values`` override defaults."""
    sheet = schema.settings_sheet
    name = sheet["name"]
    layout = SettingsLayout(name)
    values = dict(values or {})
    ws.write_string(0, 0, f"{sheet['zh']} {sheet['en']}", fmt.title())
    ws.write_string(0, 3, "改这里的值，公式会自动重新计算。Edit the values here; formulas recalculate.",
                    fmt.get(italic=True,
                                                                                                 font_color="#595959"))
    ws.set_row(0, 24)
    order = [s.key for s in schema.settings]
    header_row = FIRST_ROW
    rows = []
    for i, setting in enumerate(schema.settings):
        r = header_row + 1 + i
        value = values.get(setting.key, setting.value)
        num_format = NUM_FORMATS.get(setting.type)
        cell_fmt = fmt.get(num_format=num_format, bg_color="#FFF2CC",
                           locked=False) if num_format else fmt.get(bg_color="#FFF2CC", locked=False)
        rows.append((setting, r, value, cell_fmt))
    last = header_row + len(rows)
    ws.add_table(header_row, 0, last, 4, {
        "name": sheet["table"],
        "style": "Table Style Light 9",
        "columns": [{"header": h, "header_format": fmt.header()} for h in SETTINGS_HEADERS],
    })
    for setting, r, value, cell_fmt in rows:
        ws.write_string(r, 0, setting.key, fmt.get(font_color="#7F7F7F"))
        ws.write_string(r, 1, setting.zh, fmt.get())
        ws.write_string(r, 2, setting.en, fmt.get())
        if setting.type in ("percent", "number", "integer") and value not in (None, ""):
            write_cell(ws, r, 3, float(value) if setting.type != "integer" else int(value), cell_fmt)
        else:
            ws.write_string(r, 3, "" if value is None else str(value), cell_fmt)
        ws.write_string(r, 4, setting.source, fmt.get(font_color="#595959"))
        ref = _abs(name, r, 3)
        book.define_name(setting.name, "=" + ref)
        layout.names[setting.name] = ref
        if setting.type == "enum" and list_names and setting.enum is not None and setting.enum in list_names:
            ws.data_validation(r, 3, r, 3, {"validate": "list", "source": "=" + list_names[setting.enum],
                                            "error_title": "无效的值 Invalid value",
                                            "error_message": "请从下拉列表选择。Choose a value from the list."})
        elif setting.type == "percent":
            ws.data_validation(r, 3, r, 3, {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1,
                                            "error_title": "无效的值 Invalid value",
                                            "error_message": "请输入 0% 到 100% 之间的百分比。Enter a percentage from "
                                                             "0% to 100%."})
        elif setting.type in ("number", "integer"):
            ws.data_validation(r, 3, r, 3, {"validate": "decimal" if setting.type == "number" else "integer",
                                            "criteria": ">=", "value": 0,
                                            "error_title": "无效的值 Invalid value",
                                            "error_message": "请输入不小于 0 的数字。Enter a number of 0 or more."})
    for group_name, keys in ((WEIGHTS_NAME, WEIGHT_KEYS), (TIERS_NAME, TIER_KEYS)):
        start = header_row + 1 + _contiguous(keys, order)
        ref = _abs(name, start, 3, start + len(keys) - 1, 3)
        book.define_name(group_name, "=" + ref)
        layout.names[group_name] = ref
    # Weights must add up: show the sum next to them so people see when they do not.
    w0 = header_row + 1 + order.index(WEIGHT_KEYS[0])
    total = sum(float(values.get(k, schema.setting(k).value)) for k in WEIGHT_KEYS)
    ws.write_formula(w0, 5, f"=SUM({WEIGHTS_NAME})", fmt.get(num_format="0%", bold=True), total)
    ws.write_string(w0 + 1, 5, "权重合计，不等于 100% 时按比例换算", fmt.get(font_color="#595959", font_size=9))
    ws.write_string(w0 + 2, 5, "Weights total; normalised when not 100%", fmt.get(font_color="#595959", font_size=9))
    for col, width in enumerate((20, 22, 30, 14, 60, 14)):
        ws.set_column(col, col, width)
    ws.freeze_panes(header_row + 1, 0)

    # The small tables go to the right, one under another.
    left = 7
    r = header_row
    for key in ("er_benchmarks", "fx_rates", "import_map"):
        table = schema.settings_tables[key]
        ws.write_string(r - 1, left, _TABLE_TITLES[key], fmt.subtitle())
        n = max(len(table.rows), 1)
        ws.add_table(r, left, r + n, left + len(table.columns) - 1, {
            "name": table.table,
            "style": "Table Style Light 9",
            "columns": [{"header": c.header, "header_format": fmt.header()} for c in table.columns],
        })
        for i, row in enumerate(table.rows):
            for j, (tcol, value) in enumerate(zip(table.columns, row)):
                if tcol.type == "date" and isinstance(value, str):
                    value = dt.datetime.strptime(value, "%Y-%m-%d")
                write_cell(ws, r + 1 + i, left + j, value, fmt.for_column(tcol))
        for j, tcol in enumerate(table.columns):
            enum_name = tcol.enum if tcol.type == "enum" else None
            if enum_name and list_names and enum_name in list_names:
                ws.data_validation(r + 1, left + j, r + n, left + j,
                                   {"validate": "list", "source": "=" + list_names[enum_name]})
        ref = _abs(name, r + 1, left, r + n, left + len(table.columns) - 1)
        book.define_name(table.name, "=" + ref)
        layout.names[table.name] = ref
        r = r + n + 4
    widths: dict[int, float] = {}
    for table in schema.settings_tables.values():
        for j, tcol in enumerate(table.columns):
            widths[j] = max(widths.get(j, 0), min(column_width(tcol) if tcol.width else 14, 30))
    for j, w in widths.items():
        ws.set_column(left + j, left + j, w if j != 7 else 34)
    ws.set_column(left - 1, left - 1, 3)
    return layout


_TABLE_TITLES = {
    "er_benchmarks": "互动率基准 Engagement-rate benchmarks",
    "fx_rates": "汇率 Exchange rates",
    "import_map": "自定义导入映射 Custom import mapping",
}
