"""The register (:mod:`sheets_sync.register`) in the shared Google Sheet: a hidden tab of its own.

Why its own module: where the register lives and how it is read and appended to change with the
Sheets API, not with the rules of the register or with how the creators tab is read and written.

* Read in the very request that reads the creators tab (``values.batchGet`` of both ranges), so a
  no-op sync still sends one request. Before the tab exists that request fails (400, an unknown
  range); then the two tabs are read one at a time, and a missing register reads as empty.
* Appended to (``values.append``, ``RAW``, one row per event), never rewritten, so two workbooks
  syncing at once both keep their events; a repeated event changes nothing, so the append is retried.
* The tab is hidden, named for what it is and protected with a warning (people see it only under
  View › Hidden sheets, and are asked before they edit it); it holds key hashes and dates, no
  personal data. A tab made before versions that protect it gets the warning with the next sync
  that writes (its protections come with the guard read the writes make anyway).
"""
from __future__ import annotations

from typing import Any

from gspread.exceptions import APIError
from gspread.utils import absolute_range_name

from .register import HEADER, REGISTER_TAB, Register
from .retry import status_of

#: Columns of the tab (event, when, hashes).
WIDTH = len(HEADER)


def read_with_register(backend: Any, title: str, params: dict[str, Any]) -> tuple[dict[str, Any], Register | None]:
    """The ``values.batchGet`` answer for the creators tab ``title`` and the register it shares the
    request with. Raises the API's 400 when the creators tab itself is missing (first sync)."""
    ranges = [absolute_range_name(title), absolute_range_name(REGISTER_TAB)]
    try:
        answer = backend._call(lambda: backend.http.values_batch_get(backend.key, ranges, dict(params)),
                               f"reading {title}")
    except APIError as error:
        if status_of(error) != 400:
            raise
        answer = backend._call(lambda: backend.http.values_batch_get(backend.key, ranges[:1], dict(params)),
                               f"reading {title}")
        return answer, read_register(backend)
    parts = answer.get("valueRanges") or [{}, {}]
    backend.register_tab = True
    return {"valueRanges": parts[:1]}, Register.from_rows(parts[1].get("values", []) if len(parts) > 1 else [])


def read_register(backend: Any) -> Register:
    """The register alone (empty while the tab does not exist; the backend then remembers to make
    it before its first append, instead of learning it from a refused append)."""
    backend.register_tab = None
    try:
        got = backend._call(lambda: backend.http.values_batch_get(
            backend.key, [absolute_range_name(REGISTER_TAB)], {"valueRenderOption": "UNFORMATTED_VALUE"}),
            "reading the register")
    except APIError as error:
        if status_of(error) != 400:
            raise
        backend.register_tab = False
        return Register()
    backend.register_tab = True
    return Register.from_rows((got.get("valueRanges") or [{}])[0].get("values", []))


def append_register(backend: Any, rows: list[list[str]]) -> None:
    """Append event rows; the hidden tab (with its header) is made on first use."""
    params: dict[str, Any] = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
    target = absolute_range_name(REGISTER_TAB, "A1")
    if getattr(backend, "register_tab", None) is not False:
        try:
            backend._call(lambda: backend.http.values_append(backend.key, target, params, {"values": rows}),
                          "writing the register")
            return
        except APIError as error:
            if status_of(error) != 400:
                raise
    add = {"addSheet": {"properties": {"title": REGISTER_TAB, "hidden": True, "gridProperties": {
        "rowCount": 10, "columnCount": WIDTH, "frozenRowCount": 1}}}}
    made = backend._call(lambda: backend.http.batch_update(backend.key, {"requests": [add]}), "creating the register")
    backend.register_tab = True
    sheet_id = ((made or {}).get("replies") or [{}])[0].get("addSheet", {}).get("properties", {}).get("sheetId")
    if sheet_id is not None:
        backend._call(lambda: backend.http.batch_update(backend.key, {"requests": [_protection(sheet_id)]}),
                      "protecting the register")
    backend._call(lambda: backend.http.values_append(backend.key, target, params, {"values": [HEADER, *rows]}),
                  "writing the register")


#: what a person who edits the register tab anyway is told first (Sheets shows it as a warning)
PROTECTION_NOTE = "由同步维护，请勿编辑 Kept by the archive sync: do not edit"


def _protection(sheet_id: int) -> dict[str, Any]:
    """The request protecting the register tab with a warning: a person who opens the hidden tab
    and edits it is asked first (an edit there could bring deleted creators back). A warning, not a
    lock: the workbooks' own accounts keep appending, and no editor list has to be kept."""
    return {"addProtectedRange": {"protectedRange": {
        "range": {"sheetId": sheet_id}, "description": PROTECTION_NOTE, "warningOnly": True}}}


def guard_filters(backend: Any) -> list[dict[str, Any]]:
    """The register tab's header row, asked for in the read that guards a sync's writes when the
    register is known to exist: the answer then carries the tab's protections."""
    return [{"a1Range": absolute_range_name(REGISTER_TAB, "1:1")}] if getattr(backend, "register_tab", None) else []


def protection_requests(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """The protection a register tab in the guard's answer lacks: one made before versions that
    protect it gets it with the sync's next writes (a no-op sync still sends one request)."""
    for sheet in meta.get("sheets", []):
        props = sheet.get("properties", {})
        if props.get("title") == REGISTER_TAB and props.get("sheetId") is not None:
            have = [p for p in sheet.get("protectedRanges", []) if p.get("description") == PROTECTION_NOTE]
            return [] if have else [_protection(props["sheetId"])]
    return []
