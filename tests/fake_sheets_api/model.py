"""The in-memory spreadsheets: grids of cells, sheet properties, merges, named and protected ranges.

Callers (the HTTP layer) hold ``FakeSheetsServer.lock`` around every use; nothing here locks.
Output dicts follow the discovery document's ``Spreadsheet``/``Sheet``/``CellData`` schemas and
omit default values the way Google's JSON does (e.g. ``sheetId: 0`` inside a GridRange).
"""

from __future__ import annotations

import copy
import math
import datetime as _dt
import random
import secrets
import string
import struct
from dataclasses import dataclass, field
from typing import Any, Iterator

from . import a1, dimension_metadata
from .errors import ApiError, bad_request
from .formula import FormulaError, evaluate
from .values import DATE_TYPES, format_value, raw_value, user_entered_value

DEFAULT_ROWS = 1000
DEFAULT_COLS = 26
MAX_CELLS = 10_000_000
#: Google's answer to an edit inside a protected range the caller is not an editor of (HTTP 403).
PROTECTED_MESSAGE = ("You are trying to edit a protected cell or object. Please contact the spreadsheet owner "
                     "to remove protection if you need to edit.")

DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}


def _theme_color(kind: str, rgb: tuple[float, float, float] | None) -> dict[str, Any]:
    color = {} if rgb is None else {"red": rgb[0], "green": rgb[1], "blue": rgb[2]}
    return {"colorType": kind, "color": {"rgbColor": color}}


DEFAULT_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        _theme_color("TEXT", None),
        _theme_color("BACKGROUND", (1, 1, 1)),
        _theme_color("ACCENT1", (0.25882354, 0.52156866, 0.95686275)),
        _theme_color("ACCENT2", (0.91764706, 0.2627451, 0.20784314)),
        _theme_color("ACCENT3", (0.9843137, 0.7372549, 0.015686275)),
        _theme_color("ACCENT4", (0.20392157, 0.65882355, 0.3254902)),
        _theme_color("ACCENT5", (1, 0.42745098, 0.003921569)),
        _theme_color("ACCENT6", (0.27450982, 0.7411765, 0.7764706)),
        _theme_color("LINK", (0.06666667, 0.33333334, 0.8)),
    ],
}

_ID_CHARS = string.ascii_letters + string.digits + "-_"


def new_spreadsheet_id() -> str:
    """44 characters, like Google's file ids."""
    return "1" + "".join(secrets.choice(_ID_CHARS) for _ in range(43))


def now_rfc3339() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def float32(v: float) -> float | int:
    """Google stores colour components as float32 and prints the shortest decimal that round-trips."""
    f32 = struct.unpack("f", struct.pack("f", float(v)))[0]
    for digits in range(1, 10):
        text = f"{f32:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            value = float(text)
            return int(value) if value.is_integer() else value
    return f32


def norm_color(color: dict[str, Any] | None) -> dict[str, Any]:
    """A Color as Google answers it: float32 components, zero components omitted."""
    out: dict[str, Any] = {}
    for key in ("red", "green", "blue", "alpha"):
        v = (color or {}).get(key)
        if v:
            # stored as 8 bits per channel (0.5 comes back as 127/255), printed as float32
            out[key] = float32(math.floor(float(v) * 255 + 1e-6) / 255) if key != "alpha" else float32(v)
        if out.get(key) == 0:
            del out[key]
    return out


def color_style(color: dict[str, Any] | None) -> dict[str, Any]:
    return {"rgbColor": norm_color(color)}


def norm_colors(obj: Any) -> Any:
    """Normalise every Color / ColorStyle inside a format or properties dict (in place)."""
    if isinstance(obj, dict):
        for key, v in list(obj.items()):
            if key in ("rgbColor", "backgroundColor", "foregroundColor", "tabColor", "color") and isinstance(v, dict) \
                    and not ({"rgbColor", "themeColor"} & set(v)):
                obj[key] = norm_color(v)
            else:
                norm_colors(v)
    elif isinstance(obj, list):
        for v in obj:
            norm_colors(v)
    return obj


class Cell:
    """One cell: the value as entered, its format, note and validation rule."""

    __slots__ = ("value", "fmt", "note", "validation")

    def __init__(self) -> None:
        self.value: dict[str, Any] = {}  # ExtendedValue as entered (numberValue/stringValue/...)
        self.fmt: dict[str, Any] = {}  # userEnteredFormat (numberFormat inside)
        self.note: str | None = None
        self.validation: dict[str, Any] | None = None

    def empty(self) -> bool:
        return not self.value and not self.fmt and self.note is None and self.validation is None

    def clone(self) -> "Cell":
        c = Cell()
        c.value = dict(self.value)
        c.fmt = copy.deepcopy(self.fmt) if self.fmt else {}
        c.note = self.note
        c.validation = copy.deepcopy(self.validation) if self.validation else None
        return c


