"""The formulas behind every number on a collaboration row and the outreach funnel.

Each function accepts scalars, numpy arrays or pandas Series and broadcasts them, so the engine runs
it over 500 000 rows in one call and an xlwings UDF over one cell or a whole column. A value that
cannot be computed (missing input, division by zero or by a negative) is NaN, never 0: "no data"
must never look like "bad result".

Definitions (public reference figures; the Settings sheet cites each source):

* ER by views    = (likes + comments + shares + saves) / views. TikTok and YouTube report reach in
  views, and the feed shows posts to non-followers, so engagement is measured against views. A
  missing shares or saves count (YouTube has no saves) counts as 0; all four missing gives NaN.
* ER by followers = (likes + comments) / followers: the usual Instagram definition (HypeAuditor).
* CTR = clicks / views;  conversion rate = orders / clicks.
* CPM = cost / views × 1000;  CPE = cost / engagements;  CPC = cost / clicks;  CPA = cost / orders.
* ROAS = GMV / cost;  ROI = (GMV × gross margin − cost) / cost (profit on the money spent).
* EMV = views / 1000 × benchmark CPM (what the same reach would have cost as paid media).
* total cost = (fee + commission rate × GMV + sample + shipping + tools) × (1 + agency fee %):
  the agency's service fee is a share of everything spent on the collaboration.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core import distinct

ArrayLike = Any


def floats(x: ArrayLike) -> np.ndarray:
    """A scalar, list, array or Series as a float array (NaN for missing)."""
    if isinstance(x, pd.Series):
        return x.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(x, dtype=float)


def as_result(x: np.ndarray) -> Any:
    """A float for a 0-d result (a scalar call), the array otherwise: every building block answers in kind."""
    return float(x) if np.ndim(x) == 0 else x


def safe_div(num: ArrayLike, den: ArrayLike) -> np.ndarray:
    """num / den, NaN where den is missing, zero or negative."""
    n, d = floats(num), floats(den)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(d > 0, n / np.where(d > 0, d, 1.0), np.nan)


def nansum(*parts: ArrayLike) -> np.ndarray:
    """Element-wise sum treating missing parts as 0; NaN only where every part is missing."""
    arrs = np.broadcast_arrays(*[floats(p) for p in parts])
    # part by part in order, as np.nansum over the stacked parts adds them (same result, no stack)
    missing = np.isnan(arrs[0])
    total = np.where(missing, 0.0, arrs[0])
    for a in arrs[1:]:
        m = np.isnan(a)
        total += np.where(m, 0.0, a)
        missing &= m
    return np.where(missing, np.nan, total)


def engagements(likes: ArrayLike, comments: ArrayLike, shares: ArrayLike = np.nan, saves: ArrayLike = np.nan) -> Any:
    """likes + comments + shares + saves, missing parts counted as 0 (NaN if all missing)."""
    return as_result(nansum(likes, comments, shares, saves))


def er_views(likes: ArrayLike, comments: ArrayLike, shares: ArrayLike, saves: ArrayLike, views: ArrayLike) -> Any:
    """Engagement rate by views: (likes + comments + shares + saves) / views."""
    return as_result(safe_div(nansum(likes, comments, shares, saves), views))


def er_followers(likes: ArrayLike, comments: ArrayLike, followers: ArrayLike) -> Any:
    """Engagement rate by followers: (likes + comments) / followers."""
    return as_result(safe_div(nansum(likes, comments), followers))


def ctr(clicks: ArrayLike, views: ArrayLike) -> Any:
    """Click-through rate: clicks / views."""
    return as_result(safe_div(clicks, views))


def conversion_rate(orders: ArrayLike, clicks: ArrayLike) -> Any:
    """Orders / clicks."""
    return as_result(safe_div(orders, clicks))


def cpm(cost: ArrayLike, views: ArrayLike) -> Any:
    """Cost per thousand views."""
    return as_result(safe_div(cost, views) * 1000.0)


def cpe(cost: ArrayLike, engagement_count: ArrayLike) -> Any:
    """Cost per engagement (like, comment, share or save)."""
    return as_result(safe_div(cost, engagement_count))


def cpc(cost: ArrayLike, clicks: ArrayLike) -> Any:
    """Cost per click."""
    return as_result(safe_div(cost, clicks))


def cpa(cost: ArrayLike, orders: ArrayLike) -> Any:
    """Cost per order (acquisition)."""
    return as_result(safe_div(cost, orders))


def roas(gmv: ArrayLike, cost: ArrayLike) -> Any:
    """Return on ad spend: GMV / cost."""
    return as_result(safe_div(gmv, cost))


def roi(gmv: ArrayLike, cost: ArrayLike, gross_margin: ArrayLike = 0.5) -> Any:
    """Return on investment after product cost: (GMV × gross margin − cost) / cost."""
    c = floats(cost)
    return as_result(safe_div(floats(gmv) * floats(gross_margin) - c, c))


def breakeven_roas(gross_margin: ArrayLike) -> Any:
    """The ROAS at which a sale pays back its cost: 1 / gross margin (2.0 at a 50 % margin).
    A ROAS target at or below it is met by a collaboration that makes no money."""
    return as_result(safe_div(1.0, gross_margin))


def tracked_return(gmv: ArrayLike, cost: ArrayLike, gross_margin: ArrayLike = 0.5) -> tuple[float, float]:
    """(ROAS, ROI) of a set of collaborations over those that have both GMV and cost: the one
    definition Scores, every insight and the report use (a post whose GMV is not in yet would
    otherwise count its cost against no sales)."""
    g, c = floats(gmv), floats(cost)
    tracked = ~np.isnan(g) & ~np.isnan(c)
    if not tracked.any():
        return np.nan, np.nan
    total_gmv, total_cost = float(g[tracked].sum()), float(c[tracked].sum())
    roi = safe_div(total_gmv * float(gross_margin) - total_cost, total_cost)
    return float(safe_div(total_gmv, total_cost)), float(roi)


def emv(views: ArrayLike, benchmark_cpm: ArrayLike = 20.0) -> Any:
    """Earned media value: views / 1000 × the benchmark CPM."""
    return as_result(floats(views) / 1000.0 * floats(benchmark_cpm))


def total_cost(
    fee: ArrayLike = np.nan,
    commission_rate: ArrayLike = np.nan,
    gmv: ArrayLike = np.nan,
    sample_cost: ArrayLike = np.nan,
    shipping_cost: ArrayLike = np.nan,
    tool_cost: ArrayLike = np.nan,
    agency_fee_pct: ArrayLike = np.nan,
) -> Any:
    """(fee + commission_rate × gmv + sample + shipping + tools) × (1 + agency fee %), one currency.

    Missing parts count as 0 (a post without samples has no sample cost); all parts missing gives
    NaN. The engine passes every amount already converted to the base currency.
    """
    commission = floats(commission_rate) * floats(gmv)
    spend = nansum(fee, commission, sample_cost, shipping_cost, tool_cost)
    agency = np.nan_to_num(floats(agency_fee_pct), nan=0.0)
    return as_result(spend * (1.0 + agency))


# ----------------------------------------------------------------------------- outreach
FUNNEL_STAGES: tuple[str, ...] = ("contacted", "replied", "negotiating", "agreed", "sample_shipped", "posted")
#: How far each status got: reaching a stage implies every earlier stage was passed. A decline is a
#: reply (the creator answered no); no_response stopped at "contacted".
STAGE_REACHED: dict[str, int] = {**{s: i for i, s in enumerate(FUNNEL_STAGES)}, "declined": 1, "no_response": 0}


def reply_hours(contacted_at: ArrayLike, replied_at: ArrayLike) -> Any:
    """Hours from first contact to reply; NaN where either is missing or the reply is earlier."""
    a = pd.to_datetime(pd.Series(np.atleast_1d(np.asarray(contacted_at, dtype="datetime64[us]"))))
    b = pd.to_datetime(pd.Series(np.atleast_1d(np.asarray(replied_at, dtype="datetime64[us]"))))
    hours = ((b - a).dt.total_seconds() / 3600.0).to_numpy(dtype=float, na_value=np.nan)
    hours = np.where(hours >= 0, hours, np.nan)
    return float(hours[0]) if np.ndim(contacted_at) == 0 and np.ndim(replied_at) == 0 else hours


_STATUS_INDEX = pd.Index(list(STAGE_REACHED), dtype=object)


def stage_reached(status: ArrayLike, replied_at: ArrayLike = None) -> np.ndarray:
    """Index of the furthest funnel stage each contact reached (-1 where the status is unknown).

    A reply time on a row still marked "contacted" counts as a reply.
    """
    codes = np.atleast_1d(np.asarray(status, dtype=object))
    table = np.array([*STAGE_REACHED.values(), -1], dtype=np.int64)
    stage = table[distinct.get_indexer(_STATUS_INDEX, codes)]  # -1 (unknown) picks the last entry
    if replied_at is not None:
        replied = np.atleast_1d(np.asarray(replied_at))
        # a datetime column is checked as it is (as objects it would first become 300 000 Timestamps)
        has_reply = ~(np.isnat(replied) if replied.dtype.kind == "M" else pd.isna(replied.astype(object)))
        stage = np.where(has_reply & (stage == 0), 1, stage)
    return stage


def counted_contacts(status: ArrayLike, contacted_at: ArrayLike, replied_at: ArrayLike, today: Any,
                     target_hours: float) -> tuple[np.ndarray, np.ndarray]:
    """(stage reached, counted) per outreach row: the one definition of "a contact" behind every
    reply rate (Scores, Playbook, Agencies, the report).

    A row counts once it has a known status, unless it is still pending: marked contacted, no reply,
    and contacted less than ``target_hours`` before ``today`` (too early to call it unanswered).
    """
    status = np.atleast_1d(np.asarray(status, dtype=object))
    contacted = np.atleast_1d(np.asarray(contacted_at, dtype="datetime64[us]"))
    stage = stage_reached(status, np.atleast_1d(np.asarray(replied_at, dtype="datetime64[us]")))
    now = pd.Timestamp(today).to_datetime64().astype("datetime64[us]")
    with np.errstate(invalid="ignore"):
        age_hours = (now - contacted).astype("timedelta64[us]").astype(np.int64) / 3.6e9
    pending = (stage == 0) & (status == "contacted") & ~np.isnat(contacted) & (age_hours < float(target_hours))
    return stage, (stage >= 0) & ~pending


def funnel(outreach: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Contacts reaching each funnel stage and the conversion from the stage before.

    ``by`` groups the funnel (e.g. "template" or "channel") to compare message templates. Expects a
    coerced outreach table (status codes). Rows: one per group and stage.
    """
    stage = stage_reached(outreach["status"].to_numpy(dtype=object), outreach["replied_at"].to_numpy())
    if by:
        codes, uniques = pd.factorize(outreach[by].fillna("(none)").to_numpy(dtype=object))
    else:
        codes, uniques = np.zeros(len(outreach), dtype=np.int64), np.array(["all"] if len(outreach) else [],
                                                                           dtype=object)
    rows = []
    known = stage >= 0
    # counts[g, k] = contacts of group g whose furthest stage is k; reached = reverse cumulative sum
    k = len(FUNNEL_STAGES)
    counts = np.bincount(codes[known] * k + stage[known], minlength=len(uniques) * k).reshape(len(uniques), k)
    reached_all = counts[:, ::-1].cumsum(axis=1)[:, ::-1]
    for g, name in enumerate(uniques):
        prev = None
        for i, s in enumerate(FUNNEL_STAGES):
            reached = int(reached_all[g, i])
            rows.append({"group": name, "stage": s, "reached": reached,
                         "conversion": (reached / prev) if prev
                         else (np.nan if prev == 0 else 1.0 if reached else np.nan)})
            prev = reached
    out = pd.DataFrame(rows)
    return out.rename(columns={"group": by}) if by else out.drop(columns="group")

