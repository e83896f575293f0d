"""Speed of the evaluation engine: whole tables vs one creator at a time.

Generates N creators (default 100 000) with 5 collaboration rows each (500 000), 3 outreach rows,
2 reviews and 2 follower snapshots per creator (300 000 / 200 000 / 200 000 rows), typed the way
the workbook reader hands them over (numbers as numbers, dates as datetimes, drop-down values as
their codes). Times the whole ``evaluate(tables, settings, today=..., explain=...)`` call with and
without explanations: input checks of all five tables, creator keys and the child-sheet key
match, every metric, subscore, score, tier, flag and (explain=True) explanation sentence, the
outreach funnel and the Scores table. Prints the median and best wall time and the median CPU
time over ``--repeat`` runs with the load average (other jobs share the machine), rows per
second and the peak memory, then times ``score_creator()`` on a sample of creators (default 300)
one by one and extrapolates that to all N to give the speed-up ratio.

``--as-read`` also times the tables in the exact shape ``workbook_io`` reads from a workbook:
object columns holding Python floats, datetimes and strings (one string object per cell).

    python benchmarks/engine.py                 # full size
    python benchmarks/engine.py --creators 10000 --row-sample 100
"""
from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from workbook_addin.engine.evaluation import evaluate, score_creator
from workbook_addin.core.settings import Settings


