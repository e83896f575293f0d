"""A1-style cell and range references (1-based rows and columns)."""
from __future__ import annotations

import re
from functools import lru_cache

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


@lru_cache(maxsize=1024)
def col_letter(col: int) -> str:
    """1 -> "A", 27 -> "AA"."""
    if col < 1:
        raise ValueError(f"column number {col} is below 1")
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


@lru_cache(maxsize=1024)
def col_index(letters: str) -> int:
    """"A" -> 1, "AA" -> 27."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def split_ref(ref: str) -> tuple[int, int]:
    """"B12" (or "$B$12") -> (row 12, column 2)."""
    m = _CELL.match(ref.strip())
    if not m:
        raise ValueError(f"{ref!r} is not a cell reference")
    return int(m.group(2)), col_index(m.group(1))


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """"A1:D6" -> (first row, first col, last row, last col); a single cell is a 1x1 range."""
    first, _, last = ref.partition(":")
    r1, c1 = split_ref(first)
    r2, c2 = split_ref(last) if last else (r1, c1)
    return r1, c1, r2, c2


def range_ref(r1: int, c1: int, r2: int, c2: int) -> str:
    return f"{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"
