"""One xlwings version everywhere, and plain words when a computer has another one.

The standalone VBA module inside the workbook names its DLL and its Mac AppleScript after its own
version, so the pin in pyproject.toml, the installed package and the VBA must agree; where they do
not, the functions, the button and the set-up texts say which version to install and how."""
from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import openpyxl
import pytest
import xlwings
from oletools.olevba import VBA_Parser

from tests.test_refresh_live import FakeBook
from workbook_addin import macros, udfs
from workbook_addin.core import xlwings_version
from workbook_addin.workbook import guide, vba, vba_problems
from workbook_addin.workbook.vba_problems import CELL_PROBLEM_VBA
from workbook_addin.core.xlwings_version import REQUIRED

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "Lianxing_Evaluation.xlsm"


def _vba_modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {name: code.replace("\r\n", "\n") for (_f, _s, name, code) in parser.extract_macros()}
    finally:
        parser.close()


@pytest.fixture(scope="module")
def modules(sample_workbook) -> dict[str, str]:
    return _vba_modules(sample_workbook)


def _pinned_xlwings() -> str:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [d for d in deps if re.match(r"xlwings\b", d)]
    assert len(pins) == 1 and pins[0].startswith("xlwings=="), f"xlwings must be pinned exactly, found {pins}"
    return pins[0].split("==", 1)[1]


@pytest.mark.parametrize("which", ["built", "committed"])
def test_pin_installed_package_and_embedded_vba_are_one_version(which, modules):
    code = modules if which == "built" else _vba_modules(COMMITTED)
    main = code["xlwings.bas"]
    declared = re.findall(r'Public Const XLWINGS_VERSION As String = "([^"]+)"', main)
    dlls = set(re.findall(r'Lib "xlwings(?:32|64)-([^"]+)\.dll"', main))
    assert declared == [_pinned_xlwings()] == [xlwings.__version__] == [REQUIRED]
    assert dlls == {REQUIRED}
    assert re.search(rf"'Version: {re.escape(REQUIRED)}\n", main)


def test_build_refuses_another_xlwings(monkeypatch):
    vba.xlwings_standalone_modules.cache_clear()
    monkeypatch.setattr(xlwings, "__version__", "0.38.0")
    try:
        with pytest.raises(RuntimeError, match=re.escape(f"pip install xlwings=={REQUIRED}")):
            vba.xlwings_standalone_modules()
    finally:
        vba.xlwings_standalone_modules.cache_clear()


def test_every_wrapper_hands_its_error_to_the_plain_words(modules):
    wrappers, ours = modules["xlwings_udfs.bas"], modules["Lianxing.bas"]
    for name in udfs.UDF_NAMES:
        assert f"failed:\n    {name} = {CELL_PROBLEM_VBA}(Err.Number, Err.Description)\nEnd Function" in wrappers
    assert "= Err.Description" not in wrappers
    assert f"Public Function {CELL_PROBLEM_VBA}(ByVal Number As Long, ByVal Description As String) As Variant" in ours
    assert ours.isascii()


def _function_body(module: str, name: str) -> str:
    return re.search(rf"Public Function {name}\(.*?\nEnd Function", module, re.S).group(0)


