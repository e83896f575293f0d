"""The archive's register of creators: which ones it has held, and which were deleted or forgotten.

Why: a workbook's own sync base remembers the creators *it* synced, so a row a person deleted in the
shared sheet (an erasure request, a creator the team dropped) stays deleted for the workbooks that had
synced it. A workbook that never synced that creator - a new one, one that was offline, one where
someone typed the creator in since - saw only "a creator the archive lacks" and appended it again.
The register is kept in the archive itself, so every workbook knows what the team deleted:

* ``seen``: the archive holds these creators (written for rows a sync appends, and for rows people
  add by hand, when a sync first sees them);
* ``deleted``: a creator the register had seen is gone from the archive: a person deleted the row.
  No workbook appends it again; each workbook that holds it is told (its sync base keeps a tombstone);
* ``restored``: the row of a deleted creator is back in the archive: a person re-added it by hand
  (the way to bring a creator back on purpose), so the tombstone is lifted and workbooks sync it again;
* ``forgotten``: ``lianxing sync --forget KEY`` cleared the creator's personal data; every workbook's
  sync clears it there too and never pushes it back, until a person types it into the shared sheet
  again (``remembered``).

One event per row (event, when, creator-key hashes separated by spaces, up to :data:`PER_CELL` per
cell), appended only, so workbooks syncing at once never overwrite each other's events; the state is
the events read in order. Creators are named by a hash of their key (:func:`key_hash`), never by
handle or name: the register holds no personal data. The Google Sheet keeps it in a hidden tab
(:data:`REGISTER_TAB`, read in the same request as the creators tab), the SQLite archive in a table.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: The hidden tab of the shared sheet (the table of the SQLite archive is ``register``).
REGISTER_TAB = "_登记 Register"
HEADER = ["事件 Event", "时间 At", "达人键哈希 Creator key hashes"]
SEEN, DELETED, RESTORED, FORGOTTEN, REMEMBERED = "seen", "deleted", "restored", "forgotten", "remembered"
#: Hashes per cell: 2 000 x 17 characters stays well under a cell's 50 000-character limit.
PER_CELL = 2000


def key_hash(key: str) -> str:
    """The register's name for a creator: 16 hex digits of SHA-256 over the key (no handle in clear)."""
    return hashlib.sha256(f"lianxing:{key}".encode()).hexdigest()[:16]


@dataclass
class Register:
    """The state the events describe (hash -> date of the deletion or erasure)."""

    seen: set[str] = field(default_factory=set)
    deleted: dict[str, str] = field(default_factory=dict)
    forgotten: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[list[object]]) -> Register:
        out = cls()
        for line in rows:
            event, at, hashes = (list(line) + ["", "", ""])[:3]
            for h in str(hashes or "").split():
                out.apply(str(event).strip(), str(at or ""), h)
        return out

    def apply(self, event: str, at: str, h: str) -> None:
        if event == SEEN:
            self.seen.add(h)
        elif event == DELETED:
            self.seen.add(h)
            self.deleted[h] = at
        elif event == RESTORED:
            self.seen.add(h)
            self.deleted.pop(h, None)
        elif event == FORGOTTEN:
            self.forgotten[h] = at
        elif event == REMEMBERED:
            self.forgotten.pop(h, None)


def event_rows(event: str, at: str, hashes: Iterable[str]) -> list[list[str]]:
    """Rows for one event over many creators (:data:`PER_CELL` hashes per row)."""
    ordered = sorted(set(hashes))
    return [[event, at, " ".join(ordered[i:i + PER_CELL])] for i in range(0, len(ordered), PER_CELL)]


@dataclass
class RegisterPass:
    """What one sync learns from the register and will add to it.

    ``present``: hash -> key of every creator the archive holds now; ``gone``: hashes the register
    had seen that the archive no longer holds (deleted by a person since, and not yet recorded)."""

    register: Register
    present: dict[str, str]
    now: str
    gone: set[str] = field(default_factory=set)
    restored: set[str] = field(default_factory=set)
    new: set[str] = field(default_factory=set)
    remembered: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, register: Register, archive_keys: Iterable[str], now: str) -> RegisterPass:
        present = {key_hash(k): k for k in archive_keys}
        reg = register
        out = cls(reg, present, now)
        out.restored = {h for h in present if h in reg.deleted}
        out.new = {h for h in present if h not in reg.seen}
        if present:  # an emptied or missing tab is not a deletion of every creator, one by one
            out.gone = {h for h in reg.seen if h not in present and h not in reg.deleted}
        return out

    def deleted_at(self, key: str) -> str | None:
        """When the team deleted creator ``key`` from the archive (None: not deleted)."""
        h = key_hash(key)
        if h in self.present:
            return None
        if h in self.gone:
            return self.now
        return self.register.deleted.get(h)

    def kept_out(self, local: Iterable[str], remote: Mapping[str, object]) -> dict[str, str]:
        """Workbook creators the archive lacks because the team deleted them: key -> when."""
        out = {}
        for key in local:
            if key not in remote and (at := self.deleted_at(key)) is not None:
                out[key] = at
        return out

    def to_forget(self, local: Iterable[str], archive_personal: Mapping[str, Mapping[str, str]]) -> list[str]:
        """Of ``local`` (workbook creators holding personal data), those whose personal data the team
        erased (``--forget`` in some workbook). ``archive_personal``: the personal cells the archive
        holds per creator; a forgotten creator with any of them filled was typed in again by a person
        since, so it is remembered (the register is told) rather than forgotten."""
        for h in self.register.forgotten:
            key = self.present.get(h)
            if key is not None and any(archive_personal.get(key, {}).values()):
                self.remembered.add(h)
        return [k for k in local if (h := key_hash(k)) in self.register.forgotten and h not in self.remembered]

    def events(self, appended: Iterable[str], forgot: Iterable[str], deleted: Iterable[str] = ()) -> list[list[str]]:
        """The rows this sync appends to the register (none when nothing is new). ``deleted``: creators
        the merge found gone from the archive since this workbook's last sync (recorded even when the
        register never saw them: it is younger than the deletion)."""
        appended_h = {key_hash(k) for k in appended} - set(self.present)
        dead = ({key_hash(k) for k in deleted} if self.present else set()) | self.gone
        dead -= set(self.register.deleted) | set(self.present)
        rows = event_rows(SEEN, self.now, (self.new - self.restored) | appended_h)
        rows += event_rows(RESTORED, self.now, self.restored)
        rows += event_rows(DELETED, self.now, dead)
        rows += event_rows(REMEMBERED, self.now, self.remembered)
        rows += event_rows(FORGOTTEN, self.now, {key_hash(k) for k in forgot})
        return rows
