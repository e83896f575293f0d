"""An in-memory fake of the xlwings object model (Book, Sheet, Range, Table, Name, App), imports
nothing of the project, so both the classic adapter's tests and the xlwings Lite harness (a fresh
interpreter that holds only main.py's bundle) can use it.

:class:`FakeBook` behaves like classic xlwings; :class:`LiteBook` like the ``book`` xlwings Lite hands
a script: formulas are not readable synchronously (only through ``await Range.get_formula()``), there
is no status bar, and the workbook's full name is its bare name. A book's contents travel between
processes as JSON (:func:`dumps` / :func:`loads`: dates tagged).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any


class FakeApp:
    """Excel's application: status bar, alerts, calculation mode, screen updating, calculate()."""

    def __init__(self):
        self.status_history: list[Any] = []
        self.alerts: list[dict[str, Any]] = []
        self._status: Any = False
        self.calculation = "automatic"
        self.screen_updating = True
        self.calculations: list[str] = []  # the mode each calculate() ran in

    def calculate(self):
        self.calculations.append(self.calculation)

    @property
    def status_bar(self):
        return self._status

    @status_bar.setter
    def status_bar(self, value):
        self._status = value
        self.status_history.append(value)

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append({"prompt": prompt, "title": title, "mode": mode})
        return "ok"


def excel_entry(value: Any) -> Any:
    """What Excel stores for a value assigned to ``Range.Value`` (as for typed input): a leading
    apostrophe makes the rest text and is not part of the value; text that reads as a number
    ("0012", "12345678901234567890", "1e5") becomes that number, losing zeros and digits."""
    if not isinstance(value, str):
        return value
    if value.startswith("'"):
        return value[1:]
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        return value
    return number if value.strip() else value


class FakeRange:
    """Like xlwings: .value is a scalar for one cell, a list for one row/column, lists of lists with ndim=2."""

    def __init__(self, sheet: "FakeSheet", r1: int, c1: int, r2: int, c2: int, ndim: int | None = None):
        self.sheet, self.r1, self.c1, self.r2, self.c2, self.ndim = sheet, r1, c1, r2, c2, ndim

    def options(self, ndim=None, **_):
        return type(self)(self.sheet, self.r1, self.c1, self.r2, self.c2, ndim)

    row = property(lambda self: self.r1)
    column = property(lambda self: self.c1)
    count = property(lambda self: (self.r2 - self.r1 + 1) * (self.c2 - self.c1 + 1))

    @property
    def last_cell(self):
        return type(self)(self.sheet, self.r2, self.c2, self.r2, self.c2)

    def _block(self, get):
        block = [[get(r, c) for c in range(self.c1, self.c2 + 1)] for r in range(self.r1, self.r2 + 1)]
        if self.ndim == 2:
            return block
        if self.count == 1:
            return block[0][0]
        if self.r1 == self.r2:
            return block[0]
        if self.c1 == self.c2:
            return [r[0] for r in block]
        return block

    @property
    def value(self):
        return self._block(lambda r, c: self.sheet.cells.get((r, c)))

    @value.setter
    def value(self, value):
        book = self.sheet.book
        book.writes += 1
        book.write_modes.add((book.app.calculation, book.app.screen_updating))
        if not isinstance(value, (list, tuple)):
            value = [[value]]
        elif value and not isinstance(value[0], (list, tuple)):
            value = [value] if self.r1 == self.r2 else [[v] for v in value]
        for i, row in enumerate(value):
            for j, v in enumerate(row):
                key = (self.r1 + i, self.c1 + j)
                self.sheet.formulas.pop(key, None)  # a value written over a formula replaces it, as in Excel
                if isinstance(v, str) and v.startswith(("=", "+", "-", "@")) and len(v) > 1:
                    self.sheet.formulas[key] = v  # Excel makes a formula of it, as if typed
                v = excel_entry(v)
                if v is None:
                    self.sheet.cells.pop(key, None)
                else:
                    self.sheet.cells[key] = v

    @property
    def formula(self):
        def f(r, c):
            if (r, c) in self.sheet.formulas:
                return self.sheet.formulas[(r, c)]
            v = self.sheet.cells.get((r, c))
            return "" if v is None else str(v)

        block = self._block(f)
        return tuple(tuple(r) for r in block) if isinstance(block, list) and block and isinstance(block[0], list) else block

    def clear_contents(self):
        for r in range(self.r1, self.r2 + 1):
            for c in range(self.c1, self.c2 + 1):
                self.sheet.cells.pop((r, c), None)
                self.sheet.formulas.pop((r, c), None)


