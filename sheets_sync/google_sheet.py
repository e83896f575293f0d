"""The shared Google Sheet as an archive backend (gspread + google-auth, Sheets API v4).

Requests per sync, steady state (``srv.stats`` in the tests and ``benchmarks/sync.py`` count them):

1. ``values.batchGet`` of the whole tab (UNFORMATTED values): the only request of a no-op sync.
2. ``spreadsheets.get`` with grid data for the identity columns (creator key, platform, handle,
   profile URL) and the columns about to be written, plus sheet metadata and protected ranges: the
   guard read, made right before writing.
3. ``values.batchUpdate`` with every changed cell, ``valueInputOption=RAW``: one request per ~1 MB
   chunk, so one in practice. RAW keeps ``=``, ``+``, ``-``, ``@`` text as text.
4. Only if the answer to 3 does not echo the identity cells (Google echoes the requested range; the
   test fake echoes only the cells written): ``values.batchGet`` of the identity columns, to check.
5. ``values.append`` of new creators (only when there are any), ``insertDataOption=INSERT_ROWS``,
   RAW: the server finds the end of the table, so two workbooks appending at once do not collide.
6. ``values.append`` of one row to the sync-log tab.
(+1 ``spreadsheets.batchUpdate`` on the first sync, or when a protection is missing or moved.)

Rows are located by creator key, never by a remembered row number, because team mates sort, filter,
insert and delete rows while others sync. The Sheets API has no conditional write, so the window
between reading and writing is closed as far as it allows:

* Guard read: step 2 re-reads the identity columns just before the write and row numbers come from
  it, so a sort or insert during the seconds a sync spends merging is harmless. A creator that
  vanished meanwhile, or a "new" one someone else appended meanwhile, is left for another attempt.
* Self-marking, verified write: every written range spans the row's identity cells; the key cell is
  written (with the key the row should hold), platform/handle are sent as null (left alone). A write
  that lands on the wrong row therefore puts key K on a row whose platform/handle belong to another
  creator, which the echo of step 3 (or the read of step 4) shows, even if rows moved again since.
* Repair: such rows get their own key and the values the guard read saw back, only in cells that
  still hold what we wrote (a newer edit there is kept); the check repeats, since a sort can also
  hit the repair; then the sync runs again (:class:`RaceDetected`) and writes what is still missing.
* Remaining window, honestly: a sort must land inside one round trip (guard read -> write) to
  misplace anything, and then the repair restores the guard read's value. If in that same instant
  someone else also changed the very cell the misplaced write hit, the repair puts back the older
  value and that edit is lost (the tests keep this out of the parallel test with a gate and pin the
  single-writer case). Sheets' developer metadata with ``values:batchUpdateByDataFilter`` would
  close it on real Google; the local fake does not implement those calls, so this is not used.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gspread
from google.auth import exceptions as auth_exceptions
from gspread.exceptions import APIError
from gspread.utils import a1_range_to_grid_range, absolute_range_name, rowcol_to_a1

from workbook_addin.core.cells import is_blank
from workbook_addin.core.keys import CreatorKeyError, creator_key
from workbook_addin.core.schema import Sheet, header_map, normalise_header

from .backend import LOG_COLUMNS, Backend, CellWrite, RaceDetected, RemoteRow, RemoteTable, SyncError, WritePlan
from .retry import RetryPolicy, call_with_retry, is_transient, status_of
from .safe_values import canonical, canonical_many, cell_for_sheet

SCOPES = ["https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive.file"]
IDENTITY = ("creator_key", "platform", "handle", "profile_url")
#: What a row is, apart from its key cell: travels with the row through sorts, so a write checked
#: against it cannot be fooled by a key we wrote ourselves.
FINGERPRINT = ("platform", "handle", "profile_url")
PROTECT_TAG = "lianxing:computed:"
DEFAULT_LOG_TAB = "同步日志 Sync log"
#: Stay well under Google's recommended 2 MB request size.
CHUNK_BYTES = 1_000_000


@dataclass
class TabState:
    """What the read learned about the tab: where each schema column is, how many rows it has."""

    title: str
    header: list[str]
    col_of: dict[str, int]  # schema column key -> 0-based column index
    missing: list[str] = field(default_factory=list)  # synced columns not in the header yet
    last_row: int = 1


@dataclass
class Guard:
    """The guard read: metadata, where each creator is now, and the raw cells of the read columns."""

    meta: dict[str, Any]
    row_of: dict[str, int]
    columns: dict[str, list[Any]]
    key_of_print: dict[tuple[str, ...], str] = field(default_factory=dict)

    def cell(self, column: str, row: int) -> Any:
        """Raw value the guard read saw in sheet row ``row`` (1-based) of ``column``."""
        values = self.columns.get(column) or []
        return values[row - 1] if row - 1 < len(values) else None

    def print_of(self, key: str) -> tuple[str, ...] | None:
        row = self.row_of.get(key)
        return None if row is None else fingerprint({k: self.cell(k, row) for k in FINGERPRINT})


def _row_key(cells: Mapping[str, Any]) -> tuple[str, bool]:
    """(creator key, needs_key) of a sheet row; raises CreatorKeyError when none can be made."""
    key = canonical(cells.get("creator_key"))
    if key:
        return key, False
    return creator_key(cells.get("platform"), cells.get("handle") or cells.get("profile_url")), True


class GoogleSheetBackend(Backend):
    """One spreadsheet; each synced schema sheet is one tab, plus a sync-log tab."""

    name = "google"

    def __init__(self, client: gspread.Client, spreadsheet_key: str, *, tabs: Mapping[str, str] | None = None,
                 log_tab: str = DEFAULT_LOG_TAB, policy: RetryPolicy | None = None, credentials_file: str = "",
                 account: str = "", chunk_bytes: int = CHUNK_BYTES,
                 before_write: Callable[[], None] | None = None) -> None:
        self.client = client
        self.http = client.http_client
        self.key = spreadsheet_key
        self.tabs = dict(tabs or {})
        self.log_tab = log_tab
        self.policy = policy or RetryPolicy()
        self.credentials_file = credentials_file
        self.account = account
        self.chunk_bytes = chunk_bytes
        self.after_read = None  # test hooks: run after the main read, and between the guard read and the write
        self.before_write = before_write
        self.user = ""
        self.race_repairs = 0

    # -- construction from Settings -----------------------------------------------------------
    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], workbook_dir: str | Path | None = None,
                      policy: RetryPolicy | None = None) -> "GoogleSheetBackend":
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
        credentials, account = load_credentials(path, key)
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
                   policy=policy, credentials_file=str(path), account=account)

    def describe(self) -> str:
        return f"Google Sheet {self.key}"

    def tab_of(self, sheet: Sheet) -> str:
        return self.tabs.get(sheet.key, sheet.name)

    # -- error translation --------------------------------------------------------------------
    def _explain(self, error: BaseException) -> SyncError | None:
        """A plain-language SyncError for credential and access problems (None for others)."""
        who = f"{self.account} ({self.credentials_file})" if self.account else (self.credentials_file or "these credentials")
        if isinstance(error, auth_exceptions.RefreshError):
            return SyncError(f"Google 凭据被拒绝 The credentials in {self.credentials_file or 'the credentials file'} were refused "
                             f"(expired, revoked or wrong) while opening Google Sheet {self.key}: {error}. "
                             "Create a new key / sign in again and update Settings › google_credentials.")
        status = status_of(error)
        if status in (401,):
            return SyncError(f"Google 凭据无效 Google rejected the credentials of {who} for sheet {self.key} (HTTP 401).")
        if status == 403:
            return SyncError(f"无权访问 {who} has no access to Google Sheet {self.key}: share the sheet with "
                             f"{self.account or 'this account'} as editor (HTTP 403).")
        if status == 404:
            return SyncError(f"找不到表格 Google Sheet {self.key} was not found (HTTP 404): check Settings › google_sheet_key.")
        return None

    def _call(self, fn: Callable[[], Any], what: str, retry: bool = True) -> Any:
        try:
            return call_with_retry(fn, self.policy, what) if retry else fn()
        except Exception as error:  # noqa: BLE001 - translated or re-raised
            explained = self._explain(error)
            if explained is not None:
                raise explained from error
            raise

    # -- reading ------------------------------------------------------------------------------
    def read(self, sheet: Sheet) -> RemoteTable:
        title = self.tab_of(sheet)
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "FORMATTED_STRING",
                  "majorDimension": "ROWS"}
        try:
            answer = self._call(lambda: self.http.values_batch_get(self.key, [absolute_range_name(title)], dict(params)),
                                f"reading {title}")
        except APIError as error:
            if status_of(error) != 400:
                raise
            self._create_tab(sheet, title)  # first sync: the tab does not exist yet
            answer = {"valueRanges": [{"values": [[c.header for c in sheet.synced_columns]]}]}
        values = answer.get("valueRanges", [{}])[0].get("values", [])
        if not values or not any(not is_blank(v) for v in values[0]):
            self._write_header(sheet, title)
            values = [[c.header for c in sheet.synced_columns]] + values[1:]
        table = self._table(sheet, title, values)
        if self.after_read is not None:
            self.after_read()
        return table

    def _table(self, sheet: Sheet, title: str, values: list[list[Any]]) -> RemoteTable:
        labels = header_map(sheet.columns)
        header = [str(h) for h in values[0]]
        col_of: dict[str, int] = {}
        for i, text in enumerate(header):
            key = labels.get(normalise_header(text))
            if key is not None and key not in col_of:
                col_of[key] = i
        synced = [c for c in sheet.synced_columns]
        missing = [c.key for c in synced if c.key not in col_of]
        state = TabState(title, header, col_of, missing, last_row=len(values))
        rows: dict[str, RemoteRow] = {}
        problems: list[str] = []
        cols = [c for c in synced if c.key != "creator_key" and c.key in col_of]
        body = values[1:]
        canon = {c.key: canonical_many([(line[col_of[c.key]] if col_of[c.key] < len(line) else None) for line in body], c)
                 for c in cols}
        blank = {c.key: "" for c in synced if c.key != "creator_key" and c.key not in col_of}
        for n, raw in enumerate(body, start=2):
            if not raw or all(v == "" or v is None for v in raw):
                continue
            cells = {k: (raw[i] if i < len(raw) else None) for k, i in col_of.items() if k in IDENTITY}
            try:
                key, needs_key = _row_key(cells)
            except CreatorKeyError as error:
                problems.append(f"共享表 shared sheet '{title}', row {n}: {error}; not synced")
                continue
            if key in rows:
                problems.append(f"共享表 shared sheet '{title}', row {n}: creator {key} already in row "
                                f"{rows[key].row}; row {n} is not synced (merge the two rows by hand)")
                continue
            vals = {c.key: canon[c.key][n - 2] for c in cols}
            vals.update(blank)
            rows[key] = RemoteRow(key, vals, row=n, needs_key=needs_key)
        return RemoteTable(sheet, rows, problems, state)

    def _create_tab(self, sheet: Sheet, title: str) -> None:
        cols = sheet.synced_columns
        body = {"requests": [{"addSheet": {"properties": {"title": title, "gridProperties": {
            "rowCount": 1000, "columnCount": max(26, len(cols)), "frozenRowCount": 1}}}}]}
        self._call(lambda: self.http.batch_update(self.key, body), f"creating tab {title}")
        self._write_header(sheet, title)

    def _write_header(self, sheet: Sheet, title: str) -> None:
        header = [c.header for c in sheet.synced_columns]
        body = {"valueInputOption": "RAW", "data": [{"range": absolute_range_name(title, "A1"), "values": [header]}]}
        self._call(lambda: self.http.values_batch_update(self.key, body), f"writing the header of {title}")

    # -- the guard read ---------------------------------------------------------------------
    def _guard(self, state: TabState, written: list[str]) -> "Guard":
        """Sheet metadata, the identity columns and the columns about to be written, as they are now.

        The identity columns say which row each creator is in; the written columns are what a repair
        puts back if a sort still slips in before the write lands (see the module docstring)."""
        wanted = [k for k in IDENTITY if k in state.col_of]
        wanted += [k for k in written if k in state.col_of and k not in wanted]
        ranges = [absolute_range_name(state.title, f"{_col(state.col_of[k])}:{_col(state.col_of[k])}") for k in wanted]
        params = {"ranges": ranges, "includeGridData": "true",
                  "fields": "sheets(data(startRow,startColumn,rowData(values(effectiveValue))),"
                            "properties(sheetId,title,gridProperties),protectedRanges)"}
        meta = self._call(lambda: self.http.fetch_sheet_metadata(self.key, params=params), f"checking {state.title}")
        tab = next((s for s in meta.get("sheets", []) if s["properties"]["title"] == state.title), None)
        columns: dict[str, list[Any]] = {}
        grids = (tab or {}).get("data") or []
        by_index = {state.col_of[k]: k for k in wanted}
        if tab is not None and grids and any("rowData" in g for g in grids):
            for g in grids:
                key = by_index.get(g.get("startColumn", 0))
                if key is None:
                    continue
                col: list[Any] = [None] * g.get("startRow", 0)
                for rd in g.get("rowData", []):
                    vals = rd.get("values") or [{}]
                    ev = vals[0].get("effectiveValue", {}) if vals else {}
                    col.append(next(iter(ev.values()), None) if ev else None)
                columns[key] = col
        else:  # an endpoint without grid data: one more (cheap) read of the same columns
            got = self._call(lambda: self.http.values_batch_get(
                self.key, ranges, {"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "COLUMNS"}),
                f"re-reading keys of {state.title}")
            for k, vr in zip(wanted, got.get("valueRanges", [])):
                columns[k] = (vr.get("values") or [[]])[0]
        height = max((len(c) for c in columns.values()), default=0)
        row_of: dict[str, int] = {}
        for r in range(1, height):  # 0 is the header
            cells = {k: (columns[k][r] if r < len(columns[k]) else None) for k in IDENTITY if k in columns}
            if all(is_blank(v) for v in cells.values()):
                continue
            try:
                key, _ = _row_key(cells)
            except CreatorKeyError:
                continue
            row_of.setdefault(key, r + 1)
        guard = Guard(meta, row_of, columns)
        guard.key_of_print = {fp: k for k in row_of if (fp := guard.print_of(k)) is not None}
        return guard

    # -- writing ------------------------------------------------------------------------------
    def commit(self, sheet: Sheet, remote: RemoteTable, plan: WritePlan, entry: dict[str, Any]) -> None:
        state: TabState = remote.state
        cols = {c.key: c for c in sheet.columns}
        if state.missing:
            self._add_columns(state)
        guard = self._guard(state, sorted({c.column for c in plan.cells}))
        row_of = guard.row_of
        if self.before_write is not None:
            self.before_write()
        raced = False
        by_row: dict[int, dict[int, Any]] = {}
        expected: dict[int, str] = {}
        for cell in plan.cells:
            row = row_of.get(cell.key)
            if row is None:  # deleted or re-keyed since the read: the next attempt sees it
                raced = True
                continue
            by_row.setdefault(row, {})[state.col_of[cell.column]] = cell_for_sheet(cell.value, cols.get(cell.column))
            expected[row] = cell.key
        data = []
        ident = [state.col_of[k] for k in IDENTITY if k in state.col_of]
        key_col = state.col_of["creator_key"]
        for row, cells in sorted(by_row.items()):
            # Each range spans the row's identity cells. The key cell is written (with the key it
            # holds, or the key a browser-typed row gets), the platform/handle cells are sent as null
            # (left alone), so the answer - or a later read - shows which creator the write landed on.
            cells[key_col] = expected[row]
            lo, hi = min([*ident, *cells]), max([*ident, *cells])
            values = [cells.get(i) for i in range(lo, hi + 1)]
            data.append({"range": _row_range(state.title, row, lo, hi), "values": [values], "_row": row, "_lo": lo,
                         "_key": expected[row]})
        for chunk in _chunks(data, self.chunk_bytes):
            self._write_chunk(state, guard, chunk)
        appends = [r for r in plan.appends if r["creator_key"] not in row_of]
        raced = raced or len(appends) != len(plan.appends)
        if appends:
            width = max(state.col_of.values()) + 1
            rows = []
            for rec in appends:
                line: list[Any] = [None] * width
                for k, i in state.col_of.items():
                    line[i] = cell_for_sheet(rec.get(k, ""), cols.get(k))
                rows.append(line)
            body = {"values": rows, "majorDimension": "ROWS"}
            params = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
            # Not retried in place: if the answer is lost, the next attempt's read shows whether it landed.
            self._call(lambda: self.http.values_append(self.key, absolute_range_name(state.title, "A1"), params, body),
                       f"appending rows to {state.title}", retry=False)
        self._protect(sheet, state, guard.meta)
        if raced:
            raise RaceDetected(f"{state.title} changed while syncing; syncing again")
        self.log_sync(entry)

    def _write_chunk(self, state: TabState, guard: Guard, chunk: list[dict[str, Any]]) -> None:
        body = {"valueInputOption": "RAW", "includeValuesInResponse": True,
                "responseValueRenderOption": "UNFORMATTED_VALUE",
                "data": [{"range": d["range"], "values": d["values"]} for d in chunk]}
        answer = self._call(lambda: self.http.values_batch_update(self.key, body), f"writing {state.title}", retry=False)
        checked = True
        for d, resp in zip(chunk, answer.get("responses", [{}] * len(chunk))):
            cells = _echo(resp.get("updatedData"), d["_row"], state)
            if cells is None or fingerprint(cells) != guard.print_of(d["_key"]):
                checked = False  # not echoed (some endpoints echo only the cells written), or misplaced
        if checked:
            return  # Google echoes the requested range atomically: every write is where it should be
        key_of_col = {i: k for k, i in state.col_of.items()}
        ours: dict[str, list[dict[str, Any]]] = {}
        for d in chunk:
            ours.setdefault(d["_key"], []).append({key_of_col[d["_lo"] + j]: v for j, v in enumerate(d["values"][0])
                                                   if v is not None and d["_lo"] + j in key_of_col})
        if self._scrub(state, guard, ours):
            raise RaceDetected(f"rows of {state.title} moved under the write; repaired, syncing again")

    def _scrub(self, state: TabState, guard: Guard, ours: dict[str, list[dict[str, Any]]], rounds: int = 4) -> bool:
        """Find rows our write hit by mistake and give them back their own key and values.

        A misplaced write marks itself: it puts key K on a row whose platform/handle belong to another
        creator. Each round reads the identity columns and the written ones (rows may have moved again),
        restores - in cells that still hold exactly what we wrote, so a team mate's newer edit is kept -
        the key and the values the guard read saw for the creator the row really is, and checks again,
        because a sort can slip in before the repair lands too. True when anything was repaired."""
        repaired = False
        for _ in range(rounds):
            names = [k for k in IDENTITY if k in state.col_of]
            names += sorted({c for recs in ours.values() for rec in recs for c in rec} - set(names))
            got = self._call(lambda: self.http.values_batch_get(
                self.key, [absolute_range_name(state.title, f"{_col(state.col_of[k])}:{_col(state.col_of[k])}") for k in names],
                {"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "COLUMNS"}), f"checking {state.title}")
            now = {k: ((vr.get("values") or [[]])[0]) for k, vr in zip(names, got.get("valueRanges", []))}
            height = max((len(c) for c in now.values()), default=0)
            data = []
            for r in range(1, height):
                at = {k: (c[r] if r < len(c) else None) for k, c in now.items()}
                claimed = canonical(at.get("creator_key"))
                if claimed not in ours:
                    continue
                owner = guard.key_of_print.get(fingerprint(at))
                if owner == claimed:
                    continue
                fix: dict[str, Any] = {}
                source = guard.row_of.get(owner) if owner else None
                wrote: dict[str, set[str]] = {}
                for rec in ours[claimed]:
                    for col, value in rec.items():
                        wrote.setdefault(col, set()).add(canonical(value))
                for col, values in wrote.items():
                    if canonical(at.get(col)) not in values:
                        continue  # someone wrote here after us: theirs stays
                    old = guard.cell(col, source) if source else ("" if col == "creator_key" else None)
                    if old is not None or col == "creator_key":
                        fix[col] = "" if old is None else old
                if not fix:
                    continue
                lo = min(state.col_of[c] for c in fix)
                hi = max(state.col_of[c] for c in fix)
                line = [None] * (hi - lo + 1)
                for col, value in fix.items():
                    line[state.col_of[col] - lo] = value
                data.append({"range": _row_range(state.title, r + 1, lo, hi), "values": [line]})
                if owner:
                    ours.setdefault(owner, []).append(fix)
            if not data:
                return repaired
            repaired = True
            self.race_repairs += len(data)
            body = {"valueInputOption": "RAW", "data": data}
            self._call(lambda: self.http.values_batch_update(self.key, body), f"repairing {state.title}")
        return repaired

    def _add_columns(self, state: TabState) -> None:
        """Synced columns the shared sheet lacks get a header cell after its last column."""
        from workbook_addin.core.schema import load_schema

        sheet_cols = {c.key: c for s in load_schema().sheets for c in s.columns}
        start = len(state.header)
        data = []
        for n, key in enumerate(state.missing):
            state.col_of[key] = start + n
            data.append({"range": absolute_range_name(state.title, rowcol_to_a1(1, start + n + 1)),
                         "values": [[sheet_cols[key].header]]})
        state.header = state.header + [sheet_cols[k].header for k in state.missing]
        state.missing = []
        body = {"valueInputOption": "RAW", "data": data}
        self._call(lambda: self.http.values_batch_update(self.key, body), f"adding columns to {state.title}", retry=False)

    def _protect(self, sheet: Sheet, state: TabState, meta: dict[str, Any]) -> None:
        """One spreadsheets.batchUpdate, only when a protection is missing or moved: warning-only
        protection of computed columns (team mates get a warning, not a lock)."""
        tabs = {s["properties"]["title"]: s for s in meta.get("sheets", [])}
        tab = tabs.get(state.title)
        requests: list[dict[str, Any]] = []
        if tab is not None:
            sheet_id = tab["properties"]["sheetId"]
            have = {p.get("description", ""): p for p in tab.get("protectedRanges", [])}
            for col in sheet.computed_columns:
                if col.key not in state.col_of or col.key == "creator_key":
                    continue
                i = state.col_of[col.key]
                rng = {"sheetId": sheet_id, "startRowIndex": 1, "startColumnIndex": i, "endColumnIndex": i + 1}
                tag = PROTECT_TAG + col.key
                old = have.get(tag)
                if old is None:
                    requests.append({"addProtectedRange": {"protectedRange": {
                        "range": rng, "description": tag, "warningOnly": True}}})
                elif old.get("range", {}).get("startColumnIndex") != i:
                    requests.append({"updateProtectedRange": {"protectedRange": {
                        "protectedRangeId": old["protectedRangeId"], "range": rng}, "fields": "range"}})
        if requests:
            self._call(lambda: self.http.batch_update(self.key, {"requests": requests}), "protecting computed columns")

    # -- the small interface, for callers that do not go through commit() ----------------------
    def write_cells(self, sheet: Sheet, remote: RemoteTable, cells: list[CellWrite]) -> None:
        self.commit(sheet, remote, WritePlan(cells=cells), None)  # type: ignore[arg-type]

    def append_rows(self, sheet: Sheet, remote: RemoteTable, rows: list[dict[str, str]]) -> None:
        self.commit(sheet, remote, WritePlan(appends=rows), None)  # type: ignore[arg-type]

    def log_sync(self, entry: dict[str, Any] | None) -> None:
        """One row appended to the sync-log tab; the tab (with its header) is made on first use."""
        if entry is None:
            return
        row = [str(entry.get(c, "")) for c in LOG_COLUMNS]
        params = {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"}
        target = absolute_range_name(self.log_tab, "A1")
        try:
            self._call(lambda: self.http.values_append(self.key, target, params, {"values": [row]}),
                       "writing the sync log", retry=False)
        except APIError as error:
            if status_of(error) != 400:
                raise
            add = {"requests": [{"addSheet": {"properties": {"title": self.log_tab, "gridProperties": {
                "rowCount": 100, "columnCount": len(LOG_COLUMNS), "frozenRowCount": 1}}}}]}
            self._call(lambda: self.http.batch_update(self.key, add), "creating the sync-log tab")
            self._call(lambda: self.http.values_append(self.key, target, params, {"values": [list(LOG_COLUMNS), row]}),
                       "writing the sync log", retry=False)

    def protect_computed(self, sheet: Sheet, remote: RemoteTable) -> None:
        meta = self._call(lambda: self.http.fetch_sheet_metadata(self.key), "reading sheet metadata")
        self._protect(sheet, remote.state, meta)

    def log_values(self) -> list[list[Any]]:
        """The sync-log tab's rows (for tests and reports)."""
        got = self._call(lambda: self.http.values_get(self.key, absolute_range_name(self.log_tab)), "reading the sync log")
        return got.get("values", [])


