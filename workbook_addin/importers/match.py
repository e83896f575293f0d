"""``match_exports``: which collaboration each export row belongs to, and the cells that change.

Precedence, strongest evidence first:

1. the post itself: URL, video id or post id (every spelling reduced by :func:`.platforms.post_key`);
2. the promo code an order used (case-insensitive);
3. the UTM campaign of an order's landing page;
4. the creator's handle, for collaborations whose post URL is not filled in yet (or for
   creator-level rows without a post), choosing the collaboration whose publish (or promised)
   date is nearest the post's and within :data:`HANDLE_WINDOW_DAYS`.

When several collaborations share a key (a promo code reused across campaigns), the one whose
date is the latest on or before the row's date wins; if dates cannot decide, the row is reported as
ambiguous. Rows that match nothing are listed with the reason, never dropped.

Metrics from post exports *replace* a collaboration's values (exports are cumulative; the newest
export of a post wins, metric by metric). Shop orders are *summed* per collaboration over every
order file (each order once). Only cells whose value changes are returned.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.cells import CellError, is_no_data, parse_date, parse_number
from ..core.keys import platform_from_url, try_creator_key
from ..core.schema import load_schema
from .platforms import post_key
from .problems import Problem

HANDLE_WINDOW_DAYS = 14
#: Post metrics a post export replaces; the collaborations sheet decides which of them exist.
POST_METRICS = ("views", "likes", "comments", "shares", "saves", "clicks", "orders", "gmv")
FILL_IF_EMPTY = ("post_url", "publish_date")


@dataclass
class MatchResult:
    #: indexed like the collaborations frame (only rows with a change); one column per changed
    #: schema column (NaN/None where that cell does not change), plus ``matched_by`` and ``source``
    updates: pd.DataFrame
    #: the same changes, one row per cell: collab index, collab_id, column, old, new, source
    changes: pd.DataFrame
    unmatched: pd.DataFrame  # export rows that matched no collaboration, with ``reason``
    ambiguous: pd.DataFrame  # export rows matching several collaborations, with ``candidates``
    matched: pd.DataFrame  # every matched export row with ``collab`` (index label) and ``matched_by``
    followers: pd.DataFrame  # creator_key, date, followers, source: for the snapshots sheet
    problems: list[Problem] = field(default_factory=list)
    #: shop orders with neither promo code nor UTM campaign (organic sales): listed, not attributed
    unattributed: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class _Collabs:
    """Lookup tables over the collaborations sheet."""

    by_post: dict[str, list[Any]]
    by_promo: dict[str, list[Any]]
    by_utm: dict[str, list[Any]]
    by_creator: dict[str, list[Any]]
    has_post: dict[Any, bool]
    date: dict[Any, dt.datetime | None]


def _norm_code(value: Any) -> list[str]:
    if is_no_data(value):
        return []
    return [p.strip().casefold() for p in re.split(r"[,;/\s]+", str(value)) if p.strip()]


def _collab_key(platform: Any, key: Any) -> str | None:
    if is_no_data(key):
        return None
    text = str(key).strip()
    if re.match(r"^(tiktok|instagram|youtube):", text, re.I):
        return text.split(":", 1)[0].lower() + ":" + text.split(":", 1)[1].strip().lstrip("@").casefold()
    return try_creator_key(None if is_no_data(platform) else str(platform), text)


def _date(value: Any) -> dt.datetime | None:
    try:
        d = parse_date(value) if not is_no_data(value) else None
    except CellError:
        return None
    return d


def _index_collabs(collabs: pd.DataFrame) -> _Collabs:
    get = lambda col: collabs[col] if col in collabs else pd.Series([None] * len(collabs), index=collabs.index)  # noqa: E731
    c = _Collabs(defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list), {}, {})
    for idx, url, plat, promo, utm, key, pub, promised in zip(
        collabs.index, get("post_url"), get("platform"), get("promo_code"), get("utm_campaign"),
        get("creator_key"), get("publish_date"), get("promised_date"),
    ):
        plat_s = None if is_no_data(plat) else str(plat)
        pk = post_key(url, plat_s) if not is_no_data(url) else None
        if pk and pk.startswith("url:") and platform_from_url(str(url)):
            pk = None  # a profile link typed where the post link belongs: not a post, so handles may match
        if pk:
            c.by_post[pk].append(idx)
        c.has_post[idx] = pk is not None
        for code in _norm_code(promo):
            c.by_promo[code].append(idx)
        for code in _norm_code(utm):
            c.by_utm[code].append(idx)
        if ck := _collab_key(plat_s, key):
            c.by_creator[ck].append(idx)
        c.date[idx] = _date(pub) or _date(promised)
    return c


def _pick_by_date(cands: list[Any], when: Any, c: _Collabs) -> Any | None:
    """Among collaborations sharing a key: the latest dated on or before ``when``; None if undecided."""
    if len(cands) == 1:
        return cands[0]
    if when is None or pd.isna(when):
        return None
    before = [(c.date[i], i) for i in cands if c.date[i] is not None and c.date[i] <= when]
    if not before:
        return None
    before.sort(key=lambda t: t[0])
    if len(before) > 1 and before[-1][0] == before[-2][0]:
        return None
    return before[-1][1]


def _nearest(cands: list[Any], when: Any, c: _Collabs) -> tuple[Any | None, str, bool]:
    """(collaboration, why not, ambiguous): the creator's collaboration dated nearest the post."""
    if len(cands) == 1 and (when is None or pd.isna(when) or c.date[cands[0]] is None):
        return cands[0], "", False
    if when is None or pd.isna(when):
        return None, "发布时间缺失 no publish time to choose between the creator's collaborations", True
    day = when.replace(hour=0, minute=0, second=0, microsecond=0)  # collaborations are dated by day
    dated = sorted((abs((c.date[i] - day).total_seconds()), i) for i in cands if c.date[i] is not None)
    if not dated:
        return None, "合作没有发布日期 the creator's collaborations have no publish date to compare", True
    if dated[0][0] > HANDLE_WINDOW_DAYS * 86400:
        return None, f"发布时间与该达人的合作日期相差超过 {HANDLE_WINDOW_DAYS} 天 published more than {HANDLE_WINDOW_DAYS} days from any of the creator's collaborations", False
    if len(dated) > 1 and dated[0][0] == dated[1][0]:
        return None, "两个合作日期同样接近 two collaborations are equally near", True
    return dated[0][1], "", False


