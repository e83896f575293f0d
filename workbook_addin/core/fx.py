"""Currency conversion with the Settings sheet's FX table, for whole columns at once.

Creators are paid in their market's currency (USD, GBP, EUR, JPY, AED, SAR, ...) and shops report
GMV in theirs; every cost and return is compared in one base currency. A currency without a rate
gives a missing value (never a silent 1:1), and the engine reports it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import distinct


def rates_for(currency: Any, rates: Mapping[str, float]) -> np.ndarray:
    """The rate (base units per unit) for each currency code; NaN where unknown or missing."""
    if np.ndim(currency) == 0:
        return np.asarray(rates.get(currency, np.nan) if isinstance(currency, str) else np.nan, dtype=float)
    codes = np.asarray(currency, dtype=object)
    known = pd.Index(list(rates), dtype=object)
    table = np.append(np.array(list(rates.values()), dtype=float), np.nan)
    pos = distinct.get_indexer(known, codes)
    return table[np.where(pos < 0, len(known), pos)]


def to_base(amount: Any, currency: Any, rates: Mapping[str, float]) -> np.ndarray:
    """``amount`` in ``currency`` expressed in the base currency (broadcasts scalars and arrays)."""
    return np.asarray(amount, dtype=float) * rates_for(currency, rates)


def from_base(amount: Any, currency: Any, rates: Mapping[str, float]) -> np.ndarray:
    """The inverse of :func:`to_base`: a base-currency amount expressed in ``currency``."""
    return np.asarray(amount, dtype=float) / rates_for(currency, rates)


def convert(amount: Any, from_currency: Any, to_currency: Any, rates: Mapping[str, float]) -> np.ndarray:
    """``amount`` converted between two currencies through the base currency."""
    return from_base(to_base(amount, from_currency, rates), to_currency, rates)
