"""Exponential back-off with jitter for the Sheets API's transient failures.

Google answers 429 when a project or user exceeds its per-minute quota and 5xx when a backend
hiccups; proxies and laptops on hotel Wi-Fi drop connections. All of these pass if one waits, so they
are retried with "full jitter" back-off (a random wait up to base x 2^attempt, capped), bounded both in
attempts and in total time so a sync never hangs a workbook for long. ``sleep`` and ``rand`` are
injectable so tests run instantly and deterministically.
"""
from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from workbook_addin.core.errors import LianxingError

T = TypeVar("T")

#: HTTP status codes worth waiting for.
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def _loaded(module: str, *names: str) -> tuple[type, ...]:
    """The exception classes ``names`` of ``module`` if it is loaded, else none. Why not import
    them: gspread and requests take a tenth of a second to import, which a sync with the local
    archive never needs; and an error of a class whose module was never imported cannot exist."""
    found = sys.modules.get(module)
    return tuple(getattr(found, name) for name in names) if found is not None else ()


def _api_error(error: BaseException) -> bool:
    return isinstance(error, _loaded("gspread.exceptions", "APIError"))


def status_of(error: BaseException) -> int | None:
    """The HTTP status of a gspread ``APIError`` (None for other errors)."""
    if _api_error(error):
        try:
            return int(getattr(error, "response", None).status_code)  # type: ignore[union-attr]
        except (AttributeError, TypeError, ValueError):
            return None
    return None


def is_transient(error: BaseException) -> bool:
    """True for errors that may pass on their own: 408/429/5xx, timeouts, dropped connections."""
    status = status_of(error)
    if status is not None:
        return status in RETRY_STATUS
    return isinstance(error, (ConnectionError, TimeoutError,
                              *_loaded("requests.exceptions", "ConnectionError", "Timeout", "ChunkedEncodingError"),
                              *_loaded("google.auth.exceptions", "TransportError")))


def retry_after(error: BaseException) -> float | None:
    """Seconds the server asked us to wait (``Retry-After`` header), when it said so."""
    if _api_error(error):
        value = getattr(getattr(error, "response", None), "headers", {}).get("Retry-After")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None
    return None


@dataclass
class RetryPolicy:
    """How long to keep trying. One policy object is shared by all calls of one sync, so the total
    time budget covers the whole sync, not each request."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 16.0
    quota_delay_cap: float = 64.0
    max_total: float = 150.0
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random
    clock: Callable[[], float] = time.monotonic
    waited: float = field(default=0.0, init=False)
    retries: int = field(default=0, init=False)

    def delay(self, attempt: int, error: BaseException | None = None) -> float:
        """Full-jitter delay before retry number ``attempt`` (0-based), honouring Retry-After.

        A 429 is Google's per-minute quota (60 writes per minute per user, shared by every workbook
        of the team's service account): it only passes when the minute does, so those waits start at
        12 s and double (truncated exponential back-off, as Google advises), enough to span a minute
        within the attempts a sync makes."""
        if error is not None and status_of(error) == 429 and retry_after(error) is None:
            return min(self.quota_delay_cap, max(2.0 ** attempt, 12.0) * (1 + self.rand()))
        cap = min(self.max_delay, self.base_delay * (2 ** attempt))
        wait = self.rand() * cap
        asked = retry_after(error) if error is not None else None
        if asked is not None:
            wait = max(wait, min(asked, self.max_delay))
        return wait

    def pause(self, attempt: int, error: BaseException) -> bool:
        """Sleep before another attempt; False when attempts or the time budget are used up."""
        if attempt + 1 >= self.max_attempts:
            return False
        wait = self.delay(attempt, error)
        if self.waited + wait > self.max_total:
            return False
        self.sleep(wait)
        self.waited += wait
        self.retries += 1
        return True


class RetriesExhausted(LianxingError, RuntimeError):
    """A transient error kept coming back; ``__cause__`` is the last one."""


def call_with_retry(fn: Callable[[], T], policy: RetryPolicy, what: str = "request",
                    transient: Callable[[BaseException], bool] = is_transient) -> T:
    """``fn()``, retried with back-off while it fails with a transient error.

    Only use this for requests that are safe to repeat (reads). Writes are repeated by the sync
    itself, which re-reads the sheet first, so a write the server applied before the connection broke
    is seen and not applied twice.
    """
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as error:  # noqa: BLE001 - classified right below
            if not transient(error):
                raise
            if not policy.pause(attempt, error):
                raise RetriesExhausted(f"{what} failed {attempt + 1} times: {describe(error)}") from error
            attempt += 1


def describe(error: BaseException) -> str:
    """A one-line description of an HTTP error, with the API's own message when there is one."""
    status = status_of(error)
    if status is not None:
        try:
            message = error.response.json()["error"]["message"]  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - body may be HTML or empty
            message = str(error)
        return f"HTTP {status}: {message}"
    return f"{type(error).__name__}: {error}"