def match_exports(batch: Any, collaborations_df: pd.DataFrame, creators_df: pd.DataFrame | None = None) -> MatchResult:
    """Matches ``batch.rows`` (from :func:`read_exports`) to collaborations; returns the changes."""
    rows = batch.rows if hasattr(batch, "rows") else batch
    rows = rows.sort_values(["as_of", "source_file", "source_row"], kind="stable").drop_duplicates("row_id", keep="last")
    c = _index_collabs(collaborations_df)
    order = {idx: n for n, idx in enumerate(collaborations_df.index)}
    known_creators = _creator_keys(creators_df)
    assigned: list[tuple[int, Any, str]] = []  # (row position, collab, matched_by)
    unmatched: list[tuple[int, str]] = []
    unattributed: list[int] = []  # shop orders without promo code or UTM: organic sales
    ambiguous: list[tuple[int, list[Any], str]] = []
    by_handle: dict[Any, list[tuple[float, int]]] = defaultdict(list)
    records = _records(rows)
    for pos, r in enumerate(records):
        allowed = set(r["match_by"].split(",")) if isinstance(r.get("match_by"), str) and r["match_by"] else None
        ok = lambda key: allowed is None or key in allowed  # noqa: E731
        when = r.get("published_at")
        when = None if when is None or pd.isna(when) else pd.Timestamp(when).to_pydatetime()
        if r.get("kind") == "orders" and not r.get("promo_code") and not r.get("utm_campaign"):
            unattributed.append(pos)
            continue
        tried: list[str] = []
        decided = False
        steps = []
        if ok("post_url") or ok("video_id"):
            steps.append(("post", [r.get("post_key")] if r.get("post_key") else [], c.by_post, "链接 post URL/ID"))
        if ok("promo_code"):
            steps.append(("promo_code", _norm_code(r.get("promo_code")), c.by_promo, "优惠码 promo code"))
        if ok("utm_campaign"):
            steps.append(("utm_campaign", _norm_code(r.get("utm_campaign")), c.by_utm, "UTM"))
        for how, keys, table, label in steps:
            if not keys:
                continue
            cands = sorted({i for k in keys for i in table.get(k, [])}, key=order.__getitem__)
            tried.append(f"{label} {', '.join(keys)}")
            if not cands:
                continue
            pick = _pick_by_date(cands, when, c)
            if pick is None:
                ambiguous.append((pos, cands, f"{label} 对应多个合作 matches several collaborations"))
            else:
                assigned.append((pos, pick, how))
            decided = True
            break
        if decided:
            continue
        ck = r.get("creator_key")
        if ck and ok("handle") and r.get("kind") != "orders":
            cands = c.by_creator.get(ck, [])
            if r.get("post_key"):
                cands = [i for i in cands if not c.has_post[i]]
            tried.append(f"达人 creator {ck}")
            if cands:
                pick, why, undecided = _nearest(cands, when, c)
                if pick is not None:
                    dist = abs((c.date[pick] - when).total_seconds()) if when and c.date[pick] else 0.0
                    by_handle[pick].append((dist, pos))
                    continue
                if undecided:
                    ambiguous.append((pos, cands, why))
                else:
                    unmatched.append((pos, why))
                continue
            if known_creators is not None and ck not in known_creators:
                unmatched.append((pos, f"未找到合作 no collaboration matches ({'; '.join(tried)}); 达人不在档案库 creator not in the archive"))
                continue
        reason = f"未找到合作 no collaboration matches ({'; '.join(tried)})" if tried else "没有可匹配的信息 the row has no link, ID, code, UTM or handle to match"
        unmatched.append((pos, reason))
    for collab, hits in by_handle.items():
        hits.sort()
        best = records[hits[0][1]].get("post_key") or hits[0][1]
        for _, pos in hits:  # the nearest post wins, in every export that lists it
            if (records[pos].get("post_key") or pos) == best:
                assigned.append((pos, collab, "handle"))
            else:
                unmatched.append((pos, "同一达人的另一条内容更接近合作日期 another post by this creator is nearer the collaboration's date"))
    result = _result(records, rows, collaborations_df, assigned, unmatched, ambiguous)
    result.unattributed = rows.iloc[unattributed].reset_index(drop=True)
    return result


