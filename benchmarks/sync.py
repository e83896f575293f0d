"""Benchmark: syncing a 20 000-creator archive with the shared Google Sheet (the local fake Sheets API).

1 % of the rows change in the workbook and another 1 % in the shared sheet (a team mate's browser
edits); the sync must push and pull them with few, small requests. Counted by the fake
(``srv.stats``: HTTP requests to the Sheets API and their body bytes), side by side with what writing
the same table with gspread-dataframe's ``set_with_dataframe`` (a full rewrite) sends.

Targets: at most 5 requests for the sync, at least 20x fewer request bytes than the full rewrite,
zero writes on a no-op sync, and client time (wall time minus the time the fake server spent
answering, ``srv.stats.server_seconds``; also the client thread's own CPU time) under 2 s for the 1 % sync and under 1 s for the no-op.
``--profile`` prints where the client's time goes. The fake runs in this process (its own threads):
the sync pauses Python's cycle collector while it runs (``workbook_addin/core/gc_pause.py``), which spares the
fake's threads some collections too, so compare client figures, not server ones, across that change.

    python benchmarks/sync.py [--creators 20000] [--changed 0.01]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gspread_dataframe import set_with_dataframe  # noqa: E402

from sheets_sync.google_sheet import GoogleSheetBackend  # noqa: E402
from sheets_sync.retry import RetryPolicy  # noqa: E402
from sheets_sync.sync import sync_table  # noqa: E402
from tests.fake_sheets_api import FakeSheetsServer  # noqa: E402
from workbook_addin.core.schema import load_schema  # noqa: E402

TAB = "Creators"


def make_creators(n: int, rng: random.Random) -> pd.DataFrame:
    platforms = ["TikTok", "Instagram", "YouTube"]
    countries = ["US", "UK", "DE", "JP", "AE", "SA"]
    rows = []
    for i in range(n):
        p = platforms[i % 3]
        rows.append({
            "platform": p, "handle": f"creator_{i:05d}", "display_name": f"Creator {i}",
            "profile_url": f"https://www.{p.lower()}.com/@creator_{i:05d}", "country": countries[i % 6],
            "language": "en", "category": "Beauty", "followers": rng.randint(1_000, 2_000_000),
            "avg_views": rng.randint(500, 500_000), "fake_follower_rate": round(rng.random() * 0.3, 3),
            "audience_top_country": countries[(i + 1) % 6], "audience_target_share": round(rng.random(), 3),
            "email": f"c{i}@example.com", "contact": "", "agency": "Agency A" if i % 4 == 0 else "",
            "quoted_fee": rng.randint(100, 20_000), "currency": "USD", "status": "active", "blacklisted": "no",
            "blacklist_reason": "", "w8ben_received": "yes", "owner": "mia", "notes": f"note {i}",
            "score": round(rng.random() * 100, 1), "tier": "ABC"[i % 3],
        })
    return pd.DataFrame(rows, dtype=object)


@contextlib.contextmanager
def profiled(enabled: bool, name: str) -> Iterator[None]:
    """cProfile of the calling thread only: the client (the fake server answers in its own threads)."""
    if not enabled:
        yield
        return
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    try:
        yield
    finally:
        prof.disable()
        print(f"--- client profile: {name} ---")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--creators", type=int, default=20_000)
    ap.add_argument("--changed", type=float, default=0.01, help="share of rows changed on each side")
    ap.add_argument("--profile", action="store_true", help="print the client's 25 costliest functions per sync")
    args = ap.parse_args(argv)
    rng = random.Random(42)
    schema = load_schema()
    header = [c.header for c in schema.sheet("creators").synced_columns]
    with FakeSheetsServer() as srv, tempfile.TemporaryDirectory() as tmp:
        info = srv.service_account_info()
        key_file = Path(tmp) / "key.json"
        key_file.write_text(json.dumps(info), encoding="utf-8")
        sid = srv.create_spreadsheet("Archive", sheets=(TAB,))
        settings = {"google_sheet_key": sid, "google_credentials": str(key_file), "api_endpoint": srv.url,
                    "google_creators_tab": TAB}
        backend = GoogleSheetBackend.from_settings(settings, policy=RetryPolicy())
        local = make_creators(args.creators, rng)

        t = time.perf_counter()
        first = sync_table(local, None, None, backend, user="bench")
        first_s = time.perf_counter() - t
        first_req, first_bytes = srv.stats.requests, srv.stats.request_bytes

        # 1 % changed in the workbook, another 1 % by a team mate in the browser
        n_changed = max(1, int(args.creators * args.changed))
        keys = list(first.local["creator_key"])
        picked = rng.sample(range(len(keys)), 2 * n_changed)
        mine, theirs = picked[:n_changed], picked[n_changed:]
        edited = first.local.copy()
        for i in mine:
            edited.at[edited.index[i], "followers"] = int(edited.iloc[i]["followers"]) + 1
            edited.at[edited.index[i], "notes"] = f"=checked {i}"  # looks like a formula: must stay text
        values = srv.values(sid, TAB)
        row_of = {line[0]: n + 1 for n, line in enumerate(values) if line}
        col = {h: i for i, h in enumerate(values[0])}
        for i in theirs:
            r = row_of[keys[i]]
            a1 = f"{chr(ord('A') + col['备注 Notes'])}{r}"
            srv.set_values(sid, TAB, [[f"called {i}"]], start=a1)

        srv.stats.reset()
        t, cpu = time.perf_counter(), time.thread_time()
        with profiled(args.profile, "sync"):
            second = sync_table(edited, first.base, first.conflicts, backend, user="bench")
        sync_s, sync_cpu = time.perf_counter() - t, time.thread_time() - cpu
        sync_req, sync_bytes, sync_writes = srv.stats.requests, srv.stats.request_bytes, srv.stats.writes
        sync_server = srv.stats.server_seconds
        calls = [f"{m} {p.rsplit('/', 1)[-1][:40]}" for m, p, _ in srv.stats.log]

        srv.stats.reset()
        t, cpu = time.perf_counter(), time.thread_time()
        with profiled(args.profile, "no-op"):
            sync_table(second.local, second.base, second.conflicts, backend, user="bench")
        noop_s, noop_cpu = time.perf_counter() - t, time.thread_time() - cpu
        noop_req, noop_writes, noop_server = srv.stats.requests, srv.stats.writes, srv.stats.server_seconds

        # the same table written whole with gspread-dataframe
        ws = srv.gspread_client().open_by_key(sid).worksheet(TAB)
        table = second.local.copy()
        table.columns = [next(c.header for c in schema.sheet("creators").columns if c.key == k) for k in table.columns]
        table = table[[h for h in header if h in table.columns]]
        srv.stats.reset()
        t = time.perf_counter()
        set_with_dataframe(ws, table, include_index=False, resize=False)
        full_s = time.perf_counter() - t
        full_server = srv.stats.server_seconds
        full_req, full_bytes = srv.stats.requests, srv.stats.request_bytes

    ratio = full_bytes / max(sync_bytes, 1)
    print(f"archive: {args.creators} creators x {len(header)} columns; changed {n_changed} rows locally "
          f"and {n_changed} rows in the shared sheet")
    print(f"first sync (empty sheet):   {first_req:>3} requests, {first_bytes:>12,} request bytes, {first_s:6.2f} s")
    print(f"sync of 1 % + 1 % changes:  {sync_req:>3} requests, {sync_bytes:>12,} request bytes, {sync_s:6.2f} s "
          f"= client {sync_s - sync_server:5.2f} s (CPU {sync_cpu:5.2f} s) + fake server {sync_server:5.2f} s "
          f"(writes {sync_writes}; pushed {second.log['pushed']} rows, pulled {second.log['pulled']} rows, "
          f"conflicts {second.log['conflicts']})")
    print(f"    calls: {'; '.join(calls)}")
    print(f"no-op sync:                 {noop_req:>3} requests, {noop_writes} writes, {noop_s:6.2f} s "
          f"= client {noop_s - noop_server:5.2f} s (CPU {noop_cpu:5.2f} s) + fake server {noop_server:5.2f} s")
    print(f"set_with_dataframe rewrite: {full_req:>3} requests, {full_bytes:>12,} request bytes, {full_s:6.2f} s "
          f"= client {full_s - full_server:5.2f} s + fake server {full_server:5.2f} s")
    print(f"bytes ratio (rewrite / sync): {ratio:,.1f}x")
    checks = {"<= 5 requests": sync_req <= 5, ">= 20x fewer bytes": ratio >= 20, "no-op sends no write": noop_writes == 0,
              "client CPU < 2 s for the 1 % sync": sync_cpu < 2.0,
              "client CPU < 1 s for the no-op": noop_cpu < 1.0}
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (client CPU time is "
          "the main thread's own, which load does not inflate)")
    for name, ok in checks.items():
        print(f"  target {name}: {'met' if ok else 'MISSED'}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
