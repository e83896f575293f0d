"""The import ledger: every shop order and post reading a refresh accepted, kept in the workbook.

A collaboration's metrics are sums over the ledger, not over the files in the export folder today,
so a file leaving the folder (someone cleaning Downloads) never lowers a total. One ledger row per
order or post reading, keyed by ``source`` (the export format) and ``item_id`` (the order name, or
the post's key): a newer export of the same order (refunded, cancelled, partially refunded) updates
that row, an older one never does, and :func:`merge_ledger` says which orders changed and by how
much. Dates are the exports' own dates (not the time of the run), so merging the same exports again
changes nothing: the ledger is idempotent.

Totals: post metrics are replaced, orders summed. For each post the newest reading of each metric
(across the exports that list it: TikTok analytics and TikTok Shop both list a video) counts, summed
over the collaboration's posts; shop orders add their order count and net GMV on top. GMV is money:
rounded to cents. A collaboration whose GMV comes in several currencies gets no GMV and a problem.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.schema import load_schema
from .problems import Problem

#: metrics a ledger row carries; the collaborations sheet has a column of the same key for each
METRICS = ("views", "likes", "comments", "shares", "saves", "clicks", "orders", "gmv")
_KEY = ["source", "item_id"]
_TEXT = ("source", "item_id", "collab_id", "kind", "gmv_currency", "status", "file")
_DATES = ("first_seen", "last_seen")


def ledger_columns() -> list[str]:
    return list(load_schema().sheet("ledger").keys)


@dataclass
class Totals:
    """Per collaboration id: the metric totals over the ledger (NaN: the ledger has no such value)."""

    values: pd.DataFrame  # index collab_id; METRICS, gmv_currency, source
    problems: list[Problem] = field(default_factory=list)


def empty_ledger() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ledger_columns()})


def normalise(ledger: pd.DataFrame | None) -> pd.DataFrame:
    """The ledger as read from a workbook (or None) with one dtype per column and no blank rows."""
    if ledger is None or len(ledger) == 0:
        return empty_ledger()
    out = ledger.reindex(columns=ledger_columns()).reset_index(drop=True)
    for c in _TEXT:
        out[c] = _text(out[c])
    for c in METRICS:
        out[c] = pd.to_numeric(out[c], errors="coerce")
    for c in _DATES:
        out[c] = pd.to_datetime(out[c], errors="coerce")
    return out[out["source"].notna() & out["item_id"].notna()].reset_index(drop=True)


def _text(col: pd.Series) -> pd.Series:
    """A text column with one spelling of "missing" (None); a column that already has it (the
    ledger is normalised several times a refresh, 50 000 rows) is checked without a Python loop."""
    values = col.to_numpy(dtype=object)
    if set(map(type, values)) <= {str, type(None)} and not (values == "").any():
        return pd.Series(values, index=col.index, dtype=object)
    return pd.Series([None if v is None or v != v or v == "" else str(v) for v in values], index=col.index,
                     dtype=object)


def entries_from(matched: pd.DataFrame, collab_ids: pd.Series) -> pd.DataFrame:
    """Ledger rows for the export rows matched this run (``matched`` has ``collab``: an index label of
    the collaborations frame; ``collab_ids`` maps those labels to the collab ID)."""
    if matched is None or matched.empty:
        return empty_ledger()
    orders = (matched["kind"] == "orders").to_numpy()
    post_item = matched["post_key"].where(matched["post_key"].notna(), matched["row_id"])
    out = pd.DataFrame({
        "source": matched["format"].astype(str).to_numpy(),
        "item_id": np.where(orders, matched["order_id"].astype(object), post_item.astype(object)),
        "collab_id": collab_ids.reindex(matched["collab"]).astype(str).to_numpy(),
        "kind": np.where(orders, "order", "post"),
    })
    for m in METRICS:
        out[m] = pd.to_numeric(matched[m], errors="coerce").to_numpy()
    out["gmv"] = out["gmv"].round(2)
    out["gmv_currency"] = matched["gmv_currency"].astype(object).to_numpy()
    note = matched["note"].astype(object).where(matched["note"].notna() & (matched["note"] != ""), None)
    counted = matched["counted"].map(lambda v: "计入 counted" if v is True else "不计入 not counted")
    out["status"] = np.where(orders, note.fillna(counted).to_numpy(), None)
    out["file"] = matched["source_file"].astype(str).to_numpy()
    out["first_seen"] = out["last_seen"] = pd.to_datetime(matched["as_of"]).to_numpy()
    out = out.sort_values("last_seen", kind="stable").drop_duplicates(_KEY, keep="last")
    return out[ledger_columns()].reset_index(drop=True)


def merge_ledger(old: pd.DataFrame | None, new: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(ledger, changed)``: ``old`` with ``new`` folded in, and the orders whose values changed.

    A row in both is updated only when the new export is not older than what the ledger holds; a
    value the newer export leaves empty keeps the older value. Rows keep their order, new ones are
    appended, so the hidden sheet is rewritten with the fewest cell writes.
    """
    old = normalise(old)
    new = normalise(new)
    if new.empty:
        return old, _changed_frame([])
    key_old = old["source"] + "\x1f" + old["item_id"]
    key_new = new["source"] + "\x1f" + new["item_id"]
    at = pd.Index(key_old).get_indexer(key_new)
    both, fresh = at >= 0, at < 0
    merged = {c: _cells(old[c]).copy() for c in ledger_columns()}  # written in place below
    changes = _changed_frame([])
    if both.any():
        rows, incoming = at[both], new[both].reset_index(drop=True)
        current = old.iloc[rows].reset_index(drop=True)
        newer = (current["last_seen"].isna() | (incoming["last_seen"] >= current["last_seen"])).to_numpy()
        updated = current.copy()
        for c in ledger_columns():
            take = incoming[c].where(incoming[c].notna(), current[c]) if c in METRICS else incoming[c]
            updated[c] = np.where(newer, _cells(take), _cells(current[c]))
        updated["first_seen"] = pd.concat([current["first_seen"], incoming["first_seen"]], axis=1).min(axis=1)
        changes = _order_changes(current, updated)
        for c in ledger_columns():
            merged[c][rows] = _cells(updated[c])
    out = pd.DataFrame(merged)
    if fresh.any():
        out = pd.concat([out, new[fresh].astype({c: object for c in ledger_columns() if c not in _DATES})],
                        ignore_index=True)
    return normalise(out), changes


