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
        number = floats(out[c].to_numpy())
        out[c] = pd.to_numeric(out[c], errors="coerce") if number is None else pd.Series(number, index=out.index)
    for c in _DATES:
        out[c] = pd.to_datetime(out[c], errors="coerce")
    keep = (out["source"].notna() & out["item_id"].notna()).to_numpy()
    return out if keep.all() else out[keep].reset_index(drop=True)


def floats(values: np.ndarray) -> np.ndarray | None:
    """``pd.to_numeric`` of a column of Python numbers and blanks (None, NaN) that it reads as
    decimals, converted at once (a Python call per cell cost milliseconds a column); None for any
    other column (whole numbers without a blank, which it keeps whole, text, other types)."""
    if values.dtype != object or not len(values):
        return None
    kinds = set(map(type, values.tolist()))
    if not kinds <= {float, int, type(None)}:
        return None
    blank = pd.isna(values)
    if int in kinds and (not blank.any() or any(abs(v) >= 2**53 for v in values[~blank].tolist())):
        return None
    out = np.full(len(values), np.nan)
    out[~blank] = values[~blank].astype(float)
    return out


def _text(col: pd.Series) -> pd.Series:
    """A text column with one spelling of "missing" (None); a column that already has it (the
    ledger is normalised several times a refresh, 50 000 rows) is checked without a Python loop."""
    values = col.to_numpy(dtype=object)
    if isinstance(col.dtype, pd.StringDtype):  # text, NaN for missing: blanks found at once
        blank = col.isna().to_numpy().copy()
        values = values.copy()
        blank[~blank] = values[~blank] == ""
        values[blank] = None
        return pd.Series(values, index=col.index, dtype=object)
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
    out["status"] = _statuses(matched, orders)
    out["file"] = matched["source_file"].astype(str).to_numpy()
    out["first_seen"] = out["last_seen"] = pd.to_datetime(matched["as_of"]).to_numpy()
    if not out["last_seen"].is_monotonic_increasing:  # (one export's rows share their date)
        out = out.sort_values("last_seen", kind="stable")
    out = out.drop_duplicates(_KEY, keep="last")
    return out[ledger_columns()].reset_index(drop=True)


def _statuses(matched: pd.DataFrame, orders: np.ndarray) -> np.ndarray:
    """An order's note ("已退款 refunded"), else whether it counted; nothing for posts."""
    if not orders.any():
        return np.full(len(matched), None, dtype=object)
    note = matched["note"].astype(object).where(matched["note"].notna() & (matched["note"] != ""), None)
    counted = pd.Series(["计入 counted" if v is True else "不计入 not counted" for v in matched["counted"].tolist()],
                        index=matched.index, dtype=object)
    return np.asarray(np.where(orders, note.fillna(counted).to_numpy(), None))