def _echo(data: dict[str, Any] | None, row: int, state: TabState) -> dict[str, Any] | None:
    """The identity cells of sheet row ``row`` from an ``updatedData`` echo (None when not all in it)."""
    if not data or "range" not in data:
        return None
    box = a1_range_to_grid_range(data["range"].rsplit("!", 1)[-1])
    r0, c0 = box.get("startRowIndex", 0), box.get("startColumnIndex", 0)
    c1 = box.get("endColumnIndex", c0 + 1)
    idents = {k: state.col_of[k] for k in IDENTITY if k in state.col_of}
    if r0 != row - 1 or not all(c0 <= i < c1 for i in idents.values()):
        return None
    line = (data.get("values") or [[]])[0] if data.get("values") else []
    return {k: (line[i - c0] if i - c0 < len(line) else None) for k, i in idents.items()}


def fingerprint(cells: Mapping[str, Any]) -> tuple[str, ...]:
    """A row's identity apart from its key cell (see FINGERPRINT)."""
    return tuple(canonical(cells.get(k)) for k in FINGERPRINT)


def _row_range(title: str, row: int, lo: int, hi: int) -> str:
    return absolute_range_name(title, f"{rowcol_to_a1(row, lo + 1)}:{rowcol_to_a1(row, hi + 1)}")


