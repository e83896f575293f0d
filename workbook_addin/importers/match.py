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
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..core.cells import CellError, is_no_data, parse_date, parse_number
from ..core.keys import platform_from_url, try_creator_key
from ..core.schema import load_schema
from .ledger import entries_from, merge_ledger, totals
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
    #: the import ledger with this run's rows folded in (:mod:`.ledger`); metrics are its totals
    ledger: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: orders a newer export changed (refunds, cancellations): source, item_id, collab_id, column, old, new, file
    ledger_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: matches guessed from handle and date, waiting for a person (the Matches to confirm sheet's rows)
    proposals: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: export values not written because they break the column's rules: file, row, kind, column, value, reason
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class _Collabs:
    """Lookup tables over the collaborations sheet."""

    by_post: dict[str, list[Any]]
    by_promo: dict[str, list[Any]]
    by_utm: dict[str, list[Any]]
    by_creator: dict[str, list[Any]]
    has_post: dict[Any, bool]
    date: dict[Any, dt.datetime | None]
    order: dict[Any, int] = field(default_factory=dict)  # index label -> position in the sheet


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


def _date(value: Any, cache: dict[Any, dt.datetime | None] | None = None) -> dt.datetime | None:
    """A collaboration's date cell read; ``cache``: the sheet repeats a few dozen dates 50 000 times."""
    key = value if isinstance(value, (str, dt.date)) else None
    if cache is not None and key is not None and key in cache:
        return cache[key]
    try:
        d = parse_date(value) if not is_no_data(value) else None
    except CellError:
        d = None
    if cache is not None and key is not None:
        cache[key] = d
    return d


def _index_collabs(collabs: pd.DataFrame) -> _Collabs:
    def get(col: str) -> pd.Series:
        return collabs[col] if col in collabs else pd.Series([None] * len(collabs), index=collabs.index)

    c = _Collabs(defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list), {}, {})
    seen: dict[Any, dt.datetime | None] = {}
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
        c.date[idx] = _date(pub, seen) or _date(promised, seen)
    return c


def _pick_by_date(cands: list[Any], when: Any, c: _Collabs) -> Any | None:
    """Among collaborations sharing a key: the latest dated on or before ``when``; None if undecided."""
    if len(cands) == 1:
        return cands[0]
    if when is None or pd.isna(when):
        return None
    before = [(d, i) for i in cands if (d := c.date[i]) is not None and d <= when]
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
        return None, (f"发布时间与该达人的合作日期相差超过 {HANDLE_WINDOW_DAYS} 天 published more than "
                      f"{HANDLE_WINDOW_DAYS} days from any of the creator's collaborations"), False
    if len(dated) > 1 and dated[0][0] == dated[1][0]:
        return None, "两个合作日期同样接近 two collaborations are equally near", True
    return dated[0][1], "", False


def match_exports(batch: Any, collaborations_df: pd.DataFrame, creators_df: pd.DataFrame | None = None, *,
                  ledger: pd.DataFrame | None = None, decisions: Any = None) -> MatchResult:
    """Matches ``batch.rows`` (from :func:`read_exports`) to collaborations; returns the changes.

    ``ledger``: the workbook's import ledger (:mod:`.ledger`); the matched rows are folded into it and
    the metrics written are its totals. ``decisions``: a person's answers to guessed matches (the
    Matches to confirm sheet, or ``{(item_id, collab_id): "accept" | "reject"}``); a match by handle
    and date alone is only proposed until accepted.
    """
    rows = batch.rows if hasattr(batch, "rows") else batch
    rows = rows.sort_values(["as_of", "source_file", "source_row"],
                            kind="stable").drop_duplicates("row_id", keep="last")
    c = _index_collabs(collaborations_df)
    c.order = {idx: n for n, idx in enumerate(collaborations_df.index)}
    known_creators = _creator_keys(creators_df)
    out = _Outcome()
    records = _records(rows[[k for k in _RECORD_COLUMNS if k in rows]])  # the columns matching reads
    for pos, r in enumerate(records):
        if r.get("kind") == "orders" and not r.get("promo_code") and not r.get("utm_campaign"):
            out.unattributed.append(pos)
            continue
        allowed = set(r["match_by"].split(",")) if isinstance(r.get("match_by"), str) and r["match_by"] else None
        when = r.get("published_at")
        when = None if when is None or pd.isna(when) else pd.Timestamp(when).to_pydatetime()
        tried: list[str] = []
        if not _match_exact(pos, r, when, allowed, c, out, tried):
            _match_creator(pos, r, when, allowed, c, known_creators, out, tried)
    proposals = _settle_guesses(out.by_handle, records, collaborations_df, c, _decisions(decisions), out.assigned,
                                out.unmatched)
    result = _result(rows, collaborations_df, out.assigned, out.unmatched, out.ambiguous, ledger)
    result.unattributed = rows.iloc[out.unattributed].reset_index(drop=True)
    result.proposals = _proposal_frame(proposals, records, collaborations_df, c)
    return result


