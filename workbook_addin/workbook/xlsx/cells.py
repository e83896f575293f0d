"""One worksheet cell as SpreadsheetML: parsing an existing ``<c>`` element, writing a new one.

Text is written as an inline string (``t="inlineStr"``) so the shared-strings part never has to be
rewritten: Excel and LibreOffice read both forms. A formula cell keeps its ``<f>`` element verbatim
and only its cached ``<v>`` value changes, so structured references and UDF calls survive.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from numbers import Integral, Real
from typing import Any

from .refs import col_index

ATTR_RE = re.compile(r'([\w:.-]+)="([^"]*)"')
CELL_RE = re.compile(r"<c\b([^>]*?)(/>|>(.*?)</c>)", re.S)
FORMULA_RE = re.compile(r"<f\b[^>]*?(?:/>|>.*?</f>)", re.S)
_FORMULA_PARTS = re.compile(r"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
#: attributes of an existing cell kept when its value is rewritten (style, dynamic-array metadata)
KEPT_ATTRS = ("s", "cm")



class Cell:
    """An existing ``<c>`` element, parsed lazily: most cells of a changed row are copied as they are,
    so only their column is read; attributes and formula are parsed for the cells being rewritten."""

    __slots__ = ("row", "col", "_attr_text", "_inner", "xml", "_attrs", "_formula")

    def __init__(self, row: int, col: int, attr_text: str, inner: str, xml: str):
        self.row, self.col, self._attr_text, self._inner, self.xml = row, col, attr_text, inner, xml
        self._attrs: dict[str, str] | None = None
        self._formula: str | None | bool = False

    @property
    def attrs(self) -> dict[str, str]:
        if self._attrs is None:
            self._attrs = dict(ATTR_RE.findall(self._attr_text))
        return self._attrs

    @property
    def formula(self) -> str | None:
        """The whole ``<f ...>...</f>`` element, or None."""
        if self._formula is False:
            fm = FORMULA_RE.search(self._inner) if "<f" in self._inner else None
            self._formula = fm.group(0) if fm else None
        return self._formula  # type: ignore[return-value]

    @property
    def has_value(self) -> bool:
        inner = self._inner
        return "<v>" in inner or "<v " in inner or "<is>" in inner or "<f" in inner

    @property
    def style(self) -> str | None:
        return self.attrs.get("s")

    @property
    def formula_text(self) -> str | None:
        """The formula itself when the element carries it (not a shared-formula child)."""
        if not self.formula:
            return None
        m = _FORMULA_PARTS.match(self.formula)
        attrs = dict(ATTR_RE.findall(m.group(1))) if m else {}
        text = m.group(2) if m else None
        if not text or attrs.get("t") == "array":
            return None
        return text


_R_ATTR = re.compile(r'\br="([A-Z]{1,3})(\d+)"')


def parse_cells(row_xml_inner: str) -> list[Cell]:
    cells = []
    for m in CELL_RE.finditer(row_xml_inner):
        attr_text = m.group(1)
        rm = _R_ATTR.search(attr_text)
        if rm is None:
            raise ValueError("a cell without an r= reference: files written by Excel, LibreOffice and XlsxWriter "
                             "always carry one")
        cells.append(Cell(int(rm.group(2)), col_index(rm.group(1)), attr_text, m.group(3) or "", m.group(0)))
    return cells


def new_cell(row: int, col: int, xml: str) -> Cell:
    """A cell just written (its XML is final)."""
    return Cell(row, col, "", "<v>", xml)


#: a character escape_text changes (or "_x", which may start an escape-like sequence)
NEEDS_ESCAPE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff&<>\r]|_x")


def kept_text(texts: list[str]) -> list[str]:
    """``texts`` as cells keep them: characters XML cannot hold are left out (see :func:`escape_text`)."""
    if _ILLEGAL.search("".join(texts)) is None:
        return texts
    return [_ILLEGAL.sub("", t) for t in texts]


def xml_escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as XML text holds them (``xml.sax.saxutils.escape``, without importing
    it, and urllib with it, into the second process)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_text(text: str) -> str:
    if text.isalnum() or NEEDS_ESCAPE.search(text) is None:
        return text  # most text needs no escaping: one scan instead of five
    text = _ILLEGAL.sub("", text)
    # A literal "_x0041_" would be read back as "A": escape the underscore itself (ECMA-376 22.9.2.19).
    if "_x" in text:
        text = _ESCAPE_LIKE.sub(r"_x005F_\1", text)
    text = xml_escape(text)
    # XML readers turn a bare carriage return into a line feed; Excel's own escape keeps it.
    return text.replace("\r", "_x000D_") if "\r" in text else text


def number_text(value: float) -> str:
    """A number as a cell's ``<v>`` holds it: whole numbers without a decimal point, else repr."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def number_bytes(value: Any) -> bytes | None:
    """:func:`number_text` of a plain number (an int, or a float neither NaN nor infinite) as
    bytes, the form the sheet patches splice in; None for anything else (bool included)."""
    kind = type(value)
    if kind is int:
        return b"%d" % value
    if kind is float and value == value and value != math.inf and value != -math.inf:
        return (b"%d" % value) if value.is_integer() and abs(value) < 1e15 else repr(value).encode()
    return None


