"""Reading and patching .xlsx/.xlsm packages at the zip/XML level.

openpyxl rewrites the whole workbook from its own object model and drops what it does not model
(form-control buttons, some VBA parts, parts of charts). This package instead rewrites only the
worksheet and table parts whose cells change and copies every other zip member byte for byte, so
a refresh can never lose the button, the VBA project, a chart or a sheet a user added.
"""
from .package import DefinedCell, SheetPart, TablePart, XlsxPackage
from .refs import col_index, col_letter, parse_range, range_ref, split_ref

__all__ = [
    "DefinedCell",
    "SheetPart",
    "TablePart",
    "XlsxPackage",
    "col_index",
    "col_letter",
    "parse_range",
    "range_ref",
    "split_ref",
]
