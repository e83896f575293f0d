"""Speed of the headless refresh ("刷新数据") on a large workbook, end to end.

Builds (with the real builder) a workbook with N creators and M collaborations, writes a TikTok
campaign export with one row per collaboration post (every post's metrics changed), then runs
``refresh_workbook`` and prints the time split (read, match, compute, sync, write), rows per second,
and a second run on the same exports (the idempotent case: nothing but the status line and the
run log is written). Target: under 20 s end to end for 10 000 creators / 50 000 collaborations.

    python benchmarks/refresh.py                          # 10 000 creators, 50 000 collaborations
    python benchmarks/refresh.py --creators 1000 --collabs 5000
    python benchmarks/refresh.py --workdir /tmp/lianxing-bench     # keep/reuse the built workbook
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from workbook_addin.builder import build_workbook
from workbook_addin.refresh import refresh_workbook

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


def _run(label: str, book: Path, rows: int, n_collabs: int, sync: bool) -> None:
    t = time.perf_counter()
    report = refresh_workbook(book, sync=sync)
    total = time.perf_counter() - t
    split = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
    print(f"{label}: {total:.2f}s end to end  [{split}]")
    print(f"    {rows:,} export rows -> {report.rows_updated:,} collaborations updated "
          f"({report.cells_updated:,} metric cells, {report.computed_cells:,} computed cells, "
          f"{report.changes.cell_count() if report.changes else 0:,} cell writes + "
          f"{sum(len(v) for v in report.changes.appends.values()) if report.changes else 0:,} appended rows); "
          f"{rows / total:,.0f} export rows/s; target 20 s: {'met' if total < 20 else 'MISSED'} ({total / 20:.0%})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--creators", type=int, default=10_000)
    ap.add_argument("--collabs", type=int, default=50_000)
    ap.add_argument("--no-sync", action="store_true")
    ap.add_argument("--workdir", type=Path, help="keep the built workbook here and reuse it on the next run "
                                                 "(building 50 000 rows takes minutes)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lianxing-bench-") as tmp:
        folder = Path(tmp)
        book = folder / "Lianxing_Evaluation.xlsm"
        tables = make_tables(args.creators, args.collabs)
        cached = args.workdir / f"template_{args.creators}_{args.collabs}.xlsm" if args.workdir else None
        t = time.perf_counter()
        if cached is not None and cached.exists():
            shutil.copy(cached, book)
            print(f"setup: reused {cached}")
        else:
            build_workbook(book, tables)
            print(f"setup: built {book.name} ({book.stat().st_size / 1e6:.1f} MB) with {args.creators:,} creators, "
                  f"{args.collabs:,} collaborations in {time.perf_counter() - t:.1f}s (not part of the refresh)")
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(book, cached)
        rows = write_export(folder / "exports", tables["collaborations"])
        sync = not args.no_sync
        _run("1. first refresh (every post changed; first archive sync of all creators)", book, rows, args.collabs, sync)
        write_export(folder / "exports", tables["collaborations"], seed=9)
        _run("2. next day's exports (every post changed again; archive already synced)", book, rows, args.collabs, sync)
        _run("3. same exports again (nothing changes: status line + run-log row only)", book, rows, args.collabs, sync)


if __name__ == "__main__":
    main()
