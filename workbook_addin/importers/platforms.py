"""Posts from TikTok, TikTok Shop, YouTube and Instagram exports, keyed so they can be matched.

A post is known by many spellings: ``youtu.be/ID``, ``youtube.com/watch?v=ID&t=3s``,
``m.youtube.com/shorts/ID``, a bare video id in YouTube Studio's "Content" column;
``tiktok.com/@mia/video/73...?is_from_webapp=1`` or just the id; ``instagram.com/reel/CODE/?igsh=..``.
:func:`post_key` reduces them all to one key (``youtube:ID``, ``tiktok:73...``, ``instagram:CODE``)
that collaborations' post URLs are reduced to as well.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from ..core.keys import platform_from_url, try_creator_key
from .formats import Format

_YT_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YT_PATH = re.compile(r"^/(?:shorts|embed|live|v|e)/([A-Za-z0-9_-]{11})")
_TT_PATH = re.compile(r"/(?:video|photo|v)/(\d{8,})")
_IG_PATH = re.compile(r"^/(?:[^/]+/)?(?:p|reel|reels|tv)/([A-Za-z0-9_-]+)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_HOST_PREFIX = re.compile(r"^(?:www|m|mobile)\.")
_SLASHES = re.compile(r"/+")


#: the links platforms themselves write, keyed without parsing the URL (50 000 rows a file): a subset
#: of what the general path below accepts, giving the same key
_FAST = (
    (re.compile(r"^https?://(?:www\.|m\.)?tiktok\.com/@[^/?#]+/(?:video|photo)/(\d{8,})(?:[/?#]|$)"), "tiktok:"),
    (re.compile(r"^https?://(?:www\.|m\.)?youtube\.com/(?:shorts/|watch\?v=)([A-Za-z0-9_-]{11})(?:[/?#&]|$)"),
     "youtube:"),
    (re.compile(r"^https?://youtu\.be/([A-Za-z0-9_-]{11})(?:[/?#]|$)"), "youtube:"),
    (re.compile(r"^https?://(?:www\.)?instagram\.com/(?:[^/?#]+/)?(?:p|reel|reels|tv)/([A-Za-z0-9_-]+)(?:[/?#]|$)"),
     "instagram:"),
)


#: :data:`_FAST` as one pattern over a column of texts joined by line breaks: one match per line, with
#: the id the first of them that matches the line finds (a group per pattern; all empty: none matched)
_FAST_LINES = re.compile("^(?:" + "|".join(p.pattern.removeprefix("^").replace("[^/?#]", "[^/?#\\n]") for p, _ in _FAST)
                         + ")?[^\\n]*$", re.M)


@lru_cache(maxsize=512)
def _host_platform(host: str) -> str | None:
    """:func:`platform_from_url` for a bare host name; exports repeat a handful of hosts 50 000 times."""
    return platform_from_url(host)


def post_key(value: object, platform: str | None = None) -> str | None:
    """One key for every spelling of a post's URL or id; None when there is nothing to key on."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if not text:
        return None
    if "/" not in text and "." not in text:
        return _id_key(text, platform)
    for pattern, prefix in _FAST:
        if m := pattern.match(text):
            return prefix + m.group(1)
    url = text if _SCHEME.match(text) else "https://" + text
    parts = urlsplit(url)
    host = _HOST_PREFIX.sub("", (parts.hostname or "").lower())
    path = parts.path
    if "//" in path:
        path = _SLASHES.sub("/", path)
    plat = _host_platform(host)
    if plat == "YouTube":
        vid = parse_qs(parts.query).get("v", [None])[0]
        if host == "youtu.be":
            vid = path.strip("/").split("/")[0]
        elif not vid and (m := _YT_PATH.match(path)):
            vid = m.group(1)
        if vid and _YT_ID.match(vid):
            return f"youtube:{vid}"
    elif plat == "TikTok":
        if m := _TT_PATH.search(path):
            return f"tiktok:{m.group(1)}"
    elif plat == "Instagram":
        if m := _IG_PATH.match(path):
            return f"instagram:{m.group(1)}"
    return f"url:{host}{path.rstrip('/')}"


