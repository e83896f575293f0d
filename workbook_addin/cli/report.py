"""``lianxing report``: the monthly report as HTML and PDF, from a workbook or the bundled example.

    lianxing report Lianxing_Evaluation.xlsm --month 2026-11 --out reports/
    lianxing report --example --month 2026-11 --format html

The same as a library call: ``workbook_addin.report.write_report(tables, "2026-11", "reports/")``
with ``tables = workbook_addin.workbook.tables_io.read_tables(path)``.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .registry import command

FORMATS = {"html": ("html",), "pdf": ("pdf",), "both": ("html", "pdf")}


def _add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("workbook", nargs="?", type=Path, help="the workbook (.xlsm / .xlsx) to report on")
    src.add_argument("--example", action="store_true", help="report on the bundled fictional sample data")
    p.add_argument("--month", required=True, help="the month to report, YYYY-MM (e.g. 2026-11)")
    p.add_argument("--out", type=Path, default=Path("."), help="folder to write the report into (default: here)")
    p.add_argument("--format", choices=sorted(FORMATS), default="both", help="html, pdf or both (default)")
    p.add_argument("--today", help="date the report counts as today (YYYY-MM-DD); default: the current date")


@command("report", "write the monthly report (HTML and/or PDF) for a workbook or the bundled example", _add_arguments)
def run_report(args: argparse.Namespace) -> int:
    from ..report import write_report

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month or ""):
        print(f"error: --month must look like 2026-11, not {args.month!r}", file=sys.stderr)
        return 2
    today = args.today
    if args.example:
        from ..core.sample import load_sample

        from ..workbook.build import SAMPLE_TODAY

        tables = load_sample()
        today = today or SAMPLE_TODAY  # the day the sample workbook is built as of: one date for both
    else:
        from ..workbook.tables_io import WorkbookError, read_tables

        if not args.workbook.is_file():
            print(f"error: workbook {args.workbook} not found", file=sys.stderr)
            return 2
        try:
            tables = read_tables(args.workbook)
        except WorkbookError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    written = write_report(tables, args.month, args.out, formats=FORMATS[args.format], today=today)
    for path in written:
        print(f"wrote {path}")
    return 0
