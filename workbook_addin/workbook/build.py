"""Builds ``Lianxing_Evaluation.xlsm`` from ``templates/`` — the workbook ops staff open.

One call, on any platform, no Excel: XlsxWriter lays out the sheets, Tables, drop-downs,
conditional formats, charts and the Refresh button; :mod:`workbook_addin.workbook.vba` generates the VBA
project (xlwings' standalone module, the UDF wrappers, ``RefreshMetrics``). The engine evaluates
the data first, and every formula cell is written with the engine's value as its cached result,
so the file shows real numbers in any viewer before Excel recalculates.

The build is deterministic (fixed document dates, fixed zip timestamps, no random ids), so the
committed workbook is exactly what ``lianxing build`` writes, and a test can prove it.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import xlsxwriter

from .formats import Formats
from .settings_sheet import SettingsLayout, build_settings_sheet
from .sheets import LISTS_SHEET, build_lists_sheet, build_table_sheet, display_value
from .dashboard import DASHBOARD_SHEET, DashboardLayout, build_dashboard
from ..engine.evaluation import evaluate
from .calc_sheet import (CALC_SHEET, LIVE_LINE_CELLS, build_calc_sheet, calc_names, last_refresh_frame,
                         live_line_formula, live_line_text)
from .formulas import column_formulas
from .structured_refs import first_data_row
from .table_worksheet import TableWorksheet
from .guide import CONF_SHEET, GUIDE_SHEET, build_conf_sheet, build_guide_sheet
from ..insights import workbook_tables
from ..core.sample import load_sample
from ..core.schema import Schema, load_schema
from ..core.settings import Settings
from ..core.timing import timed
from .vba import build_vba_project

#: Document dates are fixed so two builds are byte-for-byte the same.
BUILD_DATE = dt.datetime(2026, 1, 1, 0, 0, 0)
#: "Today" for the sample's evaluation (pending outreach depends on it), after the sample's dates.
SAMPLE_TODAY = dt.date(2026, 12, 1)
#: Excel 365's calculation engine id: with it Excel shows the cached values on open instead of
#: recalculating everything (which would call Python before the user has set it up).
CALC_ID = 191029
WORKBOOK_CODE_NAME = "ThisWorkbook"
#: VBA codeNames of the fixed sheets; schema sheets get "sh" + their key in CamelCase.
FIXED_CODE_NAMES = {DASHBOARD_SHEET: "shDashboard", GUIDE_SHEET: "shGuide", CONF_SHEET: "shXlwingsConf",
                    LISTS_SHEET: "shLists", CALC_SHEET: "shCalc"}


def code_name(sheet_key: str) -> str:
    return "sh" + "".join(part.capitalize() for part in sheet_key.split("_"))


@dataclass
class BuildReport:
    """What a build wrote: sheets in order, rows per table, the engine's problems, timings."""

    path: Path
    sheets: list[tuple[str, str]] = field(default_factory=list)  # (tab name, codeName)
    rows: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    settings: SettingsLayout | None = None
    dashboard: DashboardLayout | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def sheet_plan(schema: Schema) -> list[tuple[str, str, str | None]]:
    """(tab name, codeName, schema sheet key or None) in workbook order."""
    plan: list[tuple[str, str, str | None]] = [
        (DASHBOARD_SHEET, FIXED_CODE_NAMES[DASHBOARD_SHEET], None),
        (GUIDE_SHEET, FIXED_CODE_NAMES[GUIDE_SHEET], None),
    ]
    hidden: list[tuple[str, str, str | None]] = []
    for sheet in schema.sheets:
        entry = (sheet.name, code_name(sheet.key), sheet.key)
        (hidden if sheet.hidden else plan).append(entry)
    plan.append((schema.settings_sheet["name"], "shSettings", "settings"))
    plan.append((CONF_SHEET, FIXED_CODE_NAMES[CONF_SHEET], None))
    plan.extend(hidden)
    plan.append((LISTS_SHEET, FIXED_CODE_NAMES[LISTS_SHEET], None))
    plan.append((CALC_SHEET, FIXED_CODE_NAMES[CALC_SHEET], None))
    return plan


