"""``lianxing sync``: the archive sync on the command line.

    lianxing sync Lianxing_Evaluation.xlsm          # the workbook file: read, sync, write back
    lianxing sync --tables-dir DIR                  # creators.csv, sync_base.csv, conflicts.csv, run_log.csv
    lianxing sync Lianxing_Evaluation.xlsm --forget tiktok:mia   # erasure request: clear a creator's
                                                    # personal data in the archive and the workbook

Both use the archive named in Settings (the workbook's Settings sheet, or ``DIR/settings.json`` /
``settings.toml``), which flags can override (``--backend``, ``--archive``, ``--sheet-key``,
``--credentials``, ``--api-endpoint``). The same call as a library:
``sheets_sync.sync.sync_workbook_tables(tables, settings)``.
"""
from __future__ import annotations

import argparse
import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from .registry import command
from ..core.schema import load_schema


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("workbook", nargs="?", type=Path, help="the .xlsm workbook to sync")
    p.add_argument("--tables-dir", type=Path, help="sync CSV tables in this folder instead of a workbook")
    p.add_argument("--backend", choices=("local", "google"), help="override Settings › archive_backend")
    p.add_argument("--archive", help="override Settings › archive_path (local SQLite archive)")
    p.add_argument("--sheet-key", help="override Settings › google_sheet_key")
    p.add_argument("--credentials", help="override Settings › google_credentials (key file path)")
    p.add_argument("--api-endpoint", help="send Sheets API requests here instead of Google (tests, proxies)")
    p.add_argument("--user", help="name recorded in the sync logs (default: Settings › sync_name, else 'unnamed'; "
                                  "never the login name)")
    p.add_argument("--forget", action="append", default=[], metavar="KEY",
                   help="clear the personal columns (name, e-mail, contact) of creator KEY (e.g. tiktok:mia) in the "
                        "shared archive and in the workbook, then sync; the archive's register tells every other "
                        "workbook to clear them too; repeat for several creators")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    pairs = {"archive_backend": args.backend, "archive_path": args.archive, "google_sheet_key": args.sheet_key,
             "google_credentials": args.credentials, "api_endpoint": args.api_endpoint, "sync_name": args.user}
    return {k: v for k, v in pairs.items() if v}


def read_settings_file(folder: Path) -> dict[str, Any]:
    """Settings for a tables folder: ``settings.json`` or ``settings.toml`` (flat key = value)."""
    for name in ("settings.json", "settings.toml"):
        path = folder / name
        if path.exists():
            text = path.read_text(encoding="utf-8")
            return json.loads(text) if name.endswith(".json") else tomllib.loads(text)
    return {}


def read_tables_dir(folder: Path) -> dict[str, pd.DataFrame]:
    """The four sync tables from CSV (schema keys as headers); missing files start empty. Cells are
    read as text so nothing is reinterpreted on the way ("007" stays "007"), and the apostrophe that
    :func:`write_tables_dir` puts before formula-like text is taken off again."""
    from sheets_sync.safe_values import csv_unescape
    from sheets_sync.sync import SYNC_TABLES, empty_table

    out: dict[str, pd.DataFrame] = {}
    for key in SYNC_TABLES:
        path = folder / f"{key}.csv"
        if path.exists():
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig").astype(object)
            out[key] = frame.apply(lambda col: col.map(csv_unescape))
        else:
            out[key] = empty_table(key)
    return out


