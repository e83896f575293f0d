"""Quote check: is a creator's quoted fee in line with what the team has paid before?

A quote (Creators ``quoted_fee`` in its ``currency``) is converted to the base currency with the
Settings FX table (the engine's ``fx.to_base``) and compared with the fees the team paid on past
collaborations (``fee`` in its ``currency``, converted the same way). The basis, named in the
"Compared with" column, is, in this order:
1. the creator's own past fees (what the team already paid this creator is the best comparison:
   a quote equal to last time's fee is not overpriced because others in a wider group were cheaper);
2. creators of the same platform, market and follower band, then the same platform and band,
   each only with at least :data:`MIN_HISTORY` past fees. Fees are never compared across follower
   bands: a 1 M-follower creator is not overpriced against nano creators.
Without enough comparable fees nothing is flagged, and the note says so.

Rule (:data:`RULE`): against the creator's own fees, a quote above 1.5 x their median is flagged;
against a group, above Q3 + 0.5 x IQR of the group's fees or above 1.5 x its median. Both guards
are needed: with few, similar past fees the IQR is tiny and Q3 + 0.5 IQR alone would flag quotes
a few percent above normal, while 1.5 x median alone misses a quote far out of a wide spread.
"""
from __future__ import annotations

from collections.abc import Mapping
import numpy as np
import pandas as pd

from ..core.settings import Settings
from ..core.fx import to_base
from . import frames
from .bands import follower_band
from .stats import SpreadTable, spread_table

MIN_HISTORY = 3
MIN_OWN_HISTORY = 1
IQR_FACTOR = 0.5
MEDIAN_FACTOR = 1.5
RULE = (
    f"先与该达人本人的历史费用比较（高于中位数 {MEDIAN_FACTOR} 倍为偏高），"
    f"否则与同平台同粉丝段至少 {MIN_HISTORY} 条历史费用比较"
    f"（高于 Q3 + {IQR_FACTOR}×IQR 或中位数 {MEDIAN_FACTOR} 倍为偏高）；可比费用不足时不标记。 "
    f"Compared first with the creator's own past fees (above {MEDIAN_FACTOR} x their median is overpriced), "
    f"else with at least {MIN_HISTORY} past fees of the same platform and follower band "
    f"(above Q3 + {IQR_FACTOR} x IQR or {MEDIAN_FACTOR} x the median); "
    "without enough comparable fees nothing is flagged."
)

#: (group columns, bilingual name, fees needed) from the most to the least comparable; never across follower bands
LEVELS: tuple[tuple[tuple[str, ...], str, int], ...] = (
    (("creator_key",), "本人历史费用 Own past fees", MIN_OWN_HISTORY),
    (("platform", "market", "follower_band"), "平台+市场+粉丝段 Platform + market + band", MIN_HISTORY),
    (("platform", "follower_band"), "平台+粉丝段 Platform + band", MIN_HISTORY),
)

#: Quote-check columns (key -> zh, en): the Quote check sheet of templates/schema.toml.
COLUMNS: dict[str, tuple[str, str]] = frames.schema_labels("quotes")


def _rates(settings: Settings | None) -> Mapping[str, float]:
    if settings is None:
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


def quoted_fee_base(creators: pd.DataFrame, settings: Settings | None = None) -> pd.Series:
    """Each creator's quoted fee in the base currency (NaN without a quote or a rate)."""
    currency = frames.codes(creators, "currency", "currency")
    return pd.Series(to_base(frames.numbers(creators, "quoted_fee").to_numpy(), currency.to_numpy(), _rates(settings)),
                     index=creators.index)


