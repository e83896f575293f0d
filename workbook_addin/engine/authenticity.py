"""Signals that an audience may not be real: each is a flag with a reason, to look at, not a verdict.

* fake-follower rate from an audit tool, where known;
* engagement rate far below its benchmark band (bought followers who never engage) or far above
  it (engagement pods, bought likes). The band comes from the Settings sheet's ER table for the
  creator's platform and follower count; "far" is ``er_low_factor`` × band low and
  ``er_high_factor`` × band high. The ER is measured on the band's basis: by followers
  (Instagram) or by views (TikTok, YouTube);
* like/comment ratio outside :data:`LIKE_COMMENT_BAND` (thousands of likes and almost no comments
  is the classic sign of bought likes; nearly as many comments as likes, of comment pods);
* a follower jump between two snapshots at most :data:`JUMP_WINDOW_DAYS` apart above
  ``follower_jump_flag``.

All functions work on whole columns; per-creator inputs are aligned arrays (one entry a creator).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: Acceptable likes per comment; outside it the ratio is flagged (only with >= MIN_LIKES likes).
LIKE_COMMENT_BAND = (4.0, 200.0)
MIN_LIKES_FOR_RATIO = 100
JUMP_WINDOW_DAYS = 30


def benchmark_band(platform: np.ndarray, followers: np.ndarray, bench: pd.DataFrame) -> dict[str, np.ndarray]:
    """Benchmark band per creator: er_low, er_high (NaN if no band), basis and band name ("" if none)."""
    n = len(followers)
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    basis = np.full(n, "", dtype=object)
    band = np.full(n, "", dtype=object)
    plat = np.asarray(platform, dtype=object)
    f = np.asarray(followers, dtype=float)
    on_platform: dict[object, np.ndarray] = {}  # creators on each platform, found once per platform
    for row in bench.itertuples(index=False):
        if row.platform not in on_platform:
            on_platform[row.platform] = np.flatnonzero(plat == row.platform)
        pos = on_platform[row.platform]
        fp = f[pos]
        m = pos[(fp >= row.min_followers) & (fp < row.max_followers) & np.isnan(low[pos])]
        if len(m):
            low[m], high[m], basis[m], band[m] = row.er_low, row.er_high, row.basis, f"{row.platform} {row.band}"
    return {"er_low": low, "er_high": high, "basis": basis, "band": band}


def er_anomaly(er: np.ndarray, er_low: np.ndarray, er_high: np.ndarray, low_factor: float, high_factor: float) -> np.ndarray:
    """-1 far below the band, +1 far above, 0 inside, NaN where ER or band is unknown."""
    er = np.asarray(er, dtype=float)
    out = np.where(er < er_low * low_factor, -1.0, np.where(er > er_high * high_factor, 1.0, 0.0))
    return np.where(np.isnan(er) | np.isnan(er_low), np.nan, out)


def like_comment_anomaly(likes: np.ndarray, comments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(flag 1/0/NaN, likes per comment). NaN where there are too few likes to judge."""
    likes = np.asarray(likes, dtype=float)
    comments = np.asarray(comments, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(comments > 0, likes / comments, np.inf)
    judged = (likes >= MIN_LIKES_FOR_RATIO) & ~np.isnan(comments)
    flag = ((ratio < LIKE_COMMENT_BAND[0]) | (ratio > LIKE_COMMENT_BAND[1])).astype(float)
    return np.where(judged, flag, np.nan), np.where(judged, ratio, np.nan)


def follower_jumps(creator: np.ndarray, dates: np.ndarray, followers: np.ndarray, n_creators: int,
                   threshold: float, window_days: int = JUMP_WINDOW_DAYS) -> dict[str, np.ndarray]:
    """Largest follower growth between consecutive snapshots within ``window_days``, per creator.

    ``creator`` holds each snapshot's creator position (-1 = unknown creator, ignored). Returns
    ``flag`` (1/0, NaN with fewer than two snapshots), ``growth`` (largest relative jump) and the
    ``start``/``end`` dates of that jump.
    """
    creator = np.asarray(creator)
    ok = (creator >= 0) & ~np.isnan(np.asarray(followers, dtype=float)) & ~pd.isna(dates)
    c = creator[ok]
    d = np.asarray(dates)[ok].astype("datetime64[us]")
    f = np.asarray(followers, dtype=float)[ok]
    order = np.lexsort((d, c))
    c, d, f = c[order], d[order], f[order]
    same = np.zeros(len(c), dtype=bool)
    same[1:] = c[1:] == c[:-1]
    gap_days = np.zeros(len(c))
    gap_days[1:] = (d[1:] - d[:-1]).astype("timedelta64[us]").astype(np.int64) / 86_400e6
    prev = np.full(len(c), np.nan)
    prev[1:] = f[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(same & (gap_days <= window_days) & (prev > 0), (f - prev) / prev, -np.inf)
    counts = np.bincount(c, minlength=n_creators)
    best = np.full(n_creators, -np.inf)
    np.maximum.at(best, c, growth) if len(c) else None
    # position of the best jump for each creator (first one reaching the maximum)
    is_best = (growth == best[c]) & np.isfinite(growth)
    start = np.full(n_creators, np.datetime64("NaT"), dtype="datetime64[us]")
    end = start.copy()
    idx = np.flatnonzero(is_best)
    if len(idx):
        first = idx[np.unique(c[idx], return_index=True)[1]]
        start[c[first]] = d[first - 1]
        end[c[first]] = d[first]
    best = np.where(np.isfinite(best), best, np.nan)
    flag = np.where(counts >= 2, (np.nan_to_num(best, nan=-1.0) > threshold).astype(float), np.nan)
    return {"flag": flag, "growth": best, "start": start, "end": end}