#: the export-row fields the matching loop and the proposals read (a dict per row: keep it small)
_RECORD_COLUMNS = ("kind", "match_by", "post_key", "promo_code", "utm_campaign", "creator_key", "published_at",
                   "row_id", "post_url", "title", "views", "source_file", "source_row")


@dataclass
class _Outcome:
    """Where each export row went, by its position in the records."""

    assigned: list[tuple[int, Any, str]] = field(default_factory=list)  # (row, collab, matched_by)
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)
    unattributed: list[int] = field(default_factory=list)  # shop orders without promo code or UTM: organic
    ambiguous: list[tuple[int, list[Any], str]] = field(default_factory=list)  # (row, candidates, reason)
    by_handle: dict[Any, list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))


def _match_exact(pos: int, r: dict, when: Any, allowed: set[str] | None, c: _Collabs, out: _Outcome,
                 tried: list[str]) -> bool:
    """Post link or id, then promo code, then UTM campaign; True when the row is settled."""
    def ok(key: str) -> bool:
        return allowed is None or key in allowed

    steps: list[tuple[str, list[Any], dict[str, list[Any]], str]] = []
    if ok("post_url") or ok("video_id"):
        steps.append(("post", [r.get("post_key")] if r.get("post_key") else [], c.by_post, "链接 post URL/ID"))
    if ok("promo_code"):
        steps.append(("promo_code", _norm_code(r.get("promo_code")), c.by_promo, "优惠码 promo code"))
    if ok("utm_campaign"):
        steps.append(("utm_campaign", _norm_code(r.get("utm_campaign")), c.by_utm, "UTM"))
    for how, keys, table, label in steps:
        if not keys:
            continue
        cands = sorted({i for k in keys for i in table.get(k, [])}, key=c.order.__getitem__)
        tried.append(f"{label} {', '.join(keys)}")
        if not cands:
            continue
        pick = _pick_by_date(cands, when, c)
        if pick is None:
            out.ambiguous.append((pos, cands, f"{label} 对应多个合作 matches several collaborations"))
        else:
            out.assigned.append((pos, pick, how))
        return True
    return False


def _match_creator(pos: int, r: dict, when: Any, allowed: set[str] | None, c: _Collabs,
                   known_creators: set[str] | None, out: _Outcome, tried: list[str]) -> None:
    """The creator's collaboration dated nearest the post (a guess, settled later), or why none."""
    ck = r.get("creator_key")
    if ck and (allowed is None or "handle" in allowed) and r.get("kind") != "orders":
        cands = c.by_creator.get(ck, [])
        if r.get("post_key"):
            cands = [i for i in cands if not c.has_post[i]]
        tried.append(f"达人 creator {ck}")
        if cands:
            pick, why, undecided = _nearest(cands, when, c)
            if pick is not None:
                dist = abs((c.date[pick] - when).total_seconds()) if when and c.date[pick] else 0.0
                out.by_handle[pick].append((dist, pos))
            elif undecided:
                out.ambiguous.append((pos, cands, why))
            else:
                out.unmatched.append((pos, why))
            return
        if known_creators is not None and ck not in known_creators:
            out.unmatched.append((pos, f"未找到合作 no collaboration matches ({'; '.join(tried)}); "
                                       "达人不在档案库 creator not in the archive"))
            return
    reason = (f"未找到合作 no collaboration matches ({'; '.join(tried)})" if tried
              else "没有可匹配的信息 the row has no link, ID, code, UTM or handle to match")
    out.unmatched.append((pos, reason))


def _decisions(decisions: Any) -> dict[tuple[str, str], str]:
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


def _item_id(r: dict) -> str:
    """What identifies an export row's post across exports: its post key, else its row id."""
    return str(r.get("post_key") or r["row_id"])


