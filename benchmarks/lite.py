"""What the xlwings Lite front costs: the size it adds to the workbook, the build time, and how fast
the bundle's pure-Python code runs under Pyodide (WebAssembly, as in the add-in) against CPython.

    python benchmarks/lite.py [--keys 20000] [--repeat 5]

Printed: main.py and bundle size, modules bundled; the median time to generate main.py (part of
every ``lianxing build``); under Pyodide in node (tests/pyodide, ``npm ci`` there first): starting
Pyodide, installing the bundle from main.py's text and importing the schema (what the add-in does
before the first function call, less the numpy/pandas load, which needs the CDN), and creator keys
per second for ``--keys`` handles, against the same under this CPython. NOT included: numpy and
pandas under Pyodide (their wheels are fetched from a CDN at run time, out of reach here), the
add-in's own start-up and Excel's transfer of arguments.
"""
from __future__ import annotations

import argparse
import inspect
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbook_addin.core.keys import try_creator_key  # noqa: E402
from workbook_addin.lite import bundle  # noqa: E402
from workbook_addin.lite.main_py import ENTRIES, main_py  # noqa: E402

NODE_DIR = ROOT / "tests" / "pyodide"


def handles(n: int) -> list[tuple[str, str]]:
    forms = ("@Creator{i}", "https://www.instagram.com/creator.{i}/", "  @Ｃｒｅａｔｏｒ{i}　", "https://youtube.com/@c{i}")
    platforms = ("tiktok", "instagram", "TikTok", "YouTube")
    return [(platforms[i % 4], forms[i % 4].format(i=i)) for i in range(n)]


def keys_code(n: int) -> str:
    """The Pyodide side of the key timing: :func:`handles` itself, so both sides time the same handles."""
    return inspect.getsource(handles) + f"""
import time
from workbook_addin.core.keys import try_creator_key
pairs = handles({n})
t = time.perf_counter()
keys = [try_creator_key(p, h) for p, h in pairs]
"""


def pyodide(code: str) -> tuple[float, dict]:
    """Wall seconds of one node run (Pyodide start included) and the JSON the code returned."""
    t = time.perf_counter()
    done = subprocess.run(["node", str(NODE_DIR / "run_python.mjs")], input=code, capture_output=True, text=True,
                          cwd=NODE_DIR, timeout=600, check=True)
    return time.perf_counter() - t, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    text = main_py()
    data = bundle.build_bundle(ENTRIES)
    print(f"main.py {len(text.encode()) / 1024:.0f} KB; bundle zip {len(data) / 1024:.0f} KB; "
          f"{len(bundle.bundle_modules(ENTRIES))} modules")
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        main_py()
        times.append(time.perf_counter() - t)
    print(f"generating main.py: median {statistics.median(times):.3f} s over {args.repeat} (part of every build)")

    head = text.split("import xlwings as xw")[0]
    empty, _ = pyodide("import json\njson.dumps({})")
    loaded, got = pyodide(head + "import json, time\nt0 = time.perf_counter()\n"
                          "from workbook_addin.core.schema import load_schema\nload_schema()\n"
                          "json.dumps({'import': time.perf_counter() - t0})")
    print(f"Pyodide in node: start {empty:.2f} s; start + install bundle + import schema {loaded:.2f} s "
          f"(import and parse the schema alone {got['import'] * 1000:.0f} ms)")
    _, got = pyodide(head + keys_code(args.keys) + "import json\njson.dumps({'s': time.perf_counter() - t})")
    pairs = handles(args.keys)
    t = time.perf_counter()
    [try_creator_key(p, h) for p, h in pairs]
    cpython = time.perf_counter() - t
    print(f"creator keys, {args.keys} handles: Pyodide {args.keys / got['s']:,.0f}/s, CPython {args.keys / cpython:,.0f}/s "
          f"(Pyodide/CPython time ratio {got['s'] / cpython:.1f})")


if __name__ == "__main__":
    main()
