"""Agency (服务商) scorecard: is an agency worth renewing?

Per agency named on the Creators sheet: the creators it supplied, how often they replied and
agreed (Wilson intervals over the outreach rows), their scores and tier mix, the money spent and
the GMV and ROI it brought (the engine's per-collaboration values; ROI over the collaborations
with both GMV and cost, as on the Scores sheet), and how many posts went live on time. Contacts
are counted as the Scores sheet counts them, the median score is over the creators the engine
gave a tier. Creators without an agency form the "直接合作 Direct" row, the baseline.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.settings import SettingsLike
from . import frames
from .playbook import outreach_facts
from .stats import MIN_GROUP, proportion

DIRECT = "直接合作 Direct"

#: Scorecard columns (key -> zh, en): the Agencies sheet of templates/schema.toml.
COLUMNS: dict[str, tuple[str, str]] = frames.schema_labels("agencies")


def on_time_posts(collabs: pd.DataFrame, today: Any = None) -> pd.DataFrame:
    """Per collaboration with a promised date that is due: posted on time or not.

    On time = published on or before the promised date. A post still unpublished after its
    promised date counts as late; one whose promised date is still ahead is not yet due.
    """
    day = frames.as_date(today)
    promised = frames.dates(collabs, "promised_date")
    published = frames.dates(collabs, "publish_date")
    due = promised.notna() & (published.notna() | (promised < day))
    return pd.DataFrame(
        {"creator_key": frames.texts(collabs, "creator_key"), "due": due,
         "on_time": due & published.notna() & (published <= promised)},
        index=collabs.index,
    )


def agency_scorecard(
    evaluation_tables: Mapping[str, pd.DataFrame],
    settings: SettingsLike = None,
    *,
    today: Any = None,
    min_contacts: int = MIN_GROUP,
    facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The scorecard (columns :data:`COLUMNS`), agencies by ROI, the Direct baseline last.
    ``facts``: :func:`.playbook.outreach_facts` of the same tables, day and settings, when the
    caller has them (the Playbook counts the same contacts; their follower bands are not used here)."""
    from ..engine.metrics import tracked_return

    cre = frames.table(evaluation_tables, "creators")
    col = frames.table(evaluation_tables, "collaborations")
    if cre.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    info = pd.DataFrame(
        {
            "creator_key": frames.texts(cre, "creator_key"),
            "agency": frames.texts(cre, "agency").fillna(DIRECT),
            "score": frames.numbers(cre, "score"),
            "tier": frames.codes(cre, "tier", "tier"),
        }
    ).dropna(subset=["creator_key"]).drop_duplicates("creator_key")
    agency_of = dict(zip(info["creator_key"], info["agency"]))
    facts = (outreach_facts(evaluation_tables, today=today, settings=settings) if facts is None else facts).assign(
        agency=lambda f: f["creator_key"].map(agency_of))
    money = pd.DataFrame(
        {
            "agency": frames.texts(col, "creator_key").map(agency_of),
            "cost": frames.numbers(col, "total_cost"),
            "gmv": frames.numbers(col, "gmv_base"),
        }
    )
    posts = on_time_posts(col, today)
    posts["agency"] = posts["creator_key"].map(agency_of)
    margin = float(frames.setting(settings, "gross_margin"))
    rows = []
    for agency, who in info.groupby("agency", sort=True):
        f = facts[facts["agency"] == agency]
        reply = proportion(int(f["replied"].sum()), len(f))
        agreed = proportion(int(f["agreed"].sum()), len(f))
        m = money[money["agency"] == agency]
        spend, gmv = float(m["cost"].sum(min_count=1)), float(m["gmv"].sum(min_count=1))
        _, roi = tracked_return(m["gmv"].to_numpy(), m["cost"].to_numpy(), margin)
        tiered = who["score"][who["tier"].notna()]
        p = posts[posts["agency"] == agency]
        due, on_time = int(p["due"].sum()), int(p["on_time"].sum())
        tiers = who["tier"].value_counts()
        rows.append(
            {
                "agency": agency,
                "creators": len(who),
                "contacts": len(f),
                "reply_rate": reply.rate,
                "reply_rate_low": reply.low,
                "reply_rate_high": reply.high,
                "agreed_rate": agreed.rate,
                "agreed_rate_low": agreed.low,
                "agreed_rate_high": agreed.high,
                "median_score": float(tiered.median()) if tiered.notna().any() else np.nan,
                "tier_mix": " ".join(f"{t}:{int(tiers[t])}" for t in ("S", "A", "B", "C") if t in tiers) or "-",
                "spend": spend,
                "gmv": gmv,
                "roi": roi,
                "posts_due": due,
                "on_time": on_time,
                "on_time_rate": on_time / due if due else np.nan,
                "too_few": len(f) < min_contacts,
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["_direct"] = frame["agency"] == DIRECT
    frame = frame.sort_values(["_direct", "roi"], ascending=[True, False], na_position="last", kind="stable")
    return frame.drop(columns="_direct").reset_index(drop=True)
