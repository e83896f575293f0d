"""The workbook as data: read its tables and settings headless, write changed cells back safely.

One module per concern: :mod:`.tables_layout` (where each table sits, the frames both adapters
share), :mod:`.tables_read` (calamine + the Table parts), :mod:`.tables_changes` (what a job wants
changed, in schema terms), :mod:`.tables_write` (zip/XML patches, atomic save, backup) and
:mod:`.tables_locks` (refusing a file Excel or LibreOffice has open). This module is their one
interface: callers import from here, except the modules the xlwings Lite bundle loads (the refresh
job, the live adapters), which import :mod:`.tables_layout` and :mod:`.tables_changes` themselves so
that Lite never loads the file reader (calamine) or writer.

The live Excel paths (:mod:`.xlwings_book`: classic xlwings and xlwings Lite) build the same
:class:`WorkbookData` from xlwings ranges and apply the same :class:`WorkbookChanges`; only that thin
adapter differs.
"""
from .tables_changes import WorkbookChanges, diff_columns, frames_equal_cells, plain_value, replace_rows, same_value
from .tables_layout import STATUS_NAME, TableLayout, WorkbookData, frame_from_rows, table_specs
from .tables_locks import WorkbookError, WorkbookLockedError, check_not_open, lock_files
from .tables_read import SETTINGS_FRAME, read_settings, read_tables, read_workbook
from .tables_write import (
    BACKUP_DIR,
    KEEP_BACKUPS,
    WorkbookFile,
    apply_to_package,
    backup_file,
    glob_escape,
    remove_stale_temps,
    save_package,
    write_changes,
)

__all__ = [
    "BACKUP_DIR", "KEEP_BACKUPS", "SETTINGS_FRAME", "STATUS_NAME", "TableLayout", "WorkbookChanges",
    "WorkbookData", "WorkbookError", "WorkbookFile", "WorkbookLockedError", "apply_to_package", "backup_file",
    "check_not_open", "diff_columns", "frame_from_rows", "frames_equal_cells", "glob_escape",
    "lock_files", "plain_value", "read_settings", "read_tables", "read_workbook", "remove_stale_temps",
    "replace_rows", "same_value", "save_package", "table_specs", "write_changes",
]
