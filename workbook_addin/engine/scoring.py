"""Subscores (0-100), the weighted score, the tier, and the sentence explaining them.

Every function broadcasts scalars and arrays. NaN means "no data" and stays NaN: a creator nobody
has reviewed has no content score, not a content score of 0. The weighted score leaves missing
dimensions out and shares their weight among the others; ``completeness`` says how much of the
total weight had data, and below ``min_completeness`` the creator gets no tier ("incomplete").

The six subscores (the model the README's "Evaluation model" section describes):

responsiveness   50 % reply rate × 100 + 50 % speed, speed = 100 × min(1, target hours / median
                 hours to reply). Without reply times, the reply rate alone. No outreach: NaN.
content_quality  mean of the reviewer-normalised 1-5 scores (visuals, script, brand fit) mapped
                 to 0-100: (mean − 1) / 4 × 100.
compliance       100 − 30 × share of posts missing an ad disclosure − 60 × share with false claims
                 − 40 × share with a platform violation (a post counts if any reviewer marked it),
                 floored at 0. No reviewed posts: NaN.
performance      per published post, each KPI that has a target: min(actual / target, 1.25) / 1.25
                 × 100 (meeting the target = 80, beating it by 25 % = 100); the post's score is the
                 mean over its KPIs; the creator's the mean over posts. Unpublished posts (no
                 views yet) are left out. Which KPIs count depends on the post's objective
                 (:data:`OBJECTIVES`): awareness is judged on reach and cost (views, CPM), a launch
                 on views, CPM, ER and orders, sales on views, ER, orders and ROAS. A sales post
                 that lost money (ROI < 0) never counts as meeting its target: its score is at most
                 its ROAS against break-even (1 / gross margin), which is below 80.
authenticity     100 × (1 − fake rate / (2 × fake_follower_flag)) where an audit is known; minus
                 25 for an ER far outside its band, 25 for views per follower far below the band,
                 15 for an odd like/comment ratio, 30 for a follower jump; floored at 0. Without
                 an audit the clean part is unknown, not perfect: a creator whose checks found a
                 problem gets 100 minus the penalties, one whose checks are clean gets no
                 authenticity score (the dimension is left out, completeness shows it) and the
                 flag "未审核 Not audited".
audience_fit     weighted mean of market (30 %), language (20 %), category (30 %) matches with the
                 Settings target lists, and audience share in target markets (20 %:
                 min(1, share / 50 %), or the audience's top country matching when the share is
                 unknown). Missing parts are left out.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache, lru_cache
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from .metrics import as_result, floats  # one scalar/array convention for every building block
from ..core.schema import load_schema
from ..core.settings import DIMENSIONS

PERFORMANCE_CAP = 1.25
COMPLIANCE_PENALTIES = {"ad_disclosure": 30.0, "false_claims": 60.0, "platform_violation": 40.0}
AUTHENTICITY_PENALTIES = {"er": 25.0, "views": 25.0, "like_comment": 15.0, "jump": 30.0}
#: Campaign objectives (曝光 / 新品 / 带货) and the KPIs each is judged on.
OBJECTIVES = {
    "awareness": ("views", "cpm"),
    "launch": ("views", "cpm", "er", "orders"),
    "sales": ("views", "er", "orders", "roas"),
}
FIT_WEIGHTS = {"market": 0.3, "language": 0.2, "category": 0.3, "audience": 0.2}
AUDIENCE_SHARE_FULL = 0.5
TIERS = ("S", "A", "B", "C")


def _wmean(parts: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Weighted mean of the parts that are present, NaN where none is."""
    arrs = np.broadcast_arrays(*[floats(p) for p in parts])
    w = np.asarray(weights, dtype=float)
    # part by part in order: the same additions as summing the stacked parts, without the stack
    wsum: Any = 0.0
    total: Any = 0.0
    for a, wj in zip(arrs, w):
        missing = np.isnan(a)
        wsum = wsum + np.where(missing, 0.0, wj)
        total = total + np.nan_to_num(a) * wj
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(wsum > 0, total / np.where(wsum > 0, wsum, 1), np.nan)


