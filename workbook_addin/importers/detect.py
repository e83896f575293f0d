"""Recognise an export's format and header row from its first lines.

Exports put title lines above the header ("Date range: 2026-10-01 - 2026-10-31"), so the header
is searched in the first rows: the row and format that explain the most columns win, and a
format only counts when the row holds every field group it requires. A file nothing explains is
reported by name, never guessed at.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.cells import currency_from_header
from .formats import Format, norm_header

HEADER_SCAN_ROWS = 15


@dataclass(frozen=True)
class Detection:
    format: Format
    header_row: int  # index into the file's records
    columns: dict[str, int]  # field -> column index
    headers: list[str]  # the header row as written
    header_currency: dict[str, str]  # field -> currency declared in its header ("GMV (USD)")


def match_header(cells: Sequence[Any], fmt: Format) -> dict[str, int] | None:
    """Field -> column index when ``cells`` is a header of ``fmt``, else None."""
    index: dict[str, int] = {}
    for i, cell in enumerate(cells):
        index.setdefault(norm_header(cell), i)
    columns = {}
    for fld, aliases in fmt.normalised.items():
        for alias in aliases:
            if alias in index:
                columns[fld] = index[alias]
                break
    if all(any(f in columns for f in group) for group in fmt.required):
        return columns
    return None


def detect(records: Sequence[Sequence[Any]], formats: Sequence[Format]) -> Detection | None:
    """The best (format, header row) in the first :data:`HEADER_SCAN_ROWS` rows, or None."""
    best: tuple[int, int, int] | None = None
    found: Detection | None = None
    for r, row in enumerate(records[:HEADER_SCAN_ROWS]):
        if sum(1 for c in row if str(c).strip()) < 2:
            continue
        for f, fmt in enumerate(formats):
            columns = match_header(row, fmt)
            if columns is None:
                continue
            score = (len(columns), -r, -f)
            if best is None or score > best:
                headers = [str(c) for c in row]
                currency = {fld: cur for fld, i in columns.items() if (cur := currency_from_header(headers[i]))}
                best, found = score, Detection(fmt, r, columns, headers, currency)
    return found


def guess_header_row(records: Sequence[Sequence[Any]]) -> int | None:
    """For an unknown file: the first row as wide as the widest rows, to name its columns in the report."""
    sample = records[:HEADER_SCAN_ROWS]
    widths = [sum(1 for c in r if str(c).strip()) for r in sample]
    if not widths or max(widths) < 1:
        return None
    top = max(widths)
    return next(i for i, w in enumerate(widths) if w >= max(2, top - 1) or w == top)