def _cells(col: pd.Series) -> np.ndarray:
    """A ledger column as an array to merge in: dates as datetime64 (a Timestamp object per cell cost
    most of a 50 000-row merge), everything else as objects."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return col.to_numpy(dtype="datetime64[us]")  # the unit pandas gives dates read from cells
    return col.to_numpy(dtype=object)


def _changed_frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=["source", "item_id", "collab_id", "column", "old", "new", "file"])


def _order_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Orders whose count or net GMV changed: (source, item_id, collab_id, column, old, new, file)."""
    records = []
    is_order = (after["kind"] == "order").to_numpy()
    for c in ("orders", "gmv"):
        a = pd.to_numeric(before[c], errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(after[c], errors="coerce").to_numpy(dtype=float)
        differ = is_order & ~((a == b) | (np.isnan(a) & np.isnan(b)))
        for i in np.flatnonzero(differ):
            records.append({"source": after.at[i, "source"], "item_id": after.at[i, "item_id"],
                            "collab_id": after.at[i, "collab_id"], "column": c, "old": a[i], "new": b[i],
                            "file": after.at[i, "file"]})
    return _changed_frame(records)


def totals(ledger: pd.DataFrame) -> Totals:
    """Per collab ID: post metrics (newest reading per post, summed over posts) plus shop orders."""
    ledger = normalise(ledger)
    if ledger.empty:
        return Totals(pd.DataFrame(columns=[*METRICS, "gmv_currency", "source"]))
    ledger = ledger.sort_values("last_seen", kind="stable")
    posts = ledger[ledger["kind"] == "post"]
    per_post = posts.groupby(["collab_id", "item_id"], sort=False)[list(METRICS)].last()  # last non-empty
    post_sum = per_post.groupby(level="collab_id").sum(min_count=1)
    orders = ledger[ledger["kind"] == "order"]
    order_sum = orders.groupby("collab_id")[["orders", "gmv"]].sum(min_count=1)
    values = post_sum.reindex(post_sum.index.union(order_sum.index))
    for c in ("orders", "gmv"):
        values[c] = values[c].add(order_sum[c].reindex(values.index), fill_value=0)  # NaN only if both are
    values["gmv"] = values["gmv"].round(2)
    with_gmv = ledger[ledger["gmv"].notna() & ledger["gmv_currency"].notna()]
    pairs = with_gmv.drop_duplicates(["collab_id", "gmv_currency"]).sort_values("gmv_currency", kind="stable")
    count = pairs.groupby("collab_id").size()
    first = pairs.drop_duplicates("collab_id").set_index("collab_id")["gmv_currency"]
    values["gmv_currency"] = first.reindex(values.index)
    problems = []
    mixed = [cid for cid in count.index[count > 1] if cid in values.index]
    for cid in mixed:
        cur = pairs.loc[pairs["collab_id"] == cid, "gmv_currency"].tolist()
        problems.append(Problem("合作 Collaborations", None, "成交额 GMV",
                                f"{cid}: 订单币种不一致 orders in several currencies ({', '.join(cur)}); "
                                "GMV not updated"))
    values.loc[mixed, ["gmv", "gmv_currency"]] = [np.nan, None]
    values["gmv_currency"] = values["gmv_currency"].astype(object).where(values["gmv_currency"].notna(), None)
    values["source"] = _sources(ledger).reindex(values.index)
    return Totals(values, problems)


def _sources(ledger: pd.DataFrame) -> pd.Series:
    """Per collab ID, where its numbers come from: the files, and how many orders counted (plain
    loops: a groupby with a Python function per group costs seconds at 50 000 collaborations)."""
    files: dict[str, set[str]] = {}
    counted: dict[str, list[float]] = {}
    for cid, file, kind, n in zip(ledger["collab_id"].tolist(), ledger["file"].tolist(), ledger["kind"].tolist(),
                                  ledger["orders"].tolist()):
        if isinstance(file, str):
            files.setdefault(cid, set()).add(file)
        if kind == "order":
            c = counted.setdefault(cid, [0.0, 0.0])
            c[0] += 0.0 if n != n else n
            c[1] += 1
    text = {}
    for cid in set(files) | set(counted):
        text[cid] = ", ".join(sorted(files.get(cid, ())))
        if cid in counted:
            text[cid] += f": {int(counted[cid][0])} 笔订单 orders counted of {int(counted[cid][1])}"
    return pd.Series(text, dtype=object)
