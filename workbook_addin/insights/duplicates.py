"""Duplicate creators and blacklisted creators who turn up again in Outreach.

Nothing is merged: two rows may really be two people (a common display name), and merging would
lose what someone typed. Every suspected pair is listed with its evidence for a person to decide.
E-mails and display names are personal data: the evidence names the column that matched, never
its value, so the table can go into reports.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from ..core.key_columns import creator_keys
from ..core.problems import excel_rows
from . import frames

#: Duplicates table columns (key -> zh, en). Both tables share the Duplicates sheet of
#: templates/schema.toml, which takes its labels from there: one row kind fills these columns ...
COLUMNS: dict[str, tuple[str, str]] = frames.schema_labels(
    "duplicates", ("row_a", "creator_key_a", "row_b", "creator_key_b", "evidence"))

#: ... the other (blacklist hits) these.
BLACKLIST_COLUMNS: dict[str, tuple[str, str]] = frames.schema_labels(
    "duplicates", ("outreach_row", "outreach_id", "creator_key", "blacklisted_key", "contacted_at", "reason",
                   "evidence"))

EVIDENCE = {
    "handle": "账号写法不同但标准化后相同 Handle spellings normalise to the same key",
    "url": "主页链接指向另一行的账号 Profile URL points to another row's handle",
    "email": "邮箱相同 Same e-mail",
    "name_cross_platform": "不同平台同名 Same display name on two platforms",
    "name": "同平台同名 Same display name",
}


def _norm_text(value: str | None) -> str | None:
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).casefold()
    text = re.sub(r"[\s._\-'\"()]+", "", text)
    return text or None


def _norm_email(value: str | None) -> str | None:
    if not isinstance(value, str) or "@" not in value:
        return None
    return unicodedata.normalize("NFKC", value).strip().casefold()


def creator_identities(creators: pd.DataFrame) -> pd.DataFrame:
    """Per creator row: its Excel row, platform, key from the handle, key from the profile URL,
    normalised e-mail and display name (what :func:`duplicate_creators` compares)."""
    platform = frames.codes(creators, "platform", "platform")
    return pd.DataFrame(
        {
            "row": excel_rows(creators).tolist(),
            "platform": platform.to_numpy(),
            # the engine's column-wise keys: creator_key() of each cell, None where none can be made
            "handle_key": creator_keys(platform, frames.texts(creators, "handle"))[0],
            "url_key": creator_keys(platform, frames.texts(creators, "profile_url"))[0],
            "email": frames.texts(creators, "email").map(_norm_email).to_numpy(),
            "name": frames.texts(creators, "display_name").map(_norm_text).to_numpy(),
        }
    )


#: Above this many rows sharing one value, each row is paired with the group's first row only.
STAR_FROM = 6


def group_pairs(rows: list[int]) -> list[tuple[int, int]]:
    """The pairs to list for rows sharing one value: every pair in a small group; in a large one
    (an agency's single contact e-mail on 500 creators) each row with the first row, so the table
    grows with the rows (499 pairs), not with their square (124 750), and still names every row."""
    if len(rows) <= STAR_FROM:
        return list(combinations(rows, 2))
    return [(rows[0], j) for j in rows[1:]]


def duplicate_creators(creators: pd.DataFrame) -> pd.DataFrame:
    """Pairs of creator rows that look like the same person, with every piece of evidence found."""
    ids = creator_identities(creators)
    found: dict[tuple[int, int], list[str]] = {}

    def add(i: int, j: int, why: str) -> None:
        pair = (min(i, j), max(i, j))
        if why not in found.setdefault(pair, []):
            found[pair].append(why)

    def pairs_sharing(column: str, why) -> None:
        values = ids[column]
        # only values two rows share: 10 000 creators are 10 000 groups, nearly all of one row
        for _, group in ids[values.notna() & values.duplicated(keep=False)].groupby(column):
            for i, j in group_pairs(list(group.index)):
                reason = why(ids.loc[i], ids.loc[j]) if callable(why) else why
                if reason:
                    add(i, j, reason)

    pairs_sharing("handle_key", EVIDENCE["handle"])
    pairs_sharing("email", EVIDENCE["email"])
    pairs_sharing(
        "name",
        lambda a, b: EVIDENCE["name_cross_platform"] if a["platform"] != b["platform"] else EVIDENCE["name"],
    )
    by_handle = {k: i for i, k in ids["handle_key"].items() if k}
    for i, k in ids["url_key"].items():
        j = by_handle.get(k) if k else None
        if j is not None and j != i and ids.at[i, "handle_key"] != k:
            add(i, j, EVIDENCE["url"])
    rows = [
        {
            "row_a": ids.at[i, "row"],
            "creator_key_a": ids.at[i, "handle_key"],
            "row_b": ids.at[j, "row"],
            "creator_key_b": ids.at[j, "handle_key"],
            "evidence": "; ".join(why),
        }
        for (i, j), why in sorted(found.items())
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def blacklist_hits(tables: Mapping[str, pd.DataFrame], pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Outreach rows that contact a blacklisted creator, directly or through a duplicate row.

    Only contacts after the creator's ``blacklisted_on`` date are the alarm: the contact that led
    to the blacklisting is not "contacted again". Without a date every contact is listed (the
    newest first) and the evidence says the date is missing. ``pairs`` is
    :func:`duplicate_creators` of the same Creators rows, when the caller has it already.
    """
    creators = frames.table(tables, "creators")
    outreach = frames.table(tables, "outreach")
    if creators.empty or outreach.empty:
        return pd.DataFrame(columns=list(BLACKLIST_COLUMNS))
    black = np.flatnonzero(frames.codes(creators, "blacklisted", "yes_no").to_numpy() == "yes")
    if not len(black):
        return pd.DataFrame(columns=list(BLACKLIST_COLUMNS))
    blacklisted = creators.iloc[black]  # only their keys are needed: 10 000 creators hold a handful
    ids = creator_identities(blacklisted)
    reasons = frames.texts(blacklisted, "blacklist_reason").to_numpy()
    since = frames.dates(blacklisted, "blacklisted_on").to_numpy()
    # key -> (blacklisted key, reason, evidence, blacklisted on); the engine's key column wins when present
    engine_keys = frames.texts(blacklisted, "creator_key").to_numpy()
    watch: dict[str, tuple[str, str | None, str, Any]] = {}
    for pos in range(len(ids)):
        key = engine_keys[pos] or ids.at[pos, "handle_key"]
        when = None if pd.isna(since[pos]) else pd.Timestamp(since[pos]).normalize()
        evidence = "黑名单达人 Blacklisted creator" + (f" since {when:%Y-%m-%d}" if when is not None else
                                                    "; 未填拉黑日期 no blacklisted-on date, every contact listed")
        for k in {key, ids.at[pos, "handle_key"], ids.at[pos, "url_key"]} - {None}:
            watch.setdefault(k, (key, reasons[pos], evidence, when))
    dups = duplicate_creators(creators) if pairs is None else pairs
    for _, d in dups.iterrows():
        for mine, other in (("creator_key_a", "creator_key_b"), ("creator_key_b", "creator_key_a")):
            if d[mine] in watch and d[other] and d[other] not in watch:
                key, reason, _, when = watch[d[mine]]
                watch[d[other]] = (key, reason,
                                   "疑似黑名单达人的重复账号 Possible duplicate of a blacklisted creator "
                                   f"({d['evidence']})",
                                   when)
    out_keys = frames.texts(outreach, "creator_key")
    contacted = frames.dates(outreach, "contacted_at")
    ids_col = frames.texts(outreach, "outreach_id")
    rows = []
    for row, key, oid, when in zip(excel_rows(outreach).tolist(), out_keys, ids_col, contacted):
        norm = key.casefold() if key else None
        hit = watch.get(key) or (watch.get(norm) if norm else None)
        if hit and not (hit[3] is not None and not pd.isna(when) and pd.Timestamp(when).normalize() <= hit[3]):
            rows.append(
                {
                    "outreach_row": row,
                    "outreach_id": oid,
                    "creator_key": key,
                    "blacklisted_key": hit[0],
                    "contacted_at": when,
                    "reason": hit[1],
                    "evidence": hit[2],
                }
            )
    frame = pd.DataFrame(rows, columns=list(BLACKLIST_COLUMNS))
    return frame.sort_values("contacted_at", ascending=False, kind="stable").reset_index(drop=True)
