"""Quote check: a quote against the team's own fee history, with the rule and fallbacks spelled out."""
import math

import pandas as pd
import pytest

from workbook_addin.insights.quotes import quote_check, quoted_fee_base
from workbook_addin.core.settings import Settings


def _tables(quotes, currency="USD"):
    # five past TikTok/US/micro creators paid 100, 200, 300, 400, 1000 USD
    hist_keys = [f"tiktok:h{i}" for i in range(5)]
    creators = pd.DataFrame(
        {
            "creator_key": hist_keys + [f"tiktok:q{i}" for i in range(len(quotes))] + ["youtube:y"],
            "platform": ["TikTok"] * (5 + len(quotes)) + ["YouTube"],
            "country": ["US"] * (5 + len(quotes)) + ["JP"],
            "followers": [20000] * (5 + len(quotes)) + [20000],
            "quoted_fee": [None] * 5 + list(quotes) + [900],
            "currency": [None] * 5 + [currency] * len(quotes) + ["USD"],
        }
    )
    collabs = pd.DataFrame(
        {
            "creator_key": hist_keys + ["tiktok:h0"],
            "fee": [100, 200, 300, 400, 1000, 0],  # the gifted (fee 0) post is not a price
            "currency": ["USD"] * 6,
        }
    )
    return {"creators": creators, "collaborations": collabs}


def test_median_iqr_and_the_overpriced_rule_by_hand():
    # sorted fees 100 200 300 400 1000: median 300, Q1 200, Q3 400, IQR 200
    # thresholds: Q3 + 0.5 IQR = 500; 1.5 x median = 450  -> 440 passes, 460 is flagged
    table = quote_check(_tables([440, 460, 300])).set_index("creator_key")
    q = table.loc["tiktok:q0"]
    assert (q["history"], q["median"], q["q1"], q["q3"]) == (5, 300, 200, 400)
    assert q["group"].startswith("平台+市场+粉丝段") and "No fee paid to this creator before" in q["note"]
    assert not table.loc["tiktok:q0", "overpriced"]
    assert table.loc["tiktok:q1", "overpriced"]
    assert table.loc["tiktok:q2", "ratio_to_median"] == pytest.approx(1.0)


def test_quotes_are_converted_with_the_fx_table():
    settings = Settings.defaults()
    creators = _tables([400], currency="GBP")["creators"]
    base = quoted_fee_base(creators, settings)
    assert base.iloc[5] == pytest.approx(400 * settings.fx_rates["GBP"])
    # 400 GBP is 508 USD at the default 1.27: above 500 -> flagged
    table = quote_check(_tables([400], currency="GBP"), settings).set_index("creator_key")
    assert table.loc["tiktok:q0", "quoted_fee_base"] == pytest.approx(508)
    assert table.loc["tiktok:q0", "overpriced"]


def test_thin_groups_are_never_compared_across_bands_or_platforms():
    table = quote_check(_tables([440])).set_index("creator_key")
    y = table.loc["youtube:y"]
    # no YouTube fees at all: no verdict (it used to be flagged against all TikTok creators)
    assert y["overpriced"] is None and y["history"] == 0 and "not flagged" in y["note"]


# ----------------------------------------------------------------------------- issue 14, point 9
def test_own_history_comes_first_and_flags_need_enough_comparable_fees():
    tables = _tables([440])
    # q0 was paid 420 before: a quote of 440 is 5 % above what the team paid this creator, not overpriced
    tables["collaborations"] = pd.concat([tables["collaborations"], pd.DataFrame(
        {"creator_key": ["tiktok:q0"], "fee": [420], "currency": ["USD"]})], ignore_index=True)
    tables["creators"].loc[5, "quoted_fee"] = 700  # ... while 700 is 1.67 x its own 420: flagged
    q = quote_check(tables).set_index("creator_key").loc["tiktok:q0"]
    assert q["group"] == "本人历史费用 Own past fees" and q["history"] == 1 and q["median"] == 420
    assert q["overpriced"] and "paid to this creator before" in q["note"]
    tables["creators"].loc[5, "quoted_fee"] = 440
    assert not quote_check(tables).set_index("creator_key").loc["tiktok:q0", "overpriced"]
    # two comparable fees in the band are not enough to flag anyone
    few = _tables([5000])
    few["collaborations"] = few["collaborations"].iloc[:2]
    row = quote_check(few).set_index("creator_key").loc["tiktok:q0"]
    assert row["overpriced"] is None and "Too few comparable fees (2 in the same band, 3 needed)" in row["note"]


def test_no_history_gives_no_verdict():
    tables = _tables([440])
    tables["collaborations"] = tables["collaborations"].iloc[0:0]
    row = quote_check(tables).iloc[0]
    assert row["history"] == 0 and row["overpriced"] is None and math.isnan(row["median"])
