"""Keeps workbook tables and the team's shared creator archive in step.

Backends: the shared Google Sheet (gspread + google-auth) and an embedded local SQLite archive,
the default when no Google Sheet is configured.

Modules, in the order a sync uses them:

* :mod:`sheets_sync.sync` - the entry points: ``sync_workbook_tables(tables, settings)`` (the four
  workbook tables in and out) and ``sync_table(local, base, conflicts, backend)``;
* :mod:`sheets_sync.safe_values` - one canonical text per cell value, and what is written (RAW);
* :mod:`sheets_sync.renames` - a handle renamed on either side paired with its old key (profile URL);
* :mod:`sheets_sync.merge` - the three-way merge by creator key (pure, no I/O), with tombstones for
  rows deleted in the archive;
* :mod:`sheets_sync.backend` - the small interface every archive implements;
* :mod:`sheets_sync.sqlite_archive` and :mod:`sheets_sync.google_sheet` - the two archives; the
  Google one in four parts: :mod:`~sheets_sync.google_auth` (credentials, plain-language access
  errors without paths or e-mails), :mod:`~sheets_sync.google_table` (finding the header and the
  columns wherever people put them), :mod:`~sheets_sync.google_rows` (row tags: developer
  metadata that follows each creator's row through sorts, so writes land on it) and
  :mod:`~sheets_sync.google_sheet` (reading, writing, logging);
* :mod:`sheets_sync.retry` - back-off with jitter for 5xx / dropped connections, and waits that
  span Google's per-minute write quota on 429;
* :mod:`sheets_sync.endpoint` - point gspread at another API endpoint (tests, proxies).
"""
