"""The HTTP side of the fake: routes Sheets v4, the Drive v3 calls gspread makes, and the token endpoint.

Real gspread and google-auth talk to it over real HTTP on 127.0.0.1 (see ``FakeSheetsServer``).
One lock guards the model, so concurrent clients see each request applied whole.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from . import a1, data_filters, discovery
from .auth import TokenIssuer
from .batch import apply_batch, search_metadata
from .errors import ApiError, bad_request, not_found
from .faults import MESSAGES, Faults
from .quota import MESSAGE as QUOTA_MESSAGE, WriteQuota
from .model import Spreadsheet, apply_field_mask, now_rfc3339

DEFAULT_EMAIL = "sync@lianxing-test.iam.gserviceaccount.com"
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
READ_ONLY_POSTS = ("values:batchGet", "developerMetadata:search", ":getByDataFilter", "values:batchGetByDataFilter")


@dataclass
class Stats:
    """What the clients did: counts for benchmarks and for tests that pin 'one request per sync'."""

    requests: int = 0
    request_bytes: int = 0
    writes: int = 0
    server_seconds: float = 0.0  # time the fake spent answering (the rest of a client's wall time is the client's)
    token_requests: int = 0
    log: list[tuple[str, str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, method: str, path: str, status: int, nbytes: int, write: bool) -> None:
        with self._lock:
            self.requests += 1
            self.request_bytes += nbytes
            self.writes += int(write)
            self.log.append((method, path, status))

    def reset(self) -> None:
        with self._lock:
            self.requests = self.request_bytes = self.writes = self.token_requests = 0
            self.server_seconds = 0.0
            self.log = []


class _Reply(Exception):
    """Internal: a finished non-JSON answer (status, body bytes, content type)."""

    def __init__(self, status: int, body: bytes = b"", ctype: str = "application/json; charset=UTF-8") -> None:
        self.status, self.body, self.ctype = status, body, ctype


def _bool(query: dict[str, list[str]], key: str, default: bool = False) -> bool:
    v = query.get(key)
    return default if not v else v[-1].lower() in ("true", "1")


def _wants_grid_data(fields: str) -> bool:
    return bool(re.search(r"(^|[,(])\s*sheets([./]data|\(([^)]*[,(])?\s*data)", fields))


def _one(query: dict[str, list[str]], key: str, default: str | None = None) -> str | None:
    v = query.get(key)
    return v[-1] if v else default


class FakeSheetsServer:
    """In-memory Google Sheets v4 + Drive v3 + OAuth2 token endpoint on 127.0.0.1.

    Spreadsheets created through :meth:`create_spreadsheet` without ``owner`` belong to the default
    service account (``DEFAULT_EMAIL``); one created with another owner is invisible (403) to a
    service account until :meth:`share` grants it.
    """

    def __init__(self, token_lifetime: int = 3600) -> None:
        self.lock = threading.RLock()
        self.books: dict[str, Spreadsheet] = {}
        self.permissions: dict[str, list[dict[str, Any]]] = {}
        self.tokens = TokenIssuer(lifetime=token_lifetime)
        self.faults = Faults()
        self.quota = WriteQuota()
        self.stats = Stats()
        #: Test hook: called as ``intercept(method, path, account)`` when a request arrives, before
        #: it is answered, so a test can make a team mate act at an exact moment of a sync (a sort
        #: landing between its read and its write). Runs in the server's request thread, outside
        #: the lock, so it may itself call the fake over HTTP.
        self.intercept: Callable[[str, str, str], None] | None = None
        #: Google refuses larger request bodies (HTTP 400, "Request payload size exceeds the limit:
        #: 10485760 bytes."; undocumented, reported by users of every client library).
        self.max_body = 10_485_760
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.token_uri = ""

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> "FakeSheetsServer":
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.token_uri = self.url + "/token"
        self.tokens.token_uri = self.token_uri
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-sheets", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "FakeSheetsServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ---------------------------------------------------------------- credentials

    @property
    def token_lifetime(self) -> int:
        return self.tokens.lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: int) -> None:
        self.tokens.lifetime = seconds

    def service_account_info(self, email: str = DEFAULT_EMAIL) -> dict[str, str]:
        """A service-account key file (as dict) whose token_uri is this fake."""
        key = self.tokens.new_key(email)
        return {
            "type": "service_account",
            "project_id": "lianxing-test",
            "private_key_id": key.key_id,
            "private_key": key.private_pem,
            "client_email": email,
            "client_id": "100000000000000000000",
            "auth_uri": self.url + "/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": self.url + "/certs",
            "client_x509_cert_url": self.url + "/certs/" + email,
        }

    def credentials(self, email: str = DEFAULT_EMAIL, scopes: tuple[str, ...] | None = None) -> Any:
        from google.oauth2.service_account import Credentials
        from gspread.auth import DEFAULT_SCOPES

        return Credentials.from_service_account_info(self.service_account_info(email), scopes=list(scopes or DEFAULT_SCOPES))

    def gspread_client(self, email: str = DEFAULT_EMAIL, backoff: bool = False, timeout: float | None = None) -> Any:
        """A real ``gspread.Client`` whose requests go to this fake (via sheets_sync.endpoint)."""
        import gspread

        from sheets_sync.endpoint import endpoint_http_client

        base = gspread.BackOffHTTPClient if backoff else gspread.HTTPClient
        client = gspread.Client(auth=self.credentials(email), http_client=endpoint_http_client(self.url, base))
        if timeout is not None:
            client.set_timeout(timeout)
        return client

    def expire_tokens(self) -> None:
        """Make every issued access token invalid server-side (clients must refresh)."""
        self.tokens.expire_all()

    # ---------------------------------------------------------------- direct access for tests

    def create_spreadsheet(self, title: str, sheets: tuple[str, ...] | list[str] = ("Sheet1",),
                           owner: str | None = None) -> str:
        with self.lock:
            book = Spreadsheet(title, owner or DEFAULT_EMAIL, tuple(sheets))
            self.books[book.id] = book
            return book.id

    def share(self, spreadsheet_id: str, email: str, role: str = "writer") -> None:
        with self.lock:
            book = self._book(spreadsheet_id)
            (book.readers if role == "reader" else book.writers).add(email)
            self.permissions.setdefault(spreadsheet_id, []).append(
                {"kind": "drive#permission", "id": str(abs(hash(email)) % 10**20), "type": "user",
                 "emailAddress": email, "role": role})

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        """The model object (hold ``srv.lock`` while using it)."""
        return self._book(spreadsheet_id)

    def values(self, spreadsheet_id: str, sheet_title: str) -> list[list[Any]]:
        """Raw stored values (numbers as numbers, formulas as their text), trailing empties trimmed."""
        with self.lock:
            book = self._book(spreadsheet_id)
            sheet = book.sheet_by_title(sheet_title)
            if sheet is None:
                raise KeyError(sheet_title)
            out = []
            for row in sheet.rows:
                vals = []
                for cell in row:
                    v = "" if cell is None or not cell.value else next(iter(cell.value.values()))
                    vals.append(v)
                while vals and vals[-1] == "":
                    vals.pop()
                out.append(vals)
            while out and not out[-1]:
                out.pop()
            return out

    def user_entered(self, spreadsheet_id: str, sheet_title: str) -> list[list[dict[str, Any]]]:
        """Cells as ExtendedValue dicts, e.g. ``{"formulaValue": "=1+2"}`` vs ``{"stringValue": "=x"}``.

        ``values()`` cannot tell a formula from text that starts with "="; this can, which is what
        formula-injection tests need.
        """
        with self.lock:
            sheet = self._book(spreadsheet_id).sheet_by_title(sheet_title)
            if sheet is None:
                raise KeyError(sheet_title)
            out = [[dict(c.value) if c is not None else {} for c in row] for row in sheet.rows]
            for row in out:
                while row and not row[-1]:
                    row.pop()
            while out and not out[-1]:
                out.pop()
            return out

    def set_values(self, spreadsheet_id: str, sheet_title: str, rows: list[list[Any]],
                   start: str = "A1", user_entered: bool = True) -> None:
        """Write like a person typing in the browser (USER_ENTERED by default)."""
        with self.lock:
            book = self._book(spreadsheet_id)
            sheet = book.sheet_by_title(sheet_title)
            if sheet is None:
                raise KeyError(sheet_title)
            needed_rows = len(rows) + int(re.sub(r"\D", "", start) or 1) - 1
            if needed_rows > sheet.row_count:
                sheet.resize(rows=needed_rows)
            width = max((len(r) for r in rows), default=0)
            if width > sheet.col_count:
                sheet.resize(cols=width)
            book.caller = ""  # a person in the browser (the owner's session): no protected-range check
            book.write_values(f"'{sheet.title}'!{start}", rows, "ROWS", "USER_ENTERED" if user_entered else "RAW")

    def _book(self, spreadsheet_id: str) -> Spreadsheet:
        book = self.books.get(spreadsheet_id)
        if book is None:
            raise KeyError(spreadsheet_id)
        return book

    # ---------------------------------------------------------------- dispatch

    def dispatch(self, method: str, raw_path: str, query: dict[str, list[str]], body: bytes,
                 headers: dict[str, str]) -> tuple[int, Any]:
        """Route one API call; returns (status, JSON-able body or _Reply)."""
        caller = self.tokens.caller(headers.get("authorization"))
        parts = raw_path.split("/")
        if raw_path.startswith("/v4/spreadsheets"):
            return self._sheets(method, parts[3:], query, body, caller)
        if raw_path.startswith("/drive/v3/files"):
            return self._drive(method, [unquote(p) for p in parts[4:]], query, body, caller)
        if raw_path.startswith("/upload/drive/v2/files/") and method == "PUT":
            return self._import_csv(unquote(parts[5]), body, caller)
        raise ApiError(404, f"Method not found: {method} {raw_path}")

    # ---------------------------------------------------------------- sheets

    def _readable(self, spreadsheet_id: str, caller: str) -> Spreadsheet:
        book = self.books.get(spreadsheet_id)
        if book is None or book.trashed:
            raise not_found()
        if not book.can_read(caller):
            raise ApiError(403, "The caller does not have permission")
        return book

    def _writable(self, spreadsheet_id: str, caller: str) -> Spreadsheet:
        book = self._readable(spreadsheet_id, caller)
        if not book.can_write(caller):
            raise ApiError(403, "The caller does not have permission")
        book.caller = caller  # strict protected ranges check who writes
        return book

    @staticmethod
    def _json(body: bytes, schema: str, at: str = "") -> dict[str, Any]:
        if not body:
            return {}
        try:
            data = json.loads(body)
        except ValueError:
            raise bad_request("Invalid JSON payload received. Unexpected token.") from None
        discovery.validate_body(schema, data, at)
        return data

    def _sheets(self, method: str, parts: list[str], query: dict[str, list[str]], body: bytes,
                caller: str) -> tuple[int, Any]:
        if not parts or parts == [""]:
            if method != "POST":
                raise ApiError(404, "Method not found.")
            discovery.validate_query("spreadsheets.create", query)
            return 200, self._create(self._json(body, "Spreadsheet"), caller)
        head = parts[0]
        if len(parts) == 1:
            sid, _, verb = head.partition(":")
            sid = unquote(sid)
            if verb == "" and method == "GET":
                discovery.validate_query("spreadsheets.get", query)
                fields = _one(query, "fields")
                # "includeGridData is ignored if a field mask was set": the mask decides
                grid = _wants_grid_data(fields) if fields else _bool(query, "includeGridData")
                with self.lock:
                    book = self._readable(sid, caller)
                    book.caller = caller
                    data = book.to_json(grid, query.get("ranges"))
                return 200, apply_field_mask(data, fields)
            if verb == "batchUpdate" and method == "POST":
                discovery.validate_query("spreadsheets.batchUpdate", query)
                req = self._json(body, "BatchUpdateSpreadsheetRequest")
                return 200, self._batch_update(sid, req, caller)
            if verb == "getByDataFilter" and method == "POST":
                discovery.validate_query("spreadsheets.getByDataFilter", query)
                req = self._json(body, "GetSpreadsheetByDataFilterRequest")
                with self.lock:
                    book = self._readable(sid, caller)
                    book.caller = caller  # requestingUserCanEdit is per caller
                    filters = req.get("dataFilters") or []
                    ranges = [r for i, f in enumerate(filters)
                              for r in data_filters.filter_ranges(book, f, f"dataFilters[{i}]")]
                    data = book.to_json(bool(req.get("includeGridData")), ranges or None)
                    if filters and not ranges:
                        data["sheets"] = []  # filters that match nothing select no sheet
                return 200, apply_field_mask(data, _one(query, "fields"))
            raise ApiError(404, "Method not found.")
        sid = unquote(head)
        sub = parts[1]
        if sub.startswith("values"):
            return self._values(method, sid, parts[1:], query, body, caller)
        if sub == "developerMetadata:search" and method == "POST":
            req = self._json(body, "SearchDeveloperMetadataRequest")
            with self.lock:
                book = self._readable(sid, caller)
                hits = search_metadata(book, req.get("dataFilters") or [])
            return 200, ({"matchedDeveloperMetadata": [{"developerMetadata": h, "dataFilters": req.get("dataFilters")} for h in hits]} if hits else {})
        if sub == "developerMetadata" and len(parts) == 3 and method == "GET":
            with self.lock:
                book = self._readable(sid, caller)
                for md in book.developer_metadata:
                    if str(md["metadataId"]) == parts[2]:
                        return 200, copy.deepcopy(md)
            raise not_found()
        if sub == "sheets" and len(parts) == 3 and parts[2].endswith(":copyTo") and method == "POST":
            req = self._json(body, "CopySheetToAnotherSpreadsheetRequest")
            return 200, self._copy_to(sid, int(parts[2].split(":")[0]), req.get("destinationSpreadsheetId"), caller)
        raise ApiError(404, "Method not found.")

    def _create(self, req: dict[str, Any], caller: str) -> dict[str, Any]:
        props = req.get("properties") or {}
        sheets = req.get("sheets") or [{"properties": {"title": "Sheet1"}}]
        with self.lock:
            book = Spreadsheet(props.get("title") or "Untitled spreadsheet", caller, ())
            for key in ("locale", "timeZone", "autoRecalc"):
                if props.get(key):
                    book.properties[key] = props[key]
            for i, sh in enumerate(sheets):
                sp = dict(sh.get("properties") or {})
                sp.setdefault("sheetId", 0 if i == 0 else None)
                if sp["sheetId"] is None:
                    del sp["sheetId"]
                book.add_sheet(sp)
            self.books[book.id] = book
            return book.to_json()

    def _batch_update(self, sid: str, req: dict[str, Any], caller: str) -> dict[str, Any]:
        requests = req.get("requests") or []
        with self.lock:
            book = self._writable(sid, caller)
            work = copy.deepcopy(book) if len(requests) > 1 else book
            replies = apply_batch(work, requests, caller)
            if work is not book:
                self.books[sid] = work
            out: dict[str, Any] = {"spreadsheetId": sid, "replies": replies}
            if req.get("includeSpreadsheetInResponse"):
                out["updatedSpreadsheet"] = work.to_json(bool(req.get("responseIncludeGridData")), req.get("responseRanges"))
            return out

    def _copy_to(self, sid: str, sheet_id: int, dest_id: str | None, caller: str) -> dict[str, Any]:
        with self.lock:
            src = self._readable(sid, caller)
            dest = self._writable(dest_id or "", caller)
            sheet = src.sheet_by_id(sheet_id)
            props = copy.deepcopy(sheet.props)
            props.pop("sheetId")
            props.pop("index")
            title = f"Copy of {sheet.title}"
            n = 2
            while dest.sheet_by_title(title):
                title = f"Copy of {sheet.title} {n}"
                n += 1
            props["title"] = title
            new = dest.add_sheet(props)
            new.rows = [[c.clone() if c else None for c in row] for row in sheet.rows]
            return copy.deepcopy(new.props)

    def _values(self, method: str, sid: str, parts: list[str], query: dict[str, list[str]], body: bytes,
                caller: str) -> tuple[int, Any]:
        first = parts[0]
        if first in ("values:batchGetByDataFilter", "values:batchUpdateByDataFilter") and method == "POST":
            return 200, self._by_data_filter(first, sid, query, body, caller)
        if first in ("values:batchGet", "values:batchUpdate", "values:batchClear"):
            verb = first.split(":")[1]
            if verb == "batchGet" and method == "GET":
                discovery.validate_query("spreadsheets.values.batchGet", query)
                with self.lock:
                    book = self._readable(sid, caller)
                    ranges = [self._render_range(book, r, query) for r in query.get("ranges", [])]
                return 200, {"spreadsheetId": sid, **({"valueRanges": ranges} if ranges else {})}
            if verb == "batchUpdate" and method == "POST":
                discovery.validate_query("spreadsheets.values.batchUpdate", query)
                req = self._json(body, "BatchUpdateValuesRequest")
                return 200, self._values_batch_update(sid, req, caller)
            if verb == "batchClear" and method == "POST":
                req = self._json(body, "BatchClearValuesRequest")
                with self.lock:
                    book = self._writable(sid, caller)
                    cleared = [book.clear_values(r) for r in req.get("ranges") or []]
                return 200, {"spreadsheetId": sid, **({"clearedRanges": cleared} if cleared else {})}
            raise ApiError(404, "Method not found.")
        if first != "values" or len(parts) < 2:
            raise ApiError(404, "Method not found.")
        raw = "/".join(parts[1:])
        verb = ""
        if ":" in raw:
            head, _, tail = raw.rpartition(":")
            if tail in ("append", "clear"):
                raw, verb = head, tail
        rng = unquote(raw)
        if verb == "" and method == "GET":
            discovery.validate_query("spreadsheets.values.get", query)
            with self.lock:
                book = self._readable(sid, caller)
                return 200, self._render_range(book, rng, query)
        if verb == "" and method == "PUT":
            discovery.validate_query("spreadsheets.values.update", query)
            data = self._json(body, "ValueRange", "data")
            option = self._input_option(query)
            self._check_body_range(data.get("range"), rng)
            with self.lock:
                book = self._writable(sid, caller)
                result = book.write_values(rng, data.get("values"), data.get("majorDimension"), option)
                self._add_updated_data(book, result, query)
            return 200, result
        if verb == "append" and method == "POST":
            discovery.validate_query("spreadsheets.values.append", query)
            data = self._json(body, "ValueRange", "data")
            option = self._input_option(query)
            self._check_body_range(data.get("range"), rng)
            insert = _one(query, "insertDataOption", "OVERWRITE") or "OVERWRITE"
            with self.lock:
                book = self._writable(sid, caller)
                result = book.write_values(rng, data.get("values"), data.get("majorDimension"), option, append=insert)
                self._add_updated_data(book, result["updates"], query)
            return 200, result
        if verb == "clear" and method == "POST":
            discovery.validate_query("spreadsheets.values.clear", query)
            self._json(body, "ClearValuesRequest")
            with self.lock:
                book = self._writable(sid, caller)
                return 200, {"spreadsheetId": sid, "clearedRange": book.clear_values(rng)}
        raise ApiError(404, "Method not found.")

    def _by_data_filter(self, verb: str, sid: str, query: dict[str, list[str]], body: bytes, caller: str) -> Any:
        """The two data-filter value methods, bodies held to the discovery document like the rest."""
        if verb.endswith("batchGetByDataFilter"):
            discovery.validate_query("spreadsheets.values.batchGetByDataFilter", query)
            req = self._json(body, "BatchGetValuesByDataFilterRequest")
            with self.lock:
                book = self._readable(sid, caller)
                params = {k: [v] for k, v in req.items() if isinstance(v, str)}
                return data_filters.batch_get(book, req, lambda rng: self._render_range(book, rng, params))
        discovery.validate_query("spreadsheets.values.batchUpdateByDataFilter", query)
        req = self._json(body, "BatchUpdateValuesByDataFilterRequest")
        with self.lock:
            book = self._writable(sid, caller)
            work = copy.deepcopy(book)
            out = data_filters.batch_update(work, req)
            self.books[sid] = work
            return out

    @staticmethod
    def _check_body_range(body_range: str | None, url_range: str) -> None:
        if body_range and body_range != url_range:
            raise bad_request(f"Requested writing within range [{url_range}], but tried writing to [{body_range}]")

    @staticmethod
    def _input_option(query: dict[str, list[str]]) -> str:
        option = _one(query, "valueInputOption")
        if not option or option == "INPUT_VALUE_OPTION_UNSPECIFIED":
            raise bad_request("'valueInputOption' is required but not specified")
        return option

    @staticmethod
    def _render_range(book: Spreadsheet, rng: str, query: dict[str, list[str]]) -> dict[str, Any]:
        return book.read_values(rng, _one(query, "majorDimension", "ROWS") or "ROWS",
                                _one(query, "valueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE",
                                _one(query, "dateTimeRenderOption", "SERIAL_NUMBER") or "SERIAL_NUMBER")

    def _add_updated_data(self, book: Spreadsheet, result: dict[str, Any], query: dict[str, list[str]]) -> None:
        if _bool(query, "includeValuesInResponse") and "updatedRange" in result:
            result["updatedData"] = book.read_values(
                result["updatedRange"], "ROWS",
                _one(query, "responseValueRenderOption", "FORMATTED_VALUE") or "FORMATTED_VALUE",
                _one(query, "responseDateTimeRenderOption", "SERIAL_NUMBER") or "SERIAL_NUMBER")

    def _values_batch_update(self, sid: str, req: dict[str, Any], caller: str) -> dict[str, Any]:
        option = req.get("valueInputOption")
        if not option or option == "INPUT_VALUE_OPTION_UNSPECIFIED":
            raise bad_request("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
        data = req.get("data") or []
        with self.lock:
            book = self._writable(sid, caller)
            work = copy.deepcopy(book) if len(data) > 1 else book
            responses = []
            for vr in data:
                result = work.write_values(vr.get("range") or "", vr.get("values"), vr.get("majorDimension"), option)
                if req.get("includeValuesInResponse") and "updatedRange" in result:
                    result["updatedData"] = work.read_values(
                        result["updatedRange"], "ROWS", req.get("responseValueRenderOption") or "FORMATTED_VALUE",
                        req.get("responseDateTimeRenderOption") or "SERIAL_NUMBER")
                responses.append(result)
            if work is not book:
                self.books[sid] = work
        out: dict[str, Any] = {"spreadsheetId": sid}
        cells = sum(r.get("updatedCells", 0) for r in responses)
        if cells:
            # totals count distinct rows/columns touched (per sheet), not the sum over ranges
            rows_seen: set[tuple[str, int]] = set()
            cols_seen: set[tuple[str, int]] = set()
            for r in responses:
                if r.get("updatedCells"):
                    title, box = r["updatedRange"].rsplit("!", 1)
                    b = a1.parse_cells(box)
                    rows_seen.update((title, i) for i in range(b.start_row or 0, b.end_row or 0))
                    cols_seen.update((title, i) for i in range(b.start_col or 0, b.end_col or 0))
            out["totalUpdatedRows"] = len(rows_seen)
            out["totalUpdatedColumns"] = len(cols_seen)
            out["totalUpdatedCells"] = cells
            out["totalUpdatedSheets"] = len({t for t, _ in rows_seen})
        if responses:
            out["responses"] = responses
        return out

    # ---------------------------------------------------------------- drive

    def _drive_not_found(self, file_id: str) -> ApiError:
        msg = f"File not found: {file_id}."
        err = ApiError(404, msg)
        err.drive_errors = [{"message": msg, "domain": "global", "reason": "notFound",  # type: ignore[attr-defined]
                             "location": "fileId", "locationType": "parameter"}]
        return err

    def _file(self, book: Spreadsheet) -> dict[str, Any]:
        return {"kind": "drive#file", "id": book.id, "name": book.properties["title"], "mimeType": SPREADSHEET_MIME,
                "createdTime": book.created, "modifiedTime": book.modified, "owners": [{"emailAddress": book.owner}],
                "trashed": book.trashed}

    @staticmethod
    def _file_out(data: dict[str, Any], fields: str | None) -> dict[str, Any]:
        if fields:
            return apply_field_mask(data, fields)
        return {k: data[k] for k in ("kind", "id", "name", "mimeType")}

    def _drive(self, method: str, parts: list[str], query: dict[str, list[str]], body: bytes,
               caller: str) -> tuple[int, Any]:
        fields = _one(query, "fields")
        if not parts:
            if method == "GET":
                return 200, self._list_files(query, caller)
            if method == "POST":
                req = self._json(body, "File") if False else (json.loads(body) if body else {})
                discovery.validate_body("File", req, "", "drive.v3.json")
                if (req.get("mimeType") or SPREADSHEET_MIME) != SPREADSHEET_MIME:
                    raise bad_request("The fake Drive API only creates Google Sheets files.")
                with self.lock:
                    book = Spreadsheet(req.get("name") or "Untitled spreadsheet", caller)
                    self.books[book.id] = book
                    return 200, self._file_out(self._file(book), fields)
            raise ApiError(404, "Method not found.")
        file_id = parts[0]
        with self.lock:
            book = self.books.get(file_id)
            if book is None or not book.can_read(caller):
                raise self._drive_not_found(file_id)
            if len(parts) == 1:
                if method == "GET":
                    return 200, self._file_out(self._file(book), fields)
                if method == "DELETE":
                    if book.owner != caller:
                        raise ApiError(403, "The user does not have sufficient permissions for this file.")
                    del self.books[file_id]
                    return 204, None
                if method == "PATCH":
                    req = json.loads(body) if body else {}
                    discovery.validate_body("File", req, "", "drive.v3.json")
                    if not book.can_write(caller):
                        raise ApiError(403, "The user does not have sufficient permissions for this file.")
                    if req.get("name"):
                        book.properties["title"] = req["name"]
                    if "trashed" in req:
                        book.trashed = bool(req["trashed"])
                    book.touch()
                    return 200, self._file_out(self._file(book), fields)
            verb = parts[1]
            if verb == "copy" and method == "POST":
                req = json.loads(body) if body else {}
                discovery.validate_body("File", req, "", "drive.v3.json")
                new = copy.deepcopy(book)
                new.id = Spreadsheet("x", caller, ()).id
                new.properties["title"] = req.get("name") or f"Copy of {book.properties['title']}"
                new.owner, new.readers, new.writers = caller, set(), set()
                new.created = new.modified = now_rfc3339()
                self.books[new.id] = new
                return 200, self._file_out(self._file(new), fields)
            if verb == "export" and method == "GET":
                return 200, _Reply(200, self._export_csv(book), "text/csv")
            if verb == "comments" and method == "GET":
                return 200, {"comments": []}
            if verb == "comments" and method == "POST":
                return 200, {"id": "AAAA"}
            if verb == "permissions":
                return self._permissions(method, book, parts[2:], body, caller)
        raise ApiError(404, "Method not found.")

    def _list_files(self, query: dict[str, list[str]], caller: str) -> dict[str, Any]:
        q = _one(query, "q", "") or ""
        clauses = re.findall(r"(\w+)\s*(=|!=|contains)\s*['\"]((?:[^'\"\\]|\\.)*)['\"]", q)
        with self.lock:
            files = []
            for book in self.books.values():
                if not book.can_read(caller):
                    continue
                data = self._file(book)
                ok = True
                for key, op, val in clauses:
                    val = val.replace("\\'", "'").replace('\\"', '"')
                    have = {"name": data["name"], "mimeType": data["mimeType"]}.get(key)
                    if have is None:
                        continue
                    ok &= (have == val) if op == "=" else (have != val) if op == "!=" else (val in have)
                if "trashed = true" not in q:
                    ok &= not book.trashed
                if ok:
                    files.append(data)
        files.sort(key=lambda f: f["modifiedTime"], reverse=True)
        out = {"kind": "drive#fileList", "incompleteSearch": False, "files": files}
        fields = _one(query, "fields")
        return apply_field_mask(out, fields) if fields else {"kind": out["kind"], "incompleteSearch": False,
                                                           "files": [self._file_out(f, None) for f in files]}

    def _permissions(self, method: str, book: Spreadsheet, rest: list[str], body: bytes,
                     caller: str) -> tuple[int, Any]:
        perms = self.permissions.setdefault(book.id, [])
        if not rest and method == "GET":
            owner = {"kind": "drive#permission", "id": "owner", "type": "user", "emailAddress": book.owner, "role": "owner"}
            return 200, {"kind": "drive#permissionList", "permissions": [owner] + copy.deepcopy(perms)}
        if not rest and method == "POST":
            req = json.loads(body) if body else {}
            # Drive v3 tolerates the deprecated "withLink" that gspread's share() still sends
            discovery.validate_body("Permission", {k: v for k, v in req.items() if k != "withLink"}, "", "drive.v3.json")
            if not book.can_write(caller):
                raise ApiError(403, "The user does not have sufficient permissions for this file.")
            role, kind = req.get("role"), req.get("type")
            if role not in ("reader", "commenter", "writer", "fileOrganizer", "organizer", "owner") or not kind:
                raise bad_request("The permission role or type is invalid.")
            email = req.get("emailAddress") or ("anyone" if kind == "anyone" else req.get("domain", ""))
            perm = {"kind": "drive#permission", "id": str(abs(hash((book.id, email))) % 10**20), "type": kind,
                    "role": role}
            if req.get("emailAddress"):
                perm["emailAddress"] = email
            perms.append(perm)
            (book.writers if role in ("writer", "owner", "organizer", "fileOrganizer") else book.readers).add(email)
            return 200, dict(perm)
        if len(rest) == 1 and method == "DELETE":
            for perm in perms:
                if perm["id"] == rest[0]:
                    perms.remove(perm)
                    email = perm.get("emailAddress", "anyone")
                    book.writers.discard(email)
                    book.readers.discard(email)
                    return 204, None
            raise ApiError(404, f"Permission not found: {rest[0]}.")
        raise ApiError(404, "Method not found.")

    def _export_csv(self, book: Spreadsheet) -> bytes:
        sheet = book.sheets[0]
        rows = book.read_values(f"'{sheet.title}'").get("values", [])
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerows(rows)
        return buf.getvalue().rstrip("\r\n").encode("utf-8")

    def _import_csv(self, file_id: str, body: bytes, caller: str) -> tuple[int, Any]:
        with self.lock:
            book = self.books.get(file_id)
            if book is None or not book.can_write(caller):
                raise self._drive_not_found(file_id)
            rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
            sheet = book.sheets[0]
            book.sheets = [sheet]
            sheet.rows = []
            sheet.props["title"] = book.properties["title"]
            width = max((len(r) for r in rows), default=1)
            sheet.resize(rows=max(len(rows), 1), cols=max(width, 1))
            book.write_values(f"'{sheet.title}'!A1", rows, "ROWS", "USER_ENTERED")
            return 200, {"kind": "drive#file", "id": book.id, "title": book.properties["title"],
                         "mimeType": SPREADSHEET_MIME}


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, applies faults, dispatches, writes JSON like Google (2-space indent)."""

    fake: FakeSheetsServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes; without NODELAY each answer waits ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _send(self, status: int, body: bytes, ctype: str = "application/json; charset=UTF-8") -> None:
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    @staticmethod
    def _encode(data: Any) -> bytes:
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    def _account(self) -> str:
        try:
            return self.fake.tokens.caller(self.headers.get("Authorization"))
        except ApiError:
            return ""  # the request itself will be answered 401

    def _handle(self) -> None:
        start = time.perf_counter()
        try:
            self._answer()
        finally:
            with self.fake.stats._lock:
                self.fake.stats.server_seconds += time.perf_counter() - start

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        query = parse_qs(split.query, keep_blank_values=True)
        path = split.path
        fake = self.fake
        if path == "/token" and self.command == "POST":
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()}
            status, data = fake.tokens.exchange(form)
            with fake.stats._lock:
                fake.stats.token_requests += 1
            self._send(status, self._encode(data))
            return
        if fake.intercept is not None:
            fake.intercept(self.command, path, self._account())
        if len(body) > fake.max_body:
            fake.stats.record(self.command, path, 400, len(body), False)
            message = f"Request payload size exceeds the limit: {fake.max_body} bytes."
            self._send(400, self._encode(ApiError(400, message).body()))
            return
        fault = fake.faults.next()
        is_write = self.command in ("PUT", "PATCH", "DELETE") or (
            self.command == "POST" and not any(path.endswith(s) for s in READ_ONLY_POSTS))
        if fault == "drop":
            fake.stats.record(self.command, path, 0, len(body), False)
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        if fault == "delay":
            time.sleep(fake.faults.delay_seconds)
        if fault in MESSAGES:
            code, message, status_text = MESSAGES[fault]
            fake.stats.record(self.command, path, code, len(body), False)
            self._send(code, self._encode(ApiError(code, message, status_text).body()))
            return
        if is_write and fake.quota.per_minute is not None and not fake.quota.take(self._account()):
            fake.stats.record(self.command, path, 429, len(body), False)
            self._send(429, self._encode(ApiError(429, QUOTA_MESSAGE, "RESOURCE_EXHAUSTED").body()))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, data = fake.dispatch(self.command, path, query, body, headers)
        except ApiError as err:
            out = err.body()
            if getattr(err, "drive_errors", None):
                out = {"error": {"code": err.code, "message": err.message, "errors": err.drive_errors}}  # type: ignore[attr-defined]
            fake.stats.record(self.command, path, err.code, len(body), False)
            self._send(err.code, self._encode(out))
            return
        except Exception as exc:  # a bug in the fake must still answer like a server, not hang the client
            fake.stats.record(self.command, path, 500, len(body), False)
            self._send(500, self._encode(ApiError(500, f"Internal error in fake: {exc!r}").body()))
            raise
        fake.stats.record(self.command, path, status, len(body), is_write)
        if isinstance(data, _Reply):
            self._send(data.status, data.body, data.ctype)
        elif status == 204:
            self._send(204, b"")
        else:
            self._send(status, self._encode(data))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle
