"""Row tags: developer metadata that keeps a creator's row findable wherever people move it.

Why its own module: team mates sort, insert, delete and move rows of the shared sheet while others
sync, and the Sheets API has no conditional write. Google attaches developer metadata on a row to
that row: it "will remain associated at those locations as they move around and the spreadsheet
is edited ... If the associated object is deleted its metadata is deleted too" (reference of
``spreadsheets.developerMetadata``). So every archive row carries one tag - key
:data:`ROW_TAG`, value its creator key - and the sync addresses its writes to the tag
(``values:batchUpdateByDataFilter`` with a ``developerMetadataLookup`` by metadata id), never to
a row number. A sort landing between the sync's read and its write moves the tag with the row,
and the write follows.

How a tag is trusted: the guard read (``spreadsheets.getByDataFilter`` by the creators about to be
written) returns each tagged row with its cells; a tag is used only when the row's own identity
cells (key, or platform + handle) name the same creator. A tag on a row that now holds someone
else (a person overwrote the cells, or pasted another creator over it) or a second tag for one
creator (a copied tab) is deleted and made again. Rows without a tag (typed in by a person, or
written by a version before tags) are tagged where the main read saw them, then read back by their
new tags before anything is written through them: a tag that a sort misplaced in that instant is
deleted again and the creator waits for the next attempt, so a misplaced tag never misplaces data.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gspread.utils import absolute_range_name

from workbook_addin.core.keys import CreatorKeyError

from .google_table import IDENTITY, TabState, row_key

#: The developer metadata key of a row tag; its value is the creator key.
ROW_TAG = "lianxing.row"
#: What the guard read asks for: the tab's properties and protections, and per tagged row its
#: cells and tags (``DimensionProperties.developerMetadata``).
GUARD_FIELDS = ("sheets(properties(sheetId,title,gridProperties),protectedRanges,"
                "data(startRow,rowData(values(effectiveValue)),rowMetadata(developerMetadata("
                "metadataId,metadataKey,metadataValue))))")


@dataclass
class Tag:
    """One creator's trusted tag: its metadata id, the 1-based row it is on now, the row's cells."""

    metadata_id: int
    row: int
    cells: list[Any]


@dataclass
class RowTags:
    """The guard read: the tab's metadata, the trusted tags, and tags to delete (``stale``)."""

    meta: dict[str, Any]
    found: dict[str, Tag] = field(default_factory=dict)
    stale: set[int] = field(default_factory=set)

    def tab(self, title: str) -> dict[str, Any] | None:
        return next((s for s in self.meta.get("sheets", []) if s["properties"]["title"] == title), None)


def lookup(key: str) -> dict[str, Any]:
    """The DataFilter selecting creator ``key``'s row by its tag."""
    return {"developerMetadataLookup": {"metadataKey": ROW_TAG, "metadataValue": key}}


def guard_request(state: TabState, keys: Iterable[str]) -> dict[str, Any]:
    """``GetSpreadsheetByDataFilterRequest`` body: the header row (so the tab is always in the
    answer, with its properties) and the tagged row of each of ``keys``."""
    header = absolute_range_name(state.title, f"{state.header_row}:{state.header_row}")
    return {"dataFilters": [{"a1Range": header}, *(lookup(k) for k in keys)], "includeGridData": True}


def identity_of(cells: list[Any], state: TabState) -> str | None:
    """The creator a row's cells name (None when they name none)."""
    ident = {k: (cells[i] if i < len(cells) else None) for k, i in state.col_of.items() if k in IDENTITY}
    try:
        return row_key(ident)[0]
    except CreatorKeyError:
        return None


def read_tags(meta: dict[str, Any], state: TabState, wanted: Iterable[str]) -> RowTags:
    """Trusted tags of ``wanted`` creators from a guard answer (see the module docstring)."""
    out = RowTags(meta)
    wanted = set(wanted)
    seen: dict[str, list[tuple[int, int, list[Any], bool]]] = {}
    for sheet in meta.get("sheets", []):
        ours = sheet.get("properties", {}).get("title") == state.title
        for grid in sheet.get("data") or []:
            rows = grid.get("rowMetadata") or []
            if len(rows) != 1:
                continue  # the header row's grid, or anything wider than one row
            line = (grid.get("rowData") or [{}])[0].get("values") or []
            cells = [next(iter((c.get("effectiveValue") or {None: None}).values())) for c in line]
            for md in rows[0].get("developerMetadata") or []:
                key = md.get("metadataValue", "")
                if md.get("metadataKey") == ROW_TAG and key in wanted:
                    seen.setdefault(key, []).append((md["metadataId"], grid.get("startRow", 0) + 1, cells,
                                                     ours and identity_of(cells, state) == key))
    for key, hits in seen.items():
        good = [h for h in hits if h[3]]
        if len(hits) == 1 and good:
            out.found[key] = Tag(good[0][0], good[0][1], good[0][2])
        else:  # on another creator's row, in another tab, or twice: made again
            out.stale.update(h[0] for h in hits)
    return out