@dataclass
class Sheet:
    """A tab: properties plus a row-major list of cell rows (ragged, shorter than the grid)."""

    props: dict[str, Any]
    rows: list[list[Cell | None]] = field(default_factory=list)
    merges: list[dict[str, int]] = field(default_factory=list)
    protected: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    row_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    col_meta: dict[int, dict[str, Any]] = field(default_factory=dict)
    row_groups: list[dict[str, Any]] = field(default_factory=list)
    col_groups: list[dict[str, Any]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.props["sheetId"]

    @property
    def title(self) -> str:
        return self.props["title"]

    @property
    def row_count(self) -> int:
        return self.props["gridProperties"]["rowCount"]

    @property
    def col_count(self) -> int:
        return self.props["gridProperties"]["columnCount"]

    # ---------------------------------------------------------------- cells

    def cell(self, r: int, c: int) -> Cell | None:
        if r < len(self.rows):
            row = self.rows[r]
            if c < len(row):
                return row[c]
        return None

    def cell_for_write(self, r: int, c: int) -> Cell:
        while len(self.rows) <= r:
            self.rows.append([])
        row = self.rows[r]
        if len(row) <= c:
            row.extend([None] * (c + 1 - len(row)))
        cell = row[c]
        if cell is None:
            cell = row[c] = Cell()
        return cell

    def clear_box(self, r0: int, r1: int, c0: int, c1: int, what: str = "value") -> None:
        for r in range(r0, min(r1, len(self.rows))):
            row = self.rows[r]
            for c in range(c0, min(c1, len(row))):
                cell = row[c]
                if cell is None:
                    continue
                if what in ("value", "all"):
                    cell.value = {}
                if what in ("format", "all"):
                    cell.fmt = {}
                if what == "all":
                    cell.note = None
                    cell.validation = None
                if cell.empty():
                    row[c] = None

    def check_grid(self, r1: int, c1: int, label: str) -> None:
        if r1 > self.row_count or c1 > self.col_count:
            raise bad_request(
                f"Range ({label}) exceeds grid limits. Max rows: {self.row_count}, max columns: {self.col_count}")

    def resize(self, rows: int | None = None, cols: int | None = None) -> None:
        gp = self.props["gridProperties"]
        if rows is not None:
            gp["rowCount"] = rows
            del self.rows[rows:]
        if cols is not None:
            gp["columnCount"] = cols
            for row in self.rows:
                del row[cols:]
        if gp["rowCount"] * gp["columnCount"] > MAX_CELLS:
            raise bad_request("This action would increase the number of cells in the workbook above the limit of 10000000 cells.")


def gridrange_out(gr: dict[str, Any]) -> dict[str, Any]:
    """A GridRange as Google answers it: no sheetId when it is 0."""
    out = {k: v for k, v in gr.items() if v is not None}
    if out.get("sheetId", 0) == 0:
        out.pop("sheetId", None)
    return out


class Spreadsheet:
    """A spreadsheet file: properties, sheets, named ranges, sharing."""

    def __init__(self, title: str, owner: str, sheet_titles: tuple[str, ...] = ("Sheet1",),
                 spreadsheet_id: str | None = None) -> None:
        self.id = spreadsheet_id or new_spreadsheet_id()
        self.properties: dict[str, Any] = {
            "title": title,
            "locale": "en_US",
            "autoRecalc": "ON_CHANGE",
            "timeZone": "Etc/GMT",
            "defaultFormat": copy.deepcopy(DEFAULT_FORMAT),
            "spreadsheetTheme": copy.deepcopy(DEFAULT_THEME),
        }
        self.sheets: list[Sheet] = []
        self.named_ranges: dict[str, dict[str, Any]] = {}
        self.developer_metadata: list[dict[str, Any]] = []
        self.owner = owner
        self.readers: set[str] = set()
        self.writers: set[str] = set()
        self.created = now_rfc3339()
        self.modified = self.created
        self.trashed = False
        self.caller = ""  # who runs the current batchUpdate (protected ranges name their creator)
        self._rng = random.Random()
        for i, t in enumerate(sheet_titles):
            self.add_sheet({"title": t}, sheet_id=0 if i == 0 else None)

    def __deepcopy__(self, memo: dict[int, Any]) -> "Spreadsheet":
        """Snapshot for atomic batches: cells cloned directly (generic deepcopy is ~50x slower)."""
        new = copy.copy(self)
        for name in ("properties", "named_ranges", "readers", "writers"):
            setattr(new, name, copy.deepcopy(getattr(self, name), memo))
        new.developer_metadata = dimension_metadata.clone_all(self.developer_metadata)
        new.sheets = []
        for sheet in self.sheets:
            rows = sheet.rows
            sheet.rows = []
            clone = copy.deepcopy(sheet, memo)
            sheet.rows = rows
            clone.rows = [[c.clone() if c is not None else None for c in row] for row in rows]
            new.sheets.append(clone)
        new._rng = random.Random()
        return new

    # ---------------------------------------------------------------- access

    def can_read(self, email: str) -> bool:
        return email == self.owner or email in self.writers or email in self.readers or "anyone" in self.readers

    def can_write(self, email: str) -> bool:
        return email == self.owner or email in self.writers

    def touch(self) -> None:
        self.modified = now_rfc3339()

    # ---------------------------------------------------------------- sheets

    def metadata_ids(self) -> set[int]:
        """A superset of the developer metadata ids in use (grows only; shared by snapshots)."""
        if getattr(self, "_metadata_ids", None) is None:
            self._metadata_ids = {m["metadataId"] for m in self.developer_metadata}
        return self._metadata_ids

    def metadata_by_value(self, by: str = "metadataValue") -> dict[Any, list[dict[str, Any]]]:
        """Developer metadata grouped by value (or id): a sync looks up hundreds of row tags among
        20 000 in one request. Whatever adds or removes metadata calls :meth:`metadata_changed`."""
        cache = getattr(self, "_metadata_index", None)
        if cache is None or cache[0] is not self.developer_metadata or cache[1] != by:
            index: dict[Any, list[dict[str, Any]]] = {}
            for md in self.developer_metadata:
                index.setdefault(md.get(by), []).append(md)
            cache = self._metadata_index = (self.developer_metadata, by, index)
        return cache[2]

    def metadata_changed(self) -> None:
        self._metadata_index = None

    def new_id(self, used: set[int]) -> int:
        while True:
            n = self._rng.randint(1, 2_147_483_646)
            if n not in used:
                return n

    def add_sheet(self, props: dict[str, Any], sheet_id: int | None = None) -> Sheet:
        props = copy.deepcopy(props or {})
        used = {s.id for s in self.sheets}
        sid = props.get("sheetId", sheet_id)
        if sid is None:
            sid = self.new_id(used)
        elif sid in used:
            raise bad_request(f"Invalid requests[0].addSheet: A sheet with the id {sid} already exists. Please pick a different id.")
        title = props.get("title")
        if not title:
            n = len(self.sheets) + 1
            while any(s.title == f"Sheet{n}" for s in self.sheets):
                n += 1
            title = f"Sheet{n}"
        if any(s.title.lower() == title.lower() for s in self.sheets):
            raise bad_request(
                f'Invalid requests[0].addSheet: A sheet with the name "{title}" already exists. Please enter another name.')
        index = props.get("index", len(self.sheets))
        index = max(0, min(index, len(self.sheets)))
        gp = {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLS}
        gp.update(props.get("gridProperties") or {})
        out: dict[str, Any] = {"sheetId": sid, "title": title, "index": index,
                               "sheetType": props.get("sheetType") or "GRID", "gridProperties": gp}
        for key in ("hidden", "rightToLeft"):
            if props.get(key):
                out[key] = True
        if props.get("tabColorStyle") or props.get("tabColor"):
            style = props.get("tabColorStyle") or {"rgbColor": props["tabColor"]}
            if style.get("rgbColor"):
                out["tabColorStyle"] = color_style(style["rgbColor"])
            elif style.get("themeColor"):
                out["tabColorStyle"] = {"themeColor": style["themeColor"]}
        sheet = Sheet(out)
        self.sheets.insert(index, sheet)
        self.reindex()
        return sheet

    def reindex(self) -> None:
        for i, s in enumerate(self.sheets):
            s.props["index"] = i

    def sheet_by_id(self, sheet_id: int | None, where: str = "") -> Sheet:
        sheet_id = sheet_id or 0
        for s in self.sheets:
            if s.id == sheet_id:
                return s
        raise bad_request(f"Invalid {where}: No grid with id: {sheet_id}" if where else f"No grid with id: {sheet_id}")

    def sheet_by_title(self, title: str) -> Sheet | None:
        for s in self.sheets:
            if s.title == title:
                return s
        for s in self.sheets:
            if s.title.lower() == title.lower():
                return s
        return None

    # ---------------------------------------------------------------- ranges

    def resolve(self, text: str) -> tuple[Sheet, a1.CellBox]:
        """A1 text -> (sheet, box). Raises the API's 'Unable to parse range' error."""
        try:
            title, cells = a1.split_sheet(text)
        except a1.RangeError:
            raise bad_request(f"Unable to parse range: {text}") from None
        if title is None:
            assert cells is not None
            try:
                box = a1.parse_cells(cells)
                return self.sheets[0], box
            except a1.RangeError:
                pass
            named = self.named_range_by_name(cells)
            if named:
                return self._named_box(named)
            sheet = self.sheet_by_title(cells)
            if sheet:
                return sheet, a1.CellBox(None, None, None, None)
            raise bad_request(f"Unable to parse range: {text}")
        sheet = self.sheet_by_title(title)
        if sheet is None:
            raise bad_request(f"Unable to parse range: {text}")
        if cells is None:
            return sheet, a1.CellBox(None, None, None, None)
        try:
            return sheet, a1.parse_cells(cells)
        except a1.RangeError:
            named = self.named_range_by_name(cells)
            if named and (named["range"].get("sheetId") or 0) == sheet.id:
                return self._named_box(named)
            raise bad_request(f"Unable to parse range: {text}") from None

    def named_range_by_name(self, name: str) -> dict[str, Any] | None:
        for nr in self.named_ranges.values():
            if nr["name"].lower() == name.lower():
                return nr
        return None

    def _named_box(self, nr: dict[str, Any]) -> tuple[Sheet, a1.CellBox]:
        gr = nr["range"]
        sheet = self.sheet_by_id(gr.get("sheetId"))
        return sheet, a1.CellBox(gr.get("startRowIndex"), gr.get("endRowIndex"),
                                 gr.get("startColumnIndex"), gr.get("endColumnIndex"))

    @staticmethod
    def concrete(sheet: Sheet, box: a1.CellBox) -> tuple[int, int, int, int]:
        """Fill open ends of a box with the grid's size."""
        r0 = box.start_row or 0
        c0 = box.start_col or 0
        r1 = sheet.row_count if box.end_row is None else box.end_row
        c1 = sheet.col_count if box.end_col is None else box.end_col
        return r0, r1, c0, c1

    def gridrange_box(self, gr: dict[str, Any], where: str) -> tuple[Sheet, int, int, int, int]:
        sheet = self.sheet_by_id(gr.get("sheetId"), where)
        r0 = gr.get("startRowIndex") or 0
        c0 = gr.get("startColumnIndex") or 0
        r1 = gr.get("endRowIndex")
        c1 = gr.get("endColumnIndex")
        r1 = sheet.row_count if r1 is None else r1
        c1 = sheet.col_count if c1 is None else c1
        if r1 > sheet.row_count or c1 > sheet.col_count:
            raise bad_request(f"Invalid {where}: GridRange exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}")
        return sheet, r0, r1, c0, c1

    # ---------------------------------------------------------------- values

    def effective(self, sheet: Sheet, r: int, c: int, depth: int = 0) -> Any:
        """The computed value of a cell: the value, or the formula's result (or a FormulaError)."""
        cell = sheet.cell(r, c)
        if cell is None or not cell.value:
            return None
        v = cell.value
        if "formulaValue" in v:
            if depth > 50:
                return FormulaError("#REF!", "Circular dependency detected.")
            try:
                return evaluate(v["formulaValue"], lambda t, box: self._formula_rows(sheet, t, box, depth))
            except FormulaError as exc:
                return exc
            except (OverflowError, ValueError, TypeError, ZeroDivisionError):
                return FormulaError("#VALUE!")
        for key in ("numberValue", "stringValue", "boolValue"):
            if key in v:
                return v[key]
        return None

    def _formula_rows(self, sheet: Sheet, title: str | None, box: a1.CellBox, depth: int) -> list[list[Any]]:
        target = sheet if title is None else self.sheet_by_title(title)
        if target is None:
            raise FormulaError("#REF!", f"Unresolved sheet name '{title}'.")
        r0, r1, c0, c1 = self.concrete(target, box)
        r1 = min(r1, target.row_count, max(len(target.rows), r0 + 1))
        out = []
        for r in range(r0, r1):
            row = []
            for c in range(c0, c1):
                v = self.effective(target, r, c, depth + 1)
                if isinstance(v, FormulaError):
                    raise v
                row.append(v)
            out.append(row)
        return out

    def render(self, sheet: Sheet, r: int, c: int, value_render: str, dt_render: str) -> Any:
        """One cell as values.get returns it ('' for empty)."""
        cell = sheet.cell(r, c)
        if cell is None or not cell.value:
            return ""
        if value_render == "FORMULA" and "formulaValue" in cell.value:
            return cell.value["formulaValue"]
        v = self.effective(sheet, r, c)
        if isinstance(v, FormulaError):
            return v.code
        if v is None:
            return ""
        nf = cell.fmt.get("numberFormat")
        if value_render == "FORMATTED_VALUE":
            return format_value(v, nf)
        if (dt_render == "FORMATTED_STRING" and nf and nf.get("type") in DATE_TYPES
                and isinstance(v, (int, float)) and not isinstance(v, bool)):
            return format_value(v, nf)
        return v

    def read_values(self, text: str, major: str = "ROWS", value_render: str = "FORMATTED_VALUE",
                    dt_render: str = "SERIAL_NUMBER") -> dict[str, Any]:
        sheet, box = self.resolve(text)
        r0, r1, c0, c1 = self.concrete(sheet, box)
        sheet.check_grid(r1, c1, self.label(sheet, r0, r1, c0, c1))
        out: dict[str, Any] = {"range": a1.format_box(sheet.title, r0, r1, c0, c1),
                               "majorDimension": major or "ROWS"}
        rows: list[list[Any]] = []
        used_r = min(r1, len(sheet.rows))
        for r in range(r0, used_r):
            row_cells = sheet.rows[r]
            row = [self.render(sheet, r, c, value_render, dt_render) for c in range(c0, min(c1, len(row_cells)))]
            while row and row[-1] == "":
                row.pop()
            rows.append(row)
        while rows and not rows[-1]:
            rows.pop()
        if major == "COLUMNS" and rows:
            width = max(len(r) for r in rows)
            cols = [[(rows[i][j] if j < len(rows[i]) else "") for i in range(len(rows))] for j in range(width)]
            for col in cols:
                while col and col[-1] == "":
                    col.pop()
            rows = cols
        if rows:
            out["values"] = rows
        return out

    @staticmethod
    def label(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> str:
        """Range as quoted in error messages: always with the quoted title."""
        text = a1.format_box(sheet.title, r0, r1, c0, c1)
        if not text.startswith("'"):
            text = "'" + sheet.title.replace("'", "''") + "'" + text[len(sheet.title):]
        return text

    def write_values(self, text: str, values: list[list[Any]] | None, major: str | None,
                     input_option: str, append: str | None = None) -> dict[str, Any]:
        """values.update / one entry of values.batchUpdate / values.append (append = insertDataOption)."""
        sheet, box = self.resolve(text)
        values = values or []
        if (major or "ROWS") == "COLUMNS":
            width = max((len(col) for col in values), default=0)
            values = [[col[i] if i < len(col) else None for col in values] for i in range(width)]
        n_rows = len(values)
        n_cols = max((len(r) for r in values), default=0)
        r0 = box.start_row or 0
        c0 = box.start_col or 0
        table_range = None
        if append is not None:
            r0, c0, table_range = self._append_start(sheet, box)
            if append == "INSERT_ROWS" and n_rows:
                self.insert_dimension(sheet, "ROWS", r0, r0 + n_rows, inherit_before=r0 > 0)
            needed = r0 + n_rows
            if needed > sheet.row_count:
                sheet.resize(rows=needed)
            if c0 + n_cols > sheet.col_count:
                sheet.resize(cols=c0 + n_cols)
        else:
            if box.end_row == r0 + 1 and box.end_col == c0 + 1:
                box = a1.CellBox(r0, None, c0, None)  # a single cell is only the anchor of the write
            limit_r1 = r0 + n_rows
            limit_c1 = c0 + n_cols
            if box.end_row is not None and n_rows > box.end_row - r0 or box.end_col is not None and n_cols > box.end_col - c0:
                raise bad_request(
                    f"Requested writing within range [{text}], but tried writing to "
                    + ("row" if box.end_row is not None and n_rows > box.end_row - r0 else "column")
                    + f" [{(r0 + n_rows) if box.end_row is not None and n_rows > box.end_row - r0 else a1.col_letters(c0 + n_cols - 1)}]")
            if n_rows and n_cols:
                sheet.check_grid(limit_r1, limit_c1, self.label(sheet, r0, max(limit_r1, r0 + 1), c0, max(limit_c1, c0 + 1)))
        if n_rows and n_cols and sheet.protected:
            written = {(r0 + i, c0 + j) for i, row in enumerate(values) if row for j, v in enumerate(row) if v is not None}
            self.check_protected(sheet, r0, r0 + n_rows, c0, c0 + n_cols, written)
        updated_cells = 0
        touched_rows: set[int] = set()
        touched_cols: set[int] = set()
        for i, row in enumerate(values):
            if row is None:
                continue
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, (list, dict)):
                    raise bad_request(f"Invalid values[{i}][{j}]: " + ("list_value" if isinstance(v, list) else "struct_value") + " {\n}")
                r, c = r0 + i, c0 + j
                if input_option == "RAW":
                    ev, nf = raw_value(v), None
                else:
                    ev, nf = user_entered_value(v)
                cell = sheet.cell_for_write(r, c)
                cell.value = ev
                if nf is not None:
                    cell.fmt["numberFormat"] = nf
                elif input_option == "USER_ENTERED" and "numberFormat" in cell.fmt and not isinstance(v, (int, float)) and "stringValue" in ev:
                    pass
                updated_cells += 1
                touched_rows.add(r)
                touched_cols.add(c)
        self.touch()
        result: dict[str, Any] = {"spreadsheetId": self.id}
        if updated_cells:
            result["updatedRange"] = a1.format_box(sheet.title, min(touched_rows), max(touched_rows) + 1,
                                                   min(touched_cols), max(touched_cols) + 1)
            result["updatedRows"] = len(touched_rows)
            result["updatedColumns"] = len(touched_cols)
            result["updatedCells"] = updated_cells
        else:
            result["updatedRange"] = a1.format_box(sheet.title, r0, r0 + 1, c0, c0 + 1)
        if append is not None:
            result = {"spreadsheetId": self.id, **({"tableRange": table_range} if table_range else {}),
                      "updates": result}
        return result

    def _append_start(self, sheet: Sheet, box: a1.CellBox) -> tuple[int, int, str | None]:
        """Find the table at/after the given range and return where appended rows go."""
        r0 = box.start_row or 0
        c0 = box.start_col or 0
        c1 = sheet.col_count if box.end_col is None else box.end_col
        r1 = sheet.row_count if box.end_row is None else box.end_row

        def row_has_data(r: int, last_col: int) -> bool:
            if r >= len(sheet.rows):
                return False
            row = sheet.rows[r]
            return any(row[c] is not None and row[c].value for c in range(c0, min(last_col, len(row))))

        # the table starts at the first non-empty row inside the given range (a single empty cell
        # means "write here", which gspread's insert_row relies on) and runs down to the next empty row
        start = next((r for r in range(r0, min(r1, len(sheet.rows))) if row_has_data(r, c1)), None)
        if start is None:
            return r0, c0, None
        end = start
        while row_has_data(end, sheet.col_count):
            end += 1
        tc0, tc1 = None, None
        for r in range(start, end):
            row = sheet.rows[r]
            for c in range(c0, min(c1, len(row))):
                if row[c] is not None and row[c].value:
                    tc0 = c if tc0 is None else min(tc0, c)
                    tc1 = c + 1 if tc1 is None else max(tc1, c + 1)
        table = a1.format_box(sheet.title, start, end, tc0 or 0, tc1 or 1)
        return end, min(c0, tc0 if tc0 is not None else c0), table

    def clear_values(self, text: str) -> str:
        sheet, box = self.resolve(text)
        r0, r1, c0, c1 = self.concrete(sheet, box)
        sheet.check_grid(r1, c1, self.label(sheet, r0, r1, c0, c1))
        sheet.clear_box(r0, r1, c0, c1, "value")
        self.touch()
        return a1.format_box(sheet.title, r0, r1, c0, c1)

    # ---------------------------------------------------------------- dimensions

    def insert_dimension(self, sheet: Sheet, dim: str, start: int, end: int, inherit_before: bool = False) -> None:
        n = end - start
        if n <= 0:
            raise bad_request("Invalid requests[0].insertDimension: range must have a positive length")
        if dim == "ROWS":
            if start > sheet.row_count:
                raise bad_request(f"Invalid requests[0].insertDimension: range.startIndex ({start}) must be <= the number of rows ({sheet.row_count})")
            if start < len(sheet.rows):
                sheet.rows[start:start] = [[] for _ in range(n)]
            sheet.props["gridProperties"]["rowCount"] += n
            self._shift_ranges(sheet, "row", start, n)
        else:
            if start > sheet.col_count:
                raise bad_request(f"Invalid requests[0].insertDimension: range.startIndex ({start}) must be <= the number of columns ({sheet.col_count})")
            for row in sheet.rows:
                if start < len(row):
                    row[start:start] = [None] * n
            sheet.props["gridProperties"]["columnCount"] += n
            self._shift_ranges(sheet, "col", start, n)

    def delete_dimension(self, sheet: Sheet, dim: str, start: int, end: int) -> None:
        n = end - start
        total = sheet.row_count if dim == "ROWS" else sheet.col_count
        if n <= 0 or end > total:
            raise bad_request(f"Invalid requests[0].deleteDimension: Cannot delete a {'row' if dim == 'ROWS' else 'column'} that doesn't exist. Tried to delete {'row' if dim == 'ROWS' else 'column'} index {end - 1} but there are only {total} {'rows' if dim == 'ROWS' else 'columns'}.")
        if n == total:
            raise bad_request(f"Invalid requests[0].deleteDimension: You can't delete all the {'rows' if dim == 'ROWS' else 'columns'} on the sheet.")
        if dim == "ROWS":
            del sheet.rows[start:end]
            sheet.props["gridProperties"]["rowCount"] -= n
            self._shift_ranges(sheet, "row", start, -n)
        else:
            for row in sheet.rows:
                del row[start:end]
            sheet.props["gridProperties"]["columnCount"] -= n
            self._shift_ranges(sheet, "col", start, -n)

    def _shift_ranges(self, sheet: Sheet, axis: str, at: int, n: int) -> None:
        """Move merges, named and protected ranges, filter ranges with inserted/deleted rows/cols."""
        s_key, e_key = ("startRowIndex", "endRowIndex") if axis == "row" else ("startColumnIndex", "endColumnIndex")

        def shift(gr: dict[str, Any]) -> bool:
            s, e = gr.get(s_key), gr.get(e_key)
            if n > 0:
                if s is not None and s >= at:
                    gr[s_key] = s + n
                if e is not None and e > at:
                    gr[e_key] = e + n
                return True
            lo, hi = at, at - n
            def move(x: int) -> int:
                return x if x <= lo else (lo if x <= hi else x + n)
            if s is not None:
                gr[s_key] = move(s)
            if e is not None:
                gr[e_key] = move(e)
            return s is None or e is None or gr[e_key] > gr[s_key]

        sheet.merges = [m for m in sheet.merges if shift(m)]
        for nr in list(self.named_ranges.values()):
            if (nr["range"].get("sheetId") or 0) == sheet.id and not shift(nr["range"]):
                del self.named_ranges[nr["namedRangeId"]]
        sheet.protected = [p for p in sheet.protected if "range" not in p or shift(p["range"])]
        if sheet.basic_filter and not shift(sheet.basic_filter["range"]):
            sheet.basic_filter = None
        dimension_metadata.shift(self, sheet, "ROWS" if axis == "row" else "COLUMNS", at, n)
        meta = sheet.row_meta if axis == "row" else sheet.col_meta
        moved = {}
        for idx, m in meta.items():
            if n > 0:
                moved[idx + n if idx >= at else idx] = m
            elif not (at <= idx < at - n):
                moved[idx + n if idx >= at - n else idx] = m
        meta.clear()
        meta.update(moved)

    # ---------------------------------------------------------------- output

    def sheet_json(self, sheet: Sheet, data_boxes: list[tuple[int, int, int, int]] | None) -> dict[str, Any]:
        out: dict[str, Any] = {"properties": copy.deepcopy(sheet.props)}
        if data_boxes is not None:
            out["data"] = [self.grid_data(sheet, *box) for box in data_boxes]
        if sheet.merges:
            out["merges"] = [gridrange_out(dict(m, sheetId=sheet.id)) for m in sheet.merges]
        if sheet.conditional_formats:
            out["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
        if sheet.protected:
            out["protectedRanges"] = [self.protected_json(p) for p in sheet.protected]
        if sheet.basic_filter:
            bf = copy.deepcopy(sheet.basic_filter)
            bf["range"] = gridrange_out(bf["range"])
            out["basicFilter"] = bf
        if sheet.row_groups:
            out["rowGroups"] = copy.deepcopy(sheet.row_groups)
        if sheet.col_groups:
            out["columnGroups"] = copy.deepcopy(sheet.col_groups)
        own = [md for md in self.developer_metadata if dimension_metadata.located(md, "sheet")
               and md["location"]["sheetId"] == sheet.id]
        if own:
            out["developerMetadata"] = copy.deepcopy(own)
        return out

    def may_edit(self, p: dict[str, Any]) -> bool:
        """Whether the current caller may edit inside protected range ``p``: a warning-only range
        lets everyone; a strict one only its editors and the spreadsheet's owner."""
        if p.get("warningOnly") or not self.caller or self.caller == self.owner:
            return True
        return self.caller in ((p.get("editors") or {}).get("users") or [])

    def check_protected(self, sheet: Sheet, r0: int, r1: int, c0: int, c1: int,
                        cells: set[tuple[int, int]] | None = None) -> None:
        """HTTP 403, as Google answers, when a write touches a strict range the caller may not edit.

        ``cells``: the cells a values write really sets (a null in ``values`` leaves its cell alone,
        and is taken not to count as an edit; Google's documentation does not say)."""
        for p in sheet.protected:
            gr = p.get("range")
            if gr is None or self.may_edit(p):
                continue
            pr0, pr1 = gr.get("startRowIndex", 0), gr.get("endRowIndex", sheet.row_count)
            pc0, pc1 = gr.get("startColumnIndex", 0), gr.get("endColumnIndex", sheet.col_count)
            if not (r0 < pr1 and pr0 < r1 and c0 < pc1 and pc0 < c1):
                continue
            if cells is None or any(pr0 <= r < pr1 and pc0 <= c < pc1 for r, c in cells):
                raise ApiError(403, PROTECTED_MESSAGE, "PERMISSION_DENIED")

    def protected_json(self, p: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"protectedRangeId": p["protectedRangeId"]}
        if "range" in p:
            out["range"] = gridrange_out(p["range"])
        if p.get("namedRangeId"):
            out["namedRangeId"] = p["namedRangeId"]
        if p.get("description"):
            out["description"] = p["description"]
        if p.get("warningOnly"):
            out["warningOnly"] = True
        out["requestingUserCanEdit"] = self.may_edit(p)
        if p.get("unprotectedRanges"):
            out["unprotectedRanges"] = [gridrange_out(g) for g in p["unprotectedRanges"]]
        editors = {k: v for k, v in (p.get("editors") or {}).items() if v}
        if not p.get("warningOnly"):
            out["editors"] = editors
        return out

    def cell_json(self, sheet: Sheet, r: int, c: int) -> dict[str, Any]:
        cell = sheet.cell(r, c)
        if cell is None:
            return {}
        out: dict[str, Any] = {}
        if cell.value:
            out["userEnteredValue"] = dict(cell.value)
            v = self.effective(sheet, r, c)
            if isinstance(v, FormulaError):
                out["effectiveValue"] = {"errorValue": {"type": "ERROR", "message": v.message or v.code}}
                out["formattedValue"] = v.code
            elif v is not None:
                key = "boolValue" if isinstance(v, bool) else "numberValue" if isinstance(v, (int, float)) else "stringValue"
                out["effectiveValue"] = {key: v}
                out["formattedValue"] = format_value(v, cell.fmt.get("numberFormat"))
        if cell.fmt:
            out["userEnteredFormat"] = copy.deepcopy(cell.fmt)
            eff = copy.deepcopy(DEFAULT_FORMAT)
            eff.update(copy.deepcopy(cell.fmt))
            out["effectiveFormat"] = eff
        if cell.note is not None:
            out["note"] = cell.note
        if cell.validation is not None:
            out["dataValidation"] = copy.deepcopy(cell.validation)
        return out

    def grid_data(self, sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if r0:
            out["startRow"] = r0
        if c0:
            out["startColumn"] = c0
        row_data = []
        for r in range(r0, min(r1, len(sheet.rows))):
            vals = [self.cell_json(sheet, r, c) for c in range(c0, min(c1, len(sheet.rows[r])))]
            while vals and not vals[-1]:
                vals.pop()
            row_data.append({"values": vals} if vals else {})
        while row_data and not row_data[-1]:
            row_data.pop()
        if row_data:
            out["rowData"] = row_data
        out["rowMetadata"] = self._dimension_json(sheet, "ROWS", sheet.row_meta, 21, r0, r1)
        out["columnMetadata"] = self._dimension_json(sheet, "COLUMNS", sheet.col_meta, 100, c0, c1)
        return out

    def _dimension_json(self, sheet: Sheet, dimension: str, meta: dict[int, dict[str, Any]], size: int,
                        lo: int, hi: int) -> list[dict[str, Any]]:
        """``DimensionProperties`` per row/column, with the developer metadata on each."""
        cache = getattr(self, "_grid_tags", None)  # one pass per answer, not per grid (see to_json)
        if cache is not None and (sheet.id, dimension) in cache:
            tags = cache[(sheet.id, dimension)]
        else:
            tags = dimension_metadata.by_index(self, sheet, dimension) if self.developer_metadata else {}
            if cache is not None:
                cache[(sheet.id, dimension)] = tags
        out = []
        for i in range(lo, hi):
            props = dict({"pixelSize": size}, **meta.get(i, {}))
            if i in tags:
                props["developerMetadata"] = copy.deepcopy(tags[i])
            out.append(props)
        return out

    def to_json(self, include_grid_data: bool = False, ranges: list[str] | None = None) -> dict[str, Any]:
        self._grid_tags: dict[tuple[int, str], dict[int, list[dict[str, Any]]]] | None = {}
        try:
            return self._to_json(include_grid_data, ranges)
        finally:
            self._grid_tags = None

    def _to_json(self, include_grid_data: bool = False, ranges: list[str] | None = None) -> dict[str, Any]:
        boxes: dict[int, list[tuple[int, int, int, int]]] = {}
        selected: list[Sheet] | None = None
        if ranges:
            selected = []
            for text in ranges:
                sheet, box = self.resolve(text)
                if sheet not in selected:
                    selected.append(sheet)
                boxes.setdefault(sheet.id, []).append(self.concrete(sheet, box))
        out: dict[str, Any] = {"spreadsheetId": self.id, "properties": copy.deepcopy(self.properties)}
        sheets = []
        for sheet in self.sheets:
            if selected is not None and sheet not in selected:
                continue
            data_boxes = None
            if include_grid_data:
                data_boxes = boxes.get(sheet.id) or [(0, sheet.row_count, 0, sheet.col_count)]
            sheets.append(self.sheet_json(sheet, data_boxes))
        out["sheets"] = sheets
        if self.named_ranges:
            out["namedRanges"] = [self.named_json(nr) for nr in self.named_ranges.values()]
        top = [md for md in self.developer_metadata if dimension_metadata.located(md, "spreadsheet")]
        if top:  # metadata on a sheet is listed with the sheet, on rows/columns in their grid data
            out["developerMetadata"] = copy.deepcopy(top)
        out["spreadsheetUrl"] = f"https://docs.google.com/spreadsheets/d/{self.id}/edit"
        return out

    @staticmethod
    def named_json(nr: dict[str, Any]) -> dict[str, Any]:
        return {"namedRangeId": nr["namedRangeId"], "name": nr["name"], "range": gridrange_out(nr["range"])}


def apply_field_mask(obj: Any, mask: str | None) -> Any:
    """Apply a ``fields`` mask (``a.b,c(d,e)``, ``a/b``) to a response dict; keys absent stay absent."""
    if not mask or mask.strip() == "*":
        return obj
    tree = parse_mask(mask)
    return _mask(obj, tree)


def parse_mask(mask: str) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    i = 0

    def parse_list(prefix_nodes: list[dict[str, Any]], end: str | None) -> None:
        nonlocal i
        while i < len(mask):
            # one path
            nodes = prefix_nodes
            name = ""
            while i < len(mask) and mask[i] not in ",()":
                ch = mask[i]
                if ch in "./":
                    nodes = [n.setdefault(name.strip(), {}) for n in nodes]
                    name = ""
                else:
                    name += ch
                i += 1
            if i < len(mask) and mask[i] == "(":
                i += 1
                sub = [n.setdefault(name.strip(), {}) for n in nodes]
                parse_list(sub, ")")
            elif name.strip():
                for n in nodes:
                    n.setdefault(name.strip(), {})
            if i < len(mask) and mask[i] == ",":
                i += 1
                continue
            if i < len(mask) and mask[i] == ")":
                i += 1
                return
        return

    parse_list([tree], None)
    return tree


def _mask(obj: Any, tree: dict[str, Any]) -> Any:
    if not tree:
        return obj
    if isinstance(obj, list):
        return [_mask(v, tree) for v in obj]
    if isinstance(obj, dict):
        return {k: _mask(obj[k], sub) for k, sub in tree.items() if k in obj}
    return obj
