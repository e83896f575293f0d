"""Reading and patching .xlsx/.xlsm packages at the zip/XML level.

openpyxl rewrites the whole workbook from its own object model and drops what it does not model
(form-control buttons, some VBA parts, parts of charts). This package instead rewrites only the
worksheet and table parts whose cells change and copies every other zip member byte for byte, so
a refresh can never lose the button, the VBA project, a chart or a sheet a user added.

The package classes load on first use: the cell, reference and sheet-XML helpers are also what the
live adapters use, and xlwings Lite loads those without the package reader (its compression thread
pool has no place in Pyodide).
"""
from typing import Any

from .refs import col_index, col_letter, parse_range, range_ref, split_ref

_PACKAGE_NAMES = ("DefinedCell", "SheetPart", "TablePart", "XlsxPackage")


def __getattr__(name: str) -> Any:
    if name in _PACKAGE_NAMES:
        from . import package

        return getattr(package, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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
