"""What the last refresh of a workbook file found, kept so that the same refresh again is nearly free.

A refresh is a function of the workbook's bytes, the export files' bytes, the day (reminders and
pending outreach count days) and the product's code. When all four are what the last refresh
wrote and read, running it again would import nothing new, recompute the same values and write
nothing but the status line and a run-log row: the refresh then skips the import, the engine and
the insight sheets and retells the last run's findings (files, unmatched rows, warnings) instead.

The memo is keyed by a SHA-256 of those four inputs, so a workbook edited in Excel, a new export
file, a new day or an upgraded product each miss it and the refresh runs in full. It lives in the
user's cache folder (``LIANXING_CACHE_DIR`` overrides), never inside the workbook or beside it: a
workbook that travels carries nothing stale, and a memo that is missing or unreadable only costs
a full refresh. Memos are plain JSON (no pickle: nothing in a cache folder can run code).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.cells import is_missing

CACHE_ENV = "LIANXING_CACHE_DIR"
#: memos kept (one per workbook state; the oldest go first)
KEEP = 64
#: a report with more export rows to retell than this is not memoised (its memo would be large)
MAX_ROWS = 5_000
_FRAMES = ("unmatched", "ambiguous", "proposals", "rejected", "unmatched_sheet")


def cache_dir() -> Path:
    """The folder memos are kept in: ``LIANXING_CACHE_DIR``, else the platform's user cache folder."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]) / "refresh"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lianxing" / "refresh"


def folder_digest(folder: Path) -> str:
    """Every file under the export folder: its path inside the folder and its bytes."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0")
            with open(p, "rb") as fh:
                h.update(hashlib.file_digest(fh, "sha256").digest())
    return h.hexdigest()


@functools.cache
def code_digest() -> str:
    """The product's code and templates: an upgrade must not reuse what older code computed.
    (Found by name, not imported: the xlwings Lite bundle carries this module without the sync.)"""
    h = hashlib.sha256()
    for name in ("workbook_addin", "sheets_sync", "templates"):
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            root = Path(folder)
            for p in sorted(root.rglob("*")):
                if p.suffix in (".py", ".toml", ".csv") and p.is_file():
                    h.update(name.encode() + p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def table_memo() -> Any:
    """Where a refresh keeps the long tables as it saved them (:mod:`..workbook.table_memo`), keyed
    also by the product's code and the version of the readers whose reading they stand for."""
    from ..workbook.table_memo import TableMemo

    return TableMemo(cache_dir() / "tables", _memo_salt)


@functools.cache
def _memo_salt() -> str:
    """The code and the readers' versions (15 ms to look up: only when a table's memo is keyed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        reader = version("python-calamine") + "/" + version("fastexcel")
    except PackageNotFoundError:
        reader = "?"
    return f"{code_digest()}\0{reader}"


def inputs_key(workbook: str, exports: str, today: dt.date) -> str:
    """The memo's key: the workbook's and the export folder's digests (:func:`folder_digest`,
    taken once before the exports are read, so a file arriving mid-refresh is not counted as
    read), the day, the code."""
    return hashlib.sha256("\n".join((workbook, exports, today.isoformat(), code_digest())).encode()).hexdigest()


def recall(key: str) -> dict[str, Any] | None:
    """The facts remembered under ``key``, or None (never seen, or unreadable: then the refresh runs)."""
    try:
        return json.loads((cache_dir() / f"{key}.json").read_text(encoding="utf-8"), object_hook=_decoded)
    except (OSError, ValueError):
        return None


def remember(key: str, facts: dict[str, Any]) -> None:
    """Keeps ``facts`` under ``key`` (atomically) and drops the oldest memos; a cache folder that
    cannot be written only means the next refresh runs in full."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(facts, default=_encoded, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, folder / f"{key}.json")
        old = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        for p in old[:max(0, len(old) - KEEP)]:
            p.unlink(missing_ok=True)
    except OSError:
        pass


def facts_of(report: Any) -> dict[str, Any] | None:
    """What a person is told about a refresh that a quiet repeat must tell again (None: too large)."""
    frames = {name: getattr(report, name) for name in _FRAMES}
    if sum(len(f) for f in frames.values() if f is not None) > MAX_ROWS:
        return None
    return {
        "files": [dataclasses.asdict(f) for f in report.files],  # importers' FileReport
        "warnings": list(report.warnings), "problems": list(report.problems), "reminders": report.reminders,
        "frames": {name: None if f is None else _frame_json(f) for name, f in frames.items()},
    }


def retell(report: Any, facts: dict[str, Any]) -> None:
    """Fills ``report`` with the remembered findings; nothing was updated, imported or recomputed."""
    from ..importers.batch import FileReport

    known = {f.name for f in dataclasses.fields(FileReport)}
    report.files = [FileReport(**{k: v for k, v in f.items() if k in known}) for f in facts["files"]]
    report.warnings = list(facts["warnings"])
    report.problems = list(facts["problems"])
    report.reminders = facts["reminders"]
    for name, frame in facts["frames"].items():
        setattr(report, name, None if frame is None else pd.DataFrame(frame["rows"], columns=frame["columns"]))


def _frame_json(frame: pd.DataFrame) -> dict[str, Any]:
    rows = [[None if is_missing(v) else v for v in row] for row in frame.itertuples(index=False, name=None)]
    return {"columns": [str(c) for c in frame.columns], "rows": rows}


def _encoded(v: Any) -> Any:
    """JSON for what frames and file reports hold besides text and numbers."""
    if isinstance(v, dt.datetime):
        return {"$datetime": v.isoformat()}
    if isinstance(v, dt.date):
        return {"$date": v.isoformat()}
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    if isinstance(v, Path):
        return str(v)
    return str(v)


def _decoded(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$datetime" in obj:
            return dt.datetime.fromisoformat(obj["$datetime"])
        if "$date" in obj:
            return dt.date.fromisoformat(obj["$date"])
    return obj