def _col(index: int) -> str:
    return rowcol_to_a1(1, index + 1)[:-1]


def _chunks(data: list[dict[str, Any]], limit: int) -> list[list[dict[str, Any]]]:
    """Split ranges into request bodies under ``limit`` bytes of JSON."""
    out: list[list[dict[str, Any]]] = []
    size = 0
    for d in data:
        n = len(json.dumps({"range": d["range"], "values": d["values"]}, ensure_ascii=False).encode()) + 2
        if not out or size + n > limit:
            out.append([])
            size = 200
        out[-1].append(d)
        size += n
    return out


def load_credentials(path: Path, sheet_key: str) -> tuple[Any, str]:
    """Credentials from a service-account key, an authorized-user file, or an OAuth client file
    (which opens a browser once and caches the sign-in beside it, never in the workbook)."""
    if not path.exists():
        raise SyncError(f"Google 凭据文件不存在 Credentials file not found: {path} (Settings › google_credentials, "
                        f"for Google Sheet {sheet_key}).")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SyncError(f"Google 凭据文件无法读取 Credentials file {path} is not a readable JSON key file: {error}") from error
    kind = info.get("type") or ("installed" if "installed" in info else "web" if "web" in info else "")
    try:
        if kind == "service_account":
            from google.oauth2.service_account import Credentials as ServiceAccount

            return ServiceAccount.from_service_account_info(info, scopes=SCOPES), info.get("client_email", "")
        if kind == "authorized_user":
            from google.oauth2.credentials import Credentials as UserCredentials

            return UserCredentials.from_authorized_user_info(info, scopes=SCOPES), info.get("account", "") or "OAuth user"
        if kind in ("installed", "web"):
            token = path.with_name(path.stem + ".token.json")
            client = gspread.oauth(credentials_filename=str(path), authorized_user_filename=str(token), scopes=SCOPES)
            return client.http_client.auth, "OAuth user"
    except (ValueError, KeyError, auth_exceptions.GoogleAuthError) as error:
        raise SyncError(f"Google 凭据文件无效 Credentials file {path} could not be used for Google Sheet {sheet_key}: {error}") from error
    raise SyncError(f"Google 凭据文件类型未知 Credentials file {path} is neither a service-account key, an OAuth "
                    f"client file nor a saved OAuth sign-in (type {kind!r}).")


__all__ = ["GoogleSheetBackend", "load_credentials", "is_transient"]
