"""Developer metadata on rows follows them in the fake, as Google documents it: "if developer
metadata is associated with row 5 and another row is then subsequently inserted above row 5, that
original metadata will still be associated with the row it was first associated with (what is now
row 6). If the associated object is deleted its metadata is deleted too." (reference of
``spreadsheets.developerMetadata``). Driven through real gspread over HTTP; every body is held to
the vendored discovery document by the fake, so a wrong field is a 400 here as it is at Google.
"""
from __future__ import annotations

import pytest
from gspread.exceptions import APIError


TAG = "lianxing.row"


@pytest.fixture
def tagged(srv):
    """A tab with a header and five creators, each row tagged with its creator's key."""
    sid = srv.create_spreadsheet("Tags", sheets=("T", "Other"))
    rows = [["key", "n"]] + [[f"k{i}", i] for i in range(5)]
    srv.set_values(sid, "T", rows, user_entered=False)
    book = srv.gspread_client().open_by_key(sid)
    book.batch_update({"requests": [tag_request(f"k{i}", i + 1) for i in range(5)]})
    return book


def tag_request(value: str, row: int, sheet_id: int = 0) -> dict:
    return {"createDeveloperMetadata": {"developerMetadata": {
        "metadataKey": TAG, "metadataValue": value, "visibility": "DOCUMENT",
        "location": {"dimensionRange": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": row,
                                        "endIndex": row + 1}}}}}


def lookup(value: str) -> dict:
    return {"developerMetadataLookup": {"metadataKey": TAG, "metadataValue": value}}


def rows_of(book) -> dict[str, int]:
    """Tag value -> the 0-based row it is on now, from developerMetadata:search."""
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{book.id}/developerMetadata:search"
    got = book.client.request("post", url, json={"dataFilters": [
        {"developerMetadataLookup": {"metadataKey": TAG}}]}).json()
    out = {}
    for hit in got.get("matchedDeveloperMetadata", []):
        md = hit["developerMetadata"]
        assert md["location"]["locationType"] == "ROW"
        out[md["metadataValue"]] = md["location"]["dimensionRange"]["startIndex"]
    return out


def values_by_filter(book, value: str) -> list:
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{book.id}/values:batchGetByDataFilter"
    got = book.client.request("post", url, json={"dataFilters": [lookup(value)],
                                                              "valueRenderOption": "UNFORMATTED_VALUE"}).json()
    return [m["valueRange"]["values"][0] for m in got.get("valueRanges", [])]


def assert_each_tag_on_its_row(srv, book):
    values = srv.values(book.id, "T")
    for value, row in rows_of(book).items():
        assert values[row][0] == value, f"tag {value} sits on row {row + 1}, which holds {values[row][0]}"


def test_sorting_carries_each_rows_metadata_with_it(srv, tagged):
    tagged.sheet1.sort((2, "des"), range="A2:B6")
    assert [line[0] for line in srv.values(tagged.id, "T")[1:]] == ["k4", "k3", "k2", "k1", "k0"]
    assert rows_of(tagged) == {"k4": 1, "k3": 2, "k2": 3, "k1": 4, "k0": 5}
    assert values_by_filter(tagged, "k1")[0][:2] == ["k1", 1]  # the data filter finds the row where it went


def test_inserting_rows_above_moves_the_metadata_down(srv, tagged):
    tagged.sheet1.insert_rows([["new"], ["new2"]], row=3)
    assert rows_of(tagged) == {"k0": 1, "k1": 4, "k2": 5, "k3": 6, "k4": 7}
    assert_each_tag_on_its_row(srv, tagged)


def test_deleting_a_row_deletes_its_metadata_and_moves_the_rest_up(srv, tagged):
    tagged.sheet1.delete_rows(3, 4)  # k1 and k2
    assert rows_of(tagged) == {"k0": 1, "k3": 2, "k4": 3}
    assert values_by_filter(tagged, "k2") == []
    assert_each_tag_on_its_row(srv, tagged)


def test_move_dimension_carries_rows_and_metadata(srv, tagged):
    # rows of k0 and k1 (indices 1..3) moved to before index 5 (k4): 0 2 3 1 4 as the discovery document counts
    tagged.batch_update({"requests": [{"moveDimension": {"source": {
        "sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}, "destinationIndex": 5}}]})
    assert [line[0] for line in srv.values(tagged.id, "T")[1:]] == ["k2", "k3", "k0", "k1", "k4"]
    assert rows_of(tagged) == {"k2": 1, "k3": 2, "k0": 3, "k1": 4, "k4": 5}
    with pytest.raises(APIError) as error:  # held to the discovery document: MoveDimensionRequest has no "target"
        tagged.batch_update({"requests": [{"moveDimension": {"target": 1}}]})
    assert error.value.response.status_code == 400


def test_write_by_metadata_lands_on_the_moved_row(srv, tagged):
    tagged.sheet1.sort((2, "des"), range="A2:B6")
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{tagged.id}/values:batchUpdateByDataFilter"
    done = tagged.client.request("post", url, json={
        "valueInputOption": "RAW", "data": [{"dataFilter": lookup("k1"), "values": [[None, "=mine"]]}]}).json()
    assert done["totalUpdatedCells"] == 1
    rows = {line[0]: line[1] for line in srv.values(tagged.id, "T")[1:]}
    assert rows["k1"] == "=mine" and rows["k3"] == 3  # a null leaves the key cell alone


def test_grid_data_by_data_filter_lists_each_rows_metadata(srv, tagged):
    tagged.sheet1.sort((2, "des"), range="A2:B6")
    url = f"https://sheets.googleapis.com/v4/spreadsheets/{tagged.id}:getByDataFilter"
    mask = "sheets(properties(sheetId,title),data(startRow,rowData(values(effectiveValue)),rowMetadata(developerMetadata))))"
    got = tagged.client.request("post", url, params={"fields": mask[:-1]}, json={
        "dataFilters": [lookup("k0"), lookup("k3")], "includeGridData": True}).json()
    [sheet] = got["sheets"]
    seen = {}
    for grid in sheet["data"]:
        [meta] = grid["rowMetadata"]
        [md] = meta["developerMetadata"]
        seen[md["metadataValue"]] = (grid["startRow"], grid["rowData"][0]["values"][0]["effectiveValue"]["stringValue"])
    assert seen == {"k0": (5, "k0"), "k3": (2, "k3")}
    none = tagged.client.request("post", url, json={"dataFilters": [lookup("nobody")]}).json()
    assert none["sheets"] == []


def test_row_metadata_is_listed_with_its_row_not_with_the_spreadsheet(srv, tagged):
    meta = tagged.fetch_sheet_metadata()
    assert "developerMetadata" not in meta  # Spreadsheet.developerMetadata holds the spreadsheet's own only


def test_deleting_a_sheet_deletes_the_metadata_on_its_rows(srv, tagged):
    other = tagged.worksheet("Other")
    tagged.batch_update({"requests": [tag_request("elsewhere", 0, other.id)]})
    tagged.del_worksheet(other)
    assert set(rows_of(tagged)) == {"k0", "k1", "k2", "k3", "k4"}


def test_a_request_body_over_10_mb_is_refused_as_google_does(srv, tagged):
    with pytest.raises(APIError) as error:
        tagged.sheet1.update([["x" * 1000] * 2] * 5300, "A1", raw=True)
    assert error.value.response.status_code == 400 and "10485760 bytes" in str(error.value)