class FakeTable:
    def __init__(self, sheet, name, ref):
        self.sheet, self.name, self.ref = sheet, name, ref

    @property
    def range(self):
        return self.sheet.book.Range(self.sheet, *self.ref)

    @property
    def header_row_range(self):
        r1, c1, _, c2 = self.ref
        return self.sheet.book.Range(self.sheet, r1, c1, r1, c2)

    @property
    def data_body_range(self):
        r1, c1, r2, c2 = self.ref
        return self.sheet.book.Range(self.sheet, r1 + 1, c1, r2, c2) if r2 > r1 else None

    def resize(self, rng: FakeRange):
        old_last = self.ref[2]
        self.ref = (rng.r1, rng.c1, rng.r2, rng.c2)
        for r in range(old_last + 1, rng.r2 + 1):  # Excel fills calculated columns into new rows
            for c in range(rng.c1, rng.c2 + 1):
                if (old_last, c) in self.sheet.formulas:
                    self.sheet.formulas[(r, c)] = self.sheet.formulas[(old_last, c)]


class FakePageSetup:
    print_area: str | None = None


class FakeSheet:
    def __init__(self, book, name):
        self.book, self.name = book, name
        self.cells: dict[tuple[int, int], Any] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.tables: list[FakeTable] = []
        self.page_setup = FakePageSetup()

    def range(self, first, last=None):
        last = last or first
        return self.book.Range(self, first[0], first[1], last[0], last[1])


class FakeName:
    def __init__(self, name, rng):
        self.name, self.refers_to_range = name, rng


class FakeSheets(list):
    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return super().__getitem__(key)


class FakeBook:
    """A workbook: sheets with cells, formulas and tables, single-cell names, an app."""

    Range = FakeRange

    def __init__(self, fullname: str, app: Any = None):
        self.fullname = fullname
        self.app = app or FakeApp()
        self.writes = 0
        self.write_modes: set[tuple[str, bool]] = set()  # (calculation, screen updating) at each write
        self.sheets = FakeSheets()
        self.names: list[FakeName] = []

    def load_state(self, state: dict[str, Any]) -> None:
        """Fills the book from :meth:`state`'s shape: sheets (cells, formulas, tables) and names."""
        for spec in state["sheets"]:
            sheet = FakeSheet(self, spec["name"])
            self.sheets.append(sheet)
            sheet.cells = {(r, c): v for r, c, v in spec["cells"]}
            sheet.formulas = {(r, c): f for r, c, f in spec["formulas"]}
            sheet.tables = [FakeTable(sheet, name, tuple(ref)) for name, *ref in spec["tables"]]
            sheet.page_setup.print_area = spec.get("print_area")
        for name, sheet, row, col in state["names"]:
            self.names.append(FakeName(name, self.sheets[sheet].range((row, col))))

    def state(self) -> dict[str, Any]:
        sheets = [{"name": s.name, "cells": [[r, c, v] for (r, c), v in sorted(s.cells.items())],
                   "formulas": [[r, c, f] for (r, c), f in sorted(s.formulas.items())],
                   "tables": [[t.name, *t.ref] for t in s.tables], "print_area": s.page_setup.print_area}
                  for s in self.sheets]
        names = [[n.name, n.refers_to_range.sheet.name, n.refers_to_range.r1, n.refers_to_range.c1] for n in self.names]
        return {"sheets": sheets, "names": names}


# ---------------------------------------------------------------------------------------- as in xlwings Lite
class LiteRange(FakeRange):
    @property
    def formula(self):
        raise NotImplementedError("Reading formulas synchronously isn't supported on this engine. "
                                  "Use 'await myrange.get_formula()' to fetch them on demand.")

    async def get_formula(self):
        return FakeRange.formula.fget(self)


class LiteApp(FakeApp):
    @property
    def status_bar(self):
        raise NotImplementedError("status_bar isn't supported in xlwings Lite")

    @status_bar.setter
    def status_bar(self, value):
        raise NotImplementedError("status_bar isn't supported in xlwings Lite")


class LiteBook(FakeBook):
    Range = LiteRange

    def __init__(self, fullname: str):
        super().__init__(fullname, LiteApp())


# ---------------------------------------------------------------------------------------- JSON
def _tag(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not JSON")


def _untag(obj: dict[str, Any]) -> Any:
    if "$datetime" in obj:
        return dt.datetime.fromisoformat(obj["$datetime"])
    if "$date" in obj:
        return dt.date.fromisoformat(obj["$date"])
    return obj


def dumps(value: Any) -> str:
    return json.dumps(value, default=_tag)


def loads(text: str) -> Any:
    return json.loads(text, object_hook=_untag)
