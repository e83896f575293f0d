"""Outreach playbook: which message template, channel, platform, market and follower band works.

For every group: how many contacts are behind it, the reply rate and the conversion to "agreed"
(status agreed or later in the funnel), each with a 95 % Wilson interval, and the median hours to
reply. Groups with fewer than :data:`~.stats.MIN_GROUP` contacts are marked, so a template that
"won" on 4 contacts is not mistaken for a winner: its interval is shown as wide as it really is.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..engine.metrics import FUNNEL_STAGES, counted_contacts
from ..core.settings import SettingsLike
from . import frames
from .bands import follower_band
from .stats import MIN_GROUP, proportion

#: funnel stage index (``metrics.FUNNEL_STAGES``) a contact must reach to count as replied / agreed;
#: the engine's ``metrics.stage_reached`` decides how far each status got (a decline is a reply).
REPLIED_STAGE = FUNNEL_STAGES.index("replied")
AGREED_STAGE = FUNNEL_STAGES.index("agreed")

#: the dimensions the playbook compares, in display order: key -> (zh, en)
DIMENSIONS: dict[str, tuple[str, str]] = {
    "template": ("话术模板", "Message template"),
    "channel": ("渠道", "Channel"),
    "platform": ("平台", "Platform"),
    "market": ("市场", "Market"),
    "follower_band": ("粉丝段", "Follower band"),
}

#: Playbook table columns (key -> zh, en): the Playbook sheet of templates/schema.toml.
COLUMNS: dict[str, tuple[str, str]] = frames.schema_labels("playbook")


def outreach_facts(tables: Mapping[str, pd.DataFrame], er_benchmarks: pd.DataFrame | None = None, *, today: Any = None,
                   settings: SettingsLike = None) -> pd.DataFrame:
    """One row per counted outreach contact with what the playbook groups and counts by.

    A contact counts as the Scores sheet counts it (``engine.metrics.counted_contacts``): rows
    without a status (not sent) and contacts still inside the reply window as of ``today`` are
    left out, not counted as unanswered. Platform, market and follower band come from the creator
    row with the same creator key (``Evaluation.tables['creators']`` carries the engine's key).
    """
    out = frames.table(tables, "outreach")
    cre = frames.table(tables, "creators")
    status = frames.codes(out, "status", "funnel")
    stage, counted = counted_contacts(status.to_numpy(dtype=object), frames.dates(out, "contacted_at").to_numpy(),
                                      frames.dates(out, "replied_at").to_numpy(), frames.as_date(today),
                                      float(frames.setting(settings, "reply_target_hours")))
    facts = pd.DataFrame(
        {
            "outreach_id": frames.texts(out, "outreach_id"),
            "creator_key": frames.texts(out, "creator_key"),
            "contacted_at": frames.dates(out, "contacted_at"),
            "template": frames.texts(out, "template").fillna("未填 Blank"),
            "channel": frames.labels("channel", frames.codes(out, "channel", "channel")),
            "status": status,
            "replied": stage >= REPLIED_STAGE,
            "agreed": stage >= AGREED_STAGE,
            "reply_hours": frames.numbers(out, "reply_hours"),
        },
        index=out.index,
    )[counted]
    if len(cre):
        info = pd.DataFrame(
            {
                "creator_key": frames.texts(cre, "creator_key"),
                "platform": frames.codes(cre, "platform", "platform"),
                "market": frames.labels("market", frames.codes(cre, "country", "market")),
                "follower_band": follower_band(frames.numbers(cre, "followers"), er_benchmarks),
            }
        ).dropna(subset=["creator_key"]).drop_duplicates("creator_key")
        facts = facts.reset_index(drop=True).merge(info, on="creator_key", how="left")
    else:
        facts = facts.assign(platform=None, market=None, follower_band=None).reset_index(drop=True)
    for dim in ("platform", "market", "follower_band"):
        facts[dim] = facts[dim].fillna("未知 Unknown")
    return facts


def summarise(facts: pd.DataFrame, by: str, min_contacts: int = MIN_GROUP) -> pd.DataFrame:
    """The playbook rows for one dimension ``by`` (a column of :func:`outreach_facts`)."""
    rows: list[dict[str, Any]] = []
    for group, g in facts.groupby(by, dropna=False, sort=True):
        reply = proportion(int(g["replied"].sum()), len(g))
        agreed = proportion(int(g["agreed"].sum()), len(g))
        hours = g.loc[g["replied"], "reply_hours"].dropna()
        rows.append(
            {
                "dimension": frames.bilingual(*DIMENSIONS.get(by, (by, by))),
                "group": group,
                "contacts": len(g),
                "creators": int(g["creator_key"].nunique()),
                "replies": reply.k,
                "reply_rate": reply.rate,
                "reply_rate_low": reply.low,
                "reply_rate_high": reply.high,
                "median_reply_hours": float(hours.median()) if len(hours) else np.nan,
                "agreed": agreed.k,
                "agreed_rate": agreed.rate,
                "agreed_rate_low": agreed.low,
                "agreed_rate_high": agreed.high,
                "too_few": len(g) < min_contacts,
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    # Rank by the interval's lower bound: a rate that is high *and* well supported comes first.
    return frame.sort_values(["reply_rate_low", "contacts"], ascending=[False, False],
                             kind="stable").reset_index(drop=True)


def playbook(
    tables: Mapping[str, pd.DataFrame],
    *,
    dimensions: tuple[str, ...] = tuple(DIMENSIONS),
    min_contacts: int = MIN_GROUP,
    er_benchmarks: pd.DataFrame | None = None,
    today: Any = None,
    settings: SettingsLike = None,
    facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The Playbook table: one row per (dimension, group), columns :data:`COLUMNS`.

    ``tables`` is ``Evaluation.tables`` (outreach with ``reply_hours``, creators with their keys);
    contacts are counted as of ``today`` (see :func:`outreach_facts`; ``facts``: those the caller
    has already, for the same tables, benchmarks, day and settings).
    """
    if facts is None:
        facts = outreach_facts(tables, er_benchmarks, today=today, settings=settings)
    if facts.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat([summarise(facts, d, min_contacts) for d in dimensions], ignore_index=True)


def headers(columns: dict[str, tuple[str, str]] = COLUMNS) -> list[str]:
    """Bilingual headers, Chinese first, for a sheet or a report table."""
    return [frames.bilingual(zh, en) for zh, en in columns.values()]
