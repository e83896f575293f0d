"""Matches guessed from a creator's handle and a date: proposed to a person, never written as fact.

A post matched to a collaboration only because the creator is the same and the dates are near
goes to the "待确认匹配 Matches to confirm" sheet with both sides and the reason; a person's
accept or reject there is kept and applied by later refreshes (:func:`settle_guesses`).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..core.cells import is_no_data
from ..core.schema import load_schema
from .changes import source_of
from .collabs import Collabs


def decisions_of(decisions: Any) -> dict[tuple[str, str], str]:
    """``{(item_id, collab_id): "accept" | "reject"}`` from the confirm sheet's rows (labels or codes)."""
    if decisions is None:
        return {}
    if isinstance(decisions, dict):
        return {(str(k[0]), str(k[1])): str(v) for k, v in decisions.items()}
    out = {}
    for item, cid, choice in zip(decisions.get("item_id", []), decisions.get("collab_id", []), decisions.get("decision",
                                                                                                             [])):
        text = "" if is_no_data(choice) else str(choice).casefold()
        code = ("accept" if ("accept" in text or "接受" in text) else "reject" if ("reject" in text or "拒绝" in text)
                else None)
        if code and not is_no_data(item) and not is_no_data(cid):
            out[(str(item), str(cid))] = code
    return out


def item_id(r: dict) -> str:
    """What identifies an export row's post across exports: its post key, else its row id."""
    return str(r.get("post_key") or r["row_id"])


def settle_guesses(by_handle, rows, collabs, decisions, assigned, unmatched) -> list[tuple[int, Any]]:
    """Handle-and-date matches: accepted ones are assigned, rejected ones reported, the rest proposed.
    ``rows``: the export rows (``rows.record(pos)``: one row's fields)."""
    ids = collabs["collab_id"] if "collab_id" in collabs else pd.Series(collabs.index.astype(str), index=collabs.index)
    proposals = []
    for collab, hits in by_handle.items():
        hits.sort()
        best = rows.post_key[hits[0][1]] or hits[0][1]
        for _, pos in hits:  # the nearest post wins, in every export that lists it
            if (rows.post_key[pos] or pos) != best:
                unmatched.append((pos, "同一达人的另一条内容更接近合作日期 another post by this creator is nearer the "
                                       "collaboration's "
                                       "date"))
                continue
            choice = decisions.get((item_id(rows.record(pos)), str(ids[collab])))
            if choice == "accept":
                assigned.append((pos, collab, "handle"))
            elif choice == "reject":
                unmatched.append((pos, f"已拒绝的猜测匹配 a person rejected this guessed match with {ids[collab]}"))
            else:
                proposals.append((pos, collab))
    return proposals


def proposal_frame(proposals, rows, collabs, c: Collabs) -> pd.DataFrame:
    """The Matches to confirm rows: both sides of each guess and why it was made."""
    cols = list(load_schema().sheet("confirm").keys)
    out = []
    for pos, collab in proposals:
        r = rows.record(pos)
        when, day = r.get("published_at"), c.date.get(collab)
        apart = (abs((pd.Timestamp(when).normalize() - pd.Timestamp(day)).days) if when is not None and day is not None
                 else None)
        out.append({
            "decision": None, "collab_id": collabs.at[collab, "collab_id"] if "collab_id" in collabs else str(collab),
            "creator_key": r.get("creator_key"), "collab_date": day.date() if day is not None else None,
            "post_url": r.get("post_url"), "title": r.get("title"),
            "published_at": pd.Timestamp(when).date() if when is not None else None, "views": r.get("views"),
            "source": source_of(r["source_file"], r["source_row"]), "item_id": item_id(r),
            "reason": ("仅凭达人账号和日期猜测 guessed from creator handle and date only"
                       + (f": 相差 {apart} 天 {apart} days apart" if apart is not None else "")
                       + "; 接受后写入 written once accepted"),
        })
    return pd.DataFrame(out, columns=cols).drop_duplicates(["item_id", "collab_id"], keep="last").reset_index(drop=True)
