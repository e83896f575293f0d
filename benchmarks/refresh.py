"""Speed of the headless refresh ("刷新数据") on a large workbook, end to end.

Builds (with the real builder) a workbook with N creators and M collaborations, writes a TikTok
campaign export with one row per collaboration post (every post's metrics changed), then runs
``refresh_workbook`` on it: the first refresh (every post changed, first archive sync of all
creators), the next day's exports (every post changed again), the same next day on another
computer (a copy refreshed with an empty cache folder: the ledger the first refresh saved is read,
not recalled, see workbook_addin/workbook/table_memo.py) and the same exports once more (the
idempotent case: nothing but the status line and the run log is written; the refresh memo lets it
skip the import, the engine and the insight sheets, see workbook_addin/jobs/refresh_memo.py). Each scenario prints the
median and best wall time over ``--repeat`` runs (each on a fresh copy of the built workbook), the
median CPU time, the time split (read, match, compute, insights, sync, write), export rows and
written cells per second, the peak memory of the process, and the load average: other jobs share
this machine, so a slow run under load shows as CPU time well below wall time. Goals (issue 10, with
the import ledger in place): under 3 s for the next day's exports, under 2 s for the same exports
again, 10 000 creators / 50 000 collaborations.

    python benchmarks/refresh.py                          # 10 000 creators, 50 000 collaborations
    python benchmarks/refresh.py --creators 1000 --collabs 5000
    python benchmarks/refresh.py --workdir /tmp/lianxing-bench --repeat 3   # keep/reuse the built workbook
    python benchmarks/refresh.py --no-sync --one-process   # every sheet patched in this process

CPU time is this process's (its threads included), and the second process's is printed beside
it: with it (the default on two or more cores) the ledger, Collaborations and the largest sheet
left at the save are patched in another process. Their sum against two cores is the floor under
the wall time, which is what a user waits.

With ``--workdir`` the built workbook is kept under a name that includes a fingerprint of
templates/ (schema and settings), so a schema change builds a fresh one instead of timing an old layout.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import inspect
import os
import random
import resource
import shutil
import statistics
import tempfile
import time
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from workbook_addin.workbook import table_worksheet
from workbook_addin.workbook.build import build_workbook
from workbook_addin.workbook.formulas import column_formulas
from workbook_addin.jobs.refresh import refresh_workbook
from workbook_addin.jobs.refresh_memo import CACHE_ENV

PLATFORMS = ("TikTok", "Instagram", "YouTube")


def make_tables(n_creators: int, n_collabs: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = random.Random(seed)
    creators = []
    for i in range(n_creators):
        creators.append({
            "platform": "TikTok", "handle": f"creator_{i}_demo", "display_name": f"Creator {i}",
            "country": rng.choice(["US", "UK", "DE", "JP"]), "language": "en", "category": rng.choice(["Beauty", "Home", "Tech"]),
            "followers": rng.randint(2_000, 2_000_000), "avg_views": rng.randint(500, 500_000),
            "fake_follower_rate": round(rng.uniform(0, 0.3), 3), "audience_top_country": "US",
            "audience_target_share": round(rng.uniform(0.2, 0.9), 2), "quoted_fee": rng.randint(100, 5000),
            "currency": "USD", "status": "active", "blacklisted": "no",
        })
    collabs = []
    for j in range(n_collabs):
        i = j % n_creators
        day = dt.date(2026, 9, 1) + dt.timedelta(days=j % 80)
        collabs.append({
            "collab_id": f"C-{j:06d}", "creator_key": f"tiktok:creator_{i}_demo", "campaign": f"2026-{9 + j % 3} campaign",
            "platform": "TikTok", "post_url": f"https://www.tiktok.com/@creator_{i}_demo/video/{7400000000000000000 + j}",
            "publish_date": day.isoformat(), "currency": "USD", "fee": rng.randint(100, 3000), "commission_rate": 0.1,
            "sample_cost": 30, "shipping_cost": 10, "agency_fee_pct": 0.1, "kpi_views": 100_000, "kpi_er": 0.05,
            "kpi_orders": 50, "kpi_roas": 3, "views": rng.randint(1000, 900_000), "likes": rng.randint(10, 50_000),
            "comments": rng.randint(0, 900), "shares": rng.randint(0, 900), "saves": rng.randint(0, 900),
            "orders": rng.randint(0, 300), "gmv": round(rng.uniform(0, 9000), 2), "gmv_currency": "USD",
        })
    outreach = [{"outreach_id": f"O-{i:06d}", "creator_key": f"tiktok:creator_{i}_demo", "contacted_at": "2026-08-01 09:00",
                 "channel": "email", "replied_at": f"2026-08-0{1 + i % 3} 1{i % 10}:00", "status": "posted"} for i in range(n_creators)]
    snapshots = [{"creator_key": f"tiktok:creator_{i}_demo", "date": "2026-10-01", "followers": c["followers"],
                  "source": "manual"} for i, c in enumerate(creators)]
    return {k: pd.DataFrame(v, dtype=object) for k, v in
            {"creators": creators, "collaborations": collabs, "outreach": outreach, "snapshots": snapshots}.items()}


def write_export(folder: Path, collabs: pd.DataFrame, seed: int = 8) -> int:
    """TikTok campaign export (the format of templates/sample/exports): one row per post, new metrics."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "tiktok_campaign_videos_2026-11-24.csv", "w", newline="", encoding="utf-8") as fh:
        fh.write("Date range: 2026-09-01 ~ 2026-11-24\n")
        w = csv.writer(fh)
        w.writerow(["Video link", "Video title", "Creator username", "Creator followers", "Post time", "Video views",
                    "Likes", "Comments", "Shares", "Favorites"])
        for r in collabs.to_dict("records"):
            handle = r["creator_key"].split(":", 1)[1]
            w.writerow([r["post_url"], "video", handle, f"{rng.randint(2000, 2_000_000):,}", f"{r['publish_date']} 18:00",
                        f"{int(r['views']) + rng.randint(1, 5000):,}", int(r["likes"]) + rng.randint(1, 500),
                        r["comments"], r["shares"], r["saves"]])
    return len(collabs)


