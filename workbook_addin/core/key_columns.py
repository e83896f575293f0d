"""Creator keys for whole columns: the Creators sheet's platform + handle, and the keys typed in
child sheets (Outreach, Collaborations, ...), matched to the Creators sheet.

Same result as :func:`.keys.creator_key` cell by cell, with fast paths for the usual case (plain
ASCII handles, keys the engine wrote itself), because a workbook holds 100 000 creators and every
refresh reads all of them.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from . import distinct
from .keys import CreatorKeyError, creator_key, try_creator_key

_KEY_OK = re.compile(r"^(?:tiktok|instagram|youtube):(?:[a-z0-9._\-]+|channel/[A-Za-z0-9_\-]+)$")
#: A plain ASCII handle, optionally with "@" and surrounding spaces: the fast path of creator_keys().
_SIMPLE_HANDLE = re.compile(r"[ \t]*@?[ \t]*([A-Za-z0-9._\-]+)[ \t]*\Z")
#: A line of "\n"-joined handles that is not a plain ASCII handle (see _SIMPLE_HANDLE).
_NOT_SIMPLE_LINE = re.compile(r"^(?![ \t]*@?[ \t]*[A-Za-z0-9._\-]+[ \t]*$).*$", re.M)
#: A plain profile link (scheme, optional "www.", a platform's host, one handle): the URL fast path
#: of creator_keys(); anything else (queries, other hosts, spaces, non-ASCII) goes through creator_key.
_PROFILE_URL = re.compile(r"https?://(?:www\.)?(tiktok\.com/@|youtube\.com/@|instagram\.com/)([A-Za-z0-9._\-]+)/?")
_URL_PLATFORM = {"tiktok.com/@": "TikTok", "youtube.com/@": "YouTube", "instagram.com/": "Instagram"}
#: Instagram paths that are posts or pages, not profiles
_INSTAGRAM_PAGES = frozenset({"p", "reel", "reels", "tv", "stories", "explore"})
#: The characters of a plain handle, and the line break that joins them.
_HANDLE_BYTES = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-\n"


def _only_handle_chars(joined: str) -> bool:
    """True when "\n"-joined cells are all non-empty and made of handle characters only: the
    usual case, checked by two C-level byte passes instead of a regex over every line."""
    if not joined or joined[0] == "\n" or joined[-1] == "\n" or "\n\n" in joined:
        return False
    try:
        return not joined.encode("ascii").translate(None, _HANDLE_BYTES)
    except UnicodeEncodeError:
        return False


def _simple_handles(hnd: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(handle, ok) for every cell holding a plain ASCII handle: what ``_SIMPLE_HANDLE`` accepts.

    Done on one joined string (a regex scan for the odd lines, ``lower`` and three ``replace``
    calls) rather than a regex match and a ``lower`` per cell: 100 000 creators in a few
    milliseconds. None when a cell holds a line break (the lines would not line up).
    """
    texts = [h if type(h) is str else "" for h in hnd]
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:
        return None
    ok = np.ones(len(texts), dtype=bool)
    odd = [] if _only_handle_chars(joined) else [m.start() for m in _NOT_SIMPLE_LINE.finditer(joined)]
    if odd:
        starts = np.zeros(len(texts), dtype=np.int64)
        np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))[:-1] + 1, out=starts[1:])
        ok[np.searchsorted(starts, odd, side="right") - 1] = False
    # on a plain line, dropping "@", spaces and tabs leaves the handle (the pattern's group 1)
    lines = joined.lower().replace("@", "").replace(" ", "").replace("\t", "").split("\n")
    return np.array(lines, dtype=object), ok


