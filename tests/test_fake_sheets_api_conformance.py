"""Conformance: the fake answers recorded gspread traffic the way Google did.

Every recording in tests/fake_sheets_api/reference/sheets-api-recordings/ is replayed request by request against a fresh
fake (tests/fake_sheets_api/replay.py); status codes and bodies must match after the explicit
normaliser (generated ids mapped, timestamps set aside). Recordings the fake cannot replay for a
stated reason are listed; the number that replay fully must not drop below MIN_REPLAYED.
Run ``python -m tests.fake_sheets_api.replay`` for the per-recording report.
"""

from __future__ import annotations

import pytest

from tests.fake_sheets_api.replay import RECORDINGS_DIR, IdMap, normalise, replay, replay_all

#: What the fake achieves today (104 of 108). Raise it when the fake improves; never lower it.
MIN_REPLAYED = 104


@pytest.fixture(scope="module")
def outcomes():
    return replay_all()


def test_recordings_are_present():
    assert len(list(RECORDINGS_DIR.glob("*.json"))) >= 100


def test_replayed_recordings_do_not_drop(outcomes, capsys):
    ok = [o for o in outcomes if o.ok]
    with capsys.disabled():
        print(f"\nfake Sheets API conformance: {len(ok)}/{len(outcomes)} recordings replay fully; "
              f"{sum(o.replayed for o in outcomes)}/{sum(o.total for o in outcomes)} interactions")
        for o in outcomes:
            if o.skipped:
                print(f"  skipped {o.name}: {o.skipped}")
            elif not o.ok:
                print(f"  mismatch {o.name}: {o.mismatch}")
    assert len(ok) >= MIN_REPLAYED


def test_every_recording_not_replayed_has_a_reason(outcomes):
    for o in outcomes:
        if not o.ok:
            assert o.skipped or o.mismatch, o.name


def test_skips_are_only_the_known_unsupported_calls(outcomes):
    skipped = {o.name for o in outcomes if o.skipped}
    assert skipped <= {"ClientTest.test_import_csv", "ClientTest.test_open_all_has_metadata", "ClientTest.test_openall"}


def test_normaliser_sets_aside_only_timestamps():
    body = {"id": "x", "createdTime": "2023-01-01T00:00:00.000Z", "values": [["2023-01-01T00:00:00.000Z"]]}
    assert normalise(body) == {"id": "x", "createdTime": "<timestamp>", "values": [["2023-01-01T00:00:00.000Z"]]}


def test_id_map_learns_generated_ids_from_answers():
    ids = IdMap()
    ids.learn({"spreadsheetId": "REC", "replies": [{"addSheet": {"properties": {"sheetId": 7}}}]},
              {"spreadsheetId": "NEW", "replies": [{"addSheet": {"properties": {"sheetId": 9}}}]})
    assert ids.text("/v4/spreadsheets/REC/values") == "/v4/spreadsheets/NEW/values"
    assert ids.value({"range": {"sheetId": 7, "startRowIndex": 7}}) == {"range": {"sheetId": 9, "startRowIndex": 7}}


def test_a_wrong_answer_is_caught(tmp_path):
    """The replayer is not blind: a recording whose recorded answer differs from the fake's fails."""
    import json

    src = RECORDINGS_DIR / "WorksheetTest.test_append_row.json"
    data = json.loads(src.read_text(encoding="utf-8"))
    for it in data["interactions"]:
        text = it["response"]["body"]["string"]
        if '"updatedCells": 10' in text:
            it["response"]["body"]["string"] = text.replace('"updatedCells": 10', '"updatedCells": 11')
            break
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    outcome = replay(bad)
    assert not outcome.ok and "updatedCells" in (outcome.mismatch or "")
