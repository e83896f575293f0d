"""Patching one worksheet part: change some cells, grow or shrink a table's rows, copy the rest.

The sheet XML is treated as text: one pass finds the ``<row>`` elements (a regular expression over
the ``<sheetData>`` block); rows without a change are copied as they are, only the changed rows are
parsed and rebuilt. That keeps a 50 000-row sheet patch at well under a second and leaves every
byte outside ``<sheetData>`` (views, validations, conditional formats, drawings) untouched except
the ``<dimension>`` and the validation / format ranges that follow a growing table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .cells import (
    NEEDS_ESCAPE,
    KEPT_ATTRS,
    ATTR_RE,
    FORMULA_RE,
    Cell,
    cell_xml,
    finish_cell,
    kept_attrs,
    new_cell,
    number_bytes,
    parse_cells,
    shift_formula,
    value_xml,
    xml_escape,
)
from .numbers_pass import write_numbers
from .refs import col_letter
from ...core.errors import LianxingError

_ROW_RE_B = re.compile(rb"<row\b([^>]*?)(/>|>(.*?)</row>)", re.S)
_ROW_NUM = re.compile(rb'\br="(\d+)"')


def _scan_rows(body: bytes, pos: int = 0):
    """``(start, end, attribute bytes, inner start, inner end)`` of each ``<row>`` from ``pos``
    (inner end -1 for ``<row .../>``). What :data:`_ROW_RE_B` finds, by ``bytes.find``: a lazy regex
    over a 190 MB sheet costs seconds, these finds a tenth of that."""
    find = body.find
    while True:
        i = find(b"<row", pos)
        if i < 0:
            return
        after = body[i + 4:i + 5]
        if after not in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
            pos = i + 4
            continue
        j = find(b">", i)
        if body[j - 1:j] == b"/":
            yield i, j + 1, body[i + 4:j - 1], j + 1, -1
            pos = j + 1
        else:
            k = find(b"</row>", j)
            if k < 0:
                raise SheetPatchError("a <row> without its </row>: the worksheet XML is damaged")
            yield i, k + 6, body[i + 4:j], j + 1, k
            pos = k + 6


class SheetPatchError(LianxingError, ValueError):
    """A change that would overwrite something a person put there (the message says where)."""


@dataclass
class Growth:
    """Rows ``first_new..last_new`` join a table spanning columns ``c1..c2``; they copy the styles,
    row attributes and formulas of ``template_row`` (the table's last data row before growing)."""

    c1: int
    c2: int
    template_row: int
    first_new: int
    last_new: int
    column_formulas: dict[int, str] = field(default_factory=dict)  # calculated-column fallbacks
    first_row: int = 0  # the table's first data row: ranges starting there follow it down


@dataclass
class Region:
    """Columns ``c1..c2`` of rows ``r1..r2`` (a table's rows); missing cells copy ``style_row``'s styles."""

    r1: int
    c1: int
    r2: int
    c2: int
    style_row: int


@dataclass
class SheetEdit:
    values: dict[int, dict[int, Any]] = field(default_factory=dict)  # row -> column -> value
    growths: list[Growth] = field(default_factory=list)
    clears: list[tuple[int, int, int, int]] = field(default_factory=list)  # (r1, c1, r2, c2) emptied
    regions: list[Region] = field(default_factory=list)

    def set(self, row: int, col: int, value: Any) -> None:
        self.values.setdefault(row, {})[col] = value

    def __bool__(self) -> bool:
        return bool(self.values or self.growths or self.clears)


@dataclass
class PatchResult:
    xml: bytes
    removed_formula: bool
    max_row: int
    max_col: int


def _row_attrs(attr_text: str) -> dict[str, str]:
    return dict(ATTR_RE.findall(attr_text))


def find_row(body: bytes, row: int) -> tuple[dict[str, str], list[Cell]] | None:
    """(attributes, cells) of row ``row`` of an undecoded ``<sheetData>`` body (None when it has
    no such row): only that row is decoded."""
    m = re.search(rb'<row\b[^>]*?\br="%d"' % row, body)
    rm = _ROW_RE_B.match(body, m.start()) if m else None
    if rm is None:
        return None
    return _row_attrs(rm.group(1).rstrip(b"/").decode("utf-8")), parse_cells((rm.group(3) or b"").decode("utf-8"))


def col_styles(xml: str) -> dict[int, str]:
    """Column default styles from ``<cols>`` (used for cells no row template covers)."""
    out: dict[int, str] = {}
    cols = re.search(r"<cols>(.*?)</cols>", xml, re.S)
    if not cols:
        return out
    for m in re.finditer(r"<col\b([^>]*)/?>", cols.group(1)):
        a = dict(ATTR_RE.findall(m.group(1)))
        if "style" in a:
            for c in range(int(a.get("min", 0)), min(int(a.get("max", 0)), 16384) + 1):
                out[c] = a["style"]
    return out


def patch_sheet_xml(xml: bytes, edit: SheetEdit, date1904: bool = False) -> PatchResult:
    """The worksheet part's bytes with ``edit`` applied. It stays bytes: decoding a 270 MB sheet
    (and encoding it again) cost more than patching it; only the rows rebuilt are decoded."""
    start = xml.find(b"<sheetData")
    if start < 0:
        raise SheetPatchError("worksheet has no <sheetData>")
    open_end = xml.index(b">", start) + 1
    if xml[open_end - 2:open_end - 1] == b"/":  # <sheetData/>
        body_start = body_end = open_end
        head, tail = xml[:start] + b"<sheetData>", b"</sheetData>" + xml[open_end:]
    else:
        body_start = open_end
        body_end = xml.index(b"</sheetData>", body_start)
        head, tail = xml[:body_start], xml[body_end:]
    if edit.growths or edit.clears:
        patcher = _SheetPatcher(head.decode("utf-8"), xml[body_start:body_end], edit, date1904)
        rows = patcher.patched_rows()
    else:  # numbers in one pass, the rest row by row
        rows, rest = write_numbers(xml, edit.values, body_start, body_end)
        body = b"".join(rows) if rest else b""
        patcher = _SheetPatcher(head.decode("utf-8"), body, SheetEdit(values=rest, regions=edit.regions), date1904)
        if rest:
            found = patcher.rows_in_place()
            rows = found if found is not None else patcher.patched_rows()
        else:
            patcher.max_row = last_row_number(xml, body_start, body_end)
    out = [head, *rows, tail]
    return PatchResult(b"".join(out), patcher.removed_formula, patcher.max_row, patcher.max_col)


def last_row_number(body: bytes, start: int = 0, end: int | None = None) -> int:
    """The number of the last ``<row>`` of a ``<sheetData>`` body (rows are in order), 0 without one."""
    last = body.rfind(b"<row", start, len(body) if end is None else end)
    rn = _ROW_NUM.search(body, last, body.find(b">", last)) if last >= 0 else None
    return int(rn.group(1)) if rn else 0


class _SheetPatcher:
    """One patch of one ``<sheetData>`` body: the rows to change, the templates new or missing cells
    copy (a growing table's last row, a table region's style row, the column styles), and the
    caches that keep appending thousands of rows cheap."""

    def __init__(self, head: str, body: bytes, edit: SheetEdit, date1904: bool):
        self.body, self.edit, self.date1904 = body, edit, date1904
        # Templates: the rows whose styles/formulas new or missing cells copy.
        self.template_rows: dict[int, tuple[dict[str, str], dict[int, Cell]]] = {}
        for r in {g.template_row for g in edit.growths} | {reg.style_row for reg in edit.regions}:
            found = find_row(body, r)
            if found:
                self.template_rows[r] = (found[0], {c.col: c for c in found[1]})
        self.col_styles = col_styles(head)
        self.growth_rows: dict[int, Growth] = {}
        for g in edit.growths:
            for r in range(g.first_new, g.last_new + 1):
                self.growth_rows[r] = g
                edit.values.setdefault(r, {})
        self.clear_rows = {r for (r1, _, r2, _) in edit.clears for r in range(r1, r2 + 1)}
        self.pending = sorted(set(edit.values) | self.clear_rows)
        self.removed_formula = False
        self.max_row = self.max_col = 0
        self._style_cache: dict[tuple[int, int], dict[str, str]] = {}
        # Per growth and column: (attributes, formula text, the row it is written for or None).
        self._growth_templates: dict[tuple[int, int], tuple[dict[str, str], str | None, int | None]] = {}
        self._row_templates: dict[int, list[tuple[int, str, str, str | None, int | None]]] = {}
        self._row_extras: dict[int, str] = {}

    def region_style(self, row: int, col: int) -> dict[str, str]:
        col_styles = self.col_styles
        for i, reg in enumerate(self.edit.regions):
            if reg.r1 <= row <= reg.r2 and reg.c1 <= col <= reg.c2:
                key = (i, col)
                if key not in self._style_cache:
                    tpl = self.template_rows.get(reg.style_row)
                    style = tpl[1][col].style if tpl and col in tpl[1] else None
                    if style is not None:
                        self._style_cache[key] = {"s": style}
                    else:
                        self._style_cache[key] = {"s": col_styles[col]} if col in col_styles else {}
                return self._style_cache[key]
        return {"s": col_styles[col]} if col in col_styles else {}

    def growth_template(self, growth: Growth, c: int, r: int) -> tuple[dict[str, str], str | None, int | None]:
        """(attributes, formula XML text, the row that text is written for, None when it holds no
        relative row) of column ``c`` in the rows a table grows by: the last row's own formula, or
        (where that row shares its formula, or holds a typed value) the calculated column's, which
        is written for the table's first data row."""
        key = (id(growth), c)
        if key not in self._growth_templates:
            tpl = self.template_rows.get(growth.template_row, ({}, {}))[1].get(c)
            text, base = (tpl.formula_text if tpl else None), growth.template_row
            if text is None and c in growth.column_formulas:
                text, base = xml_escape(growth.column_formulas[c]), growth.first_row
            moves = text is not None and shift_formula(text, 1) != text
            a = {"s": tpl.style} if tpl is not None and tpl.style is not None else self.region_style(r, c)
            self._growth_templates[key] = (a, text, base if moves else None)
        return self._growth_templates[key]

    def _growth_columns(self, growth: Growth, r: int) -> list[tuple[int, str, str, str | None, int | None]]:
        """Per column of a growing table: head before and after the row number, formula, the row it is written for."""
        columns = self._row_templates.get(id(growth))
        if columns is None:
            columns = self._row_templates[id(growth)] = []
            for c in range(growth.c1, growth.c2 + 1):
                a, text, base = self.growth_template(growth, c, r)
                kept = "".join(f' {name}="{a[name]}"' for name in KEPT_ATTRS if name in a)
                columns.append((c, '<c r="' + col_letter(c), '"' + kept, text, base))
        return columns

    def new_table_row(self, r: int, growth: Growth) -> str:
        """A row that did not exist, inside a growing table: the hot path when thousands of rows are
        appended (the archive's sync state), so it builds the XML directly from cached templates."""
        date1904 = self.date1904
        values = self.edit.values.get(r, {})
        parts = []
        number = str(r)
        get = values.get
        for c, before, after, text, base in self._growth_columns(growth, r):
            v = get(c)
            # plain cells, inlined: hundreds of thousands of them when the archive state is first written
            if text is None:
                if v is None:
                    parts.append(before + number + after + "/>")
                    continue
                if type(v) is str and v and (v.isalnum() or NEEDS_ESCAPE.search(v) is None):
                    parts.append(f'{before}{number}{after} t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>')
                    continue
                parts.append(finish_cell(before + number + after, v, None, date1904))
                continue
            formula = f"<f>{text if base is None else shift_formula(text, r - base)}</f>"
            parts.append(finish_cell(before + number + after, v, formula, date1904))
        if values and (min(values) < growth.c1 or max(values) > growth.c2):
            outside = sorted(set(values) - set(range(growth.c1, growth.c2 + 1)))
            style = self.region_style
            left = [cell_xml(f"{col_letter(c)}{r}", values[c], attrs=style(r, c), date1904=date1904)
                    for c in outside if c < growth.c1]
            parts = left + parts + [cell_xml(f"{col_letter(c)}{r}", values[c], attrs=style(r, c), date1904=date1904)
                                    for c in outside if c > growth.c2]
        extra = self._row_extras.get(id(growth))
        if extra is None:
            tpl_attrs = self.template_rows.get(growth.template_row, ({}, {}))[0]
            extra = self._row_extras[id(growth)] = "".join(f' {k}="{v}"' for k, v in tpl_attrs.items()
                                                           if k not in ("r", "spans"))
        if r > self.max_row:
            self.max_row = r
        self.max_col = max(self.max_col, growth.c2, max(values) if values else 0)
        return f'<row r="{r}"{extra}>' + "".join(parts) + "</row>"

    def _cleared_and_grown(self, r: int, growth: Growth | None, by_col: dict[int, Cell],
                           values: dict[int, Any]) -> None:
        """A growing table may not cover data below it; cleared ranges drop their cells (noting a
        removed formula, which makes the calculation chain stale)."""
        if growth:
            for c in range(growth.c1, growth.c2 + 1):
                old = by_col.get(c)
                if old is not None and old.has_value:
                    raise SheetPatchError(
                        f"cell {col_letter(c)}{r} below the table already holds data; the table cannot "
                        f"grow over it. Move that content and run again / 表格下方单元格 {col_letter(c)}{r} 已有内容")
                values.setdefault(c, None)
        for (r1, c1, r2, c2) in self.edit.clears:
            if r1 <= r <= r2:
                for c in range(c1, c2 + 1):
                    if c in by_col and c not in values:
                        if by_col[c].formula:
                            self.removed_formula = True
                        del by_col[c]

    def build_row(self, r: int, attrs: dict[str, str] | None, cells: list[Cell]) -> str:
        growth = self.growth_rows.get(r)
        if growth is not None and attrs is None and not cells and r not in self.clear_rows:
            return self.new_table_row(r, growth)
        date1904 = self.date1904
        tpl_attrs = self.template_rows.get(growth.template_row, ({}, {}))[0] if growth else {}
        by_col = {c.col: c for c in cells}
        values = self.edit.values.get(r, {})
        self._cleared_and_grown(r, growth, by_col, values)
        for c, value in values.items():
            old = by_col.get(c)
            ref = f"{col_letter(c)}{r}"
            if growth and growth.c1 <= c <= growth.c2:
                a, text, base = self.growth_template(growth, c, r)
                formula = None
                if text is not None:
                    formula = f"<f>{text if base is None else shift_formula(text, r - base)}</f>"
                by_col[c] = new_cell(r, c, cell_xml(ref, value, attrs=a, formula=formula, date1904=date1904))
            elif old is not None:
                by_col[c] = new_cell(r, c, cell_xml(ref, value, attrs=old.attrs, formula=old.formula,
                                                    date1904=date1904))
            else:
                by_col[c] = new_cell(r, c, cell_xml(ref, value, attrs=self.region_style(r, c), date1904=date1904))
        if not by_col and (attrs is None or set(attrs) <= {"r", "spans"}):
            return ""  # an emptied (or never existing) row with nothing else to keep
        row_attrs = dict(tpl_attrs) if growth and attrs is None else dict(attrs or {})
        row_attrs.pop("spans", None)
        row_attrs["r"] = str(r)
        head = "<row " + " ".join([f'r="{r}"'] + [f'{k}="{v}"' for k, v in row_attrs.items() if k != "r"])
        self.max_row = max(self.max_row, r)
        if not by_col:
            return head + "/>"
        self.max_col = max(self.max_col, max(by_col))
        return head + ">" + "".join(by_col[c].xml for c in sorted(by_col)) + "</row>"

    def rows_in_place(self) -> list[bytes] | None:
        """The body with each pending row found by its ``<row r="N"`` tag (the form Excel,
        LibreOffice and XlsxWriter write) and patched, no other row looked at; None when a pending
        row is not there in that form (then :meth:`patched_rows` scans every row)."""
        body = self.body
        find = body.find
        out: list[bytes] = []
        pos = 0
        kept_cache: dict[bytes, bytes] = {}
        for r in self.pending:
            i = find(b'<row r="%d"' % r, pos)
            if i < 0:
                return None
            j = find(b">", i)
            empty = body[j - 1] == 47  # "/": <row .../>
            k = -1 if empty else find(b"</row>", j)
            out.append(body[pos:i])
            out += self._changed_row(body, r, i, body[i + 4:j - 1 if empty else j], j + 1, k, kept_cache)
            pos = j + 1 if empty else k + 6
        out.append(body[pos:])
        self.max_row = max(self.max_row, last_row_number(body), *self.pending)
        return out

    def patched_rows(self) -> list[bytes]:
        """The body with the pending rows rebuilt, inserted or emptied; the rest copied as it is."""
        body, pending = self.body, self.pending
        out: list[bytes] = []
        pos = 0
        pi = 0
        kept_cache: dict[bytes, bytes] = {}
        for start, end, attr_text, inner_start, inner_end in _scan_rows(body):
            if pi >= len(pending):  # nothing left to change: copy the rest; rows are in order, the last is the highest
                last = body.rfind(b"<row", start)
                rn = _ROW_NUM.search(body, last, body.find(b">", last))
                if rn is None:
                    raise SheetPatchError("a row without an r= number "
                                          "(not written by Excel, LibreOffice or XlsxWriter)")
                self.max_row = max(self.max_row, int(rn.group(1)))
                break
            rn = _ROW_NUM.search(attr_text)
            if rn is None:
                raise SheetPatchError("a row without an r= number (not written by Excel, LibreOffice or XlsxWriter)")
            r = int(rn.group(1))
            while pi < len(pending) and pending[pi] < r:
                out.append(body[pos:start])
                pos = start
                out.append(self.build_row(pending[pi], None, []).encode("utf-8"))
                pi += 1
            if pi < len(pending) and pending[pi] == r:
                out.append(body[pos:start])
                out += self._changed_row(body, r, start, attr_text, inner_start, inner_end, kept_cache)
                pos = end
                pi += 1
            else:
                self.max_row = max(self.max_row, r)
        out.append(body[pos:])
        while pi < len(pending):
            out.append(self.build_row(pending[pi], None, []).encode("utf-8"))
            pi += 1
        return out

    def _changed_row(self, body: bytes, r: int, start: int, attr_text: bytes, inner_start: int, inner_end: int,
                     kept_cache: dict[bytes, bytes]) -> list[bytes]:
        """Row ``r`` with its edits, in pieces: cells patched in place where they all exist, else rebuilt."""
        inner = body[inner_start:inner_end] if inner_end >= 0 else None
        if r not in self.growth_rows and r not in self.clear_rows and inner:
            fast = _patch_existing_cells(body[start:inner_start], inner, r, self.edit.values.get(r, {}),
                                         self.date1904, kept_cache)
            if fast is not None:
                self.max_row = max(self.max_row, r)
                return fast
        cells = parse_cells(inner.decode("utf-8")) if inner else []
        return [self.build_row(r, _row_attrs(attr_text.decode("utf-8")), cells).encode("utf-8")]


def _patch_existing_cells(start_tag: bytes, inner: bytes, r: int, values: dict[int, Any], date1904: bool,
                          kept_cache: dict[bytes, bytes]) -> list[bytes] | None:
    """Rewrites cells that already exist in a row by finding them by reference, leaving the rest of
    the row's bytes untouched (no full parse: a changed row usually changes a few of its 40 cells).
    None when a cell is missing (then the caller rebuilds the row in column order).

    A formula cell whose value keeps its kind (a number stays a number) gets only its cached
    ``<v>`` replaced: its formula, often kilobytes of structured references, is never copied.
    ``kept_cache``: the kept attributes per attribute text after ``r="..."`` (a sheet has a few
    dozen such texts, one per style and type)."""
    edits = []
    suffix = str(r).encode() + b'"'
    find = inner.find
    after = 0  # cells are in column order: each search starts past the last cell found
    for c, value in sorted(values.items()):
        head = _cell_head(c) + suffix
        i = find(head, after)
        if i < 0:
            i = find(head)
            if i < 0:
                return None
        j = find(b">", i)
        if inner[j - 1:j] == b"/":
            end, rest, cs, ce = j + 1, inner[i + len(head):j - 1], j + 1, j + 1
        else:
            end = inner.index(b"</c>", j) + 4
            rest, cs, ce = inner[i + len(head):j], j + 1, end - 4
        after = end
        has_formula = inner.startswith(b"<f", cs) if cs < ce else False
        if has_formula:  # the content is not copied: formulas run to kilobytes
            spliced = _cached_value_only(rest, inner, cs, ce, value, date1904)
            if spliced is not None:
                edits.append(spliced)
                continue
        kept = kept_cache.get(rest)
        if kept is None:
            kept = kept_cache[rest] = kept_attrs(rest.decode("utf-8")).encode("utf-8")
        content = inner[cs:ce]
        number = number_bytes(value)
        if number is not None and b"<f" not in content:
            # a number in a plain cell, the most common write: what finish_cell would make, made directly
            edits.append((i, end, b"".join((head, kept, b"><v>", number, b"</v></c>"))))
            continue
        formula = None
        if b"<f" in content:
            k = content.find(b"</f>") if content.startswith(b"<f>") else -1
            if k >= 0:  # what FORMULA_RE finds, found without the regex
                formula = content[:k + 4].decode("utf-8")
            else:
                fm = FORMULA_RE.search(content.decode("utf-8"))
                formula = fm.group(0) if fm else None
        edits.append((i, end, finish_cell((head + kept).decode("utf-8"), value, formula, date1904).encode("utf-8")))
    edits.sort()
    parts, pos = [start_tag], 0
    for i, end, xml in edits:
        parts.append(inner[pos:i])
        parts.append(xml)
        pos = end
    parts.append(inner[pos:])
    parts.append(b"</row>")
    return parts  # joined once with the whole sheet, not row by row


@lru_cache(maxsize=4096)
def _cell_head(col: int) -> bytes:
    return b'<c r="' + col_letter(col).encode()


_TYPE_ATTR = re.compile(rb'\bt="([^"]*)"')


def _cached_value_only(rest: bytes, inner: bytes, start: int, end: int, value: Any,
                       date1904: bool) -> tuple[int, int, bytes] | None:
    """(start, end, new bytes) replacing only what follows the ``<f>`` element that opens a cell's
    content ``inner[start:end]``, when the new value's type attribute is the cell's own; None when
    the cell must be rewritten."""
    t, value_inner = value_xml(value, True, date1904)
    m = _TYPE_ATTR.search(rest)
    if (m.group(1).decode() if m else None) != t:
        return None
    if inner.startswith(b"<f>", start):
        k = inner.find(b"</f>", start, end) + 4
    else:
        gt = inner.find(b">", start, end)
        k = gt + 1 if gt > 0 and inner[gt - 1:gt] == b"/" else inner.find(b"</f>", start, end) + 4
    if k < 4:
        return None
    return k, end, value_inner.encode("utf-8")
