"""One sheet part's whole patch, here or in a second process.

A big refresh patches a few large sheets one after the other (50 000 collaborations, the ledger,
Creators, Scores) on one core, while a laptop has two or more. :class:`SecondProcess` is a
process started when a big workbook is opened for writing (starting one and importing this code
takes about 0.3 s, paid while the workbook is read); at the save it takes the largest sheet,
deflated bytes in, deflated bytes out, while this process patches the others. Where a process
cannot be started (one core, Pyodide, an embedded interpreter) or fails, the part is patched here,
as it always was: the saved file is the same byte for byte either way.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import Future, ProcessPoolExecutor

from .members import deflate, inflate
from .ranges import extend_ranges, update_dimension
from .sheetxml import SheetEdit, patch_sheet_xml


def patch_part(xml: bytes, edit: SheetEdit, date1904: bool) -> tuple[bytes, bool]:
    """(the sheet part with ``edit`` applied, whether a formula cell was removed): its cells, its
    ``<dimension>``, and the validations and conditional formats that follow a growing table."""
    result = patch_sheet_xml(xml, edit, date1904)
    xml = result.xml
    body = xml.find(b"<sheetData")  # the dimension is above the rows, the ranges that follow a table below
    head = update_dimension(xml[:body].decode("utf-8"), result.max_row, result.max_col).encode("utf-8")
    cut = max(xml.rfind(b"</sheetData>"), body)
    tail = xml[cut:]
    if edit.growths:
        text = tail.decode("utf-8")
        for g in edit.growths:
            text = extend_ranges(text, g.c1, g.c2, g.template_row, g.last_new, g.first_row)
        tail = text.encode("utf-8")
    if head != xml[:body] or tail != xml[cut:]:
        xml = b"".join((head, xml[body:cut], tail))
    return xml, result.removed_formula


def patch_deflated(raw: bytes, size: int, crc: int, edit: SheetEdit,
                   date1904: bool) -> tuple[bytes, int, int, bool]:
    """:func:`patch_part` of a part given and returned as stored: (deflated bytes, CRC-32, size,
    whether a formula cell was removed). Runs in the second process: a stored sheet is a tenth
    of its XML to send across."""
    xml = inflate(raw, size, crc)
    if xml is None:
        raise ValueError("the part does not inflate to what the zip directory says")
    new, removed = patch_part(xml, edit, date1904)
    del xml
    out, new_crc = deflate(new)
    return out, new_crc, len(new), removed


def _started() -> bool:
    return True


class SecondProcess:
    """A process that patches one sheet part of a save (see the module's docstring)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    @classmethod
    def start(cls) -> SecondProcess | None:
        """A started second process, or None where one would not help or cannot run."""
        if (os.cpu_count() or 1) < 2 or os.environ.get("LIANXING_SECOND_PROCESS", "1") == "0":
            return None
        if not os.path.basename(sys.executable or "").lower().startswith("python"):
            return None  # embedded (Excel, Pyodide): sys.executable would not start Python
        helper = cls()
        try:
            helper._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            helper._pool.submit(_started)  # imports this module there now, not at the save
        except Exception:  # noqa: BLE001 - no process: the save patches every part itself
            helper.close()
            return None
        return helper

    def submit(self, raw: bytes, size: int, crc: int, edit: SheetEdit, date1904: bool) -> Future | None:
        if self._pool is None:
            return None
        try:
            return self._pool.submit(patch_deflated, raw, size, crc, edit, date1904)
        except Exception:  # noqa: BLE001 - a broken pool: patched here
            return None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