def _nan(v: Any) -> bool:
    return v is None or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """``rows.to_dict("records")`` with every missing value as None, built column by column
    (one list per column, then zipped: a per-row dict comprehension over 50 000 rows costs seconds)."""
    nat = pd.NaT
    columns = []
    for k in range(rows.shape[1]):
        col = rows.iloc[:, k]
        values = col.tolist()
        if col.dtype == object or isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
            values = [_native(v) if isinstance(v, np.generic) or v is pd.NA else v for v in values]
        columns.append([None if v is None or v is nat or (isinstance(v, float) and v != v) else v for v in values])
    keys = list(rows.columns)
    return [dict(zip(keys, values)) for values in zip(*columns)]


def _native(v: Any) -> Any:
    """A numpy scalar as the Python value ``to_dict`` gives (pd.NA as None)."""
    if v is pd.NA:
        return None
    if isinstance(v, np.datetime64):
        return pd.Timestamp(v)
    if isinstance(v, np.timedelta64):
        return pd.Timedelta(v)
    return v.item()


def _creator_keys(creators_df: pd.DataFrame | None) -> set[str] | None:
    if creators_df is None:
        return None
    keys = set()
    get = lambda col: creators_df[col] if col in creators_df else [None] * len(creators_df)  # noqa: E731
    for key, plat, handle, url in zip(get("creator_key"), get("platform"), get("handle"), get("profile_url")):
        for k in (_collab_key(plat, key), _collab_key(plat, handle), _collab_key(None, url)):
            if k:
                keys.add(k)
    return keys