def generate(n: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    platforms = np.array(["TikTok", "Instagram", "YouTube"], dtype=object)
    plat = platforms[rng.integers(0, 3, n)]
    handles = np.char.add("creator_", np.arange(n).astype(str)).astype(object)
    keys = np.char.add(np.char.add(np.char.lower(plat.astype(str)), ":"), handles.astype(str)).astype(object)
    followers = np.exp(rng.uniform(np.log(5e3), np.log(2e6), n)).round()
    markets = np.array(["US", "UK", "DE", "JP", "AE", "SA", "FR", "BR"], dtype=object)
    langs = np.array(["en", "de", "ja", "ar", "fr", "pt"], dtype=object)
    cats = np.array(["Beauty", "Fashion", "Tech", "Home", "Food", "Lifestyle"], dtype=object)
    curr = np.array(["USD", "GBP", "EUR", "JPY", "AED", "SAR"], dtype=object)
    creators = pd.DataFrame({
        "platform": plat, "handle": handles, "display_name": handles, "profile_url": None,
        "country": markets[rng.integers(0, 8, n)], "language": langs[rng.integers(0, 6, n)],
        "category": cats[rng.integers(0, 6, n)], "followers": followers,
        "avg_views": (followers * rng.uniform(0.05, 0.6, n)).round(),
        "fake_follower_rate": np.where(rng.random(n) < 0.6, rng.uniform(0, 0.4, n), np.nan),
        "audience_top_country": markets[rng.integers(0, 8, n)],
        "audience_target_share": np.where(rng.random(n) < 0.5, rng.uniform(0.1, 0.9, n), np.nan),
        "agency": np.where(rng.random(n) < 0.4, "Agency (bench)", None),
        "quoted_fee": rng.uniform(100, 5000, n).round(), "currency": curr[rng.integers(0, 6, n)],
        "status": "active", "blacklisted": np.where(rng.random(n) < 0.02, "yes", "no"),
        "w8ben_received": "yes", "owner": "bench",
    })
    m = 5 * n
    ci = rng.integers(0, n, m)
    views = rng.uniform(1e3, 5e5, m).round()
    published = rng.random(m) < 0.8
    day0 = np.datetime64("2026-09-01")
    collabs = pd.DataFrame({
        "collab_id": np.char.add("C", np.arange(m).astype(str)).astype(object), "creator_key": keys[ci],
        "campaign": "2026-11 Black Friday", "platform": plat[ci],
        "publish_date": (day0 + rng.integers(0, 80, m).astype("timedelta64[D]")).astype("datetime64[us]"),
        "currency": curr[rng.integers(0, 6, m)], "fee": rng.uniform(0, 3000, m).round(),
        "commission_rate": rng.uniform(0, 0.2, m), "sample_cost": rng.uniform(0, 80, m).round(),
        "shipping_cost": rng.uniform(0, 30, m).round(), "agency_fee_pct": rng.uniform(0, 0.2, m),
        "tool_cost": rng.uniform(0, 20, m).round(),
        "kpi_views": rng.uniform(1e4, 3e5, m).round(), "kpi_er": rng.uniform(0.02, 0.08, m),
        "kpi_orders": rng.integers(5, 200, m).astype(float), "kpi_roas": rng.uniform(1.5, 4, m),
        "views": np.where(published, views, np.nan), "likes": np.where(published, (views * rng.uniform(0.01, 0.08, m)).round(), np.nan),
        "comments": np.where(published, (views * rng.uniform(0.0005, 0.004, m)).round(), np.nan),
        "shares": np.where(published, (views * rng.uniform(0, 0.01, m)).round(), np.nan),
        "saves": np.where(published, (views * rng.uniform(0, 0.01, m)).round(), np.nan),
        "clicks": np.where(published, (views * rng.uniform(0.002, 0.03, m)).round(), np.nan),
        "orders": np.where(published, rng.integers(0, 300, m), np.nan),
        "gmv": np.where(published, rng.uniform(0, 20000, m).round(2), np.nan), "gmv_currency": "USD",
    })
    k = 3 * n
    oi = rng.integers(0, n, k)
    contacted = (day0 + rng.integers(0, 60 * 24, k).astype("timedelta64[h]")).astype("datetime64[us]")
    replied = rng.random(k) < 0.7
    outreach = pd.DataFrame({
        "outreach_id": np.char.add("O", np.arange(k).astype(str)).astype(object), "creator_key": keys[oi],
        "contacted_at": contacted, "channel": "email", "template": "T1",
        "replied_at": np.where(replied, contacted + rng.integers(1, 96, k).astype("timedelta64[h]"), np.datetime64("NaT")).astype("datetime64[us]"),
        "status": np.where(replied, "replied", "no_response").astype(object),
    })
    r = 2 * n
    ri = rng.integers(0, m, r)
    yn = np.array(["yes", "no"], dtype=object)
    reviews = pd.DataFrame({
        "review_id": np.char.add("R", np.arange(r).astype(str)).astype(object), "collab_id": collabs["collab_id"].to_numpy()[ri],
        "creator_key": keys[ci[ri]], "reviewer": np.array(["Lin", "Zhou", "Chen", "Wang"], dtype=object)[rng.integers(0, 4, r)],
        "visuals": rng.integers(1, 6, r).astype(float), "script": rng.integers(1, 6, r).astype(float),
        "brand_fit": rng.integers(1, 6, r).astype(float), "ad_disclosure": yn[(rng.random(r) < 0.05).astype(int)],
        "false_claims": yn[(rng.random(r) > 0.01).astype(int)], "platform_violation": "no",
    })
    s = 2 * n
    si = np.repeat(np.arange(n), 2)
    snapshots = pd.DataFrame({
        "creator_key": keys[si], "date": np.tile(np.array(["2026-10-01", "2026-10-20"], dtype="datetime64[us]"), n),
        "followers": (followers[si] * np.tile([0.9, 1.0], n) * rng.uniform(0.9, 1.2, s)).round(), "source": "bench",
    })
    return {"creators": creators, "outreach": outreach, "collaborations": collabs, "reviews": reviews, "snapshots": snapshots}


def as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as ``workbook_io.frame_from_rows`` builds it: object columns, None for empty cells,
    floats, datetimes and a fresh string object per cell (what calamine hands over)."""
    data = {}
    for c in frame.columns:
        v = frame[c]
        if v.dtype.kind == "M":
            data[c] = [None if x is pd.NaT else x.to_pydatetime() for x in v]
        elif v.dtype.kind == "f":
            data[c] = [None if x != x else x for x in v.tolist()]
        else:
            data[c] = [None if x is None or x != x else "".join([x]) if isinstance(x, str) else x for x in v.tolist()]
    return pd.DataFrame(data, index=pd.RangeIndex(2, 2 + len(frame), name="excel_row"), dtype=object)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def time_evaluate(tables: dict[str, pd.DataFrame], settings: Settings, rows: int, n: int, repeat: int,
                  label: str = "") -> dict[bool, float]:
    """Median wall time of evaluate() with and without explanations (and prints the figures)."""
    median = {}
    for explain in (False, True):
        times, cpu = [], []
        before = load()
        for _ in range(repeat):
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            result = evaluate(tables, settings, today="2026-11-25", explain=explain)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        median[explain] = statistics.median(times)
        print(f"evaluate({label}explain={explain}): median of {repeat} {median[explain]:.3f} s wall (best {min(times):.3f}), "
              f"median CPU {statistics.median(cpu):.3f} s; load average {before} -> {load()}  "
              f"({n / median[explain]:,.0f} creators/s, {rows / median[explain]:,.0f} input rows/s); "
              f"{len(result.problems)} problems; tiers {result.tier_counts()}")
    return median


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--creators", type=int, default=100_000)
    ap.add_argument("--row-sample", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--as-read", action="store_true", help="also time the tables as the workbook reader hands them over")
    args = ap.parse_args(argv)
    settings = Settings.defaults()
    tables = generate(args.creators)
    rows = sum(len(t) for t in tables.values())
    rss_tables = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load average now: {load()} (1, 5, 15 min; {os.cpu_count()} cores; other jobs share the machine)")
    print("tables: " + ", ".join(f"{k} {len(v):,}" for k, v in tables.items()) + f"  (total {rows:,} rows)")
    evaluate({k: v.head(50) for k, v in tables.items()}, settings, today="2026-11-25")  # warm-up imports/caches
    median = time_evaluate(tables, settings, rows, args.creators, args.repeat)
    if args.as_read:
        read = {k: as_read(v) for k, v in tables.items()}
        time_evaluate(read, settings, rows, args.creators, args.repeat, "as read, ")
        del read
    tracemalloc.start()
    evaluate(tables, settings, today="2026-11-25", explain=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory allocated during evaluate (tracemalloc): {peak / 2**20:,.0f} MiB; "
          f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB, of which "
          f"{rss_tables:,.0f} MiB was reached already by generating the input tables")

    # Row by row: score_creator() on a sample of creators with their own child rows.
    sample_keys = tables["collaborations"]["creator_key"].drop_duplicates().head(args.row_sample).to_numpy()
    groups = {k: t.groupby("creator_key").indices for k, t in tables.items() if k != "creators"}
    creators = tables["creators"]
    ckeys = (creators["platform"].str.lower() + ":" + creators["handle"]).to_numpy()
    pos = {k: i for i, k in enumerate(ckeys)}
    payloads = []
    for key in sample_keys:
        child = {k: tables[k].iloc[groups[k].get(key, [])].to_dict("records") for k in groups}
        payloads.append((creators.iloc[pos[key]].to_dict(), child))
    t0 = time.perf_counter()
    for creator, child in payloads:
        score_creator(creator, child["outreach"], child["collaborations"], child["reviews"], child["snapshots"],
                      settings, today="2026-11-25")
    per = (time.perf_counter() - t0) / len(payloads)
    extrapolated = per * args.creators
    print(f"score_creator row by row: {per * 1000:.1f} ms per creator over a sample of {len(payloads)}; "
          f"extrapolated to {args.creators:,} creators: {extrapolated:,.0f} s")
    print(f"speed-up of evaluate() over row by row: {extrapolated / median[True]:,.0f}x (with explanations, median times), "
          f"{extrapolated / median[False]:,.0f}x (without)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
