"""The collaborations cells an import changes: the ledger's totals and the post link and date a
collaboration lacks, compared with what the sheet holds, after the export text is checked.

Only cells whose value changes are returned; a cell a person typed as text (``"38,477"``) is read
as the one parser reads it before it is called different. Export text meets the rules typed text
meets (:func:`checked_values`): a rejected value is listed and never written.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from ..core.cells import CellError, is_no_data, parse_number
from ..core.keys import platform_from_url
from ..core.schema import load_schema
from .collabs import collab_date, present
from .ledger import floats

#: Post metrics a post export replaces; the collaborations sheet decides which of them exist.
POST_METRICS = ("views", "likes", "comments", "shares", "saves", "clicks", "orders", "gmv")
FILL_IF_EMPTY = ("post_url", "publish_date")
CHANGE_COLUMNS = ["collab", "collab_id", "column", "old", "new", "source", "matched_by"]


def source_of(file: Any, row: Any) -> str:
    """Where an export value came from, as the sheets show it."""
    return f"{file} 第{row}行 row {row}"


def checked_values(matched: pd.DataFrame, collabs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Export text held to the rules typed text meets before it is written: a post URL must parse and
    be on the collaboration's platform, a currency must be a known code. A rejected value is blanked
    (its row still counts) and listed with file, row and column; it is never written."""
    labels = {c.key: c.header for c in load_schema().sheet("collaborations").columns}
    known = set(load_schema().enums["currency"].codes)
    platforms = (collabs["platform"].reindex(matched["collab"]).tolist() if "platform" in collabs
                 else [None] * len(matched))
    rejected = []
    bad_url = np.zeros(len(matched), dtype=bool)
    urls = matched["post_url"].tolist()
    for i, why in enumerate(_url_problems(urls, platforms)):
        if why:
            bad_url[i] = True
            rejected.append((i, "post_url", urls[i], why))
    cur = matched["gmv_currency"].tolist()
    bad_cur = np.array([c is not None and str(c).strip().upper() not in known for c in cur], dtype=bool)
    for at in np.flatnonzero(bad_cur):
        rejected.append((int(at), "gmv_currency", cur[at],
                         f"未知币种 unknown currency code; use one of {', '.join(sorted(known))}; GMV and currency not "
                         "written"))
    out = matched.copy(deep=False)  # copy-on-write: only the columns replaced below are new
    if bad_url.any():
        out["post_url"] = out["post_url"].astype(object).where(~bad_url, None)
    if bad_cur.any():
        out["gmv"] = out["gmv"].where(~bad_cur)
        out["gmv_currency"] = out["gmv_currency"].astype(object).where(~bad_cur, None)
    frame = pd.DataFrame([{"file": matched.at[i, "source_file"], "row": matched.at[i, "source_row"],
                           "kind": "拒绝值 rejected value",
                           "column": labels.get(col, col), "value": value, "reason": why} for i, col, value,
                           why in rejected],
                         columns=["file", "row", "kind", "column", "value", "reason"])
    return out, frame


_SPACE = re.compile(r"\s")
_HOST = re.compile(r"^(?:https?://)?([^/?#\s:@]+\.[^/?#\s:@]+)(?::\d+)?(?:[/?#]|$)", re.I)


#: :data:`_HOST` over a column of links joined by line breaks, one match per line: the host, or
#: nothing when the line is no link or holds a space
_HOST_LINES = re.compile(r"^(?:(?=\S*$)" + _HOST.pattern.removeprefix("^") + r")?[^\n]*$", re.I | re.M)


def _url_problems(urls: list[Any], platforms: list[Any]) -> list[str | None]:
    """:func:`_url_problem` of each link (None for an empty cell) with its collaboration's platform
    cell: the hosts found in one pass over the column, each host and platform judged once."""
    texts = [u.strip() if type(u) is str else "" if u is None else str(u).strip() for u in urls]
    hosts = _HOST_LINES.findall("\n".join(texts)) if texts else []
    if len(hosts) != len(texts):  # a link holding a line break: each on its own
        return [None if u is None else _url_problem(u, _platform(p)) for u, p in zip(urls, platforms)]
    named = {p: _platform(p) for p in dict.fromkeys(platforms)}
    pairs = [(h.lower(), named[p]) for h, p in zip(hosts, platforms)]
    judged = {pair: _host_problem(*pair) if pair[0] else "不是有效链接 not a valid link"
              for pair in dict.fromkeys(pairs)}
    return [None if u is None else judged[pair] for u, pair in zip(urls, pairs)]


def _platform(cell: Any) -> str | None:
    return None if is_no_data(cell) else str(cell)


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


