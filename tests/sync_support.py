"""Shared helpers for the sync tests that run against the fake Sheets API (no tests in here)."""
from __future__ import annotations

import json
import uuid
import sys
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sheets_sync.google_sheet import GoogleSheetBackend  # noqa: E402
from sheets_sync.retry import RetryPolicy  # noqa: E402
from sheets_sync.sync import local_rows, sync_table  # noqa: E402
from tests.fake_sheets_api import FakeSheetsServer  # noqa: E402,F401
from workbook_addin.core.schema import load_schema  # noqa: E402

SCHEMA = load_schema()
SHEET = SCHEMA.sheet("creators")
TAB = "Creators"


def fast_policy(**kw: Any) -> RetryPolicy:
    """Back-off that does not really sleep (records the waits instead)."""
    waits: list[float] = []
    policy = RetryPolicy(sleep=waits.append, **kw)
    policy.waits = waits  # type: ignore[attr-defined]
    return policy


def settings_for(srv: Any, tmp_path: Path, sid: str, email: str | None = None) -> dict[str, Any]:
    info = srv.service_account_info(email) if email else srv.service_account_info()
    key_file = tmp_path / f"key-{uuid.uuid4().hex}.json"  # one file per call: threads never share a half-written file
    key_file.write_text(json.dumps(info), encoding="utf-8")
    return {"archive_backend": "google", "google_sheet_key": sid, "google_credentials": str(key_file),
            "api_endpoint": srv.url, "google_creators_tab": TAB, "google_timeout": 5}


def backend_for(srv: Any, tmp_path: Path, sid: str, policy: RetryPolicy | None = None, **kw: Any) -> GoogleSheetBackend:
    backend = GoogleSheetBackend.from_settings(settings_for(srv, tmp_path, sid), policy=policy or fast_policy())
    for name, value in kw.items():
        setattr(backend, name, value)
    return backend


def new_archive(srv: Any) -> str:
    sid = srv.create_spreadsheet("Archive", sheets=(TAB,))
    return sid


def synced_by_an_older_release(srv: Any, tmp_path: Path, without: str) -> tuple[str, GoogleSheetBackend, Any]:
    """An archive and a workbook as a release without synced column ``without`` left them: the tab
    holds two creators and is exactly as wide as its header (adding the column must grow the grid);
    the workbook has synced once and its base never had the column. Returns (sheet id, backend, that
    first sync's result)."""
    sid = new_archive(srv)
    old = [c for c in SHEET.synced_columns if c.key != without]
    with srv.lock:
        srv.spreadsheet(sid).sheet_by_title(TAB).resize(rows=10, cols=len(old))
    srv.set_values(sid, TAB, [[c.header for c in old], ["tiktok:a", "TikTok", "a"], ["tiktok:b", "TikTok", "b"]],
                   user_entered=False)
    be = backend_for(srv, tmp_path, sid)
    first = sync_table(pd.DataFrame(dtype=object), None, None, be)
    first.base = first.base[first.base["column"] != without]
    return sid, be, first


def sheet_rows(srv: Any, sid: str) -> dict[str, dict[str, Any]]:
    """The shared tab as creator key -> {column key: raw value}, located by header, not position."""
    values = srv.values(sid, TAB)
    labels = {c.header: c.key for c in SHEET.columns}
    header = [labels.get(h, h) for h in values[0]]
    out: dict[str, dict[str, Any]] = {}
    for line in values[1:]:
        rec = {h: (line[i] if i < len(line) else "") for i, h in enumerate(header)}
        if rec.get("creator_key"):
            assert rec["creator_key"] not in out, f"duplicate row for {rec['creator_key']}"
            out[rec["creator_key"]] = rec
    return out


def canon(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    return local_rows(frame, SHEET, SCHEMA)[0]


def creators(n: int, prefix: str = "c", **extra: Any) -> pd.DataFrame:
    return pd.DataFrame([{"platform": "TikTok", "handle": f"{prefix}{i}", "followers": 1000 + i,
                          "notes": f"note {i}", "status": "active", **extra} for i in range(n)], dtype=object)


def run_threads(target: Any, n: int, timeout: float | None = 120) -> list[BaseException]:
    """Runs ``target(i)`` for i in 0..n-1 in parallel threads; returns what they raised."""
    import threading

    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            target(i)
        except BaseException as error:  # noqa: BLE001 - reported to the test, not lost in a thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return errors
