"""spreadsheets.batchUpdate: one handler per ``Request`` kind the fake understands.

Google applies a batch atomically (all requests or none), so the server runs the handlers on a deep
copy of the spreadsheet and only swaps it in when every request succeeded. An unsupported kind is a
400 naming it, never a silent success.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from . import dimension_metadata
from .errors import bad_request
from .model import Cell, Sheet, Spreadsheet, color_style, gridrange_out, norm_colors


Handler = Callable[[Spreadsheet, dict[str, Any], str], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn
    return deco


def apply_batch(book: Spreadsheet, requests: list[dict[str, Any]], caller: str = "") -> list[dict[str, Any]]:
    """Run every request against ``book`` (already a copy) on behalf of ``caller``; return the replies."""
    book.caller = caller
    replies = []
    for i, req in enumerate(requests):
        kinds = [k for k, v in req.items() if v is not None]
        if len(kinds) != 1:
            raise bad_request(f"Invalid requests[{i}]: exactly one request kind must be set")
        kind = kinds[0]
        fn = HANDLERS.get(kind)
        if fn is None:
            raise bad_request(f"Invalid requests[{i}].{kind}: this request kind is not supported by the fake Sheets API")
        reply = fn(book, req[kind] or {}, f"requests[{i}].{kind}")
        replies.append({kind: reply} if reply is not None else {})
    book.touch()
    return replies


def _fields(mask: str | None) -> list[list[str]]:
    if not mask:
        raise bad_request("Invalid request: fields must be set")
    out = []
    depth, cur = 0, ""
    for ch in mask:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    out.append(cur)
    paths = []
    for part in out:
        part = part.strip()
        if "(" in part:
            head, inner = part.split("(", 1)
            for sub in _fields(inner.rstrip(")")):
                paths.append(head.replace("/", ".").split(".") + sub)
        elif part:
            paths.append(part.replace("/", ".").split("."))
    return paths


def _copy_fields(dst: dict[str, Any], src: dict[str, Any], mask: str | None) -> None:
    """Copy the masked fields of ``src`` into ``dst`` (``*`` = all); a field missing in src is cleared."""
    if mask and mask.strip() == "*":
        for k in list(dst):
            if k not in src:
                del dst[k]
        dst.update(copy.deepcopy(src))
        return
    for path in _fields(mask):
        d, s = dst, src
        for key in path[:-1]:
            d = d.setdefault(key, {})
            s = s.get(key) or {} if isinstance(s, dict) else {}
        last = path[-1]
        if isinstance(s, dict) and s.get(last) is not None:
            d[last] = copy.deepcopy(s[last])
        else:
            d.pop(last, None)


# ------------------------------------------------------------------ sheets


@handler("addSheet")
def add_sheet(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    sheet = book.add_sheet(body.get("properties") or {})
    return {"properties": copy.deepcopy(sheet.props)}


@handler("deleteSheet")
def delete_sheet(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    sheet = book.sheet_by_id(body.get("sheetId"), where)
    if len(book.sheets) == 1:
        raise bad_request(f"Invalid {where}: You can't remove all the sheets in a document.")
    book.sheets.remove(sheet)
    dimension_metadata.drop_sheet(book, sheet.id)
    for nr_id in [k for k, nr in book.named_ranges.items() if (nr["range"].get("sheetId") or 0) == sheet.id]:
        del book.named_ranges[nr_id]
    book.reindex()
    return None


@handler("duplicateSheet")
def duplicate_sheet(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    src = book.sheet_by_id(body.get("sourceSheetId"), where)
    title = body.get("newSheetName") or f"Copy of {src.title}"
    props = copy.deepcopy(src.props)
    props.pop("sheetId")
    props["title"] = title
    props["index"] = body.get("insertSheetIndex", len(book.sheets))
    if body.get("newSheetId") is not None:
        props["sheetId"] = body["newSheetId"]
    new = book.add_sheet(props)
    new.rows = [[c.clone() if c else None for c in row] for row in src.rows]
    new.merges = copy.deepcopy(src.merges)
    return {"properties": copy.deepcopy(new.props)}


@handler("updateSheetProperties")
def update_sheet_properties(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    props = body.get("properties") or {}
    sheet = book.sheet_by_id(props.get("sheetId"), where)
    new = copy.deepcopy(sheet.props)
    src = copy.deepcopy(props)
    if "tabColor" in src and src["tabColor"] is not None:
        src["tabColorStyle"] = color_style(src["tabColor"])
    mask = body.get("fields")
    _copy_fields(new, src, mask)
    if "tabColor" in new:
        new["tabColorStyle"] = color_style(new.pop("tabColor"))
    style = new.get("tabColorStyle")
    if style is not None:
        if not style.get("rgbColor") and not style.get("themeColor"):
            new.pop("tabColorStyle")
        elif style.get("rgbColor"):
            new["tabColorStyle"] = color_style(style["rgbColor"])
    title = new.get("title")
    if not title:
        raise bad_request(f"Invalid {where}: Sheet name cannot be empty.")
    if any(s is not sheet and s.title.lower() == title.lower() for s in book.sheets):
        raise bad_request(f'Invalid {where}: A sheet with the name "{title}" already exists. Please enter another name.')
    if new.get("hidden") and all(s.props.get("hidden") for s in book.sheets if s is not sheet):
        raise bad_request(f"Invalid {where}: You can't hide all the sheets in a document.")
    if not new.get("hidden"):
        new.pop("hidden", None)
    gp = new.setdefault("gridProperties", {})
    for key in ("frozenRowCount", "frozenColumnCount"):
        if not gp.get(key):
            gp.pop(key, None)
    for key in ("hideGridlines", "rowGroupControlAfter", "columnGroupControlAfter"):
        if gp.get(key) is False:
            gp.pop(key, None)
    rows, cols = gp.get("rowCount"), gp.get("columnCount")
    if not rows or not cols or rows < 1 or cols < 1:
        raise bad_request(f"Invalid {where}: grid must have at least one row and one column")
    if gp.get("frozenRowCount", 0) >= rows:
        raise bad_request(f"Invalid {where}: You can't freeze all visible rows on the sheet.")
    if gp.get("frozenColumnCount", 0) >= cols:
        raise bad_request(f"Invalid {where}: You can't freeze all visible columns on the sheet.")
    old_index = sheet.props["index"]
    sheet.props = new
    sheet.resize(rows=rows, cols=cols)
    if new.get("index", old_index) != old_index:
        book.sheets.remove(sheet)
        book.sheets.insert(max(0, min(new["index"], len(book.sheets))), sheet)
    book.reindex()
    return None


@handler("updateSpreadsheetProperties")
def update_spreadsheet_properties(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    _copy_fields(book.properties, body.get("properties") or {}, body.get("fields"))
    if not book.properties.get("title"):
        raise bad_request(f"Invalid {where}: title cannot be empty")
    return None


# ------------------------------------------------------------------ dimensions


def _dim_range(book: Spreadsheet, body: dict[str, Any], where: str) -> tuple[Sheet, str, int, int]:
    rng = body.get("range") or body.get("dimensions") or {}
    sheet = book.sheet_by_id(rng.get("sheetId"), where)
    dim = rng.get("dimension")
    if dim not in ("ROWS", "COLUMNS"):
        raise bad_request(f"Invalid {where}: range.dimension must be ROWS or COLUMNS")
    total = sheet.row_count if dim == "ROWS" else sheet.col_count
    start = rng.get("startIndex") or 0
    end = rng.get("endIndex", total)
    return sheet, dim, start, end


@handler("insertDimension")
def insert_dimension(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    sheet, dim, start, end = _dim_range(book, body, where)
    book.insert_dimension(sheet, dim, start, end, bool(body.get("inheritFromBefore")))
    return None


@handler("deleteDimension")
def delete_dimension(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    sheet, dim, start, end = _dim_range(book, body, where)
    book.delete_dimension(sheet, dim, start, end)
    return None


@handler("moveDimension")
def move_dimension(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """Rows (columns) with their cells, sizes and developer metadata; ``destinationIndex`` counts
    before the source is removed (see ``dimension_metadata.moved_order``)."""
    sheet, dim, start, end = _dim_range(book, {"range": body.get("source")}, where)
    total = sheet.row_count if dim == "ROWS" else sheet.col_count
    dest = body.get("destinationIndex") or 0
    if not (0 <= start < end <= total) or not 0 <= dest <= total:
        raise bad_request(f"Invalid {where}: source or destinationIndex is outside the sheet")
    order = dimension_metadata.moved_order(start, end, dest, total)
    new_of_old = {old: new for new, old in enumerate(order) if old != new}
    if dim == "ROWS":
        rows = sheet.rows + [[] for _ in range(total - len(sheet.rows))]
        sheet.rows = [rows[old] for old in order]
        while sheet.rows and not any(sheet.rows[-1]):
            sheet.rows.pop()
        meta = sheet.row_meta
    else:
        for n, row in enumerate(sheet.rows):
            row = row + [None] * (total - len(row))
            sheet.rows[n] = [row[old] for old in order]
        meta = sheet.col_meta
    moved = {new_of_old.get(i, i): m for i, m in meta.items()}
    meta.clear()
    meta.update(moved)
    dimension_metadata.permute(book, sheet, dim, new_of_old)
    return None


@handler("appendDimension")
def append_dimension(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    sheet = book.sheet_by_id(body.get("sheetId"), where)
    length = body.get("length") or 0
    if length < 1:
        raise bad_request(f"Invalid {where}: length must be > 0")
    if body.get("dimension") == "ROWS":
        sheet.resize(rows=sheet.row_count + length)
    elif body.get("dimension") == "COLUMNS":
        sheet.resize(cols=sheet.col_count + length)
    else:
        raise bad_request(f"Invalid {where}: dimension must be ROWS or COLUMNS")
    return None


@handler("updateDimensionProperties")
def update_dimension_properties(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    sheet, dim, start, end = _dim_range(book, body, where)
    meta = sheet.row_meta if dim == "ROWS" else sheet.col_meta
    for i in range(start, end):
        m = meta.setdefault(i, {})
        _copy_fields(m, body.get("properties") or {}, body.get("fields"))
    return None


@handler("autoResizeDimensions")
def auto_resize_dimensions(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    sheet, dim, start, end = _dim_range(book, body, where)
    meta = sheet.row_meta if dim == "ROWS" else sheet.col_meta
    for i in range(start, end):
        if dim == "COLUMNS":
            longest = max((len(str(book.render(sheet, r, i, "FORMATTED_VALUE", "")))
                           for r in range(len(sheet.rows))), default=0)
            meta.setdefault(i, {})["pixelSize"] = max(100, 7 * longest + 10) if longest else 100
        else:
            meta.setdefault(i, {})["pixelSize"] = 21
    return None


def _groups(sheet: Sheet, dim: str) -> list[dict[str, Any]]:
    return sheet.row_groups if dim == "ROWS" else sheet.col_groups


@handler("addDimensionGroup")
def add_dimension_group(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    sheet, dim, start, end = _dim_range(book, body, where)
    groups = _groups(sheet, dim)
    depth = 1 + sum(1 for g in groups if g["range"]["startIndex"] <= start and end <= g["range"]["endIndex"])
    groups.append({"range": {"dimension": dim, "startIndex": start, "endIndex": end}, "depth": depth})
    # Sheets switches the group toggle to after the group when the first group is made (and keeps it)
    sheet.props["gridProperties"]["rowGroupControlAfter" if dim == "ROWS" else "columnGroupControlAfter"] = True
    groups.sort(key=lambda g: (g["depth"], g["range"]["startIndex"]))
    return {"dimensionGroups": copy.deepcopy(groups)}


@handler("deleteDimensionGroup")
def delete_dimension_group(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    sheet, dim, start, end = _dim_range(book, body, where)
    groups = _groups(sheet, dim)
    for g in sorted(groups, key=lambda g: -g["depth"]):
        if g["range"]["startIndex"] == start and g["range"]["endIndex"] == end:
            groups.remove(g)
            break
    else:
        raise bad_request(f"Invalid {where}: No dimension group found in the range")
    out = {"dimensionGroups": copy.deepcopy(groups)} if groups else {}
    return out


# ------------------------------------------------------------------ cells


def _cell_from_data(cell: Cell, data: dict[str, Any], mask: str | None) -> None:
    """Apply a CellData under a field mask to a cell."""
    paths = [["*"]] if mask and mask.strip() == "*" else _fields(mask)
    for path in paths:
        head = path[0]
        if head in ("*", "userEnteredValue"):
            uev = data.get("userEnteredValue") or {}
            cell.value = {k: v for k, v in uev.items() if v is not None}
        if head in ("*", "userEnteredFormat"):
            fmt = data.get("userEnteredFormat") or {}
            if head == "*" or len(path) == 1:
                cell.fmt = copy.deepcopy(fmt)
            else:
                _copy_fields(cell.fmt, fmt, ".".join(path[1:]))
            norm_colors(cell.fmt)
            for key in ("backgroundColor",):
                if key in cell.fmt:
                    cell.fmt[key + "Style"] = color_style(cell.fmt[key])
            tf = cell.fmt.get("textFormat")
            if isinstance(tf, dict) and "foregroundColor" in tf:
                tf["foregroundColorStyle"] = color_style(tf["foregroundColor"])
        if head in ("*", "note"):
            cell.note = data.get("note") or None
        if head in ("*", "dataValidation"):
            cell.validation = copy.deepcopy(data.get("dataValidation"))


def _store(sheet: Sheet, r: int, c: int, data: dict[str, Any], mask: str | None) -> None:
    cell = sheet.cell_for_write(r, c)
    _cell_from_data(cell, data, mask)
    if cell.empty():
        sheet.rows[r][c] = None


@handler("updateCells")
def update_cells(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    rows = body.get("rows") or []
    if "range" in body and body["range"] is not None:
        sheet, r0, r1, c0, c1 = book.gridrange_box(body["range"], where)
    else:
        start = body.get("start") or {}
        sheet = book.sheet_by_id(start.get("sheetId"), where)
        r0, c0 = start.get("rowIndex") or 0, start.get("columnIndex") or 0
        r1 = r0 + len(rows)
        c1 = c0 + max((len(r.get("values") or []) for r in rows), default=0)
        if r1 > sheet.row_count or c1 > sheet.col_count:
            raise bad_request(f"Invalid {where}: GridRange exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}")
    mask = body.get("fields")
    book.check_protected(sheet, r0, r1, c0, c1)
    for r in range(r0, r1):
        row = rows[r - r0] if r - r0 < len(rows) else {}
        vals = (row or {}).get("values") or []
        for c in range(c0, c1):
            data = vals[c - c0] if c - c0 < len(vals) else {}
            if c - c0 >= len(vals) and "range" not in body:
                continue
            _store(sheet, r, c, data or {}, mask)
    return None


@handler("repeatCell")
def repeat_cell(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    sheet, r0, r1, c0, c1 = book.gridrange_box(body.get("range") or {}, where)
    data = body.get("cell") or {}
    for r in range(r0, r1):
        for c in range(c0, c1):
            _store(sheet, r, c, data, body.get("fields"))
    return None


@handler("setDataValidation")
def set_data_validation(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    sheet, r0, r1, c0, c1 = book.gridrange_box(body.get("range") or {}, where)
    rule = body.get("rule")
    for r in range(r0, r1):
        for c in range(c0, c1):
            _store(sheet, r, c, {"dataValidation": rule}, "dataValidation")
    return None


@handler("sortRange")
def sort_range(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    sheet, r0, r1, c0, c1 = book.gridrange_box(body.get("range") or {}, where)
    specs = body.get("sortSpecs") or []
    r1 = min(r1, max(len(sheet.rows), r0))
    block = []
    for r in range(r0, r1):
        row = sheet.rows[r] if r < len(sheet.rows) else []
        block.append([row[c] if c < len(row) else None for c in range(c0, c1)])
    keys = []
    for r in range(r0, r1):
        keys.append([book.effective(sheet, r, spec.get("dimensionIndex", 0)) for spec in specs])

    def sort_key(v: Any) -> tuple[int, Any]:
        # numbers < text < booleans; empty cells always last
        if v is None or v == "":
            return (3, 0)
        if isinstance(v, bool):
            return (2, v)
        if isinstance(v, (int, float)):
            return (0, v)
        return (1, str(v).lower())

    order = list(range(len(block)))
    for k in range(len(specs) - 1, -1, -1):
        desc = specs[k].get("sortOrder") == "DESCENDING"
        filled = [i for i in order if sort_key(keys[i][k])[0] != 3]
        empty = [i for i in order if sort_key(keys[i][k])[0] == 3]
        filled.sort(key=lambda i: sort_key(keys[i][k]), reverse=desc)
        order = filled + empty
    sorted_block = [block[i] for i in order]
    dimension_metadata.permute(book, sheet, "ROWS", {r0 + old: r0 + new for new, old in enumerate(order)})
    for i, r in enumerate(range(r0, r1)):
        for j, c in enumerate(range(c0, c1)):
            cell = sorted_block[i][j]
            if cell is not None:
                sheet.cell_for_write(r, c)
                sheet.rows[r][c] = cell
            elif r < len(sheet.rows) and c < len(sheet.rows[r]):
                sheet.rows[r][c] = None
    return None


def _copy_block(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> list[list[Cell | None]]:
    return [[(sheet.cell(r, c).clone() if sheet.cell(r, c) else None) for c in range(c0, c1)] for r in range(r0, r1)]


def _paste(sheet: Sheet, r0: int, c0: int, block: list[list[Cell | None]], paste_type: str) -> None:
    for i, row in enumerate(block):
        for j, cell in enumerate(row):
            r, c = r0 + i, c0 + j
            if r >= sheet.row_count or c >= sheet.col_count:
                continue
            target = sheet.cell_for_write(r, c)
            src = cell or Cell()
            if paste_type in ("PASTE_NORMAL", "PASTE_VALUES"):
                target.value = dict(src.value)
            if paste_type in ("PASTE_NORMAL", "PASTE_FORMAT"):
                target.fmt = copy.deepcopy(src.fmt)
            if paste_type == "PASTE_NORMAL":
                target.note = src.note
                target.validation = copy.deepcopy(src.validation)
            if target.empty():
                sheet.rows[r][c] = None


@handler("copyPaste")
def copy_paste(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    s_sheet, r0, r1, c0, c1 = book.gridrange_box(body.get("source") or {}, where)
    d_sheet, dr0, dr1, dc0, dc1 = book.gridrange_box(body.get("destination") or {}, where)
    block = _copy_block(s_sheet, r0, r1, c0, c1)
    h, w = r1 - r0, c1 - c0
    for rr in range(dr0, max(dr1, dr0 + h), h or 1):
        for cc in range(dc0, max(dc1, dc0 + w), w or 1):
            _paste(d_sheet, rr, cc, block, body.get("pasteType") or "PASTE_NORMAL")
    return None


@handler("cutPaste")
def cut_paste(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    s_sheet, r0, r1, c0, c1 = book.gridrange_box(body.get("source") or {}, where)
    dest = body.get("destination") or {}
    d_sheet = book.sheet_by_id(dest.get("sheetId"), where)
    block = _copy_block(s_sheet, r0, r1, c0, c1)
    s_sheet.clear_box(r0, r1, c0, c1, "all")
    _paste(d_sheet, dest.get("rowIndex") or 0, dest.get("columnIndex") or 0, block, body.get("pasteType") or "PASTE_NORMAL")
    return None


@handler("findReplace")
def find_replace(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    find = body.get("find") or ""
    repl = body.get("replacement") or ""
    sheets = book.sheets if body.get("allSheets") else [book.sheet_by_id(body.get("sheetId"), where)]
    changed = 0
    for sheet in sheets:
        for row in sheet.rows:
            for cell in row:
                if cell is not None and isinstance(cell.value.get("stringValue"), str) and find in cell.value["stringValue"]:
                    cell.value["stringValue"] = cell.value["stringValue"].replace(find, repl)
                    changed += 1
    return {"valuesChanged": changed, "occurrencesChanged": changed, "rowsChanged": changed,
            "sheetsChanged": len(sheets) if changed else 0} if changed else {}


# ------------------------------------------------------------------ merges, filters


@handler("mergeCells")
def merge_cells(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    sheet, r0, r1, c0, c1 = book.gridrange_box(body.get("range") or {}, where)
    kind = body.get("mergeType") or "MERGE_ALL"
    if kind == "MERGE_ALL":
        boxes = [(r0, r1, c0, c1)]
    elif kind == "MERGE_ROWS":
        boxes = [(r, r + 1, c0, c1) for r in range(r0, r1)]
    else:
        boxes = [(r0, r1, c, c + 1) for c in range(c0, c1)]
    for br0, br1, bc0, bc1 in boxes:
        if (br1 - br0) * (bc1 - bc0) <= 1:
            continue
        inside = []
        for m in sheet.merges:
            if br1 <= m["startRowIndex"] or m["endRowIndex"] <= br0 or bc1 <= m["startColumnIndex"] or m["endColumnIndex"] <= bc0:
                continue
            if br0 <= m["startRowIndex"] and m["endRowIndex"] <= br1 and bc0 <= m["startColumnIndex"] and m["endColumnIndex"] <= bc1:
                inside.append(m)  # a merge the new one covers is replaced by it
                continue
            raise bad_request(f"Invalid {where}: You can't merge cells that partially overlap an existing merge.")
        for m in inside:
            sheet.merges.remove(m)
        # merged cells keep only the top-left value
        for r in range(br0, br1):
            for c in range(bc0, bc1):
                if (r, c) != (br0, bc0):
                    cell = sheet.cell(r, c)
                    if cell is not None:
                        cell.value = {}
        sheet.merges.append({"startRowIndex": br0, "endRowIndex": br1, "startColumnIndex": bc0, "endColumnIndex": bc1})
    return None


@handler("unmergeCells")
def unmerge_cells(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    sheet, r0, r1, c0, c1 = book.gridrange_box(body.get("range") or {}, where)
    sheet.merges = [m for m in sheet.merges
                    if not (r0 <= m["startRowIndex"] and m["endRowIndex"] <= r1
                            and c0 <= m["startColumnIndex"] and m["endColumnIndex"] <= c1)]
    return None


@handler("setBasicFilter")
def set_basic_filter(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    flt = copy.deepcopy(body.get("filter") or {})
    rng = flt.get("range") or {}
    sheet = book.sheet_by_id(rng.get("sheetId"), where)
    full = {"sheetId": sheet.id, "startRowIndex": rng.get("startRowIndex") or 0,
            "endRowIndex": rng.get("endRowIndex", sheet.row_count),
            "startColumnIndex": rng.get("startColumnIndex") or 0,
            "endColumnIndex": rng.get("endColumnIndex", sheet.col_count)}
    flt["range"] = full
    sheet.basic_filter = flt
    return None


@handler("clearBasicFilter")
def clear_basic_filter(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    book.sheet_by_id(body.get("sheetId"), where).basic_filter = None
    return None


@handler("addConditionalFormatRule")
def add_conditional_format_rule(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    rule = copy.deepcopy(body.get("rule") or {})
    ranges = rule.get("ranges") or []
    if not ranges:
        raise bad_request(f"Invalid {where}: rule.ranges must not be empty")
    sheet = book.sheet_by_id(ranges[0].get("sheetId"), where)
    rule["ranges"] = [gridrange_out(dict(g, sheetId=sheet.id)) for g in ranges]
    sheet.conditional_formats.insert(body.get("index") or 0, rule)
    return None


# ------------------------------------------------------------------ named and protected ranges


def _new_named_id(book: Spreadsheet) -> str:
    return str(book.new_id({int(k) for k in book.named_ranges if k.isdigit()}))


def _check_name(book: Spreadsheet, name: str | None, where: str, skip: str | None = None) -> str:
    import re

    if not name or not re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", name) or re.match(r"^[A-Za-z]{1,3}[0-9]+$", name):
        raise bad_request(f"Invalid {where}: Invalid name: {name}")
    for nr in book.named_ranges.values():
        if nr["namedRangeId"] != skip and nr["name"].lower() == name.lower():
            raise bad_request(f"Invalid {where}: Named range with name {name} already exists.")
    return name


@handler("addNamedRange")
def add_named_range(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    nr = copy.deepcopy(body.get("namedRange") or {})
    name = _check_name(book, nr.get("name"), where)
    rng = nr.get("range") or {}
    book.gridrange_box(rng, where)
    nr_id = nr.get("namedRangeId") or _new_named_id(book)
    stored = {"namedRangeId": nr_id, "name": name, "range": {k: v for k, v in rng.items() if v is not None}}
    book.named_ranges[nr_id] = stored
    return {"namedRange": book.named_json(stored)}


@handler("deleteNamedRange")
def delete_named_range(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    nr_id = body.get("namedRangeId")
    if nr_id not in book.named_ranges:
        raise bad_request(f"Invalid {where}: No named range with id: {nr_id}")
    del book.named_ranges[nr_id]
    return None


@handler("updateNamedRange")
def update_named_range(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    nr = body.get("namedRange") or {}
    nr_id = nr.get("namedRangeId")
    if nr_id not in book.named_ranges:
        raise bad_request(f"Invalid {where}: No named range with id: {nr_id}")
    stored = copy.deepcopy(book.named_ranges[nr_id])
    if not body.get("fields"):
        raise bad_request(f"Invalid {where}: fields must be set")
    _copy_fields(stored, nr, body.get("fields"))
    _check_name(book, stored.get("name"), where, skip=nr_id)
    stored["namedRangeId"] = nr_id
    book.named_ranges[nr_id] = stored
    return None


def _all_protected(book: Spreadsheet) -> list[tuple[Sheet, dict[str, Any]]]:
    return [(s, p) for s in book.sheets for p in s.protected]


@handler("addProtectedRange")
def add_protected_range(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    pr = {k: v for k, v in copy.deepcopy(body.get("protectedRange") or {}).items() if v is not None}
    if pr.get("namedRangeId"):
        nr = book.named_ranges.get(pr["namedRangeId"])
        if nr is None:
            raise bad_request(f"Invalid {where}: No named range with id: {pr['namedRangeId']}")
        sheet = book.sheet_by_id(nr["range"].get("sheetId"), where)
    else:
        rng = pr.get("range") or {}
        sheet = book.sheet_by_id(rng.get("sheetId"), where)
        if rng:
            book.gridrange_box(rng, where)
            pr["range"] = {k: v for k, v in rng.items() if v is not None}
            pr["range"].setdefault("sheetId", sheet.id)
    if pr.get("warningOnly") and (pr.get("editors") or {}).get("users"):
        raise bad_request(f"Invalid {where}: ProtectedRange cannot have editors when warningOnly is true.")
    used = {p["protectedRangeId"] for _, p in _all_protected(book)}
    pr["protectedRangeId"] = pr.get("protectedRangeId") or book.new_id(used)
    pr.pop("requestingUserCanEdit", None)
    reply = book.protected_json(pr)
    if not pr.get("warningOnly"):
        # the user who protects a range is always one of its editors (shown from the next read on)
        editors = pr.setdefault("editors", {})
        users = [u for u in editors.get("users") or [] if u != book.caller]
        editors["users"] = [book.caller, *users] if book.caller else users
    sheet.protected.append(pr)
    return {"protectedRange": reply}


@handler("deleteProtectedRange")
def delete_protected_range(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    pid = body.get("protectedRangeId")
    for sheet, p in _all_protected(book):
        if p["protectedRangeId"] == pid:
            sheet.protected.remove(p)
            return None
    raise bad_request(f"Invalid {where}: No protected range with id: {pid}")


@handler("updateProtectedRange")
def update_protected_range(book: Spreadsheet, body: dict[str, Any], where: str) -> None:
    pr = body.get("protectedRange") or {}
    for sheet, p in _all_protected(book):
        if p["protectedRangeId"] == pr.get("protectedRangeId"):
            _copy_fields(p, pr, body.get("fields"))
            return None
    raise bad_request(f"Invalid {where}: No protected range with id: {pr.get('protectedRangeId')}")


# ------------------------------------------------------------------ developer metadata


@handler("createDeveloperMetadata")
def create_developer_metadata(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    md = {k: v for k, v in copy.deepcopy(body.get("developerMetadata") or {}).items() if v is not None}
    if not md.get("metadataKey") or not md.get("visibility"):
        raise bad_request(f"Invalid {where}: metadataKey and visibility are required")
    loc = md.get("location") or {"spreadsheet": True}
    if loc.get("sheetId") is not None:
        book.sheet_by_id(loc["sheetId"], where)
        loc = {"locationType": "SHEET", "sheetId": loc["sheetId"]}
    elif loc.get("dimensionRange"):
        dr = loc["dimensionRange"]
        book.sheet_by_id(dr.get("sheetId"), where)
        loc = {"locationType": dr.get("dimension", "ROWS")[:-1] if False else ("ROW" if dr.get("dimension") == "ROWS" else "COLUMN"),
               "dimensionRange": dr}
    else:
        loc = {"locationType": "SPREADSHEET", "spreadsheet": True}
    md["location"] = loc
    used = book.metadata_ids()
    md["metadataId"] = md.get("metadataId") or book.new_id(used)
    used.add(md["metadataId"])
    book.developer_metadata.append(md)
    book.metadata_changed()
    return {"developerMetadata": copy.deepcopy(md)}


@handler("deleteDeveloperMetadata")
def delete_developer_metadata(book: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    hits = search_metadata(book, [body.get("dataFilter") or {}])
    ids = {m["metadataId"] for m in hits}
    book.developer_metadata = [m for m in book.developer_metadata if m["metadataId"] not in ids]
    book.metadata_changed()
    return {"deletedDeveloperMetadata": hits} if hits else {}


def search_metadata(book: Spreadsheet, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """developerMetadata:search with DataFilter.developerMetadataLookup filters."""
    out = []
    candidates = book.developer_metadata
    if len(filters) == 1 and (filters[0].get("developerMetadataLookup") or {}).get("metadataValue") is not None:
        value = filters[0]["developerMetadataLookup"]["metadataValue"]  # one pass per sync of 20 000 rows
        candidates = book.metadata_by_value().get(value, [])
    elif len(filters) == 1 and (filters[0].get("developerMetadataLookup") or {}).get("metadataId") is not None:
        candidates = book.metadata_by_value(by="metadataId").get(filters[0]["developerMetadataLookup"]["metadataId"], [])
    for md in candidates:
        for flt in filters:
            look = flt.get("developerMetadataLookup")
            if look is None:
                continue
            ok = all(
                look.get(k) is None or look[k] == md.get(mk)
                for k, mk in (("metadataId", "metadataId"), ("metadataKey", "metadataKey"),
                              ("metadataValue", "metadataValue"), ("visibility", "visibility"))
            )
            if ok and look.get("locationType") and look["locationType"] != md["location"]["locationType"]:
                ok = False
            if ok:
                out.append(copy.deepcopy(md))
                break
    return out