def matched_by(matched: pd.DataFrame) -> dict[Any, str]:
    """Per collaboration, how its rows were matched ("post", "promo_code,utm_campaign", ...): each
    collaboration and way once (a next-day export matches 50 000 rows)."""
    pairs = pd.DataFrame({"collab": matched["collab"].to_numpy(), "how": matched["matched_by"].to_numpy(dtype=object)})
    pairs = pairs.drop_duplicates()
    several = pairs["collab"].duplicated(keep=False).to_numpy()
    out = dict(zip(pairs["collab"].to_numpy()[~several].tolist(), pairs["how"].to_numpy()[~several].tolist()))
    ways: dict[Any, set[str]] = {}
    for collab, how in zip(pairs["collab"].to_numpy()[several].tolist(), pairs["how"].to_numpy()[several].tolist()):
        ways.setdefault(collab, set()).add(how)
    out.update((k, ",".join(sorted(v))) for k, v in ways.items())
    return out


def fills(matched: pd.DataFrame, collabs: pd.DataFrame) -> dict[Any, dict[str, tuple[Any, str]]]:
    """Post URL and publish date for collaborations whose cells are empty: from the earliest export."""
    out: dict[Any, dict[str, tuple[Any, str]]] = defaultdict(dict)
    empty = {col: set(collabs.index[[v is None for v in present(collabs[col].tolist())]]) if col in collabs
             else set(collabs.index) for col in FILL_IF_EMPTY}
    posts = matched[(matched["kind"] != "orders").to_numpy() & matched["collab"].isin(set().union(*empty.values()))]
    posts = posts.sort_values(["as_of", "source_file"], kind="stable")
    for collab, url, when, file, row in zip(posts["collab"], posts["post_url"], posts["published_at"],
                                            posts["source_file"], posts["source_row"]):
        if url is not None and collab in empty["post_url"]:
            out[collab].setdefault("post_url", (url, source_of(file, row)))
        if when is not None and not pd.isna(when) and collab in empty["publish_date"]:
            out[collab].setdefault("publish_date", (pd.Timestamp(when).date(), source_of(file, row)))
    return out


class _Changes:
    """The changed cells, collected column-wise (100 000 of them on a day every post moved)."""

    def __init__(self, collabs: pd.DataFrame, ids: pd.Series, how: dict[Any, str]) -> None:
        self.labels, self.cids, self.how = collabs.index.tolist(), ids.tolist(), how
        self.cols: dict[str, list[Any]] = {c: [] for c in CHANGE_COLUMNS}
        #: per sheet position: label, collab ID and how it was matched, to take many at once
        self.per_row = {key: _objects(values) for key, values in (
            ("collab", self.labels), ("collab_id", self.cids),
            ("matched_by", [how.get(label, "台账 ledger") for label in self.labels]))}

    def add(self, i: int | np.integer, col: str, old: Any, new: Any, src: str) -> None:
        label = self.labels[i]
        for key, value in zip(CHANGE_COLUMNS, (label, self.cids[i], col, old, new, src,
                                               self.how.get(label, "台账 ledger"))):
            self.cols[key].append(value)

    def extend(self, at: np.ndarray, col: str, old: np.ndarray, new: np.ndarray, src: np.ndarray) -> None:
        """:meth:`add` for many cells of one column at once (positions ``at``, ascending)."""
        for key, values in self.per_row.items():
            self.cols[key] += values[at].tolist()
        self.cols["column"] += [col] * len(at)
        self.cols["old"] += old.tolist()
        self.cols["new"] += new.tolist()
        self.cols["source"] += src.tolist()

    def frame(self) -> pd.DataFrame:
        if not self.cols["collab"]:  # as a frame of no records: object columns
            return pd.DataFrame([], columns=CHANGE_COLUMNS)
        return pd.DataFrame(self.cols, columns=CHANGE_COLUMNS)


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def changes(collabs: pd.DataFrame, ids: pd.Series, sums: pd.DataFrame, fill: dict, how: dict[Any, str],
            dups: set[str]) -> pd.DataFrame:
    """One row per collaborations cell the ledger's totals (or an empty URL/date cell) change;
    compared column by column with numpy (50 000 collaborations), per cell only where text must be read."""
    sheet_cols = set(load_schema().sheet("collaborations").keys)
    t = pd.Index(sums.index).get_indexer(ids.tolist())
    t[np.isin(ids.to_numpy(dtype=object), list(dups))] = -1
    has = t >= 0
    source = sums["source"].to_numpy(dtype=object) if "source" in sums else np.full(len(sums), "", dtype=object)
    out = _Changes(collabs, ids, how)
    for m in [m for m in POST_METRICS if m in sheet_cols and m in sums]:
        new = np.full(len(collabs), np.nan)
        new[has] = sums[m].to_numpy(dtype=float)[t[has]]
        old = collabs[m].to_numpy(dtype=object) if m in collabs else np.full(len(collabs), None, dtype=object)
        old_num, text = _numbers(old)
        differ = ~np.isnan(new) & ~(np.abs(old_num - new) < 1e-6)
        for i in np.flatnonzero(differ & text):  # text such as "38,477" is read as a person typed it
            if same(old[i], float(new[i])):
                differ[i] = False
        at = np.flatnonzero(differ)
        out.extend(at, m, old[at], new[at], source[t[at]])
    if "gmv_currency" in sheet_cols and "gmv_currency" in sums:
        cur = sums["gmv_currency"].to_numpy(dtype=object)
        old_cur = collabs["gmv_currency"].tolist() if "gmv_currency" in collabs else [None] * len(collabs)
        named = np.append(_texts(cur), False)  # position -1: no total
        for i in np.flatnonzero(has & named[t]):
            new_c = cur[t[i]]
            if isinstance(new_c, str) and not same(old_cur[i], new_c):
                out.add(i, "gmv_currency", old_cur[i], new_c, source[t[i]])
    _fill_empty(out, collabs, fill, dups, sheet_cols)
    return out.frame()


