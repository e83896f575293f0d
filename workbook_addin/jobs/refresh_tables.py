"""How the refresh's findings become table rows: imported metrics into Collaborations, follower
counts into Snapshots, guessed matches into Matches to confirm, leftovers into Unmatched exports.

Kept apart from :mod:`.refresh` (the job's steps) because these are the rules a person sees in the
sheets: which answered proposals stay, what an unmatched row shows, which cells count as changed.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.cells import is_missing
from ..core.schema import load_schema
from ..workbook.tables_changes import WorkbookChanges, changed_cells


def apply_updates(changes: WorkbookChanges, collabs: pd.DataFrame, updates: pd.DataFrame) -> tuple[pd.DataFrame, int,
                                                                                                    int]:
    """Writes the importers' metric updates into a copy of the collaborations frame and records the
    cells that really change; returns (frame, rows changed, cells changed). Column by column, the
    cells compared at once (:func:`changed_cells`: a next-day export updates 200 000 cells)."""
    frame = collabs.copy(deep=not _COPY_ON_WRITE)  # only whole columns are replaced below
    cols = [c for c in updates.columns if c in frame.columns]
    rows: set[Any] = set()
    cells = 0
    labels = updates.index[updates.index.isin(frame.index)].tolist()
    positions = frame.index.get_indexer(labels)
    label_cells = _objects(labels)
    for col in cols:
        wanted = updates[col].reindex(labels).tolist()
        given = _given(wanted)
        if not given.any():
            continue
        current = frame[col].to_numpy(dtype=object)[positions].tolist()
        at = np.flatnonzero(given & changed_cells(current, wanted))
        if not len(at):
            continue
        new_values = frame[col].to_numpy(dtype=object, copy=True)
        picked = _objects(wanted)[at]
        at_labels, at_values = label_cells[at].tolist(), picked.tolist()
        new_values[positions[at]] = picked
        changes.set_column("collaborations", col, at_labels, at_values)
        rows.update(at_labels)
        cells += len(at)
        frame[col] = pd.Series(new_values, index=frame.index, dtype=object)
    return frame, len(rows), cells


#: pandas copies a shared column before anything writes into it (pandas 3, or the option turned on):
#: a shallow copy of the 50 000-row collaborations frame is then as safe as a deep one
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True


def _given(values: list[Any]) -> np.ndarray:
    """Which values are given (not None, NaT or NaN): the blanks pandas finds, unless one of them is a
    blank of another kind (pd.NA), which counts as given."""
    cells = _objects(values)
    blank = pd.isna(cells)
    if set(map(type, cells[blank].tolist())) <= {type(None), float, type(pd.NaT)}:
        return ~blank
    return np.array([not is_missing(b) for b in values], dtype=bool)


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def new_snapshots(snapshots: pd.DataFrame, followers: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Follower counts from the exports not yet in the Snapshots sheet (same creator and date)."""
    if followers is None or followers.empty:
        return []
    days: dict[Any, Any] = {}  # snapshot dates repeat: each distinct cell read once
    have = set()
    for key, date in zip(snapshots.get("creator_key", []), snapshots.get("date", [])):
        if (day := _day(date, days)) is not _NO_DAY:
            have.add((str(key), day))
    if "date" not in followers:
        return []
    out = []
    source = followers["source"].tolist() if "source" in followers else [None] * len(followers)
    counts = followers["followers"].tolist() if "followers" in followers else [None] * len(followers)
    missing = followers["followers"].isna().tolist() if "followers" in followers else [True] * len(followers)
    for key, date, count, blank, src in zip(followers["creator_key"].tolist(), followers["date"].tolist(), counts,
                                            missing, source):
        day = _day(date, days)
        if day is _NO_DAY or blank or (str(key), day) in have:
            continue
        have.add((str(key), day))
        out.append({"creator_key": key, "date": day, "followers": count, "source": src})
    return out


_NO_DAY = object()


def _day(value: Any, days: dict[Any, Any]) -> Any:
    """``pd.Timestamp(value).date()``, or :data:`_NO_DAY` where that cannot be read; ``days``: the
    values read so far (by type too: ``True == 1`` must not share a reading)."""
    key: tuple[type, Any] | None = (type(value), value)
    try:
        return days[key]
    except KeyError:
        pass
    except TypeError:  # a value that cannot be a dict key
        key = None
    try:
        day = pd.Timestamp(value).date()
    except (TypeError, ValueError):
        day = _NO_DAY
    if key is not None:
        days[key] = day
    return day


def as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its values spelled as the workbook reader gives them back (blank: None, a date
    at midnight: a date), so a table rewritten unchanged is recognised a column at a time. Column by
    column (a Python object per cell is made once: the 50 000-row ledger is read back each refresh)."""
    out = pd.DataFrame({i: _as_read(frame.iloc[:, i]) for i in range(frame.shape[1])}, index=frame.index)
    out.columns = frame.columns
    for col in frame.columns[[pd.api.types.is_datetime64_any_dtype(t) for t in frame.dtypes]]:
        if not _days_at_once(frame[col]):
            stamps = frame[col]
            midnight = stamps.notna().all() and (stamps == stamps.dt.normalize()).all()
            out[col] = [None if v is None else (v.date() if midnight else v.to_pydatetime()) for v in out[col]]
    return out


def _days_at_once(stamps: pd.Series) -> bool:
    """Stamps (no time zone, at least one) all at midnight: read as their days by numpy at once."""
    return (stamps.dtype.kind == "M" and len(stamps) > 0 and bool(stamps.notna().all())
            and bool((stamps == stamps.dt.normalize()).all()))


def _as_read(column: pd.Series) -> pd.Series:
    """The column as objects, None for a blank (``astype(object).where(notna(), None)``); stamps at
    midnight as their days."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        if _days_at_once(column):
            return pd.Series(column.to_numpy().astype("datetime64[D]").astype(object), index=column.index, dtype=object)
        return column.astype(object).where(column.notna(), None)
    values = column.to_numpy(dtype=object, copy=True)
    values[column.isna().to_numpy()] = None
    return pd.Series(values, index=column.index, dtype=object)


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
