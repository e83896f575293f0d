"""Whole-table building blocks the evaluation stages share: per-creator sums and means over child
rows (by creator position, -1 for rows of no known creator), column readers, and the red-flag
texts. Why a module of its own: the stages in :mod:`.evaluation` read as the model, these as the
vectorised plumbing that keeps 100 000 creators fast.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from . import scoring

def group_sum(idx: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(sum of present values, count of present values) per creator; idx -1 rows are ignored.

    Rows of unknown creators go to a spare bucket n and missing values count 0 with weight 0:
    the same sums as leaving those rows out, without copying the rows that remain.
    """
    present = ~np.isnan(values)
    bucket = np.where(idx >= 0, idx, n)
    return (np.bincount(bucket, weights=np.where(present, values, 0.0), minlength=n + 1)[:n],
            np.bincount(bucket, weights=present, minlength=n + 1)[:n])


def group_mean(idx: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Mean of the present values per creator, NaN where a creator has none."""
    s, c = group_sum(idx, values, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 0, s / np.where(c > 0, c, 1), np.nan)


def sum_or_nan(idx: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum of the present values per creator, NaN (not 0) where a creator has none."""
    s, c = group_sum(idx, values, n)
    return np.where(c > 0, s, np.nan)


def number_column(frame: pd.DataFrame, key: str) -> np.ndarray:
    """A typed number column as floats, NaN where empty."""
    return frame[key].to_numpy(dtype=float, na_value=np.nan)


def float_columns(frame: pd.DataFrame) -> Callable[[str], np.ndarray]:
    """:func:`number_column` for one frame, reading each column once however often the formulas use it."""
    cache: dict[str, np.ndarray] = {}

    def get(key: str) -> np.ndarray:
        if key not in cache:
            cache[key] = number_column(frame, key)
        return cache[key]
    return get


def text_column(frame: pd.DataFrame, key: str) -> np.ndarray:
    """A column as Python objects (codes, texts, None)."""
    return frame[key].to_numpy(dtype=object)


def percent_texts(x: np.ndarray, digits: int = 0) -> np.ndarray:
    """Fractions as "12%" texts, formatted like every other number in the explanations."""
    return scoring.number_texts(np.asarray(x, dtype=float) * 100.0, digits, "%")


#: One flag kind for the creators it concerns: (creator positions, their flag texts).
Flag = tuple[np.ndarray, np.ndarray]


def flag(mask: np.ndarray, *pieces: Any) -> Flag:
    """The flag texts where ``mask`` holds: pieces are constant strings, or functions given the
    flagged positions and returning their texts, so a flag that concerns 1 % of the creators
    costs 1 % of the formatting."""
    idx = np.flatnonzero(mask)
    if len(pieces) == 1 and isinstance(pieces[0], str):
        texts = [pieces[0]] * len(idx)
    else:
        texts = scoring.join_texts([p if isinstance(p, str) else p(idx) for p in pieces])
    out = np.empty(len(idx), dtype=object)
    out[:] = texts
    return idx, out


def join_flags(n: int, *flags: Flag) -> np.ndarray:
    """Per creator, the flag texts joined with "; " in the order given ("" where none).

    Creators are grouped by which flags they have (few combinations), so each creator's text is
    one ``"; ".join`` of its flags, and a creator with one flag just gets that text.
    """
    out = np.full(n, "", dtype=object)
    at, texts, pattern = [], [], np.zeros(n, dtype=np.int64)
    for k, (idx, text) in enumerate(flags):
        keep = text.astype(bool)  # an empty text is no flag
        pos = np.full(n, -1, dtype=np.int64)
        pos[idx[keep]] = np.arange(int(keep.sum()))
        at.append(pos)
        texts.append(text[keep])
        pattern[idx[keep]] |= 1 << k
    order = np.argsort(pattern.astype(np.int16) if len(flags) < 15 else pattern, kind="stable")  # int16: a radix sort
    sorted_pattern = pattern[order]
    starts = (np.flatnonzero(np.r_[True, sorted_pattern[1:] != sorted_pattern[:-1]]) if n
              else np.zeros(0, dtype=np.int64))
    for start, end in zip(starts.tolist(), [*starts[1:].tolist(), n]):
        pat = int(sorted_pattern[start])
        if pat == 0:
            continue
        rows = order[start:end]
        cols = [texts[k][at[k][rows]] for k in range(len(flags)) if pat >> k & 1]
        out[rows] = cols[0] if len(cols) == 1 else list(map("; ".join, zip(*cols)))
    return out


def first_ids(idx: np.ndarray, mask: np.ndarray, ids: np.ndarray) -> Flag:
    """Per creator with rows where mask holds: "ID" or "ID (+k more)" of those rows."""
    sel = np.flatnonzero(mask & (idx >= 0))
    if len(sel) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    c = idx[sel]
    order = np.argsort(c, kind="stable")
    c, sel = c[order], sel[order]
    uniq, first, counts = np.unique(c, return_index=True, return_counts=True)
    text = np.asarray(ids, dtype=object)[sel[first]].astype(str).astype(object)
    more = np.where(counts > 1, " (+" + (counts - 1).astype(str).astype(object) + " more)", "")
    return uniq, text + more

