"""Import problems use the engine's :class:`~workbook_addin.core.problems.Problem`, with the file name
where a sheet name would be, so the refresh job shows sheet and file problems in one list."""
from __future__ import annotations

from typing import Any

from ..core.problems import Problem

__all__ = ["Problem", "file_problem"]


def file_problem(file: str, row: int | None, column: str | None, message: str, value: Any = None) -> Problem:
    """A :class:`Problem` about an export file: ``tiktok.csv, row 7, Video views: ...``."""
    return Problem(file, row, column, message, value)