def responsiveness_score(reply_rate: Any, median_reply_hours: Any = np.nan, target_hours: Any = 24.0) -> Any:
    """0-100 from the reply rate (0-1) and the median hours to reply against the target."""
    rr = np.clip(floats(reply_rate), 0.0, 1.0)
    h = floats(median_reply_hours)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = 100.0 * np.clip(floats(target_hours) / np.maximum(h, 1e-9), 0.0, 1.0)
    score = np.where(np.isnan(h), 100.0 * rr, 50.0 * rr + 0.5 * speed)
    return as_result(np.where(np.isnan(rr), np.nan, score))


def content_score(visuals: Any, script: Any = np.nan, brand_fit: Any = np.nan) -> Any:
    """0-100 from 1-5 review scores (already reviewer-normalised): (mean − 1) / 4 × 100."""
    m = _wmean([visuals, script, brand_fit], [1.0, 1.0, 1.0])
    return as_result(np.clip((m - 1.0) / 4.0 * 100.0, 0.0, 100.0))


def compliance_score(missing_disclosure: Any, false_claims: Any = np.nan, platform_violation: Any = np.nan) -> Any:
    """0-100 from the shares (0-1) of reviewed posts with each problem; NaN where none is known."""
    parts = np.broadcast_arrays(floats(missing_disclosure), floats(false_claims), floats(platform_violation))
    pen = sum(np.nan_to_num(p) * w for p, w in zip(parts, COMPLIANCE_PENALTIES.values()))
    known = ~np.all(np.isnan(np.stack(parts)), axis=0)
    return as_result(np.where(known, np.clip(100.0 - pen, 0.0, 100.0), np.nan))


def kpi_part(actual: Any, target: Any) -> np.ndarray:
    """One KPI: min(actual / target, 1.25) / 1.25 × 100; NaN without a positive target or actual."""
    a, t = floats(actual), floats(target)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(t > 0, a / np.where(t > 0, t, 1.0), np.nan)
    return np.clip(ratio, 0.0, PERFORMANCE_CAP) / PERFORMANCE_CAP * 100.0


def performance_score(views: Any, kpi_views: Any = np.nan, er: Any = np.nan, kpi_er: Any = np.nan,
                      orders: Any = np.nan, kpi_orders: Any = np.nan, roas: Any = np.nan,
                      kpi_roas: Any = np.nan) -> Any:
    """0-100 for a post: mean over the KPIs that have both a target and a result."""
    parts = [kpi_part(views, kpi_views), kpi_part(er, kpi_er), kpi_part(orders, kpi_orders), kpi_part(roas, kpi_roas)]
    return as_result(_wmean(parts, [1.0] * 4))


def cost_part(actual_cpm: Any, target_cpm: Any) -> np.ndarray:
    """CPM against its target, lower being better: min(target / actual, 1.25) / 1.25 × 100."""
    a, t = floats(actual_cpm), floats(target_cpm)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((a > 0) & (t > 0), t / np.where(a > 0, a, 1.0), np.where((a == 0) & (t > 0), PERFORMANCE_CAP,
                                                                                  np.nan))
    return np.clip(ratio, 0.0, PERFORMANCE_CAP) / PERFORMANCE_CAP * 100.0


def objective_performance(objective: np.ndarray, views: Any, kpi_views: Any, er: Any, kpi_er: Any, orders: Any,
                          kpi_orders: Any,
                          roas: Any, kpi_roas: Any, cpm: Any, target_cpm: Any, roi: Any,
                          breakeven_roas: Any) -> np.ndarray:
    """0-100 per post, judged on the KPIs of its objective (:data:`OBJECTIVES`).

    A sales post that lost money (ROI < 0) never counts as meeting its target: its score is at
    most its ROAS measured against break-even, which is below 80 ("meeting") by construction.
    """
    parts = {"views": kpi_part(views, kpi_views), "er": kpi_part(er, kpi_er), "orders": kpi_part(orders, kpi_orders),
             "roas": kpi_part(roas, kpi_roas), "cpm": cost_part(cpm, target_cpm)}
    obj = np.asarray(objective, dtype=object)
    out = np.full(len(obj), np.nan)
    for name, kpis in OBJECTIVES.items():
        rows = obj == name
        if rows.any():
            out[rows] = _wmean([np.broadcast_to(parts[k], out.shape)[rows] for k in kpis], [1.0] * len(kpis))
    lost = (obj == "sales") & (floats(roi) < 0)
    return np.where(lost, np.fmin(out, kpi_part(roas, breakeven_roas)), out)