def creator_keys(platform: pd.Series, handle: pd.Series, profile_url: pd.Series | None = None) -> tuple[np.ndarray,
                                                                                                        np.ndarray]:
    """Creator keys for whole columns, same result as :func:`workbook_addin.core.keys.creator_key`.

    Plain ASCII handles (the common case) take a short fast path; URLs, non-ASCII or odd handles go
    through ``creator_key`` itself. Returns (keys, reasons): None where no key can be made, with
    the reason at the same position. The property tests check both paths agree.
    """
    plat = np.asarray(platform.to_numpy(dtype=object), dtype=object)
    hnd = np.asarray(handle.to_numpy(dtype=object), dtype=object)
    if profile_url is not None:
        url = profile_url.to_numpy(dtype=object)
        hnd = np.where(distinct.isna(hnd), url, hnd)
    prefix = {"TikTok": "tiktok:", "Instagram": "instagram:", "YouTube": "youtube:"}
    keys = np.full(len(plat), None, dtype=object)
    simple = _simple_handles(hnd) if len(plat) else None
    if simple is not None:
        p_codes, p_uniques = distinct.factorize(plat)
        p_text = np.array([prefix.get(p) for p in p_uniques] + [None], dtype=object)[p_codes]
        fast = simple[1] & (p_text != None)  # noqa: E711 (element-wise)
        keys[fast] = p_text[fast] + simple[0][fast]
    else:
        sh = _SIMPLE_HANDLE.match
        keys[:] = [
            c + m.group(1).lower()
            if (c := prefix.get(p)) is not None and type(h) is str and (m := sh(h)) is not None else None
            for p, h in zip(plat, hnd)
        ]
    reasons = np.full(len(keys), "", dtype=object)
    for i in np.flatnonzero(keys == None):  # noqa: E711 (element-wise)
        p, h = plat[i], hnd[i]
        p, h = None if p is None or p != p else p, None if h is None or h != h else h
        if (key := _profile_url_key(p, h)) is not None:
            keys[i] = key
            continue
        try:
            keys[i] = creator_key(p, h)
        except CreatorKeyError as exc:
            reasons[i] = str(exc)
    return keys, reasons


def _profile_url_key(platform: object, url: object) -> str | None:
    """creator_key(platform, url) for a plain profile link of the platform (or without a platform),
    without the general URL parsing; None for anything else (creator_key decides those)."""
    m = _PROFILE_URL.fullmatch(url) if type(url) is str else None
    if m is None:
        return None
    code = _URL_PLATFORM[m.group(1)]
    if platform not in (None, "", code) or (code == "Instagram" and m.group(2) in _INSTAGRAM_PAGES):
        return None
    return f"{code.lower()}:{m.group(2).lower()}"


def match_creator_keys(values: pd.Series | np.ndarray, known: pd.Index | None) -> tuple[np.ndarray, np.ndarray,
                                                                                        np.ndarray, np.ndarray]:
    """Child-sheet creator keys matched to ``known`` (the Creators sheet's keys).

    Cells equal to a known key (the usual case: a workbook holds keys the engine wrote) are matched
    in one look-up; only the others are parsed, once per distinct value. Returns (position in
    ``known`` or -1 per cell, ``todo``: the cells that were not a known key as typed, their
    canonical keys (None where missing or not a creator key), and which of them were filled in).
    """
    arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    if known is not None and len(known) and len(arr):
        pos = distinct.get_indexer(known, arr, always=True).astype(np.int64, copy=False)
        todo = np.flatnonzero(pos < 0)
    else:
        pos = np.full(len(arr), -1, dtype=np.int64)
        todo = np.arange(len(arr))
    sub = arr[todo]
    present = ~pd.isna(sub)
    canon = np.full(len(todo), None, dtype=object)
    if present.any():
        codes, uniques = distinct.factorize(sub[present])
        parsed = np.empty(len(uniques), dtype=object)
        for i, u in enumerate(uniques):
            text = unicodedata.normalize("NFKC", str(u)).strip()
            key = text if _KEY_OK.match(text) else None
            plat, sep, rest = text.partition(":")
            if key is None and sep and not rest.startswith("//"):
                key = try_creator_key(plat, rest)
            if key is None:
                key = try_creator_key(None, text)
            parsed[i] = key
        canon[present] = parsed[codes]
        if known is not None and len(known):
            found = known.get_indexer(parsed)[codes]
            pos[todo[present]] = np.where(pd.isna(parsed[codes]), -1, found)
    return pos, todo, canon, present


def normalise_key_column(values: pd.Series, known: pd.Index | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Creator keys as typed in child sheets ("TikTok:GlowWithMia", "@x" profile links) in canonical form.

    Values already equal to a key in ``known`` (the usual case) are taken as they are without
    parsing; only the others are normalised, once per distinct value. Returns (keys, bad mask,
    position in ``known`` or -1); keys are None where the text is not a creator key.
    """
    pos, todo, canon, present = match_creator_keys(values, known)
    out = np.array(values.to_numpy(dtype=object), dtype=object, copy=True)
    out[todo] = canon
    bad = np.zeros(len(out), dtype=bool)
    bad[todo[present & pd.isna(canon)]] = True
    return out, bad, pos
