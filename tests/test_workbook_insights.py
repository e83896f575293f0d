"""The insight sheets in the workbook (Playbook, Reminders, Duplicates, Agencies, Pilot gate, Quote
check): declared once in templates/schema.toml, filled by the builder and rewritten by every refresh
(headless and from the Excel button) from the one function ``insights.workbook_tables``."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_col_to_name

from tests.test_refresh import EXPORTS, export_case_rows
from tests.test_refresh_live import FakeBook
from tests.test_workbook_io_fixtures import make_workbook
from workbook_addin.engine import evaluation as engine
from workbook_addin import macros
from workbook_addin.workbook import tables_io as wio
from workbook_addin.workbook.sheets import HEADER_LINE_POINTS, header_height
from workbook_addin.workbook.build import SAMPLE_TODAY, build_workbook, evaluate_for_build, sheet_plan
from workbook_addin.insights import INSIGHT_SHEETS, workbook_tables
from workbook_addin.insights import agencies, duplicates, pilot, playbook, quotes, reminders
from workbook_addin.insights.reminders import summary_of
from workbook_addin.insights.workbook import BLACKLIST_KIND
from workbook_addin.jobs.refresh import refresh_workbook
from workbook_addin.core.sample import load_sample
from workbook_addin.core.schema import load_schema
from workbook_addin.core.settings import Settings
from workbook_addin.core.text_width import wrap

SCHEMA = load_schema()
INPUTS = ("creators", "outreach", "collaborations", "reviews", "snapshots")
BLACKLISTED = "tiktok:trendtok_maxx_demo"  # the sample's blacklisted creator


@pytest.fixture(scope="module")
def built(sample_workbook) -> Path:
    return sample_workbook


@pytest.fixture(scope="module")
def sample_insights() -> dict[str, pd.DataFrame]:
    tables = load_sample()
    return workbook_tables(evaluate_for_build(tables), tables, Settings.defaults(), SAMPLE_TODAY)


def _labels(sheet: str) -> dict[str, tuple[str, str]]:
    return {c.key: (c.zh, c.en) for c in SCHEMA.sheet(sheet).columns}


def _read(path: Path, key: str) -> pd.DataFrame:
    return wio.read_tables(path)[key].reset_index(drop=True)


def _status(path: Path) -> str:
    sheet, row, col = wio.read_workbook(path).names[wio.STATUS_NAME]
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)[row - 1][col - 1]


# ------------------------------------------------------------------------------------ one schema
def test_insight_modules_take_their_columns_and_labels_from_the_schema():
    assert playbook.COLUMNS == _labels("playbook")
    assert reminders.COLUMNS == _labels("reminders")
    assert agencies.COLUMNS == _labels("agencies")
    assert quotes.COLUMNS == _labels("quotes")
    assert pilot.COLUMNS == _labels("pilot")
    dup = _labels("duplicates")
    for part in (duplicates.COLUMNS, duplicates.BLACKLIST_COLUMNS):
        assert part == {k: dup[k] for k in part}
    assert set(duplicates.COLUMNS) | set(duplicates.BLACKLIST_COLUMNS) | {"kind"} == set(dup)
    decisions = SCHEMA.enums["pilot_decision"]
    assert {code: " ".join(zh_en) for code, zh_en in pilot.DECISIONS.items()} == dict(zip(decisions.codes, decisions.labels))
    assert pilot.RULE.startswith(SCHEMA.sheet("pilot").column("decision").help_zh)


def test_insight_sheets_are_computed_and_sit_between_scores_and_conflicts():
    keys = [k for _, _, k in sheet_plan(SCHEMA) if k]
    assert keys[keys.index("scores") + 1: keys.index("conflicts")] == list(INSIGHT_SHEETS)
    for key in INSIGHT_SHEETS:
        sheet = SCHEMA.sheet(key)
        assert sheet.computed and not sheet.hidden and all(not c.is_input for c in sheet.columns)


def test_workbook_tables_have_exactly_the_schema_columns_with_labels_for_drop_down_columns(sample_insights):
    assert list(sample_insights) == list(INSIGHT_SHEETS)
    for key, frame in sample_insights.items():
        assert list(frame.columns) == SCHEMA.sheet(key).keys
    yes_no = set(SCHEMA.enums["yes_no"].labels)
    assert set(sample_insights["playbook"]["too_few"]) <= yes_no
    assert set(sample_insights["quotes"]["overpriced"].dropna()) <= yes_no
    assert set(sample_insights["pilot"]["decision"]) <= set(SCHEMA.enums["pilot_decision"].labels)
    # the blacklist alarm is in the Duplicates sheet: the sample contacted its blacklisted creator
    hits = sample_insights["duplicates"]
    assert (hits["kind"] == BLACKLIST_KIND).any() and BLACKLISTED in set(hits["blacklisted_key"])


# ------------------------------------------------------------------------------------ the builder
def test_built_sample_shows_the_insights_as_tables(built, sample_insights):
    wb = openpyxl.load_workbook(built)
    names = wb.sheetnames
    assert names.index(SCHEMA.sheet("scores").name) < names.index(SCHEMA.sheet("playbook").name)
    assert names.index(SCHEMA.sheet("quotes").name) < names.index(SCHEMA.sheet("conflicts").name)
    for key in INSIGHT_SHEETS:
        sheet = SCHEMA.sheet(key)
        ws = wb[sheet.name]
        assert sheet.table in ws.tables
        assert [c.value for c in ws[1]][: len(sheet.columns)] == sheet.headers
        expected = sample_insights[key]
        assert len(expected) > 0, key  # the sample gives every insight something to show
        got = _read(built, key)
        assert len(got) == len(expected), key
        assert wio.frames_equal_cells({key: got}, {key: expected}) == []
    # number formats come from the schema's column types
    ws = wb[SCHEMA.sheet("playbook").name]
    rate = SCHEMA.sheet("playbook").keys.index("reply_rate") + 1
    assert ws.cell(2, rate).number_format == "0.0%"
    ws = wb[SCHEMA.sheet("reminders").name]
    due = SCHEMA.sheet("reminders").keys.index("due_date") + 1
    assert ws.cell(2, due).number_format == "yyyy-mm-dd"


def test_an_empty_workbook_has_empty_insight_tables(tmp_path):
    path = tmp_path / "empty.xlsm"
    build_workbook(path, empty=True)
    tables = wio.read_tables(path)
    wb = openpyxl.load_workbook(path)
    for key in INSIGHT_SHEETS:
        assert SCHEMA.sheet(key).table in wb[SCHEMA.sheet(key).name].tables
        assert len(tables[key]) == 0


def _rules(wb, key: str) -> list:
    return [r for cf in wb[SCHEMA.sheet(key).name].conditional_formatting for r in cf.rules]


def _letter(key: str, column: str) -> str:
    return xl_col_to_name(SCHEMA.sheet(key).keys.index(column))


def test_insight_conditional_formats_follow_the_schema_columns(built):
    wb = openpyxl.load_workbook(built)
    yes = SCHEMA.enums["yes_no"].label_of("yes")

    def expressions(key: str) -> dict[str, str]:
        """formula -> fill colour of the whole-row rules"""
        return {r.formula[0]: r.dxf.fill.bgColor.rgb for r in _rules(wb, key) if r.type == "expression"}

    red, grey = "FFFFC7CE", "FFEDEDED"
    d = _letter("reminders", "days_left")
    assert expressions("reminders")[f"AND(ISNUMBER(${d}2),${d}2<0)"] == red
    assert expressions("quotes")[f'${_letter("quotes", "overpriced")}2="{yes}"'] == red
    assert expressions("duplicates")[f'LEN(${_letter("duplicates", "blacklisted_key")}2)>0'] == red
    for key in ("playbook", "agencies"):
        assert expressions(key)[f'${_letter(key, "too_few")}2="{yes}"'] == grey
    decisions = SCHEMA.enums["pilot_decision"]
    cells = {r.formula[0]: r.dxf.fill.bgColor.rgb for r in _rules(wb, "pilot") if r.type == "cellIs"}
    assert cells[f'"{decisions.label_of("scale")}"'] == "FFC6EFCE"
    assert cells[f'"{decisions.label_of("stop")}"'] == red
    # whole-row rules span the table's columns; the pilot's only its recommendation column
    rows = [cf for cf in wb[SCHEMA.sheet("reminders").name].conditional_formatting]
    assert str(rows[0].sqref).startswith("A2:" + xl_col_to_name(len(SCHEMA.sheet("reminders").columns) - 1))
    pilot_ranges = {str(cf.sqref) for cf in wb[SCHEMA.sheet("pilot").name].conditional_formatting}
    assert all(r.startswith(_letter("pilot", "decision") + "2:") for r in pilot_ranges)


def test_header_rows_fit_the_longest_wrapped_bilingual_header(built):
    wb = openpyxl.load_workbook(built)
    for sheet in SCHEMA.sheets:
        ws = wb[sheet.name]
        top = 2 if sheet.key == "scores" else 1  # the Scores table sits below the live-values line
        height = ws.row_dimensions[top].height
        assert height == header_height(sheet) >= 32
        for j, col in enumerate(sheet.columns, start=1):
            lines = wrap(col.header, int(ws.column_dimensions[xl_col_to_name(j - 1)].width or col.width) - 1).count("\n") + 1
            assert lines * HEADER_LINE_POINTS <= height, (sheet.key, col.header)
            assert ws.cell(top, j).alignment.wrap_text
    scores = SCHEMA.sheet("scores")
    assert header_height(scores) > 32  # "回复用时中位数(小时) Median hours to reply" needs more than two lines
    ws = wb[scores.name]
    assert ws.column_dimensions[_letter("scores", "explanation")].width >= 60


# ------------------------------------------------------------------------------------ the refresh
def _expected(path: Path, today: dt.date) -> tuple[dict[str, pd.DataFrame], Settings]:
    data = wio.read_workbook(path)
    settings, _ = data.settings()
    inputs = {k: data.tables[k] for k in INPUTS}
    return workbook_tables(engine.evaluate(inputs, settings, today=today), inputs, settings, today), settings


def test_refresh_rewrites_reminders_and_duplicates_when_inputs_change(built, tmp_path):
    book = tmp_path / built.name
    shutil.copy(built, book)
    (tmp_path / "exports").mkdir()
    now = dt.datetime(2026, 12, 2, 9, 0)
    assert "C-001" not in set(_read(book, "reminders")["collab_id"])
    # a person types a rights expiry 12 days ahead, and someone logs a new contact with the
    # blacklisted creator
    file = wio.WorkbookFile(book, backup=False)
    data = file.read()
    collabs = data.tables["collaborations"]
    row = int(collabs.index[collabs["collab_id"] == "C-001"][0])
    changes = wio.WorkbookChanges()
    changes.set("collaborations", row, "usage_rights_expiry", dt.datetime(2026, 12, 14))
    changes.appends["outreach"] = [{"outreach_id": "O-900", "creator_key": BLACKLISTED, "contacted_at": now - dt.timedelta(hours=3),
                                    "channel": "邮件 Email", "template": "T1 Intro EN", "status": "已联系 Contacted"}]
    file.write(changes)
    outreach_row = data.layouts["outreach"].next_row

    report = refresh_workbook(book, sync=False, now=now, backup=False)

    rem = _read(book, "reminders")
    mine = rem[rem["collab_id"] == "C-001"]
    assert len(mine) == 1 and mine.iloc[0]["days_left"] == 12 and "Usage rights" in mine.iloc[0]["kind"]
    dup = _read(book, "duplicates")
    hit = dup[dup["outreach_id"] == "O-900"]
    assert len(hit) == 1 and hit.iloc[0]["kind"] == BLACKLIST_KIND and hit.iloc[0]["outreach_row"] == outreach_row
    assert dup.iloc[0]["outreach_id"] == "O-900"  # the newest contact first
    expected, _ = _expected(book, now.date())
    for key in INSIGHT_SHEETS:
        assert wio.frames_equal_cells({key: _read(book, key)}, {key: expected[key]}) == [], key
    # the reminders' summary is in the status line and the run log
    summary = summary_of(expected["reminders"])
    assert report.reminders == summary and "授权即将到期 Usage rights expiring 3" in summary
    assert _status(book).endswith("; " + summary)
    assert summary in wio.read_tables(book)["run_log"].iloc[-1]["message"]

    # months later: no right is "expiring" any more, but the expired ones on live posts are
    # overdue reminders (red), not silently gone
    later = dt.datetime(2027, 6, 1, 9, 0)
    refresh_workbook(book, sync=False, now=later, backup=False)
    expected, _ = _expected(book, later.date())
    got = _read(book, "reminders")
    assert len(got) == len(expected["reminders"])
    assert not got["kind"].str.contains("Usage rights expiring").any()
    expired = got[got["kind"].str.contains("Usage rights expired")]
    assert len(expired) and (expired["days_left"] < 0).all()
    assert wio.frames_equal_cells({"r": got}, {"r": expected["reminders"]}) == []


def test_live_refresh_writes_the_same_insight_sheets_as_the_headless_job(tmp_path):
    template = make_workbook(tmp_path / "Lianxing_Evaluation.xlsm", export_case_rows())
    now = dt.datetime(2026, 11, 25, 9, 0)
    copies = {}
    for name in ("headless", "live"):
        (tmp_path / name).mkdir()
        shutil.copytree(EXPORTS / "batch", tmp_path / name / "exports")
        copies[name] = Path(shutil.copy(template, tmp_path / name / template.name))
    refresh_workbook(copies["headless"], sync=False, now=now)
    book = FakeBook(copies["live"])
    report = macros.refresh_metrics(book, now=now)
    expected = wio.read_workbook(copies["headless"])
    got = macros.XlwingsWorkbook(book).read()
    assert sum(len(expected.tables[k]) for k in INSIGHT_SHEETS) > 0
    for key in INSIGHT_SHEETS:
        assert wio.frames_equal_cells({key: got.tables[key]}, {key: expected.tables[key]}) == [], key
    status = book.names[[n.name for n in book.names].index(wio.STATUS_NAME)].refers_to_range.value
    assert report.reminders.startswith("提醒 Reminders") and status.endswith(report.reminders)
    assert report.reminders in book.app.alerts[0]["prompt"]