def authenticity_score(fake_follower_rate: Any, er_anomaly: Any = np.nan, like_comment_anomaly: Any = np.nan,
                       follower_jump: Any = np.nan, fake_follower_flag: Any = 0.15, views_anomaly: Any = np.nan) -> Any:
    """0-100 from the fake-follower audit and the anomaly flags (1 flagged, 0 checked, NaN unknown).

    ``er_anomaly`` and ``views_anomaly`` may be -1/+1 (below/above the band); any non-zero value is
    a flag. Without an audit, clean checks prove nothing on their own (bought followers can pass
    them), so only a problem the checks found is scored: NaN when nothing was found.
    """
    ff, er, lc, jump, views = np.broadcast_arrays(floats(fake_follower_rate), floats(er_anomaly),
                                                  floats(like_comment_anomaly),
                                                  floats(follower_jump), floats(views_anomaly))
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.where(np.isnan(ff), 100.0, 100.0 * np.clip(1.0 - ff / (2.0 * floats(fake_follower_flag)), 0.0, 1.0))
    pen = (AUTHENTICITY_PENALTIES["er"] * (np.nan_to_num(er) != 0)
           + AUTHENTICITY_PENALTIES["views"] * (np.nan_to_num(views) != 0)
           + AUTHENTICITY_PENALTIES["like_comment"] * (np.nan_to_num(lc) != 0)
           + AUTHENTICITY_PENALTIES["jump"] * (np.nan_to_num(jump) != 0))
    known = ~np.isnan(ff) | (pen > 0)
    return as_result(np.where(known, np.clip(base - pen, 0.0, 100.0), np.nan))


def audience_fit_score(market_match: Any, language_match: Any = np.nan, category_match: Any = np.nan,
                       audience_target_share: Any = np.nan, audience_country_match: Any = np.nan) -> Any:
    """0-100 from matches (1/0/NaN) with the target lists and the audience share in target markets."""
    share = floats(audience_target_share)
    audience = np.where(np.isnan(share), floats(audience_country_match), np.clip(share / AUDIENCE_SHARE_FULL, 0.0, 1.0))
    m = _wmean([market_match, language_match, category_match, audience], list(FIT_WEIGHTS.values()))
    return as_result(m * 100.0)


def round_half_up(values: Any, digits: int = 1) -> Any:
    """Rounds as Excel's ROUND does: halves away from zero, after dropping the last bits of
    floating-point noise (49.74999999999999 is 49.75, so 49.8), so a score rounded here and the
    workbook's ROUND over the same subscores agree to the last decimal (numpy rounds halves to even)."""
    x = np.round(floats(values), 9)
    scale = 10.0 ** digits
    return as_result(np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale)


def weighted_score(subscores: Any, weights: Any) -> tuple[Any, Any]:
    """(score, completeness) from subscores (n, 6) and weights (6,).

    Missing subscores are left out and the weight of the present ones rescaled to 1; completeness
    is the share of the total weight that had data (0-1). No data at all: score NaN, completeness 0.
    """
    s = floats(subscores)
    one = s.ndim == 1
    s = np.atleast_2d(s)
    w = floats(weights)
    w = w / w.sum()
    present = ~np.isnan(s)
    completeness = present @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(completeness > 0, (np.nan_to_num(s) @ w) / np.where(completeness > 0, completeness, 1.0),
                         np.nan)
    if one:
        return float(score[0]), float(completeness[0])
    return score, completeness


