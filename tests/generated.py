"""Generated workbooks: the bundled sample scaled to N creators, and a varied copy of it.

Used by the tests (formula cost at two sizes; native formulas against the engine on data that is
not the sample) and by the benchmarks (``benchmarks/build.py``, ``benchmarks/udfs.py``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

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


def varied_sample(creators: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """``scaled_sample`` with the numbers shaken: review marks, post metrics and costs drawn at
    random, some cells left blank, some creators blacklisted, so every branch of the native
    formulas (missing parts, zero views, blacklist, incomplete data) meets the engine."""
    rng = np.random.default_rng(seed)
    tables = {k: v.copy() for k, v in scaled_sample(creators).items()}
    rv = tables["reviews"]
    for col in ("visuals", "script", "brand_fit"):
        marks = rng.integers(1, 6, len(rv)).astype(object)
        marks[rng.random(len(rv)) < 0.15] = None
        rv[col] = marks
    co = tables["collaborations"]
    for col, high in (("views", 400_000), ("likes", 30_000), ("comments", 2_000), ("shares", 3_000), ("saves", 4_000),
                      ("orders", 600), ("gmv", 40_000), ("fee", 3_000)):
        values = rng.integers(0, high, len(co)).astype(object)
        values[rng.random(len(co)) < 0.12] = None
        co[col] = values
    cr = tables["creators"]
    cr["blacklisted"] = np.where(rng.random(len(cr)) < 0.08, "yes", "no")
    cr["fake_follower_rate"] = np.round(rng.random(len(cr)) * 0.3, 3)
    return tables
