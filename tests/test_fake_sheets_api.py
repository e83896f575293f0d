"""The fake Sheets API driven by real gspread + google-auth over real HTTP (and a few raw requests).

These pin the behaviour the archive sync relies on: values round-trip, USER_ENTERED parsing,
trimming, batch calls, sorting, protections, sharing and auth errors, and the injected faults.
"""

from __future__ import annotations

import time

import gspread
import pytest
import requests

from sheets_sync.endpoint import endpoint_http_client, rewrite_url
from tests.fake_sheets_api import DEFAULT_EMAIL, FakeSheetsServer
from tests.fake_sheets_api.a1 import CellBox, parse_cells, quote_title
from tests.fake_sheets_api.values import format_value, parse_user_entered


@pytest.fixture(scope="module")
def gc(srv):
    return srv.gspread_client()


@pytest.fixture
def book(srv, gc):
    srv.faults.clear()
    sid = srv.create_spreadsheet("Archive 达人档案库", sheets=("Creators", "Sheet2"))
    return gc.open_by_key(sid)


def raw(srv, method, path, token=None, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, srv.url + path, headers=headers, timeout=10, **kw)


# ------------------------------------------------------------------ lifecycle and auth


def test_server_starts_fast_and_binds_localhost():
    t0 = time.perf_counter()
    with FakeSheetsServer() as s:
        started = time.perf_counter() - t0
        assert s.url.startswith("http://127.0.0.1:")
        assert s.token_uri == s.url + "/token"
    print(f"fake server start: {started * 1000:.1f} ms")


def test_token_exchange_really_runs_against_the_fake(srv):
    before = srv.stats.token_requests
    client = srv.gspread_client()
    client.open_by_key(srv.create_spreadsheet("t"))
    assert srv.stats.token_requests == before + 1


def test_token_endpoint_rejects_a_forged_signature(srv):
    from google.auth import crypt, jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    info = srv.service_account_info()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    signer = crypt.RSASigner.from_string(other, info["private_key_id"])
    now = int(time.time())
    assertion = jwt.encode(signer, {"iss": info["client_email"], "aud": srv.token_uri, "iat": now, "exp": now + 600,
                                    "scope": "x"}).decode()
    r = requests.post(srv.token_uri, data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                           "assertion": assertion}, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_request_without_token_is_401_unauthenticated(srv):
    sid = srv.create_spreadsheet("x")
    r = raw(srv, "GET", f"/v4/spreadsheets/{sid}")
    assert r.status_code == 401
    assert r.json()["error"]["status"] == "UNAUTHENTICATED"


def test_expired_token_is_refreshed_by_google_auth(srv, gc, book):
    ws = book.worksheet("Creators")
    ws.update([["a"]], "A1")
    before = srv.stats.token_requests
    srv.expire_tokens()
    assert ws.acell("A1").value == "a"  # 401 -> google-auth refreshes -> retry succeeds
    assert srv.stats.token_requests == before + 1
    assert ("GET", f"/v4/spreadsheets/{book.id}/values/%27Creators%27%21A1", 401) in srv.stats.log


def test_not_shared_spreadsheet_is_403_until_shared(srv, gc):
    sid = srv.create_spreadsheet("Private", owner="alice@lianxing.example")
    with pytest.raises(PermissionError):
        gc.open_by_key(sid)
    srv.share(sid, DEFAULT_EMAIL)
    assert gc.open_by_key(sid).title == "Private"


def test_missing_spreadsheet_is_404(gc):
    with pytest.raises(gspread.SpreadsheetNotFound):
        gc.open_by_key("1" + "x" * 43)


# ------------------------------------------------------------------ values


def test_update_and_get_all_values_round_trip(srv, book):
    ws = book.worksheet("Creators")
    res = ws.update([["平台 Platform", "handle", "followers"], ["tiktok", "@amy", 12000]], "A1")
    assert res["updatedRange"] == "Creators!A1:C2" and res["updatedCells"] == 6
    assert ws.get_all_values() == [["平台 Platform", "handle", "followers"], ["tiktok", "@amy", "12000"]]
    assert srv.values(book.id, "Creators") == [["平台 Platform", "handle", "followers"], ["tiktok", "@amy", 12000]]


