"""Reviewer normalisation: one harsh or generous reviewer must not decide a creator's tier.

Each reviewer's scores on a criterion (visuals, script, brand fit) are turned into z-scores against
that reviewer's own mean and spread, then mapped back onto the pooled scale of all reviewers:

    normalised = pooled_mean + (score - reviewer_mean) / reviewer_std × pooled_std

so a reviewer who gives everyone 2-3 and one who gives everyone 4-5 end up on the same 1-5 scale,
while each keeps their own ranking. A reviewer with fewer than ``min_reviews`` scores on a criterion
is left as typed (too few to know their habit). A reviewer who gives everyone the same score has no
spread: their scores are shifted by (pooled_mean - reviewer_mean). Results are clipped to 1-5.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import distinct


def normalise_scores(reviewer: np.ndarray | pd.Series, scores: np.ndarray, min_reviews: int = 3) -> np.ndarray:
    """Normalised copy of ``scores`` (n, k) given each row's reviewer (n,); NaN stays NaN."""
    values = np.asarray(scores, dtype=float)
    squeeze = values.ndim == 1
    if squeeze:
        values = values[:, None]
    codes, _ = distinct.factorize(np.asarray(reviewer, dtype=object))
    codes = np.where(codes < 0, codes.max(initial=-1) + 1, codes)  # reviewer missing: its own group
    groups = int(codes.max(initial=-1)) + 1
    out = values.copy()
    for j in range(values.shape[1]):
        x = values[:, j]
        ok = ~np.isnan(x)
        if ok.sum() < 2:
            continue
        pooled_mean, pooled_std = x[ok].mean(), x[ok].std()
        cnt = np.bincount(codes[ok], minlength=groups).astype(float)
        s1 = np.bincount(codes[ok], weights=x[ok], minlength=groups)
        s2 = np.bincount(codes[ok], weights=x[ok] ** 2, minlength=groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / cnt
            std = np.sqrt(np.maximum(s2 / cnt - mean**2, 0.0))
        m, sd, c = mean[codes], std[codes], cnt[codes]
        with np.errstate(invalid="ignore", divide="ignore"):
            z_mapped = pooled_mean + (x - m) / sd * pooled_std
        shifted = x - m + pooled_mean
        y = np.where(sd > 1e-9, z_mapped, shifted)
        out[:, j] = np.where(ok & (c >= min_reviews), np.clip(y, 1.0, 5.0), x)
    return out[:, 0] if squeeze else out
