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
order file (each order once). Only cells whose value changes are returned (:mod:`.changes`).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .changes import changes, checked_values, fills, matched_by, wide
from .collabs import Collabs, collab_ids, creator_keys, duplicate_ids, index_collabs, norm_code
from .guesses import decisions_of, proposal_frame, settle_guesses
from .ledger import entries_from, merge_ledger, totals
from .problems import Problem

__all__ = ["HANDLE_WINDOW_DAYS", "MatchResult", "checked_values", "match_exports"]

HANDLE_WINDOW_DAYS = 14


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


#: the export-row fields the matching loop reads (the proposals read a row's other fields too)
_LOOP_COLUMNS = ("kind", "match_by", "post_key", "promo_code", "utm_campaign", "creator_key")
_RECORD_COLUMNS = _LOOP_COLUMNS + ("published_at", "row_id", "post_url", "title", "views", "source_file", "source_row")


class ExportRows:
    """The fields the matching loop reads, one list per column with every missing value as None (a
    dict per row cost seconds and 130 MB at 200 000 rows); ``record(pos)`` gives one row as a dict."""

    def __init__(self, rows: pd.DataFrame) -> None:
        self.frame, self.n = rows, len(rows)
        self.columns = {k: _values(rows[k]) if k in rows else [None] * self.n for k in _LOOP_COLUMNS}
        self.post_key = self.columns["post_key"]

    @cached_property
    def when(self) -> list[Any]:
        """Each row's publish time (read when a row is first matched by more than its post)."""
        return _python_times(self.frame["published_at"]) if "published_at" in self.frame else [None] * self.n

    def record(self, pos: int) -> dict[str, Any]:
        part = self.frame.iloc[pos:pos + 1]
        return {k: _values(part[k])[0] if k in part else None for k in _RECORD_COLUMNS}


def _python_times(col: pd.Series) -> list[Any]:
    """Each row's time as a Python datetime or None, converted once per distinct time."""
    codes, uniques = pd.factorize(pd.to_datetime(col))
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = [pd.Timestamp(t).to_pydatetime() for t in uniques]
    table[-1] = None  # code -1: no time
    return table[codes].tolist()


def _values(col: pd.Series) -> list[Any]:
    """A column as Python values, as ``to_dict("records")`` gives them, with None for NaN/NaT/NA."""
    values = col.tolist()
    if col.dtype == object and set(map(type, values)) <= {str, type(None)}:
        return values  # text: nothing to convert
    if col.dtype == object or isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
        values = [_native(v) if isinstance(v, np.generic) or v is pd.NA else v for v in values]
    nat = pd.NaT
    return [None if v is None or v is nat or (isinstance(v, float) and v != v) else v for v in values]


def _native(v: Any) -> Any:
    """A numpy scalar as the Python value ``to_dict`` gives (pd.NA as None)."""
    if v is pd.NA:
        return None
    if isinstance(v, np.datetime64):
        return pd.Timestamp(v)
    if isinstance(v, np.timedelta64):
        return pd.Timedelta(v)
    return v.item()


def match_exports(batch: Any, collaborations_df: pd.DataFrame, creators_df: pd.DataFrame | None = None, *,
                  ledger: pd.DataFrame | None = None, decisions: Any = None,
                  ledger_ready: Callable[[pd.DataFrame], None] | None = None) -> MatchResult:
    """Matches ``batch.rows`` (from :func:`read_exports`) to collaborations; returns the changes.

    ``ledger``: the workbook's import ledger (:mod:`.ledger`); the matched rows are folded into it and
    the metrics written are its totals. ``decisions``: a person's answers to guessed matches (the
    Matches to confirm sheet, or ``{(item_id, collab_id): "accept" | "reject"}``); a match by handle
    and date alone is only proposed until accepted. ``ledger_ready``: called with the new ledger as
    soon as it is final, before the totals and cell changes are worked out (a refresh hands the
    ledger's sheet to its writer then, whose second process patches it meanwhile).
    """
    rows = _newest_first_once(batch.rows if hasattr(batch, "rows") else batch)
    c = index_collabs(collaborations_df)
    view = ExportRows(rows)
    out = _Outcome()
    _match_rows(view, c, None if creators_df is None else _KnownCreators(creators_df), out)
    proposals = settle_guesses(out.by_handle, view, collaborations_df, decisions_of(decisions), out.assigned,
                               out.unmatched)
    result = _result(rows, collaborations_df, out, ledger, ledger_ready)
    result.unattributed = rows.iloc[out.unattributed].reset_index(drop=True)
    result.proposals = proposal_frame(proposals, view, collaborations_df, c)
    return result


