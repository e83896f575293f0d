"""The archive sync's last synced state on a repeated refresh: certified by the memo, not read.

Why: the same refresh again (:mod:`.refresh_memo`) still syncs the archive, and a sync reads the
hidden ``_sync_base`` sheet, one row per synced cell (240 000 rows at 10 000 creators): reading it
was most of what a repeat cost. The memo is kept only for a workbook byte for byte as its refresh
wrote it, so it can also say what that refresh wrote into the base: a certificate
(:func:`sheets_sync.known_base.certificate`). A repeat then hands the sync a
:class:`~sheets_sync.known_base.KnownBase` instead of the sheet; the sync still reads the whole
archive, and reads the sheet (through :func:`known_base`'s loader) the moment anything is to be
merged, so a team mate's change in the archive is pulled exactly as by a full refresh.

File fronts only: live Excel has no bytes to compare, so it never repeats a refresh.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Any

#: the memo's entry for the certificate, and the sheet the refresh syncs
MEMO_KEY, SHEET = "sync_base", "creators"


def known_base(book: Any, run: Any, keys: Collection[str]) -> Any:
    """The sync base for a repeat (``run.memo`` set, ``keys`` read so far): a KnownBase when the
    memo certifies one, else None after reading the sheet into ``run`` now. The loader reads the
    same tables again with the base (parsed sheets are kept, so only the base is parsed) and makes
    that read the one the write goes by; a file changed meanwhile is not read (and not written: the
    write refuses it too)."""
    cert = (run.memo or {}).get(MEMO_KEY)

    def load() -> Any:
        run.data = book.read(keys=frozenset(keys) | {"sync_base"}, same_file=True)
        base = run.data.tables.get("sync_base")
        if base is not None:
            run.tables["sync_base"] = base
        return base

    try:
        from sheets_sync.known_base import KnownBase
    except ImportError:  # the refresh reports a missing sync itself
        cert = None
    if not cert:
        load()
        return None
    return KnownBase(cert, load)


def certificate_after(run: Any, result: Any) -> dict[str, Any] | None:
    """The certificate of the base the workbook holds once this refresh is written (None: none).

    ``result``: this refresh's SyncResult (None: the sync did not run, and nothing is certified)."""
    if result is None:
        return None
    try:
        from sheets_sync.known_base import KnownBase, certificate
    except ImportError:
        return None
    base = result.base if result.ok else (run.known_base or run.tables.get("sync_base"))
    if isinstance(base, KnownBase):
        return dict(base.certificate)  # not read, unchanged: what the memo said
    if base is None or "sync_base" not in run.data.layouts:
        return None
    return certificate(base, SHEET)
