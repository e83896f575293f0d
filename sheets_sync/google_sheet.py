"""The shared Google Sheet as an archive backend (gspread + google-auth, Sheets API v4).

Requests per sync, steady state (``srv.stats`` in the tests and ``benchmarks/sync.py`` count them):

1. ``values.batchGet`` of the whole tab (UNFORMATTED values), and of the hidden register tab
   (:mod:`.google_register`): the only request of a no-op sync.
   The header row and columns are found by their text wherever they are (:mod:`.google_table`).
2. ``spreadsheets.getByDataFilter``: the guard read, right before writing. The tab's properties
   and protected ranges (and the register tab's, when it exists), and the row of each creator about
   to be written, found by its row tag (developer metadata, :mod:`.google_rows`) with its cells, to
   check the tag is on that creator.
3. ``values:batchUpdateByDataFilter`` with every changed cell, each row addressed by its tag's
   metadata id, ``valueInputOption=RAW``: one request per ~1 MB chunk, so one in practice. RAW
   keeps ``=``, ``+``, ``-``, ``@`` text as text.
4. New creators (only when there are any): one ``spreadsheets.batchUpdate`` that inserts rows right
   below the last data row, fills them and tags them (``insertDimension`` + ``updateCells`` +
   ``createDeveloperMetadata``), so the rows go to an explicit place, never where Google's append
   "table detection" guesses (with a blank column A or a title row it guesses above the header),
   and two workbooks appending at once each insert their own rows.
5. ``values.append`` of one row to the sync-log tab (retried: a lost log line is worse than a double).
(+1 ``spreadsheets.batchUpdate`` on the first sync, when a protection is missing or moved (the
register tab made by a version before its protection gets it here), or when a
synced column new in this release is added: ``appendDimension`` first, so the grid is wide enough.
+2 when rows about to be written have no tag yet - typed in by a person, or from a version before
tags: one ``spreadsheets.batchUpdate`` tagging them, one ``getByDataFilter`` reading them back.)

A synced column the tab lacks (renamed beyond recognition, deleted) is never read as blank; the sync
leaves it out and says so (:mod:`sheets_sync.sync`). The tab records the synced columns it has had in
developer metadata (``lianxing:columns``), so a column the team deleted is not put back by the next
workbook, while a column new in a release is added.

Rows are located by creator key, never by a remembered row number, because team mates sort, filter,
insert and delete rows while others sync. Writes go to the row tag, which Google keeps on its row
through sorts, inserts, deletes and moves, so a sort that lands between the guard read and the
write moves the write with the row: no cell lands on another creator, and nothing a team mate types
meanwhile is overwritten or put back. What remains, honestly: a person who, in that one round trip,
types another creator's identity over a tagged row (not a sort: retyping or pasting cells) gets
the write meant for the row's old creator; and a creator's row deleted in that round trip loses
the write (the next sync sees the deletion). One short tag per row is what the feature is for
(Google's guide: "responseId = 1234 with row 7"); a cap on the metadata of a very large sheet
could not be checked against Google here.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import gspread
from gspread.exceptions import APIError
from gspread.urls import SPREADSHEET_URL
from gspread.utils import absolute_range_name

from workbook_addin.core.schema import Column, Sheet

from .backend import LOG_COLUMNS, Backend, CellWrite, RaceDetected, RemoteTable, SyncError, WritePlan
from .google_auth import explain, load_credentials
from .google_register import (append_register, guard_filters, protection_requests, read_register,
                              read_with_register)
from .google_rows import (GUARD_FIELDS, RowTags, append_batches, chunks, guard_request, read_tags, tag_requests,
                          write_ranges)
from .google_table import TabState, read_table
from .retry import RetryPolicy, call_with_retry, is_transient, status_of
from .safe_values import cell_for_sheet

PROTECT_TAG = "lianxing:computed:"
COLUMNS_TAG = "lianxing:columns"
DEFAULT_LOG_TAB = "同步日志 Sync log"
#: Stay well under Google's recommended 2 MB request size.
CHUNK_BYTES = 1_000_000
READ_PARAMS = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING",
               "majorDimension": "ROWS"}


class GoogleSheetBackend(Backend):
    """One spreadsheet; each synced schema sheet is one tab, plus a sync-log tab."""

    name = "google"

    def __init__(self, client: gspread.Client, spreadsheet_key: str, *, tabs: Mapping[str, str] | None = None,
                 log_tab: str = DEFAULT_LOG_TAB, policy: RetryPolicy | None = None, chunk_bytes: int = CHUNK_BYTES,
                 before_write: Callable[[], None] | None = None) -> None:
        self.client = client
        self.http = client.http_client
        self.key = spreadsheet_key
        self.tabs = dict(tabs or {})
        self.log_tab = log_tab
        self.policy = policy or RetryPolicy()
        self.chunk_bytes = chunk_bytes
        self.after_read = None  # test hooks: run after the main read, and between the guard read and the write
        self.before_write = before_write
        self.user = ""
        self.log_problems: list[str] = []
        self.withheld: list[CellWrite] = []  # planned writes a strict protected range does not allow
        #: the register tab at the last read: there (True), missing (False: made before the first
        #: append, see google_register), or not known (None)
        self.register_tab: bool | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], workbook_dir: str | Path | None = None,
                      policy: RetryPolicy | None = None) -> GoogleSheetBackend:
        """Build from the Settings sheet: google_sheet_key, google_credentials, optional api_endpoint.
        Credentials stay in their file on this computer; the workbook only names the file."""
        key = str(settings.get("google_sheet_key") or "").strip()
        if not key:
            raise SyncError("设置 Settings, google_sheet_key: 未填写 Google 表格 ID. No Google Sheet key is set "
                            "(archive_backend is 'google'); paste the id from the shared sheet's URL.")
        cred_text = str(settings.get("google_credentials") or "").strip()
        if not cred_text:
            raise SyncError(f"设置 Settings, google_credentials: 未指定凭据文件. No credentials file is set for "
                            f"Google Sheet {key}; give the path to a service-account key or OAuth file.")
        path = Path(cred_text).expanduser()
        if not path.is_absolute() and workbook_dir is not None:
            path = Path(workbook_dir) / path
        credentials = load_credentials(path, key)
        http_client: type = gspread.HTTPClient
        endpoint = str(settings.get("api_endpoint") or "").strip()
        if endpoint:
            from .endpoint import endpoint_http_client

            http_client = endpoint_http_client(endpoint)
        client = gspread.Client(auth=credentials, http_client=http_client)
        client.http_client.set_timeout(float(settings.get("google_timeout") or 30))
        tabs = {k[len("google_"):-len("_tab")]: str(v) for k, v in settings.items()
                if k.startswith("google_") and k.endswith("_tab") and k != "google_log_tab" and v}
        return cls(client, key, tabs=tabs, log_tab=str(settings.get("google_log_tab") or DEFAULT_LOG_TAB),
                   policy=policy)

    def describe(self) -> str:
        return f"Google Sheet {self.key}"

    def tab_of(self, sheet: Sheet) -> str:
        return self.tabs.get(sheet.key, sheet.name)

    def _call(self, fn: Callable[[], Any], what: str, retry: bool = True) -> Any:
        try:
            return call_with_retry(fn, self.policy, what) if retry else fn()
        except Exception as error:  # noqa: BLE001 - translated or re-raised
            explained = explain(error, self.key)
            if explained is not None:
                raise explained from error
            raise

    def _batch(self, requests: list[dict[str, Any]], what: str) -> dict[str, Any]:
        """One ``spreadsheets.batchUpdate`` (atomic on the server); not retried in place, because a
        lost answer may hide an applied change: the next attempt's read shows what landed."""
        return self._call(lambda: self.http.batch_update(self.key, {"requests": requests}), what, retry=False)

    # -- reading ------------------------------------------------------------------------------
    def read(self, sheet: Sheet) -> RemoteTable:
        title = self.tab_of(sheet)
        try:
            answer, register = read_with_register(self, title, READ_PARAMS)
        except APIError as error:
            if status_of(error) != 400:
                raise
            self._create_tab(title)  # first sync: the tab does not exist yet
            answer, register = {}, read_register(self)
        values = (answer.get("valueRanges") or [{}])[0].get("values", [])
        if not any(v not in ("", None) for line in values for v in line):
            table = RemoteTable(sheet, {}, [], TabState(title, [], {}, [c.key for c in sheet.synced_columns]))
            table.missing, table.known = list(table.state.missing), set()
        else:
            table = read_table(sheet, title, values)
            table.missing = list(table.state.missing)
        table.register = register
        if self.after_read is not None:
            self.after_read()
        return table

    def add_register_rows(self, rows: list[list[str]]) -> None:
        append_register(self, rows)

    def _create_tab(self, title: str) -> None:
        body = {"addSheet": {"properties": {"title": title, "gridProperties": {
            "rowCount": 1000, "columnCount": 26, "frozenRowCount": 1}}}}
        self._batch([body], f"creating tab {title}")

    def known_columns(self, remote: RemoteTable) -> set[str] | None:
        """The synced columns the tab has had (developer metadata), None where none are recorded.
        Asked only when a shared column is missing, so a normal sync pays no request for it."""
        if remote.known is not None:
            return remote.known
        title = remote.state.title
        body = {"dataFilters": [{"developerMetadataLookup": {"metadataKey": COLUMNS_TAG}}]}
        url = SPREADSHEET_URL % self.key + "/developerMetadata:search"
        got = self._call(lambda: self.http.request("post", url, json=body).json(), f"reading the columns of {title}")
        sheet_id = self._sheet_id(title)
        for hit in got.get("matchedDeveloperMetadata", []):
            md = hit.get("developerMetadata", {})
            if md.get("location", {}).get("sheetId") == sheet_id:
                remote.known = set(filter(None, str(md.get("metadataValue", "")).split(",")))
                remote.state.recorded = True
                return remote.known
        remote.state.recorded = False
        return None

    def _sheet_id(self, title: str) -> int | None:
        meta = self._call(lambda: self.http.fetch_sheet_metadata(self.key, params={"fields": "sheets.properties"}),
                          f"reading the tabs of {self.key}")
        return next((s["properties"]["sheetId"] for s in meta.get("sheets", []) if s["properties"]["title"] == title),
                    None)

    def _post(self, url: str, body: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A Sheets API method gspread has no call for (the data-filter ones), through its HTTP
        client; compact JSON, since a row written by its tag spells out a null per cell before it."""
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self.http.request("post", url, params=params, data=data,
                                 headers={"Content-Type": "application/json; charset=UTF-8"}).json()

    # -- the guard read -----------------------------------------------------------------------
    def _guard(self, state: TabState, keys: list[str], register: bool = False) -> RowTags:
        """Sheet metadata, protections and the tagged rows of ``keys`` as they are now, in one
        ``spreadsheets.getByDataFilter`` (see :mod:`.google_rows`); ``register``: the register tab's
        protections too, when the tab exists (read again without it if the tab went meanwhile)."""
        url = SPREADSHEET_URL % self.key + ":getByDataFilter"
        body = guard_request(state, keys)
        extra = guard_filters(self) if register else []
        try:
            meta = self._call(partial(self._post, url, {**body, "dataFilters": body["dataFilters"] + extra},
                                      {"fields": GUARD_FIELDS}), f"checking {state.title}")
        except APIError as error:
            if not extra or status_of(error) != 400:
                raise
            self.register_tab = None  # deleted or renamed since the read: not known until read or appended to
            return self._guard(state, keys)
        return read_tags(meta, state, keys)

    def _tag_untagged(self, state: TabState, remote: RemoteTable, tags: RowTags, keys: list[str]) -> bool:
        """Tag the rows of ``keys`` that have no trusted tag yet, where the main read saw them, and
        read them back by their new tags; True when one could not be trusted (a sort moved the row
        in between: its tag is deleted again and the creator waits for the next attempt)."""
        rows = {k: remote.rows[k].row for k in keys if k not in tags.found and k in remote.rows}
        if not rows and not tags.stale:
            return False
        tab = tags.tab(state.title)
        if tab is None:
            raise RaceDetected(f"tab {state.title} vanished while syncing")
        sheet_id = tab["properties"]["sheetId"]
        self._batch(tag_requests(sheet_id, {k: r for k, r in rows.items() if r}, tags.stale),
                    f"tagging rows of {state.title}")
        tags.stale = set()
        if not rows:
            return False
        again = self._guard(state, sorted(rows))
        tags.found.update(again.found)
        if again.stale:
            self._batch(tag_requests(sheet_id, {}, again.stale), f"untagging rows of {state.title}")
        return len(again.found) != len(rows)

    # -- writing ------------------------------------------------------------------------------
    def commit(self, sheet: Sheet, remote: RemoteTable, plan: WritePlan, entry: dict[str, Any]) -> None:
        state: TabState = remote.state
        cols = {c.key: c for c in sheet.columns}
        written = sorted({c.key for c in plan.cells})
        tags = self._guard(state, written + [r["creator_key"] for r in plan.appends], register=True)
        if plan.columns or getattr(state, "recorded", None) is False:
            self._add_columns(state, tags, plan, cols, remote)
        if self.before_write is not None:
            self.before_write()
        raced = self._tag_untagged(state, remote, tags, written)
        locked = locked_cells(tags.tab(state.title))
        key_col = state.col_of["creator_key"]
        self.withheld = [c for c in plan.cells if c.key in tags.found and any(
            _is_locked(locked, tags.found[c.key].row, i) for i in (state.col_of.get(c.column), key_col))]
        cells = [c for c in plan.cells if c not in self.withheld]
        raced = self._write_cells(state, tags, cells, cols) or raced
        appends = [r for r in plan.appends if r["creator_key"] not in tags.found]
        raced = raced or len(appends) != len(plan.appends)
        if appends:
            self._append(state, tags, appends, cols, locked)
        self._protect(sheet, state, tags.meta)
        if raced:
            raise RaceDetected(f"{state.title} changed while syncing; syncing again")
        self.log_sync(entry)

    def _write_cells(self, state: TabState, tags: RowTags, cells: list[CellWrite], cols: Mapping[str, Column]) -> bool:
        """Every changed cell, addressed by its creator's row tag (``values:batchUpdateByDataFilter``,
        ``RAW``), one request per ~1 MB. True when a creator's row could not be found (deleted,
        or its tag not trusted yet): the next attempt sees why."""
        by_key: dict[str, dict[int, Any]] = {}
        for cell in cells:
            value = cell_for_sheet(cell.value, cols.get(cell.column))
            by_key.setdefault(cell.key, {})[state.col_of[cell.column]] = value
        raced = any(k not in tags.found for k in by_key)
        data = write_ranges(state, tags, {k: v for k, v in by_key.items() if k in tags.found})
        url = SPREADSHEET_URL % self.key + "/values:batchUpdateByDataFilter"
        for chunk in chunks(data, self.chunk_bytes):
            body = {"valueInputOption": "RAW", "data": [{k: v for k, v in d.items() if not k.startswith("_")}
                                                        for d in chunk]}
            answer = self._call(partial(self._post, url, body), f"writing {state.title}", retry=False)
            landed = {r.get("dataFilter", {}).get("developerMetadataLookup", {}).get("metadataId")
                      for r in answer.get("responses", [])}
            raced = raced or any(tags.found[d["_key"]].metadata_id not in landed for d in chunk)
        return raced

    def _append(self, state: TabState, tags: RowTags, rows: list[dict[str, str]], cols: Mapping[str, Column],
                locked: list[tuple[int, float, int, float]]) -> None:
        """New creators into rows inserted right below the last data row, filled and tagged in
        atomic requests of ~1 MB (cells in columns a strict protection locks for the sync's account
        stay empty, withheld)."""
        tab = tags.tab(state.title)
        if tab is None:
            raise RaceDetected(f"tab {state.title} vanished while syncing")
        sheet_id = tab["properties"]["sheetId"]
        lo, hi = min(state.col_of.values()), max(state.col_of.values())
        height = tab["properties"].get("gridProperties", {}).get("rowCount", state.last_row)
        at = min(max(state.last_row, state.header_row), height)  # 0-based index of the first row below the data
        lines = []
        for n, rec in enumerate(rows):
            line: list[dict[str, Any]] = [{} for _ in range(lo, hi + 1)]
            for k, i in state.col_of.items():
                if _is_locked(locked, at + n + 1, i):
                    if rec.get(k):
                        self.withheld.append(CellWrite(rec["creator_key"], k, rec[k], ""))
                    continue
                line[i - lo] = _cell_data(cell_for_sheet(rec.get(k, ""), cols.get(k)))
            lines.append({"values": line})
        keys = [rec["creator_key"] for rec in rows]
        for requests in append_batches(sheet_id, at, (lo, hi), lines, keys, self.chunk_bytes):
            self._batch(requests, f"adding rows to {state.title}")

    def _add_columns(self, state: TabState, tags: RowTags, plan: WritePlan, cols: Mapping[str, Column],
                     remote: RemoteTable) -> None:
        """Header cells for synced columns the tab lacks, after its last column, growing the grid first
        (``appendDimension``: a header written past the grid is an HTTP 400); and the record of the
        columns the tab has had. One atomic request."""
        tab = tags.tab(state.title)
        if tab is None:
            raise RaceDetected(f"tab {state.title} vanished while syncing")
        sheet_id = tab["properties"]["sheetId"]
        add = plan.columns
        start = len(state.header)
        requests: list[dict[str, Any]] = []
        width = tab["properties"].get("gridProperties", {}).get("columnCount", 26)
        if start + len(add) > width:
            requests.append({"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS",
                                                 "length": start + len(add) - width}})
        if add:
            cells = [_cell_data(cols[k].header) for k in add]
            requests.append({"updateCells": {"rows": [{"values": cells}], "fields": "userEnteredValue", "start": {
                "sheetId": sheet_id, "rowIndex": state.header_row - 1, "columnIndex": start}}})
        known = sorted(set(state.col_of) | set(plan.absent) | set(add) | (remote.known or set()))
        requests += [{"deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {
                         "metadataKey": COLUMNS_TAG, "metadataLocation": {"sheetId": sheet_id}}}}},
                     {"createDeveloperMetadata": {"developerMetadata": {
                         "metadataKey": COLUMNS_TAG, "metadataValue": ",".join(known),
                         "location": {"sheetId": sheet_id}, "visibility": "DOCUMENT"}}}]
        self._batch(requests, f"adding columns to {state.title}")
        for n, key in enumerate(add):
            state.col_of[key] = start + n
        state.header = state.header + [cols[k].header for k in add]
        state.missing = [k for k in state.missing if k not in add]

    def _protect(self, sheet: Sheet, state: TabState, meta: dict[str, Any]) -> None:
        """One spreadsheets.batchUpdate, only when a protection is missing or moved: warning-only
        protection of computed columns (team mates get a warning, not a lock), and of the register
        tab when it has none (made by an earlier version)."""
        tab = next((s for s in meta.get("sheets", []) if s["properties"]["title"] == state.title), None)
        requests: list[dict[str, Any]] = []
        if tab is not None:
            sheet_id = tab["properties"]["sheetId"]
            have = {p.get("description", ""): p for p in tab.get("protectedRanges", [])}
            for col in sheet.computed_columns:
                if col.key not in state.col_of or col.key == "creator_key":
                    continue
                i = state.col_of[col.key]
                rng = {"sheetId": sheet_id, "startRowIndex": state.header_row, "startColumnIndex": i,
                       "endColumnIndex": i + 1}
                tag = PROTECT_TAG + col.key
                old = have.get(tag)
                if old is None:
                    requests.append({"addProtectedRange": {"protectedRange": {
                        "range": rng, "description": tag, "warningOnly": True}}})
                elif old.get("range", {}).get("startColumnIndex") != i:
                    requests.append({"updateProtectedRange": {"protectedRange": {
                        "protectedRangeId": old["protectedRangeId"], "range": rng}, "fields": "range"}})
        requests += protection_requests(meta)
        if requests:
            self._call(lambda: self.http.batch_update(self.key, {"requests": requests}), "protecting computed columns")

    # -- the small interface, for callers that do not go through commit() ----------------------
    def write_cells(self, sheet: Sheet, remote: RemoteTable, cells: list[CellWrite]) -> None:
        self.commit(sheet, remote, WritePlan(cells=cells), None)  # type: ignore[arg-type]

    def append_rows(self, sheet: Sheet, remote: RemoteTable, rows: list[dict[str, str]]) -> None:
        self.commit(sheet, remote, WritePlan(appends=rows), None)  # type: ignore[arg-type]

    def log_sync(self, entry: dict[str, Any] | None) -> None:
        """One row appended to the sync-log tab; the tab (with its header) is made on first use.

        Retried in place: the data is already written, and a transient error here used to make the
        next attempt find nothing to do and skip the log line altogether. If it still fails, the sync
        stands and the problem is reported."""
        if entry is None:
            return
        row = [str(entry.get(c, "")) for c in LOG_COLUMNS]
        params: dict[str, Any] = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
        target = absolute_range_name(self.log_tab, "A1")
        try:
            try:
                self._call(lambda: self.http.values_append(self.key, target, params, {"values": [row]}),
                           "writing the sync log")
            except APIError as error:
                if status_of(error) != 400:
                    raise
                add = {"addSheet": {"properties": {"title": self.log_tab, "gridProperties": {
                    "rowCount": 100, "columnCount": len(LOG_COLUMNS), "frozenRowCount": 1}}}}
                self._call(lambda: self.http.batch_update(self.key, {"requests": [add]}), "creating the sync-log tab")
                self._call(lambda: self.http.values_append(self.key, target, params, {"values": [list(LOG_COLUMNS),
                                                                                                 row]}),
                           "writing the sync log")
        except Exception as error:  # noqa: BLE001 - the data is synced; only the log line is missing
            self.log_problems.append(f"共享表 sync log '{self.log_tab}': 未能记录 this sync's log line could not be "
                                     f"written ({type(error).__name__}); the data itself was synced.")

    def protect_computed(self, sheet: Sheet, remote: RemoteTable) -> None:
        meta = self._call(lambda: self.http.fetch_sheet_metadata(self.key), "reading sheet metadata")
        self._protect(sheet, remote.state, meta)



def locked_cells(tab: dict[str, Any] | None) -> list[tuple[int, float, int, float]]:
    """(first row, end row, first column, end column), 0-based, of the strict protected ranges the
    sync's account may not edit (Google says so per range: ``requestingUserCanEdit``)."""
    out = []
    for p in (tab or {}).get("protectedRanges", []):
        if p.get("warningOnly") or p.get("requestingUserCanEdit", True) or "range" not in p:
            continue
        g = p["range"]
        out.append((g.get("startRowIndex", 0), g.get("endRowIndex", float("inf")),
                    g.get("startColumnIndex", 0), g.get("endColumnIndex", float("inf"))))
    return out


def _is_locked(locked: list[tuple[int, float, int, float]], row: int | None, col: int | None) -> bool:
    """Whether sheet row ``row`` (1-based), column ``col`` (0-based) lies in a locked range."""
    if row is None or col is None:
        return False
    return any(r0 <= row - 1 < r1 and c0 <= col < c1 for r0, r1, c0, c1 in locked)


def _cell_data(value: Any) -> dict[str, Any]:
    """A ``CellData`` holding ``value`` as typed by nobody: text stays text, even ``=...``."""
    if value is None or value == "":
        return {}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, (int, float)):
        return {"userEnteredValue": {"numberValue": value}}
    return {"userEnteredValue": {"stringValue": str(value)}}


__all__ = ["GoogleSheetBackend", "load_credentials", "is_transient"]
