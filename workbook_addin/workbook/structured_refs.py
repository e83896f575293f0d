"""References to the workbook's Tables, built from the schema's headers.

Formulas name other Tables' columns by their bilingual header (``tblCreators[粉丝数 Followers]``),
so a formula keeps working when a user sorts, filters or inserts rows; a calculated column's
references to its own row are A1 (:class:`RowRefs`). Excel needs ``'`` before ``[``, ``]``,
``#`` and ``'`` inside a column name; this module is the one place that knows it.
"""
from __future__ import annotations

from ..core.schema import Schema, Sheet, load_schema
from .xlsx.refs import col_letter

_ESCAPED = {"[": "'[", "]": "']", "#": "'#", "'": "''"}


def escape_column(header: str) -> str:
    return "".join(_ESCAPED.get(ch, ch) for ch in header)


class TableRefs:
    """References into one schema sheet's Table: ``refs.col("followers")``."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.table = sheet.table

    def header(self, key: str) -> str:
        return escape_column(self.sheet.column(key).header)

    def col(self, key: str) -> str:
        """The whole data column: ``tblCreators[粉丝数 Followers]``."""
        return f"{self.table}[{self.header(key)}]"



#: The header row of each schema Table (1-based; every Table starts in column A): the Scores sheet
#: keeps its first row for the live-values line.
HEADER_ROWS = {"scores": 2}


def first_data_row(sheet_key: str) -> int:
    return HEADER_ROWS.get(sheet_key, 1) + 1


class RowRefs(TableRefs):
    """A Table's own row as relative A1 references (``Z2``), for its calculated columns.

    Not ``tblCollabs[[#This Row],[成交额(本位币) GMV (base)]]``: a same-row structured reference
    cannot be stored as a shared formula (Excel writes it out in full in every cell), and with
    bilingual headers that was 4.5 KB a Collaborations row, three quarters of the sheet. A1
    references are what Excel stores for a calculated column typed with them, one shared formula
    per column; Excel moves them when columns are inserted or moved, as it does structured ones.
    The formula text is written for the first data row; other rows shift it (as Excel's fill does).
    """

    def __init__(self, sheet: Sheet, sheet_key: str):
        super().__init__(sheet)
        self.row = first_data_row(sheet_key)
        self._letters = {c.key: col_letter(i + 1) for i, c in enumerate(sheet.columns)}

    def this(self, key: str) -> str:
        """This row's cell."""
        return f"{self._letters[key]}{self.row}"

    def this_span(self, first: str, last: str) -> str:
        """This row's cells from column ``first`` to ``last`` (a 1 x n range)."""
        return f"{self.this(first)}:{self.this(last)}"


def refs(sheet_key: str, schema: Schema | None = None) -> TableRefs:
    return TableRefs((schema or load_schema()).sheet(sheet_key))


def row_refs(sheet_key: str, schema: Schema | None = None) -> RowRefs:
    return RowRefs((schema or load_schema()).sheet(sheet_key), sheet_key)
