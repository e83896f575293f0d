"""Bands that group creators for comparisons: follower band, engagement-rate band, price band.

Follower bands come from the ER benchmark table in templates/settings.toml (nano 1k-10k, micro
10k-50k, ...), so the playbook, the S-tier review and the quote check use the same bands as the
engine's authenticity check, and editing the table changes them everywhere.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..core.schema import load_schema

BELOW_NANO = "<1k"
UNKNOWN = "未知 Unknown"

#: HypeAuditor's generic engagement-rate bands: below 1 % low ... above 6 % very high
ER_BANDS: tuple[tuple[float, str], ...] = (
    (0.01, "<1% 偏低 low"),
    (0.035, "1-3.5% 一般 average"),
    (0.06, "3.5-6% 较高 high"),
    (math.inf, ">6% 很高 very high"),
)

#: quoted fee in the base currency
PRICE_BANDS: tuple[tuple[float, str], ...] = (
    (200, "<200"),
    (1000, "200-1k"),
    (5000, "1k-5k"),
    (math.inf, "5k+"),
)


def _bench_bands(er_benchmarks: pd.DataFrame | None) -> list[tuple[float, float, str]]:
    if er_benchmarks is not None and len(er_benchmarks):
        frame = er_benchmarks
    else:
        t = load_schema().settings_tables["er_benchmarks"]
        frame = pd.DataFrame(list(t.rows), columns=t.keys)
    seen: dict[str, tuple[float, float, str]] = {}
    for _, r in frame.iterrows():
        seen.setdefault(str(r["band"]), (float(r["min_followers"]), float(r["max_followers"]), str(r["band"])))
    return sorted(seen.values())


def follower_band(followers: Any, er_benchmarks: pd.DataFrame | None = None) -> pd.Series | str:
    """The band name for a follower count (Series in, Series out); "<1k" below the smallest band."""
    bands = _bench_bands(er_benchmarks)

    def one(v: Any) -> str:
        try:
            f = float(v)
        except (TypeError, ValueError):
            return UNKNOWN
        if math.isnan(f):
            return UNKNOWN
        if f < bands[0][0]:
            return BELOW_NANO
        for lo, hi, name in bands:
            if lo <= f < hi:
                return name
        return bands[-1][2]

    if isinstance(v := followers, pd.Series):
        if pd.api.types.is_float_dtype(v.dtype):  # frames.numbers(): 10 000 creators banded at once
            return pd.Series(_bands_of(v.to_numpy(dtype=float), bands), index=v.index, name=v.name)
        return v.map(one)
    return one(v)


def _bands_of(values: np.ndarray, bands: list[tuple[float, float, str]]) -> np.ndarray:
    """follower_band's rule for an array of floats: the first band holding the count, the last
    band above them all, "<1k" below the first, unknown for NaN."""
    out = np.full(len(values), bands[-1][2], dtype=object)
    with np.errstate(invalid="ignore"):
        for lo, hi, name in reversed(bands):  # the first band that holds a count wins
            out[(lo <= values) & (values < hi)] = name
        out[values < bands[0][0]] = BELOW_NANO
    out[np.isnan(values)] = UNKNOWN
    return out


def _cut(value: Any, bands: tuple[tuple[float, str], ...]) -> str:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return UNKNOWN
    if math.isnan(f):
        return UNKNOWN
    for upper, name in bands:
        if f < upper:
            return name
    return bands[-1][1]


def er_band(er: pd.Series) -> pd.Series:
    """The ER range label of each creator's engagement rate (the tier review's ER band column)."""
    return er.map(lambda v: _cut(v, ER_BANDS))


def price_band(fee_base: pd.Series) -> pd.Series:
    return fee_base.map(lambda v: _cut(v, PRICE_BANDS))
