"""``lianxing build``, ``lianxing new`` and ``lianxing render``: the workbook from the command line.

    lianxing build                      # the sample workbook -> Lianxing_Evaluation.xlsm
    lianxing build out.xlsm --empty     # the same workbook without data rows
    lianxing new team.xlsm              # = build --empty
    lianxing render Lianxing_Evaluation.xlsm --out pictures/   # PNGs of the dashboard and scores
"""
from __future__ import annotations

import argparse
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
    p.add_argument("out", help="where to write the new, empty workbook (.xlsm)")


@command("new", "create a new, empty workbook (.xlsm) for a team", _new_args)
def _new(args: argparse.Namespace) -> int:
    from ..workbook.build import build_workbook

    _report(build_workbook(Path(args.out), empty=True))
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
