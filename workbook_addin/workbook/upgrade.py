"""Bringing a workbook built by an older version up to the sheets the refresh now writes.

Workbooks built before the import ledger have no hidden ``_ledger`` Table, and none of the two
sheets added with it (待确认匹配 Matches to confirm, 未匹配 Unmatched exports). Without the ledger a
refresh can only sum the files in the folder now, so an export leaving the folder would lower the
totals. The refresh therefore adds the missing sheets to the file it saves: each one an Excel
Table with the schema's bilingual headers, appended after the last sheet (no sheet moves, so no
sheet-scoped name or print area changes), styled with the styles the workbook itself already uses
for the same column types (a new style would need styles.xml rewritten). Nothing else in the file
changes; the save keeps its usual backup.
"""
from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from ..core.schema import Schema, Sheet
from .xlsx import XlsxPackage
from .xlsx.package import TablePart
from .xlsx.refs import col_letter, range_ref
from .xlsx.sheetxml import col_styles, find_row

#: the sheets added since workbooks were first built, in the order they are appended
ADDED_SHEETS = ("confirm", "unmatched", "ledger")
_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')


def add_missing_sheets(pkg: XlsxPackage, schema: Schema) -> dict[str, list[Any]]:
    """Adds each sheet of :data:`ADDED_SHEETS` whose Table the workbook lacks (and whose tab name
    is free); returns tab name -> the header row the new sheet holds (what a reader of the file
    as saved would see), for the caller's read of this not-yet-saved package."""
    missing = [schema.sheet(key) for key in ADDED_SHEETS
               if schema.sheet(key).table not in pkg.tables and schema.sheet(key).name not in pkg.sheets]
    if not missing:
        return {}
    header_style, styles = borrowed_styles(pkg, schema)
    added = {}
    for sheet in missing:
        table_id, table_part = pkg.next_table_id()
        width = len(sheet.columns)
        table = TablePart(name=sheet.table, part=table_part, sheet=sheet.name, ref=(1, 1, 2, width),
                          columns=list(sheet.headers))
        pkg.add_worksheet(sheet.name, sheet_xml(sheet, schema, header_style, styles), hidden=sheet.hidden,
                          table=table, table_xml=table_xml(sheet, table_id))
        added[sheet.name] = list(sheet.headers)
    return added


def borrowed_styles(pkg: XlsxPackage, schema: Schema) -> tuple[str | None, dict[str, str]]:
    """(header cell style, column type -> column style) as the workbook's own schema sheets use
    them, read from the smallest sheets first (a 50 000-row sheet is not decoded for a style)."""
    present = [(s, pkg.tables[s.table]) for s in schema.sheets if s.table in pkg.tables]
    present.sort(key=lambda item: pkg.infos_size(pkg.sheets[item[1].sheet].part))
    header: str | None = None
    styles: dict[str, str] = {}
    needed = {c.type for key in ADDED_SHEETS for c in schema.sheet(key).columns}
    for sheet, table in present:
        if header is not None and needed <= set(styles):
            break
        xml = pkg.sheet_xml(table.sheet)
        cols = col_styles(xml)
        by_header = {c.header: c for c in sheet.columns}
        for i, name in enumerate(table.columns):
            column = by_header.get(name)
            if column is not None and table.first_col + i in cols:
                styles.setdefault(column.type, cols[table.first_col + i])
        if header is None:
            row = find_row(xml[xml.find("<sheetData"):].encode("utf-8"), table.header_row)
            header = next((c.style for c in row[1] if c.style is not None), None) if row else None
    return header, styles


def sheet_xml(sheet: Sheet, schema: Schema, header_style: str | None, styles: dict[str, str]) -> str:
    """The new sheet: frozen header row, column widths and styles, drop-downs for its enum columns."""
    cols = "".join(f'<col min="{i}" max="{i}" width="{(c.width or 12) + 0.7109375}"'
                   + (f' style="{styles[c.type]}"' if c.type in styles else "") + ' customWidth="1"/>'
                   for i, c in enumerate(sheet.columns, 1))
    s = f' s="{header_style}"' if header_style is not None else ""
    cells = "".join(f'<c r="{col_letter(i)}1"{s} t="inlineStr"><is><t>{escape(c.header)}</t></is></c>'
                    for i, c in enumerate(sheet.columns, 1))
    lists = []
    for i, c in enumerate(sheet.columns, 1):
        labels = ",".join(v.label for v in schema.enums[c.enum].values) if c.type == "enum" and c.enum else ""
        if labels and len(labels) < 250:  # an inline list; Excel takes up to 255 characters
            lists.append(f'<dataValidation type="list" allowBlank="1" showErrorMessage="1" '
                         f'sqref="{col_letter(i)}2:{col_letter(i)}1048576"><formula1>"{escape(labels)}"</formula1>'
                         "</dataValidation>")
    validations = f'<dataValidations count="{len(lists)}">{"".join(lists)}</dataValidations>' if lists else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}>'
            f'<dimension ref="{range_ref(1, 1, 2, len(sheet.columns))}"/>'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData><row r="1">{cells}</row></sheetData>'
            f'{validations}<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            '<tableParts count="1"><tablePart r:id="rId1"/></tableParts></worksheet>')


def table_xml(sheet: Sheet, table_id: int) -> str:
    ref = range_ref(1, 1, 2, len(sheet.columns))
    columns = "".join(f'<tableColumn id="{i}" name="{escape(c.header, {chr(34): "&quot;"})}"/>'
                      for i, c in enumerate(sheet.columns, 1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" id="{table_id}" '
            f'name="{sheet.table}" displayName="{sheet.table}" ref="{ref}" totalsRowShown="0">'
            f'<autoFilter ref="{ref}"/><tableColumns count="{len(sheet.columns)}">{columns}</tableColumns>'
            '<tableStyleInfo name="TableStyleMedium2" showFirstColumn="0" showLastColumn="0" showRowStripes="1" '
            'showColumnStripes="0"/></table>')
