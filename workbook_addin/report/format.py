"""Cell formatting shared by the report's tables: one way to show a missing value ("–"), money,
percentages and Wilson intervals, so the HTML and the PDF agree."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.cells import is_missing
from ..insights import frames




def money(v: Any) -> str:
    return "–" if is_missing(v) else f"{float(v):,.0f}"


def num(v: Any, digits: int = 1) -> str:
    return "–" if is_missing(v) else f"{float(v):,.{digits}f}"


def pct(v: Any) -> str:
    return "–" if is_missing(v) else f"{float(v):.0%}"


def pct_ci(rate: float, low: float, high: float, n: int | None = None) -> str:
    if is_missing(rate):
        return "–"
    text = f"{rate:.0%} ({low:.0%}–{high:.0%})"
    return f"{text}, n={n}" if n is not None else text


def date(v: Any) -> str:
    return "–" if is_missing(v) else f"{pd.Timestamp(v):%Y-%m-%d}"


def text(v: Any) -> str:
    if is_missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "是 Yes" if v else ""
    return str(v)


def headers(columns: Mapping[str, tuple[str, str]], keys: Sequence[str]) -> list[str]:
    return [frames.bilingual(*columns[k]) for k in keys]