def test_missing_dll_or_wrong_python_xlwings_warns_once_and_keeps_the_last_value(modules):
    body = _function_body(modules["Lianxing.bas"], CELL_PROBLEM_VBA)
    windows = body.split("#Else", 1)[1].split("#End If", 1)[0]
    # 48 "Error in loading DLL", 53 "File not found: xlwings64-0.37.8.dll", or Python's own message
    condition = windows.split("Then", 1)[0]
    for case in ("Number = 48", "Number = 53", '".dll"', f'"{vba_problems.PYTHON_PROBLEM_MARK}"'):
        assert case in condition
    assert vba_problems.PYTHON_PROBLEM_MARK in xlwings_version.problem("0.38.0")
    warned = windows.split("Then", 1)[1].split("Else", 1)[0]
    assert "If Not XlwingsWarned Then" in warned and "XlwingsWarned = True" in warned and "MsgBox s" in warned
    assert _vba_string_value(warned) == vba_problems.WINDOWS_FUNCTIONS_TEXT.replace("{version}", REQUIRED)
    assert f"{CELL_PROBLEM_VBA} = CVErr(xlErrNA)" in warned  # IFERROR falls back to the last refresh
    other = windows.rsplit("Else", 1)[1]
    assert f"{CELL_PROBLEM_VBA} = Description" in other  # any other error: xlwings' own behaviour
    mac = body.split("#If Mac Then", 1)[1].split("#Else", 1)[0]
    assert f"{CELL_PROBLEM_VBA} = CVErr(xlErrNA)" in mac and "MsgBox" not in mac
    declarations = modules["Lianxing.bas"].split("\nSub ", 1)[0]
    assert "Private XlwingsWarned As Boolean" in declarations


def test_the_mac_button_names_the_version_instead_of_xlwings_generic_hint(modules):
    main = modules["xlwings.bas"]
    assert "please run 'xlwings runpython install'" not in main
    assert f'MsgBox {vba_problems.MAC_RUNPYTHON_HELP_VBA}(), vbCritical, "xlwings"' in main
    assert 'AppleScriptTask("xlwings-" & XLWINGS_VERSION & ".applescript"' in main
    body = _function_body(modules["Lianxing.bas"], vba_problems.MAC_RUNPYTHON_HELP_VBA)
    assert _vba_string_value(body) == vba_problems.MAC_RUNPYTHON_TEXT.replace("{version}", REQUIRED)


def _vba_string_value(statements: str, target: str = "s") -> str:
    """Evaluates our generated ``s = s & "..." & ChrW(n) & XLWINGS_VERSION`` lines (what VBA would do)."""
    value = ""
    for line in statements.splitlines():
        m = re.fullmatch(rf"\s*{target} = (?:{target} & )?(.*)", line)
        if not m:
            continue
        for piece in re.findall(r'"(?:[^"]|"")*"|ChrW\(\d+\)|vbLf|XLWINGS_VERSION', m.group(1)):
            if piece.startswith('"'):
                value += piece[1:-1].replace('""', '"')
            elif piece.startswith("ChrW"):
                value += chr(int(piece[5:-1]))
            elif piece == "vbLf":
                value += "\n"
            else:
                value += REQUIRED
    return value


@pytest.mark.parametrize("text", [vba_problems.WINDOWS_FUNCTIONS_TEXT, vba_problems.MAC_RUNPYTHON_TEXT])
def test_vba_messages_are_bilingual_name_the_command_and_fit_an_ascii_project(text):
    statements = "\n".join(vba_problems.vba_text(text, "    ", "s"))
    assert statements.isascii() and max(map(len, statements.splitlines())) < 1000
    assert _vba_string_value(statements) == text.replace("{version}", REQUIRED)
    zh, en = text.split("\n")
    assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[\u4e00-\u9fff]", en)  # Chinese first
    assert "pip install xlwings=={version}" in zh and "pip install xlwings=={version}" in en


def test_functions_refuse_another_classic_xlwings_with_the_message(monkeypatch):
    xlwings_version._function_problem.cache_clear()
    monkeypatch.setattr(xlwings_version, "classic_functions_here", lambda: True)
    monkeypatch.setattr(xlwings_version, "installed_version", lambda: "0.38.2")
    try:
        with pytest.raises(xlwings_version.WrongXlwings) as raised:
            udfs.KOL_ROAS([[100.0]], [[50.0]])
        assert f"xlwings {REQUIRED}" in str(raised.value) and "0.38.2" in str(raised.value)
        assert vba_problems.PYTHON_PROBLEM_MARK in str(raised.value)
    finally:
        monkeypatch.undo()
        xlwings_version._function_problem.cache_clear()
    assert udfs.KOL_ROAS([[100.0]], [[50.0]]) == 2.0  # the real, matching xlwings computes


