"""A1 notation: parse ranges the way the Sheets API reads them and write them the way it answers.

Kept apart from the grid model because both the values endpoints and the batchUpdate requests
(GridRange <-> A1) need it, and because its quirks (quoted titles, open-ended ``A1:A`` / ``A1:1``,
reversed ``D4:A1``) are what the recordings pin down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL_RE = re.compile(r"^\$?([A-Za-z]{0,3})\$?([0-9]*)$")
_PLAIN_TITLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CELL_LIKE_RE = re.compile(r"^([A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*)$")


class RangeError(ValueError):
    """A range the API cannot parse (``Unable to parse range: ...``)."""


def col_letters(index: int) -> str:
    """0-based column index -> letters (0 -> A, 26 -> AA)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """Letters -> 0-based column index."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def quote_title(title: str) -> str:
    """Quote a sheet title as the API does in the ranges it returns ('My Sheet'!A1, Sheet1!A1)."""
    if _PLAIN_TITLE_RE.match(title) and not _CELL_LIKE_RE.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def split_sheet(text: str) -> tuple[str | None, str | None]:
    """Split ``'Sheet'!A1:B2`` into (title, cell part). Either part may be None."""
    if text.startswith("'"):
        i, title = 1, []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title.append("'")
                    i += 2
                    continue
                rest = text[i + 1:]
                if rest == "":
                    return "".join(title), None
                if rest.startswith("!"):
                    return "".join(title), rest[1:] or None
                raise RangeError(text)
            title.append(ch)
            i += 1
        raise RangeError(text)
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        return title, cells or None
    return None, text


@dataclass(frozen=True)
class CellBox:
    """A rectangle of a sheet, 0-based, end exclusive; None = open (to the end of the grid)."""

    start_row: int | None
    end_row: int | None
    start_col: int | None
    end_col: int | None


def _endpoint(part: str) -> tuple[int | None, int | None]:
    m = _CELL_RE.match(part)
    if not m or (not m.group(1) and not m.group(2)):
        raise RangeError(part)
    col = col_index(m.group(1)) if m.group(1) else None
    row = int(m.group(2)) - 1 if m.group(2) else None
    if row is not None and row < 0:
        raise RangeError(part)
    return col, row


def parse_cells(cells: str) -> CellBox:
    """Parse the cell part (``A1``, ``A1:B2``, ``A:C``, ``2:5``, ``A1:A``, ``A1:1``, ``D4:A1``)."""
    parts = cells.split(":")
    if len(parts) > 2 or not parts[0]:
        raise RangeError(cells)
    c1, r1 = _endpoint(parts[0])
    if len(parts) == 1:
        if c1 is None or r1 is None:
            raise RangeError(cells)
        return CellBox(r1, r1 + 1, c1, c1 + 1)
    c2, r2 = _endpoint(parts[1])
    # A whole-column or whole-row reference needs both ends of the same kind.
    if r1 is None and c1 is not None and c2 is None:
        raise RangeError(cells)
    if c1 is None and r1 is not None and r2 is None:
        raise RangeError(cells)
    rows = [r for r in (r1, r2) if r is not None]
    cols = [c for c in (c1, c2) if c is not None]
    if r1 is not None and r2 is not None:
        sr, er = min(r1, r2), max(r1, r2) + 1
    elif r1 is not None:
        sr, er = r1, None
    elif r2 is not None:
        sr, er = 0, None if c1 is None else r2 + 1
        sr = 0
    else:
        sr, er = None, None
    if c1 is not None and c2 is not None:
        sc, ec = min(c1, c2), max(c1, c2) + 1
    elif c1 is not None:
        sc, ec = c1, None
    elif c2 is not None:
        sc, ec = 0, c2 + 1
    else:
        sc, ec = None, None
    del rows, cols
    return CellBox(sr, er, sc, ec)


def format_box(title: str, r0: int, r1: int, c0: int, c1: int) -> str:
    """Write a concrete rectangle as the API does: ``Sheet1!A1`` or ``'My Sheet'!A1:B2``."""
    start = f"{col_letters(c0)}{r0 + 1}"
    if r1 - r0 <= 1 and c1 - c0 <= 1:
        return f"{quote_title(title)}!{start}"
    return f"{quote_title(title)}!{start}:{col_letters(c1 - 1)}{r1}"
