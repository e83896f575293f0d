"""The xlwings Lite front, proved without Excel: the parts in the built workbook, and the main.py read
back out of it (XML parse, JSON decode) run on CPython in a fresh interpreter whose only
``workbook_addin`` is the bundle inside main.py and whose ``xlwings`` is a stand-in with Lite's
decorators (tests/lite_runtime/). Every KOL_* function is called with the shapes Lite hands over
and must answer exactly what the classic function answers."""
from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.lite_runtime.fake_book import FakeBook as FakeWorkbook
from tests.lite_runtime.fake_book import dumps, loads
from workbook_addin import udfs
from workbook_addin.jobs.refresh import refresh_workbook
from workbook_addin.lite import parts
from workbook_addin.lite.main_py import requirements_txt
from workbook_addin.lite_script import NO_EXPORTS, SYNC_NOTE
from workbook_addin.workbook.tables_layout import STATUS_NAME

from .test_refresh import EXPORTS
from .test_refresh_live import NOW, assert_same_cells, template, xlsm_state  # noqa: F401 - a fixture
from .test_workbook_udfs import WEIGHTS, _table_args, sample_book  # noqa: F401 - a fixture

HARNESS = Path(__file__).parent / "lite_runtime" / "harness.py"
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def run_main_py(main_py: Path, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answers of the main.py at ``main_py`` (see tests/lite_runtime/harness.py)."""
    done = subprocess.run([sys.executable, "-S", str(HARNESS), str(main_py), sysconfig.get_paths()["purelib"]],
                          input=dumps(requests), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return loads(done.stdout)


@pytest.fixture(scope="module")
def main_py(sample_workbook, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lite") / "main.py"
    path.write_text(parts.read_lite_properties(sample_workbook)["main.py"], encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------- the parts
def test_the_workbook_carries_the_lite_parts(sample_workbook):
    with zipfile.ZipFile(sample_workbook) as z:
        names = set(z.namelist())
        assert {parts.WEBEXTENSION, parts.TASKPANES, parts.TASKPANES_RELS, "xl/vbaProject.bin"} <= names
        types = ET.fromstring(z.read(parts.CONTENT_TYPES))
        overrides = {o.get("PartName"): o.get("ContentType") for o in types}
        rels = ET.fromstring(z.read(parts.PACKAGE_RELS))
        pane = ET.fromstring(z.read(parts.TASKPANES))
        pane_rels = ET.fromstring(z.read(parts.TASKPANES_RELS))
        ext = ET.fromstring(z.read(parts.WEBEXTENSION))
    assert overrides["/" + parts.WEBEXTENSION] == parts.CT_WEBEXTENSION
    assert overrides["/" + parts.TASKPANES] == parts.CT_TASKPANES
    assert [r.get("Target") for r in rels if r.get("Type") == parts.REL_TASKPANES] == [parts.TASKPANES]
    assert len({r.get("Id") for r in rels}) == len(rels)  # the new relationship id is unique
    taskpane = pane.find(f"{{{parts.WETP_NS}}}taskpane")
    assert taskpane is not None and taskpane.get("visibility") == "1"
    ref = taskpane.find(f"{{{parts.WETP_NS}}}webextensionref")
    assert ref is not None and ref.get(f"{{{parts.R_NS}}}id") == pane_rels[0].get("Id")
    assert pane_rels[0].get("Target") == "webextension1.xml"
    reference = ext.find(f"{{{parts.WE_NS}}}reference")
    assert reference is not None and reference.get("id") == "wa200008175" and reference.get("storeType") == "OMEX"
    alternates = ext.findall(f"{{{parts.WE_NS}}}alternateReferences/{{{parts.WE_NS}}}reference")
    assert [a.get("store") for a in alternates] == ["WA200008175"]


def test_the_properties_decode_to_main_py_and_requirements(sample_workbook):
    props = parts.read_lite_properties(sample_workbook)
    assert props["pyodideVersion"] == parts.PYODIDE_VERSION and props["addinVersion"] == parts.ADDIN_VERSION
    assert props["requirements.txt"] == requirements_txt()
    assert "python-calamine" not in props["requirements.txt"] and "xlwings" in props["requirements.txt"]
    text = props["main.py"]
    compile(text, "main.py", "exec")  # valid Python
    assert "联星达人评估" in text  # non-ASCII text survives JSON + XML
    with zipfile.ZipFile(sample_workbook) as z:
        raw = z.read(parts.WEBEXTENSION).decode("utf-8")
    assert "联星达人评估" in raw and "\\n" in raw  # stored as UTF-8, newlines JSON-escaped


def test_lite_parts_are_replaced_not_doubled(sample_workbook, tmp_path):
    copy = tmp_path / "again.xlsm"
    copy.write_bytes(sample_workbook.read_bytes())
    parts.add_lite_parts(copy, parts.lite_properties("print('v2')\n", "numpy\n"))
    with zipfile.ZipFile(copy) as z:
        names = z.namelist()
        assert len(names) == len(set(names))
        assert z.read(parts.PACKAGE_RELS).count(parts.REL_TASKPANES.encode()) == 1
        assert z.read(parts.CONTENT_TYPES).count(b"webextension1.xml") == 1
    assert parts.read_lite_properties(copy)["main.py"] == "print('v2')\n"


def test_new_workbooks_carry_the_lite_front(tmp_path):
    from workbook_addin.cli import main

    assert main(["new", str(tmp_path / "team.xlsm")]) == 0
    props = parts.read_lite_properties(tmp_path / "team.xlsm")
    assert "def KOL_SCORE(" in props["main.py"] and props["pyodideVersion"]


# ---------------------------------------------------------------------------------------- the functions
def _serial(value: Any) -> Any:
    """What Office.js hands Lite for a date cell: its serial number."""
    if isinstance(value, dt.datetime):
        return (value - EXCEL_EPOCH).total_seconds() / 86400
    if isinstance(value, dt.date):
        return float((value - EXCEL_EPOCH.date()).days)
    return value


def _lite(value: Any) -> Any:
    """A classic argument as Lite gives it: lists, not tuples; dates as serial numbers."""
    if isinstance(value, (list, tuple)):
        return [_lite(v) for v in value]
    return _serial(value)


def _cases(columns) -> list[tuple[str, list[Any]]]:
    """(function, classic arguments): single cells, columns, blanks, each KOL_* function at least once."""
    keys = columns["scores", "creator_key"]
    table = {name: _table_args(name, columns) for name in
             ("KOL_RESPONSIVENESS", "KOL_CONTENT_SCORE", "KOL_COMPLIANCE", "KOL_PERFORMANCE", "KOL_AUTHENTICITY")}
    cases = [("KOL_ER", [100, 10, 5, 5, 1000]), ("KOL_ER", [[[100], [None]], [[10], [2]], [[5], [0]], [[5], [0]], [[1000], [0]]]),
             ("KOL_CPM", [50.0, 10000]), ("KOL_CPE", [100.0, 40, 10, None, None]), ("KOL_CPA", [100.0, 4]),
             ("KOL_ROAS", [[[3000.0], [None], [500.0]], [[1000.0], [200.0], [0.0]]]), ("KOL_ROAS", ["abc", 10]),
             ("KOL_ROI", [3000.0, 1000.0]), ("KOL_ROI", [3000.0, 1000.0, 0.4]),
             ("KOL_RESPONSE_SCORE", [1.0, 12.0, 24]), ("KOL_RESPONSE_SCORE", [[[0.5], [1.0]], [[30], [None]]]),
             ("KOL_SCORE", [[[80, 70, None, 90, 60, 50], [None] * 6], WEIGHTS]),
             ("KOL_SCORE", [[[1, 2, 3, 4, 5, 6]], [[1], [2]]]),
             ("KOL_TIER", [86, "否 No", [[85], [70], [55]], 1.0, 0.5]),
             ("KOL_TIER", [[[90], [60], [None]], [["否 No"], ["no"], ["是 Yes"]], [[85], [70], [55]], [[1], [1], [0]], 0.5]),
             ("KOL_FIT", ["US", "en", "beauty", 0.6, "US", "US,UK", "en", "beauty"]),
             ("KOL_KEY", ["TikTok", "@GlowWithMia"]), ("KOL_KEY", [[["Instagram"], [None]], [["https://www.instagram.com/Lena.Style/"], [None]]]),
             ("KOL_REPLY_RATE", [[[45000.5], [None], [45001.0]], [[45000.0], [45000.2], [45000.9]], True])]
    for name, args in table.items():
        cases.append((name, [keys[0][0], *args]))  # one row's key: one value
        cases.append((name, [keys, *args]))  # the whole key column: a spilled column
    return cases


def _classic(name: str, args: list[Any]) -> Any:
    udfs._MEMO.clear()
    return getattr(udfs, name)(*args)


def test_every_classic_function_is_in_main_py_with_the_same_arguments(main_py):
    (probe,) = run_main_py(main_py, [{"probe": True}])
    assert probe["workbook_addin"].startswith(str(Path(probe["workbook_addin"]).parents[1]))
    assert ".zip" in probe["workbook_addin"] and probe["xlwings"].endswith("lite_runtime/xlwings.py")
    assert sorted(probe["functions"]) == sorted(udfs.UDF_NAMES)
    for name in udfs.UDF_NAMES:
        assert probe["functions"][name] == [a["name"] for a in getattr(udfs, name).__xlfunc__["args"]], name


def test_lite_functions_answer_what_the_classic_ones_answer(main_py, sample_book):  # noqa: F811
    columns, _scores = sample_book
    cases = _cases(columns)
    answers = run_main_py(main_py, [{"call": name, "args": _lite(args)} for name, args in cases])
    covered = set()
    for (name, args), answer in zip(cases, answers):
        assert "error" not in answer, (name, answer.get("traceback"))
        expected = json.loads(json.dumps(_classic(name, [_lite(a) for a in args])))
        assert answer["value"] == expected, name
        assert answer["value"] == json.loads(json.dumps(_classic(name, args))), f"{name}: serial dates differ"
        covered.add(name)
    assert covered == set(udfs.UDF_NAMES)


def test_lite_argument_conversion_gives_the_same_answers(main_py):
    """Through Lite's conversion: 1 x 1 blocks become scalars, empty cells take the default."""
    blocks = {"KOL_ROI": [[[3000.0]], [[1000.0]], [[None]]],  # blank gross margin: the default 0.5
              "KOL_ROAS": [[[3000.0], [None]], [[1000.0], [5.0]]],
              "KOL_KEY": [[["TikTok"]], [["@GlowWithMia"]]],
              "KOL_TIER": [[[86.0]], [[None]], [[85.0], [70.0], [55.0]], [[None]], [[None]]]}
    answers = run_main_py(main_py, [{"lite_call": n, "blocks": b} for n, b in blocks.items()])
    assert [a.get("value", a.get("error")) for a in answers] == [
        udfs.KOL_ROI(3000.0, 1000.0), [[3.0], [None]], "tiktok:glowwithmia", udfs.KOL_TIER(86.0, None, [[85.0], [70.0], [55.0]])]
    assert answers[0]["value"] == pytest.approx(1.0 * 3000 * 0.5 / 1000 - 1)


# ---------------------------------------------------------------------------------------- the refresh
def _lite_refresh(main_py: Path, template: Path, **request: Any) -> dict[str, Any]:  # noqa: F811
    (answer,) = run_main_py(main_py, [{"refresh": xlsm_state(template), "fullname": template.name, **request}])
    assert "error" not in answer, answer.get("traceback")
    book = FakeWorkbook(template.name)
    book.load_state(answer["state"])
    return {**answer, "book": book}


def test_lite_refresh_writes_what_the_classic_job_writes(main_py, template, tmp_path):  # noqa: F811
    headless = tmp_path / "headless" / template.name
    headless.parent.mkdir()
    shutil.copy(template, headless)
    shutil.copytree(EXPORTS / "batch", headless.parent / "exports")
    classic = refresh_workbook(headless, now=NOW, sync=False)
    assert classic.rows_updated > 0
    data = tmp_path / "data"  # Lite's /data, the exports dropped there as a folder
    shutil.copytree(EXPORTS / "batch", data / "exports")
    answer = _lite_refresh(main_py, template, data_dir=str(data), now=NOW.isoformat())
    book = answer["book"]
    got, _expected = assert_same_cells(book, headless, skip={"run_log": ["message"]})  # + the sync note
    # the same summary in the status cell, plus where the archive sync runs
    status = book.names[[n.name for n in book.names].index(STATUS_NAME)].refers_to_range.value
    assert status == f"{classic.status_line}; {SYNC_NOTE}"
    assert SYNC_NOTE in got.tables["run_log"]["message"].iloc[-1]
    (alert,) = answer["alerts"]
    assert alert["prompt"].startswith(status) and alert["mode"] == "warning"
    assert "BLACKFRIDAY" in alert["prompt"]  # the unmatched export rows are listed, as in the classic alert
    assert "Reading exports" in answer["printed"]  # progress in Lite's output pane: it has no status bar


def test_lite_run_button_without_exports_says_where_to_drop_them(main_py, template, tmp_path):  # noqa: F811
    answer = _lite_refresh(main_py, template, data_dir=str(tmp_path / "nothing_dropped"), script=True)
    (alert,) = answer["alerts"]
    assert alert["mode"] == "critical" and NO_EXPORTS in alert["prompt"] and "Traceback" not in alert["prompt"]
    assert answer["writes"] == 0


# ---------------------------------------------------------------------------------------- the bundle
#: what does not work in Pyodide: threads, processes, sockets; sqlite3 is not loaded by default
FORBIDDEN = {"threading", "_thread", "concurrent", "subprocess", "multiprocessing", "socket", "sqlite3"}


def test_the_bundle_imports_nothing_pyodide_lacks():
    """A static check over every module in the bundle: only the standard library (less threads,
    processes, sockets and sqlite3) and the packages requirements.txt installs; an import of
    anything else only with a fallback (try/except ImportError); the file and desktop modules left
    out of the bundle only inside functions Lite does not call (the refresh test above runs them)."""
    from workbook_addin.lite import bundle
    from workbook_addin.lite.main_py import ENTRIES, REQUIREMENTS

    installed = {r.split("=")[0].split("<")[0].replace("-", "_") for r in REQUIREMENTS}
    modules = bundle.bundle_modules(ENTRIES)
    assert {"workbook_addin.udfs", "workbook_addin.lite_script", "workbook_addin.jobs.refresh"} <= set(modules)
    bad = []
    for name in modules:
        for imp in bundle.imports_of(name):
            top = imp.module.split(".")[0]
            where = f"{name} line {imp.line}: {imp.module}"
            if bundle.is_project(imp.module):
                if bundle.classic_only(imp.module) and not imp.in_function:
                    bad.append(f"{where} (classic-only module loaded with the bundle)")
            elif top in FORBIDDEN:
                bad.append(f"{where} (does not work in Pyodide)")
            elif top not in sys.stdlib_module_names and top not in installed and not imp.optional:
                bad.append(f"{where} (not installed by requirements.txt, no fallback)")
    assert bad == []
    with zipfile.ZipFile(io.BytesIO(bundle.build_bundle(ENTRIES))) as z:
        names = set(z.namelist())
    assert "workbook_addin/workbook/tables_io.py" not in names and "sheets_sync/sync.py" not in names
    assert {"templates/schema.toml", "workbook_addin/core/distinct.py"} <= names


def test_the_static_check_sees_imports_in_functions_and_fallbacks():
    from workbook_addin.lite import bundle

    readers = {i.module: i for i in bundle.imports_of("workbook_addin.importers.readers")}
    assert readers["python_calamine"].optional and readers["python_calamine"].in_function
    assert readers["openpyxl"].in_function and not readers["openpyxl"].optional  # the fallback itself
    job = {i.module: i for i in bundle.imports_of("workbook_addin.jobs.refresh")}
    assert job["sheets_sync.sync"].optional
    assert job["workbook_addin.workbook.tables_io"].in_function and not job["workbook_addin.workbook.tables_layout"].in_function


# ---------------------------------------------------------------------------------------- Pyodide fallbacks
def test_without_python_calamine_xlsx_exports_read_and_match_the_same(monkeypatch):
    """python-calamine has no Pyodide build: openpyxl reads .xlsx exports to the same matches."""
    from workbook_addin.core.sample import load_sample
    from workbook_addin.importers import match_exports, read_exports, sample_exports_folder

    def imported():
        batch = read_exports(sample_exports_folder())
        result = match_exports(batch, tables["collaborations"], tables["creators"])
        return [(f.name, f.rows_read) for f in batch.files], result.changes.to_dict("records")

    tables = load_sample()
    with_calamine = imported()
    monkeypatch.setitem(sys.modules, "python_calamine", None)  # import fails, as in Pyodide
    without = imported()
    assert any(name.endswith(".xlsx") for name, _rows in with_calamine[0])
    assert without == with_calamine and len(with_calamine[1]) > 0


def test_distinct_takes_the_plain_path_where_addresses_cannot_be_read(monkeypatch):
    import numpy as np
    import pandas as pd

    from workbook_addin.core import distinct

    pool = np.array([f"key_{i}" for i in range(50)], dtype=object)
    col = pool[np.arange(20_000) % 50]  # cells sharing 50 string objects, as a workbook reader makes them
    assert distinct.object_groups(col, always=True) is not None
    monkeypatch.setattr(distinct, "ADDRESSES", False)  # what sys.platform == "emscripten" sets
    assert distinct.object_groups(col, always=True) is None
    codes, uniques = distinct.factorize(col)
    expected_codes, expected_uniques = pd.factorize(col)
    assert (codes == expected_codes).all() and list(uniques) == list(expected_uniques)
    index = pd.Index([f"key_{i}" for i in range(0, 60, 3)], dtype=object)
    assert (distinct.get_indexer(index, col, always=True) == index.get_indexer(col)).all()