def _cutoffs(cutoffs: Any) -> tuple[float, float, float]:
    if isinstance(cutoffs, Mapping):
        return float(cutoffs["S"]), float(cutoffs["A"]), float(cutoffs["B"])
    s, a, b = cutoffs
    return float(s), float(a), float(b)


def assign_tier(score: Any, blacklisted: Any = False, cutoffs: Any = (85.0, 70.0, 55.0),
                completeness: Any = None, min_completeness: Any = None, sales_roi: Any = None) -> Any:
    """"S", "A", "B" or "C" from the score and the (S, A, B) cut-offs; None where no tier is given.

    A score exactly at a cut-off reaches that tier (:func:`evaluate` rounds the score to one decimal first).
    Blacklisted creators are never above C (and get C even without data: the blacklist is a
    decision, not a measurement). A creator whose sales collaborations lost money in total
    (``sales_roi`` < 0; pass None to switch the cap off) is never above B. No score, or
    completeness below ``min_completeness``: None ("incomplete").
    """
    s_cut, a_cut, b_cut = _cutoffs(cutoffs)
    sc = floats(score)
    if isinstance(blacklisted, pd.Series):
        bl = blacklisted.fillna(False).to_numpy(dtype=bool)
    else:
        bl = np.asarray(blacklisted, dtype=bool)
    tier = np.where(sc >= s_cut, "S", np.where(sc >= a_cut, "A", np.where(sc >= b_cut, "B", "C"))).astype(object)
    if sales_roi is not None:
        tier = np.where((floats(sales_roi) < 0) & np.isin(tier, ("S", "A")), "B", tier)
    missing = np.isnan(sc)
    if completeness is not None and min_completeness is not None:
        missing = missing | (floats(completeness) < float(min_completeness) - 1e-12)
    tier = np.where(missing, np.array(None, dtype=object), tier)
    tier = np.where(bl, "C", tier)
    return tier.item() if np.ndim(tier) == 0 else tier


# ----------------------------------------------------------------------------- explanation
def dimension_labels() -> dict[str, str]:
    """Bilingual label (Chinese first) of each dimension, from the Scores sheet in the schema."""
    sheet = load_schema().sheet("scores")
    return {d: sheet.column(d).header for d in DIMENSIONS}


@cache
def _number_texts(digits: int, suffix: str = "") -> np.ndarray:
    """Texts of every number from -1000 to 1000 at ``digits`` decimals followed by ``suffix``, for
    table look-up, and a last entry "" (what a missing number reads as)."""
    step = 10**digits
    return np.array([f"{i / step:.{digits}f}{suffix}" for i in range(-1000 * step, 1000 * step + 1)] + [""],
                    dtype=object)


def number_texts(x: np.ndarray, digits: int = 1, suffix: str = "") -> np.ndarray:
    """Numbers as texts ("78.2", or "78.2%" with ``suffix="%"``), "" for NaN, as an object array.

    Scores, gaps and percentages lie within ±1000, so their texts are looked up in a precomputed
    table (no per-value formatting); anything else is formatted one by one.
    """
    arr = np.asarray(x, dtype=float)
    step = 10**digits
    table = _number_texts(digits, suffix)
    finite = np.isfinite(arr)
    scaled = np.where(finite, np.round(arr * step), 0.0)
    inside = finite & (np.abs(scaled) <= 1000 * step)
    out = table[np.where(inside, scaled + 1000 * step, len(table) - 1).astype(np.int64).reshape(-1)].reshape(arr.shape)
    outside = finite & ~inside
    if outside.any():
        out[outside] = [f"{v:.{digits}f}{suffix}" for v in arr[outside].tolist()]
    return out


def join_texts(pieces: list[Any], rows: np.ndarray | None = None) -> list[str]:
    """Per row, the pieces joined: constant strings, and text arrays (full length, taken at
    ``rows``; or already one entry per row when ``rows`` is None).

    One C-level ``"".join`` per row over constants and the rows' values: no template is parsed
    per row (``str.format`` would), and no intermediate strings are made (``+`` would).
    """
    merged: list[Any] = []
    for p in pieces:  # neighbouring constants become one piece
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(np.asarray(p, dtype=object) if rows is None and not isinstance(p, str) else p)
    n = len(rows) if rows is not None else min((len(p) for p in merged if not isinstance(p, str)), default=0)
    columns = [repeat(p, n) if isinstance(p, str) else p if rows is None else np.asarray(p, dtype=object)[rows]
               for p in merged]
    return list(map("".join, zip(*columns)))


