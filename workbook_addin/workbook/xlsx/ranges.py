"""The ranges that follow a table's rows: the sheet's ``<dimension>``, and the data validations,
conditional formats and defined names (print areas) that go down with a table when it grows."""
from __future__ import annotations

import re

from .refs import parse_range, range_ref


def update_dimension(xml: str, max_row: int, max_col: int) -> str:
    """Widens the ``<dimension ref>`` hint so it covers (max_row, max_col)."""
    m = re.search(r'<dimension ref="([^"]*)"\s*/>', xml)
    if not m:
        return xml
    try:
        r1, c1, r2, c2 = parse_range(m.group(1))
    except ValueError:
        return xml
    if max_row <= r2 and max_col <= c2:
        return xml
    new = range_ref(r1, c1, max(r2, max_row), max(c2, max_col))
    return xml[:m.start(1)] + new + xml[m.end(1):]


def follows_table(ref: tuple[int, int, int, int], c1: int, c2: int, first_row: int, old_last: int,
                  new_last: int) -> bool:
    """Whether a range over a table's rows goes with the table when its last row moves from
    ``old_last`` to ``new_last``: within the table's columns, ending at its old last row and
    starting at or above its first data row (or anywhere above that last row); or, as the
    drop-downs the build lays down to a fixed row below the table, starting at or above the first
    data row and ending between the old and the new last row."""
    a, b, c, d = ref
    if not (c1 <= b and d <= c2):
        return False
    if c == old_last:
        return a <= first_row or a < c
    return a <= first_row and old_last < c < new_last


def extend_ranges(xml: str, c1: int, c2: int, old_last: int, new_last: int, first_row: int) -> str:
    """Data validations and conditional formats over a table's rows follow it down when it grows."""

    def fix_list(refs: str) -> str:
        parts = []
        for ref in refs.split():
            try:
                a, b, c, d = parse_range(ref)
            except ValueError:
                parts.append(ref)
                continue
            if follows_table((a, b, c, d), c1, c2, first_row, old_last, new_last):
                parts.append(range_ref(a, b, new_last, d))
            else:
                parts.append(ref)
        return " ".join(parts)

    xml = re.sub(r'(<(?:dataValidation|conditionalFormatting)\b[^>]*?\bsqref=")([^"]*)(")',
                 lambda m: m.group(1) + fix_list(m.group(2)) + m.group(3), xml)
    xml = re.sub(r"(<xm:sqref>)([^<]*)(</xm:sqref>)", lambda m: m.group(1) + fix_list(m.group(2)) + m.group(3), xml)
    return xml
