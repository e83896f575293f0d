"""The insights' column-at-a-time paths give what the plain per-row rules give, on generated data
with the cells workbooks really hold: blanks, NaN, NaT, padded text, numbers in text columns, ties."""
import math

import numpy as np
import pandas as pd
import pytest

from workbook_addin.core.keys import try_creator_key
from workbook_addin.insights import frames
from workbook_addin.insights.duplicates import creator_identities
from workbook_addin.insights.pilot import collab_dates, pilot_rows
from workbook_addin.insights.quotes import (IQR_FACTOR, LEVELS, MEDIAN_FACTOR, _creator_groups, fee_history,
                                            quote_check, quoted_fee_base)
from workbook_addin.insights.stats import spread


def _odd_cells(rng, n):
    pool = [" Spring ", "Spring", "spring", "", "   ", None, np.nan, pd.NaT, pd.NA, 3, 3.0, True, "美国 US",
            np.str_(" x "), "US", "zz", "已谈妥 Agreed", "a\tb "]
    return pd.Series([pool[i] for i in rng.integers(0, len(pool), n)], dtype=object)


@pytest.mark.parametrize("seed", range(4))
def test_texts_and_codes_equal_the_per_value_rules(seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": _odd_cells(rng, 5000),
                          "t": pd.Series([f" h{i % 37} " if i % 5 else None for i in range(5000)], dtype=object),
                          "n": rng.choice([1.5, np.nan, 2.0], 5000)})
    for col in frame.columns:
        def text(v):
            if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
                return None
            return str(v).strip() or None

        assert frames.texts(frame, col).tolist() == [text(v) for v in frame[col]]
    market = frames.codes(frame, "a", "market").tolist()
    enum = frames.load_schema().enums["market"]
    assert market == [None if t is None else enum.normalise(t) for t in frames.texts(frame, "a")]


