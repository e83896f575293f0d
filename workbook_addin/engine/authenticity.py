"""Signals that an audience may not be real: each is a flag with a reason, to look at, not a verdict.

* fake-follower rate from an audit tool, where known;
* engagement rate far below its benchmark band (bought followers who never engage) or far above
  it (engagement pods, bought likes). The band comes from the Settings sheet's ER table for the
  creator's platform and follower count; "far" is ``er_low_factor`` × band low and
  ``er_high_factor`` × band high. The ER is measured on the band's basis: by followers
  (Instagram) or by views (TikTok, YouTube);
* views per post far below the band's ``vpf_low`` share of followers, where ER is taken by views
  (TikTok, YouTube): there an ER by views looks healthy however many followers were bought, and
  1 M followers with 40 k views a post is the signal;
* like/comment ratio outside :data:`LIKE_COMMENT_BAND` (thousands of likes and almost no comments
  is the classic sign of bought likes; nearly as many comments as likes, of comment pods);
* a follower jump between any two snapshots at most :data:`JUMP_WINDOW_DAYS` apart (not only
  neighbouring ones: +20 % twice in a month is +44 %) above ``follower_jump_flag``.

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
    """Benchmark band per creator: er_low, er_high, vpf_low (NaN if no band or no value), basis and
    band name ("" if none)."""
    n = len(followers)
    vpf = np.full(n, np.nan)
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
            vpf[m] = getattr(row, "vpf_low", np.nan)
    return {"er_low": low, "er_high": high, "vpf_low": vpf, "basis": basis, "band": band}


def er_anomaly(er: np.ndarray, er_low: np.ndarray, er_high: np.ndarray, low_factor: float,
               high_factor: float) -> np.ndarray:
    """-1 far below the band, +1 far above, 0 inside, NaN where ER or band is unknown."""
    er = np.asarray(er, dtype=float)
    out = np.where(er < er_low * low_factor, -1.0, np.where(er > er_high * high_factor, 1.0, 0.0))
    return np.where(np.isnan(er) | np.isnan(er_low), np.nan, out)


def views_anomaly(views_per_follower: np.ndarray, vpf_low: np.ndarray) -> np.ndarray:
    """-1 where views per post per follower are below the band's low end, 0 at or above it, NaN
    where either is unknown."""
    vpf = np.asarray(views_per_follower, dtype=float)
    low = np.asarray(vpf_low, dtype=float)
    return np.where(np.isnan(vpf) | np.isnan(low), np.nan, np.where(vpf < low, -1.0, 0.0))


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
    """Largest follower growth between any two snapshots at most ``window_days`` apart, per creator.

    ``creator`` holds each snapshot's creator position (-1 = unknown creator, ignored). Returns
    ``flag`` (1/0, NaN with fewer than two snapshots), ``growth`` (largest relative jump) and the
    ``start``/``end`` dates of that jump. Pairs are compared lag by lag (each snapshot with the
    1st, 2nd, ... earlier one of the same creator) while any pair is still inside the window, so
    the work grows with the snapshots a window holds, not with their square.
    """
    creator = np.asarray(creator)
    ok = (creator >= 0) & ~np.isnan(np.asarray(followers, dtype=float)) & ~pd.isna(dates)
    c = creator[ok]
    d = np.asarray(dates)[ok].astype("datetime64[us]")
    f = np.asarray(followers, dtype=float)[ok]
    order = np.lexsort((d, c))
    c, d, f = c[order], d[order], f[order]
    best = np.full(n_creators, -np.inf)
    best_from = np.full(n_creators, -1, dtype=np.int64)
    best_to = np.full(n_creators, -1, dtype=np.int64)
    for lag in range(1, len(c)):
        same = c[lag:] == c[:-lag]
        gap_days = (d[lag:] - d[:-lag]).astype("timedelta64[us]").astype(np.int64) / 86_400e6
        inside = same & (gap_days <= window_days)
        if not inside.any():
            break  # sorted by date: a longer lag is never inside the window again
        prev = f[:-lag]
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = np.where(inside & (prev > 0), (f[lag:] - prev) / prev, -np.inf)
        later = c[lag:]
        lag_best = np.full(n_creators, -np.inf)
        np.maximum.at(lag_best, later[inside], growth[inside])
        better = lag_best > best  # strictly: on a tie the shorter lag (found first) stays
        hit = np.flatnonzero(inside & better[later] & (growth == lag_best[later]))
        if len(hit):
            first = hit[np.unique(later[hit], return_index=True)[1]]  # first such pair per creator
            k = later[first]
            best[k], best_from[k], best_to[k] = growth[first], first, first + lag
    counts = np.bincount(c, minlength=n_creators)
    start = np.full(n_creators, np.datetime64("NaT"), dtype="datetime64[us]")
    end = start.copy()
    found = best_from >= 0
    start[found], end[found] = d[best_from[found]], d[best_to[found]]
    best = np.where(np.isfinite(best), best, np.nan)
    flag = np.where(counts >= 2, (np.nan_to_num(best, nan=-1.0) > threshold).astype(float), np.nan)
    return {"flag": flag, "growth": best, "start": start, "end": end}