def _tier_heads(score: np.ndarray, tier: np.ndarray, completeness: np.ndarray, blacklisted: np.ndarray,
                cutoffs: tuple[float, float, float], min_completeness: float,
                sales_roi: np.ndarray | None = None) -> tuple[np.ndarray, list[Callable[[], list[Any]]]]:
    """The head of each creator's sentence: (which head each row gets, each head's pieces).

    Heads are built lazily (a function per head) so a head no row needs costs nothing; a later
    head wins where two masks overlap.
    """
    n = len(score)
    s_cut, a_cut, b_cut = cutoffs
    sc = np.asarray(score, dtype=float)
    sc_txt = number_texts(sc)
    has_score = ~np.isnan(sc)
    t = np.asarray(tier, dtype=object)
    bl = np.asarray(blacklisted, dtype=bool)
    natural = np.where(sc >= s_cut, "S", np.where(sc >= a_cut, "A", np.where(sc >= b_cut, "B", "C"))).astype(object)
    incomplete = (t == None) & has_score  # noqa: E711 (element-wise)
    capped = bl & has_score & (natural != "C")
    roi = np.full(n, np.nan) if sales_roi is None else np.asarray(sales_roi, dtype=float)
    roi_capped = ~bl & ~incomplete & has_score & (t == "B") & ((natural == "S") | (natural == "A")) & (roi < 0)
    plain = has_score & ~incomplete & ~capped & ~roi_capped

    def gap(cut: float) -> np.ndarray:
        return number_texts(cut - sc)

    heads: list[tuple[np.ndarray, Callable[[], list[Any]]]] = [
        (plain & (natural == "S"), lambda: ["S: ", sc_txt, f" ≥ {s_cut:g} (top tier)"]),
        (plain & (natural == "A"), lambda: ["A: ", sc_txt, f" ≥ {a_cut:g}; ", gap(s_cut), f" below S ({s_cut:g})"]),
        (plain & (natural == "B"), lambda: ["B: ", sc_txt, f" ≥ {b_cut:g}; ", gap(a_cut), f" below A ({a_cut:g})"]),
        (plain & (natural == "C"), lambda: ["C: ", sc_txt, f" < {b_cut:g}; ", gap(b_cut), f" below B ({b_cut:g})"]),
        (capped, lambda: ["C: 黑名单 blacklisted, capped at C (score ", sc_txt, " would be ", natural, ")"]),
        (roi_capped, lambda: ["B: 亏损封顶 capped at B: ROI ", number_texts(roi * 100.0, 0, "%"),
                              " on sales collaborations (score ", sc_txt,
                              " would be ", natural, ")"]),
        (incomplete, lambda: ["无等级 no tier: incomplete, ", number_texts(np.asarray(completeness, dtype=float) * 100,
                                                                        0),
                              f"% of the weight has data (needs {min_completeness:.0%}); score ", sc_txt]),
        (~has_score & bl, lambda: ["C: 黑名单 blacklisted; no data to score"]),
        (~has_score & ~bl, lambda: ["无等级 no tier: no data to score"]),
    ]
    kind = np.full(n, len(heads), dtype=np.int64)  # len(heads): no head (cannot happen; kept empty)
    for k, (mask, _) in enumerate(heads):
        kind[mask] = k
    return kind, [make for _, make in heads]


