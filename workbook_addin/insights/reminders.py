"""Reminders: the dated things that cost money or trouble when forgotten.

- usage rights expiring within ``rights_expiry_days`` (Settings, default 30): renew or take down;
- promised posts overdue: the promised date has passed and no publish date is filled in;
- samples shipped with no post ``sample_no_post_days`` (default 21) later;
- a payment scheduled or made while the creator's W-8BEN is not received (US tax withholding).

Each reminder has a due date and ``days_left`` (negative = overdue by that many days), relative to
an explicit ``today`` so the same workbook gives the same reminders in a test and on a server.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import frames

#: Reminders table columns (key -> zh, en): the Reminders sheet of templates/schema.toml.
COLUMNS: dict[str, tuple[str, str]] = frames.schema_labels("reminders")

KINDS: dict[str, tuple[str, str]] = {
    "rights_expiring": ("授权即将到期", "Usage rights expiring"),
    "post_overdue": ("逾期未发布", "Promised post overdue"),
    "sample_no_post": ("寄样未发布", "Sample shipped, no post"),
    "w8ben_missing": ("缺少税表", "W-8BEN missing"),
}


def _kind(code: str) -> str:
    return frames.bilingual(*KINDS[code])


def reminders(
    tables: Mapping[str, pd.DataFrame],
    today: Any = None,
    *,
    settings: Any = None,
    rights_expiry_days: int | None = None,
    sample_no_post_days: int | None = None,
) -> pd.DataFrame:
    """The Reminders table (columns :data:`COLUMNS`), most urgent first."""
    day = frames.as_date(today)
    rights_days = (int(rights_expiry_days if rights_expiry_days is not None
                   else frames.setting(settings, "rights_expiry_days")))
    sample_days = (int(sample_no_post_days if sample_no_post_days is not None
                   else frames.setting(settings, "sample_no_post_days")))
    col = frames.table(tables, "collaborations")
    cre = frames.table(tables, "creators")
    rows: list[dict[str, Any]] = []
    if col.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    key = frames.creator_keys(col, "collaborations")
    cid = frames.texts(col, "collab_id")
    campaign = frames.texts(col, "campaign")
    published = frames.dates(col, "publish_date")
    promised = frames.dates(col, "promised_date")
    shipped = frames.dates(col, "sample_shipped_date")
    expiry = frames.dates(col, "usage_rights_expiry")
    payment = frames.codes(col, "payment_status", "payment_status")
    w8 = {}
    if len(cre):
        w8 = dict(zip(frames.creator_keys(cre, "creators"), frames.codes(cre, "w8ben_received", "yes_no")))

    def add(i: int, kind: str, due: pd.Timestamp, zh: str, en: str) -> None:
        rows.append(
            {
                "kind": _kind(kind),
                "creator_key": key.iat[i],
                "collab_id": cid.iat[i],
                "campaign": campaign.iat[i],
                "due_date": due,
                "days_left": int((due - day).days),
                "message": f"{zh} {en}",
            }
        )

    # Whole-column tests first (a workbook has thousands of rows and a handful of reminders);
    # the messages are only written for the rows that need one.
    unpublished = published.isna().to_numpy()
    left_rights = (expiry - day).dt.days.to_numpy()
    for i in np.flatnonzero((left_rights >= 0) & (left_rights <= rights_days)):
        who, ref, left, exp = key.iat[i] or "?", cid.iat[i] or "?", int(left_rights[i]), expiry.iat[i]
        add(i, "rights_expiring", exp,
            f"{who} 的内容授权（{ref}）{left} 天后到期：续约或按期下架。",
            f"Usage rights for {who} ({ref}) expire in {left} days: renew or plan the takedown.")
    for i in np.flatnonzero(unpublished & (promised < day).to_numpy()):
        who, ref, prom = key.iat[i] or "?", cid.iat[i] or "?", promised.iat[i]
        late = (day - prom).days
        add(i, "post_overdue", prom,
            f"{who} 约定 {prom:%Y-%m-%d} 发布（{ref}），已逾期 {late} 天。",
            f"{who} promised to post by {prom:%Y-%m-%d} ({ref}); {late} days overdue.")
    sample_due = shipped + pd.Timedelta(days=sample_days)
    for i in np.flatnonzero(unpublished & (sample_due < day).to_numpy()):
        who, ref, ship = key.iat[i] or "?", cid.iat[i] or "?", shipped.iat[i]
        add(i, "sample_no_post", sample_due.iat[i],
            f"{who} 于 {ship:%Y-%m-%d} 收到样品（{ref}），{(day - ship).days} 天仍未发布。",
            f"{who} was shipped a sample on {ship:%Y-%m-%d} ({ref}) and has not posted in {(day - ship).days} days.")
    has_w8 = key.map(lambda k: w8.get(k) == "yes").to_numpy(dtype=bool)
    for i in np.flatnonzero(payment.isin(["scheduled", "paid"]).to_numpy() & ~has_w8):
        who, ref = key.iat[i] or "?", cid.iat[i] or "?"
        state = ("待付款", "scheduled") if payment.iat[i] == "scheduled" else ("已付款", "already paid")
        add(i, "w8ben_missing", day,
            f"{who} 的付款（{ref}）{state[0]}，但未收到 W-8BEN：付款前先收齐。",
            f"Payment to {who} ({ref}) is {state[1]} but no W-8BEN is on file: collect it before paying.")
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.sort_values(["days_left", "kind"], kind="stable").reset_index(drop=True)


def reminders_summary(tables: Mapping[str, pd.DataFrame], today: Any = None, *, settings: Any = None) -> str:
    """One short line for the refresh status, e.g.
    ``提醒 Reminders: 授权即将到期 Usage rights expiring 1, 逾期未发布 Promised post overdue 2``."""
    return summary_of(reminders(tables, today, settings=settings))


def summary_of(table: pd.DataFrame) -> str:
    """:func:`reminders_summary` of an already computed Reminders table (the refresh job has one)."""
    if table.empty:
        return "提醒 Reminders: 无 none"
    counts = table["kind"].value_counts()
    parts = [f"{_kind(k)} {int(counts[_kind(k)])}" for k in KINDS if _kind(k) in counts]
    return "提醒 Reminders: " + ", ".join(parts)