def _settle_guesses(by_handle, records, collabs, c: _Collabs, decisions, assigned, unmatched) -> list[tuple[int, Any]]:
    """Handle-and-date matches: accepted ones are assigned, rejected ones reported, the rest proposed."""
    ids = collabs["collab_id"] if "collab_id" in collabs else pd.Series(collabs.index.astype(str), index=collabs.index)
    proposals = []
    for collab, hits in by_handle.items():
        hits.sort()
        best = records[hits[0][1]].get("post_key") or hits[0][1]
        for _, pos in hits:  # the nearest post wins, in every export that lists it
            if (records[pos].get("post_key") or pos) != best:
                unmatched.append((pos, "同一达人的另一条内容更接近合作日期 another post by this creator is nearer the "
                                       "collaboration's "
                                       "date"))
                continue
            choice = decisions.get((_item_id(records[pos]), str(ids[collab])))
            if choice == "accept":
                assigned.append((pos, collab, "handle"))
            elif choice == "reject":
                unmatched.append((pos, f"已拒绝的猜测匹配 a person rejected this guessed match with {ids[collab]}"))
            else:
                proposals.append((pos, collab))
    return proposals


def _proposal_frame(proposals, records, collabs, c: _Collabs) -> pd.DataFrame:
    """The Matches to confirm rows: both sides of each guess and why it was made."""
    cols = list(load_schema().sheet("confirm").keys)
    out = []
    for pos, collab in proposals:
        r = records[pos]
        when, day = r.get("published_at"), c.date.get(collab)
        apart = (abs((pd.Timestamp(when).normalize() - pd.Timestamp(day)).days) if when is not None and day is not None
                 else None)
        out.append({
            "decision": None, "collab_id": collabs.at[collab, "collab_id"] if "collab_id" in collabs else str(collab),
            "creator_key": r.get("creator_key"), "collab_date": day.date() if day is not None else None,
            "post_url": r.get("post_url"), "title": r.get("title"),
            "published_at": pd.Timestamp(when).date() if when is not None else None, "views": r.get("views"),
            "source": _source(r), "item_id": _item_id(r),
            "reason": ("仅凭达人账号和日期猜测 guessed from creator handle and date only"
                       + (f": 相差 {apart} 天 {apart} days apart" if apart is not None else "")
                       + "; 接受后写入 written once accepted"),
        })
    return pd.DataFrame(out, columns=cols).drop_duplicates(["item_id", "collab_id"], keep="last").reset_index(drop=True)


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


def _collab_ids(collabs: pd.DataFrame) -> pd.Series:
    """Collab ID per index label, as text (the index itself for frames without the column)."""
    if "collab_id" in collabs:
        return collabs["collab_id"].map(lambda v: None if is_no_data(v) else str(v).strip()).astype(object)
    return pd.Series([str(i) for i in collabs.index], index=collabs.index, dtype=object)


def duplicate_ids(collabs: pd.DataFrame) -> tuple[set[str], list[Problem]]:
    """Collab IDs used on several rows: none of them gets export metrics (which one is meant?)."""
    ids = _collab_ids(collabs)
    rows = collabs.index if collabs.index.name == "excel_row" else pd.RangeIndex(2, len(collabs) + 2)
    dup = ids.notna().to_numpy() & ids.duplicated(keep=False).to_numpy()
    problems: list[Problem] = []
    seen: dict[str, list[str]] = {}
    for cid, row in zip(ids[dup], rows[dup]):
        seen.setdefault(cid, []).append(str(row))
    for cid, at in seen.items():
        problems.append(Problem("合作 Collaborations", int(at[0]), "合作编号 Collab ID",
                                f"合作编号重复 Collab ID {cid} is on rows {', '.join(at)}: 导出数据未写入 export "
                                "metrics not "
                                "written to these rows", cid))
    return set(seen), problems