def test_user_entered_parses_like_sheets_and_raw_keeps_text(srv, book):
    ws = book.worksheet("Creators")
    ws.update([["=1+2", "'=1+2", "12%", "2020-01-31", "1,234.5", "TRUE", "@x"]], "A1",
              value_input_option="USER_ENTERED")
    ws.update([["=1+2"]], "A2", value_input_option="RAW")
    cells = srv.user_entered(book.id, "Creators")
    assert cells[0][0] == {"formulaValue": "=1+2"}
    assert cells[0][1] == {"stringValue": "=1+2"}  # leading apostrophe keeps text
    assert cells[0][2] == {"numberValue": 0.12}
    assert cells[0][5] == {"boolValue": True}
    assert cells[0][6] == {"stringValue": "@x"}
    assert cells[1][0] == {"stringValue": "=1+2"}  # RAW never makes a formula
    assert ws.row_values(1) == ["3", "=1+2", "12%", "2020-01-31", "1,234.50", "TRUE", "@x"]
    unformatted = ws.get("A1:E1", value_render_option="UNFORMATTED_VALUE")
    assert unformatted[0][:5] == [3, "=1+2", 0.12, 43861, 1234.5]
    assert ws.get("A1", value_render_option="FORMULA")[0][0] == "=1+2"


def test_trailing_empties_trimmed_and_values_absent_for_empty_range(srv, book):
    ws = book.worksheet("Creators")
    ws.update([["a", "", ""], ["", "", ""]], "A1")
    r = ws.get("A1:C5")
    assert r == [["a"]]
    empty = book.values_get("'Sheet2'!A1:B2")
    assert "values" not in empty and empty["range"] == "Sheet2!A1:B2"


def test_quoted_titles_in_ranges(srv, book):
    ws = book.add_worksheet("My Sheet", 5, 5)
    res = ws.update([[1, 2]], "A1")
    assert res["updatedRange"] == "'My Sheet'!A1:B1"
    assert quote_title("A1") == "'A1'" and quote_title("Sheet1") == "Sheet1"


def test_batch_update_values_counts_distinct_rows_and_columns(book):
    ws = book.worksheet("Creators")
    res = ws.batch_update([{"range": "A1:B1", "values": [["x", "y"]]}, {"range": "A3:B3", "values": [["z", "w"]]}])
    assert res["totalUpdatedCells"] == 4 and res["totalUpdatedRows"] == 2 and res["totalUpdatedColumns"] == 2
    assert ws.get_all_values() == [["x", "y"], ["", ""], ["z", "w"]]


def test_append_row_goes_after_the_table(srv, book):
    ws = book.worksheet("Creators")
    ws.update([["h1", "h2"], ["r1", "1"]], "A1")
    res = ws.append_row(["r2", 2])
    assert res["updates"]["updatedRange"] == "Creators!A3:B3"
    assert res["tableRange"] == "Creators!A1:B2"
    assert srv.values(book.id, "Creators")[-1] == ["r2", 2]


def test_writing_past_the_grid_is_400_exceeds_grid_limits(book):
    ws = book.add_worksheet("Small", 2, 2)
    with pytest.raises(gspread.exceptions.APIError) as exc:
        ws.update([[1, 2, 3]], "A1")
    assert exc.value.code == 400 and "exceeds grid limits" in str(exc.value)


def test_bad_range_is_400(book):
    with pytest.raises(gspread.exceptions.APIError) as exc:
        book.values_get("'No such sheet'!A1")
    assert exc.value.code == 400 and "Unable to parse range" in str(exc.value)


def test_unknown_field_in_body_is_rejected_like_google(srv, book):
    token = srv.tokens.issue_direct(DEFAULT_EMAIL)
    r = raw(srv, "PUT", f"/v4/spreadsheets/{book.id}/values/A1?valueInputOption=RAW", token,
            json={"values": [["x"]], "valuess": 1})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["status"] == "INVALID_ARGUMENT"
    assert err["message"] == "Invalid JSON payload received. Unknown name \"valuess\" at 'data': Cannot find field."
    r = raw(srv, "POST", f"/v4/spreadsheets/{book.id}:batchUpdate", token,
            json={"requests": [{"addSheet": {"properties": {"titel": "x"}}}]})
    assert r.status_code == 400 and "Unknown name \"titel\" at 'requests[0].addSheet.properties'" in r.json()["error"]["message"]


