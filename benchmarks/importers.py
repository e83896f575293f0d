"""Speed of the export importers: reading, typing and matching 50 000 export rows.

Writes a realistic folder to a temporary directory: a TikTok Shop export (Chinese headers, GBK,
"1.2万"-style numbers), an Instagram export, and a Shopify orders export with one to three
line-item rows per order, N rows in total (default 50 000), plus a collaborations table with one
row per 10 posts/codes. Times ``read_exports`` and ``match_exports`` separately and prints rows per
second, then the same folder read again with a second copy of every file (the re-import case) to
show that de-duplication keeps the result identical. Prints CPU time (other jobs share the machine)
and the process's peak memory. Goal (issue 10): 200 000 rows under 10 s and 400 MB peak.

    python benchmarks/importers.py               # 50 000 rows
    python benchmarks/importers.py --rows 200000
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from workbook_addin.importers import match_exports, read_exports

SHOPIFY = ["Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Currency", "Subtotal", "Shipping", "Taxes",
           "Total", "Discount Code", "Discount Amount", "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price",
           "Note Attributes", "Cancelled at", "Refunded Amount"]


def write_folder(folder: Path, rows: int, seed: int = 11) -> pd.DataFrame:
    rng = random.Random(seed)
    share = rows // 3
    collabs = []
    with open(folder / "tiktok_shop_cn_2026-11-24.csv", "w", newline="", encoding="gbk") as fh:
        w = csv.writer(fh)
        w.writerow(["视频ID", "视频名称", "达人用户名", "视频发布时间", "视频播放量", "点赞数", "评论数", "分享数", "商品点击次数", "成交订单数", "成交金额"])
        for i in range(share):
            vid = 7400000000000000000 + i
            views = rng.randint(1000, 3_000_000)
            w.writerow([vid, f"视频 {i}", f"creator_{i % 5000}", f"2026/11/{1 + i % 28:02d}", f"{views / 1e4:.1f}万" if views > 1e5 else f"{views:,}",
                        rng.randint(10, 90000), rng.randint(0, 900), rng.randint(0, 900), f"{rng.randint(0, 9000):,}", rng.randint(0, 300), f"${rng.uniform(0, 9000):,.2f}"])
            if i % 10 == 0:
                collabs.append({"collab_id": f"TT-{i}", "creator_key": f"tiktok:creator_{i % 5000}", "platform": "TikTok",
                                "post_url": f"https://www.tiktok.com/@creator_{i % 5000}/video/{vid}", "currency": "USD"})
    with open(folder / "instagram_meta_2026-11-24.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Post ID", "Account username", "Publish time", "Permalink", "Post type", "Views", "Reach", "Likes", "Shares", "Comments", "Saves"])
        for i in range(share):
            code = f"C{i:010d}"
            w.writerow([17900000000000000 + i, f"ig_{i % 4000}", f"11/{1 + i % 28:02d}/2026 12:00", f"https://www.instagram.com/reel/{code}/", "IG reel",
                        f"{rng.randint(100, 900000):,}", rng.randint(100, 500000), rng.randint(0, 50000), rng.randint(0, 900), rng.randint(0, 900), rng.randint(0, 900)])
            if i % 10 == 0:
                collabs.append({"collab_id": f"IG-{i}", "creator_key": f"instagram:ig_{i % 4000}", "platform": "Instagram",
                                "post_url": f"https://instagram.com/reel/{code}", "currency": "USD"})
    codes = [f"CODE{i}" for i in range(2000)]
    for i, code in enumerate(codes[::10]):
        collabs.append({"collab_id": f"SH-{i}", "creator_key": f"tiktok:shopper_{i}", "platform": "TikTok", "promo_code": code, "currency": "USD"})
    written, order = 0, 1000
    with open(folder / "shopify_orders_2026-11-24.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(SHOPIFY)
        while written < rows - 2 * share:
            order += 1
            status = rng.choices(["paid", "refunded", "partially_refunded", "voided"], [90, 4, 4, 2])[0]
            sub = rng.uniform(10, 300)
            for k in range(rng.randint(1, 3)):
                first = k == 0
                w.writerow([f"#{order}", f"c{order}@example.com", status if first else "", "2026-11-03 10:00:00 -0500" if first else "", "", "USD" if first else "",
                            f"{sub:.2f}" if first else "", "4.90" if first else "", "0.00" if first else "", f"{sub + 4.9:.2f}" if first else "",
                            rng.choice(codes) if first and rng.random() < 0.7 else "", "", "2026-11-03 10:00:00 -0500" if first else "", 1, "Item", "10.00",
                            "", "", f"{sub / 3:.2f}" if first and status == "partially_refunded" else ""])
                written += 1
    return pd.DataFrame(collabs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "exports"
        folder.mkdir()
        collabs = write_folder(folder, args.rows)
        base_mb = peak_mb()
        t0, c0 = time.perf_counter(), time.process_time()
        batch = read_exports(folder)
        t1, c1 = time.perf_counter(), time.process_time()
        result = match_exports(batch, collabs)
        t2, c2 = time.perf_counter(), time.process_time()
        n = args.rows
        print(f"export rows: {n:,} in {len(batch.files)} files -> {len(batch.rows):,} posts/orders; {len(collabs):,} collaborations")
        print(f"read_exports : {t1 - t0:6.2f} s  {n / (t1 - t0):10,.0f} rows/s")
        print(f"match_exports: {t2 - t1:6.2f} s  {len(batch.rows) / (t2 - t1):10,.0f} posts+orders/s")
        print(f"total        : {t2 - t0:6.2f} s  {n / (t2 - t0):10,.0f} rows/s  ({len(result.changes):,} cell changes, "
              f"{len(result.unmatched):,} unmatched)")
        print(f"CPU          : read {c1 - c0:.2f} s, match {c2 - c1:.2f} s, {n / (c2 - c0):,.0f} rows per CPU second; "
              f"peak memory {peak_mb():,.0f} MB (before reading {base_mb:,.0f} MB)")
        for f in list(folder.iterdir()):  # the re-import case: every file downloaded twice
            shutil.copy(f, folder / f"copy_{f.name}")
        t3 = time.perf_counter()
        again = match_exports(read_exports(folder), collabs)
        t4 = time.perf_counter()
        same = again.changes[["collab_id", "column", "new"]].equals(result.changes[["collab_id", "column", "new"]])
        print(f"re-import x2 : {t4 - t3:6.2f} s  {2 * n / (t4 - t3):10,.0f} rows/s  identical result: {same}  ratio to single: {(t4 - t3) / (t2 - t0):.2f}x")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f"; {os.cpu_count()} CPUs "
          "(wall time well above CPU time means other jobs had the CPUs)")


def peak_mb() -> float:
    """The process's peak resident memory (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if os.uname().sysname != "Darwin" else peak / 1e6


if __name__ == "__main__":
    main()
