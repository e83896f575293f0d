"""What a full recalculation of a built workbook hands to Python, counted from the file itself.

Every ``<f>`` element that calls a ``KOL_`` function is one call per recalculation (a spilled
array formula is one element; a Table column has one element per row). Its arguments hand over
cells: a whole Table column ``tblX[col]`` is that Table's data rows, a whole Table its rows x
columns, a ``[#This Row]`` reference or a named Settings cell one cell; an argument that is an
expression (``IF(tblCreators[handle]="",...)``) hands over the array it evaluates to, as large as
the largest range in it. Used by the tests (linear growth) and by ``benchmarks/udfs.py``.
"""
from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

_TABLE = re.compile(r'<table\b[^>]*\bname="([^"]+)"[^>]*\bref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
#: a formula's text; not a shared formula's other cells (``<f t="shared" si="0"/>``, no text of their own)
_FORMULA = re.compile(r"<f\b[^>]*?(?<!/)>(.*?)</f>", re.S)
_CALL = re.compile(r"\b(KOL_[A-Z_]+)\(")
_REF = re.compile(r"\b(tbl\w+)(\[(?:[^\[\]]|\[[^\]]*\])*\])?")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


@dataclass
class PythonCost:
    """Calls and cells one recalculation hands to Python; ``reads`` names the Tables each call reads."""

    calls: int = 0
    cells: int = 0
    per_function: dict[str, int] = field(default_factory=dict)  # function -> cells, summed over its calls
    reads: list[tuple[str, frozenset[str]]] = field(default_factory=list)  # (function, tables it reads)

    def calls_reading(self, table: str) -> dict[str, int]:
        """Function -> calls that read ``table``: what an edit in that Table recalculates."""
        out: dict[str, int] = {}
        for name, tables in self.reads:
            if table in tables:
                out[name] = out.get(name, 0) + 1
        return out


def _arguments(text: str, start: int) -> list[str]:
    """The top-level arguments of the call whose "(" is at ``start``."""
    depth, args, begin, quoted = 0, [], start + 1, False
    for i in range(start, len(text)):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        if quoted:
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0 and ch == ")":
                args.append(text[begin:i])
                return args
        elif ch == "," and depth == 1:
            args.append(text[begin:i])
            begin = i + 1
    raise ValueError(f"unbalanced call in {text[:80]!r}")


def table_sizes(path: str | Path) -> dict[str, tuple[int, int]]:
    """Table name -> (data rows, columns), from the table parts of the file."""
    sizes = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/tables/") and name.endswith(".xml"):
                m = _TABLE.search(z.read(name).decode("utf-8"))
                if m:
                    rows = int(m.group(5)) - int(m.group(3))
                    sizes[m.group(1)] = (rows, _col_number(m.group(4)) - _col_number(m.group(2)) + 1)
    return sizes


def _argument_cells(arg: str, sizes: dict[str, tuple[int, int]]) -> tuple[int, set[str]]:
    largest, tables = 1, set()
    for m in _REF.finditer(arg):
        table, column = m.group(1), m.group(2)
        if table not in sizes:
            continue
        tables.add(table)
        rows, cols = sizes[table]
        if column is None:
            largest = max(largest, rows * cols)
        elif "#This Row" not in column:
            largest = max(largest, rows)
    return largest, tables


def python_cost(path: str | Path) -> PythonCost:
    """Counts the calls and cells of one full recalculation of the workbook at ``path``."""
    sizes = table_sizes(path)
    cost = PythonCost()
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not (name.startswith("xl/worksheets/sheet") and name.endswith(".xml")):
                continue
            for m in _FORMULA.finditer(z.read(name).decode("utf-8")):
                text = html.unescape(m.group(1))
                for call in _CALL.finditer(text):
                    cells, tables = 0, set()
                    for arg in _arguments(text, call.end() - 1):
                        n, t = _argument_cells(arg, sizes)
                        cells, tables = cells + n, tables | t
                    cost.calls += 1
                    cost.cells += cells
                    cost.per_function[call.group(1)] = cost.per_function.get(call.group(1), 0) + cells
                    cost.reads.append((call.group(1), frozenset(tables)))
    return cost
