"""Small statistics the insights are built from: Wilson intervals, lifts, medians and quartiles.

Why Wilson and not "replied / contacted ± 1.96·sqrt(p(1-p)/n)": the textbook (Wald) interval
collapses to zero width at 0 % or 100 % and runs outside [0, 1] for the small groups ops staff
actually have ("template B won 3 of 4"). The Wilson score interval stays inside [0, 1] and stays
honestly wide when n is small, which is exactly the warning the playbook needs to give.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.cells import flatten, is_blank

#: two-sided 95 % normal quantile (scipy.stats.norm.ppf(0.975))
Z95 = 1.959963984540054

#: a group with fewer observations than this is marked "too few" in every insight table
MIN_GROUP = 10


@dataclass(frozen=True)
class Proportion:
    """``k`` successes out of ``n`` with the Wilson interval around ``k / n`` (NaN when n == 0)."""

    k: int
    n: int
    rate: float
    low: float
    high: float

    @property
    def too_few(self) -> bool:
        return self.n < MIN_GROUP


def wilson_interval(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``k`` successes in ``n`` trials; (nan, nan) when n == 0.

    centre = (p + z²/2n) / (1 + z²/n), half = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n).
    """
    if n is None or not n or (isinstance(n, float) and math.isnan(n)):
        return (math.nan, math.nan)
    if k < 0 or k > n:
        raise ValueError(f"successes {k} must lie between 0 and the number of trials {n}")
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # At k = 0 (k = n) the bound is exactly 0 (1); pin it so rounding cannot put it past the rate.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return (low, high)


def proportion(k: float, n: float) -> Proportion:
    """``k / n`` with its 95 % Wilson interval, as one value to put in a table row."""
    k_i, n_i = int(k), int(n)
    low, high = wilson_interval(k_i, n_i)
    return Proportion(k_i, n_i, (k_i / n_i) if n_i else math.nan, low, high)


def lift(k_feature: float, n_feature: float, k_all: float, n_all: float) -> float:
    """P(outcome | feature) / P(outcome): above 1 the feature is over-represented among outcomes.

    NaN when either rate is undefined (no rows, or no outcome at all in the base population).
    """
    if not n_feature or not n_all or not k_all:
        return math.nan
    return (k_feature / n_feature) / (k_all / n_all)


@dataclass(frozen=True)
class Spread:
    """Median and quartiles of a set of values, with how many values were behind them."""

    n: int
    median: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1


def spread(values: Iterable[Any]) -> Spread:
    """Median, Q1 and Q3 (linear interpolation between order statistics, Excel's QUARTILE.INC).

    Missing values are dropped; the count says how many values remained.
    """
    arr = pd.to_numeric(pd.Series(list(values), dtype="object"), errors="coerce").dropna().to_numpy(float)
    if arr.size == 0:
        return Spread(0, math.nan, math.nan, math.nan)
    q1, med, q3 = np.quantile(arr, [0.25, 0.5, 0.75])
    return Spread(int(arr.size), float(med), float(q1), float(q3))


#: :func:`spread_table`'s answer: (group keys, count per group, Q1 / median / Q3 per group as columns)
SpreadTable = tuple[list[tuple], np.ndarray, np.ndarray]


def spreads_by(keys: pd.DataFrame, values: Any) -> dict[tuple, Spread]:
    """:func:`spread` of ``values`` for every distinct row of ``keys``, all groups in one sort.

    The quote check needs the spread of 50 000 past fees in 10 000 groups; one ``spread`` call per
    group costs seconds. The numbers are numpy's linear quantile to the last bit (same positions,
    same interpolation), so a group's figures do not depend on how they were computed. Rows with a
    blank key or a value that is not a number are left out, as :func:`spread` drops them.
    """
    groups, counts, q = spread_table(keys, values)
    return {key: Spread(int(n), float(m), float(q1), float(q3))
            for key, n, q1, m, q3 in zip(groups, counts.tolist(), q[:, 0].tolist(), q[:, 1].tolist(), q[:, 2].tolist())}


