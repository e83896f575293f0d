"""Quote check: is a creator's quoted fee in line with what the team has paid before?

A quote (Creators ``quoted_fee`` in its ``currency``) is converted to the base currency with the
Settings FX table (the engine's ``fx.to_base``) and compared with the fees the team paid on past
collaborations (``fee`` in its ``currency``, converted the same way) for creators of the same
platform, market and follower band. With fewer than :data:`MIN_HISTORY` past fees in that group
the comparison falls back to a wider group, in this order, and says so:
platform + market + band -> platform + band -> platform -> all platforms.

Rule (:data:`RULE`): a quote is flagged as overpriced when it is above Q3 + 0.5 x IQR of the
group's fees, or above 1.5 x the group's median. Both guards are needed: with few, similar past
fees the IQR is tiny and Q3 + 0.5 IQR alone would flag quotes a few percent above normal, while
1.5 x median alone misses a quote that is far out of a wide, skewed spread.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.fx import to_base
from . import frames
from .bands import follower_band
from .stats import Spread, spread

MIN_HISTORY = 3
IQR_FACTOR = 0.5
MEDIAN_FACTOR = 1.5
RULE = (
    f"报价高于同组历史费用 Q3 + {IQR_FACTOR}×IQR 或高于中位数 {MEDIAN_FACTOR} 倍即标记为偏高。 "
    f"Flagged as overpriced above Q3 + {IQR_FACTOR} x IQR or above {MEDIAN_FACTOR} x the median of the group's past "
    "fees."
)

#: (group columns, bilingual name) from narrowest to widest
LEVELS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("platform", "market", "follower_band"), "平台+市场+粉丝段 Platform + market + band"),
    (("platform", "follower_band"), "平台+粉丝段 Platform + band"),
    (("platform",), "平台 Platform"),
    ((), "全部 All platforms"),
)

#: Quote-check columns (key -> zh, en): the Quote check sheet of templates/schema.toml.
COLUMNS: dict[str, tuple[str, str]] = frames.schema_labels("quotes")


def _rates(settings: Any) -> Mapping[str, float]:
    if settings is None:
        from ..core.settings import Settings

        settings = Settings.defaults()
    return settings.fx_rates


def _creator_groups(creators: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "creator_key": frames.texts(creators, "creator_key"),
            "platform": frames.codes(creators, "platform", "platform"),
            "market": frames.codes(creators, "country", "market"),
            "follower_band": follower_band(frames.numbers(creators, "followers")),
        },
        index=creators.index,
    )


def quoted_fee_base(creators: pd.DataFrame, settings: Any = None) -> pd.Series:
    """Each creator's quoted fee in the base currency (NaN without a quote or a rate)."""
    currency = frames.codes(creators, "currency", "currency")
    return pd.Series(to_base(frames.numbers(creators, "quoted_fee").to_numpy(), currency.to_numpy(), _rates(settings)),
                     index=creators.index)


def fee_history(evaluation_tables: Mapping[str, pd.DataFrame], settings: Any = None) -> pd.DataFrame:
    """Past fees in base currency, one per collaboration with a fee above zero, with the
    creator's platform, market and follower band (gifted posts with fee 0 are not a price)."""
    col = frames.table(evaluation_tables, "collaborations")
    cre = frames.table(evaluation_tables, "creators")
    if col.empty or cre.empty:
        return pd.DataFrame(columns=["creator_key", "fee_base", "platform", "market", "follower_band"])
    fees = pd.DataFrame(
        {
            "creator_key": frames.texts(col, "creator_key"),
            "fee_base": to_base(frames.numbers(col, "fee").to_numpy(), frames.codes(col, "currency",
                                                                                    "currency").to_numpy(),
                                                                                    _rates(settings)),
        }
    )
    fees = fees[fees["fee_base"] > 0]
    groups = _creator_groups(cre).dropna(subset=["creator_key"]).drop_duplicates("creator_key")
    return fees.merge(groups, on="creator_key", how="left")


def quote_check(evaluation_tables: Mapping[str, pd.DataFrame], settings: Any = None) -> pd.DataFrame:
    """One row per creator with a quote: the comparison group, its median and quartiles, the flag."""
    cre = frames.table(evaluation_tables, "creators")
    if cre.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    history = fee_history(evaluation_tables, settings)
    quotes = _creator_groups(cre).assign(quoted_fee_base=quoted_fee_base(cre, settings))
    quotes = quotes[quotes["quoted_fee_base"].notna()]
    spreads = group_spreads(history)
    return pd.DataFrame([check_one(q, spreads) for q in quotes.to_dict("records")], columns=list(COLUMNS))


def group_spreads(history: pd.DataFrame) -> list[dict[tuple, Spread]]:
    """For each level of :data:`LEVELS`: group values -> spread of past fees (computed once, so
    checking 10 000 quotes is 10 000 look-ups, not 10 000 scans of the history)."""
    out: list[dict[tuple, Spread]] = []
    for cols, _name in LEVELS:
        if not cols:
            out.append({(): spread(history["fee_base"])})
            continue
        table = {}
        for key, g in history.groupby(list(cols), dropna=True):
            table[key if isinstance(key, tuple) else (key,)] = spread(g["fee_base"])
        out.append(table)
    return out


def check_one(quote: Mapping[str, Any], spreads: list[dict[tuple, Spread]]) -> dict[str, Any]:
    """Compares one quote (platform, market, follower_band, quoted_fee_base) with the spreads."""
    fee = float(quote["quoted_fee_base"])
    empty = Spread(0, np.nan, np.nan, np.nan)
    for level, (cols, name) in enumerate(LEVELS):  # noqa: B007 (name: the level found, used below)
        s = spreads[level].get(tuple(quote[c] for c in cols), empty)
        if s.n >= MIN_HISTORY:
            break
    if s.n == 0:
        return {
            "creator_key": quote["creator_key"], "quoted_fee_base": fee, "group": name, "history": 0,
            "median": np.nan, "q1": np.nan, "q3": np.nan, "ratio_to_median": np.nan, "overpriced": None,
            "note": "无历史费用可比 No past fees to compare with",
        }
    overpriced = bool(fee > s.q3 + IQR_FACTOR * s.iqr or fee > MEDIAN_FACTOR * s.median)
    notes = []
    if level > 0:
        notes.append(f"同组历史费用不足 {MIN_HISTORY} 条，已放宽 Fewer than {MIN_HISTORY} past fees in the narrower "
                     "group(s): "
                     "widened")
    if s.n < MIN_HISTORY:
        notes.append(f"仅 {s.n} 条历史费用 only {s.n} past fees")
    return {
        "creator_key": quote["creator_key"],
        "quoted_fee_base": fee,
        "group": name,
        "history": s.n,
        "median": s.median,
        "q1": s.q1,
        "q3": s.q3,
        "ratio_to_median": fee / s.median if s.median else np.nan,
        "overpriced": overpriced,
        "note": "; ".join(notes),
    }