def _cell_rules() -> Any:
    """:mod:`core.cells`, imported when a value is neither a number nor text: the second process
    (:mod:`.part_patch`) patches the numbers of a refresh without it, and it imports pandas, which
    cost that process 0.25 s of CPU at its start."""
    from ...core import cells

    return cells


def value_xml(value: Any, has_formula: bool, date1904: bool = False) -> tuple[str | None, str]:
    """(t attribute or None, inner XML after any formula) for a Python value."""
    kind = type(value)
    if kind is float:
        if value != value:
            return None, ""
        if value not in (math.inf, -math.inf):
            return None, f"<v>{number_text(value)}</v>"
    elif kind is str and value:
        text = escape_text(value)
        return ("str", f"<v>{text}</v>") if has_formula else ("inlineStr",
                                                              f'<is><t xml:space="preserve">{text}</t></is>')
    elif kind is str and has_formula:  # an empty text result, stored as Excel (and the build) stores it
        return "str", "<v></v>"
    elif kind is int:
        return None, f"<v>{value}</v>"
    if _cell_rules().is_blank(value):
        return None, ""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        try:
            value = value.item()
        except (AttributeError, ValueError):
            pass
    if isinstance(value, bool):
        return "b", f"<v>{int(value)}</v>"
    if isinstance(value, Integral):
        return None, f"<v>{int(value)}</v>"
    if isinstance(value, Real):
        f = float(value)
        if math.isinf(f):
            return ("e", "<v>#DIV/0!</v>") if has_formula else (None, "")
        return None, f"<v>{number_text(f)}</v>"
    if isinstance(value, (dt.datetime, dt.date)):
        if hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime()
        return None, f"<v>{number_text(_cell_rules().excel_serial(value, date1904))}</v>"
    if isinstance(value, dt.timedelta):
        return None, f"<v>{number_text(value.total_seconds() / 86400)}</v>"
    text = escape_text(str(value))
    if has_formula:
        return "str", f"<v>{text}</v>"
    return "inlineStr", f'<is><t xml:space="preserve">{text}</t></is>'


def cell_xml(ref: str, value: Any, *, attrs: dict[str, str] | None = None, formula: str | None = None,
             date1904: bool = False) -> str:
    """A ``<c>`` element: the kept attributes of ``attrs``, then ``formula`` (verbatim), then the value."""
    head = f'<c r="{ref}"'
    if attrs:
        for name in KEPT_ATTRS:
            if name in attrs:
                head += f' {name}="{attrs[name]}"'
    return finish_cell(head, value, formula, date1904)


def kept_attrs(attr_text: str) -> str:
    """The attributes of an existing cell's ``<c ...>`` text that a rewrite keeps, as XML text."""
    if "s=" not in attr_text and "cm=" not in attr_text:
        return ""
    attrs = dict(ATTR_RE.findall(attr_text))
    return "".join(f' {name}="{attrs[name]}"' for name in KEPT_ATTRS if name in attrs)


def finish_cell(head: str, value: Any, formula: str | None = None, date1904: bool = False) -> str:
    """:func:`cell_xml` from a ready ``<c r=".." s=".."`` head: the hot path of big patches builds
    each column's head once and only adds the row number."""
    t, inner = value_xml(value, formula is not None, date1904)
    if t:
        head = f'{head} t="{t}"'
    body = (formula or "") + inner
    return head + ("/>" if not body else f">{body}</c>")


_SHIFT_TOKEN = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'!?|\[[^\]]*\]'
                          r'|(\$?)([A-Z]{1,3})(\$?)(\d+)(?![\d(A-Za-z_])')


def shift_formula(text: str, delta: int) -> str:
    """Moves the relative row references of an A1 formula by ``delta`` rows (as Excel does on fill).

    Quoted strings, quoted sheet names and structured references (``[@Views]``) are left alone.
    """
    if not delta:
        return text
    return "".join(p if isinstance(p, str) else f"{p[0]}{p[1] + delta}" for p in _row_parts(text))


@lru_cache(maxsize=256)
def _row_parts(text: str) -> tuple[str | tuple[str, int], ...]:
    """``text`` cut into literal pieces and (column part, row) of each relative row reference,
    once per formula: a calculated column shifts the same text for thousands of rows."""
    parts: list[str | tuple[str, int]] = []
    pos = 0
    for m in _SHIFT_TOKEN.finditer(text):
        start = m.start()
        if m.group(2) is None or m.group(3):
            continue  # a string, a quoted sheet name, a structured reference, or an absolute row
        if start and (text[start - 1].isalnum() or text[start - 1] in "_."):
            continue  # part of a longer name such as LOG10
        parts.append(text[pos:start])
        parts.append((m.group(1) + m.group(2), int(m.group(4))))
        pos = m.end()
    parts.append(text[pos:])
    return tuple(parts)
