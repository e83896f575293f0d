"""Lookup tables over the collaborations sheet: every key an export row can name a collaboration by.

Each collaboration is indexed once per refresh by its post (the post URL reduced by
:func:`.platforms.post_key`), its promo codes, its UTM campaigns and its creator key, with the date
that decides between collaborations sharing a key. The sheet repeats creators, codes and dates
thousands of times (50 000 collaborations, 10 000 creators), so each distinct cell is read once.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd

from ..core.cells import CellError, is_no_data, parse_date, present_cells, stripped_texts
from ..core.keys import platform_from_url, try_creator_key
from .platforms import post_keys
from .problems import Problem

_SEPARATORS = re.compile(r"[,;/\s]+")
_PLATFORM_PREFIX = re.compile(r"^(tiktok|instagram|youtube):", re.I)


@dataclass
class Collabs:
    """Lookup tables over the collaborations sheet, by index label."""

    by_post: dict[str, list[Any]]
    by_promo: dict[str, list[Any]]
    by_utm: dict[str, list[Any]]
    by_creator: dict[str, list[Any]]
    has_post: dict[Any, bool]
    date: dict[Any, dt.datetime | None]
    order: dict[Any, int] = field(default_factory=dict)  # index label -> position in the sheet


def norm_code(value: Any) -> tuple[str, ...]:
    """The codes a promo-code or UTM cell holds (``"MIA10, mia-bf"``), case-folded."""
    if is_no_data(value):
        return ()
    return _codes(str(value))


@lru_cache(maxsize=65536)
def _codes(text: str) -> tuple[str, ...]:
    return tuple(p.strip().casefold() for p in _SEPARATORS.split(text) if p.strip())


def collab_key(platform: Any, key: Any) -> str | None:
    """The creator key a collaboration (or creator) row names: ``tiktok:mia`` as typed, or built
    from platform and handle."""
    if is_no_data(key):
        return None
    return _collab_key(None if is_no_data(platform) else str(platform), str(key).strip())


@lru_cache(maxsize=65536)
def _collab_key(platform: str | None, text: str) -> str | None:
    if _PLATFORM_PREFIX.match(text):
        return text.split(":", 1)[0].lower() + ":" + text.split(":", 1)[1].strip().lstrip("@").casefold()
    return try_creator_key(platform, text)


def collab_date(value: Any, cache: dict[Any, dt.datetime | None] | None = None) -> dt.datetime | None:
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


def index_collabs(collabs: pd.DataFrame) -> Collabs:
    """The lookup tables; each distinct platform and creator, date cell and code is read once."""
    n = len(collabs)

    def get(col: str) -> list[Any]:
        return present(collabs[col].tolist()) if col in collabs else [None] * n

    labels = collabs.index.tolist()
    c = Collabs(defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list), {}, {})
    platforms = [None if p is None else str(p) for p in get("platform")]
    posts = _post_keys(get("post_url"), platforms)
    for idx, pk in zip(labels, posts):
        if pk:
            c.by_post[pk].append(idx)
    c.has_post = dict(zip(labels, [pk is not None for pk in posts]))
    for col, table in (("promo_code", c.by_promo), ("utm_campaign", c.by_utm)):
        for idx, value in zip(labels, get(col)):
            for code in () if value is None else _codes(str(value)):
                table[code].append(idx)
    keys = get("creator_key")
    if set(map(type, keys)) <= {str, type(None)}:  # text: one key per distinct platform and handle
        keys = _per_distinct(_pairs(platforms, keys), lambda pair: _row_key(*pair))
    else:
        keys = [_row_key(p, k) for p, k in zip(platforms, keys)]
    for idx, ck in zip(labels, keys):
        if ck:
            c.by_creator[ck].append(idx)
    published, promised = _dates(get("publish_date")), _dates(get("promised_date"))
    c.date = dict(zip(labels, [p if p is not None else q for p, q in zip(published, promised)]))
    c.order = {idx: pos for pos, idx in enumerate(labels)}
    return c


def _post_keys(urls: list[Any], platforms: list[str | None]) -> list[str | None]:
    """Each post link's key; a profile link typed where the post link belongs is not a post, so
    handles may match that collaboration."""
    keys = post_keys(urls, platforms)
    for at, pk in enumerate(keys):
        if pk and pk.startswith("url:") and platform_from_url(str(urls[at])):
            keys[at] = None
    return keys


def _row_key(platform: str | None, key: Any) -> str | None:
    return None if key is None else _collab_key(platform, str(key).strip())


def _pairs(a: list[Any], b: list[Any]) -> list[tuple[Any, Any]]:
    return list(zip(a, b))


def _dates(values: list[Any]) -> list[dt.datetime | None]:
    """:func:`collab_date` of each cell; a date cell repeated thousands of times is read once."""
    if values.count(None) == len(values):
        return list(values)
    if set(map(type, values)) <= {str, dt.date, dt.datetime, pd.Timestamp, type(None)}:
        return _per_distinct(values, collab_date)  # the cells collab_date's own cache would share
    seen: dict[Any, dt.datetime | None] = {}
    return [collab_date(v, seen) for v in values]


def _per_distinct(values: list[Any], read: Callable[[Any], Any]) -> list[Any]:
    """``[read(v) for v in values]`` with ``read`` called once per distinct value (equal as dict keys)."""
    table: dict[Any, Any] = {}
    for v in dict.fromkeys(values):
        table[v] = read(v)
    return [table[v] for v in values]


def present(values: list[Any]) -> list[Any]:
    """The cells with every blank or "no data" cell as None."""
    return present_cells(values)


def creator_keys(creators_df: pd.DataFrame | None) -> set[str] | None:
    """Every key the creators sheet knows a creator by (key, handle, profile link), or None without a sheet."""
    if creators_df is None:
        return None
    keys = set()

    def get(col: str) -> list[Any]:
        return creators_df[col].tolist() if col in creators_df else [None] * len(creators_df)

    for key, plat, handle, url in zip(get("creator_key"), get("platform"), get("handle"), get("profile_url")):
        for k in (collab_key(plat, key), collab_key(plat, handle), collab_key(None, url)):
            if k:
                keys.add(k)
    return keys


def collab_ids(collabs: pd.DataFrame) -> pd.Series:
    """Collab ID per index label, as text (the index itself for frames without the column)."""
    if "collab_id" in collabs:
        values = collabs["collab_id"].tolist()
        texts = (stripped_texts(values) if set(map(type, values)) <= {str}  # IDs as typed: read at once
                 else [None if is_no_data(v) else str(v).strip() for v in values])
        return pd.Series(texts, index=collabs.index, dtype=object)
    return pd.Series([str(i) for i in collabs.index], index=collabs.index, dtype=object)


def duplicate_ids(collabs: pd.DataFrame, ids: pd.Series | None = None) -> tuple[set[str], list[Problem]]:
    """Collab IDs used on several rows: none of them gets export metrics (which one is meant?)."""
    ids = collab_ids(collabs) if ids is None else ids
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
