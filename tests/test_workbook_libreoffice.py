"""The built workbook opened by LibreOffice Calc through UNO: what a real spreadsheet program sees.

One soffice for the module; one probe call reads everything (sheets, Basic modules imported from
the VBA project, the button and its macro, charts, formula values before and after calculateAll).
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from workbook_addin import udfs
from workbook_addin.workbook.dashboard import DASHBOARD_SHEET
from workbook_addin.office.libreoffice import LibreOffice
from workbook_addin.office.render import render_workbook
from workbook_addin.core.schema import load_schema

SCHEMA = load_schema()
DETAIL = [SCHEMA.sheet(k).name for k in ("outreach", "collaborations", "scores")] + [DASHBOARD_SHEET]


@pytest.fixture(scope="module")
def workbook(sample_workbook) -> Path:
    return sample_workbook


@pytest.fixture(scope="module")
def probe(office, workbook):
    return office.probe(workbook, DETAIL)


def test_every_sheet_is_there_and_the_sync_base_is_hidden(probe):
    names = probe["sheets"]
    for sheet in SCHEMA.sheets:
        assert sheet.name in names
    assert SCHEMA.settings_sheet["name"] in names and "xlwings.conf" in names and DASHBOARD_SHEET in names
    assert "_sync_base" in probe["hidden"]
    assert DASHBOARD_SHEET not in probe["hidden"]
    for name in ("set_tier_s", "Weights", "TierCutoffs", "RefreshStatus"):
        assert name in probe["named_ranges"]


def test_vba_modules_are_imported_as_basic(probe):
    modules = probe["basic"]["VBAProject"]
    assert "RunPython" in modules["xlwings"]
    assert 'RunPython "import workbook_addin.macros; workbook_addin.macros.refresh_metrics()"' in modules["Lianxing"]
    for name in udfs.UDF_NAMES:
        assert f"Function {name}(" in modules["xlwings_udfs"]


def test_button_calls_refresh_metrics(probe):
    dash = probe["shapes"][DASHBOARD_SHEET]
    buttons = [s for s in dash["shapes"] if s["type"] == "com.sun.star.drawing.ControlShape"]
    assert [b["label"] for b in buttons] == ["刷新数据 Refresh metrics"]
    scripts = [e["script"] for e in dash["events"] if e.get("method") == "actionPerformed"]
    assert scripts and scripts[0].startswith("vnd.sun.star.script:VBAProject.Lianxing.RefreshMetrics")


def test_dashboard_has_four_charts(probe):
    assert len(probe["charts"][DASHBOARD_SHEET]) == 4


def _independent_of_python(formula: str) -> bool:
    """Native formulas whose inputs are typed values, not results of the Python functions."""
    python_fed = ("ISERROR($_calc",  # the live-values line says whether Python runs
                  "KOL_", "tblScores[等级", "tblScores[ROI", "tblScores[[#This Row];[总分", "MMULT", "INDEX(tblScores")
    return not any(p in formula for p in python_fed)


def test_native_formulas_recalculate_to_the_engine_values(probe):
    checked = 0
    for sheet in DETAIL:
        for before, after in zip(probe["before"][sheet], probe["after"][sheet]):
            assert (before["row"], before["col"]) == (after["row"], after["col"])
            if not _independent_of_python(before["formula"]):
                continue
            b, a = before["value"], after["value"]
            assert after["error"] == 0, (sheet, before)
            if isinstance(b, float) and isinstance(a, float):
                # Sums of per-post costs rounded to cents may differ from the rounded sum by a cent.
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=0.011), (sheet, before["formula"], b, a)
            else:
                assert a == b, (sheet, before["formula"], b, a)
            checked += 1
    assert checked >= 60  # hours to reply, FX conversion, SUMIFS, medians, KPIs, funnel


def test_render_pictures_dashboard_and_scores(workbook, tmp_path):
    pngs = render_workbook(workbook, tmp_path)
    names = sorted(p.name for p in pngs)
    assert names[0].startswith("dashboard-") and any(n.startswith("scores-") for n in names)
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_a_script_that_dies_without_a_word_gets_one_fresh_soffice(workbook, monkeypatch):
    """soffice or its UNO bridge dying mid-call (exit by signal, nothing on stderr) costs one retry
    on a new soffice; a second silent death, or any error the script reports, is raised with the
    exit code."""
    import subprocess

    with LibreOffice() as lo:
        real, calls = lo._script, []

        def first_dies(args, timeout):
            calls.append(args[1])
            if len(calls) == 1:
                return subprocess.CompletedProcess(args, -11, "", "")
            return real(args, timeout)

        monkeypatch.setattr(lo, "_script", first_dies)
        old_port = lo.port
        answer = lo.probe(workbook)
        assert DASHBOARD_SHEET in answer["sheets"]  # the real answer, from the fresh soffice
        assert calls == [str(old_port), str(lo.port)] and lo.port != old_port

        monkeypatch.setattr(lo, "_script", lambda args, timeout: subprocess.CompletedProcess(args, -9, "", ""))
        with pytest.raises(RuntimeError, match=r"exit -9"):
            lo.probe(workbook)


def test_an_answer_printed_whole_before_a_crash_at_exit_is_taken(monkeypatch):
    """CI saw the UNO script print its whole answer and then die by SIGSEGV as the bridge closed:
    the answer is taken, and no fresh soffice started. Half an answer, or a word on stderr, is
    still a failure."""
    import subprocess

    lo = LibreOffice()  # no soffice started: every script run below is given
    restarts: list[int] = []
    monkeypatch.setattr(lo, "_restart", lambda: restarts.append(1))
    monkeypatch.setattr(lo, "_script", lambda args, timeout: subprocess.CompletedProcess(
        args, -11, 'progress\n{"sheets": ["A"]}\n', ""))
    assert lo._run("probe", str(lo.port), "book.xlsm") == {"sheets": ["A"]} and restarts == []
    monkeypatch.setattr(lo, "_script", lambda args, timeout: subprocess.CompletedProcess(args, -11, '{"sheets": [', ""))
    with pytest.raises(RuntimeError, match=r"exit -11"):
        lo._run("probe", str(lo.port), "book.xlsm")
    assert restarts == [1]  # died without a whole answer: one fresh soffice, then the error
    monkeypatch.setattr(lo, "_script", lambda args, timeout: subprocess.CompletedProcess(
        args, -11, '{"sheets": ["A"]}\n', "Fatal Python error"))
    with pytest.raises(RuntimeError, match=r"Fatal Python error"):
        lo._run("probe", str(lo.port), "book.xlsm")
    lo.profile.rmdir()