def evaluate_for_build(tables: Mapping[str, pd.DataFrame] | None, settings: Settings | None = None,
                       today: Any = SAMPLE_TODAY):
    """The engine's evaluation of what goes into the workbook (empty tables give empty frames)."""
    tables = {k: v for k, v in dict(tables or {}).items() if v is not None and len(v)}
    if not tables:
        # Nothing to evaluate (``lianxing new``): every sheet starts empty.
        schema = load_schema()
        return SimpleNamespace(tables={s.key: pd.DataFrame(columns=s.keys) for s in schema.sheets}, problems=[],
                               notes=[])
    return evaluate(tables, settings or Settings.defaults(), today=today)


def _live_lines(dashboard: TableWorksheet, scores: TableWorksheet, fmt: Formats, status: str) -> None:
    """The line saying which values are live and when the last refresh ran, on the Dashboard and
    above the Scores table (the same formula; the refresh rewrites its cached text)."""
    style = fmt.get(italic=True, font_color="#7F6000", bg_color="#FFF2CC", text_wrap=True, valign="vcenter")
    for ws, last_col in ((dashboard, 8), (scores, 11)):
        ws.merge_range(0 if ws is scores else 4, 0, 0 if ws is scores else 4, last_col, "", style)
        ws.write_formula(LIVE_LINE_CELLS["scores" if ws is scores else "dashboard"], live_line_formula(), style,
                         live_line_text(status))
        ws.set_row(0 if ws is scores else 4, 30)


def _as_shown(schema: Schema, creators: pd.DataFrame | None) -> pd.DataFrame | None:
    """The Creators columns the key formula joins, as the build writes them (enum labels)."""
    if creators is None or not len(creators):
        return creators
    shown = creators.copy()
    platform = schema.sheet("creators").column("platform")
    shown["platform"] = [display_value(schema, platform, v) for v in shown["platform"]]
    return shown


def build_workbook(path: str | Path, tables: Mapping[str, pd.DataFrame] | None = None, *, empty: bool = False,
                   settings: Settings | None = None, settings_values: Mapping[str, Any] | None = None,
                   today: Any = SAMPLE_TODAY, status_text: str | None = None) -> BuildReport:
    """Writes the workbook to ``path`` (``.xlsm``) and returns what it wrote.

    ``tables`` default to the bundled sample (:func:`workbook_addin.core.sample.load_sample`);
    ``empty=True`` writes the same workbook without data rows (``lianxing new``).
    """
    seconds: dict[str, float] = {}
    with timed(seconds, "total"):
        with timed(seconds, "evaluate"):
            path = Path(path)
            schema = load_schema()
            if empty:
                tables = {}
            elif tables is None:
                tables = load_sample()
            evaluation = evaluate_for_build(tables, settings, today)
        report = BuildReport(path, problems=[str(p) for p in evaluation.problems])
        with timed(seconds, "insights"):
            # The insight sheets (Playbook, Reminders, ...): the same function the refresh job rewrites them with.
            insights = workbook_tables(evaluation, tables, settings or Settings.defaults(), today)
            frames = {**evaluation.tables, **insights}
            frames["last_refresh"] = last_refresh_frame(_as_shown(schema, frames.get("creators")), frames.get("scores"))
        plan = sheet_plan(schema)
        report.sheets = [(name, code) for name, code, _ in plan]
        with timed(seconds, "vba"):
            vba = build_vba_project(report.sheets, WORKBOOK_CODE_NAME, schema.meta.get("workbook", path.name))
        with timed(seconds, "write"):
            _write_atomically(path, schema, plan, frames, vba, report, settings_values, status_text,
                              (settings or Settings.defaults()).target_markets, seconds)
    report.seconds.update(seconds)
    return report


