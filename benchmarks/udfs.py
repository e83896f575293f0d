"""How long the Scores sheet's Table-subscore columns take on the Python side, as Excel calls them.

    python benchmarks/udfs.py [--creators 1000 10000] [--row-sample 25]

KOL_CONTENT_SCORE, KOL_COMPLIANCE, KOL_PERFORMANCE and KOL_AUTHENTICITY take the row's creator key
plus whole child-Table columns. A Table column formula is evaluated by Excel once per Scores row,
each time with the same whole columns; the function memoises the engine run on a hash of the
columns, so the first row runs the engine and every later row pays for converting and hashing the
columns (the per-row cost that makes the column O(rows x table size)). The other way to write it is
one spilled call with the whole key column. This script measures both for each N:

(a) per row: the first call (engine run) and the median of ``--row-sample`` later calls (memo hit),
    extrapolated to first + (N - 1) x median; the hash alone is timed too, to see its share;
(b) spilled: one call with the whole key column (memo cleared first, so it includes the engine run).

Arguments are exactly what the Scores sheet's formulas pass (parsed from
:func:`workbook_addin.workbook.formulas.column_formulas`), with the cell values of a workbook built from
``scaled_sample(N)`` (benchmarks/build.py) and read back with python-calamine, and every call goes
through xlwings' own argument/result conversion (``xlwings.conversion``) as ``xlwings.udfs.call_udf``
does. NOT included: COM marshaling of the arguments between Excel and Python (no Excel here) -
in real Excel each per-row call also ships every column across COM, which adds to (a) per row.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xlwings
from python_calamine import CalamineWorkbook
from xlwings import conversion

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.xlwings_excel

from build import scaled_sample  # noqa: E402  (benchmarks/build.py)

from tests.xlwings_excel import call_like_excel, excel_engine  # noqa: E402
from workbook_addin import udfs  # noqa: E402
from workbook_addin.workbook.build import build_workbook  # noqa: E402
from workbook_addin.workbook.formulas import column_formulas  # noqa: E402
from workbook_addin.core.schema import load_schema  # noqa: E402
from workbook_addin.workbook.structured_refs import refs  # noqa: E402

#: Scores column -> the function its formula calls (the formula itself gives the arguments).
TABLE_SUBSCORES = {"content_quality": "KOL_CONTENT_SCORE", "compliance": "KOL_COMPLIANCE",
                   "performance": "KOL_PERFORMANCE", "authenticity": "KOL_AUTHENTICITY"}
CHILD_SHEETS = ("creators", "reviews", "collaborations", "snapshots", "scores")


def split_args(formula: str) -> tuple[str, list[str]]:
    """``=IFERROR(KOL_X(a,b[[x],[y]],c),"")`` -> ("KOL_X", ["a", "b[[x],[y]]", "c"])."""
    body = formula[len("=IFERROR("):formula.rindex(',"")')] if formula.startswith("=IFERROR(") else formula[1:]
    name, _, rest = body.partition("(")
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
    raise KeyError(f"benchmark cannot resolve formula argument {arg!r}")


def measure(n: int, row_sample: int, tmp: Path) -> list[dict]:
    path = tmp / f"udf_{n}.xlsm"
    t = time.perf_counter()
    build_workbook(path, scaled_sample(n))
    columns = workbook_columns(path)
    print(f"\n{n} creators: workbook built and read in {time.perf_counter() - t:.1f} s "
          f"(reviews {len(columns[refs('reviews').col('creator_key')])}, "
          f"collaborations {len(columns[refs('collaborations').col('creator_key')])}, "
          f"snapshots {len(columns[refs('snapshots').col('creator_key')])} rows)")
    key_ref = refs("scores").this("creator_key")
    key_column = columns[refs("scores").col("creator_key")]
    keys = [k for (k,) in key_column]
    rows = len(keys)
    formulas = column_formulas()["scores"]
    results = []
    for dimension, expected_name in TABLE_SUBSCORES.items():
        name, arg_refs = split_args(formulas[dimension])
        assert name == expected_name and arg_refs[0] == key_ref, (name, arg_refs[0])
        fn = getattr(udfs, name)
        table_args = [resolve(a, columns) for a in arg_refs[1:]]

        # (a) one call per row, all with the same whole columns
        udfs._MEMO.clear()
        t = time.perf_counter()
        first = call_like_excel(fn, keys[0], *table_args)
        first_s = time.perf_counter() - t
        picks = [keys[int(i)] for i in np.linspace(1, rows - 1, min(row_sample, rows - 1))]
        per_row, per_row_values = [], []
        for k in picks:
            t = time.perf_counter()
            per_row_values.append(call_like_excel(fn, k, *table_args))
            per_row.append(time.perf_counter() - t)
        row_s = statistics.median(per_row)
        # the hash the memo computes on every call, alone (arguments as xlwings converted them)
        info = fn.__xlfunc__
        converted = tuple(conversion.read(None, v, info["args"][i + 1]["options"]) for i, v in enumerate(table_args))
        hashes = []
        for _ in range(min(5, row_sample)):
            t = time.perf_counter()
            hashlib.blake2b(pickle.dumps((dimension, converted), protocol=5), digest_size=16).digest()
            hashes.append(time.perf_counter() - t)
        # conversion of the arguments alone (xlwings, every call)
        convs = []
        for _ in range(min(5, row_sample)):
            t = time.perf_counter()
            [conversion.read(None, v, info["args"][i]["options"]) for i, v in enumerate([keys[0], *table_args])]
            convs.append(time.perf_counter() - t)
        total_a = first_s + (rows - 1) * row_s

        # (b) one spilled call with the whole key column
        udfs._MEMO.clear()
        t = time.perf_counter()
        spilled = call_like_excel(fn, key_column, *table_args)
        total_b = time.perf_counter() - t
        # both ways give the same cells (a check, so the figures compare like with like)
        for k, v in zip([keys[0], *picks], [first, *per_row_values]):
            assert v == [spilled[keys.index(k)]], (name, k, v)
        assert not any(isinstance(c, str) and c.startswith("⚠") for (c,) in spilled), spilled[:3]

        results.append(dict(name=name, first=first_s, row=row_s, hash=statistics.median(hashes),
                            conv=statistics.median(convs), total_a=total_a, total_b=total_b))
        print(f"  {name:<18} (a) per row: first {first_s * 1e3:8.1f} ms, then {row_s * 1e6:9.0f} µs/row "
              f"(hash {statistics.median(hashes) * 1e6:7.0f} µs, xlwings conversion {statistics.median(convs) * 1e6:7.0f} µs)"
              f" -> {total_a:7.2f} s for {rows} rows = {rows / total_a:9,.0f} rows/s")
        print(f"  {'':<18} (b) spilled:  {total_b * 1e3:8.1f} ms once ({total_b / rows * 1e6:6.1f} µs/row) "
              f"= {rows / total_b:9,.0f} rows/s;  (a)/(b) = {total_a / total_b:6.1f}x")
    total_a = sum(r["total_a"] for r in results)
    total_b = sum(r["total_b"] for r in results)
    print(f"  all four columns: (a) {total_a:.2f} s = {rows / total_a:,.0f} rows/s, (b) {total_b:.2f} s "
          f"= {rows / total_b:,.0f} rows/s, (a)/(b) = {total_a / total_b:.1f}x")
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creators", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--row-sample", type=int, default=25, help="memo-hit calls timed per function")
    args = parser.parse_args()
    xlwings.engines.engines_by_name["excel"] = excel_engine()
    print("Python side only: xlwings argument conversion + the function. COM marshaling of the arguments "
          "between Excel and Python is NOT included (no Excel on this machine); in real Excel every per-row "
          "call (a) also ships all its columns across COM.")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.creators:
            measure(n, args.row_sample, Path(tmp))
    print("\nload average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f"; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
