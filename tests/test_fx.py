"""Currency conversion: hand-worked rates, unknown currencies, re-basing, round trips."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from workbook_addin.core.fx import convert, from_base, to_base
from workbook_addin.core.settings import Settings

RATES = Settings.defaults().fx_rates


def test_to_base_uses_the_settings_rate():
    # 5 000 AED * 0.2723 = 1 361.5 USD; 250 000 JPY * 0.0067 = 1 675 USD
    assert to_base(5000, "AED", RATES) == pytest.approx(1361.5)
    assert to_base(np.array([250_000.0, 100.0]), np.array(["JPY", "GBP"], dtype=object), RATES) == pytest.approx([1675.0, 127.0])


def test_unknown_currency_gives_nan_not_one_to_one():
    assert math.isnan(float(to_base(100, "XYZ", RATES)))
    assert math.isnan(float(to_base(100, None, RATES)))


def test_table_kept_for_another_base_is_rebased():
    # Base EUR, table still in USD terms: 1 GBP = 1.27 / 1.08 EUR
    s, problems = Settings.from_values({"base_currency": "EUR"})
    assert not problems
    assert s.fx_rates["EUR"] == pytest.approx(1.0)
    assert to_base(100, "GBP", s.fx_rates) == pytest.approx(100 * 1.27 / 1.08)


def test_missing_rate_for_base_is_reported():
    s, problems = Settings.from_values({}, fx_rates=pd.DataFrame({"currency": ["GBP"], "rate": [1.27]}))
    assert any("base currency USD" in str(p) for p in problems)
    assert s.fx_rates["USD"] == 1.0


@hsettings(max_examples=60, deadline=None)
@given(amount=st.floats(0, 1e9, allow_nan=False), a=st.sampled_from(sorted(RATES)), b=st.sampled_from(sorted(RATES)))
def test_conversion_round_trips(amount, a, b):
    there = convert(amount, a, b, RATES)
    back = convert(there, b, a, RATES)
    assert float(back) == pytest.approx(amount, rel=1e-9, abs=1e-6)
    assert float(from_base(to_base(amount, a, RATES), a, RATES)) == pytest.approx(amount, rel=1e-9, abs=1e-6)