def tag_requests(sheet_id: int, rows: Mapping[str, int], stale: Iterable[int] = ()) -> list[dict[str, Any]]:
    """``spreadsheets.batchUpdate`` requests: delete ``stale`` tags, tag each creator's 1-based row."""
    out: list[dict[str, Any]] = [{"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
        "metadataId": i}}}} for i in sorted(stale)]
    out += [create_tag(sheet_id, key, row - 1) for key, row in rows.items()]
    return out


def create_tag(sheet_id: int, key: str, index: int) -> dict[str, Any]:
    """The request tagging 0-based row ``index`` with creator ``key``."""
    return {"createDeveloperMetadata": {"developerMetadata": {
        "metadataKey": ROW_TAG, "metadataValue": key, "visibility": "DOCUMENT",
        "location": {"dimensionRange": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": index,
                                        "endIndex": index + 1}}}}}


def write_ranges(state: TabState, tags: RowTags, cells: Mapping[str, Mapping[int, Any]]) -> list[dict[str, Any]]:
    """``DataFilterValueRange`` per creator: its tag, and its row's values from column A to the last
    written one, ``null`` where nothing is written (Google leaves those cells alone)."""
    out = []
    for key, values in sorted(cells.items()):
        line = [None] * (max(values) + 1)
        for i, v in values.items():
            line[i] = v
        out.append({"dataFilter": {"developerMetadataLookup": {"metadataId": tags.found[key].metadata_id}},
                    "majorDimension": "ROWS", "values": [line], "_key": key})
    return out


def append_batches(sheet_id: int, at: int, cols: tuple[int, int], lines: list[dict[str, Any]], keys: list[str],
                   limit: int) -> list[list[dict[str, Any]]]:
    """New rows as ``spreadsheets.batchUpdate`` request lists, each under ~``limit`` bytes of JSON:
    insert the rows at 0-based ``at`` (below the rows the batches before put there), fill columns
    ``cols`` (first, last) with ``lines`` (``RowData``) and tag each row with its creator in ``keys``.
    Each batch is atomic, so a row is never there untagged. Google recommends at most 2 MB per
    request and answers a body over 10 MB with HTTP 400 ("Request payload size exceeds the limit:
    10485760 bytes.", as users report it); a first sync of 20 000 creators is ~30 MB."""
    out: list[list[dict[str, Any]]] = []
    start = 0
    while start < len(lines):
        end, size = start, 300
        while end < len(lines):
            n = len(json.dumps(lines[end], ensure_ascii=False)) + 250  # the row and its tag request
            if end > start and size + n > limit:
                break
            end, size = end + 1, size + n
        r0, r1 = at + start, at + end
        target = {"sheetId": sheet_id, "startRowIndex": r0, "endRowIndex": r1,
                  "startColumnIndex": cols[0], "endColumnIndex": cols[1] + 1}
        out.append([{"insertDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": r0,
                                                   "endIndex": r1}, "inheritFromBefore": r0 > 0}},
                    {"updateCells": {"rows": lines[start:end], "fields": "userEnteredValue", "range": target}},
                    *(create_tag(sheet_id, keys[n], r0 + n - start) for n in range(start, end))])
        start = end
    return out


def chunks(data: list[dict[str, Any]], limit: int) -> list[list[dict[str, Any]]]:
    """Split value ranges into request bodies under ``limit`` bytes of JSON."""
    out: list[list[dict[str, Any]]] = []
    size = 0
    for d in data:
        n = len(json.dumps({k: v for k, v in d.items() if not k.startswith("_")}, ensure_ascii=False).encode()) + 2
        if not out or size + n > limit:
            out.append([])
            size = 200
        out[-1].append(d)
        size += n
    return out
