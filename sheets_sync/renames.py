"""Creators whose key changed: a handle renamed in the workbook or in the shared sheet.

Why its own module: keys are platform + normalised handle, so a renamed handle looks like one
creator gone and a new one arrived, which would leave two archive rows for one person (or, with
tombstones, lose the row). The profile URL (or an id-based channel URL) stays with the person, so a
gone/new pair with the same profile URL is one creator renamed; a pair that only shares a display
name is listed for a person to decide.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .backend import RemoteRow


@dataclass
class Renames:
    """What the pairing found: local key -> archive key, and the pairs left for a person."""

    local_to_archive: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _url(values: Mapping[str, str]) -> str:
    return values.get("profile_url", "").strip().lower().rstrip("/").replace("://www.", "://")


def _platform(key: str) -> str:
    return key.split(":", 1)[0]


def _pairs(new: list[str], gone: list[str], new_vals: Mapping[str, Mapping[str, str]],
           gone_vals: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """new key -> gone key, where exactly one of each shares a non-empty profile URL and platform."""
    by_url: dict[str, list[str]] = {}
    for k in gone:
        if (u := _url(gone_vals[k])):
            by_url.setdefault(u, []).append(k)
    claims: dict[str, list[str]] = {}
    for n in new:
        url = _url(new_vals[n])
        cands = [o for o in by_url.get(url, []) if _platform(o) == _platform(n)] if url else []
        if len(cands) == 1:
            claims.setdefault(cands[0], []).append(n)
    return {ns[0]: o for o, ns in claims.items() if len(ns) == 1}


def pair_renames(mine: dict[str, dict[str, str]], base: Mapping[str, Mapping[str, str]],
                 remote: dict[str, RemoteRow], label_of: dict[str, Any]) -> Renames:
    """Re-key renamed creators in place so the merge sees one creator: a workbook rename keeps the
    archive's key (``mine`` and ``label_of`` move to it), a rename in the shared sheet is read under
    the key this workbook has (``remote`` moves to it)."""
    out = Renames()
    new_local = [k for k in mine if k not in base and k not in remote]
    gone_local = [k for k in remote if k in base and k not in mine]
    remote_vals = {k: r.values for k, r in remote.items()}
    for n, o in _pairs(new_local, gone_local, mine, remote_vals).items():
        mine[o] = mine.pop(n)
        label_of[o] = label_of.pop(n)
        out.local_to_archive[n] = o
        out.notes.append(f"达人改名 creator {n} is {o} renamed (same profile URL): synced as one creator under the "
                         f"archive's key {o}.")
    new_remote = [k for k in remote if k not in base and k not in mine]
    gone_remote = [k for k in mine if k in base and k not in remote]
    for r, o in _pairs(new_remote, gone_remote, remote_vals, mine).items():
        remote[o] = replace(remote.pop(r), key=o, needs_key=False)
        out.notes.append(f"达人改名 creator {o} was renamed to {r} in the shared sheet (same profile URL): synced as "
                         "one creator.")
    out.notes += _unrecognised(mine, base, remote)
    return out


def _unrecognised(mine: Mapping[str, Mapping[str, str]], base: Mapping[str, Mapping[str, str]],
                  remote: Mapping[str, RemoteRow]) -> list[str]:
    """Gone/new pairs that share only a display name: maybe one creator renamed; a person decides."""
    new = [k for k in mine if k not in base and k not in remote]
    gone = [k for k in remote if k in base and k not in mine]
    names: dict[tuple[str, str], list[str]] = {}
    for k in gone:
        if (name := remote[k].values.get("display_name", "").strip().casefold()):
            names.setdefault((_platform(k), name), []).append(k)
    out = []
    for n in new:
        name = mine[n].get("display_name", "").strip().casefold()
        for o in names.get((_platform(n), name), []) if name else []:
            out.append(f"达人可能改名 creator {n} (new in this workbook) and {o} (no longer in it) have the same "
                       f"display name but different profile URLs: if they are one creator renamed, put {o}'s "
                       f"profile URL on {n}'s row (or the other way round) and sync again; until then they are two "
                       "rows.")
    return out
