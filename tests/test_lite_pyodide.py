"""The pure-Python part of the xlwings Lite bundle under real Pyodide (CPython 3.12 built for
WebAssembly, the Python xlwings Lite runs), in node.

The head of the workbook's own main.py, the bundle loader and the engine zip, runs as Lite would run
it; then the schema, the creator keys and the version check are imported from the bundle and must
answer what CPython answers from the source tree. Pyodide's numpy and pandas wheels are fetched
from a CDN at run time, out of reach offline, so the engine's numbers are proved on CPython against
the same main.py (test_lite.py). The npm package ``pyodide`` is pinned in tests/pyodide/ (lock file
committed); the fixture installs it with ``npm ci`` when it is missing, as .ci/run does.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from workbook_addin.core.keys import try_creator_key
from workbook_addin.core.schema import load_schema
from workbook_addin.lite import parts

NODE_DIR = Path(__file__).parent / "pyodide"
#: the line where main.py turns from loading the bundle to importing Lite's xlwings
END_OF_LOADER = "import xlwings as xw"
HANDLES = [("TikTok", "@GlowWithMia"), ("instagram", "https://www.instagram.com/Lena.Style/"), (None, "https://youtu.be/x"),
           ("YouTube", "https://www.youtube.com/@TechTomo"), ("tiktok", "  @Ｍｉａ　"), ("Instagram", ""), ("tiktok", "@a b")]


def _stdlib_used() -> list[str]:
    """The standard-library modules the bundled code imports (what Pyodide must have)."""
    import sys

    from workbook_addin.lite import bundle
    from workbook_addin.lite.main_py import ENTRIES

    return sorted({i.module for m in bundle.bundle_modules(ENTRIES) for i in bundle.imports_of(m)
                   if i.module.split(".")[0] in sys.stdlib_module_names and i.module != "__future__"})


def _facts_code() -> str:
    """Python that computes the facts compared below, as the last expression (a JSON string)."""
    return f"""
import importlib, json, sys
import workbook_addin
from workbook_addin.core.schema import load_schema
from workbook_addin.core.keys import try_creator_key
from workbook_addin.core.xlwings_version import button_problem, check_function_host, classic_runtime

schema = load_schema()


def _imports(name):
    try:
        importlib.import_module(name)
        return True
    except ImportError:
        return False


json.dumps({{
    "platform": sys.platform,
    "package": workbook_addin.__file__,
    "sheets": [[s.key, s.name, s.table, [c.key for c in s.columns]] for s in schema.sheets],
    "settings": [[s.key, s.name, s.value] for s in schema.settings],
    "keys": [try_creator_key(p, h) for p, h in {HANDLES!r}],
    "classic": classic_runtime(),
    "function_check": check_function_host(),
    "button_problem": button_problem(),
    "stdlib_missing": [m for m in {_stdlib_used()!r} if not _imports(m)],
}})
"""


@pytest.fixture(scope="module")
def node() -> list[str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "node and npm are needed (Debian: apt-get install nodejs npm; .ci/run installs them)"
    if not (NODE_DIR / "node_modules" / "pyodide").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=600,
                       capture_output=True)
    return [node, str(NODE_DIR / "run_python.mjs")]


def run_pyodide(node: list[str], code: str) -> dict:
    done = subprocess.run(node, input=code, capture_output=True, text=True, timeout=300, cwd=NODE_DIR)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_bundle_unpacks_and_its_pure_python_runs_under_pyodide(node, sample_workbook):
    main_py = parts.read_lite_properties(sample_workbook)["main.py"]
    head = main_py[: main_py.index(END_OF_LOADER)]
    assert "install_bundle(_BUNDLE, _BUNDLE_SHA256)" in head
    got = run_pyodide(node, head + _facts_code())
    assert got["platform"] == "emscripten"
    assert ".zip/workbook_addin/__init__.py" in got["package"]  # imported from the bundle, in place
    schema = load_schema()
    assert got["sheets"] == [[s.key, s.name, s.table, [c.key for c in s.columns]] for s in schema.sheets]
    assert got["settings"] == json.loads(json.dumps([[s.key, s.name, s.value] for s in schema.settings]))
    assert got["keys"] == [try_creator_key(p, h) for p, h in HANDLES]
    # no classic xlwings version to match in Lite: the functions run, no version message
    assert got["classic"] is False and got["function_check"] is None and got["button_problem"] is None
    assert got["stdlib_missing"] == []  # every standard-library module the bundle imports exists in Pyodide


def test_running_main_py_again_keeps_one_bundle_and_a_damaged_one_is_refused(node, sample_workbook):
    """Lite runs main.py again after every edit: the same bundle is not unpacked twice, and a
    bundle whose text was damaged gives a clear error instead of importing half an engine."""
    head = parts.read_lite_properties(sample_workbook)["main.py"].split(END_OF_LOADER)[0]
    code = head + head + """
import json, sys
paths = [p for p in sys.path if "lianxing_bundle_" in p]
mid = len(_BUNDLE) // 2
try:
    install_bundle(_BUNDLE[:mid] + ("A" if _BUNDLE[mid] != "A" else "B") + _BUNDLE[mid + 1:], _BUNDLE_SHA256)
    damaged = "accepted"
except BundleError as exc:
    damaged = str(exc)
json.dumps({"paths": paths, "damaged": damaged})
"""
    got = run_pyodide(node, code)
    assert len(got["paths"]) == 1
    assert "damaged" in got["damaged"] and "lianxing build" in got["damaged"]
