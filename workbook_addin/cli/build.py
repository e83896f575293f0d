"""``lianxing build``, ``lianxing new`` and ``lianxing render``: the workbook from the command line.

    lianxing build                      # the sample workbook -> Lianxing_Evaluation.xlsm
    lianxing build out.xlsm --empty     # the same workbook without data rows
    lianxing new team.xlsm              # = build --empty
    lianxing new team.xlsm --from tracker.xlsx   # started from a team's existing tracker (CSV/XLSX, file or folder)
    lianxing render Lianxing_Evaluation.xlsm --out pictures/   # PNGs of the dashboard and scores
"""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from .registry import command

DEFAULT_OUT = "Lianxing_Evaluation.xlsm"


def _build_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", nargs="?", default=DEFAULT_OUT, help=f"where to write the workbook (default {DEFAULT_OUT})")
    p.add_argument("--empty", action="store_true", help="no data rows: a fresh workbook for a team")


def _report(report) -> None:
    rows = ", ".join(f"{k} {v}" for k, v in report.rows.items() if v)
    print(f"wrote {report.path} ({len(report.sheets)} sheets; rows: {rows or 'none'}) "
          f"in {report.seconds['total']:.2f} s")
    for problem in report.problems:
        print(f"  ! {problem}")


@command("build", "build the workbook (.xlsm) from templates/ with the sample data, or --empty", _build_args)
def _build(args: argparse.Namespace) -> int:
    from ..workbook.build import build_workbook

    _report(build_workbook(Path(args.out), empty=args.empty))
    return 0


def _new_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", help="where to write the new workbook (.xlsm)")
    p.add_argument("--from", dest="source", metavar="FILE_OR_DIR",
                   help="a team's existing tracker: CSV or XLSX files (headers in Chinese or English) to start from")
    p.add_argument("--map", metavar="CSV", help="import map for other headers: source_column,target_column[,sheet]")


@command("new", "create a new workbook (.xlsm) for a team, empty or --from its existing tracker", _new_args)
def _new(args: argparse.Namespace) -> int:
    import sys

    from ..workbook.build import build_workbook

    if not args.source:
        _report(build_workbook(Path(args.out), empty=True))
        return 0
    from ..importers.tracker import read_tracker

    import pandas as pd

    try:
        found = read_tracker(args.source, pd.read_csv(args.map, dtype=object) if args.map else None)
    except (FileNotFoundError, ValueError) as exc:
        print(f"错误 error: {exc}", file=sys.stderr)
        return 2
    for line in found.read:
        print(f"读取 read {line}")
    for problem in found.problems:
        print(f"  ! {problem}")
    if not found.tables:
        print("错误 error: 没有可导入的行 no rows could be taken; no workbook written", file=sys.stderr)
        return 2
    _report(build_workbook(Path(args.out), found.tables, today=dt.date.today()))
    return 0


def _render_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("workbook", help="the .xlsm to picture (a copy is opened; the file is never re-saved)")
    p.add_argument("--out", default="rendered", help="folder for the PNG files (default: rendered/)")
    p.add_argument("--sheets", nargs="*", default=None, help="tab names to render (default: dashboard and scores)")


@command("render", "render workbook sheets to PNG through LibreOffice (PDF) and pdftoppm", _render_args)
def _render(args: argparse.Namespace) -> int:
    from ..office.render import render_workbook

    for png in render_workbook(Path(args.workbook), Path(args.out), args.sheets):
        print(png)
    return 0