def _source(r: dict) -> str:
    return f"{r['source_file']} 第{r['source_row']}行 row {r['source_row']}"


def _result(records: list[dict], rows: pd.DataFrame, collabs: pd.DataFrame, assigned, unmatched, ambiguous) -> MatchResult:
    sheet_cols = set(load_schema().sheet("collaborations").keys)
    metrics = [m for m in POST_METRICS if m in sheet_cols]
    problems: list[Problem] = []
    per_collab: dict[Any, list[tuple[dict, str]]] = defaultdict(list)
    for pos, collab, how in assigned:
        per_collab[collab].append((records[pos], how))
    new_values: dict[Any, dict[str, tuple[Any, str]]] = {}
    matched_by: dict[Any, str] = {}
    for collab, hits in per_collab.items():
        vals: dict[str, tuple[Any, str]] = {}
        posts = sorted((h for h in hits if h[0].get("kind") != "orders"), key=lambda h: (h[0]["as_of"], h[0]["source_file"]))
        orders = [h for h in hits if h[0].get("kind") == "orders"]
        for r, _ in posts:  # later exports overwrite earlier ones, metric by metric
            for m in metrics:
                v = r.get(m)
                if v is not None and not (isinstance(v, float) and math.isnan(v)):
                    vals[m] = (float(v), _source(r))
                    if m == "gmv" and r.get("gmv_currency"):
                        vals["gmv_currency"] = (r["gmv_currency"], _source(r))
            if r.get("post_url"):
                vals.setdefault("post_url", (r["post_url"], _source(r)))
            if r.get("published_at") is not None and not pd.isna(r.get("published_at")):
                vals.setdefault("publish_date", (pd.Timestamp(r["published_at"]).date(), _source(r)))
        if orders:
            _add_orders(collab, collabs, orders, vals, problems)
        new_values[collab] = vals
        matched_by[collab] = ",".join(sorted({how for _, how in hits}))
    changes = []
    position = {idx: n for n, idx in enumerate(collabs.index)}
    current = {col: collabs[col].tolist() for col in collabs.columns if col in sheet_cols}
    ids = collabs["collab_id"].tolist() if "collab_id" in collabs else list(collabs.index)
    for collab, vals in new_values.items():
        at = position[collab]
        for col, (new, src) in vals.items():
            if col not in sheet_cols:
                continue
            old = current[col][at] if col in current else None
            if col in FILL_IF_EMPTY and not is_no_data(old):
                continue
            if _same(old, new):
                continue
            changes.append({"collab": collab, "collab_id": ids[at], "column": col, "old": old, "new": new,
                            "source": src, "matched_by": matched_by[collab]})
    changes_df = pd.DataFrame(changes, columns=["collab", "collab_id", "column", "old", "new", "source", "matched_by"])
    updates = _wide(changes_df, collabs)
    matched_rows = rows.iloc[[p for p, _, _ in assigned]].assign(collab=[k for _, k, _ in assigned], matched_by=[h for _, _, h in assigned])
    um = rows.iloc[[p for p, _ in unmatched]].assign(reason=[w for _, w in unmatched])
    amb = rows.iloc[[p for p, _, _ in ambiguous]].assign(
        candidates=[", ".join(str(collabs.at[i, "collab_id"]) if "collab_id" in collabs else str(i) for i in cands) for _, cands, _ in ambiguous],
        reason=[w for _, _, w in ambiguous])
    fol = rows[rows["followers"].notna()] if "followers" in rows else rows.iloc[0:0]
    followers = pd.DataFrame({
        "creator_key": fol.get("creator_key"), "date": pd.to_datetime(fol.get("as_of")).dt.date if len(fol) else [],
        "followers": fol.get("followers"), "source": fol.get("source_file"),
    }).dropna(subset=["creator_key"]).drop_duplicates(["creator_key", "date"], keep="last") if len(fol) else pd.DataFrame(columns=["creator_key", "date", "followers", "source"])
    return MatchResult(updates, changes_df, um.reset_index(drop=True), amb.reset_index(drop=True), matched_rows.reset_index(drop=True), followers, problems)


