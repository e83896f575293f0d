"""``lianxing score`` and ``lianxing demo``: the engine on the command line.

``lianxing score --example`` scores the bundled fictional sample; ``lianxing score --csv-dir DIR``
scores ``creators.csv``, ``outreach.csv``, ``collaborations.csv``, ``reviews.csv`` and
``snapshots.csv`` from DIR (schema column keys as headers, as in ``templates/sample/``). Both print
the Scores table and every input problem (sheet, row, column). The same thing as a library call:
``workbook_addin.engine.evaluate(workbook_addin.core.sample.load_sample())``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from ..jobs.demo import demo
from .registry import command
from ..engine.evaluation import Evaluation, evaluate
from ..core.sample import load_sample, read_csv_tables
from ..core.settings import DIMENSIONS

#: Short headers for the terminal (the workbook shows the full bilingual ones).
_SHORT = {"responsiveness": "resp", "content_quality": "content", "compliance": "compl", "performance": "perf",
          "authenticity": "auth", "audience_fit": "fit"}


def format_scores(result: Evaluation, *, explanations: bool = False) -> str:
    """The Scores table as plain text: creator, six subscores, score, tier, flags."""
    s = result.scores
    table = pd.DataFrame({"creator": s["creator_key"]})
    for d in DIMENSIONS:
        table[_SHORT[d]] = s[d].map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
    table["score"] = s["score"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    table["tier"] = s["tier"].fillna("-")
    table["flags"] = s["flags"].fillna("")
    left = {c: (lambda w: (lambda v: f"{v:<{w}}"))(max([len(c), *table[c].map(len)])) for c in ("creator", "flags")}
    lines = [table.to_string(index=False, formatters=left, justify="left")]
    if explanations:
        lines.append("")
        lines += [f"{k}: {e}" for k, e in zip(s["creator_key"], s["explanation"])]
    return "\n".join(lines)


def format_problems(result: Evaluation) -> str:
    if not result.problems:
        return "No input problems."
    return "\n".join([f"{len(result.problems)} input problem(s):"] + [f"  - {p}" for p in result.problems])


def summary_line(result: Evaluation) -> str:
    counts = result.tier_counts()
    tiers = ", ".join(f"{t} {counts[t]}" for t in ("S", "A", "B", "C"))
    return (f"{len(result.scores)} creators scored: {tiers}, no tier {counts['-']}; "
            f"{len(result.problems)} input problem(s)")


def _add_score_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--example", action="store_true", help="score the bundled fictional sample data")
    src.add_argument("--csv-dir", type=Path,
                     help="folder with creators.csv, outreach.csv, collaborations.csv, reviews.csv, snapshots.csv")
    p.add_argument("--today", help="date the run counts as today (YYYY-MM-DD); default: the current date")
    p.add_argument("--explain", action="store_true", help="also print why each creator got its score and tier")


@command("score", "score creators from CSV files or the bundled example and print the Scores table",
         _add_score_arguments)
def run_score(args: argparse.Namespace) -> int:
    if args.example:
        tables = load_sample()
        today = args.today or "2026-11-25"  # the sample is dated around this day
    else:
        if not args.csv_dir.is_dir():
            print(f"error: {args.csv_dir} is not a folder", file=sys.stderr)
            return 2
        tables = read_csv_tables(args.csv_dir)
        if "creators" not in tables:
            print(f"error: {args.csv_dir} has no creators.csv", file=sys.stderr)
            return 2
        today = args.today
    result = evaluate(tables, today=today)
    print(format_scores(result, explanations=args.explain))
    print()
    for note in result.notes:
        print(f"note: {note}")
    print(format_problems(result))
    print(summary_line(result))
    return 0


def run_demo(out_dir: Path) -> Evaluation:
    """Runs :func:`jobs.demo.demo` and prints what the README promises: the refresh summary, the
    scores, any problems and where the archive went."""
    run = demo(out_dir)
    print(f"工作簿 Workbook: {run.workbook}")
    print(run.refresh.summary())
    print(format_scores(run.evaluation))
    print(format_problems(run.evaluation))
    print(summary_line(run.evaluation))
    print(f"档案库 Archive: {run.archive}")
    return run.evaluation


def _add_demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("out"), help="folder for the demo's files (default: ./out)")


@command("demo", "run the main job on the bundled fictional example", _add_demo_arguments)
def _demo(args: argparse.Namespace) -> int:
    run_demo(args.out)
    return 0
