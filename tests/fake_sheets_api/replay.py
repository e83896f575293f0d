"""Replay recorded gspread <-> Google traffic against a fresh fake and compare the answers.

Each recording (``reference/sheets-api-recordings/*.json``, MIT-licensed from gspread) is a list of request/response pairs.
The replayer sends every request, in order, to a new ``FakeSheetsServer`` over HTTP, with the host
rewritten and the recorded ids (spreadsheet ids, sheet ids, named/protected range ids) mapped to
the ids the fake generated — learned by walking the recorded and the fake's answers side by side.
It then compares status codes and bodies after ``normalise`` (the only things set aside are listed
there: timestamps and the generated ids themselves).

Run ``python -m tests.fake_sheets_api.replay`` for a per-recording report.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from .batch import HANDLERS
from .server import FakeSheetsServer

RECORDINGS_DIR = Path(__file__).resolve().parent / "reference" / "sheets-api-recordings"

#: Keys whose values Google generates; learned from answers and mapped in later requests.
ID_KEYS = ("id", "spreadsheetId", "sheetId", "namedRangeId", "protectedRangeId", "metadataId")
#: Keys whose values are wall-clock timestamps: compared for presence, not value.
TIME_KEYS = ("createdTime", "modifiedTime")
#: The service account that made the recordings (it appears in protected-range editors).
RECORDED_ACCOUNT = "telegram-budgeter@telegram-budgeter.iam.gserviceaccount.com"
#: A spreadsheet owner that is not the replaying account (for ids the recording never created).
STRANGER = "someone-else@example.com"

_FILE_ID_RE = re.compile(r"[A-Za-z0-9_-]{44}")


@dataclass
class Outcome:
    """Result of replaying one recording."""

    name: str
    total: int
    replayed: int = 0
    skipped: str | None = None
    mismatch: str | None = None

    @property
    def ok(self) -> bool:
        return self.skipped is None and self.mismatch is None and self.replayed == self.total


@dataclass
class IdMap:
    """Recorded id -> fake id, per kind of id."""

    strings: dict[str, str] = field(default_factory=dict)
    ints: dict[int, int] = field(default_factory=dict)

    def learn(self, recorded: Any, actual: Any) -> None:
        """Walk both answers in parallel; wherever an id key differs, remember the pair."""
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for key, rv in recorded.items():
                if key not in actual:
                    continue
                av = actual[key]
                if key in ID_KEYS and rv != av:
                    if isinstance(rv, str) and isinstance(av, str):
                        self.strings[rv] = av
                    elif isinstance(rv, int) and isinstance(av, int):
                        self.ints[rv] = av
                else:
                    self.learn(rv, av)
        elif isinstance(recorded, list) and isinstance(actual, list):
            for rv, av in zip(recorded, actual):
                self.learn(rv, av)

    def text(self, s: str) -> str:
        for old, new in self.strings.items():
            if old in s:
                s = s.replace(old, new)
        return s

    def value(self, obj: Any, key: str | None = None) -> Any:
        """Map ids inside a JSON value (strings everywhere, ints under id keys)."""
        if isinstance(obj, dict):
            return {k: self.value(v, k) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.value(v, key) for v in obj]
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, int) and not isinstance(obj, bool) and key in ID_KEYS:
            return self.ints.get(obj, obj)
        return obj


def normalise(body: Any) -> Any:
    """The explicit normaliser: timestamps become a placeholder. Nothing else is set aside."""
    if isinstance(body, dict):
        return {k: ("<timestamp>" if k in TIME_KEYS and isinstance(v, str) else normalise(v)) for k, v in body.items()}
    if isinstance(body, list):
        return [normalise(v) for v in body]
    return body


def unsupported_reason(interactions: list[dict[str, Any]]) -> str | None:
    """Why a recording cannot be replayed by this fake, decided before replaying (None = try it)."""
    created: set[str] = set()
    for it in interactions:
        req, resp = it["request"], it["response"]
        uri = req["uri"]
        if "/upload/drive/v2/" in uri:
            return "Drive v2 media upload (Client.import_csv) answers a v2 File resource the fake does not model"
        if uri.split("?")[0].endswith(":batchUpdate") and "/values" not in uri and req.get("body"):
            for r in json.loads(req["body"]).get("requests", []):
                for kind in r:
                    if kind not in HANDLERS:
                        return f"batchUpdate request kind {kind!r} not implemented"
        text = resp["body"]["string"] if isinstance(resp["body"], dict) else ""
        if req["method"] == "POST" and uri.split("?")[0].endswith("/drive/v3/files") and text:
            created.add(json.loads(text)["id"])
        if req["method"] == "GET" and "/drive/v3/files?" in uri and text:
            listed = {f["id"] for f in json.loads(text).get("files", [])}
            if listed - created:
                return (f"Drive files.list answer includes {len(listed - created)} files created outside "
                        f"this recording (the recorded account's whole Drive)")
    return None


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _first_diff(expected: Any, actual: Any, path: str = "$") -> str | None:
    if type(expected) is not type(actual) and not (isinstance(expected, (int, float)) and isinstance(actual, (int, float)) and not isinstance(expected, bool) and not isinstance(actual, bool)):
        return f"{path}: expected {json.dumps(expected, ensure_ascii=False)[:200]}, got {json.dumps(actual, ensure_ascii=False)[:200]}"
    if isinstance(expected, dict):
        for k in expected:
            if k not in actual:
                return f"{path}.{k}: missing (expected {json.dumps(expected[k], ensure_ascii=False)[:200]})"
        for k in actual:
            if k not in expected:
                return f"{path}.{k}: unexpected {json.dumps(actual[k], ensure_ascii=False)[:200]}"
        for k in expected:
            d = _first_diff(expected[k], actual[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items {json.dumps(expected, ensure_ascii=False)[:300]}, got {len(actual)} {json.dumps(actual, ensure_ascii=False)[:300]}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            d = _first_diff(e, a, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if expected == actual else f"{path}: expected {expected!r}, got {actual!r}"


def _fixture_ids(srv: FakeSheetsServer, interactions: list[dict[str, Any]], ids: IdMap) -> None:
    """Spreadsheets a recording uses but never creates belong to someone else: create them so.

    (The recorded account could only open its own files; a 44-character id it did not create
    is another user's spreadsheet, which is what ClientTest.test_access_private_spreadsheet uses.)
    """
    created: set[str] = set()
    for it in interactions:
        req, resp = it["request"], it["response"]
        text = resp["body"]["string"] if isinstance(resp["body"], dict) else ""
        if req["method"] == "POST" and req["uri"].split("?")[0].endswith(("/drive/v3/files", "/copy", "/v4/spreadsheets")) and text:
            body = _decode(text)
            if isinstance(body, dict):
                created.add(body.get("id") or body.get("spreadsheetId") or "")
        for fid in _FILE_ID_RE.findall(req["uri"].split("?")[0]):
            if fid not in created and fid not in ids.strings:
                ids.strings[fid] = srv.create_spreadsheet("Private spreadsheet", owner=STRANGER)


def replay(path: Path) -> Outcome:
    """Replay one recording against a fresh fake."""
    data = json.loads(path.read_text(encoding="utf-8"))
    interactions = data["interactions"]
    outcome = Outcome(path.stem, len(interactions))
    reason = unsupported_reason(interactions)
    if reason:
        outcome.skipped = reason
        return outcome
    with FakeSheetsServer() as srv:
        token = srv.tokens.issue_direct(RECORDED_ACCOUNT)
        ids = IdMap()
        _fixture_ids(srv, interactions, ids)
        session = requests.Session()
        for n, it in enumerate(interactions):
            req, resp = it["request"], it["response"]
            uri = re.sub(r"^https://(sheets|www)\.googleapis\.com", srv.url, req["uri"])
            uri = ids.text(uri)
            uri = _map_int_ids_in_uri(uri, ids)
            body = req.get("body")
            if isinstance(body, str) and body.startswith(("{", "[")):
                body = json.dumps(ids.value(json.loads(body)))
            headers = {"Authorization": f"Bearer {token}"}
            for h, v in (req.get("headers") or {}).items():
                if h.lower() == "content-type":
                    headers["Content-Type"] = v[0]
            answer = session.request(req["method"], uri, data=body.encode("utf-8") if isinstance(body, str) else body,
                                     headers=headers, timeout=30)
            expected_status = resp["status"]["code"]
            recorded_text = resp["body"]["string"] if isinstance(resp["body"], dict) else ""
            recorded = _decode(recorded_text)
            actual = _decode(answer.text)
            ids.learn(recorded, actual)
            where = f"#{n} {req['method']} {req['uri'][:140]}"
            if answer.status_code != expected_status:
                outcome.mismatch = f"{where}: status {answer.status_code}, recorded {expected_status}: {answer.text[:300]}"
                return outcome
            diff = _first_diff(normalise(ids.value(recorded)), normalise(actual))
            if diff:
                outcome.mismatch = f"{where}: {diff}"
                return outcome
            outcome.replayed += 1
    return outcome


def _map_int_ids_in_uri(uri: str, ids: IdMap) -> str:
    m = re.search(r"/sheets/(\d+):copyTo", uri)
    if m and int(m.group(1)) in ids.ints:
        uri = uri.replace(m.group(0), f"/sheets/{ids.ints[int(m.group(1))]}:copyTo")
    return uri


def replay_all(directory: Path = RECORDINGS_DIR) -> list[Outcome]:
    return [replay(p) for p in sorted(directory.glob("*.json"))]


def main() -> int:
    outcomes = replay_all()
    ok = [o for o in outcomes if o.ok]
    for o in outcomes:
        state = "OK      " if o.ok else "SKIPPED " if o.skipped else "MISMATCH"
        print(f"{state} {o.name} ({o.replayed}/{o.total}) {o.skipped or o.mismatch or ''}")
    print(f"\nreplayed fully: {len(ok)}/{len(outcomes)} recordings; "
          f"{sum(o.replayed for o in outcomes)}/{sum(o.total for o in outcomes)} interactions")
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["Outcome", "replay", "replay_all", "normalise", "quote"]
