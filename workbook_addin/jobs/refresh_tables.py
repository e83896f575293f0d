"""How the refresh's findings become table rows: imported metrics into Collaborations, follower
counts into Snapshots, guessed matches into Matches to confirm, leftovers into Unmatched exports.

Kept apart from :mod:`.refresh` (the job's steps) because these are the rules a person sees in the
sheets: which answered proposals stay, what an unmatched row shows, which cells count as changed.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..core.schema import load_schema
from ..workbook.tables_changes import WorkbookChanges, differs


def apply_updates(changes: WorkbookChanges, collabs: pd.DataFrame, updates: pd.DataFrame) -> tuple[pd.DataFrame, int,
                                                                                                    int]:
    """Writes the importers' metric updates into a copy of the collaborations frame and records the
    cells that really change; returns (frame, rows changed, cells changed)."""
    frame = collabs.copy()
    cols = [c for c in updates.columns if c in frame.columns]
    rows, cells = set(), 0
    labels = [label for label in updates.index if label in frame.index]
    positions = frame.index.get_indexer(labels).tolist()
    for col in cols:  # column by column: plain lists, no per-cell pandas lookups or assignments
        current = frame[col].reindex(labels).tolist()
        wanted = updates[col].reindex(labels).tolist()
        new_values = None
        for label, at, a, b in zip(labels, positions, current, wanted):
            if b is None or b is pd.NaT or (isinstance(b, float) and b != b):
                continue
            if differs(a, b):
                if new_values is None:
                    new_values = frame[col].astype(object).tolist()
                new_values[at] = b
                changes.set("collaborations", label, col, b)
                rows.add(label)
                cells += 1
        if new_values is not None:
            frame[col] = pd.Series(new_values, index=frame.index, dtype=object)
    return frame, len(rows), cells


def new_snapshots(snapshots: pd.DataFrame, followers: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Follower counts from the exports not yet in the Snapshots sheet (same creator and date)."""
    if followers is None or followers.empty:
        return []
    have = set()
    for key, date in zip(snapshots.get("creator_key", []), snapshots.get("date", [])):
        try:
            have.add((str(key), pd.Timestamp(date).date()))
        except (TypeError, ValueError):
            continue
    out = []
    for r in followers.to_dict("records"):
        try:
            day = pd.Timestamp(r["date"]).date()
        except (TypeError, ValueError, KeyError):
            continue
        if pd.isna(r.get("followers")) or (str(r.get("creator_key")), day) in have:
            continue
        have.add((str(r["creator_key"]), day))
        out.append({"creator_key": r["creator_key"], "date": day, "followers": r["followers"],
                    "source": r.get("source")})
    return out


def as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its values spelled as the workbook reader gives them back (blank: None, a date
    at midnight: a date), so a table rewritten unchanged is recognised a column at a time."""
    out = frame.astype(object).where(frame.notna(), None)
    for col in frame.columns[[pd.api.types.is_datetime64_any_dtype(t) for t in frame.dtypes]]:
        stamps = frame[col]
        midnight = stamps.notna().all() and (stamps == stamps.dt.normalize()).all()
        out[col] = [None if v is None else (v.date() if midnight else v.to_pydatetime()) for v in out[col]]
    return out


def confirm_rows(current: pd.DataFrame | None, proposals: pd.DataFrame) -> pd.DataFrame:
    """The Matches to confirm sheet's new rows: every answered row kept where it is (the choice is
    kept for later refreshes), unanswered rows still proposed refreshed, new proposals appended."""
    cols = list(load_schema().sheet("confirm").keys)
    proposals = proposals.reindex(columns=cols) if proposals is not None else pd.DataFrame(columns=cols)
    if current is None or current.empty:
        return proposals.reset_index(drop=True)
    current = current.reindex(columns=cols).reset_index(drop=True)
    current = current[current["item_id"].notna() & current["collab_id"].notna()]
    key = lambda f: f["item_id"].astype(str) + "\x1f" + f["collab_id"].astype(str)  # noqa: E731
    fresh = proposals.set_index(key(proposals)) if len(proposals) else proposals
    rows = []
    for k, row in zip(key(current), current.to_dict("records")):
        answered = isinstance(row.get("decision"), str) and row["decision"].strip()
        if answered:
            rows.append(row)
        elif k in fresh.index:
            rows.append({**fresh.loc[k].to_dict(), "decision": None})
    kept = set(key(current))
    rows += [r for k, r in zip(fresh.index, fresh.to_dict("records")) if k not in kept]
    return pd.DataFrame(rows, columns=cols)


def unmatched_rows(report: Any, problems: list[Any]) -> pd.DataFrame:
    """The Unmatched exports sheet: every export row left over and every value rejected, in full
    (``report``: the RefreshReport so far, its unmatched, ambiguous and rejected frames)."""
    cols = list(load_schema().sheet("unmatched").keys)
    rows = []
    for frame, kind in ((report.unmatched, "未匹配 unmatched"), (report.ambiguous, "多个匹配 ambiguous")):
        for r in (frame.to_dict("records") if frame is not None and len(frame) else []):
            column, value = _what(r)
            rows.append({"file": r.get("source_file"), "row": r.get("source_row"), "kind": kind, "column": column,
                         "value": value, "reason": _reason(r)})
    if report.rejected is not None and len(report.rejected):
        rows += report.rejected.reindex(columns=cols).to_dict("records")
    for p in problems:  # cells the importers could not read, files they could not use
        rows.append({"file": p.sheet, "row": p.row, "kind": "无法读取 unreadable", "column": p.column,
                     "value": None if p.value is None else str(p.value), "reason": p.message})
    return pd.DataFrame(rows, columns=cols)


_WHAT = (("post_url", "内容链接 Post URL"), ("video_id", "视频ID Video ID"), ("promo_code", "优惠码 Promo code"),
         ("utm_campaign", "UTM 活动 UTM campaign"), ("order_id", "订单 Order"), ("handle", "达人账号 Handle"))


def _what(r: dict[str, Any]) -> tuple[str | None, str | None]:
    """(column, value) that identifies an unmatched export row to a person."""
    for key, label in _WHAT:
        v = r.get(key)
        if v is not None and not (isinstance(v, float) and v != v) and str(v).strip():
            return label, str(v)
    return None, None


def _reason(r: dict[str, Any]) -> str:
    reason = r.get("reason") or ""
    if r.get("candidates"):
        reason = f"{reason} ({r['candidates']})" if reason else str(r["candidates"])
    return reason