def _result(rows: pd.DataFrame, collabs: pd.DataFrame, assigned, unmatched, ambiguous,
            ledger: pd.DataFrame | None) -> MatchResult:
    ids = _collab_ids(collabs)
    matched_rows = rows.iloc[[p for p, _, _ in assigned]].assign(collab=[k for _, k, _ in assigned],
                                                                 matched_by=[h for _, _, h in assigned])
    matched_rows, rejected = checked_values(matched_rows.reset_index(drop=True), collabs)
    new_ledger, order_changes = merge_ledger(ledger, entries_from(matched_rows, ids))
    sums = totals(new_ledger)
    dups, problems = duplicate_ids(collabs)
    problems += sums.problems
    changes_df = _changes(collabs, ids, sums.values, _fills(matched_rows), _matched_by(matched_rows), dups)
    um = rows.iloc[[p for p, _ in unmatched]].assign(reason=[w for _, w in unmatched])
    amb = rows.iloc[[p for p, _, _ in ambiguous]].assign(
        candidates=[", ".join(str(ids[i]) for i in cands) for _, cands, _ in ambiguous],
        reason=[w for _, _, w in ambiguous])
    result = MatchResult(_wide(changes_df, collabs), changes_df, um.reset_index(drop=True), amb.reset_index(drop=True),
                         matched_rows, _followers(rows), problems)
    result.ledger, result.ledger_changes, result.rejected = new_ledger, order_changes, rejected
    return result


def _followers(rows: pd.DataFrame) -> pd.DataFrame:
    """creator_key, date, followers, source: the follower counts exports carry, for the snapshots sheet."""
    fol = rows[rows["followers"].notna()] if "followers" in rows else rows.iloc[0:0]
    if not len(fol):
        return pd.DataFrame(columns=["creator_key", "date", "followers", "source"])
    return pd.DataFrame({
        "creator_key": fol.get("creator_key"), "date": pd.to_datetime(fol.get("as_of")).dt.date,
        "followers": fol.get("followers"), "source": fol.get("source_file"),
    }).dropna(subset=["creator_key"]).drop_duplicates(["creator_key", "date"], keep="last")


