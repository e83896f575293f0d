"""Reminders: the dated things that cost money or trouble when forgotten.

- usage rights expiring within ``rights_expiry_days`` (Settings, default 30): renew or take down;
  rights that already expired on a live post: overdue, take it down or renew now;
- promised posts overdue: the promised date has passed and no publish date is filled in;
- samples shipped with no post ``sample_no_post_days`` (default 21) later;
- a payment scheduled or made while the creator's W-8BEN is not received (US tax withholding):
  due when the post goes live (publish date, else promised date), so a payment already made or
  a post already live without the form is overdue (red).

Each reminder has a due date and ``days_left`` (negative = overdue by that many days), relative to
an explicit ``today`` so the same workbook gives the same reminders in a test and on a server.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, SupportsIndex

import numpy as np
import pandas as pd

from ..core.settings import SettingsLike
from . import frames

#: Reminders table columns (key -> zh, en): the Reminders sheet of templates/schema.toml.
COLUMNS: dict[str, tuple[str, str]] = frames.schema_labels("reminders")

KINDS: dict[str, tuple[str, str]] = {
    "rights_expired": ("授权已过期", "Usage rights expired"),
    "rights_expiring": ("授权即将到期", "Usage rights expiring"),
    "post_overdue": ("逾期未发布", "Promised post overdue"),
    "sample_no_post": ("寄样未发布", "Sample shipped, no post"),
    "w8ben_missing": ("缺少税表", "W-8BEN missing"),
}


def _kind(code: str) -> str:
    return frames.bilingual(*KINDS[code])


class _Rows:
    """The reminder rows being collected for one Collaborations table as of ``day``."""

    def __init__(self, col: pd.DataFrame, day: pd.Timestamp) -> None:
        self.day = day
        self.col = col
        self.rows: list[dict[str, Any]] = []

    # read when a row needs a reminder: most refreshes of a 50 000-row sheet find a handful or none
    @cached_property
    def key(self) -> pd.Series:
        return frames.creator_keys(self.col, "collaborations")

    @cached_property
    def cid(self) -> pd.Series:
        return frames.texts(self.col, "collab_id")

    @cached_property
    def campaign(self) -> pd.Series:
        return frames.texts(self.col, "campaign")

    def who(self, i: SupportsIndex) -> tuple[str, str]:
        return self.key.iat[i] or "?", self.cid.iat[i] or "?"

    def add(self, i: SupportsIndex, kind: str, due: pd.Timestamp, zh: str, en: str) -> None:
        self.rows.append({"kind": _kind(kind), "creator_key": self.key.iat[i], "collab_id": self.cid.iat[i],
                          "campaign": self.campaign.iat[i], "due_date": due, "days_left": int((due - self.day).days),
                          "message": f"{zh} {en}"})


def _rights(out: _Rows, col: pd.DataFrame, rights_days: int) -> None:
    """Usage rights expiring soon, and rights already expired on a post that is live."""
    expiry = frames.dates(col, "usage_rights_expiry")
    live = frames.dates(col, "publish_date").notna().to_numpy()
    left = (expiry - out.day).dt.days.to_numpy()
    for i in np.flatnonzero((left >= 0) & (left <= rights_days)):
        (who, ref), days = out.who(i), int(left[i])
        out.add(i, "rights_expiring", expiry.iat[i], f"{who} 的内容授权（{ref}）{days} 天后到期：续约或按期下架。",
                f"Usage rights for {who} ({ref}) expire in {days} days: renew or plan the takedown.")
    for i in np.flatnonzero((left < 0) & live):
        (who, ref), days = out.who(i), -int(left[i])
        end = expiry.iat[i]
        out.add(i, "rights_expired", end,
                f"{who} 的内容授权（{ref}）已于 {end:%Y-%m-%d} 过期 {days} 天：立即下架或续约。",
                f"Usage rights for {who} ({ref}) expired {days} days ago ({end:%Y-%m-%d}): "
                "take the content down or renew now.")


def _posts(out: _Rows, col: pd.DataFrame, sample_days: int) -> None:
    """Promised posts overdue, and samples shipped with no post."""
    unpublished = frames.dates(col, "publish_date").isna().to_numpy()
    promised = frames.dates(col, "promised_date")
    shipped = frames.dates(col, "sample_shipped_date")
    for i in np.flatnonzero(unpublished & (promised < out.day).to_numpy()):
        (who, ref), prom = out.who(i), promised.iat[i]
        late = (out.day - prom).days
        out.add(i, "post_overdue", prom, f"{who} 约定 {prom:%Y-%m-%d} 发布（{ref}），已逾期 {late} 天。",
                f"{who} promised to post by {prom:%Y-%m-%d} ({ref}); {late} days overdue.")
    sample_due = shipped + pd.Timedelta(days=sample_days)
    for i in np.flatnonzero(unpublished & (sample_due < out.day).to_numpy()):
        (who, ref), ship = out.who(i), shipped.iat[i]
        waited = (out.day - ship).days
        out.add(i, "sample_no_post", sample_due.iat[i],
                f"{who} 于 {ship:%Y-%m-%d} 收到样品（{ref}），{waited} 天仍未发布。",
                f"{who} was shipped a sample on {ship:%Y-%m-%d} ({ref}) and has not posted in {waited} days.")


def _w8ben(out: _Rows, col: pd.DataFrame, cre: pd.DataFrame) -> None:
    """Payments scheduled or made without a W-8BEN on file, due when the post goes live."""
    payment = frames.codes(col, "payment_status", "payment_status")
    paying = payment.isin(["scheduled", "paid"]).to_numpy()
    if not paying.any():
        return
    w8 = {}
    if len(cre):
        w8 = dict(zip(frames.creator_keys(cre, "creators"), frames.codes(cre, "w8ben_received", "yes_no")))
    on_file = {k for k, v in w8.items() if v == "yes"}
    due = frames.dates(col, "publish_date").fillna(frames.dates(col, "promised_date")).fillna(out.day)
    has_w8 = np.fromiter(map(on_file.__contains__, out.key), dtype=bool, count=len(out.key))
    for i in np.flatnonzero(paying & ~has_w8):
        who, ref = out.who(i)
        if payment.iat[i] == "paid":
            out.add(i, "w8ben_missing", min(due.iat[i], out.day),
                    f"已向 {who} 付款（{ref}），但未收到 W-8BEN：立即补收，可能需要预扣税。",
                    f"{who} was already paid ({ref}) with no W-8BEN on file: collect it now; withholding may be due.")
        else:
            out.add(i, "w8ben_missing", due.iat[i], f"{who} 的付款（{ref}）待付，但未收到 W-8BEN：付款前先收齐。",
                    f"Payment to {who} ({ref}) is scheduled but no W-8BEN is on file: collect it before paying.")


def reminders(
    tables: Mapping[str, pd.DataFrame],
    today: Any = None,
    *,
    settings: SettingsLike = None,
    rights_expiry_days: int | None = None,
    sample_no_post_days: int | None = None,
) -> pd.DataFrame:
    """The Reminders table (columns :data:`COLUMNS`), most urgent first.

    Whole-column tests first (a workbook has thousands of rows and a handful of reminders); the
    messages are only written for the rows that need one.
    """
    day = frames.as_date(today)
    rights_days = (int(rights_expiry_days if rights_expiry_days is not None
                   else frames.setting(settings, "rights_expiry_days")))
    sample_days = (int(sample_no_post_days if sample_no_post_days is not None
                   else frames.setting(settings, "sample_no_post_days")))
    col = frames.table(tables, "collaborations")
    if col.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    out = _Rows(col, day)
    _rights(out, col, rights_days)
    _posts(out, col, sample_days)
    _w8ben(out, col, frames.table(tables, "creators"))
    frame = pd.DataFrame(out.rows, columns=list(COLUMNS))
    return frame.sort_values(["days_left", "kind"], kind="stable").reset_index(drop=True)


def reminders_summary(tables: Mapping[str, pd.DataFrame], today: Any = None, *, settings: SettingsLike = None) -> str:
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
