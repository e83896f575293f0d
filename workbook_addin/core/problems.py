"""Where a problem with the input is, said the way a person looks for it in Excel.

Every check in the project (the workbook's input checks, the Settings sheet, the export importers)
reports a :class:`Problem` naming the sheet, the Excel row and the column, so the person can find and
fix the cell while the rest of the work goes on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located the way a person looks for it in Excel.

    ``sheet`` is the bilingual sheet name, ``row`` the Excel row number (header in row 1), ``column``
    the bilingual header. ``str(problem)`` is the sentence shown in the workbook and the CLI.
    """

    sheet: str
    row: int | None
    column: str | None
    message: str
    value: Any = None
    sheet_key: str | None = field(default=None, compare=False)
    column_key: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = [self.sheet]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(self.column)
        return f"{', '.join(where)}: {self.message}"


def excel_rows(frame: pd.DataFrame) -> np.ndarray:
    """Excel row number of every row: the ``excel_row`` index when the reader set it, else position + 2."""
    if frame.index.name == "excel_row":
        return np.asarray(frame.index, dtype=np.int64)
    return np.arange(len(frame), dtype=np.int64) + 2


def show(value: Any) -> str:
    """A cell's value as a message quotes it: repr, stripped, at most 60 characters."""
    text = repr(value.strip()) if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"
