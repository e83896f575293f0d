"""How long building the workbook takes: the sample, and a generated 10 000-creator workbook.

    python benchmarks/build.py [--creators 10000] [--repeat 3]

The generated data repeats the bundled sample's creators (and their outreach, collaborations,
reviews and snapshots) under new handles, names and e-mails, so every rule of the engine and every
formula column is exercised at scale. Prints the median and best wall time over ``--repeat``
builds, the median CPU time (other jobs share this machine: CPU well below wall means load),
seconds per stage, input rows and written cells per second, and the load average; the target is < 60 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from workbook_addin.workbook.build import build_workbook
from workbook_addin.core.sample import load_sample


def scaled_sample(creators: int) -> dict[str, pd.DataFrame]:
    base = load_sample()
    n0 = len(base["creators"])
    copies = -(-creators // n0)
    out: dict[str, list[pd.DataFrame]] = {k: [] for k in base}
    for i in range(copies):
        suffix = f"_{i:05d}"
        c = base["creators"].copy()
        old_handles = c["handle"].str.lstrip("@")
        c["handle"] = old_handles + suffix
        # Each copy is another person: its own name, e-mail and profile link. Copies sharing them would
        # make every copy a suspected duplicate of every other (n^2 pairs on the Duplicates sheet),
        # which no real 10 000-creator archive looks like.
        c["display_name"] = c["display_name"].map(lambda v: f"{v} {suffix}" if isinstance(v, str) else v)
        c["email"] = c["email"].map(lambda v: v.replace("@", f"{suffix}@", 1) if isinstance(v, str) else v)
        c["profile_url"] = [u.replace(h, h + suffix) if isinstance(u, str) and isinstance(h, str) else u
                            for u, h in zip(c["profile_url"], old_handles)]
        out["creators"].append(c)
        old_keys = base["creators"].apply(lambda r: f"{r['platform'].lower()}:{str(r['handle']).lstrip('@').lower()}", axis=1)
        mapping = dict(zip(old_keys, (c["platform"].str.lower() + ":" + c["handle"].str.lower())))
        for key, id_col in (("outreach", "outreach_id"), ("collaborations", "collab_id"), ("reviews", "review_id"),
                            ("snapshots", None)):
            t = base[key].copy()
            t["creator_key"] = t["creator_key"].map(lambda k: mapping.get(str(k).lower(), k))
            if id_col:
                t[id_col] = t[id_col] + suffix
            if key == "reviews":
                t["collab_id"] = t["collab_id"] + suffix
            out[key].append(t)
    tables = {k: pd.concat(v, ignore_index=True) for k, v in out.items()}
    tables["creators"] = tables["creators"].iloc[:creators]
    return tables


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creators", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1)
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
            report = build_workbook(Path(tmp) / "big.xlsm", tables)
            runs.append((time.perf_counter() - t, time.process_time() - c, report))
        walls = sorted(w for w, _, _ in runs)
        took = statistics.median(walls)
        median_report = next(r for w, _, r in runs if w == walls[(len(walls) - 1) // 2])
        size = (Path(tmp) / "big.xlsm").stat().st_size / 1e6
        print(f"{args.creators} creators, {rows} input rows ({', '.join(f'{k} {len(v)}' for k, v in tables.items())}): "
              f"{took:.1f} s median, {walls[0]:.1f} s best of {len(runs)}; CPU {statistics.median(c for _, c, _ in runs):.1f} s; "
              f"{size:.1f} MB")
        print(f"    {rows / took:,.0f} input rows/s, {cells / took:,.0f} input cells/s; stages "
              f"{({k: round(v, 2) for k, v in median_report.seconds.items()})}; target < 60 s: "
              f"{'met' if took < 60 else 'MISSED'} ({took / 60:.0%})")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f"; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