# ------------------------------------------------------------------ batchUpdate requests


def test_sort_orders_rows_by_column(book):
    ws = book.worksheet("Creators")
    ws.update([["b", 2], ["c", 10], ["a", 1]], "A1")
    ws.sort((2, "des"), range="A1:B3")
    assert ws.get_all_values() == [["c", "10"], ["b", "2"], ["a", "1"]]


def test_protected_range_warning_only(srv, book):
    ws = book.worksheet("Creators")
    ws.add_protected_range("A1:B1", warning_only=True, description="header 表头")
    meta = book.fetch_sheet_metadata()
    prot = next(s for s in meta["sheets"] if s["properties"]["title"] == "Creators")["protectedRanges"][0]
    assert prot["warningOnly"] is True and prot["description"] == "header 表头"
    assert prot["range"]["endColumnIndex"] == 2


def test_sheet_properties_frozen_rows_tab_color_hidden(book):
    ws = book.worksheet("Creators")
    ws.freeze(rows=1)
    ws.update_tab_color("#FF0080")
    book.worksheet("Sheet2").hide()
    meta = book.fetch_sheet_metadata()
    props = {s["properties"]["title"]: s["properties"] for s in meta["sheets"]}
    assert props["Creators"]["gridProperties"]["frozenRowCount"] == 1
    assert props["Creators"]["tabColorStyle"] == {"rgbColor": {"red": 1, "blue": 0.5019608}}
    assert props["Sheet2"]["hidden"] is True


def test_insert_and_delete_rows(srv, book):
    ws = book.worksheet("Creators")
    ws.update([["a"], ["b"]], "A1")
    ws.insert_row(["new"], 2)
    assert srv.values(book.id, "Creators") == [["a"], ["new"], ["b"]]
    ws.delete_rows(1)
    assert srv.values(book.id, "Creators") == [["new"], ["b"]]
    assert ws.row_count == 1000


def test_named_range_and_merge(book):
    ws = book.worksheet("Creators")
    ws.update([[1, 2], [3, 4]], "A1")
    ws.define_named_range("A1:B2", "Block")
    assert book.values_get("Block")["values"] == [["1", "2"], ["3", "4"]]
    ws.merge_cells("A1:B1")
    assert ws.get_all_values()[0] == ["1", ""]


def test_batch_update_is_atomic(srv, book):
    ws = book.worksheet("Creators")
    with pytest.raises(gspread.exceptions.APIError):
        book.batch_update({"requests": [
            {"addSheet": {"properties": {"title": "Fresh"}}},
            {"deleteSheet": {"sheetId": 123456}},
        ]})
    assert [w.title for w in book.worksheets()] == ["Creators", "Sheet2"]
    assert ws.title == "Creators"


def test_direct_edit_is_seen_by_the_client(srv, book):
    srv.set_values(book.id, "Creators", [["team mate", "typed"]])
    assert book.worksheet("Creators").get_all_values() == [["team mate", "typed"]]


def test_drive_list_and_delete(srv, gc):
    sid = srv.create_spreadsheet("Listed 达人")
    names = [f["name"] for f in gc.list_spreadsheet_files(title="Listed 达人")]
    assert names == ["Listed 达人"]
    gc.del_spreadsheet(sid)
    with pytest.raises(gspread.SpreadsheetNotFound):
        gc.open_by_key(sid)


def test_share_through_drive_permissions(srv, gc):
    sh = gc.create("Shared")
    sh.share("bob@lianxing.example", perm_type="user", role="writer", notify=False)
    bob = srv.gspread_client(email="bob@lianxing.example")
    assert bob.open_by_key(sh.id).title == "Shared"


# ------------------------------------------------------------------ faults and stats


