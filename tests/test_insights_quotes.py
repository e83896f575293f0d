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
    assert q["group"].startswith("平台+市场+粉丝段") and q["note"] == ""
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


def test_thin_groups_fall_back_to_wider_ones_and_say_so():
    table = quote_check(_tables([440])).set_index("creator_key")
    y = table.loc["youtube:y"]
    # no YouTube fees at all -> platform + band and platform have none -> all platforms (5 fees)
    assert y["group"] == "全部 All platforms" and y["history"] == 5
    assert "Fewer than 3 past fees" in y["note"] and "widened" in y["note"]
    # 900 > 500 -> overpriced against all platforms
    assert y["overpriced"]


def test_no_history_gives_no_verdict():
    tables = _tables([440])
    tables["collaborations"] = tables["collaborations"].iloc[0:0]
    row = quote_check(tables).iloc[0]
    assert row["history"] == 0 and row["overpriced"] is None and math.isnan(row["median"])
