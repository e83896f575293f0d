"""Developer metadata on rows and columns follows them, as Google's does.

Google's reference for ``spreadsheets.developerMetadata``: metadata "will remain associated at
those locations as they move around and the spreadsheet is edited. For example, if developer
metadata is associated with row 5 and another row is then subsequently inserted above row 5, that
original metadata will still be associated with the row it was first associated with (what is now
row 6). If the associated object is deleted its metadata is deleted too."

So here: inserting rows/columns shifts the metadata below/right of them; deleting them drops the
metadata that sat only on deleted ones (and shrinks ranges that lose some); ``sortRange`` and
``moveDimension`` carry single-row (single-column) metadata to where their row (column) goes;
deleting a sheet deletes its metadata. Why its own module: it is the one rule the sync's
row tags rely on (``sheets_sync.google_rows``), and it changes for that reason alone.

Not modelled: a multi-row metadata range whose rows a sort scatters keeps its indices.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # model.py calls in here: no import cycle at run time
    from .model import Sheet, Spreadsheet


def _ranges(book: Spreadsheet, sheet: Sheet, dimension: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(metadata, its dimensionRange) for the metadata on ``dimension`` of ``sheet``."""
    out = []
    for md in book.developer_metadata:
        dr = md.get("location", {}).get("dimensionRange")
        if dr and (dr.get("sheetId") or 0) == sheet.id and dr.get("dimension") == dimension:
            out.append((md, dr))
    return out


def shift(book: Spreadsheet, sheet: Sheet, dimension: str, at: int, n: int) -> None:
    """``n`` rows/columns inserted at index ``at`` (``n`` < 0: ``-n`` deleted from ``at``)."""
    gone = set()
    for md, dr in _ranges(book, sheet, dimension):
        s, e = dr.get("startIndex", 0), dr.get("endIndex", dr.get("startIndex", 0) + 1)
        if n > 0:
            s, e = (s + n if s >= at else s), (e + n if e > at else e)
        else:
            lo, hi = at, at - n

            def move(x: int) -> int:
                return x if x <= lo else (lo if x <= hi else x + n)

            s, e = move(s), move(e)
            if e <= s:
                gone.add(md["metadataId"])
        dr["startIndex"], dr["endIndex"] = s, e
    if gone:
        book.developer_metadata = [m for m in book.developer_metadata if m["metadataId"] not in gone]
        book.metadata_changed()


def permute(book: Spreadsheet, sheet: Sheet, dimension: str, new_of_old: dict[int, int]) -> None:
    """Rows/columns moved (a sort, a move): metadata on one of them goes where it went."""
    for _md, dr in _ranges(book, sheet, dimension):
        s = dr.get("startIndex", 0)
        if dr.get("endIndex", s + 1) == s + 1 and s in new_of_old:
            dr["startIndex"], dr["endIndex"] = new_of_old[s], new_of_old[s] + 1


def drop_sheet(book: Spreadsheet, sheet_id: int) -> None:
    """A deleted sheet takes its metadata (on the sheet, its rows and columns) with it."""
    def on_sheet(md: dict[str, Any]) -> bool:
        loc = md.get("location", {})
        where = loc.get("dimensionRange", {}).get("sheetId") if "dimensionRange" in loc else loc.get("sheetId")
        return "spreadsheet" not in loc and (where or 0) == sheet_id

    book.developer_metadata = [m for m in book.developer_metadata if not on_sheet(m)]
    book.metadata_changed()


def by_index(book: Spreadsheet, sheet: Sheet, dimension: str) -> dict[int, list[dict[str, Any]]]:
    """Row (column) index -> the metadata on it, as ``DimensionProperties.developerMetadata`` lists
    it in grid data; one pass, since an archive may tag every one of 20 000 rows."""
    out: dict[int, list[dict[str, Any]]] = {}
    for md, dr in _ranges(book, sheet, dimension):
        s = dr.get("startIndex", 0)
        for i in range(s, dr.get("endIndex", s + 1)):
            out.setdefault(i, []).append(md)
    return out


def located(md: dict[str, Any], kind: str) -> bool:
    """Whether ``md`` sits on the spreadsheet (``kind`` "spreadsheet") or on a sheet ("sheet")."""
    loc = md.get("location", {})
    return bool(loc.get("spreadsheet")) if kind == "spreadsheet" else ("sheetId" in loc and "dimensionRange" not in loc)


def clone_all(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy for an atomic batch's snapshot: a generic deepcopy of 20 000 row tags takes a second."""
    out = []
    for md in items:
        loc = dict(md.get("location", {}))
        if "dimensionRange" in loc:
            loc["dimensionRange"] = dict(loc["dimensionRange"])
        out.append({**md, "location": loc})
    return out


def moved_order(start: int, end: int, dest: int, total: int) -> list[int]:
    """``moveDimension``: old indices in their new order, for indices 0..total-1.

    ``dest`` counts "before the source data is removed", as the discovery document says: moving
    ``[1, 3)`` to 4 turns ``0 1 2 3 4`` into ``0 3 1 2 4``."""
    idx = list(range(total))
    block = idx[start:end]
    rest = idx[:start] + idx[end:]
    at = dest if dest <= start else dest - (end - start)
    return rest[:at] + block + rest[at:]