def test_fault_429_and_500_surface_as_api_errors(srv, book):
    ws = book.worksheet("Creators")
    srv.faults.schedule([("429", 1), ("500", 1)])
    with pytest.raises(gspread.exceptions.APIError) as e1:
        ws.acell("A1")
    with pytest.raises(gspread.exceptions.APIError) as e2:
        ws.acell("A1")
    assert (e1.value.code, e2.value.code) == (429, 500)
    assert e1.value.error["status"] == "RESOURCE_EXHAUSTED"
    ws.acell("A1")  # the schedule is used up


def test_backoff_client_retries_through_a_429(srv, book):
    client = srv.gspread_client(backoff=True)
    ws = client.open_by_key(book.id).worksheet("Creators")
    ws.update([["ok"]], "A1")
    srv.faults.schedule([("429", 1)])
    assert ws.acell("A1").value == "ok"
    assert srv.faults.injected[-1] == "429"


def test_drop_closes_the_connection(srv, book):
    ws = book.worksheet("Creators")
    srv.faults.schedule([("drop", 1)])
    with pytest.raises(requests.exceptions.ConnectionError):
        ws.acell("A1")


def test_delay_exceeds_a_client_timeout(srv, book):
    client = srv.gspread_client(timeout=0.3)
    ws = client.open_by_key(book.id).worksheet("Creators")
    srv.faults.delay_seconds = 1.0
    srv.faults.schedule([("delay", 1)])
    with pytest.raises(requests.exceptions.ReadTimeout):
        ws.acell("A1")


def test_random_faults_are_seeded(srv):
    from tests.fake_sheets_api.faults import Faults

    a, b = Faults(), Faults()
    a.random(rate=0.5, kinds=("429", "500"), seed=7)
    b.random(rate=0.5, kinds=("429", "500"), seed=7)
    assert [a.next() for _ in range(20)] == [b.next() for _ in range(20)]


def test_stats_count_requests_bytes_and_writes(srv, book):
    ws = book.worksheet("Creators")
    srv.stats.reset()
    ws.update([["a", "b"]], "A1")
    ws.get_all_values()
    assert srv.stats.requests == 2 and srv.stats.writes == 1
    assert srv.stats.request_bytes > 0
    assert [m for m, _, _ in srv.stats.log] == ["PUT", "GET"]


# ------------------------------------------------------------------ pure helpers


def test_endpoint_rewrites_only_google_prefixes():
    assert rewrite_url("https://sheets.googleapis.com/v4/spreadsheets/x", "http://h:1") == "http://h:1/v4/spreadsheets/x"
    assert rewrite_url("https://www.googleapis.com/drive/v3/files", "http://h:1/") == "http://h:1/drive/v3/files"
    assert rewrite_url("https://example.com/a", "http://h:1") == "https://example.com/a"
    assert issubclass(endpoint_http_client("http://h:1", gspread.BackOffHTTPClient), gspread.BackOffHTTPClient)


@pytest.mark.parametrize("text,box", [
    ("A1", CellBox(0, 1, 0, 1)),
    ("B2:C3", CellBox(1, 3, 1, 3)),
    ("D4:A1", CellBox(0, 4, 0, 4)),
    ("A1:A", CellBox(0, None, 0, 1)),
    ("A1:1", CellBox(0, 1, 0, None)),
    ("A:C", CellBox(None, None, 0, 3)),
    ("2:3", CellBox(1, 3, None, None)),
])
def test_a1_parsing(text, box):
    assert parse_cells(text) == box


def test_user_entered_parsing_and_formatting():
    assert parse_user_entered("0042") == ({"numberValue": 42}, None)
    assert parse_user_entered("$1,234.50")[0] == {"numberValue": 1234.5}
    assert parse_user_entered("hello") == ({"stringValue": "hello"}, None)
    value, fmt = parse_user_entered("1/2/2020")
    assert format_value(value["numberValue"], fmt) == "1/2/2020"
    assert format_value(0.0009765625, None) == "0.0009765625"
    assert format_value(2000000.01, {"type": "NUMBER", "pattern": "#,##0.00"}) == "2,000,000.01"