def post_keys(values: list[Any], platforms: list[str | None]) -> list[str | None]:
    """:func:`post_key` of each value with its row's platform: the links platforms write are keyed in
    one pass over the column (a Python call per link cost most of keying a 50 000-row export), or
    found among the links keyed before (a refresh keys the export's links, then the collaborations'
    same links), the rest one by one."""
    texts = [v.strip() if type(v) is str else "" for v in values]
    known = _KEYED.get
    keys: list[str | None] = [known(t) for t in texts] if _KEYED else [None] * len(texts)
    todo = [at for at, key in enumerate(keys) if key is None]
    asked = texts if len(todo) == len(texts) else [texts[at] for at in todo]
    found = _FAST_LINES.findall("\n".join(asked)) if asked else []
    if len(found) != len(asked):  # a cell holding a line break: every cell on its own
        found = [("",) * len(_FAST)] * len(asked)
    (_, tiktok), (_, youtube), (_, youtu_be), (_, instagram) = _FAST
    fast = [tiktok + a if a else youtube + b if b else youtu_be + c if c else instagram + d if d else None
            for a, b, c, d in found]
    if len(_KEYED) > _KEYED_MAX:
        _KEYED.clear()
    _KEYED.update(zip(asked, fast))  # None: a text no pattern keys (asked again next time)
    if len(todo) == len(keys):
        keys = fast
    else:
        for at, key in zip(todo, fast):
            keys[at] = key
    for at in [at for at, key in enumerate(keys) if key is None]:
        keys[at] = post_key(values[at], platforms[at])
    return keys


#: keys :data:`_FAST_LINES` found, by stripped link text (they do not depend on the platform); bounded
_KEYED: dict[str, str | None] = {}
_KEYED_MAX = 120_000  # about 25 MB of link texts and keys at the most


def _id_key(text: str, platform: str | None) -> str | None:
    plat = (platform or "").casefold()
    if plat == "youtube" and _YT_ID.match(text):
        return f"youtube:{text}"
    if plat == "tiktok" and text.isdigit():
        return f"tiktok:{text}"
    if plat == "instagram":
        # Meta's numeric "Post ID" is not the shortcode in a post URL; it still dedupes exports.
        return f"instagram-id:{text}" if text.isdigit() else f"instagram:{text}"
    return None


def post_rows(frame: pd.DataFrame, fmt: Format) -> pd.DataFrame:
    """Adds platform, post_key, creator_key, gmv_currency and row_id to a typed post export."""
    out = frame.copy()
    n = len(out)
    for col in ("post_url", "video_id", "handle", "promo_code", "utm_campaign"):
        if col not in out:
            out[col] = pd.Series([None] * n, dtype=object)
    if "platform" in out:
        platforms = [p if p else fmt.platform for p in out["platform"].tolist()]
    else:
        platforms = [fmt.platform] * n
    urls = out["post_url"].tolist()
    platforms = [p or platform_from_url(u or "") for p, u in zip(platforms, urls)]
    out["platform"] = pd.Series(platforms, dtype=object)
    keys = post_keys([u if u else None for u in urls], platforms)
    by_id = [at for at, key in enumerate(keys) if key is None or key.startswith("url:")]
    videos = out["video_id"].tolist() if by_id else []
    for at in by_id:  # no post link, or one no platform writes: the video id keys the post
        keys[at] = post_key(videos[at], platforms[at]) or keys[at]
    out["post_key"] = pd.Series(keys, dtype=object)
    pairs = list(zip(platforms, out["handle"].tolist()))
    known = {pair: try_creator_key(*pair) for pair in dict.fromkeys(pairs) if pair[1]}  # one creator, many videos
    out["creator_key"] = pd.Series([known[pair] if pair[1] else None for pair in pairs], dtype=object)
    if "gmv" in out:
        cur = out["gmv_currency"] if "gmv_currency" in out else pd.Series([None] * n, dtype=object)
        if "gmv__currency" in out:
            cur = cur.where(cur.notna(), out["gmv__currency"])
        spelled: dict[Any, str | None] = {}  # one spelling per distinct currency cell
        out["gmv_currency"] = pd.Series([spelled[c] if c in spelled else spelled.setdefault(
            c, str(c).strip().upper() if c else None) for c in cur.tolist()], index=out.index, dtype=object)
        if "refunded" in out:  # one GMV for every shop source: net of refunds, never below zero
            out["gmv"] = (out["gmv"] - out["refunded"].fillna(0)).clip(lower=0).round(2)
    out["row_id"] = pd.Series(_row_ids(out, keys, fmt.name), dtype=object)
    return out


def _row_ids(out: pd.DataFrame, keys: list[str | None], name: str) -> list[str]:
    """What identifies a post across exports: its key, else its creator (or handle) and day."""
    ids: list[str | None] = [f"{name}:{k}" if k else None for k in keys]
    if all(ids):
        return ids  # type: ignore[return-value]
    dates = out["published_at"].dt.strftime("%Y-%m-%d").tolist() if "published_at" in out else [""] * len(out)
    return [i or f"{name}:{c or h or ''}:{d or ''}" for i, c, h, d in zip(ids, out["creator_key"], out["handle"],
                                                                        dates)]
