"""The embedded local archive: one SQLite file, one table per synced sheet, keyed by creator key.

The default when no Google Sheet is configured, so a team without Google accounts (or one person on
a laptop) still gets the archive, the merge and the conflict sheet. Built-in ``sqlite3`` only. WAL
mode lets readers (reports, a second workbook) read while a sync writes, and each sync is one
``BEGIN IMMEDIATE`` transaction from its read to its last write: two workbooks syncing at once are
serialised by SQLite, so there is no window in which a write can act on a stale read.

Values are stored as the merge's canonical text, so what is compared is exactly what was stored.
Each row also records who wrote it last and when, which the Conflicts sheet shows as "changed by".
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from workbook_addin.core.schema import Sheet

from .backend import LOG_COLUMNS, Backend, CellWrite, RemoteRow, RemoteTable, SyncError
from .register import Register

LOG_TABLE = "sync_log"
REGISTER_TABLE = "register"  # see sheets_sync.register


def _q(name: str) -> str:
    """Quote an identifier (schema keys are snake_case, but never trust that)."""
    return '"' + name.replace('"', '""') + '"'


class SqliteArchive(Backend):
    """Archive in a SQLite file (``":memory:"`` for a throw-away one, as the property tests use)."""

    name = "local"

    def __init__(self, path: str | Path, user: str = "", timeout: float = 30.0) -> None:
        self.path = str(path)
        self.user = user
        try:
            self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise SyncError(f"本地档案库无法打开 Cannot open the local archive {Path(self.path).name} "
                            f"(设置 Settings › archive_path): {error}") from error
        if self.path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._in_tx = False

    def describe(self) -> str:
        return f"local archive {Path(self.path).name}"  # no folder: messages go to shared logs

    @contextmanager
    def session(self) -> Iterator[None]:
        """One sync = one transaction; taken IMMEDIATE so the read already holds the write lock."""
        self.db.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")
        finally:
            self._in_tx = False

    # -- schema of the file -------------------------------------------------------------------
    def _ensure_table(self, sheet: Sheet) -> list[str]:
        cols = [c.key for c in sheet.synced_columns if c.key != "creator_key"]
        self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {_q(sheet.key)} (creator_key TEXT PRIMARY KEY, "
            + "".join(f"{_q(c)} TEXT NOT NULL DEFAULT '', " for c in cols)
            + "_updated_by TEXT NOT NULL DEFAULT '', _updated_at TEXT NOT NULL DEFAULT '')"
        )
        have = {r[1] for r in self.db.execute(f"PRAGMA table_info({_q(sheet.key)})")}
        for c in cols:
            if c not in have:  # the schema gained a column since this file was made
                self.db.execute(f"ALTER TABLE {_q(sheet.key)} ADD COLUMN {_q(c)} TEXT NOT NULL DEFAULT ''")
        self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {LOG_TABLE} ("
            + ", ".join(f"{_q(c)} TEXT NOT NULL DEFAULT ''" for c in LOG_COLUMNS) + ")"
        )
        self.db.execute(f"CREATE TABLE IF NOT EXISTS {REGISTER_TABLE} (event TEXT, at TEXT, hashes TEXT)")
        return cols

    # -- the Backend interface ----------------------------------------------------------------
    def read(self, sheet: Sheet) -> RemoteTable:
        cols = self._ensure_table(sheet)
        select = ", ".join(["creator_key", *map(_q, cols), "_updated_by", "_updated_at"])
        rows: dict[str, RemoteRow] = {}
        for rec in self.db.execute(f"SELECT {select} FROM {_q(sheet.key)}"):
            rows[rec[0]] = RemoteRow(rec[0], dict(zip(cols, rec[1:-2])), by=rec[-2], at=rec[-1])
        events = self.db.execute(f"SELECT event, at, hashes FROM {REGISTER_TABLE} ORDER BY rowid")
        return RemoteTable(sheet, rows, register=Register.from_rows(map(list, events)))

    def add_register_rows(self, rows: list[list[str]]) -> None:
        self.db.executemany(f"INSERT INTO {REGISTER_TABLE} (event, at, hashes) VALUES (?, ?, ?)", rows)

    def _stamp(self) -> tuple[str, str]:
        return self.user, datetime.now(UTC).isoformat(timespec="seconds")

    def write_cells(self, sheet: Sheet, remote: RemoteTable, cells: list[CellWrite]) -> None:
        by, at = self._stamp()
        for cell in cells:
            if cell.column == "creator_key":
                continue  # the key is the primary key; SQLite rows always have one
            self.db.execute(
                f"UPDATE {_q(sheet.key)} SET {_q(cell.column)} = ?, _updated_by = ?, _updated_at = ? WHERE creator_key "
                "= ?",
                (cell.value, by, at, cell.key),
            )

    def append_rows(self, sheet: Sheet, remote: RemoteTable, rows: list[dict[str, str]]) -> None:
        cols = self._ensure_table(sheet)
        by, at = self._stamp()
        names = ["creator_key", *cols, "_updated_by", "_updated_at"]
        self.db.executemany(
            f"INSERT INTO {_q(sheet.key)} ({', '.join(map(_q, names))}) VALUES ({', '.join('?' * len(names))})",
            [[r["creator_key"], *(r.get(c, "") for c in cols), by, at] for r in rows],
        )

    def log_sync(self, entry: dict[str, Any]) -> None:
        self.db.execute(
            f"INSERT INTO {LOG_TABLE} ({', '.join(map(_q, LOG_COLUMNS))}) VALUES ({', '.join('?' * len(LOG_COLUMNS))})",
            [str(entry.get(c, "")) for c in LOG_COLUMNS],
        )

    def log_rows(self) -> list[dict[str, str]]:
        """The archive's sync log, oldest first."""
        cur = self.db.execute(f"SELECT {', '.join(map(_q, LOG_COLUMNS))} FROM {LOG_TABLE} ORDER BY rowid")
        return [dict(zip(LOG_COLUMNS, r)) for r in cur]

    def close(self) -> None:
        self.db.close()
