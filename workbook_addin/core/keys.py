"""The stable creator key: platform + normalised handle.

Rows are matched by this key everywhere (importers, engine joins, the archive sync), never by row
position, because team mates sort, filter and insert rows in the shared sheet while others sync.
``@GlowWithMia``, ``glowwithmia`` and ``https://www.tiktok.com/@GlowWithMia?lang=en`` are one
creator: ``tiktok:glowwithmia``.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from .schema import load_schema
from .errors import LianxingError

_HOSTS = {
    "tiktok.com": "TikTok",
    "instagram.com": "Instagram",
    "instagr.am": "Instagram",
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_HANDLE_OK = re.compile(r"^[a-z0-9._\-]+$")
#: a handle as typed that needs no normalising: ASCII letters, digits, "_" and "-" after any "@"
_PLAIN_HANDLE = re.compile(r"@*[A-Za-z0-9_\-]+")


class CreatorKeyError(LianxingError, ValueError):
    """A handle or URL from which no creator key can be made; the message says why."""


def platform_from_url(url: str) -> str | None:
    """The platform code for a profile or post URL, or None when the host is not a known platform."""
    text = str(url or "").strip()
    if not re.match(r"^[a-z]+://", text, re.I):
        text = "https://" + text
    host = (urlsplit(text).hostname or "").lower()
    for suffix, platform in _HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            return platform
    return None


def _handle_from_url(url: str, platform: str) -> str:
    text = url if re.match(r"^[a-z]+://", url, re.I) else "https://" + url
    parts = [p for p in urlsplit(text).path.split("/") if p]
    if not parts:
        raise CreatorKeyError(f"no handle in URL {url!r}")
    if platform == "YouTube":
        if parts[0].startswith("@"):
            return parts[0]
        if parts[0] in ("channel",) and len(parts) > 1:
            return "channel/" + parts[1]  # channel ids are case-sensitive: kept as they are
        if parts[0] in ("c", "user") and len(parts) > 1:
            return parts[1]
        raise CreatorKeyError(f"URL {url!r} is a YouTube video or page, not a channel")
    if platform == "TikTok":
        for p in parts:
            if p.startswith("@"):
                return p
        raise CreatorKeyError(f"URL {url!r} has no @handle")
    # Instagram: instagram.com/<handle>/, but /p/<id>/ and /reel/<id>/ are posts.
    if parts[0] in ("p", "reel", "reels", "tv", "stories", "explore"):
        if parts[0] == "stories" and len(parts) > 1:
            return parts[1]
        raise CreatorKeyError(f"URL {url!r} is an Instagram post, not a profile")
    return parts[0]


def normalise_handle(handle: str) -> str:
    """Lower-cased handle without ``@``, spaces or invisible characters (``channel/<id>`` keeps case)."""
    text = unicodedata.normalize("NFKC", str(handle)).translate(_INVISIBLE).strip()
    text = text.lstrip("@").strip()
    if text.startswith("channel/"):
        return text
    return text.casefold()


def creator_key(platform: str | None, handle: str | None) -> str:
    """The creator key for a platform and a handle or profile URL.

    ``platform`` may be empty when ``handle`` is a profile URL (the host decides). Raises
    :class:`CreatorKeyError` with a plain-language reason when no key can be made.
    """
    if type(handle) is str and type(platform) is str and _PLAIN_HANDLE.fullmatch(handle):
        # the common case, read without the steps below (which give it the same key): 10 000 handles an export
        if (plain := _platform_code(platform)) is not None:
            return f"{plain.lower()}:{handle.lstrip('@').lower()}"
    raw = "" if handle is None else unicodedata.normalize("NFKC", str(handle)).translate(_INVISIBLE).strip()
    if not raw:
        raise CreatorKeyError("handle is empty")
    url_platform = platform_from_url(raw) if ("/" in raw or "." in raw and " " not in raw) else None
    code = load_schema().enums["platform"].normalise(platform) if platform not in (None, "") else None
    if platform not in (None, "") and code is None:
        raise CreatorKeyError(f"unknown platform {platform!r}")
    if url_platform and "/" in raw:
        if code and code != url_platform:
            raise CreatorKeyError(f"URL {raw!r} is a {url_platform} link but the platform says {code}")
        code = url_platform
        raw = _handle_from_url(raw, url_platform)
    if code is None:
        raise CreatorKeyError(f"platform missing for handle {raw!r}")
    name = normalise_handle(raw)
    if not name:
        raise CreatorKeyError("handle is empty")
    if not name.startswith("channel/") and not _HANDLE_OK.match(name):
        raise CreatorKeyError(f"handle {raw!r} has characters no {code} handle can have")
    return f"{code.lower()}:{name}"


@lru_cache(maxsize=256)
def _platform_code(platform: str) -> str | None:
    """The platform's code (exports and sheets spell a handful of platforms 10 000 times)."""
    return load_schema().enums["platform"].normalise(platform)


def try_creator_key(platform: str | None, handle: str | None) -> str | None:
    """:func:`creator_key`, or None where no key can be made (for vectorised use)."""
    try:
        return creator_key(platform, handle)
    except CreatorKeyError:
        return None