#: what ``infer_dtype(..., skipna=True)`` says of cells none of which is text
_NO_TEXT = frozenset({"floating", "integer", "mixed-integer-float", "empty", "boolean", "datetime", "date"})


def _texts(values: np.ndarray) -> np.ndarray:
    """Which cells are text, a column of numbers settled at once."""
    if infer_dtype(values, skipna=True) in _NO_TEXT:
        return np.zeros(len(values), dtype=bool)
    return np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))


def _numbers(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each cell as ``pd.to_numeric`` reads it, NaN where it reads none; which cells are text): a
    column of numbers and blanks is converted at once."""
    if (number := floats(values)) is not None:
        return number, np.zeros(len(values), dtype=bool)
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float), _texts(values)


def _fill_empty(out: _Changes, collabs: pd.DataFrame, fill: dict, dups: set[str], sheet_cols: set[str]) -> None:
    """The post link and publish date of collaborations whose cells are empty."""
    position = {label: i for i, label in enumerate(out.labels)}
    blank = [None] * len(out.labels)
    current = {col: collabs[col].tolist() if col in collabs else blank for col in FILL_IF_EMPTY}
    for collab, vals in fill.items():
        at = position[collab]
        for col, (new_v, src) in vals.items():
            if out.cids[at] not in dups and col in sheet_cols and is_no_data(current[col][at]):
                out.add(at, col, current[col][at], new_v, src)


def same(old: Any, new: Any) -> bool:
    if is_no_data(old):
        return False
    if isinstance(new, float):
        try:
            o = parse_number(old)
        except CellError:
            return False
        return not math.isnan(o) and abs(o - new) < 1e-6
    if isinstance(new, dt.date):
        day = collab_date(old)
        return day is not None and day.date() == new
    return str(old).strip().casefold() == str(new).strip().casefold()


def wide(changes: pd.DataFrame, collabs: pd.DataFrame) -> pd.DataFrame:
    """The changes as one row per changed collaboration, one column per changed column, plus
    ``matched_by`` (the first) and ``source`` (every distinct source, in order). Built column by
    column on arrays (a next-day export changes 200 000 cells); what a pivot of the long frame gives."""
    if changes.empty:
        return pd.DataFrame(columns=["matched_by", "source"], index=collabs.index[:0])
    column = changes["column"].to_numpy(dtype=object)
    present = set(column.tolist())
    cols = [c for c in load_schema().sheet("collaborations").keys if c in present]
    codes, labels = pd.factorize(changes["collab"])
    new = changes["new"].to_numpy(dtype=object)
    table = {}
    for col in cols:
        at = np.flatnonzero(column == col)
        values = np.full(len(labels), None, dtype=object)
        values[codes[at]] = new[at]
        values[pd.isna(values)] = None  # a blank new value reads as no change
        table[col] = pd.Series(values, dtype=object)
    first, sources = _first_how(changes, codes, len(labels)), _sources_of(changes, codes, len(labels))
    out = pd.DataFrame({**table, "matched_by": first, "source": sources})
    out.index = pd.Index(labels, name="collab", dtype=changes["collab"].dtype)
    out = out.reindex(collabs.index[collabs.index.isin(out.index)])
    out.index.name = collabs.index.name
    return out


def _first_how(changes: pd.DataFrame, codes: np.ndarray, n: int) -> list[Any]:
    """Per collaboration (by code), its first given ``matched_by``, NaN when none is given."""
    how = changes["matched_by"].to_numpy(dtype=object)
    given = np.flatnonzero(pd.notna(how))
    seen, first = np.unique(codes[given], return_index=True)
    out = np.full(n, math.nan, dtype=object)
    out[seen] = how[given[first]]
    return out.tolist()


def _sources_of(changes: pd.DataFrame, codes: np.ndarray, n: int) -> list[str]:
    """Per collaboration (by code), its distinct sources in the order they come, joined by "; "."""
    source, names = pd.factorize(changes["source"], use_na_sentinel=False)
    pair = codes.astype(np.int64) * max(len(names), 1) + source
    first = np.sort(np.unique(pair, return_index=True)[1])  # each collaboration's source once, in order
    code, name = codes[first], np.asarray(names, dtype=object)[source[first]]
    single = np.bincount(code, minlength=n)[code] == 1
    out = np.full(n, None, dtype=object)
    out[code[single]] = name[single]
    for at, text in zip(code[~single].tolist(), name[~single].tolist()):  # several sources: joined in order
        out[at] = text if out[at] is None else out[at] + "; " + text
    return out.tolist()
