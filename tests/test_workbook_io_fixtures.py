"""A small schema-shaped .xlsm written with XlsxWriter, for the workbook I/O tests.

It carries everything a refresh must not lose: Excel Tables named per schema with bilingual headers,
a calculated column, a chart, a form-control button wired to RefreshMetrics with a real VBA project
(xlwings' own quickstart_standalone.xlsm's vbaProject.bin), data validation, a conditional format,
a comment, defined names for the Settings cells and RefreshStatus, and a sheet a user added.
(No tests here: the helpers are shared by test_workbook_io*.py and test_refresh*.py.)
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import xlsxwriter
import xlwings

from workbook_addin.core.sample import load_sample
from workbook_addin.core.schema import load_schema
from workbook_addin.workbook.xlsx.refs import col_letter

USER_SHEET = "我的笔记 My notes"
SETTINGS_SHEET = "设置 Settings"


def vba_project_bin(folder: Path) -> Path:
    """xlwings' standalone VBA project, extracted from the installed package's quickstart workbook."""
    src = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    target = folder / "vbaProject.bin"
    with zipfile.ZipFile(src) as z:
        target.write_bytes(z.read("xl/vbaProject.bin"))
    return target


def typed(value, col_type: str):
    """A sample CSV cell as the builder would store it: numbers as numbers, dates as dates."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    try:
        if col_type in ("integer", "number", "money"):
            return float(text.replace(",", ""))
        if col_type == "percent":
            return float(text.rstrip("%")) / 100 if text.endswith("%") else float(text)
        if col_type in ("date", "datetime"):
            return pd.Timestamp(text).to_pydatetime()
    except ValueError:
        return text
    return text


def sample_rows() -> dict[str, list[dict]]:
    """The bundled sample, typed, as rows per sheet key."""
    schema = load_schema()
    out = {}
    for key, frame in load_sample().items():
        sheet = schema.sheet(key)
        out[key] = [{c.key: typed(r.get(c.key), c.type) for c in sheet.columns} for r in frame.to_dict("records")]
    return out


def make_workbook(path: Path, tables: dict[str, list[dict]] | None = None, *, extra_rows: int = 0) -> Path:
    """Writes a schema-shaped workbook; ``tables`` maps sheet key -> rows (dicts keyed by column key)."""
    schema = load_schema()
    tables = tables or {}
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                         "default_date_format": "yyyy-mm-dd"})
    bold = wb.add_format({"bold": True})
    pct = wb.add_format({"num_format": "0.0%"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    red = wb.add_format({"font_color": "#9C0006", "bg_color": "#FFC7CE"})
    for sheet in schema.sheets:
        ws = wb.add_worksheet(sheet.name)
        rows = tables.get(sheet.key, [])
        data = [[r.get(c.key) for c in sheet.columns] for r in rows]
        n = max(len(data) + extra_rows, 1)
        columns = []
        for i, c in enumerate(sheet.columns):
            spec = {"header": c.header}
            fmt = pct if c.type == "percent" else date_fmt if c.type in ("date", "datetime") else None
            if fmt is not None:
                spec["format"] = fmt
                ws.set_column(i, i, c.width or 12, fmt)  # the column's style: new cells take it
            columns.append(spec)
        ws.add_table(0, 0, n, len(sheet.columns) - 1,
                     {"name": sheet.table, "columns": columns, "data": data, "style": "Table Style Medium 2"})
        ws.freeze_panes(1, 0)
        if sheet.key == "creators":
            col = sheet.keys.index("platform")
            ws.data_validation(1, col, n, col, {"validate": "list", "source": ["TikTok", "Instagram", "YouTube"]})
            col = sheet.keys.index("fake_follower_rate")
            ws.conditional_format(1, col, n, col, {"type": "cell", "criteria": ">", "value": 0.15, "format": red})
            ws.write_comment(0, 0, "平台+标准化账号 Platform + normalised handle")
        if sheet.key == "collaborations":
            # a formula column whose cached value a refresh must update (as the builder writes for ROAS)
            gmv = col_letter(sheet.keys.index("gmv_base") + 1)
            cost = col_letter(sheet.keys.index("total_cost") + 1)
            col = sheet.keys.index("roas")
            for i in range(n):
                ws.write_formula(i + 1, col, f"=IF(N({cost}{i + 2})>0,{gmv}{i + 2}/{cost}{i + 2},\"\")", None, "")
    # Settings: one scalar a row, named set_<key>; the settings tables below.
    ws = wb.add_worksheet(SETTINGS_SHEET)
    ws.write_row(0, 0, ["键 Key", "设置 Setting", "值 Value"], bold)
    for i, s in enumerate(schema.settings, start=1):
        ws.write(i, 0, s.key)
        ws.write(i, 1, f"{s.zh} {s.en}")
        ws.write(i, 2, s.value, pct if s.type == "percent" else None)
        wb.define_name(s.name, f"='{SETTINGS_SHEET}'!$C${i + 1}")
    row = len(schema.settings) + 3
    for key, t in schema.settings_tables.items():
        data = [list(r) for r in t.rows]
        n = max(len(data), 1)
        ws.add_table(row, 0, row + n, len(t.columns) - 1,
                     {"name": t.table, "columns": [{"header": c.header} for c in t.columns], "data": data})
        row += n + 3
    ws.write(row, 0, "刷新状态 Refresh status", bold)
    wb.define_name("RefreshStatus", f"='{SETTINGS_SHEET}'!$B${row + 1}")
    ws.insert_button(row + 2, 0, {"macro": "RefreshMetrics", "caption": "刷新数据 Refresh metrics", "width": 160, "height": 30})
    # A dashboard chart over the creators' scores.
    dash = wb.add_worksheet("看板 Dashboard")
    creators = schema.sheet("creators")
    score_col = creators.keys.index("score")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "总分 Score", "values": [creators.name, 1, score_col, 10, score_col]})
    dash.insert_chart("B2", chart)
    user = wb.add_worksheet(USER_SHEET)
    user.write("A1", "团队备注 Team notes")
    user.write("A2", "Do not delete")
    wb.add_vba_project(str(vba_project_bin(path.parent)))
    wb.close()
    return path


def zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def assert_same_members(here: Path, there: Path) -> None:
    """Both files are valid zips holding the same members, byte for byte, in the same order."""
    with zipfile.ZipFile(here) as a, zipfile.ZipFile(there) as b:
        assert b.testzip() is None and a.namelist() == b.namelist()
        assert [name for name in a.namelist() if a.read(name) != b.read(name)] == []