def spread_table(keys: pd.DataFrame, values: Any) -> SpreadTable:
    """:func:`spreads_by` as arrays: (group keys, count per group, Q1 / median / Q3 per group as
    columns), for callers that look up thousands of groups and need no Spread objects."""
    vals = _numbers(values, keys.index)
    ok = ~np.isnan(vals)
    for name in keys.columns:
        ok &= ~pd.isna(keys[name].to_numpy())
    if not ok.any():
        return [], np.zeros(0, dtype=np.int64), np.zeros((0, 3))
    gid, groups = _group_rows(keys[ok])
    vals = vals[ok]
    by_value = np.argsort(vals, kind="stable")  # then stably by group (a radix sort for small codes): lexsort's order
    ordered = vals[by_value[np.argsort(gid.astype(np.uint16 if len(groups) < 2 ** 16 else np.int64)[by_value],
                                       kind="stable")]]
    counts = np.bincount(gid, minlength=len(groups))
    starts = (np.cumsum(counts) - counts)[:, None]
    virtual = (counts[:, None] - 1) * np.array([0.25, 0.5, 0.75])
    lower = np.floor(virtual)
    upper = np.minimum(lower + 1, counts[:, None] - 1).astype(int)
    a, b, t = ordered[starts + lower.astype(int)], ordered[starts + upper], virtual - lower
    return groups, counts, np.where(t >= 0.5, b - (b - a) * (1 - t), a + (b - a) * t)  # numpy's _lerp


def _numbers(values: Any, index: pd.Index) -> np.ndarray:
    """``values`` as floats, NaN where not a number (float columns as they are)."""
    if isinstance(values, pd.Series) and pd.api.types.is_float_dtype(values.dtype) and values.index.equals(index):
        return values.to_numpy(dtype=float)
    return pd.to_numeric(pd.Series(values, index=index, dtype="object"), errors="coerce").to_numpy(float)


def _group_rows(keys: pd.DataFrame) -> tuple[np.ndarray, list[tuple]]:
    """(group of each row, each group's key tuple) for rows without blank keys, groups in order of
    first appearance: what ``MultiIndex.from_frame(keys).factorize()`` gives, without building a
    tuple per row (one column at a time, each step's codes renumbered so they stay small)."""
    gid = np.zeros(len(keys), dtype=np.int64)
    levels = []
    for name in keys.columns:
        codes, values = pd.factorize(keys[name].to_numpy())
        gid = pd.factorize(gid * len(values) + codes)[0]
        levels.append((codes, np.asarray(values, dtype=object)))
    first = np.unique(gid, return_index=True)[1]  # each group's first row
    return gid, list(zip(*(values[codes[first]].tolist() for codes, values in levels)))


def _says_no(value: Any) -> bool:
    """A blank cell, or one that answers no: 0, FALSE, "否 No"."""
    if is_blank(value) or value is False:
        return True
    if isinstance(value, str):
        return value.strip().casefold() in ("no", "否", "否 no", "false", "n")
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def reply_rate_from_ranges(replied: Any, contacted: Any) -> Proportion:
    """What ``=KOL_REPLY_RATE(replied_range, contacted_range)`` computes.

    ``contacted`` is the Contacted-at column (one cell per outreach row), ``replied`` the Replied-at
    column of the same rows. A row counts as contacted when its contacted cell is not blank, and as
    replied when, in addition, its replied cell is not blank (blank, 0, FALSE, "否 No" mean no reply).
    A single cell pair is one row. Ranges of different lengths are refused: the rows would not
    line up, and a silently wrong rate is worse than an error.
    """
    rep, con = flatten(replied), flatten(contacted)
    if len(rep) != len(con):
        raise ValueError(f"replied range has {len(rep)} cells but contacted range has {len(con)}")
    n = k = 0
    for r, c in zip(rep, con):
        if _says_no(c):
            continue
        n += 1
        if not _says_no(r):
            k += 1
    return proportion(k, n)
