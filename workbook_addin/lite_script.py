"""The refresh behind xlwings Lite's Run button: the classic job, through the Lite adapter.

``main.py``'s ``@script refresh_metrics(book)`` calls :func:`refresh`; it runs the same
:func:`workbook_addin.jobs.refresh.run_refresh` as the classic button and ``lianxing refresh``, over
the same adapter as the classic button (:class:`~workbook_addin.workbook.xlwings_book.XlwingsWorkbook`),
and leaves the same summary in the RefreshStatus cell. What differs in Lite, and why:

- the exports come from the add-in's own file area, ``/data`` (xlwings Lite > Files > Import/Export,
  files or a folder dropped there): its ``exports`` folder when there is one, else ``/data`` itself;
- formulas cannot be read synchronously in Lite, so the first data row's formulas of every table
  (which columns Excel calculates, and the refresh must not overwrite) are fetched once, before the
  job, with Lite's ``await Range.get_formula()``;
- Lite has no status bar: progress goes to the add-in's output pane;
- the archive sync does not run: it needs a service-account key or a local archive file, and
  nothing secret may travel inside the workbook (Lite's workbook settings go wherever the file
  goes). The status line says so and where the sync runs: the classic button or ``lianxing sync``.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from .jobs.refresh import ExportFolderError, RefreshReport, run_refresh
from .core.cells import flatten
from .workbook.xlwings_book import TITLE, XlwingsWorkbook

#: where xlwings Lite puts the files dropped into its Import/Export pane
DATA_DIR = Path("/data")
EXPORTS_SUBFOLDER = "exports"
SYNC_NOTE = ("档案库同步未在 xlwings Lite 中运行，请用经典“刷新数据”按钮或 lianxing sync "
             "/ archive sync does not run in xlwings Lite: use the classic Refresh button or `lianxing sync`")
NO_EXPORTS = ("请把导出文件拖入 xlwings Lite 的 Files › Import/Export（/data） "
              "/ drop the export files into xlwings Lite's Files > Import/Export (/data)")


class LiteWorkbook(XlwingsWorkbook):
    """The classic live adapter, as xlwings Lite's ``book`` allows it to work."""

    def __init__(self, book: Any, *, data_dir: Path, **kwargs: Any):
        super().__init__(book, **kwargs)
        self.data_dir = Path(data_dir)
        self._formulas: dict[str, list[Any]] = {}

    @property
    def folder(self) -> Path:
        return self.data_dir  # Lite's workbook has no folder on this machine; its files are in /data

    def status(self, text: str, fraction: float | None = None) -> None:
        pct = f" {int(fraction * 100)}%" if fraction is not None else ""
        print(f"{TITLE}{pct}: {text}")

    async def load_formulas(self) -> None:
        """Each table's first data row as formulas, fetched on demand (Lite sends only values)."""
        self._find_tables()
        for name, (sheet, table) in self._tables.items():
            body = table.data_body_range
            if body is None:
                continue
            last = body.last_cell.column
            row = sheet.range((body.row, body.column), (body.row, last))
            self._formulas[name] = flatten(await row.get_formula())

    def _first_row_formulas(self, table: str, sheet: Any, row: int, c1: int, c2: int) -> list[Any]:
        return self._formulas.get(table, [])


def exports_folder(data_dir: Path) -> Path:
    """``/data/exports`` when the exports were dropped as a folder, else ``/data``."""
    sub = Path(data_dir) / EXPORTS_SUBFOLDER
    return sub if sub.is_dir() else Path(data_dir)


def _tell(book: Any, text: str, mode: str) -> None:
    """The summary in the output pane, and as a message where the add-in shows one."""
    print(text)
    try:
        book.app.alert(text, title=TITLE, mode=mode)
    except NotImplementedError:
        pass  # the output pane already has it


async def refresh(book: Any, *, data_dir: Path | None = None, now: dt.datetime | None = None) -> RefreshReport | None:
    """The Run button: refresh the open workbook from the exports in ``data_dir`` (default
    :data:`DATA_DIR`); Excel keeps the changes (saved as usual). Returns the job's report, None when
    it could not run."""
    data_dir = Path(data_dir or DATA_DIR)
    adapter = LiteWorkbook(book, data_dir=data_dir)
    try:
        await adapter.load_formulas()
        report = run_refresh(adapter, exports_folder(data_dir), sync=False, sync_note=SYNC_NOTE,
                             progress=adapter.status, now=now)
    except ExportFolderError as exc:
        _tell(book, f"刷新失败 Refresh failed: {exc}\n{NO_EXPORTS}", "critical")
        return None
    except Exception as exc:  # noqa: BLE001 - a person gets a message, never a traceback
        _tell(book, f"刷新失败 Refresh failed: {type(exc).__name__}: {exc}", "critical")
        return None
    _tell(book, report.summary(), "info" if report.status == "ok" else "warning")
    return report