def fee_history(evaluation_tables: Mapping[str, pd.DataFrame], settings: Settings | None = None,
                groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Past fees in base currency, one per collaboration with a fee above zero, with the
    creator's platform, market and follower band (gifted posts with fee 0 are not a price).
    ``groups`` is ``_creator_groups`` of the Creators table, when the caller has it already."""
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
    groups = (_creator_groups(cre) if groups is None else groups).dropna(subset=["creator_key"])
    return fees.merge(groups.drop_duplicates("creator_key"), on="creator_key", how="left")


def quote_check(evaluation_tables: Mapping[str, pd.DataFrame], settings: Settings | None = None) -> pd.DataFrame:
    """One row per creator with a quote: the comparison group, its median and quartiles, the flag."""
    cre = frames.table(evaluation_tables, "creators")
    if cre.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    groups = _creator_groups(cre)
    history = fee_history(evaluation_tables, settings, groups)
    quotes = groups.assign(quoted_fee_base=quoted_fee_base(cre, settings))
    quotes = quotes[quotes["quoted_fee_base"].notna()]
    if quotes.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    return check_all(quotes, group_spreads(history))


def group_spreads(history: pd.DataFrame) -> list[SpreadTable]:
    """For each level of :data:`LEVELS`: the spread of past fees of every group
    (:func:`~.stats.spread_table`), computed once, so checking 10 000 quotes is 10 000 look-ups,
    not 10 000 scans of the history."""
    if history.empty:
        return [([], np.zeros(0, dtype=np.int64), np.zeros((0, 3))) for _ in LEVELS]
    return [spread_table(history[list(cols)], history["fee_base"]) for cols, _name, _needed in LEVELS]


def _found(quotes: pd.DataFrame, spreads: list[SpreadTable]) -> np.ndarray:
    """(level, n / median / q1 / q3, quote): each quote's spread at every level of :data:`LEVELS`
    (0 fees and NaN where its group has no past fee)."""
    out = np.empty((len(LEVELS), 4, len(quotes)))
    for level, (cols, _name, _needed) in enumerate(LEVELS):
        groups, counts, q = spreads[level]
        at = {key: i for i, key in enumerate(groups)}
        pos = np.array([at.get(key, -1) for key in zip(*(quotes[c].tolist() for c in cols))], dtype=np.int64)
        known = pos >= 0
        n, quartiles = np.zeros(len(quotes)), np.full((len(quotes), 3), np.nan)
        n[known], quartiles[known] = counts[pos[known]], q[pos[known]]
        out[level] = [n, quartiles[:, 1], quartiles[:, 0], quartiles[:, 2]]
    return out


def _note(usable: bool, level: int, n: int) -> str:
    """The Note cell: which fees the quote was compared with, or why it was not."""
    if not usable:
        return (f"可比费用不足（同粉丝段仅 {n} 条，需 {MIN_HISTORY} 条），不标记 "
                f"Too few comparable fees ({n} in the same band, "
                f"{MIN_HISTORY} needed): not flagged") if n else "无可比历史费用 No comparable past fees: not flagged"
    if level == 0:
        return f"与本人 {n} 条历史费用比较 Compared with {n} fee(s) paid to this creator before"
    return (f"本人无历史费用，与同粉丝段 {n} 条比较 "
            f"No fee paid to this creator before: compared with {n} in the same band")


def check_all(quotes: pd.DataFrame, spreads: list[SpreadTable]) -> pd.DataFrame:
    """Compares each quote (creator_key, platform, market, follower_band, quoted_fee_base) with the
    first basis of :data:`LEVELS` that has enough past fees; unflagged without one (the basis with
    the most fees is then named, "-" when there is none). Column at a time: 10 000 quotes at once."""
    fee = quotes["quoted_fee_base"].to_numpy(dtype=float)
    found = _found(quotes, spreads)
    counts = found[:, 0, :]
    usable = counts >= np.array([needed for _c, _n, needed in LEVELS])[:, None]
    ok = np.any(usable, axis=0).astype(bool)
    level = np.where(ok, usable.argmax(axis=0), counts.argmax(axis=0))  # the first usable, else the first fullest
    n, median, q1, q3 = found[level, :, np.arange(len(fee))].T
    n = n.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(median != 0, fee / median, np.nan)
    high = np.where(level == 0, fee > MEDIAN_FACTOR * median,
                    (fee > q3 + IQR_FACTOR * (q3 - q1)) | (fee > MEDIAN_FACTOR * median))
    names = [name for _c, name, _k in LEVELS]
    notes: dict[tuple[bool, int, int], str] = {}
    oks = list(map(bool, ok))
    cases = list(zip(oks, level.tolist(), n.tolist()))
    return pd.DataFrame({
        "creator_key": quotes["creator_key"].tolist(), "quoted_fee_base": fee,
        "group": [names[lv] if u or k else "-" for u, lv, k in cases], "history": n,
        "median": median, "q1": q1, "q3": q3, "ratio_to_median": ratio,
        "overpriced": [bool(h) if u else None for u, h in zip(oks, high)],
        "note": [notes[c] if c in notes else notes.setdefault(c, _note(*c)) for c in cases],
    }, columns=list(COLUMNS))
