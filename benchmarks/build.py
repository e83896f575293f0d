"""How long building the workbook takes: the sample, and a generated 10 000-creator workbook.

    python benchmarks/build.py [--creators 10000]

The generated data repeats the bundled sample's creators (and their outreach, collaborations,
reviews and snapshots) under new handles, so every rule of the engine and every formula column is
exercised at scale. Prints seconds per stage and rows per second; the target is < 60 s.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from workbook_addin.builder import build_workbook
from workbook_addin.sample import load_sample


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        report = build_workbook(Path(tmp) / "sample.xlsm")
        print(f"sample workbook: {time.perf_counter() - t:.2f} s  {report.seconds}")
        tables = scaled_sample(args.creators)
        rows = sum(len(v) for v in tables.values())
        t = time.perf_counter()
        report = build_workbook(Path(tmp) / "big.xlsm", tables)
        took = time.perf_counter() - t
        size = (Path(tmp) / "big.xlsm").stat().st_size / 1e6
        print(f"{args.creators} creators, {rows} input rows: {took:.1f} s ({rows / took:,.0f} rows/s), "
              f"{size:.1f} MB; stages {({k: round(v, 2) for k, v in report.seconds.items()})}; target < 60 s")


if __name__ == "__main__":
    main()