def template_fingerprint() -> str:
    """A short hash of templates/schema.toml, settings.toml and the calculated columns' formulas
    and stored form: the layout a cached workbook has."""
    digest = hashlib.sha256()
    for name in ("schema.toml", "settings.toml"):
        digest.update(resources.files("templates").joinpath(name).read_bytes())
    digest.update(repr(sorted(column_formulas().items())).encode())
    digest.update(inspect.getsource(table_worksheet).encode())
    return digest.hexdigest()[:10]


#: (label, export seed or None for the same exports, on another computer: a copy of the workbook
#: as the scenario before left it, refreshed with an empty cache folder, so no memo of its tables)
SCENARIOS = (
    ("1. first refresh (every post changed; first archive sync of all creators)", 8, False),
    ("2. next day's exports (every post changed again; archive already synced)", 9, False),
    ("2b. the same next day on another computer (nothing in its cache folder: every table is read)", 9, True),
    ("3. same exports again (nothing changes: status line + run-log row only)", None, False),
)


def _children_cpu() -> float:
    """CPU seconds of this process's ended children (the second process is waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _one_pass(template: Path, tables: dict[str, pd.DataFrame], sync: bool) -> list[tuple[float, float, float, object]]:
    """The scenarios, in order, on a fresh copy of ``template``: (wall s, CPU s, second process
    CPU s, what is printed of the run) each."""
    out = []
    with tempfile.TemporaryDirectory(prefix="lianxing-bench-") as tmp:
        folder = Path(tmp)
        os.environ[CACHE_ENV] = str(folder / "cache")  # this pass's memos only
        book, before = folder / "Lianxing_Evaluation.xlsm", folder / "before" / "Lianxing_Evaluation.xlsm"
        shutil.copy(template, book)
        before.parent.mkdir()
        for _label, seed, elsewhere in SCENARIOS:
            if seed is not None and not elsewhere:
                write_export(folder / "exports", tables["collaborations"], seed=seed)
                shutil.copy(book, before)
            target = book
            if elsewhere:  # beside the other copy, so it reads the same export folder
                target = folder / "elsewhere.xlsm"
                shutil.copy(before, target)
                os.environ[CACHE_ENV] = str(folder / "elsewhere-cache")
            t, c, k = time.perf_counter(), time.process_time(), _children_cpu()
            report = refresh_workbook(target, sync=sync)
            out.append((time.perf_counter() - t, time.process_time() - c, _children_cpu() - k, _summary(report)))
            del report  # not kept: the next runs would share the process with every run's cell changes
            os.environ[CACHE_ENV] = str(folder / "cache")
    return out


def _summary(report: Any) -> SimpleNamespace:
    """What is printed of a run: holding whole reports (435 000 cell changes each) made every later
    run work in a larger process and the peak memory a sum of runs."""
    changes = report.changes
    return SimpleNamespace(timings=dict(report.timings), rows_updated=report.rows_updated,
                           cells_updated=report.cells_updated, computed_cells=report.computed_cells,
                           cells=changes.cell_count() if changes else 0,
                           appended=sum(len(v) for v in changes.appends.values()) if changes else 0)


def _print(label: str, runs: list[tuple[float, float, float, object]], rows: int) -> None:
    walls = [w for w, _, _, _ in runs]
    cpus = [c for _, c, _, _ in runs]
    second = statistics.median(k for _, _, k, _ in runs)
    total = statistics.median(walls)
    report: Any = runs[walls.index(sorted(walls)[(len(walls) - 1) // 2])][3]  # the median run's split
    split = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
    cells, appended = report.cells, report.appended
    write = report.timings.get("write", 0.0)
    print(f"{label}")
    print(f"    {total:.2f}s median, {min(walls):.2f}s best of {len(walls)}; CPU {statistics.median(cpus):.2f}s"
          f" + {second:.2f}s in the second process  [{split}]")
    print(f"    {rows:,} export rows -> {report.rows_updated:,} collaborations updated "
          f"({report.cells_updated:,} metric cells, {report.computed_cells:,} computed cells; "
          f"{cells:,} cell writes + {appended:,} appended rows)")
    print(f"    {rows / total:,.0f} export rows/s end to end ({rows / statistics.median(cpus):,.0f}/s of CPU); "
          f"write {(cells + appended) / write if write else 0:,.0f} cells+rows/s; peak memory so far {peak_mb():,.0f} MB")


def peak_mb() -> float:
    """The process's peak resident memory (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if os.uname().sysname != "Darwin" else peak / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--creators", type=int, default=10_000)
    ap.add_argument("--collabs", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=1, help="runs of the scenarios (median and best are printed)")
    ap.add_argument("--no-sync", action="store_true")
    ap.add_argument("--one-process", action="store_true",
                    help="patch every sheet in this process (no second process for the largest, "
                         "see workbook_addin/workbook/xlsx/part_patch.py)")
    ap.add_argument("--workdir", type=Path, help="keep the built workbook here and reuse it on the next run "
                                                 "(building 50 000 rows takes a while)")
    args = ap.parse_args()
    if args.one_process:
        os.environ["LIANXING_SECOND_PROCESS"] = "0"
    tables = make_tables(args.creators, args.collabs)
    with tempfile.TemporaryDirectory(prefix="lianxing-template-") as tmp:
        name = f"template_{args.creators}_{args.collabs}_{template_fingerprint()}.xlsm"
        template = (args.workdir / name) if args.workdir else Path(tmp) / name
        if template.exists():
            print(f"setup: reused {template}")
        else:
            t = time.perf_counter()
            template.parent.mkdir(parents=True, exist_ok=True)
            build_workbook(template, tables)
            print(f"setup: built {template.name} ({template.stat().st_size / 1e6:.1f} MB) with {args.creators:,} creators, "
                  f"{args.collabs:,} collaborations in {time.perf_counter() - t:.1f}s (not part of the refresh)")
        passes = []
        for _ in range(max(1, args.repeat)):
            passes.append(_one_pass(template, tables, not args.no_sync))
        for i, (label, _seed, _elsewhere) in enumerate(SCENARIOS):
            _print(label, [p[i] for p in passes], args.collabs)
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
          + f"; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
