"""The Python behind the workbook's buttons, called by xlwings' ``RunPython`` from VBA.

``RefreshMetrics`` (the "刷新数据 Refresh metrics" button) runs
``import workbook_addin.macros; workbook_addin.macros.refresh_metrics()``. The job is the same
:func:`workbook_addin.jobs.refresh.run_refresh` the command line runs; only the adapter differs
(:class:`workbook_addin.workbook.xlwings_book.XlwingsWorkbook`, shared with xlwings Lite): it reads
the Excel Tables through xlwings ranges into the same frames the file reader makes, and writes back
only the cells that change. Formula cells are left to Excel, which recalculates them itself. Only
the open-source part of xlwings is used (ranges, tables, names, ``app.status_bar``, ``app.alert``).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .core import xlwings_version
from .workbook.xlwings_book import TITLE, XlwingsWorkbook


@contextlib.contextmanager
def writes_without_recalculation(app: Any) -> Iterator[None]:
    """Calculation manual and screen updating off while the refresh writes, one recalculation at
    the end, and both settings as they were, even when the refresh fails.

    With calculation automatic, every range written would set off a recalculation of its
    dependents, Python functions included, and the screen would redraw after each write.
    """
    calculation, screen_updating = app.calculation, app.screen_updating
    app.screen_updating = False
    app.calculation = "manual"
    try:
        yield
    finally:
        try:
            app.calculate()
        finally:
            app.calculation = calculation
            app.screen_updating = screen_updating


def refresh_metrics(book: Any = None, *, exports_dir: str | Path | None = None, now: dt.datetime | None = None):
    """The Refresh button: refresh the calling workbook in place, progress in the status bar, then a
    summary alert. The workbook is not saved: the person sees the result and saves it (Ctrl+S).

    With an xlwings other than the workbook's, nothing is refreshed: the person is told which
    version to install (in an alert, or, if xlwings cannot even find the workbook, through the
    message box xlwings' RunPython makes of what Python wrote to stderr)."""
    from .jobs.refresh import run_refresh

    wrong_xlwings = xlwings_version.button_problem()
    if book is None:
        import xlwings as xw

        try:
            book = xw.Book.caller()
        except Exception:  # noqa: BLE001 - xlwings' RunPython shows what we print in a message box
            if wrong_xlwings:
                sys.exit(wrong_xlwings)
            raise
    app = book.app
    if wrong_xlwings:
        app.alert(wrong_xlwings, title=TITLE, mode="critical")
        return None
    if not Path(str(book.fullname)).parent.is_dir() or not Path(str(book.fullname)).suffix:
        app.alert("请先保存工作簿，再刷新 Save the workbook first: the export folder is found relative to it.",
                  title=TITLE, mode="info")
        return None
    adapter = XlwingsWorkbook(book)
    try:
        with writes_without_recalculation(app):
            report = run_refresh(adapter, exports_dir, progress=adapter.status, now=now)
    except Exception as exc:  # noqa: BLE001 - a person gets a message box, never a traceback
        app.status_bar = False
        app.alert(f"刷新失败 Refresh failed: {exc}", title=TITLE, mode="critical")
        return None
    app.status_bar = False
    app.alert(report.summary() + "\n\n保存工作簿以保留结果 Save the workbook to keep the results.", title=TITLE,
              mode="info" if report.status == "ok" else "warning")
    return report
