"""A local fake of the Google Sheets API v4 (plus the Drive v3 calls gspread makes and Google's OAuth2
token endpoint) that real gspread and google-auth talk to over real HTTP on 127.0.0.1.

    from tests.fake_sheets_api import FakeSheetsServer

    with FakeSheetsServer() as srv:
        sid = srv.create_spreadsheet("Archive")
        gc = srv.gspread_client()                  # real gspread, real JWT token exchange
        gc.open_by_key(sid).sheet1.update([["a", 1]], "A1")
        assert srv.values(sid, "Sheet1") == [["a", 1]]

Request and response shapes follow reference/google-api-discovery/sheets.v4.json; the conformance
test replays the recorded gspread traffic in reference/sheets-api-recordings/ against it.
"""

from .server import DEFAULT_EMAIL, FakeSheetsServer, Stats

__all__ = ["DEFAULT_EMAIL", "FakeSheetsServer", "Stats"]