def test_functions_under_another_host_ignore_its_xlwings(monkeypatch):
    """xlwings Lite (Pyodide) has an xlwings of its own; the VBA's version does not concern it."""
    xlwings_version._function_problem.cache_clear()
    monkeypatch.setattr(xlwings_version.sys, "platform", "emscripten")
    monkeypatch.setattr(xlwings_version, "installed_version", lambda: "0.40.0")
    try:
        assert udfs.KOL_ROAS([[100.0]], [[50.0]]) == 2.0
        assert xlwings_version.button_problem() is None
    finally:
        monkeypatch.undo()
        xlwings_version._function_problem.cache_clear()


def test_button_says_which_version_and_touches_nothing(monkeypatch, tmp_path, sample_workbook):
    path = tmp_path / "Lianxing_Evaluation.xlsm"
    shutil.copy(sample_workbook, path)
    book = FakeBook(path)
    monkeypatch.setattr(xlwings_version, "installed_version", lambda: "0.33.1")
    assert macros.refresh_metrics(book) is None
    [alert] = book.app.alerts
    assert alert["mode"] == "critical"
    assert f"xlwings {REQUIRED}" in alert["prompt"] and "0.33.1" in alert["prompt"]
    assert f"pip install xlwings=={REQUIRED}" in alert["prompt"]
    assert book.writes == 0 and book.app.status_history == []


def test_button_without_a_workbook_exits_with_the_message(monkeypatch):
    """When xlwings cannot even find the calling workbook, RunPython shows Python's stderr in a box."""
    monkeypatch.setattr(xlwings_version, "installed_version", lambda: "0.30.0")

    def no_caller():
        raise RuntimeError("Book.caller() is not available")

    monkeypatch.setattr(xlwings.Book, "caller", staticmethod(no_caller))
    with pytest.raises(SystemExit) as exited:
        macros.refresh_metrics()
    assert f"pip install xlwings=={REQUIRED}" in str(exited.value.code)


def test_no_problem_with_the_pinned_version():
    assert xlwings_version.problem(REQUIRED) is None
    assert "没有安装" in xlwings_version.problem("") or "no xlwings" in xlwings_version.problem("")


# ------------------------------------------------------------------------- xlwings.conf and the guide
def test_conf_sheet_sets_only_what_the_workbook_needs(sample_workbook):
    conf = openpyxl.load_workbook(sample_workbook)["xlwings.conf"]
    keys = []
    row = 1
    while conf.cell(row, 1).value not in (None, ""):  # what xlwings' GetConfigFromSheet reads
        keys.append((conf.cell(row, 1).value, conf.cell(row, 2).value))
        row += 1
    assert keys == [("UDF Modules", "workbook_addin.udfs")]
    # room for a person's own keys (interpreter, PYTHONPATH, Conda) before the notes begin
    assert all(conf.cell(r, 1).value is None for r in range(2, guide.CONF_NOTES_ROW + 1))
    notes = [conf.cell(r, 1).value for r in range(guide.CONF_NOTES_ROW + 1, conf.max_row + 1)]
    assert any("Interpreter_Win" in n for n in notes if n)


def _guide_text(path: Path) -> str:
    ws = openpyxl.load_workbook(path)[guide.GUIDE_SHEET]
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


def test_guide_says_what_works_where_and_only_the_steps_needed(sample_workbook):
    text = _guide_text(sample_workbook)
    for where in ("Windows desktop with Python", "Mac desktop with Python", "Excel on the web", "No Python at all"):
        assert where in text
    assert "classic xlwings has no Python functions on macOS" in text
    assert "解除锁定" in text and "Unblock" in text and "Properties" in text
    assert f"pip install xlwings=={REQUIRED}" in text and f"xlwings {REQUIRED}" in text
    assert "xlwings runpython install" in text
    # the wrappers are inside: trusting the VBA project object model is only ever mentioned as not needed
    for line in text.splitlines():
        if "Trust access to the VBA project object model" in line:
            assert 'no "Trust access' in line
    assert "Functions work in Excel for Mac" not in text