def _quote_tables(rng, n_creators=400, n_collabs=1500):
    keys = [f"tiktok:c{i}" for i in range(n_creators)]
    creators = pd.DataFrame({
        "creator_key": [k if i % 41 else None for i, k in enumerate(keys)],
        "platform": rng.choice(["TikTok", "YouTube", "Instagram", None], n_creators),
        "country": rng.choice(["US", "GB", "JP", None], n_creators),
        "followers": rng.choice([500, 5_000, 20_000, 200_000, np.nan], n_creators),
        "quoted_fee": rng.choice([np.nan, 0, 100, 250, 400, 1000, 5000], n_creators),
        "currency": rng.choice(["USD", "EUR", "ZZZ", None], n_creators),
    })
    collabs = pd.DataFrame({
        "creator_key": rng.choice(keys[: n_creators // 2] + [None], n_collabs),
        "fee": rng.choice([0, 50, 100, 100, 300, 450, 1200, np.nan], n_collabs),
        "currency": rng.choice(["USD", "EUR", "USD", None], n_collabs),
    })
    return {"creators": creators, "collaborations": collabs}


def _check_by_hand(quote, history):
    """The quote-check rule for one quote, each group's fees gathered by a plain scan."""
    fee = quote["quoted_fee_base"]
    found = []
    for level, (cols, _name, _needed) in enumerate(LEVELS):
        same = np.ones(len(history), dtype=bool)
        for c in cols:
            same &= (history[c] == quote[c]).fillna(False).to_numpy(dtype=bool) & history[c].notna().to_numpy()
        found.append((level, spread(history.loc[same, "fee_base"]) if same.any() else spread([])))
    usable = [(level, s) for level, s in found if s.n >= LEVELS[level][2]]
    if not usable:
        level, s = max(found, key=lambda item: item[1].n)
        return {"group": LEVELS[level][1] if s.n else "-", "history": s.n, "median": s.median,
                "ratio_to_median": fee / s.median if s.n and s.median else np.nan, "overpriced": None,
                "note": f"{s.n} in the same band" if s.n else "No comparable past fees"}
    level, s = usable[0]
    if level == 0:
        high, note = fee > MEDIAN_FACTOR * s.median, f"Compared with {s.n} fee(s) paid to this creator"
    else:
        high = fee > s.q3 + IQR_FACTOR * s.iqr or fee > MEDIAN_FACTOR * s.median
        note = f"compared with {s.n} in the same band"
    return {"group": LEVELS[level][1], "history": s.n, "median": s.median,
            "ratio_to_median": fee / s.median if s.median else np.nan, "overpriced": bool(high), "note": note}


@pytest.mark.parametrize("seed", range(3))
def test_quote_check_equals_the_rule_applied_quote_by_quote(seed):
    tables = _quote_tables(np.random.default_rng(seed))
    got = quote_check(tables)
    history = fee_history(tables)
    cre = tables["creators"]
    quotes = _creator_groups(cre).assign(quoted_fee_base=quoted_fee_base(cre))
    quotes = quotes[quotes["quoted_fee_base"].notna()].to_dict("records")
    assert len(got) == len(quotes) > 100 and {"-", LEVELS[0][1], LEVELS[1][1]} <= set(got["group"])
    for row, quote in zip(got.to_dict("records"), quotes):
        expected = _check_by_hand(quote, history)
        assert row["quoted_fee_base"] == quote["quoted_fee_base"]
        key = None if pd.isna(row["creator_key"]) else row["creator_key"]
        assert key == quote["creator_key"]
        assert row["group"] == expected["group"] and row["history"] == expected["history"]
        assert row["overpriced"] == expected["overpriced"]
        assert expected["note"] in row["note"]
        for k in ("median", "ratio_to_median"):
            assert (math.isnan(row[k]) and math.isnan(expected[k])) or row[k] == expected[k]


@pytest.mark.parametrize("seed", range(6))
def test_pilot_creators_equal_a_full_sort_by_date_and_id(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    days = pd.to_datetime(rng.choice(["2026-10-01", "2026-10-02", "2026-10-05", None], n))
    collabs = pd.DataFrame({
        "collab_id": rng.choice([f"C-{i:03d}" for i in range(60)] + [None], n),
        "creator_key": rng.choice([f"tiktok:p{i}" for i in range(200)] + [None], n),
        "campaign": rng.choice(["Spring", " Spring", "Fall", None], n),
        "publish_date": days,
        "promised_date": pd.to_datetime(rng.choice(["2026-09-30", None], n)),
    })
    for size in (0, 1, 5, 40, 500):
        mine = collabs[frames.texts(collabs, "campaign") == "Spring"]
        first = (pd.DataFrame({"creator_key": frames.texts(mine, "creator_key"), "when": collab_dates(mine),
                               "id": frames.texts(mine, "collab_id")})
                 .sort_values(["when", "id"], na_position="last", kind="stable").drop_duplicates("creator_key"))
        chosen = list(first["creator_key"].head(size))
        expected = mine[frames.texts(mine, "creator_key").isin(chosen)]
        got = pilot_rows(collabs, "Spring", size)
        pd.testing.assert_frame_equal(got.drop(columns="_order"), expected)
        assert got["_order"].tolist() == [chosen.index(k) for k in frames.texts(expected, "creator_key")]


def test_creator_identities_keys_equal_creator_key_cell_by_cell():
    creators = pd.DataFrame({
        "platform": ["TikTok", "tiktok", "抖音 TikTok", None, "YouTube", "Instagram", "TikTok", "zz", "TikTok"],
        "handle": ["@Mia", " mia ", None, "https://www.tiktok.com/@Mia", "@Chan_1", "a b", "", "@x", "Ｍｉａ"],
        "profile_url": [None, "https://www.tiktok.com/@Mia?lang=en", "tiktok.com/@mia", None,
                        "https://www.youtube.com/@chan_1", "https://instagram.com/p/xyz", np.nan, "x", None],
    })
    ids = creator_identities(creators)
    platform = frames.codes(creators, "platform", "platform")
    for col, key in (("handle", "handle_key"), ("profile_url", "url_key")):
        expected = [try_creator_key(p, h) if h else None for p, h in zip(platform, frames.texts(creators, col))]
        assert [None if pd.isna(k) else k for k in ids[key]] == expected


def test_labels_equal_the_label_of_each_code():
    rng = np.random.default_rng(11)
    codes = pd.Series(rng.choice(np.array(["US", "JP", None, np.nan, "zz", 3], dtype=object), 2000), name="c",
                      index=pd.RangeIndex(2, 2002))
    expected = codes.map(lambda c: frames.label("market", c))
    pd.testing.assert_series_equal(frames.labels("market", codes), expected)


def test_follower_bands_of_a_number_column_equal_the_band_of_each_count():
    from workbook_addin.insights.bands import follower_band

    rng = np.random.default_rng(5)
    counts = pd.Series(np.concatenate([rng.choice([np.nan, np.inf, -np.inf, -5.0, 0.0, 999.0, 1000.0, 9999.99,
                                                   10_000.0, 50_000.0, 1e6, 1e12], 500),
                                       np.round(rng.lognormal(9, 3, 2000))]), name="followers",
                       index=pd.RangeIndex(3, 2503))
    benchmarks = pd.DataFrame({"band": ["b", "a", "c", "a"], "min_followers": [10_000, 1_000, 5_000, 2],
                               "max_followers": [60_000, 20_000, 1e9, 3]})  # overlapping bands: the first holds
    for table in (None, benchmarks):
        got = follower_band(counts, table)
        pd.testing.assert_series_equal(got, follower_band(counts.astype(object), table))
        assert got.tolist() == [follower_band(v, table) for v in counts]
