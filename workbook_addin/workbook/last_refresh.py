"""The hidden ``tblLastRefresh``: what the last build or refresh computed per Creators row.

Every cell the Python functions feed reads ``IFERROR(live, this table's value)``, so where Python
does not run (LibreOffice, Excel on the web, blocked macros, WPS) it shows the last refresh's
number instead of going blank. Only pandas here: the refresh job writes it, and xlwings Lite
loads that job without the file writer.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..core.cells import is_blank
from ..core.settings import DIMENSIONS

LAST = "last_refresh"


def identity_text(platform: Any, handle: Any, profile_url: Any) -> str:
    """``platform|handle|profile URL`` as Excel's ``&`` joins the three cells (blank -> "",
    a whole number without ".0"): the Creators key formula finds the last refresh's key by it."""
    def text(v: Any) -> str:
        if is_blank(v):
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)
    return "|".join(text(v) for v in (platform, handle, profile_url))


def last_refresh_frame(creators: pd.DataFrame | None, scores: pd.DataFrame | None) -> pd.DataFrame:
    """tblLastRefresh: one row per Creators row (its key as computed, its identity as the cells
    show it), with the engine's subscores, score, flags and explanation for that key."""
    columns = ["creator_key", "identity", *DIMENSIONS, "score", "flags", "explanation"]
    if creators is None or not len(creators):
        return pd.DataFrame(columns=columns, dtype=object)
    by_key: dict[Any, dict[str, Any]] = {}
    if scores is not None and len(scores):
        wanted = [c for c in (*DIMENSIONS, "score", "flags", "explanation") if c in scores.columns]
        for rec in scores[["creator_key", *wanted]].to_dict("records"):
            by_key.setdefault(rec["creator_key"], rec)
    rows = []
    for rec in creators.to_dict("records"):
        key = rec.get("creator_key")
        found = by_key.get(key, {}) if not is_blank(key) else {}
        rows.append({"creator_key": None if is_blank(key) else key,
                     "identity": identity_text(rec.get("platform"), rec.get("handle"), rec.get("profile_url")),
                     **{c: found.get(c) for c in (*DIMENSIONS, "score", "flags", "explanation")}})
    return pd.DataFrame(rows, columns=columns, dtype=object)