def explain(score: np.ndarray, tier: np.ndarray, completeness: np.ndarray, subscores: np.ndarray,
            weights: np.ndarray, blacklisted: np.ndarray, cutoffs: tuple[float, float, float],
            min_completeness: float, flags: np.ndarray, sales_roi: np.ndarray | None = None,
            notes: np.ndarray | None = None) -> np.ndarray:
    """One sentence per creator: the tier and its margin, the inputs and weights, what is missing.

    ``sales_roi`` (where the ROI cap is on) explains a tier capped at B; ``notes`` (texts, "" for
    none) are added before the flags: what else moved the score (ROI, reviewer normalisation).

    e.g. "A: 78.2 ≥ 70; 6.8 below S (85) | 响应速度 Responsiveness 95.0×15% + ... | 缺少 missing:
    粉丝真实性 Audience authenticity (weight shared out) | 风险 flags: ...". Rows are grouped by
    the kind of head sentence, by which dimensions have data (at most 64 patterns) and by whether
    there are flags; within a group the sentence is fixed text with only the numbers varying, and
    each row's sentence is one ``"".join`` (see :func:`join_texts`).
    """
    n = len(score)
    kind, heads = _tier_heads(score, tier, completeness, blacklisted, cutoffs, min_completeness, sales_roi)
    head_pieces: dict[int, list[Any]] = {len(heads): []}

    labels = dimension_labels()
    sub = np.asarray(subscores, dtype=float).reshape(n, len(DIMENSIONS))
    # subscores lie within 0-100: at one decimal, 1001 possible texts, looked up per dimension
    grid = np.where(np.isfinite(sub), np.round(sub * 10), -1.0)
    on_grid = (grid >= 0) & (grid <= 1000)
    grid = np.where(on_grid, grid, 0).astype(np.int64)

    def dimension(j: int, first: bool, rows: np.ndarray) -> np.ndarray:
        """" | 响应速度 Responsiveness 95.0×15%" for ``rows`` (" + ..." after the first)."""
        prefix, suffix = (" | " if first else " + ") + labels[DIMENSIONS[j]] + " ", f"×{weights[j]:.0%}"
        texts = _dimension_texts(prefix, suffix)[grid[rows, j]]
        off = ~on_grid[rows, j]
        if off.any():  # outside 0-100 (only through the public function): formatted one by one
            texts[off] = [prefix + t + suffix for t in number_texts(sub[rows[off], j])]
        return texts

    have = ~np.isnan(sub)
    pattern = (have * (1 << np.arange(len(DIMENSIONS)))).sum(axis=1)
    fl = np.asarray(flags, dtype=object)
    flagged = fl.astype(bool)  # neither "" nor None

    out = np.full(n, "", dtype=object)
    group = ((kind * 64 + pattern) * 2 + flagged).astype(np.int16)  # < 9 × 128: a radix sort
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=1)
    ends = np.cumsum(counts)
    for g in np.flatnonzero(counts).tolist():
        rows = order[ends[g] - counts[g]:ends[g]]
        k, pat, has_flags = g // 128, (g // 2) % 64, g % 2
        if k not in head_pieces:
            head_pieces[k] = heads[k]()
        pieces = [p if isinstance(p, str) else np.asarray(p, dtype=object)[rows] for p in head_pieces[k]]
        present = [j for j in range(len(DIMENSIONS)) if pat >> j & 1]
        pieces += [dimension(j, m == 0, rows) for m, j in enumerate(present)]
        absent = [labels[DIMENSIONS[j]] for j in range(len(DIMENSIONS)) if not pat >> j & 1]
        if absent:
            pieces.append(" | 缺少 missing: " + ", ".join(absent) + " (weight shared out)")
        if notes is not None:
            pieces.append(np.asarray(notes, dtype=object)[rows])
        if has_flags:
            pieces += [" | 风险 flags: ", fl[rows]]
        texts = [p for p in pieces if isinstance(p, str)]
        out[rows] = join_texts(pieces) if len(texts) < len(pieces) else "".join(texts)
    return out


@lru_cache(maxsize=64)  # bounded: a long-running Excel session may try many weights
def _dimension_texts(prefix: str, suffix: str) -> np.ndarray:
    """``prefix + "0.0" + suffix`` ... ``prefix + "100.0" + suffix``: a dimension's text for every
    subscore at one decimal (kept across calls: labels and weights rarely change)."""
    return np.array([prefix + t + suffix for t in _number_texts(1)[10000:11001]], dtype=object)
