"""Speed of the insights and the monthly report on a large synthetic workbook.

Uses the engine benchmark's generator (N creators, 5 collaborations, 3 outreach rows, 2 reviews
and 2 snapshots each), evaluates once with the engine, then times each insight on the evaluated
tables and prints rows per second; finally times the sample report (HTML + PDF).

    python benchmarks/insights.py                  # 20 000 creators
    python benchmarks/insights.py --creators 2000
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import generate  # noqa: E402  (benchmarks/engine.py)

from workbook_addin.engine.evaluation import evaluate  # noqa: E402
from workbook_addin.insights.agencies import agency_scorecard  # noqa: E402
from workbook_addin.insights.duplicates import blacklist_hits, duplicate_creators  # noqa: E402
from workbook_addin.insights.pilot import pilot_gates  # noqa: E402
from workbook_addin.insights.playbook import playbook  # noqa: E402
from workbook_addin.insights.quotes import quote_check  # noqa: E402
from workbook_addin.insights.reminders import reminders  # noqa: E402
from workbook_addin.insights.tier_review import tier_review  # noqa: E402
from workbook_addin.report import write_report  # noqa: E402
from workbook_addin.core.sample import load_sample  # noqa: E402


def timed(label: str, rows: int, fn) -> None:
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    size = len(result) if hasattr(result, "__len__") else "-"
    print(f"{label:<22} {rows:>9,} rows  {seconds:8.2f} s  {rows / seconds:>12,.0f} rows/s  -> {size} result rows")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=20_000)
    args = parser.parse_args()
    tables = generate(args.creators)
    start = time.perf_counter()
    ev = evaluate(tables, today="2026-11-25", explain=False)
    print(f"engine evaluate        {args.creators:>9,} creators {time.perf_counter() - start:6.2f} s (for scale)")
    t = ev.tables
    n_out, n_col, n_cre = len(t["outreach"]), len(t["collaborations"]), len(t["creators"])
    timed("playbook", n_out, lambda: playbook(t))
    timed("duplicates", n_cre, lambda: duplicate_creators(tables["creators"]))
    timed("blacklist hits", n_out, lambda: blacklist_hits(t))
    timed("reminders", n_col, lambda: reminders(t, "2026-11-25"))
    timed("agency scorecard", n_col + n_out, lambda: agency_scorecard(t, today="2026-11-25"))
    timed("quote check", n_cre, lambda: quote_check(t))
    timed("S-tier review", n_cre, lambda: tier_review(t))
    timed("pilot gates", n_col, lambda: pilot_gates(t))
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        write_report(load_sample(), "2026-11", out, today="2026-11-25")
        print(f"sample report (HTML+PDF) {time.perf_counter() - start:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
