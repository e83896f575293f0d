"""Score history: each creator's score and tier per campaign and per month, so a trend shows.

Each slice is scored by the engine itself (``engine.evaluate``) on the slice's rows, never by a
formula here:
- a month: collaborations that happened that month (publish date, else promised date, else the
  sample date), their reviews, the outreach contacts made that month and the follower snapshots
  up to the month's end;
- a campaign: the campaign's collaborations and their reviews, with all outreach and snapshots
  (outreach rows carry no campaign).
Only creators with a collaboration in the slice get a row for it.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.settings import Settings
from ..core.coerce import coerce_table
from ..core.key_columns import normalise_key_column
from . import frames
from .pilot import collab_dates

COLUMNS: dict[str, tuple[str, str]] = {
    "kind": ("维度", "Slice kind"),
    "slice": ("轮次", "Round"),
    "creator_key": ("达人键", "Creator key"),
    "score": ("总分", "Score"),
    "tier": ("等级", "Tier"),
    "roi": ("ROI", "ROI"),
    "change": ("较上一轮", "Change vs previous"),
}

KIND_MONTH = "月度 Month"
KIND_CAMPAIGN = "活动 Campaign"


def _typed(tables: Mapping[str, pd.DataFrame], key: str) -> pd.DataFrame:
    frame = frames.table(tables, key)
    return coerce_table(key, frame)[0] if len(frame) else frame


def slice_tables(tables: Mapping[str, pd.DataFrame], collab_mask: np.ndarray, *,
                 outreach_mask: np.ndarray | None = None,
                 snapshot_until: pd.Timestamp | None = None) -> dict[str, pd.DataFrame]:
    """The input tables cut down to one slice (raw rows kept as typed, so the engine sees them as
    a person typed them)."""
    out = dict(tables)
    col = frames.table(tables, "collaborations")
    out["collaborations"] = col[collab_mask]
    kept = set(frames.texts(out["collaborations"], "collab_id").dropna())
    rev = frames.table(tables, "reviews")
    if len(rev):
        out["reviews"] = rev[frames.texts(rev, "collab_id").isin(kept).to_numpy()]
    if outreach_mask is not None:
        out["outreach"] = frames.table(tables, "outreach")[outreach_mask]
    snaps = frames.table(tables, "snapshots")
    if snapshot_until is not None and len(snaps):
        when = _typed(tables, "snapshots")["date"]
        out["snapshots"] = snaps[(when.isna() | (when <= snapshot_until)).to_numpy()]
    return out


def month_slice(tables: Mapping[str, pd.DataFrame], month: pd.Period,
                today: Any) -> tuple[dict[str, pd.DataFrame], pd.Timestamp, np.ndarray]:
    """One month's scoring round: (the sliced tables, the date it is scored as of, which
    collaborations are in it). The trend and the report's ROI ranking both score this slice, so
    a creator has one score per month everywhere."""
    col = _typed(tables, "collaborations")
    mask = (collab_dates(col).dt.to_period("M") == month).fillna(False).to_numpy(dtype=bool)
    outreach_mask = None
    if len(frames.table(tables, "outreach")):
        contacted = _typed(tables, "outreach")["contacted_at"]
        outreach_mask = (contacted.dt.to_period("M") == month).fillna(False).to_numpy(dtype=bool)
    end = month.to_timestamp(how="end").normalize()
    sliced = slice_tables(tables, mask, outreach_mask=outreach_mask, snapshot_until=end)
    return sliced, min(end, frames.as_date(today)), mask


def _scores(tables: Mapping[str, pd.DataFrame], settings: Settings | None, today: Any, keys: set[str]) -> pd.DataFrame:
    from ..engine.evaluation import evaluate

    ev = evaluate(tables, settings, today=today, explain=False)
    scores = ev.tables["scores"]
    return scores[frames.texts(scores, "creator_key").isin(keys).to_numpy()]


def score_history(tables: Mapping[str, pd.DataFrame], settings: Settings | None = None, *, today: Any = None,
                  kinds: tuple[str, ...] = ("month", "campaign")) -> pd.DataFrame:
    """Long table (columns :data:`COLUMNS`): one row per creator per month / campaign slice.

    ``tables`` are the input tables as read from the workbook (the engine coerces them).
    """
    col = _typed(tables, "collaborations")
    if col.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    # the canonical key, as the engine writes it on the Scores sheet ("TikTok:Mia" -> "tiktok:mia")
    keys = pd.Series(normalise_key_column(frames.texts(col, "creator_key"))[0], index=col.index, dtype="object")
    rows: list[pd.DataFrame] = []
    if "month" in kinds:
        for month in sorted(collab_dates(col).dt.to_period("M").dropna().unique()):
            sliced, day, mask = month_slice(tables, month, today)
            rows.append(_rows(_scores(sliced, settings, day, set(keys[mask])), KIND_MONTH, str(month)))
    if "campaign" in kinds:
        campaigns = frames.texts(col, "campaign")
        when = collab_dates(col)
        order = sorted({c for c in campaigns if c}, key=lambda c: (when[campaigns == c].min(), c))
        for campaign in order:
            mask = (campaigns == campaign).to_numpy()
            s = _scores(slice_tables(tables, mask), settings, today, set(keys[mask]))
            rows.append(_rows(s, KIND_CAMPAIGN, campaign))
    history = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=list(COLUMNS))
    history["change"] = history.groupby(["kind", "creator_key"])["score"].diff()
    return history[list(COLUMNS)]


def _rows(scores: pd.DataFrame, kind: str, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": kind,
            "slice": name,
            "creator_key": frames.texts(scores, "creator_key").to_numpy(),
            "score": frames.numbers(scores, "score").to_numpy(),
            "tier": frames.texts(scores, "tier").to_numpy(),
            "roi": frames.numbers(scores, "roi").to_numpy(),
        }
    )


def trend(history: pd.DataFrame, kind: str = KIND_MONTH) -> pd.DataFrame:
    """Creators as rows, slices as columns, scores in the cells: the trend at a glance."""
    part = history[history["kind"] == kind]
    if part.empty:
        return pd.DataFrame()
    return part.pivot_table(index="creator_key", columns="slice", values="score", aggfunc="first", sort=False)


def trend_cells(history: pd.DataFrame, kind: str = KIND_MONTH) -> pd.DataFrame:
    """:func:`trend` as the cells a report shows: "95.5 S", and a score the engine gave no tier
    (incomplete data) marked as such, never shown as a plain number."""
    part = history[history["kind"] == kind]
    if part.empty:
        return pd.DataFrame()
    text = [f"{s:.1f} {t}" if isinstance(t, str) and t else f"{s:.1f} 无等级 no tier"
            for s, t in zip(part["score"], part["tier"])]
    cells = part.assign(cell=[c if s == s else "–" for c, s in zip(text, part["score"])])
    return cells.pivot_table(index="creator_key", columns="slice", values="cell", aggfunc="first", sort=False)