def _add_orders(collab, collabs, orders, vals, problems) -> None:
    """Sums shop orders onto what the post exports said (TikTok Shop sales and web-shop sales add up)."""
    n = sum(float(r.get("orders") or 0) for r, _ in orders)
    by_cur: dict[str | None, float] = defaultdict(float)
    for r, _ in orders:
        g = r.get("gmv")
        if g is not None and not (isinstance(g, float) and math.isnan(g)):
            by_cur[r.get("gmv_currency")] += float(g)
    files = sorted({r["source_file"] for r, _ in orders})
    counted = sum(1 for r, _ in orders if r.get("counted"))
    src = f"{', '.join(files)}: {counted} 笔订单 orders counted of {len(orders)}"
    post_orders = vals.get("orders", (0.0, ""))[0]
    vals["orders"] = (post_orders + n, src if not post_orders else vals["orders"][1] + " + " + src)
    currencies = {c for c in by_cur if c} | ({vals["gmv_currency"][0]} if "gmv_currency" in vals else set())
    cid = collabs.at[collab, "collab_id"] if "collab_id" in collabs else collab
    if len(currencies) > 1:
        problems.append(Problem("合作 Collaborations", None, "成交额 GMV",
                                f"{cid}: 订单币种不一致 orders in several currencies ({', '.join(sorted(currencies))}); GMV not updated"))
        vals.pop("gmv", None)
        vals.pop("gmv_currency", None)
        return
    post_gmv = vals.get("gmv", (0.0, ""))[0]
    vals["gmv"] = (post_gmv + sum(by_cur.values()), src if not post_gmv else vals["gmv"][1] + " + " + src)
    if currencies:
        vals["gmv_currency"] = (currencies.pop(), src)


def _same(old: Any, new: Any) -> bool:
    if is_no_data(old):
        return False
    if isinstance(new, float):
        try:
            o = parse_number(old)
        except CellError:
            return False
        return not math.isnan(o) and abs(o - new) < 1e-6
    if isinstance(new, dt.date):
        return _date(old) is not None and _date(old).date() == new
    return str(old).strip().casefold() == str(new).strip().casefold()


def _wide(changes: pd.DataFrame, collabs: pd.DataFrame) -> pd.DataFrame:
    if changes.empty:
        return pd.DataFrame(columns=["matched_by", "source"], index=collabs.index[:0])
    present = set(changes["column"].tolist())
    cols = [c for c in load_schema().sheet("collaborations").keys if c in present]
    wide = changes.pivot(index="collab", columns="column", values="new").reindex(columns=cols)
    wide = wide.astype(object).where(wide.notna(), None)
    first: dict[Any, Any] = {}  # per collaboration: the first matched_by, the distinct sources in order
    sources: dict[Any, dict[str, None]] = {}
    for collab, how, src in zip(changes["collab"].tolist(), changes["matched_by"].tolist(), changes["source"].tolist()):
        if not _nan(how):
            first.setdefault(collab, how)
        sources.setdefault(collab, {})[src] = None
    keys = sorted(sources)
    meta = pd.DataFrame({"matched_by": [first.get(k, math.nan) for k in keys],
                         "source": ["; ".join(sources[k]) for k in keys]},
                        index=pd.Index(keys, name="collab", dtype=changes["collab"].dtype))
    out = wide.join(meta)
    out = out.reindex(collabs.index[collabs.index.isin(out.index)])
    out.index.name = collabs.index.name
    return out
