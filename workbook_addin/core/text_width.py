"""How wide text is in a cell, counted the way a grid of half-width characters counts it.

Shared by the report's tables (matplotlib) and the workbook builder (header row heights), which
both need to know how many lines a bilingual label wraps to: CJK characters are twice as wide as
Latin ones, and Chinese breaks between characters where English breaks at spaces.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np

_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
#: One CJK character, a run of other non-space characters, or a run of spaces: the units a line breaks between.
_TOKENS = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+|\s+")

def display_width(text: str) -> int:
    """Width in half-width character cells: CJK (wide / full-width) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap(text: object, width: int) -> str:
    """Wraps text to ``width`` half-width cells (CJK counts double); breaks at spaces where it
    can and between CJK characters, which need no spaces."""
    s = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    lines: list[str] = []
    for para in s.split("\n"):
        line, used = "", 0
        for token in _TOKENS.findall(para):
            w = display_width(token)
            if token.isspace():
                if line and used + 1 <= width:
                    line, used = line + " ", used + 1
                continue
            while w > width:  # a word longer than the column: hard-break it
                room = width - used
                if room <= 0:
                    lines.append(line.rstrip())
                    line, used = "", 0
                    continue
                head = ""
                for ch in token:
                    if display_width(head + ch) > room:
                        break
                    head += ch
                lines.append(line + head)
                token = token[len(head):]
                w = display_width(token)
                line, used = "", 0
            if used + w > width and line:
                lines.append(line.rstrip())
                line, used = "", 0
            line, used = line + token, used + w
        lines.append(line.rstrip())
    return "\n".join(lines)