def merge_ledger(old: pd.DataFrame | None, new: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(ledger, changed)``: ``old`` with ``new`` folded in, and the orders whose values changed.

    A row in both is updated only when the new export is not older than what the ledger holds; a
    value the newer export leaves empty keeps the older value. Rows keep their order, new ones are
    appended, so the hidden sheet is rewritten with the fewest cell writes. Worked column by column
    on arrays: a next-day export updates every one of 50 000 rows.
    """
    old = normalise(old)
    new = normalise(new)
    if new.empty:
        return old, _changed_frame([])
    key_old, key_new = _keys(old, new)
    at = pd.Index(key_old).get_indexer(key_new)
    both, fresh = at >= 0, at < 0
    merged = {c: _cells(old[c]).copy() for c in ledger_columns()}  # written in place below
    changes = _changed_frame([])
    if both.any():
        changes = _fold_in(merged, at[both], {c: _cells(new[c])[both] for c in ledger_columns()})
    if fresh.any():
        out = pd.DataFrame({c: pd.Series(v, dtype=v.dtype) for c, v in merged.items()})
        out = pd.concat([out, new[fresh].astype({c: object for c in ledger_columns() if c not in _DATES})],
                        ignore_index=True)
        return normalise(out), changes
    return _as_normalised(merged), changes


def _keys(old: pd.DataFrame, new: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's (source, item ID) as one number, the same numbering in both ledgers: 50 000 integers
    hashed instead of joined texts. Neither is ever empty in a normalised ledger."""
    def codes(col: str) -> tuple[np.ndarray, int]:
        both = np.concatenate([old[col].to_numpy(dtype=object), new[col].to_numpy(dtype=object)])
        found, distinct = pd.factorize(both)
        return found.astype(np.int64), len(distinct)

    (source, _), (item, items) = codes("source"), codes("item_id")
    key = source * items + item
    return key[:len(old)], key[len(old):]


def _fold_in(merged: dict[str, np.ndarray], rows: np.ndarray, incoming: dict[str, np.ndarray]) -> pd.DataFrame:
    """Writes the incoming ledger rows over rows ``rows`` of ``merged`` where the export is not older
    (a metric it leaves empty keeps the older value; first seen is the earlier); returns the orders
    whose count or GMV changed."""
    current = {c: v[rows] for c, v in merged.items()}
    last = current["last_seen"]
    newer = np.isnat(last) | (incoming["last_seen"] >= last)
    updated = {}
    for c in ledger_columns():
        take = incoming[c]
        if c in METRICS:
            take = np.where(pd.isna(take), current[c], take)
        updated[c] = np.where(newer, take, current[c])
    updated["first_seen"] = np.fmin(current["first_seen"], incoming["first_seen"])
    for c in ledger_columns():
        if merged[c].dtype != updated[c].dtype:  # numbers that were whole in one and not the other
            merged[c] = merged[c].astype(object)
        merged[c][rows] = updated[c]
    return _order_changes(current, updated)


def _cells(col: pd.Series) -> np.ndarray:
    """A ledger column as an array to merge in: dates as datetime64 (a Timestamp object per cell cost
    most of a 50 000-row merge), decimal numbers as floats, everything else as objects."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return col.to_numpy(dtype="datetime64[us]")  # the unit pandas gives dates read from cells
    if col.dtype == np.float64:
        return col.to_numpy()
    return col.to_numpy(dtype=object)


def _as_normalised(merged: dict[str, np.ndarray]) -> pd.DataFrame:
    """The merged columns as :func:`normalise` types them (text as objects, metrics as numbers, dates)."""
    out = {}
    for c, values in merged.items():
        if c in METRICS:
            out[c] = pd.to_numeric(pd.Series(values, dtype=values.dtype), errors="coerce")
        elif c in _DATES:
            out[c] = pd.to_datetime(pd.Series(values, dtype=values.dtype), errors="coerce")
        else:
            out[c] = pd.Series(values, dtype=object)
    return pd.DataFrame(out)


def _changed_frame(records: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=["source", "item_id", "collab_id", "column", "old", "new", "file"])


def _order_changes(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> pd.DataFrame:
    """Orders whose count or net GMV changed: (source, item_id, collab_id, column, old, new, file)."""
    records = []
    is_order = np.asarray(after["kind"] == "order", dtype=bool)
    for c in ("orders", "gmv"):
        a = pd.to_numeric(pd.Series(before[c], dtype=before[c].dtype), errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(pd.Series(after[c], dtype=after[c].dtype), errors="coerce").to_numpy(dtype=float)
        differ = is_order & ~((a == b) | (np.isnan(a) & np.isnan(b)))
        for i in np.flatnonzero(differ):
            records.append({"source": after["source"][i], "item_id": after["item_id"][i],
                            "collab_id": after["collab_id"][i], "column": c, "old": a[i], "new": b[i],
                            "file": after["file"][i]})
    return _changed_frame(records)


def totals(ledger: pd.DataFrame, *, normalised: bool = False) -> Totals:
    """Per collab ID: post metrics (newest reading per post, summed over posts) plus shop orders.
    ``normalised``: the ledger is :func:`merge_ledger`'s, already typed (not typed again)."""
    ledger = ledger if normalised else normalise(ledger)
    if ledger.empty:
        return Totals(pd.DataFrame(columns=[*METRICS, "gmv_currency", "source"]))
    if not ledger["last_seen"].is_monotonic_increasing:  # (a next-day export dates every row alike)
        ledger = ledger.sort_values("last_seen", kind="stable")
    kind = ledger["kind"].to_numpy()
    post_sum = _post_sums(_rows(ledger, kind == "post"))
    orders = _rows(ledger, kind == "order")
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


def _rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``frame[keep]``, without copying a frame all of whose rows are kept."""
    return frame if keep.all() else frame[keep]


def _post_sums(posts: pd.DataFrame) -> pd.DataFrame:
    """Per collab ID (sorted), each post's newest non-empty reading of each metric, summed over the
    collaboration's posts. Grouped on integer codes of the IDs (grouping twice on 50 000 text keys
    cost most of the totals): the same groups, rows and order of addition as grouping on the text."""
    posts = _rows(posts, posts["collab_id"].notna().to_numpy())  # as groupby, which leaves rows without a key out
    if posts.empty:
        per_post = posts.groupby(["collab_id", "item_id"], sort=False)[list(METRICS)].last()
        return per_post.groupby(level="collab_id").sum(min_count=1)
    cid, cids = pd.factorize(posts["collab_id"], sort=True)
    metrics = posts[list(METRICS)].reset_index(drop=True)
    if len(cids) < len(cid):  # a collaboration with several rows: several posts, or readings of one
        item = pd.factorize(posts["item_id"])[0]  # never empty in a normalised ledger
        width = int(item.max()) + 1
        pair = cid.astype(np.int64) * width + item
        if pd.Series(pair).duplicated().any():  # several readings of a post: the newest non-empty one
            metrics = metrics.groupby(pair, sort=False).last()
            cid = metrics.index.to_numpy() // width
    sums = metrics.groupby(cid).sum(min_count=1)
    sums.index = pd.Index(cids.to_numpy()[sums.index.to_numpy()], name="collab_id")  # typed as groupby types it
    return sums


def _sources(ledger: pd.DataFrame) -> pd.Series:
    """Per collab ID, where its numbers come from: the files, and how many orders counted (columns at
    once, and Python only where a collaboration has several files or orders: a groupby with a Python
    function per group costs seconds at 50 000 collaborations)."""
    cid, file = ledger["collab_id"].to_numpy(dtype=object), ledger["file"].to_numpy(dtype=object)
    has = pd.notna(file)  # normalised: a file is text or None
    pairs = pd.DataFrame({"cid": cid[has], "file": file[has]}, dtype=object).drop_duplicates()
    pairs = pairs.sort_values("file", kind="stable")
    many = pairs["cid"].duplicated(keep=False).to_numpy()
    text = dict(zip(pairs["cid"].to_numpy()[~many].tolist(), pairs["file"].to_numpy()[~many].tolist()))
    several: dict[str, list[str]] = {}
    for key, name in zip(pairs["cid"].to_numpy()[many].tolist(), pairs["file"].to_numpy()[many].tolist()):
        several.setdefault(key, []).append(name)
    text.update((key, ", ".join(names)) for key, names in several.items())
    orders = (ledger["kind"] == "order").to_numpy()
    counted: dict[str, list[float]] = {}
    for key, n in zip(cid[orders].tolist(), ledger["orders"].to_numpy()[orders].tolist()):
        c = counted.setdefault(key, [0.0, 0.0])
        c[0] += 0.0 if n != n else n
        c[1] += 1
    for key, (n, m) in counted.items():
        text[key] = text.get(key, "") + f": {int(n)} 笔订单 orders counted of {int(m)}"
    return pd.Series(text, dtype=object)
