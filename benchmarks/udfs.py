"""What a recalculation of the live workbook hands to Python, and how long Python takes for it.

    python benchmarks/udfs.py [--creators 1000 10000] [--repeats 3]

For each N a workbook is built from ``scaled_sample(N)`` (tests/generated.py), then:

- counted from the file's formulas and Table sizes (tests/workbook_cost.py): the calls and the
  cells one full recalculation hands to Python, and the calls an edit in each child Table sets off;
- timed on the Python side, in CPU time of this process (``time.process_time``: what Python
  spends, whatever else the machine runs; the wall time and the load average are printed beside
  it): every spilled call on the ``_calc`` sheet, exactly as its formula passes the arguments
  (the cell values read back with python-calamine, handed to each call as fresh objects, as COM
  makes them), through xlwings' own argument and result conversion (``xlwings.conversion``, as
  ``xlwings.udfs.call_udf`` does; its per-cell cleaning and the garbage collection it sets off
  are counted). A full recalculation is all seven calls,
  memo cleared first (Excel just opened); a one-review edit is then the calls that read Reviews,
  with one review mark changed, as in a session after that recalculation. Each is timed
  ``--repeats`` times; the median run is printed with the spread.

NOT included: COM marshaling of the arguments between Excel and Python (no Excel here) and
Excel's own native formulas.
"""
from __future__ import annotations

import argparse
import gc
import os
import pickle
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import xlwings
from python_calamine import CalamineWorkbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.*

from tests.generated import scaled_sample  # noqa: E402
from tests.workbook_cost import python_cost  # noqa: E402
from tests.xlwings_excel import call_like_excel, excel_engine  # noqa: E402
from workbook_addin import udfs  # noqa: E402
from workbook_addin.core.schema import load_schema  # noqa: E402
from workbook_addin.workbook.build import build_workbook  # noqa: E402
from workbook_addin.workbook.calc_sheet import spill_formulas  # noqa: E402
from workbook_addin.workbook.structured_refs import refs  # noqa: E402

CHILD_SHEETS = ("creators", "outreach", "reviews", "collaborations", "snapshots")
_IF_BLANK = re.compile(r'^IF\((.+)="",(.+),(.+)\)$')


def split_args(formula: str) -> tuple[str, list[str]]:
    """``=KOL_X(a,b[[x],[y]],c)`` -> ("KOL_X", ["a", "b[[x],[y]]", "c"])."""
    name, _, rest = formula[1:].partition("(")
    rest = rest[:rest.rindex(")")]
    out, depth, start = [], 0, 0
    for i, ch in enumerate(rest):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(rest[start:i])
            start = i + 1
    out.append(rest[start:])
    return name, out


def workbook_columns(path: Path) -> dict[str, tuple]:
    """Structured reference -> the column as xlwings receives a range (a tuple of 1-tuples, blanks None)."""
    schema = load_schema()
    cal = CalamineWorkbook.from_path(str(path))
    columns: dict[str, tuple] = {}
    for key in CHILD_SHEETS:
        sheet = schema.sheet(key)
        rows = cal.get_sheet_by_name(sheet.name).to_python()
        header, tref = rows[0], refs(key, schema)
        for col in sheet.columns:
            j = header.index(col.header)
            columns[tref.col(col.key)] = tuple((None if r[j] == "" else r[j],) for r in rows[1:])
    bench = schema.settings_tables["er_benchmarks"]
    columns[bench.table] = tuple(tuple(row) for row in bench.rows)
    return columns


def resolve(arg: str, columns: dict[str, tuple]) -> object:
    if arg in columns:
        return columns[arg]
    if arg.startswith("set_"):
        return load_schema().setting(arg[len("set_"):]).value  # a named cell: one value
    m = _IF_BLANK.match(arg)  # IF(a="",b,c) over columns: the array Excel evaluates and passes
    if m:
        a, b, c = (columns[x] for x in m.groups())
        return tuple((y[0],) if x[0] in (None, "") else (z[0],) for x, y, z in zip(a, b, c))
    raise KeyError(f"benchmark cannot resolve formula argument {arg!r}")


@dataclass
class Timing:
    """CPU and wall seconds of a set of calls, CPU seconds per function, the 1-minute load average."""

    cpu: float = 0.0
    wall: float = 0.0
    per_function: dict[str, float] = field(default_factory=dict)
    load: float = 0.0


def new_objects(args: list) -> list:
    """The arguments as new objects, made one argument after another (not timed): Excel hands
    every call its cells as objects COM makes for that call, not objects read back from a file row
    by row and reused, whose scattered memory would make every call slower than in Excel."""
    return pickle.loads(pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL))


