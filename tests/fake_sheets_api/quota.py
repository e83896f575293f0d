"""Google's per-user write quota: 60 write requests per minute per user, where "user" is the
account a request is made as (one service account shared by every workbook of a team is one user).

Off unless a test turns it on (``srv.quota.enable()``), because most tests write far faster than a
minute allows; ``clock`` is injectable so a test can let time pass without waiting for it.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

#: Google's answer when the quota is used up (HTTP 429, RESOURCE_EXHAUSTED).
MESSAGE = ("Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' "
           "of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.")


class WriteQuota:
    """A sliding one-minute window of write requests per account."""

    def __init__(self) -> None:
        self.per_minute: int | None = None
        self.clock: Callable[[], float] = time.monotonic
        self.refused = 0
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def enable(self, per_minute: int = 60, clock: Callable[[], float] | None = None) -> None:
        with self._lock:
            self.per_minute = per_minute
            self.clock = clock or time.monotonic
            self._seen.clear()
            self.refused = 0

    def disable(self) -> None:
        with self._lock:
            self.per_minute = None
            self._seen.clear()

    def consume(self, account: str, n: int = 1) -> None:
        """Count ``n`` writes another client of the same account made just now."""
        with self._lock:
            now = self.clock()
            self._seen[account].extend([now] * n)

    def take(self, account: str) -> bool:
        """Count one write request; False (and not counted) when the minute's quota is used up."""
        with self._lock:
            if self.per_minute is None:
                return True
            now = self.clock()
            seen = self._seen[account]
            while seen and seen[0] <= now - 60:
                seen.popleft()
            if len(seen) >= self.per_minute:
                self.refused += 1
                return False
            seen.append(now)
            return True
