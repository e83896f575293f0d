"""The xlwings Lite front, proved without Excel: the parts in the built workbook, and the main.py read
back out of it (XML parse, JSON decode) run on CPython in a fresh interpreter whose only
``workbook_addin`` is the bundle inside main.py and whose ``xlwings`` is a stand-in with Lite's
decorators (tests/lite_runtime/). Every KOL_* function is called with the shapes Lite hands over
and must answer exactly what the classic function answers."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest

from workbook_addin import udfs
from workbook_addin.lite import parts
from workbook_addin.lite.main_py import requirements_txt

from .test_workbook_udfs import WEIGHTS, _table_args, sample_book  # noqa: F401 - a fixture

HARNESS = Path(__file__).parent / "lite_runtime" / "harness.py"
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def run_main_py(main_py: Path, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answers of the main.py at ``main_py`` (see tests/lite_runtime/harness.py)."""
    done = subprocess.run([sys.executable, "-S", str(HARNESS), str(main_py), sysconfig.get_paths()["purelib"]],
                          input=json.dumps(requests), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


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