def checked_values(matched: pd.DataFrame, collabs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Export text held to the rules typed text meets before it is written: a post URL must parse and
    be on the collaboration's platform, a currency must be a known code. A rejected value is blanked
    (its row still counts) and listed with file, row and column; it is never written."""
    labels = {c.key: c.header for c in load_schema().sheet("collaborations").columns}
    known = set(load_schema().enums["currency"].codes)
    platforms = (collabs["platform"].reindex(matched["collab"]).tolist() if "platform" in collabs
                 else [None] * len(matched))
    rejected = []
    urls = matched["post_url"].tolist()
    bad_url = [False] * len(matched)
    for i, (url, plat) in enumerate(zip(urls, platforms)):
        if url is not None and (why := _url_problem(url, None if is_no_data(plat) else str(plat))):
            bad_url[i] = True
            rejected.append((i, "post_url", url, why))
    cur = matched["gmv_currency"].tolist()
    bad_cur = [c is not None and str(c).strip().upper() not in known for c in cur]
    for i in [i for i, b in enumerate(bad_cur) if b]:
        rejected.append((i, "gmv_currency", cur[i],
                         f"未知币种 unknown currency code; use one of {', '.join(sorted(known))}; GMV and currency not "
                         "written"))
    out = matched.copy()
    if any(bad_url):
        out["post_url"] = out["post_url"].astype(object).where(~np.array(bad_url), None)
    if any(bad_cur):
        out["gmv"] = out["gmv"].where(~np.array(bad_cur))
        out["gmv_currency"] = out["gmv_currency"].astype(object).where(~np.array(bad_cur), None)
    frame = pd.DataFrame([{"file": matched.at[i, "source_file"], "row": matched.at[i, "source_row"],
                           "kind": "拒绝值 rejected value",
                           "column": labels.get(col, col), "value": value, "reason": why} for i, col, value,
                           why in rejected],
                         columns=["file", "row", "kind", "column", "value", "reason"])
    return out, frame


_SPACE = re.compile(r"\s")
_HOST = re.compile(r"^(?:https?://)?([^/?#\s:@]+\.[^/?#\s:@]+)(?::\d+)?(?:[/?#]|$)", re.I)


def _url_problem(url: Any, platform: str | None) -> str | None:
    """Why ``url`` cannot be a post link of ``platform`` (None: it can)."""
    text = str(url).strip()
    m = _HOST.match(text)
    if m is None or _SPACE.search(text):
        return "不是有效链接 not a valid link"
    return _host_problem(m.group(1).lower(), platform)


@lru_cache(maxsize=1024)
def _host_problem(host: str, platform: str | None) -> str | None:
    """The platform half of :func:`_url_problem`, once per host: exports repeat a handful of hosts."""
    found = platform_from_url(host)
    if found is None:
        return f"链接不属于任何平台 the link is not on TikTok, Instagram or YouTube ({host})"
    if platform and found.casefold() != platform.casefold():
        return f"链接属于 {found}，合作平台是 {platform} the link is on {found}, the collaboration is on {platform}"
    return None


def _matched_by(matched: pd.DataFrame) -> dict[Any, str]:
    """Per collaboration, how its rows were matched ("post", "promo_code,utm_campaign", ...)."""
    ways: dict[Any, set[str]] = {}
    for collab, how in zip(matched["collab"].tolist(), matched["matched_by"].tolist()):
        ways.setdefault(collab, set()).add(how)
    return {k: ",".join(sorted(v)) for k, v in ways.items()}


def _fills(matched: pd.DataFrame) -> dict[Any, dict[str, tuple[Any, str]]]:
    """Post URL and publish date for collaborations whose cells are empty: from the earliest export."""
    out: dict[Any, dict[str, tuple[Any, str]]] = defaultdict(dict)
    posts = matched[matched["kind"] != "orders"].sort_values(["as_of", "source_file"], kind="stable")
    for collab, url, when, file, row in zip(posts["collab"], posts["post_url"], posts["published_at"],
                                            posts["source_file"], posts["source_row"]):
        src = _source({"source_file": file, "source_row": row})
        if url is not None:
            out[collab].setdefault("post_url", (url, src))
        if when is not None and not pd.isna(when):
            out[collab].setdefault("publish_date", (pd.Timestamp(when).date(), src))
    return out


def _changes(collabs: pd.DataFrame, ids: pd.Series, sums: pd.DataFrame, fills, matched_by,
             dups: set[str]) -> pd.DataFrame:
    """One row per collaborations cell the ledger's totals (or an empty URL/date cell) change;
    compared column by column with numpy (50 000 collaborations), per cell only where text must be read."""
    sheet_cols = set(load_schema().sheet("collaborations").keys)
    metrics = [m for m in POST_METRICS if m in sheet_cols and m in sums]
    t = pd.Index(sums.index).get_indexer(ids.tolist())
    t[np.isin(ids.to_numpy(dtype=object), list(dups))] = -1
    has = t >= 0
    labels, cids = collabs.index.tolist(), ids.tolist()
    source = sums["source"].to_numpy(dtype=object) if "source" in sums else np.full(len(sums), "", dtype=object)
    changes = []

    def add(i: Any, col: str, old: Any, new: Any, src: str) -> None:
        changes.append({"collab": labels[i], "collab_id": cids[i], "column": col, "old": old, "new": new,
                        "source": src, "matched_by": matched_by.get(labels[i], "台账 ledger")})

    for m in metrics:
        new = np.full(len(collabs), np.nan)
        new[has] = sums[m].to_numpy(dtype=float)[t[has]]
        old = collabs[m].to_numpy(dtype=object) if m in collabs else np.full(len(collabs), None, dtype=object)
        old_num = pd.to_numeric(pd.Series(old), errors="coerce").to_numpy(dtype=float)
        differ = ~np.isnan(new) & ~(np.abs(old_num - new) < 1e-6)
        for i in np.flatnonzero(differ):  # text such as "38,477" is read as a person typed it
            if not _same(old[i], float(new[i])):
                add(i, m, old[i], float(new[i]), source[t[i]])
    if "gmv_currency" in sheet_cols and "gmv_currency" in sums:
        cur = sums["gmv_currency"].to_numpy(dtype=object)
        old = collabs["gmv_currency"].tolist() if "gmv_currency" in collabs else [None] * len(collabs)
        for i in np.flatnonzero(has):
            new_c = cur[t[i]]
            if isinstance(new_c, str) and not _same(old[i], new_c):
                add(i, "gmv_currency", old[i], new_c, source[t[i]])
    position = {label: i for i, label in enumerate(labels)}
    blank = [None] * len(labels)
    current = {col: collabs[col].tolist() if col in collabs else blank for col in FILL_IF_EMPTY}
    for collab, vals in fills.items():
        at = position[collab]
        for col, (new_v, src) in vals.items():
            if cids[at] not in dups and col in sheet_cols and is_no_data(current[col][at]):
                add(at, col, current[col][at], new_v, src)
    return pd.DataFrame(changes, columns=["collab", "collab_id", "column", "old", "new", "source", "matched_by"])


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
        day = _date(old)
        return day is not None and day.date() == new
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