def write_tables_dir(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Each table written to a temporary file and moved into place, so a crash never leaves half a CSV.

    Text pulled from the shared sheet (anyone on the team can type ``=HYPERLINK(...)`` or
    ``+1 555 0100`` there) is escaped per OWASP's CSV-injection advice, so Excel opening the file
    shows it as text instead of running it."""
    from sheets_sync.safe_values import csv_escape

    schema = load_schema()
    for key, frame in tables.items():
        cols = [c for c in schema.sheet(key).keys if c in frame.columns] + \
               [c for c in frame.columns if c not in schema.sheet(key).keys]
        tmp = folder / f".{key}.csv.tmp"
        frame[cols].apply(lambda col: col.map(csv_escape)).to_csv(tmp, index=False, encoding="utf-8")
        os.replace(tmp, folder / f"{key}.csv")


def _keys(given: list[str]) -> list[str]:
    """Creator keys as typed (``TikTok:@Mia`` is ``tiktok:mia``)."""
    from ..core.keys import CreatorKeyError, creator_key

    out = []
    for text in given:
        platform, _, handle = text.partition(":")
        try:
            out.append(creator_key(platform, handle))
        except CreatorKeyError:
            out.append(text.strip().lower())
    return out


def _progress(enabled: bool):
    from tqdm import tqdm

    bar = tqdm(total=4, desc="同步 sync", unit="step", disable=not enabled, leave=False)
    steps = {"read": "读取 read", "merge": "合并 merge", "write": "写入 write", "done": "完成 done"}

    def step(stage: str) -> None:
        bar.set_postfix_str(steps.get(stage, stage))
        if stage in ("merge", "write", "done") and bar.n < bar.total:
            bar.update(1)
        if stage == "done":
            bar.update(bar.total - bar.n)

    return bar, step


@command("sync", "sync the creator archive (shared Google Sheet or local SQLite file) with a workbook or CSV tables",
         _add_arguments)
def run(args: argparse.Namespace) -> int:
    from sheets_sync.sync import sync_workbook_tables

    if (args.workbook is None) == (args.tables_dir is None):
        print("lianxing sync: give a WORKBOOK or --tables-dir DIR (one of them)")
        return 2
    bar, step = _progress(not args.no_progress)
    stale = 0  # creators whose scores the pull left out of date (the workbook path only)
    try:
        if args.tables_dir is not None:
            folder = args.tables_dir
            if not folder.is_dir():
                print(f"lianxing sync: {folder} is not a folder")
                return 2
            tables = read_tables_dir(folder)
            settings = {**load_schema().default_settings(), **read_settings_file(folder), **_overrides(args)}
            result = sync_workbook_tables(tables, settings, workbook_dir=folder, user=args.user, progress=step,
                                          forget=_keys(args.forget))
            if result.ok:
                write_tables_dir(folder, result.tables)
            else:
                write_tables_dir(folder, {"run_log": result.tables["run_log"]})
        else:
            from ..jobs.archive_changes import apply_sync_result, rescore_note
            from ..workbook.tables_io import WorkbookChanges, WorkbookError, WorkbookFile

            book = WorkbookFile(args.workbook)
            try:
                data = book.read()
            except WorkbookError as error:
                print(f"lianxing sync: {error}")
                return 1
            tables = dict(data.tables)
            settings = {**data.settings_values, **_overrides(args)}
            result = sync_workbook_tables({k: tables.get(k) for k in ("creators", "sync_base", "conflicts", "run_log")},
                                          settings, workbook_dir=book.folder, user=args.user, progress=step,
                                          forget=_keys(args.forget))
            changes = WorkbookChanges()
            if result.ok:
                stale = apply_sync_result(changes, data, tables, result)
            elif "run_log" in data.layouts:
                changes.appends.setdefault("run_log", []).append(dict(result.log))
            try:
                book.write(changes)
            except WorkbookError as error:
                print(f"lianxing sync: {error}")
                return 1
    finally:
        bar.close()
    log = result.log
    print(f"{'同步完成 Synced' if result.ok else '同步失败 Sync failed'}: {log['message']}")
    for problem in (result.problems[:20] if result.ok else []):
        print(f"  - {problem}")
    if stale:
        print(rescore_note(stale))
    if result.ok and log.get("conflicts"):
        print(f"{log['conflicts']} 个冲突 conflicts: choose keep_local / keep_remote / custom in the Conflicts sheet, "
              "then sync again")
    return 0 if result.ok else 1
