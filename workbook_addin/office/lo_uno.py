"""Drives LibreOffice Calc through UNO: probe a workbook, or export sheets to PDF.

Run by Debian's ``/usr/bin/python3`` (it has ``uno``; the project's virtualenv does not), as a
script, with no imports from the package. It talks to an ``soffice --headless --accept=...``
started by the caller (see :mod:`workbook_addin.office.libreoffice`) and prints one JSON document.

    python3 lo_uno.py probe PORT WORKBOOK [SHEET ...]    # what LibreOffice sees, before/after recalc
    python3 lo_uno.py layout PORT WORKBOOK SHEET=ROW ...  # print areas, conditional formats, drop-downs
    python3 lo_uno.py pdf PORT WORKBOOK OUT.pdf SHEET    # one sheet as PDF

The workbook is opened read-only from the path given; callers pass a COPY, and nothing is ever
stored back into an .xlsm (LibreOffice would drop the codeNames and the button).
"""
from __future__ import annotations

import json
import math
import sys
import time

import uno
from com.sun.star.beans import PropertyValue


def _prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def connect(port: int, timeout: float = 60.0):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + timeout
    while True:
        try:
            ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except Exception:  # noqa: BLE001 - soffice still starting
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def load(desktop, path: str):
    url = uno.systemPathToFileUrl(path)
    args = (_prop("Hidden", True), _prop("ReadOnly", True), _prop("MacroExecutionMode", 0))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, args)
    if doc is None:
        raise SystemExit(f"LibreOffice could not open {path}")
    return doc


def _plain(v):
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def _cells(sheet, with_formulas_only: bool):
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    last_row = cursor.RangeAddress.EndRow
    last_col = cursor.RangeAddress.EndColumn
    data = sheet.getCellRangeByPosition(0, 0, last_col, last_row)
    formulas = data.getFormulaArray()
    values = data.getDataArray()
    out = []
    for r, (frow, vrow) in enumerate(zip(formulas, values)):
        for c, (f, v) in enumerate(zip(frow, vrow)):
            if with_formulas_only and not str(f).startswith("="):
                continue
            if not with_formulas_only and f == "":
                continue
            cell = sheet.getCellByPosition(c, r)
            out.append({"row": r + 1, "col": c + 1, "formula": f, "value": _plain(v),
                        "error": int(cell.getError())})
    return out


def probe(doc, detail_sheets):
    sheets = doc.Sheets
    result = {"sheets": list(sheets.ElementNames), "hidden": [], "basic": {}, "shapes": {}, "charts": {},
              "before": {}, "after": {}, "named_ranges": list(doc.NamedRanges.ElementNames)}
    for name in sheets.ElementNames:
        sheet = sheets.getByName(name)
        if not sheet.IsVisible:
            result["hidden"].append(name)
        result["charts"][name] = list(sheet.getCharts().ElementNames)
        shapes = []
        page = sheet.DrawPage
        for i in range(page.Count):
            shape = page.getByIndex(i)
            entry = {"type": shape.ShapeType}
            if shape.ShapeType == "com.sun.star.drawing.ControlShape":
                model = shape.Control
                entry["label"] = getattr(model, "Label", None)
                entry["name"] = model.Name
            shapes.append(entry)
        forms = page.Forms
        events = []
        for fi in range(forms.Count):
            form = forms.getByIndex(fi)
            for ci in range(form.Count):
                try:
                    for ev in form.getScriptEvents(ci):
                        events.append({"control": form.getByIndex(ci).Name, "listener": ev.ListenerType,
                                       "method": ev.EventMethod, "script_type": ev.ScriptType,
                                       "script": ev.ScriptCode})
                except Exception as exc:  # noqa: BLE001
                    events.append({"error": str(exc)})
        result["shapes"][name] = {"shapes": shapes, "events": events}
    libs = doc.BasicLibraries
    for lib_name in libs.ElementNames:
        if not libs.isLibraryLoaded(lib_name):
            libs.loadLibrary(lib_name)
        lib = libs.getByName(lib_name)
        result["basic"][lib_name] = {m: lib.getByName(m) for m in lib.ElementNames}
    for name in detail_sheets:
        result["before"][name] = _cells(sheets.getByName(name), True)
    doc.calculateAll()
    for name in detail_sheets:
        result["after"][name] = _cells(sheets.getByName(name), True)
    return result


def _addresses(ranges):
    return [[a.StartRow + 1, a.StartColumn + 1, a.EndRow + 1, a.EndColumn + 1] for a in ranges]


def layout(doc, sheet_rows):
    """Per ``SHEET=ROW``: the sheet's print areas and conditional-format ranges as LibreOffice
    understood them (1-based [r1, c1, r2, c2]), and which columns of ROW offer a drop-down."""
    out = {}
    for spec in sheet_rows:
        name, _, row = spec.rpartition("=")
        sheet = doc.Sheets.getByName(name)
        formats = sheet.ConditionalFormats.ConditionalFormats
        cursor = sheet.createCursor()
        cursor.gotoEndOfUsedArea(False)
        last_col = cursor.RangeAddress.EndColumn
        validated = [c + 1 for c in range(last_col + 1)
                     if sheet.getCellByPosition(c, int(row) - 1).Validation.Type.value != "ANY"]
        out[name] = {"print_areas": _addresses(sheet.getPrintAreas()),
                     "conditional_formats": [_addresses(f.Range.RangeAddresses) for f in formats],
                     "drop_down_columns": validated}
    return out


def export_pdf(doc, out_path: str, sheet_name: str):
    """Only ``sheet_name``, landscape, scaled to one page wide."""
    sheets = doc.Sheets
    target = sheets.getByName(sheet_name)
    styles = doc.StyleFamilies.getByName("PageStyles")
    style = styles.getByName(target.PageStyle)
    style.IsLandscape = True
    width, height = style.Width, style.Height
    if width < height:
        style.Width, style.Height = height, width
    style.ScaleToPagesX = 1
    style.ScaleToPagesY = 0
    style.LeftMargin = style.RightMargin = style.TopMargin = style.BottomMargin = 800
    controller = doc.CurrentController
    controller.setActiveSheet(target)
    filter_data = uno.Any("[]com.sun.star.beans.PropertyValue", (_prop("Selection", target),))
    doc.storeToURL(uno.systemPathToFileUrl(out_path),
                   (_prop("FilterName", "calc_pdf_Export"), _prop("FilterData", filter_data)))


def main(argv):
    command, port, path = argv[1], int(argv[2]), argv[3]
    desktop = connect(port)
    doc = load(desktop, path)
    try:
        if command == "probe":
            print(json.dumps(probe(doc, argv[4:]), ensure_ascii=False, default=str))
        elif command == "layout":
            print(json.dumps(layout(doc, argv[4:]), ensure_ascii=False))
        elif command == "pdf":
            export_pdf(doc, argv[4], argv[5])
            print(json.dumps({"pdf": argv[4]}))
        else:
            raise SystemExit(f"unknown command {command!r}")
    finally:
        doc.close(True)


if __name__ == "__main__":
    main(sys.argv)
