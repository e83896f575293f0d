"""Excel structured references to the workbook's Tables, built from the schema's headers.

Formulas name columns by their bilingual header (``tblCreators[粉丝数 Followers]``), so a formula
keeps working when a user sorts, filters or inserts rows. Excel needs ``'`` before ``[``, ``]``,
``#`` and ``'`` inside a column name; this module is the one place that knows it.
"""
from __future__ import annotations

from ..core.schema import Schema, Sheet, load_schema

_ESCAPED = {"[": "'[", "]": "']", "#": "'#", "'": "''"}


def escape_column(header: str) -> str:
    return "".join(_ESCAPED.get(ch, ch) for ch in header)


class TableRefs:
    """References into one schema sheet's Table: ``refs.col("followers")``, ``refs.this("handle")``."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.table = sheet.table

    def header(self, key: str) -> str:
        return escape_column(self.sheet.column(key).header)

    def col(self, key: str) -> str:
        """The whole data column: ``tblCreators[粉丝数 Followers]``."""
        return f"{self.table}[{self.header(key)}]"

    def this(self, key: str) -> str:
        """This row's cell, in the Excel 2007 file form Excel itself stores."""
        return f"{self.table}[[#This Row],[{self.header(key)}]]"

    def this_span(self, first: str, last: str) -> str:
        """This row's cells from column ``first`` to ``last`` (a 1 x n range)."""
        return f"{self.table}[[#This Row],[{self.header(first)}]:[{self.header(last)}]]"


def refs(sheet_key: str, schema: Schema | None = None) -> TableRefs:
    return TableRefs((schema or load_schema()).sheet(sheet_key))
