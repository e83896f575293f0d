"""Back-off: what is retried, how long it waits, and when it gives up."""
from __future__ import annotations

import pytest
import requests
from gspread.exceptions import APIError

from sheets_sync.retry import RetriesExhausted, RetryPolicy, call_with_retry, is_transient


def api_error(status: int, retry_after: str | None = None) -> APIError:
    resp = requests.Response()
    resp.status_code = status
    resp._content = b'{"error": {"code": %d, "message": "quota", "status": "X"}}' % status
    if retry_after:
        resp.headers["Retry-After"] = retry_after
    return APIError(resp)


def policy(**kw) -> tuple[RetryPolicy, list[float]]:
    slept: list[float] = []
    return RetryPolicy(sleep=slept.append, rand=lambda: 1.0, **kw), slept


def test_429_5xx_and_dropped_connections_are_transient_but_403_is_not():
    assert all(is_transient(api_error(s)) for s in (429, 500, 502, 503))
    assert is_transient(requests.ConnectionError("reset")) and is_transient(requests.Timeout())
    assert not is_transient(api_error(403)) and not is_transient(api_error(400)) and not is_transient(ValueError())


def test_exponential_backoff_then_success():
    p, slept = policy(base_delay=0.5, max_delay=4)
    errors = [api_error(502), api_error(500), requests.ConnectionError("drop"), api_error(503)]

    def flaky():
        if errors:
            raise errors.pop(0)
        return "ok"

    assert call_with_retry(flaky, p) == "ok"
    assert slept == [0.5, 1.0, 2.0, 4.0]  # doubles, capped at max_delay


def test_the_per_minute_quota_is_waited_out_within_one_sync():
    """429 is the 60-writes-per-minute quota: waits long enough, in the attempts a sync makes, to
    reach the next minute (the old half-second back-off gave up after about 15 s)."""
    p = RetryPolicy(sleep=lambda s: None, rand=lambda: 0.0)
    waits = [p.delay(n, api_error(429)) for n in range(5)]
    assert waits == [12.0, 12.0, 12.0, 12.0, 16.0] and sum(waits[:4]) < 60 < sum(waits) <= p.max_total


def test_jitter_spreads_waits_and_retry_after_is_honoured():
    p = RetryPolicy(sleep=lambda s: None, rand=lambda: 0.25, base_delay=1, max_delay=30)
    assert p.delay(3) == 2.0  # 0.25 x 8
    assert p.delay(0, api_error(429, retry_after="7")) == 7.0


def test_gives_up_after_max_attempts_with_the_api_message():
    p, slept = policy(max_attempts=3)
    with pytest.raises(RetriesExhausted, match="HTTP 500: quota"):
        call_with_retry(lambda: (_ for _ in ()).throw(api_error(500)), p, "reading")
    assert len(slept) == 2


def test_total_time_budget_bounds_the_waiting():
    p, slept = policy(max_attempts=50, base_delay=1, max_delay=8, max_total=10)
    with pytest.raises(RetriesExhausted):
        call_with_retry(lambda: (_ for _ in ()).throw(api_error(503)), p)
    assert sum(slept) <= 10


def test_non_transient_errors_are_not_retried():
    p, slept = policy()
    with pytest.raises(APIError):
        call_with_retry(lambda: (_ for _ in ()).throw(api_error(403)), p)
    assert slept == []


def test_a_sync_with_the_local_archive_does_not_import_the_google_client():
    """gspread and requests are imported by the Google backend only; the retry rules still know
    their errors once they are (the tests above import both)."""
    import subprocess
    import sys

    code = ("import sys, sheets_sync.sync, sheets_sync.sqlite_archive; "
            "print(sorted(m for m in ('gspread', 'requests', 'google.auth') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert is_transient(requests.ConnectionError("dropped")) and is_transient(requests.Timeout("slow"))
