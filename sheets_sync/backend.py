"""The small interface every archive backend implements, and the records passed through it.

A backend knows how to read every row of a synced sheet with its creator key, write single changed
cells, append rows, record a sync in its log, and protect computed columns. Everything else (what
changed, what conflicts) is decided once, in :mod:`sheets_sync.merge`, for all backends.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from workbook_addin.core.schema import Sheet
from workbook_addin.core.errors import LianxingError

from .register import Register

#: The columns of the sync log kept in the archive (a tab in the shared sheet, a table in SQLite).
LOG_COLUMNS = ("run_at", "user", "sheet", "pulled", "pushed", "appended", "conflicts", "message")


class SyncError(LianxingError, RuntimeError):
    """A problem a person must fix (credentials, access, configuration); the message says what."""


class RaceDetected(LianxingError, RuntimeError):
    """The archive changed under a write (a sort or insert between read and write); sync again."""


@dataclass
class RemoteRow:
    """One archive row: canonical text per synced column, and where it sits (for the Google Sheet)."""

    key: str
    values: dict[str, str]
    row: int | None = None
    needs_key: bool = False
    by: str = ""
    at: str = ""


@dataclass
class RemoteTable:
    """A synced sheet as read at the start of a sync."""

    sheet: Sheet
    rows: dict[str, RemoteRow]
    problems: list[str] = field(default_factory=list)
    state: Any = None  # backend-private: header positions, row count ...
    #: Synced columns the archive lacks (a header renamed beyond recognition, deleted, or never
    #: added); their cells are unknown, never blank.
    missing: list[str] = field(default_factory=list)
    #: Synced columns the archive has ever had (:meth:`Backend.known_columns`), once asked.
    known: set[str] | None = None
    #: The archive's register of creators (:mod:`sheets_sync.register`); None where the backend keeps none.
    register: Register | None = None


@dataclass(frozen=True)
class CellWrite:
    """Set ``column`` of creator ``key`` to canonical ``value``; ``old`` is what the read saw there."""

    key: str
    column: str
    value: str
    old: str = ""


@dataclass
class WritePlan:
    """Everything one sync writes to the archive."""

    cells: list[CellWrite] = field(default_factory=list)
    appends: list[dict[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # synced columns the archive gets (new in this release)
    absent: list[str] = field(default_factory=list)  # synced columns the archive had and lost (not written)

    def __bool__(self) -> bool:
        return bool(self.cells or self.appends or self.columns)


class Backend(ABC):
    """An archive the workbook syncs with."""

    #: Short name shown in logs ("google", "local").
    name: str = "archive"

    def describe(self) -> str:
        """Where the archive lives, for messages."""
        return self.name

    @contextmanager
    def session(self) -> Iterator[None]:
        """Wraps one sync attempt (read, merge, write). SQLite makes it one transaction."""
        yield

    @abstractmethod
    def read(self, sheet: Sheet) -> RemoteTable:
        """Every row of ``sheet`` with its creator key and canonical values."""

    @abstractmethod
    def write_cells(self, sheet: Sheet, remote: RemoteTable, cells: list[CellWrite]) -> None:
        """Write changed cells, located by creator key (never by a remembered row number)."""

    @abstractmethod
    def append_rows(self, sheet: Sheet, remote: RemoteTable, rows: list[dict[str, str]]) -> None:
        """Add rows for creators the archive does not have yet."""

    @abstractmethod
    def log_sync(self, entry: dict[str, Any]) -> None:
        """Record one sync (``LOG_COLUMNS``) in the archive's own log."""

    def add_register_rows(self, rows: list[list[str]]) -> None:
        """Append events to the archive's register (:mod:`sheets_sync.register`); only called with rows."""

    def known_columns(self, remote: RemoteTable) -> set[str] | None:
        """The synced columns the archive has ever had, where it records that (None: no record)."""
        return None

    def protect_computed(self, sheet: Sheet, remote: RemoteTable) -> None:
        """Warn people who edit computed columns by hand (only the Google Sheet has people)."""

    def commit(self, sheet: Sheet, remote: RemoteTable, plan: WritePlan, entry: dict[str, Any]) -> None:
        """Apply a plan: cells, new rows, protections, log. Called only when the plan is not empty."""
        if plan.cells:
            self.write_cells(sheet, remote, plan.cells)
        if plan.appends:
            self.append_rows(sheet, remote, plan.appends)
        self.protect_computed(sheet, remote)
        self.log_sync(entry)

    def close(self) -> None:
        """Release connections."""