def _write_atomically(path: Path, schema: Schema, plan: list[tuple[str, str, str | None]],
                      frames: Mapping[str, pd.DataFrame], vba: bytes, report: BuildReport,
                      settings_values: Mapping[str, Any] | None, status_text: str | None,
                      markets: tuple[str, ...], seconds: dict[str, float]) -> None:
    """Written next to the target and renamed, so a failed build never leaves half a workbook."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".lianxing-build-", suffix=".xlsm", dir=path.parent)
    os.close(fd)
    try:
        _write(tmp_name, schema, plan, frames, vba, report, settings_values, status_text, markets)
        with timed(seconds, "lite"):
            _add_lite_front(tmp_name)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _add_lite_front(filename: str) -> None:
    """The xlwings Lite front (main.py and requirements.txt in the web-extension parts), patched
    into the written file: XlsxWriter does not write those parts."""
    from ..lite.main_py import main_py, requirements_txt
    from ..lite.parts import add_lite_parts, lite_properties

    add_lite_parts(filename, lite_properties(main_py(), requirements_txt()))


def _write(filename: str, schema: Schema, plan, frames: Mapping[str, pd.DataFrame], vba: bytes, report: BuildReport,
           settings_values: Mapping[str, Any] | None, status_text: str | None,
           target_markets: tuple[str, ...] = ()) -> None:
    book = xlsxwriter.Workbook(filename, {
        "in_memory": True,            # fixed 1980 zip timestamps
        "strings_to_formulas": False,  # text from outside never becomes a formula
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "default_date_format": "yyyy-mm-dd",
        "use_future_functions": False,
    })
    book.set_properties({
        "title": "联星达人评估 Lianxing creator evaluation",
        "subject": "达人评估、评分与分级 Creator evaluation, scoring and tiers",
        "author": "Lianxing",
        "company": "Lianxing",
        "comments": "Built by `lianxing build` from templates/; do not edit the layout by hand.",
        "created": BUILD_DATE,
    })
    book.set_calc_mode("auto", calc_id=CALC_ID)
    book.calc_on_load = False
    book.set_vba_name(WORKBOOK_CODE_NAME)
    book.add_vba_project(io.BytesIO(vba), is_stream=True)
    fmt = Formats(book)
    sheets = {}
    for name, code, _key in plan:
        ws = book.add_worksheet(name, worksheet_class=TableWorksheet)
        ws.set_vba_name(code)
        sheets[name] = ws
    list_names = build_lists_sheet(book, sheets[LISTS_SHEET], fmt, schema)
    formulas = column_formulas(schema)
    for name, _code, key in plan:
        if key is None or key == "settings":
            continue
        sheet = schema.sheet(key)
        frame = frames.get(key)
        report.rows[key] = build_table_sheet(book, sheets[name], fmt, schema, sheet, frame, formulas.get(key, {}),
                                             list_names, top=first_data_row(key) - 2)
        if sheet.hidden:
            sheets[name].hide()
    report.settings = build_settings_sheet(book, sheets[schema.settings_sheet["name"]], fmt, schema,
                                           settings_values, list_names)
    status = (status_text
              or "尚未刷新：由 lianxing build 从 templates/ 生成。Not refreshed yet: built from templates/ by "
                 "`lianxing build`.")
    report.dashboard = build_dashboard(book, sheets[DASHBOARD_SHEET], fmt, schema, dict(frames), status,
                                       target_markets)
    purposes = [(DASHBOARD_SHEET, "刷新按钮、关键指标和图表。", "The Refresh button, key figures and charts.")]
    purposes.append((GUIDE_SHEET, "本页。", "This page."))
    for name, _code, key in plan:
        if key and key != "settings" and not schema.sheet(key).hidden:
            s = schema.sheet(key)
            purposes.append((name, f"{s.zh}：{s.help_zh}", f"{s.en}: {s.help_en}"))
    purposes.append((schema.settings_sheet["name"],
                     "权重、分数线、KPI 目标、互动率基准、汇率、导入映射；Google 表格设置。",
                     "Weights, tier cut-offs, KPI targets, ER benchmarks, FX rates, import mapping; Google Sheet "
                     "settings."))
    purposes.append((CONF_SHEET, "xlwings 设置：Python 路径和函数模块。",
                     "xlwings settings: the Python interpreter and the functions' module."))
    build_guide_sheet(sheets[GUIDE_SHEET], fmt, schema, purposes)
    build_conf_sheet(sheets[CONF_SHEET], fmt)
    build_calc_sheet(sheets[CALC_SHEET], fmt, schema, frames)
    for name, ref in calc_names().items():
        book.define_name(name, ref)
    _live_lines(sheets[DASHBOARD_SHEET], sheets[schema.sheet("scores").name], fmt, status)
    sheets[LISTS_SHEET].hide()
    sheets[CALC_SHEET].hide()
    sheets[DASHBOARD_SHEET].activate()
    sheets[DASHBOARD_SHEET].set_first_sheet()
    for name, ws in sheets.items():
        if name not in (DASHBOARD_SHEET, GUIDE_SHEET, CONF_SHEET, LISTS_SHEET, CALC_SHEET):
            ws.set_tab_color("#375623" if name == schema.sheet("scores").name else "#1F4E78")
    sheets[DASHBOARD_SHEET].set_tab_color("#C00000")
    book.close()
