"""``values:batchGetByDataFilter`` and ``values:batchUpdateByDataFilter``: DataFilters resolved to
ranges (an A1 range, a grid range, or the rows/columns developer metadata sits on; that metadata
follows its rows through sorts, inserts, deletes and moves, see ``dimension_metadata``).
"""
from __future__ import annotations

from typing import Any

from . import a1
from .batch import search_metadata
from .errors import bad_request
from .model import Spreadsheet


def filter_ranges(book: Spreadsheet, flt: dict[str, Any], where: str) -> list[str]:
    """The A1 ranges one DataFilter selects (several when several metadata entries match)."""
    if flt.get("a1Range"):
        return [flt["a1Range"]]
    if flt.get("gridRange"):
        sheet, r0, r1, c0, c1 = book.gridrange_box(flt["gridRange"], where)
        return [a1.format_box(sheet.title, r0, r1, c0, c1)]
    if flt.get("developerMetadataLookup"):
        out = []
        for md in search_metadata(book, [flt]):
            dr = md["location"].get("dimensionRange")
            if not dr:
                continue
            sheet = book.sheet_by_id(dr.get("sheetId"), where)
            lo = dr.get("startIndex", 0)
            hi = dr.get("endIndex", lo + 1)
            if dr.get("dimension") == "ROWS":
                out.append(a1.format_box(sheet.title, lo, hi, 0, sheet.col_count))
            else:
                out.append(a1.format_box(sheet.title, 0, sheet.row_count, lo, hi))
        return out
    raise bad_request(f"Invalid {where}: a data filter needs a1Range, gridRange or developerMetadataLookup")


def batch_get(book: Spreadsheet, req: dict[str, Any], render: Any) -> dict[str, Any]:
    """BatchGetValuesByDataFilterResponse: one MatchedValueRange per range a filter selects."""
    matched = []
    for i, flt in enumerate(req.get("dataFilters") or []):
        for rng in filter_ranges(book, flt, f"dataFilters[{i}]"):
            matched.append({"valueRange": render(rng), "dataFilters": [flt]})
    return {"spreadsheetId": book.id, **({"valueRanges": matched} if matched else {})}


def batch_update(book: Spreadsheet, req: dict[str, Any]) -> dict[str, Any]:
    """BatchUpdateValuesByDataFilterResponse (atomic: the caller passes a copy of the book)."""
    option = req.get("valueInputOption")
    if not option or option == "INPUT_VALUE_OPTION_UNSPECIFIED":
        raise bad_request("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
    responses = []
    for i, dvr in enumerate(req.get("data") or []):
        flt = dvr.get("dataFilter") or {}
        for rng in filter_ranges(book, flt, f"data[{i}].dataFilter"):
            result = book.write_values(rng, dvr.get("values"), dvr.get("majorDimension"), option)
            result.pop("spreadsheetId", None)
            if req.get("includeValuesInResponse") and "updatedRange" in result:
                result["updatedData"] = book.read_values(result["updatedRange"], "ROWS",
                                                         req.get("responseValueRenderOption") or "FORMATTED_VALUE")
            responses.append({**result, "dataFilter": flt})
    out: dict[str, Any] = {"spreadsheetId": book.id}
    cells = sum(r.get("updatedCells", 0) for r in responses)
    if cells:
        out.update(totalUpdatedCells=cells, totalUpdatedRows=sum(r.get("updatedRows", 0) for r in responses),
                   totalUpdatedColumns=max(r.get("updatedColumns", 0) for r in responses), totalUpdatedSheets=1)
    if responses:
        out["responses"] = responses
    return out
