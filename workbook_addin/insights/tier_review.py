"""S-tier review: what the S and A creators have in common that the B and C creators lack.

For each feature value (category, market, follower band, platform, ER band, price band) the lift
P(S/A | value) / P(S/A) says how much more often creators with that value reach S or A than
creators overall; the Wilson interval on P(S/A | value) and the count behind it say how far to
trust it. Tiers come from the engine's Evaluation; nothing here scores anyone.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import frames
from .bands import er_band, follower_band, price_band
from .stats import MIN_GROUP, lift, proportion

TOP_TIERS = frozenset({"S", "A"})

FEATURES: dict[str, tuple[str, str]] = {
    "category": ("品类", "Category"),
    "market": ("市场", "Market"),
    "follower_band": ("粉丝段", "Follower band"),
    "platform": ("平台", "Platform"),
    "er_band": ("互动率段", "ER band"),
    "price_band": ("报价段(本位币)", "Price band (base currency)"),
}

COLUMNS: dict[str, tuple[str, str]] = {
    "feature": ("特征", "Feature"),
    "value": ("取值", "Value"),
    "creators": ("达人数", "Creators"),
    "top": ("S/A 数", "S/A creators"),
    "top_rate": ("S/A 占比", "Share S/A"),
    "top_rate_low": ("占比下限(95%)", "Share low (95%)"),
    "top_rate_high": ("占比上限(95%)", "Share high (95%)"),
    "lift": ("提升度", "Lift"),
    "lift_low": ("提升度下限", "Lift low"),
    "lift_high": ("提升度上限", "Lift high"),
    "too_few": ("样本不足", "Too few creators"),
}


def creator_features(evaluation_tables: Mapping[str, pd.DataFrame],
                     quoted_fee_base: pd.Series | None = None) -> pd.DataFrame:
    """One row per tiered creator: its tier and the feature values the review compares.

    ``quoted_fee_base`` (indexed like the creators table) is the quoted fee already converted to
    the base currency, as :func:`workbook_addin.insights.quotes.quoted_fee_base` gives it.
    """
    cre = frames.table(evaluation_tables, "creators")
    scores = frames.table(evaluation_tables, "scores")
    if cre.empty:
        return pd.DataFrame(columns=["creator_key", "tier", *FEATURES])
    er = pd.Series(np.nan, index=cre.index)
    if len(scores) and "er" in scores.columns:
        by_key = dict(zip(frames.texts(scores, "creator_key"), frames.numbers(scores, "er")))
        er = frames.texts(cre, "creator_key").map(lambda k: by_key.get(k, np.nan)).astype(float)
    fee = quoted_fee_base if quoted_fee_base is not None else pd.Series(np.nan, index=cre.index)
    out = pd.DataFrame(
        {
            "creator_key": frames.texts(cre, "creator_key"),
            "tier": frames.codes(cre, "tier", "tier"),
            "category": frames.labels("category", frames.codes(cre, "category", "category")),
            "market": frames.labels("market", frames.codes(cre, "country", "market")),
            "follower_band": follower_band(frames.numbers(cre, "followers")),
            "platform": frames.codes(cre, "platform", "platform").fillna("未知 Unknown"),
            "er_band": er_band(er),
            "price_band": price_band(fee.reindex(cre.index)),
        }
    )
    return out[out["tier"].notna()].reset_index(drop=True)


def tier_review(
    evaluation_tables: Mapping[str, pd.DataFrame],
    *,
    quoted_fee_base: pd.Series | None = None,
    min_creators: int = MIN_GROUP,
) -> pd.DataFrame:
    """The ranked lift table (columns :data:`COLUMNS`), highest lower bound of the lift first."""
    feats = creator_features(evaluation_tables, quoted_fee_base)
    return lifts(feats, min_creators=min_creators)


def lifts(feats: pd.DataFrame, *, min_creators: int = MIN_GROUP) -> pd.DataFrame:
    """Lift of every feature value over the base rate of S/A among ``feats`` (tier column)."""
    n_all = len(feats)
    is_top = feats["tier"].isin(TOP_TIERS) if n_all else pd.Series(dtype=bool)
    k_all = int(is_top.sum()) if n_all else 0
    base = k_all / n_all if n_all else np.nan
    rows: list[dict[str, Any]] = []
    for feature, names in FEATURES.items():
        if feature not in feats.columns or not n_all:
            continue
        for value, g in feats.groupby(feature, sort=True):
            k = int(is_top.loc[g.index].sum())
            share = proportion(k, len(g))
            rows.append(
                {
                    "feature": frames.bilingual(*names),
                    "value": value,
                    "creators": len(g),
                    "top": k,
                    "top_rate": share.rate,
                    "top_rate_low": share.low,
                    "top_rate_high": share.high,
                    "lift": lift(k, len(g), k_all, n_all),
                    "lift_low": share.low / base if base else np.nan,
                    "lift_high": share.high / base if base else np.nan,
                    "too_few": len(g) < min_creators,
                }
            )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    # ranked by the lower bound of the lift: 9 of 10 S/A outranks 1 of 1, whose interval is wide
    return frame.sort_values(["lift_low", "lift", "creators"], ascending=[False, False, False], kind="stable",
                             na_position="last").reset_index(drop=True)


def tier_mix(evaluation_tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    """Creators per tier S, A, B, C (and 未评级 Unrated when the engine left the tier blank)."""
    cre = frames.table(evaluation_tables, "creators")
    tiers = frames.codes(cre, "tier", "tier").fillna("未评级 Unrated")
    counts = tiers.value_counts()
    order = ["S", "A", "B", "C", "未评级 Unrated"]
    return pd.Series({t: int(counts.get(t, 0)) for t in order})