def timed_calls(calls: dict[str, tuple], names: list[str], *, fresh: bool) -> Timing:
    if fresh:
        udfs._MEMO.clear()
    gc.collect()  # the build's garbage is the benchmark's, not the function server's
    timing = Timing()
    for name in names:
        fn, args = calls[name]
        args = new_objects(args)
        cpu, wall = time.process_time(), time.perf_counter()
        out = call_like_excel(fn, *args)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        timing.cpu += cpu
        timing.wall += wall
        timing.per_function[name] = cpu
        bad = [c for (c,) in out if isinstance(c, str) and c.startswith("⚠")]
        assert not bad, (name, bad[:3])
    timing.load = os.getloadavg()[0]
    return timing


def median(runs: list[Timing]) -> str:
    """The run of median CPU time, and the spread of all runs."""
    cpus = sorted(r.cpu for r in runs)
    mid = sorted(runs, key=lambda r: r.cpu)[len(runs) // 2]
    return (f"Python {mid.cpu:.2f} s CPU (median of {len(runs)} runs, {cpus[0]:.2f}-{cpus[-1]:.2f}; "
            f"wall {mid.wall:.2f} s; load average {mid.load:.1f})")


def edited(calls: dict[str, tuple], names: dict[str, int], column: tuple) -> dict[str, tuple]:
    """The calls in ``names`` with the first cell of ``column`` (a review mark) changed: every
    argument set that holds it differs, as after one edit in Excel."""
    out = dict(calls)
    for name in names:
        fn, args = calls[name]
        out[name] = (fn, [((5 if a[0][0] != 5 else 4,), *a[1:]) if a is column else a for a in args])
    return out


def measure(n: int, tmp: Path, repeats: int) -> None:
    path = tmp / f"udf_{n}.xlsm"
    t = time.perf_counter()
    build_workbook(path, scaled_sample(n))
    columns = workbook_columns(path)
    cost = python_cost(path)
    print(f"\n{n} creators (outreach {len(columns[refs('outreach').col('creator_key')])}, reviews "
          f"{len(columns[refs('reviews').col('creator_key')])}, collaborations "
          f"{len(columns[refs('collaborations').col('creator_key')])}, snapshots "
          f"{len(columns[refs('snapshots').col('creator_key')])} rows; built and read in {time.perf_counter() - t:.1f} s)")
    calls = {}
    for formula in spill_formulas(load_schema()).values():
        name, arg_refs = split_args(formula)
        calls[name] = (getattr(udfs, name), [resolve(a, columns) for a in arg_refs])
    review_calls = cost.calls_reading("tblReviews")
    after_edit = edited(calls, review_calls, columns[refs("reviews").col("visuals")])
    fulls, edits = [], []
    for _ in range(repeats):  # Excel opened (memo empty), then one review edited
        fulls.append(timed_calls(calls, list(calls), fresh=True))
        edits.append(timed_calls(after_edit, list(review_calls), fresh=False))
    print(f"  full recalculation: {cost.calls} calls, {cost.cells:,} cells handed to Python "
          f"({cost.cells / n:.1f} per creator); {median(fulls)}")
    for fn_name, cells in cost.per_function.items():
        cpu = sorted(r.per_function[fn_name] for r in fulls)[len(fulls) // 2]
        print(f"      {fn_name:<20} {cells:>10,} cells  {cpu:.3f} s CPU")
    edit_cells = sum(_cells(after_edit[name][1]) for name in review_calls)
    print(f"  one-review edit: {sum(review_calls.values())} calls ({', '.join(review_calls)}), {edit_cells:,} cells; "
          f"{median(edits)}")
    for table in ("tblOutreach", "tblCollabs", "tblSnapshots", "tblCreators"):
        print(f"  an edit in {table}: calls {cost.calls_reading(table)}")
    full = sorted(r.cpu for r in fulls)[len(fulls) // 2]
    print(f"  goal: full recalculation under 2 s of Python (CPU) time: {'met' if full < 2 else 'MISSED'} "
          f"({full:.2f} s)")


def _cells(args: list) -> int:
    return sum(len(a) * (len(a[0]) if a and isinstance(a[0], tuple) else 1) if isinstance(a, tuple) else 1 for a in args)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creators", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per figure (the median is printed)")
    args = parser.parse_args()
    xlwings.engines.engines_by_name["excel"] = excel_engine()
    print("Python side only: xlwings argument conversion + the function; COM marshaling between Excel and "
          "Python is NOT included (no Excel on this machine).")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.creators:
            measure(n, Path(tmp), args.repeats)
    print("\nload average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f"; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