def _newest_first_once(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows in (export date, file, row) order, each row id once (the newest export's): a copy
    only when that changes anything (a 200 000-row frame is 100 MB)."""
    keys = ["as_of", "source_file", "source_row"]
    if rows[keys].isna().to_numpy().any():
        return rows.sort_values(keys, kind="stable").drop_duplicates("row_id", keep="last")
    files = pd.factorize(rows["source_file"], sort=True)[0]
    order = np.lexsort((rows["source_row"].to_numpy(), files, pd.to_datetime(rows["as_of"]).to_numpy()))
    keep = order[~rows["row_id"].take(order).duplicated(keep="last").to_numpy()]
    if len(keep) == len(rows) and (keep == np.arange(len(rows))).all():
        return rows
    return rows.take(keep)


class _KnownCreators:
    """Every key the creators sheet knows a creator by (:func:`creator_keys`), read when a row first
    asks: only rows that match no collaboration do (10 000 creators' keys are 20 000 handles read)."""

    def __init__(self, creators: pd.DataFrame) -> None:
        self.creators = creators
        self.keys: set[str] | None = None

    def __contains__(self, key: object) -> bool:
        keys = self.keys
        if keys is None:
            keys = self.keys = creator_keys(self.creators) or set()
        return key in keys


@dataclass
class _Outcome:
    """Where each export row went, by its position in the rows."""

    assigned: list[tuple[int, Any, str]] = field(default_factory=list)  # (row, collab, matched_by)
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)
    unattributed: list[int] = field(default_factory=list)  # shop orders without promo code or UTM: organic
    ambiguous: list[tuple[int, list[Any], str]] = field(default_factory=list)  # (row, candidates, reason)
    by_handle: dict[Any, list[tuple[float, int]]] = field(default_factory=lambda: defaultdict(list))


def _match_rows(rows: ExportRows, c: Collabs, known_creators: _KnownCreators | None, out: _Outcome) -> None:
    """Each row through the precedence: exact keys first, then the creator's nearest collaboration. A
    post whose key names one collaboration (most rows of a next-day export) is settled at once."""
    kinds, match_by = rows.columns["kind"], rows.columns["match_by"]
    promos, utms = rows.columns["promo_code"], rows.columns["utm_campaign"]
    allowed_by: dict[Any, set[str] | None] = {}
    for how in dict.fromkeys(match_by):
        allowed_by[how] = set(how.split(",")) if isinstance(how, str) and how else None
    by_post = {how: a is None or "post_url" in a or "video_id" in a for how, a in allowed_by.items()}
    for pos, (kind, how, pk) in enumerate(zip(kinds, match_by, rows.post_key)):
        if kind == "orders" and not promos[pos] and not utms[pos]:
            out.unattributed.append(pos)
            continue
        if pk and by_post[how] and (found := c.by_post.get(pk)) is not None and len(found) == 1:
            out.assigned.append((pos, found[0], "post"))
            continue
        allowed, when = allowed_by[how], rows.when[pos]
        tried: list[str] = []
        if not _match_exact(pos, rows, when, allowed, c, out, tried):
            _match_creator(pos, rows, when, allowed, c, known_creators, out, tried)


def _match_exact(pos: int, rows: ExportRows, when: Any, allowed: set[str] | None, c: Collabs, out: _Outcome,
                 tried: list[str]) -> bool:
    """Post link or id, then promo code, then UTM campaign; True when the row is settled."""
    def ok(key: str) -> bool:
        return allowed is None or key in allowed

    pk = rows.post_key[pos]
    steps: list[tuple[str, tuple[str, ...], dict[str, list[Any]], str]] = []
    if ok("post_url") or ok("video_id"):
        steps.append(("post", (pk,) if pk else (), c.by_post, "链接 post URL/ID"))
    if ok("promo_code"):
        steps.append(("promo_code", norm_code(rows.columns["promo_code"][pos]), c.by_promo, "优惠码 promo code"))
    if ok("utm_campaign"):
        steps.append(("utm_campaign", norm_code(rows.columns["utm_campaign"][pos]), c.by_utm, "UTM"))
    for how, keys, table, label in steps:
        if not keys:
            continue
        tried.append(f"{label} {', '.join(keys)}")
        found = [i for k in keys for i in table.get(k, ())]
        if not found:
            continue
        cands = found if len(found) == 1 else sorted(set(found), key=c.order.__getitem__)
        pick = _pick_by_date(cands, when, c)
        if pick is None:
            out.ambiguous.append((pos, cands, f"{label} 对应多个合作 matches several collaborations"))
        else:
            out.assigned.append((pos, pick, how))
        return True
    return False


def _pick_by_date(cands: list[Any], when: Any, c: Collabs) -> Any | None:
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


def _nearest(cands: list[Any], when: Any, c: Collabs) -> tuple[Any | None, str, bool]:
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


def _match_creator(pos: int, rows: ExportRows, when: Any, allowed: set[str] | None, c: Collabs,
                   known_creators: _KnownCreators | None, out: _Outcome, tried: list[str]) -> None:
    """The creator's collaboration dated nearest the post (a guess, settled later), or why none."""
    ck = rows.columns["creator_key"][pos]
    if ck and (allowed is None or "handle" in allowed) and rows.columns["kind"][pos] != "orders":
        cands = c.by_creator.get(ck, [])
        if rows.post_key[pos]:
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


def _result(rows: pd.DataFrame, collabs: pd.DataFrame, out: _Outcome, ledger: pd.DataFrame | None,
            ledger_ready: Callable[[pd.DataFrame], None] | None) -> MatchResult:
    ids = collab_ids(collabs)
    assigned = out.assigned
    matched_rows = rows.iloc[[p for p, _, _ in assigned]].assign(collab=[k for _, k, _ in assigned],
                                                                 matched_by=[h for _, _, h in assigned])
    matched_rows, rejected = checked_values(matched_rows.reset_index(drop=True), collabs)
    new_ledger, order_changes = merge_ledger(ledger, entries_from(matched_rows, ids))
    if ledger_ready is not None:
        ledger_ready(new_ledger)
    sums = totals(new_ledger, normalised=True)
    dups, problems = duplicate_ids(collabs, ids)
    problems += sums.problems
    changes_df = changes(collabs, ids, sums.values, fills(matched_rows, collabs), matched_by(matched_rows), dups)
    um = rows.iloc[[p for p, _ in out.unmatched]].assign(reason=[w for _, w in out.unmatched])
    amb = rows.iloc[[p for p, _, _ in out.ambiguous]].assign(
        candidates=[", ".join(str(ids[i]) for i in cands) for _, cands, _ in out.ambiguous],
        reason=[w for _, _, w in out.ambiguous])
    result = MatchResult(wide(changes_df, collabs), changes_df, um.reset_index(drop=True), amb.reset_index(drop=True),
                         matched_rows, _followers(rows), problems)
    result.ledger, result.ledger_changes, result.rejected = new_ledger, order_changes, rejected
    return result


def _followers(rows: pd.DataFrame) -> pd.DataFrame:
    """creator_key, date, followers, source: the follower counts exports carry, for the snapshots sheet."""
    wanted = [c for c in ("creator_key", "as_of", "followers", "source_file") if c in rows]
    fol = rows.loc[rows["followers"].notna().to_numpy(), wanted] if "followers" in rows else rows.iloc[0:0]
    if not len(fol):
        return pd.DataFrame(columns=["creator_key", "date", "followers", "source"])
    return pd.DataFrame({
        "creator_key": fol.get("creator_key"), "date": pd.to_datetime(fol.get("as_of")).dt.date,
        "followers": fol.get("followers"), "source": fol.get("source_file"),
    }).dropna(subset=["creator_key"]).drop_duplicates(["creator_key", "date"], keep="last")
