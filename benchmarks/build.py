"""How long building the workbook takes: the sample, and a generated 10 000-creator workbook.

    python benchmarks/build.py [--creators 10000] [--repeat 3] [--out big.xlsm]

``--out FILE`` keeps the generated workbook there, so anyone can open and inspect it.

The generated data repeats the bundled sample's creators (and their outreach, collaborations,
reviews and snapshots) under new handles, names and e-mails, so every rule of the engine and every
formula column is exercised at scale. Prints the median and best wall time over ``--repeat``
builds, the median CPU time (other jobs share this machine: CPU well below wall means load),
seconds per stage, input rows and written cells per second, and the load average; the target is < 60 s.
"""
from __future__ import annotations

import argparse
import os
import sys
import statistics
import tempfile
import time
from pathlib import Path

from workbook_addin.workbook.build import build_workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.generated
from tests.generated import scaled_sample  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creators", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, help="keep the generated workbook at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        report = build_workbook(Path(tmp) / "sample.xlsm")
        print(f"sample workbook: {time.perf_counter() - t:.2f} s  {({k: round(v, 2) for k, v in report.seconds.items()})}")
        tables = scaled_sample(args.creators)
        rows = sum(len(v) for v in tables.values())
        cells = sum(v.size for v in tables.values())
        runs = []
        for _ in range(max(1, args.repeat)):
            t, c = time.perf_counter(), time.process_time()
            report = build_workbook(args.out or Path(tmp) / "big.xlsm", tables)
            runs.append((time.perf_counter() - t, time.process_time() - c, report))
        walls = sorted(w for w, _, _ in runs)
        took = statistics.median(walls)
        median_report = next(r for w, _, r in runs if w == walls[(len(walls) - 1) // 2])
        size = (args.out or Path(tmp) / "big.xlsm").stat().st_size / 1e6
        print(f"{args.creators} creators, {rows} input rows ({', '.join(f'{k} {len(v)}' for k, v in tables.items())}): "
              f"{took:.1f} s median, {walls[0]:.1f} s best of {len(runs)}; CPU {statistics.median(c for _, c, _ in runs):.1f} s; "
              f"{size:.1f} MB")
        print(f"    {rows / took:,.0f} input rows/s, {cells / took:,.0f} input cells/s; stages "
              f"{({k: round(v, 2) for k, v in median_report.seconds.items()})}; target < 60 s: "
              f"{'met' if took < 60 else 'MISSED'} ({took / 60:.0%})")
    if args.out:
        print(f"kept: {args.out}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f"; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
