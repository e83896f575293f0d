"""The statistics every insight rests on, checked against numbers worked by hand."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from workbook_addin.insights.stats import (MIN_GROUP, lift, proportion, reply_rate_from_ranges, spread, spreads_by,
                                          wilson_interval)


def test_wilson_three_of_four_by_hand():
    # p = .75, z = 1.96, z² = 3.8416, n = 4
    # denominator 1 + z²/n = 1.9604; centre (.75 + 3.8416/8) / 1.9604 = 1.2302 / 1.9604 = 0.62753
    # half-width 1.96 * sqrt(.75*.25/4 + 3.8416/64) / 1.9604 = 1.96 * sqrt(.1069) / 1.9604 = 0.32689
    low, high = wilson_interval(3, 4)
    assert low == pytest.approx(0.62753 - 0.32689, abs=1e-4)  # 0.3006
    assert high == pytest.approx(0.62753 + 0.32689, abs=1e-4)  # 0.9544


def test_wilson_zero_successes_is_not_a_zero_width_interval():
    # centre = (0 + 3.8416/20) / 1.38416 = 0.13877 = half-width  ->  [0, 0.2775]
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(0.2775, abs=1e-4)


def test_wilson_half_of_a_hundred():
    # p = .5: centre stays .5; half = 1.96 * sqrt(.0025 + 3.8416/40000) / 1.038416 = 0.09617
    low, high = wilson_interval(50, 100)
    assert (low, high) == (pytest.approx(0.40383, abs=1e-4), pytest.approx(0.59617, abs=1e-4))


def test_wilson_without_trials_is_undefined_and_bad_counts_are_refused():
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError, match="between 0"):
        wilson_interval(5, 4)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_rate_and_stays_in_unit_interval(kn):
    k, n = kn
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_small_groups_are_marked_too_few():
    assert proportion(3, 4).too_few
    assert not proportion(3, MIN_GROUP).too_few
    assert proportion(3, 4).rate == 0.75


def test_lift_arithmetic():
    # 6 of 10 Beauty creators are S/A, 10 of 40 overall: (6/10) / (10/40) = 0.6 / 0.25 = 2.4
    assert lift(6, 10, 10, 40) == pytest.approx(2.4)
    assert lift(1, 10, 10, 40) == pytest.approx(0.4)
    assert math.isnan(lift(0, 0, 10, 40))
    assert math.isnan(lift(1, 5, 0, 40))


def test_median_and_quartiles_by_hand():
    # sorted 100 200 300 400 1000: median 300; Q1 at position 1 -> 200; Q3 at position 3 -> 400
    s = spread([400, 100, None, 1000, 300, 200, "n/a"])
    assert (s.n, s.median, s.q1, s.q3, s.iqr) == (5, 300, 200, 400, 200)
    # four values 10 20 30 40: Q1 at position .75 -> 17.5; median 25; Q3 at 2.25 -> 32.5
    s = spread([40, 10, 30, 20])
    assert (s.q1, s.median, s.q3) == (17.5, 25, 32.5)
    assert spread([]).n == 0 and math.isnan(spread([]).median)


def test_reply_rate_udf_math_counts_non_blank_rows():
    contacted = [["2026-09-01"], ["2026-09-02"], ["2026-09-03"], [None], ["2026-09-05"]]
    replied = [["2026-09-01 12:00"], [None], ["否 No"], ["2026-09-04"], [pd.Timestamp("2026-09-06")]]
    r = reply_rate_from_ranges(replied, contacted)
    # 4 rows contacted (row 4 blank); replies on rows 1 and 5 -> 2 / 4
    assert (r.k, r.n, r.rate) == (2, 4, 0.5)
    assert (r.low, r.high) == pytest.approx(wilson_interval(2, 4))
    single = reply_rate_from_ranges("2026-09-01", "2026-09-01")
    assert (single.k, single.n) == (1, 1)
    assert reply_rate_from_ranges(np.array([0, 1, 1]), np.array([1, 1, 1])).k == 2


def test_reply_rate_refuses_ranges_that_do_not_line_up():
    with pytest.raises(ValueError, match="contacted range has 3"):
        reply_rate_from_ranges([1, 2], [1, 2, 3])



def test_kol_reply_rate_udf_is_a_thin_wrapper():
    from workbook_addin import udfs

    replied = [["2026-09-01 12:00"], [None], ["2026-09-03"]]
    contacted = [["2026-09-01"], ["2026-09-02"], ["2026-09-03"]]
    assert udfs.KOL_REPLY_RATE(replied, contacted) == pytest.approx(2 / 3)
    rate, low, high, n = udfs.KOL_REPLY_RATE(replied, contacted, True)[0]
    assert (low, high) == pytest.approx(wilson_interval(2, 3)) and n == 3
    assert udfs.KOL_REPLY_RATE([[None]], [[None]]) is None  # nothing contacted: an empty cell
    assert udfs.KOL_REPLY_RATE([[1], [2]], [[1]]).startswith("⚠")
    assert "KOL_REPLY_RATE" in udfs.UDF_NAMES


def test_spreads_by_group_equal_spread_of_each_group_to_the_last_bit():
    # the quote check's one-sort grouping must give exactly what spread() gives group by group
    rng = np.random.default_rng(3)
    n = 2_000
    keys = pd.DataFrame({"platform": rng.choice(["TikTok", "YouTube", None], n),
                         "band": rng.choice(["nano", "micro", "macro", "mega"], n)})
    values = pd.Series(np.round(rng.lognormal(6, 1.2, n), 2), dtype="object")
    values[rng.choice(n, 50, replace=False)] = None  # no value: left out, as spread() drops it
    values[:5] = [1e-9, 3.3, 3.3, 3.3, "n/a"]
    got = spreads_by(keys, values)
    expected = {k: spread(g) for k, g in values.groupby([keys["platform"], keys["band"]], dropna=True)}
    assert set(got) == {k for k, s in expected.items() if s.n}
    assert got == {k: s for k, s in expected.items() if s.n}
    one = spreads_by(pd.DataFrame({"k": ["a"]}), [7.0])[("a",)]
    assert (one.n, one.q1, one.median, one.q3) == (1, 7.0, 7.0, 7.0)
    assert spreads_by(pd.DataFrame({"k": [None]}), [7.0]) == {}


def test_insight_text_columns_read_each_value_as_itself_when_equal_values_differ_in_kind():
    from workbook_addin.insights import frames

    mixed = pd.DataFrame({"a": [" x ", None, np.nan, pd.NaT, 3, 3.0, "", "x", True, 1]}, dtype=object)
    assert frames.texts(mixed, "a").tolist() == ["x", None, None, None, "3", "3.0", None, "x", "True", "1"]
    markets = pd.DataFrame({"c": ["US", "美国 US", None, " us", "zz"] * 3}, dtype=object)
    assert frames.codes(markets, "c", "market").tolist() == ["US", "US", None, "US", None] * 3
